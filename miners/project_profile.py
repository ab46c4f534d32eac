"""What a repository says about itself at a commit: name, purpose, languages, versions,
dependencies.

Only facts written in the repository are reported (README, pyproject.toml, package.json, go.mod,
Cargo.toml); a fact that is not there stays empty so that a drafted record says less instead of
inventing.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ReadFile = Callable[[str], bytes | None]
_README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md")
_MAX_DEPENDENCIES = 6


@dataclass(frozen=True, slots=True)
class ProjectProfile:
    """The repository's own description of itself (every field may be empty)."""

    name: str = ""
    purpose: str = ""
    runtimes: dict[str, str] = field(default_factory=dict)  # language -> version constraint
    dependencies: tuple[str, ...] = ()  # "pydantic>=2.6", "react ^18.2.0" …


def read_profile(read: ReadFile, fallback_name: str) -> ProjectProfile:
    """Build the profile from the files ``read`` returns (paths relative to the repository root)."""
    name, purpose = _readme(read)
    runtimes: dict[str, str] = {}
    dependencies: list[str] = []
    manifest_name = ""
    for reader in (_pyproject, _package_json, _go_mod, _cargo_toml):
        found_name, found_runtimes, found_dependencies = reader(read)
        manifest_name = manifest_name or found_name
        runtimes.update(found_runtimes)
        dependencies += found_dependencies
    return ProjectProfile(
        name=manifest_name or name or fallback_name,
        purpose=purpose,
        runtimes=runtimes,
        dependencies=tuple(dependencies[:_MAX_DEPENDENCIES]),
    )


def _text(read: ReadFile, path: str) -> str | None:
    data = read(path)
    return data.decode("utf-8", "replace") if data is not None else None


def _readme(read: ReadFile) -> tuple[str, str]:
    """The README's title and its first prose paragraph."""
    for candidate in _README_NAMES:
        text = _text(read, candidate)
        if text:
            return _readme_title(text), _first_paragraph(text)
    return "", ""


_GENERIC_TITLES = frozenset(
    {
        "overview",
        "introduction",
        "readme",
        "about",
        "getting started",
        "documentation",
        "intro",
        "table of contents",
        "contents",
    }
)


def _readme_title(text: str) -> str:
    """The README's first heading, unless it is a generic one ("Overview") that names no
    project."""
    for line in text.splitlines():
        if line.startswith("# "):
            title = line[2:].strip()
            return "" if title.lower() in _GENERIC_TITLES else title
    return ""


def _first_paragraph(text: str) -> str:
    """The first paragraph that reads as prose: sentences, so a title or a tagline ("web
    development, one drop at a time") is not one; a copyright line is not one either. Markup is
    removed (reST and Markdown links, literals, emphasis), so the role line reads cleanly."""
    lines = [line for line in text.splitlines() if not _COPYRIGHT.match(line)]
    paragraph = first_prose_paragraph(lines, _is_decoration, sentences=True)
    return _sentences_within(_without_markup(paragraph), 400)


_COPYRIGHT = re.compile(r"^\s*(?:[:#*]*\s*)?(?:copyright\b|\(c\)|©|license[ds]? under\b)", re.I)
_REST_LINK = re.compile(r"`([^`<]+?)(?:\s*<[^>]*>)?`_{1,2}")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*{1,2}|_{2})(\S[^*_]*?)\1")


def _without_markup(text: str) -> str:
    text = _REST_LINK.sub(r"\1", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return _EMPHASIS.sub(r"\2", text)


def _sentences_within(text: str, limit: int) -> str:
    """Whole sentences of ``text`` up to ``limit`` characters (the first one at least)."""
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = sentences[0]
    for sentence in sentences[1:]:
        if len(kept) + 1 + len(sentence) > limit:
            break
        kept += " " + sentence
    return kept[:limit]


def first_prose_paragraph(
    lines: list[str],
    is_decoration: Callable[[str], bool],
    min_words: int = 6,
    *,
    sentences: bool = False,
) -> str:
    """The first run of non-decoration lines with at least ``min_words`` words, squeezed to one line
    (with ``sentences``: only one that ends as a sentence does)."""
    paragraph: list[str] = []
    for line in [*lines, ""]:
        stripped = line.strip()
        if not is_decoration(stripped):
            paragraph.append(stripped)
            continue
        text = re.sub(r"\s+", " ", " ".join(paragraph)).strip()
        if len(text.split()) >= min_words and (not sentences or _SENTENCE_END.search(text)):
            return text
        paragraph = []
    return ""


_SENTENCE_END = re.compile(r"[.!?。！？][\"')\]”’]*$")


def _is_decoration(line: str) -> bool:
    """Blank lines, headings, badges, rules, HTML and fenced code are not prose."""
    return (
        not line
        or line.startswith(("#", "[![", "![", "<", "```", "---", "===", "..", "|", "-", "*"))
        or bool(re.fullmatch(r"[=\-~^*#/+ ]+", line))
        or bool(re.fullmatch(r"//.*//|\*\*.*\*\*", line))
    )


def _load_toml(read: ReadFile, path: str) -> dict[str, Any]:
    text = _text(read, path)
    if not text:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _pyproject(read: ReadFile) -> tuple[str, dict[str, str], list[str]]:
    project = _load_toml(read, "pyproject.toml").get("project", {})
    if not isinstance(project, dict):
        return "", {}, []
    runtimes = {"Python": str(project["requires-python"])} if project.get("requires-python") else {}
    dependencies = [
        str(d).replace(" ", "") for d in project.get("dependencies", []) if isinstance(d, str)
    ]
    return str(project.get("name", "")), runtimes, dependencies


def _package_json(read: ReadFile) -> tuple[str, dict[str, str], list[str]]:
    text = _text(read, "package.json")
    if not text:
        return "", {}, []
    try:
        package = json.loads(text)
    except json.JSONDecodeError:
        return "", {}, []
    if not isinstance(package, dict):
        return "", {}, []
    engines = package.get("engines") or {}
    runtimes = (
        {"Node.js": str(engines["node"])}
        if isinstance(engines, dict) and engines.get("node")
        else {}
    )
    dependencies = [f"{k} {v}" for k, v in (package.get("dependencies") or {}).items()]
    return str(package.get("name", "")), runtimes, dependencies


def _go_mod(read: ReadFile) -> tuple[str, dict[str, str], list[str]]:
    text = _text(read, "go.mod")
    if not text:
        return "", {}, []
    module = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    version = re.search(r"^go\s+(\S+)", text, re.MULTILINE)
    requires = re.findall(r"^\s+([\w./-]+)\s+(v[\w.+-]+)", text, re.MULTILINE)
    return (
        module.group(1).rsplit("/", 1)[-1] if module else "",
        {"Go": version.group(1)} if version else {},
        [f"{name} {ver}" for name, ver in requires],
    )


def _cargo_toml(read: ReadFile) -> tuple[str, dict[str, str], list[str]]:
    cargo = _load_toml(read, "Cargo.toml")
    package = cargo.get("package", {})
    if not isinstance(package, dict):
        return "", {}, []
    runtimes = {"Rust": f"edition {package['edition']}"} if package.get("edition") else {}
    if package.get("rust-version"):
        runtimes["Rust"] = f"{package['rust-version']} ({runtimes.get('Rust', 'edition 2015')})"
    deps = cargo.get("dependencies", {})
    dependencies = [
        f"{k} {v if isinstance(v, str) else v.get('version', '')}".strip() for k, v in deps.items()
    ]
    return str(package.get("name", "")), runtimes, dependencies
