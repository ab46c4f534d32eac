"""A workspace: the folder holding a project's goldmine config, warehouse, exports and Prefect state.

Chosen by ``--workspace DIR``, else ``$GOLDMINE_HOME``, else the current directory.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows.errors import ConfigError
from warehouse.store import Warehouse

CONFIG_NAME = "goldmine.toml"
DATABASE_NAME = "goldmine.duckdb"
Lang = Literal["en", "zh"]
ExportFormat = Literal["alpaca", "sharegpt", "openai"]
Kind = Literal["instruction", "agent"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourcesConfig(_Section):
    repos: list[str] = Field(default_factory=list)
    tickets: list[str] = Field(default_factory=list)


class MineConfig(_Section):
    max_diff_bytes: int = Field(default=200_000, gt=0)
    author_names: bool = True
    jobs: int = Field(default=0, ge=0)


class TicketsConfig(_Section):
    """How to read a ticket export goldmine does not know (see miners/generic_tickets.py)."""

    source: str = "generic"
    key_prefix: str = ""
    list_separator: str = ","
    mapping: dict[str, str] = Field(default_factory=dict)


class DraftConfig(_Section):
    drafter: Literal["extractive", "llm"] = "extractive"
    kinds: list[Kind] = Field(default_factory=lambda: list[Kind](["instruction"]), min_length=1)
    lang: list[Lang] = Field(default_factory=lambda: list[Lang](["en"]), min_length=1)
    limit: int = Field(default=0, ge=0)


class AssayConfig(_Section):
    min_score: float = Field(default=60.0, ge=0, le=100)


class ExportConfig(_Section):
    formats: list[ExportFormat] = Field(default_factory=lambda: list[ExportFormat](["alpaca", "sharegpt"]))


class LLMConfig(_Section):
    base_url: str = ""
    model: str = ""
    api_key_env: str = "GOLDMINE_LLM_API_KEY"


class Settings(_Section):
    """Everything ``goldmine.toml`` can set; command-line flags override it."""

    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    mine: MineConfig = Field(default_factory=MineConfig)
    tickets: TicketsConfig = Field(default_factory=TicketsConfig)
    draft: DraftConfig = Field(default_factory=DraftConfig)
    assay: AssayConfig = Field(default_factory=AssayConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)


CONFIG_TEMPLATE = """\
# goldmine workspace configuration. Every key is optional; command-line flags override these.
# Paths are relative to this file's folder.

[sources]
# Git repositories to mine (a clone, or any folder inside one).
repos = []
# Ticket exports: GitHub issues (REST JSON or `gh issue list --json ...`), GitLab issues
# (API JSON or NDJSON), Jira (CSV export or REST search JSON), or any CSV/JSON/NDJSON export
# whose columns are mapped in [tickets.mapping] below.
tickets = []

[mine]
# Per-file diff text kept in the warehouse; larger diffs are cut and flagged `truncated`.
max_diff_bytes = 200000
# Store author names (e-mail addresses are always stored as a keyed hash only).
author_names = true
# Processes that mine a large history (1000+ new commits) in parallel; 0 = one per core.
jobs = 0

[tickets]
# For an export goldmine does not recognise: what its tickets' tracker is called, a prefix for
# its keys ("SUP-" + "123" -> SUP-123), and how labels are joined in one CSV cell.
source = "generic"
key_prefix = ""
list_separator = ","

[tickets.mapping]
# ticket field = the export's column (a dotted path for nested JSON keys). key and title are
# required; also body, type, labels, state, created, closed, url, comments, resolution, author;
# any other name (component, version, environment ...) is kept in the ticket's fields.
# key = "id"
# title = "subject"

[draft]
# "extractive" needs no network; "llm" calls the endpoint in [llm].
drafter = "extractive"
# Record kinds: "instruction" (instruction → output) and/or "agent" (trajectories).
kinds = ["instruction"]
# Languages to draft records in: "en", "zh" or both.
lang = ["en"]
# Draft at most this many tasks per run (0 = no limit).
limit = 0

[assay]
# Candidates scoring below this (0-100) are rejected even when no hard check fails.
min_score = 60

[export]
# alpaca (instruction records), sharegpt (agent records); LLaMA-Factory loads both.
formats = ["alpaca", "sharegpt"]

[llm]
# Any OpenAI-compatible endpoint. Nothing leaves this machine unless base_url is set.
base_url = ""
model = ""
# The environment variable that holds the API key (never write the key in this file).
api_key_env = "GOLDMINE_LLM_API_KEY"
"""


@dataclass(frozen=True, slots=True)
class Workspace:
    """Paths of one workspace."""

    root: Path

    @classmethod
    def at(cls, path: str | Path | None) -> Workspace:
        """The workspace at ``path``, else ``$GOLDMINE_HOME``, else the current directory."""
        chosen = path or os.environ.get("GOLDMINE_HOME") or "."
        return cls(Path(chosen).expanduser().resolve())

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def database_path(self) -> Path:
        return self.root / DATABASE_NAME

    @property
    def export_dir(self) -> Path:
        return self.root / "export"

    @property
    def prefect_home(self) -> Path:
        return self.root / ".prefect"

    @property
    def key_path(self) -> Path:
        return self.root / ".goldmine-key"

    def ensure(self) -> Workspace:
        """Create the folder if it does not exist yet."""
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"{self.root} is a file, not a folder: choose another --workspace")
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    def write_config(self) -> Path:
        """Write a commented ``goldmine.toml`` unless one exists; return its path."""
        self.ensure()
        if not self.config_path.exists():
            self.config_path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        return self.config_path

    def settings(self) -> Settings:
        """The settings in ``goldmine.toml`` (defaults when the file does not exist)."""
        if not self.config_path.exists():
            return Settings()
        try:
            data = tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{self.config_path} is not valid TOML ({error}); fix it or delete it") from None
        try:
            settings = Settings.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigError(f"{self.config_path}: {where}: {first['msg']}") from None
        return _resolve_paths(settings, self.root)

    def key(self) -> bytes:
        """The workspace's secret key for pseudonymising e-mails and hashing secrets (made once)."""
        if not self.key_path.exists():
            self.ensure()
            self.key_path.write_bytes(secrets.token_bytes(32))
            self.key_path.chmod(0o600)
        return self.key_path.read_bytes()

    def open_warehouse(self, *, read_only: bool = False) -> Warehouse:
        """Open (and migrate) the warehouse file."""
        if read_only and not self.database_path.exists():
            raise ConfigError(f"{self.root} has no warehouse yet: run `goldmine run` or `goldmine demo` first")
        self.ensure()
        return Warehouse(self.database_path, read_only=read_only)


def _resolve_paths(settings: Settings, root: Path) -> Settings:
    def absolute(path: str) -> str:
        return str((root / path).resolve()) if not Path(path).is_absolute() else path

    sources = SourcesConfig(
        repos=[absolute(p) for p in settings.sources.repos],
        tickets=[absolute(p) for p in settings.sources.tickets],
    )
    return settings.model_copy(update={"sources": sources})


def configure_prefect(workspace: Workspace, verbose: bool) -> None:
    """Point Prefect at the workspace's own state, quiet and without telemetry.

    Must run before Prefect is imported. A ``PREFECT_API_URL`` the user set is respected.
    """
    os.environ.setdefault("PREFECT_HOME", str(workspace.prefect_home))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")


def settings_with(settings: Settings, **changes: Any) -> Settings:
    """A copy of ``settings`` with dotted keys replaced (``draft.lang=["zh"]``); None leaves a key."""
    data = settings.model_dump()
    for dotted, value in changes.items():
        if value is None:
            continue
        section, key = dotted.split("__", 1)
        data[section][key] = value
    return Settings.model_validate(data)
