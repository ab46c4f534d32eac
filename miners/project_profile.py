"""What a repository says about itself at a commit: name, purpose, languages, versions,
dependencies.

Only facts written in the repository are reported (README, pyproject.toml, setup.cfg, setup.py,
package.json, go.mod, Cargo.toml); a fact that is not there stays empty so that a drafted record
says less instead of inventing. The name comes from a manifest, never from a README heading (a
README's first heading is as often "Table of Contents" or "Overview" as the project's name); the
purpose is the README's first prose paragraph, else the manifest's description.
"""

from __future__ import annotations

import configparser
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
    runtimes: dict[str, str] = {}
    dependencies: list[str] = []
    name = description = ""
    for reader in (_pyproject, _setup_cfg, _setup_py, _package_json, _go_mod, _cargo_toml):
        manifest = reader(read)
        name = name or manifest.name
        description = description or manifest.description
        runtimes.update(manifest.runtimes)
        dependencies += manifest.dependencies
    return ProjectProfile(
        name=name or fallback_name,
        purpose=_readme_purpose(read) or _as_sentence(description),
        runtimes=runtimes,
        dependencies=tuple(dependencies[:_MAX_DEPENDENCIES]),
    )


@dataclass(frozen=True, slots=True)
class _Manifest:
    """What one manifest file says (every field may be empty)."""

    name: str = ""
    description: str = ""
    runtimes: dict[str, str] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)


def _as_sentence(description: str) -> str:
    """A manifest's one-line description as a sentence ("Fast, minimalist web framework.")."""
    text = " ".join(description.split())
    return text if not text or _SENTENCE_END.search(text) else f"{text}."


def _text(read: ReadFile, path: str) -> str | None:
    data = read(path)
    return data.decode("utf-8", "replace") if data is not None else None


def _readme_purpose(read: ReadFile) -> str:
    """The README's first prose paragraph."""
    for candidate in _README_NAMES:
        text = _text(read, candidate)
        if text:
            return _first_paragraph(text)
    return ""


def _first_paragraph(text: str) -> str:
    """The first paragraph that reads as prose: sentences, so a title or a tagline ("web
    development, one drop at a time") is not one; a copyright line is not one either. Markup is
    removed (reST and Markdown links, literals, emphasis), so the role line reads cleanly."""
    lines = [line for line in text.splitlines() if not _COPYRIGHT.match(line)]
    paragraph = first_prose_paragraph(lines, _is_decoration, sentences=True)
    return sentences_within(_without_markup(paragraph), 400)


_COPYRIGHT = re.compile(r"^\s*(?:[:#*]*\s*)?(?:copyright\b|\(c\)|©|license[ds]? under\b)", re.I)
_REST_LINK = re.compile(r"`([^`<]+?)(?:\s*<[^>]*>)?`_{1,2}")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*{1,2}|_{2})(\S[^*_]*?)\1")


def _without_markup(text: str) -> str:
    text = _REST_LINK.sub(r"\1", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return _EMPHASIS.sub(r"\2", text)


def sentences_within(text: str, limit: int) -> str:
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


def _pyproject(read: ReadFile) -> _Manifest:
    project = _load_toml(read, "pyproject.toml").get("project", {})
    if not isinstance(project, dict):
        return _Manifest()
    runtimes = {"Python": str(project["requires-python"])} if project.get("requires-python") else {}
    dependencies = [
        str(d).replace(" ", "") for d in project.get("dependencies", []) if isinstance(d, str)
    ]
    return _Manifest(
        str(project.get("name", "")), _string(project.get("description")), runtimes, dependencies
    )


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _setup_cfg(read: ReadFile) -> _Manifest:
    """setup.cfg's ``[metadata]`` name and description (setuptools' declarative form)."""
    text = _text(read, "setup.cfg")
    if not text:
        return _Manifest()
    config = configparser.ConfigParser(interpolation=None)
    try:
        config.read_string(text)
    except configparser.Error:
        return _Manifest()
    if not config.has_section("metadata"):
        return _Manifest()
    metadata = config["metadata"]
    return _Manifest(metadata.get("name", ""), metadata.get("description", ""))


_SETUP_ARGUMENT = r"""\b{}\s*=\s*(["'])([^"'\n]+)\1"""


def _setup_py(read: ReadFile) -> _Manifest:
    """The literal ``name=`` and ``description=`` of a setup.py's ``setup(…)`` call."""
    text = _text(read, "setup.py")
    if not text or "setup(" not in text:
        return _Manifest()
    name = re.search(_SETUP_ARGUMENT.format("name"), text)
    description = re.search(_SETUP_ARGUMENT.format("description"), text)
    return _Manifest(name.group(2) if name else "", description.group(2) if description else "")


def _package_json(read: ReadFile) -> _Manifest:
    text = _text(read, "package.json")
    if not text:
        return _Manifest()
    try:
        package = json.loads(text)
    except json.JSONDecodeError:
        return _Manifest()
    if not isinstance(package, dict):
        return _Manifest()
    engines = package.get("engines") or {}
    runtimes = (
        {"Node.js": str(engines["node"])}
        if isinstance(engines, dict) and engines.get("node")
        else {}
    )
    dependencies = [f"{k} {v}" for k, v in (package.get("dependencies") or {}).items()]
    return _Manifest(
        _string(package.get("name")), _string(package.get("description")), runtimes, dependencies
    )


def _go_mod(read: ReadFile) -> _Manifest:
    text = _text(read, "go.mod")
    if not text:
        return _Manifest()
    module = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    version = re.search(r"^go\s+(\S+)", text, re.MULTILINE)
    requires = re.findall(r"^\s+([\w./-]+)\s+(v[\w.+-]+)", text, re.MULTILINE)
    return _Manifest(
        _go_module_name(module.group(1)) if module else "",
        "",
        {"Go": version.group(1)} if version else {},
        [f"{name} {ver}" for name, ver in requires],
    )


def _go_module_name(path: str) -> str:
    """The name a Go module goes by: its path's last element, without a major version
    (``github.com/spf13/cobra/v2`` → ``cobra``, ``gopkg.in/yaml.v3`` → ``yaml``)."""
    parts = [part for part in path.strip('"').split("/") if part]
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        parts.pop()
    return re.sub(r"\.v\d+$", "", parts[-1]) if parts else ""


def _cargo_toml(read: ReadFile) -> _Manifest:
    cargo = _load_toml(read, "Cargo.toml")
    package = cargo.get("package", {})
    if not isinstance(package, dict):
        return _Manifest()
    runtimes = {"Rust": f"edition {package['edition']}"} if package.get("edition") else {}
    if package.get("rust-version"):
        runtimes["Rust"] = f"{package['rust-version']} ({runtimes.get('Rust', 'edition 2015')})"
    deps = cargo.get("dependencies", {})
    dependencies = [
        f"{k} {v if isinstance(v, str) else v.get('version', '')}".strip() for k, v in deps.items()
    ]
    return _Manifest(
        _string(package.get("name")), _string(package.get("description")), runtimes, dependencies
    )
