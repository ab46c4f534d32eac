"""One Jinja environment over ``prompts/``: strict, deterministic, and hashed for provenance."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from warehouse.ids import content_hash

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


def quote_block(text: str) -> str:
    """Mark mined text as quoted material (``> `` before every line)."""
    return "\n".join(
        f"> {line}" if line.strip() else ">" for line in str(text).strip().splitlines()
    )


def inline_code(text: str) -> str:
    """Wrap a name in backticks: more of them than any run inside it (CommonMark), padded when it
    starts or ends with one."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest and (text.startswith("`") or text.endswith("`")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def untrusted(text: str, label: str, fence: str | None = None) -> str:
    """Fence mined text as data for a model: tagged, labelled, and impossible to close from inside.

    The tag carries a hash of the text, which the text cannot contain, so a commit message or a
    ticket cannot end the fence early and speak as the prompt. ``fence`` also wraps the text in a
    Markdown code fence (for code), longer than any backtick run in it.
    """
    body = str(text).strip("\n")
    if fence is not None:
        ticks = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", body)), default=0))
        body = f"{ticks}{fence}\n{body}\n{ticks}"
    tag = f"untrusted_data_{content_hash(body)[:10]}"
    clean_label = re.sub(r'["<>\s]+', " ", label).strip()
    return f'<{tag} source="{clean_label}">\n{body}\n</{tag}>'


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
    env.tests["code_block"] = lambda text: str(text).startswith("```")
    env.filters["untrusted"] = untrusted
    return env


def template_ref(name: str, root: Path = PROMPTS_DIR) -> str:
    """``name@hash``: which template, at which content, made a record."""
    return f"{name}@{content_hash((root / name).read_bytes())[:12]}"


def template_sources(name: str, root: Path = PROMPTS_DIR) -> list[str]:
    """``name`` and every template it extends, includes or imports, recursively, each once."""
    env = environment(root)
    found: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop(0)
        if current in found:
            continue
        found.append(current)
        source = (root / current).read_text(encoding="utf-8")
        pending += [
            ref for ref in meta.find_referenced_templates(env.parse(source)) if ref is not None
        ]
    return found


def bundle_ref(names: list[str], root: Path = PROMPTS_DIR) -> str:
    """``first@hash`` where the hash covers every template the names use (a partial's edit
    shows)."""
    sources = sorted({source for name in names for source in template_sources(name, root)})
    digest = content_hash(
        b"\0".join(source.encode() + b"\0" + (root / source).read_bytes() for source in sources)
    )
    return f"{names[0]}@{digest[:12]}"


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
