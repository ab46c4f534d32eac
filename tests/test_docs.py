"""The README and ``docs/`` stay true: every command, option, setting and table is documented,
every page is reachable from the README, every link resolves, and what the docs show exists."""

from __future__ import annotations

import re
import subprocess
import tomllib
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from flows.commands.cli import main
from flows.settings import Settings
from warehouse.store import Warehouse

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_MAX_LINES = 200
# Documented once, in the "Options every command takes" section of docs/commands.md.
COMMON_OPTIONS = {"workspace", "verbose"}
COMMON_SECTION = "Options every command takes"
# The folders whose READMEs describe the code (anything else — .venv, a demo workspace — is not
# ours).
CODE_FOLDERS = ("bench", "docs", "flows", "miners", "prompts", "seeds", "tests", "warehouse")

_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


# ---- helpers ----------------------------------------------------------------------------------


def every_command(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    """``("run", <run>)``, ``("seeds check", <seeds check>)`` … for every leaf command."""
    for name, command in _subcommands(group).items():
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def command_named(words: list[str]) -> tuple[str, click.Command] | None:
    """The command a ``goldmine w1 w2 …`` line calls, and its name, or None."""
    command: click.Command = main
    used: list[str] = []
    for word in words:
        if not isinstance(command, click.Group) or word not in _subcommands(command):
            break
        command = _subcommands(command)[word]
        used.append(word)
    return (" ".join(used), command) if used else None


def _subcommands(group: click.Group) -> dict[str, click.Command]:
    """A group's commands, loaded (``goldmine``'s group imports each one when it is asked for)."""
    context = click.Context(group)
    found = {name: group.get_command(context, name) for name in group.list_commands(context)}
    return {name: command for name, command in found.items() if command is not None}


def without_code_blocks(text: str) -> str:
    return _FENCE.sub("", text)


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body up to the next heading) for every heading outside code blocks."""
    found: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in text.splitlines():
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            found.append((heading.group(2), []))
        elif found:
            found[-1][1].append(line)
    return [(heading, "\n".join(body)) for heading, body in found]


def section_of(text: str, name: str) -> str | None:
    """The body of the one heading that names ``name`` in backticks (or is ``name``)."""
    bodies = [
        body
        for heading, body in sections(text)
        if f"`{name}`" in heading or heading.strip() == name
    ]
    assert len(bodies) <= 1, f"more than one heading names {name}"
    return bodies[0] if bodies else None


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower-cased, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for heading, _ in sections(path.read_text()):
        base = slug(heading)
        name, n = base, 0
        while name in found:
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def folder_readmes() -> list[Path]:
    found = []
    for folder in CODE_FOLDERS:
        for path in (ROOT / folder).rglob("README.md"):
            parts = path.relative_to(ROOT).parts
            if not any(part.startswith((".", "__")) for part in parts):
                found.append(path)
    return sorted(found)


def documents() -> list[Path]:
    return [README, *pages(), *folder_readmes()]


def relative_links(path: Path) -> list[str]:
    """Every link target in ``path`` that is not a URL (code blocks and code spans aside)."""
    prose = _CODE_SPAN.sub("", without_code_blocks(path.read_text()))
    return [
        target
        for target in _LINK.findall(prose)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)
    ]


def toml_value(value: Any) -> str:
    """A default as goldmine.toml (and the docs' tables) write it."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models inside an annotation (``dict[str, ModelPrice]`` → ModelPrice)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from nested_models(argument)


def settings_keys() -> Iterator[tuple[str, str, Any]]:
    """(section, key, default) for every key of goldmine.toml, nested tables included; the
    default is PydanticUndefined for a required key."""
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        todo: list[type[BaseModel]] = [model]
        while todo:
            current = todo.pop()
            for key, info in current.model_fields.items():
                default = (
                    info.default_factory()  # type: ignore[call-arg]
                    if info.default_factory is not None
                    else info.default
                )
                yield section, key, default
                todo.extend(nested_models(info.annotation))


def goldmine_lines(text: str) -> Iterator[str]:
    """Every ``goldmine …`` invocation shown in code: code spans, and code-block lines (comments
    cut)."""
    command = r"goldmine ((?:[a-z][\w-]*)(?: .*)?)"
    for span in _CODE_SPAN.findall(without_code_blocks(text)):
        yield from (m.group(1).strip() for m in re.finditer(rf"(?:^|(?<=[\s(/])){command}", span))
    for block in _FENCE.finditer(text):
        for line in block.group(0).splitlines()[1:-1]:
            line = re.sub(r"(^|\s)#.*", "", line)  # a comment, or printed output
            # a command line (`uv run goldmine …`, `/abs/path/goldmine …`), or one in backticks
            pattern = rf"(?:^\s*(?:\$\s+)?(?:uv run\s+)?|(?<=[/`])){command}"
            yield from (m.group(1).strip() for m in re.finditer(pattern, line))


def option_tokens(rest: str) -> list[str]:
    """The option names in what follows a command: quoted text dropped, ``[--a|--b]`` split."""
    rest = re.sub(r"\"[^\"]*\"|'[^']*'", " ", rest)
    rest = re.split(r"\s(?:>>?|&&|;)\s|`", rest)[0]
    return re.findall(r"(?:^|(?<=[\s\[|]))(--?[A-Za-z][\w-]*)", rest)


# ---- the README -------------------------------------------------------------------------------


def test_readme_has_the_two_command_quickstart() -> None:
    readme = README.read_text()
    quickstart = section_of(readme, "Quickstart")
    assert quickstart is not None, "README.md has no Quickstart section"
    lines = [line.split("#")[0].strip() for line in quickstart.splitlines()]
    for command in ("uv run goldmine demo", "uv run pytest"):
        assert command in lines, f"README.md's Quickstart does not run `{command}` on a line"
    assert "pip install uv" in quickstart, "README.md's Quickstart does not say `pip install uv`"


def test_readme_is_at_most_200_lines() -> None:
    count = len(README.read_text().splitlines())
    assert count <= README_MAX_LINES, (
        f"README.md has {count} lines: move detail into docs/ (at most {README_MAX_LINES})"
    )


def test_readme_names_every_command() -> None:
    readme = README.read_text()
    for name, _ in every_command():
        assert f"goldmine {name}" in readme, f"README.md does not name `goldmine {name}`"


def test_readme_links_every_docs_page() -> None:
    linked = {(ROOT / target.split("#")[0]).resolve() for target in relative_links(README)}
    for page in pages():
        assert page.resolve() in linked, f"README.md does not link {page.relative_to(ROOT)}"


# ---- docs/commands.md -------------------------------------------------------------------------


def test_the_commands_page_has_a_section_for_every_command() -> None:
    text = (DOCS / "commands.md").read_text()
    for name, _ in every_command():
        assert section_of(text, f"goldmine {name}") is not None, (
            f"docs/commands.md has no heading for `goldmine {name}`"
        )


def test_the_commands_page_documents_every_option_of_every_command() -> None:
    text = (DOCS / "commands.md").read_text()
    common = section_of(text, COMMON_SECTION)
    assert common is not None, f"docs/commands.md has no section {COMMON_SECTION!r}"
    for param in main.params:  # --version
        for opt in param.opts:
            assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", common), opt
    for name, command in every_command():
        body = section_of(text, f"goldmine {name}") or ""
        for param in command.params:
            where, place = (
                (common, COMMON_SECTION)
                if param.name in COMMON_OPTIONS
                else (body, f"goldmine {name}")
            )
            names = param.opts if isinstance(param, click.Option) else [param.human_readable_name]
            for opt in names:
                assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", where), (
                    f"docs/commands.md: the section {place!r} does not document {opt}"
                )
            if isinstance(param.type, click.Choice):
                for choice in param.type.choices:
                    assert re.search(rf"(?<![\w-]){re.escape(choice)}(?![\w-])", body), (
                        f"docs/commands.md: `goldmine {name}` does not list {param.opts[0]}'s "
                        f"choice {choice!r}"
                    )


def test_every_goldmine_command_line_in_the_docs_exists() -> None:
    for path in documents():
        for line in goldmine_lines(path.read_text()):
            words = line.split()
            found = command_named(words)
            assert found is not None, (
                f"{path.relative_to(ROOT)} shows `goldmine {line}`, but there is no command "
                f"{words[0]!r}"
            )
            name, command = found
            known = {
                opt for param in command.params for opt in (*param.opts, *param.secondary_opts)
            } | {"-h", "--help"}
            rest = line.split(None, len(name.split()))[-1] if len(words) > len(name.split()) else ""
            for opt in option_tokens(rest):
                assert opt in known, (
                    f"{path.relative_to(ROOT)} shows `goldmine {name} … {opt}`, but "
                    f"`goldmine {name}` has no option {opt}"
                )


# ---- docs/configuration.md --------------------------------------------------------------------


def test_the_configuration_page_documents_every_section_and_key_with_its_default() -> None:
    text = (DOCS / "configuration.md").read_text()
    for section, key, default in settings_keys():
        body = section_of(text, f"[{section}]")
        assert body is not None, f"docs/configuration.md has no heading for `[{section}]`"
        assert f"`{key}`" in body, f"docs/configuration.md: [{section}] does not document {key}"
        if default is PydanticUndefined:
            continue
        rows = [line for line in body.splitlines() if line.startswith(f"| `{key}` |")]
        assert rows, f"docs/configuration.md: [{section}] has no table row for {key}"
        cells = [cell.strip() for cell in rows[0].split("|")]
        documented = cells[2].strip("`")
        assert documented == toml_value(default), (
            f"docs/configuration.md: [{section}] {key} says the default is {cells[2]}, "
            f"goldmine.toml's is {toml_value(default)}"
        )


def test_every_setting_the_docs_name_exists() -> None:
    keys = {(section, key) for section, key, _ in settings_keys()}
    named = re.compile(r"^\[([a-z_]+)(?:\.[^\]]*)?\](?:\s+([a-z_]+))?")
    for path in documents():
        for span in _CODE_SPAN.findall(without_code_blocks(path.read_text())):
            match = named.match(span)
            if not match:
                continue
            section, key = match.groups()
            assert section in Settings.model_fields, (
                f"{path.relative_to(ROOT)} names `{span}`, but goldmine.toml has no [{section}]"
            )
            assert key is None or (section, key) in keys, (
                f"{path.relative_to(ROOT)} names `{span}`, but [{section}] has no key {key}"
            )


def test_every_goldmine_toml_example_in_the_docs_is_valid() -> None:
    for path in documents():
        for block in re.finditer(r"^```toml\n(.*?)^```", path.read_text(), re.M | re.S):
            try:
                Settings.model_validate(tomllib.loads(block.group(1)))
            except (tomllib.TOMLDecodeError, ValidationError) as error:
                pytest.fail(f"{path.relative_to(ROOT)}: an invalid goldmine.toml example: {error}")


# ---- links ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    for target in relative_links(path):
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        assert resolved.exists(), (
            f"{path.relative_to(ROOT)} links {target}, but {file} does not exist"
        )
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), (
                f"{path.relative_to(ROOT)} links {target}, but {resolved.relative_to(ROOT)} has "
                f"no heading #{anchor}"
            )


# ---- docs/tables.md ---------------------------------------------------------------------------


def test_the_tables_page_documents_every_table(tmp_path: Path) -> None:
    text = (DOCS / "tables.md").read_text()
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        for table in warehouse.tables():
            assert f"`{table}`" in text, f"docs/tables.md does not document the table {table}"


def test_every_folder_says_what_it_is_for_in_a_readme() -> None:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0:
        folders = {str(Path(path).parent) for path in listed.stdout.split()}
    else:  # a copy of the tree without git: every folder of ours that holds a file
        folders = {
            str(path.parent.relative_to(ROOT))
            for top in (*CODE_FOLDERS, ".ci")
            for path in (ROOT / top).rglob("*")
            if path.is_file() and not {"__pycache__", "results"} & set(path.parts)
        }
    missing = sorted(f for f in folders if not (ROOT / f / "README.md").exists())
    assert not missing, f"folders without a README.md: {missing}"
