"""A seeds folder: the hand-written gold records and the tool catalog they use, validated.

Users replace the shipped seeds with their own project's, so the folder is read as untrusted
input: every problem is collected (not only the first) and names the file and the field it is
in, e.g. ``07-logslice-agent.json: conversation[3].content.action.tool_name: unknown tool …``.

The valid golds then serve as few-shot examples, chosen deterministically by record kind, task
type (``meta.template``) and language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match
from pydantic import ValidationError

from warehouse.errors import SeedFolderError
from warehouse.records import AgentRecord, Record, ToolSpec, parse_record

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
CATALOG_NAME = "tools.json"
SEED_NAME = re.compile(r"^\d{2}-[A-Za-z0-9][A-Za-z0-9_-]*\.json$")
META_KEYS = ("demonstrates", "template", "why_gold")
_UNION_TAGS = {"instruction", "agent", "user", "assistant", "tool"}


@dataclass(frozen=True, slots=True)
class SeedProblem:
    """One thing wrong in a seeds folder: the file, the field (may be empty) and what is wrong."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.field}: {self.message}"
            if self.field
            else f"{self.file}: {self.message}"
        )


@dataclass(frozen=True, slots=True)
class Seed:
    """One valid gold record with its metadata."""

    file: str
    meta: dict[str, str]
    record: Record

    @property
    def name(self) -> str:
        """The file name without ``.json``: what ``provenance.seeds`` lists."""
        return self.file.removesuffix(".json")

    @property
    def template(self) -> str:
        """The task type the gold is a few-shot for (``meta.template``)."""
        return self.meta["template"]


@dataclass(frozen=True, slots=True)
class SeedRow:
    """One line of ``goldmine seeds check``'s table."""

    file: str
    id: str = ""
    kind: str = ""
    task_type: str = ""
    lang: str = ""
    template: str = ""
    problems: int = 0


@dataclass(frozen=True, slots=True)
class SeedFolder:
    """What a seeds folder holds: its valid golds, its tool catalog and every problem found."""

    path: Path
    seeds: tuple[Seed, ...]
    catalog: dict[str, dict[str, Any]]
    rows: tuple[SeedRow, ...]
    problems: tuple[SeedProblem, ...] = field(default=())

    def require_valid(self) -> SeedFolder:
        """This folder, or :class:`SeedFolderError` naming its first problem."""
        if self.problems:
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            raise SeedFolderError(
                f"{self.path}/{self.problems[0]}{more}; run `goldmine seeds check {self.path}` to "
                "see every problem"
            )
        return self


def load_seeds(path: Path = SEEDS_DIR) -> SeedFolder:
    """The seeds folder at ``path``, raising :class:`SeedFolderError` if anything in it is
    invalid."""
    return read_seed_folder(path).require_valid()


def read_seed_folder(path: Path = SEEDS_DIR) -> SeedFolder:
    """Read and check a seeds folder, collecting every problem instead of stopping at the first."""
    if not path.is_dir():
        raise SeedFolderError(
            f"{path} is not a folder: point [draft] seeds in goldmine.toml at your seeds folder"
        )
    problems: list[SeedProblem] = []
    catalog = _read_catalog(path, problems)
    seeds: list[Seed] = []
    rows: list[SeedRow] = []
    for file in sorted(path.glob("*.json")):
        if file.name == CATALOG_NAME:
            continue
        found: list[SeedProblem] = []
        seed = _read_seed(file, catalog, found) if SEED_NAME.match(file.name) else None
        if not SEED_NAME.match(file.name):
            found.append(
                SeedProblem(
                    file.name, "", "seed files are named NN-slug.json (e.g. 11-my-task.json)"
                )
            )
        rows.append(_row(file.name, seed, len(found)))
        problems += found
        if seed is not None and not found:
            seeds.append(seed)
    problems += _duplicate_ids(rows)
    if not rows:
        problems.append(
            SeedProblem(path.name, "", "no seed records (NN-slug.json files) in this folder")
        )
    return SeedFolder(path, tuple(seeds), catalog or {}, tuple(rows), tuple(problems))


def _row(file: str, seed: Seed | None, problems: int) -> SeedRow:
    if seed is None:
        return SeedRow(file, problems=problems)
    record = seed.record
    return SeedRow(
        file,
        record.id,
        record.kind,
        record.task_type,
        record.lang,
        seed.meta.get("template", ""),
        problems,
    )


def _duplicate_ids(rows: Sequence[SeedRow]) -> list[SeedProblem]:
    first: dict[str, str] = {}
    problems = []
    for row in rows:
        if row.id and row.id in first:
            problems.append(
                SeedProblem(row.file, "id", f"'{row.id}' is also the id of {first[row.id]}")
            )
        first.setdefault(row.id, row.file)
    return problems


def _read_json(file: Path, problems: list[SeedProblem]) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.append(SeedProblem(file.name, "", "not UTF-8 text"))
    except json.JSONDecodeError as error:
        problems.append(
            SeedProblem(
                file.name,
                "",
                f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})",
            )
        )
    return None


def _read_catalog(folder: Path, problems: list[SeedProblem]) -> dict[str, dict[str, Any]] | None:
    """The tool catalog by name; None when the folder has no tools.json."""
    file = folder / CATALOG_NAME
    if not file.exists():
        return None
    data = _read_json(file, problems)
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("tools"), list):
        problems.append(
            SeedProblem(CATALOG_NAME, "tools", 'expected {"tools": [ … ], "replayable": [ … ]}')
        )
        return {}
    catalog: dict[str, dict[str, Any]] = {}
    for n, tool in enumerate(data["tools"]):
        spec = _tool_spec(tool, f"tools[{n}]", problems)
        if spec is not None and spec.name in catalog:
            problems.append(
                SeedProblem(
                    CATALOG_NAME, f"tools[{n}].name", f"tool '{spec.name}' is defined twice"
                )
            )
        elif spec is not None:
            catalog[spec.name] = spec.model_dump()
    for n, name in enumerate(data.get("replayable", [])):
        if name not in catalog:
            problems.append(
                SeedProblem(
                    CATALOG_NAME, f"replayable[{n}]", f"'{name}' is not a tool in the catalog"
                )
            )
    return catalog


def _tool_spec(tool: Any, where: str, problems: list[SeedProblem]) -> ToolSpec | None:
    try:
        spec = ToolSpec.model_validate(tool)
    except ValidationError as error:
        first = error.errors()[0]
        problems.append(SeedProblem(CATALOG_NAME, _field(where, first["loc"]), first["msg"]))
        return None
    try:
        Draft202012Validator.check_schema(spec.parameters)
    except SchemaError as error:
        problems.append(
            SeedProblem(CATALOG_NAME, f"{where}.parameters", f"not a JSON Schema: {error.message}")
        )
        return None
    return spec


def _read_seed(
    file: Path, catalog: dict[str, dict[str, Any]] | None, problems: list[SeedProblem]
) -> Seed | None:
    data = _read_json(file, problems)
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(
            SeedProblem(file.name, "", "expected one JSON object (a record with a meta block)")
        )
        return None
    meta = _meta(file.name, data.pop("meta", None), problems)
    try:
        record = parse_record(data)
    except ValidationError as error:
        problems += [SeedProblem(file.name, _field("", e["loc"]), e["msg"]) for e in error.errors()]
        return None
    if isinstance(record, AgentRecord):
        problems += _agent_problems(file.name, record, catalog)
    return Seed(file.name, meta, record)


def _meta(file: str, meta: Any, problems: list[SeedProblem]) -> dict[str, str]:
    if not isinstance(meta, dict):
        problems.append(
            SeedProblem(
                file, "meta", "missing: add {" + ", ".join(f'"{k}": "…"' for k in META_KEYS) + "}"
            )
        )
        return {}
    for key in META_KEYS:
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            problems.append(SeedProblem(file, f"meta.{key}", "missing or empty"))
    return {str(k): str(v) for k, v in meta.items()}


def _agent_problems(
    file: str, record: AgentRecord, catalog: dict[str, dict[str, Any]] | None
) -> list[SeedProblem]:
    """The tool contract: offered tools copy the catalog; every action calls one with valid
    parameters."""
    if catalog is None:
        return [
            SeedProblem(
                file,
                "tools",
                f"an agent record needs the tool catalog, but there is no {CATALOG_NAME}",
            )
        ]
    problems = []
    for n, tool in enumerate(record.tools):
        if tool.name not in catalog:
            problems.append(
                SeedProblem(
                    file, f"tools[{n}].name", f"unknown tool '{tool.name}': not in {CATALOG_NAME}"
                )
            )
        elif tool.model_dump() != catalog[tool.name]:
            problems.append(
                SeedProblem(
                    file,
                    f"tools[{n}]",
                    f"'{tool.name}' differs from its entry in {CATALOG_NAME}; copy it unchanged",
                )
            )
    offered = {tool.name for tool in record.tools}
    for n, turn in enumerate(record.conversation):
        action = getattr(turn.content, "action", None)
        if action is None:
            continue
        where = f"conversation[{n}].content.action"
        if action.tool_name not in catalog:
            problems.append(
                SeedProblem(
                    file,
                    f"{where}.tool_name",
                    f"unknown tool '{action.tool_name}': not in {CATALOG_NAME}",
                )
            )
            continue
        if action.tool_name not in offered:
            problems.append(
                SeedProblem(
                    file,
                    f"{where}.tool_name",
                    f"'{action.tool_name}' is not in this record's tools",
                )
            )
        error = best_match(
            Draft202012Validator(catalog[action.tool_name]["parameters"]).iter_errors(
                action.parameters
            )
        )
        if error is not None:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            problems.append(SeedProblem(file, f"{where}.parameters{path}", error.message))
    return problems


def _field(prefix: str, loc: Sequence[int | str]) -> str:
    """A pydantic error location as a field path (``conversation[3].content.thought``), without
    union tags."""
    text = prefix
    for n, part in enumerate(loc):
        after_index_or_start = n == 0 or isinstance(loc[n - 1], int)
        if isinstance(part, str) and part in _UNION_TAGS and after_index_or_start:
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(record)"


def few_shots(
    seeds: Sequence[Seed], kind: str, task_type: str, lang: str, count: int
) -> list[Seed]:
    """The ``count`` golds closest to a draft, always the same for the same arguments.

    Only golds of the same record kind qualify; among them the same task type (the gold's
    ``meta.template`` or its ``task_type``) comes first, then the same language; ties go to the
    lower file name.
    """

    def distance(seed: Seed) -> tuple[bool, bool, str]:
        same_type = task_type in (seed.template, seed.record.task_type)
        return (not same_type, seed.record.lang != lang, seed.file)

    same_kind = [seed for seed in seeds if seed.record.kind == kind]
    return sorted(same_kind, key=distance)[: max(count, 0)]
