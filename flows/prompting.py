"""One Jinja environment over ``prompts/``: strict, deterministic, and hashed for provenance."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from warehouse.ids import content_hash

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


def quote_block(text: str) -> str:
    """Mark mined text as quoted material (``> `` before every line)."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in str(text).strip().splitlines())


def inline_code(text: str) -> str:
    """Wrap a name in backticks."""
    return f"`{text}`"


@cache
def environment(root: Path = PROMPTS_DIR) -> jinja2.Environment:
    """The environment every template renders in; undefined variables are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - renders plain text and Markdown for models, never HTML
    )
    env.filters["quote_block"] = quote_block
    env.filters["code"] = inline_code
    env.filters["basename"] = lambda path: str(path).rsplit("/", 1)[-1]
    return env


def template_ref(name: str, root: Path = PROMPTS_DIR) -> str:
    """``name@hash``: which template, at which content, made a record."""
    return f"{name}@{content_hash((root / name).read_bytes())[:12]}"


def render(name: str, variables: dict[str, Any], root: Path = PROMPTS_DIR) -> str:
    """Render a template and tidy its blank lines."""
    text = environment(root).get_template(name).render(**variables)
    return _squeeze_blank_lines(text).strip() + "\n"


class Phrasebook:
    """The macros of one template, each rendering one message (tidied like a whole template)."""

    def __init__(self, name: str, root: Path = PROMPTS_DIR) -> None:
        self.ref = template_ref(name, root)
        self._module = environment(root).get_template(name).module

    def say(self, macro: str, **variables: Any) -> str:
        """Render the macro named ``macro`` with ``variables``."""
        return _squeeze_blank_lines(str(getattr(self._module, macro)(**variables))).strip()

    def parameters(self, macro: str) -> tuple[str, ...]:
        """The names of the arguments a macro declares."""
        return tuple(getattr(self._module, macro).arguments)


def _squeeze_blank_lines(text: str) -> str:
    """At most one blank line in a row, except inside fenced code."""
    out: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and not line.strip() and out and not out[-1].strip():
            continue
        out.append(line.rstrip() if not in_fence else line)
    return "\n".join(out)
