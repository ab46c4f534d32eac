"""A workspace: the folder holding a project's goldmine config, warehouse, exports and Prefect
state.

Chosen by ``--workspace DIR``, else ``$GOLDMINE_HOME``, else the current directory.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows.errors import ConfigError
from flows.workspace_lock import LockedWarehouse, invoked_command
from warehouse.store import Warehouse
from warehouse.tool_catalog import ToolCatalog, load_tool_catalog

CONFIG_NAME = "goldmine.toml"
SHIPPED_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
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
    # The gold records and tools.json the LLM drafter takes few-shots from; empty: the shipped
    # seeds/.
    seeds: str = ""
    # Render every prompt and count requests and tokens, without calling the model (--dry-run).
    dry_run: bool = False


class AgentConfig(_Section):
    # The command that runs the project's tests in a checkout ("{target}": a test file or id).
    test_command: str = ""
    test_timeout_seconds: int = Field(default=600, gt=0)
    # The tool catalog agent records use; empty: the shipped seeds/tools.json.
    tools: str = ""


class AssayConfig(_Section):
    min_score: float = Field(default=60.0, ge=0, le=100)
    weights: dict[str, float] = Field(default_factory=dict)
    hard: list[str] | None = None
    near_duplicate_jaccard: float = Field(default=0.8, gt=0, le=1)
    holdout_percent: float = Field(default=10.0, ge=0, le=100)
    holdout_after: datetime | date | None = None
    eval_set: str = ""
    contamination_ngram: int = Field(default=13, ge=3)
    contamination_share: float = Field(default=0.1, gt=0, le=1)
    judge: bool = False


class ExportConfig(_Section):
    formats: list[ExportFormat] = Field(
        default_factory=lambda: list[ExportFormat](["alpaca", "sharegpt", "openai"])
    )
    unreviewed: Literal["include", "exclude"] = "include"


class ModelPrice(_Section):
    input_per_mtok: float = Field(ge=0)  # US dollars per million prompt tokens
    output_per_mtok: float = Field(ge=0)  # US dollars per million completion tokens


class LLMConfig(_Section):
    base_url: str = ""
    model: str = ""
    api_key_env: str = "GOLDMINE_LLM_API_KEY"
    timeout_seconds: float = Field(default=120.0, gt=0)
    max_concurrency: int = Field(default=8, ge=1)
    max_retries: int = Field(default=5, ge=0)
    backoff_seconds: float = Field(default=1.0, gt=0)
    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tokens: int = Field(default=4096, gt=0)
    structured_output: Literal["json_schema", "json_object", "none"] = "json_schema"
    few_shots: int = Field(default=1, ge=0, le=5)
    budget_usd: float = Field(default=0.0, ge=0)
    prices: dict[str, ModelPrice] = Field(default_factory=dict)


class ScaleConfig(_Section):
    """Where the mining and drafting of a Prefect run happen (``--runner``)."""

    # "default": a pool of processes on this machine's cores; "dask": a Dask cluster.
    runner: Literal["default", "dask"] = "default"
    # A Dask scheduler (tcp://host:8786); empty: a LocalCluster on this machine.
    dask_address: str = ""
    # Worker processes of the default pool and of the LocalCluster; 0: one per core.
    workers: int = Field(default=0, ge=0)
    # A repository's new commits are mined in units of at most this many (one task each).
    unit_commits: int = Field(default=1000, gt=0)
    # Tasks per drafting batch (one task each, grouped by source).
    draft_batch: int = Field(default=200, gt=0)


class NightlyConfig(_Section):
    """The schedule ``goldmine serve`` registers, and how a scheduled run meets another run."""

    cron: str = "0 2 * * *"
    timezone: str = "UTC"
    # How long a scheduled run waits for another goldmine command to release the workspace.
    wait_seconds: float = Field(default=3600.0, ge=0)


class Settings(_Section):
    """Everything ``goldmine.toml`` can set; command-line flags override it."""

    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    mine: MineConfig = Field(default_factory=MineConfig)
    tickets: TicketsConfig = Field(default_factory=TicketsConfig)
    draft: DraftConfig = Field(default_factory=DraftConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    assay: AssayConfig = Field(default_factory=AssayConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    scale: ScaleConfig = Field(default_factory=ScaleConfig)
    nightly: NightlyConfig = Field(default_factory=NightlyConfig)


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
# Your gold records and tools.json (see seeds/README.md); empty: the shipped seeds/ folder.
seeds = ""

[agent]
# Agent trajectories replay the code-agent tools at each fix's parent commit. To include real
# run_tests steps, give the command that runs your tests in a checkout (it runs your code):
# test_command = "python -m pytest -q {target}"
test_command = ""
test_timeout_seconds = 600
# The tool catalog (names and parameter schemas) agent records use; empty: seeds/tools.json.
tools = ""

[assay]
# Candidates scoring below this (0-100) are rejected even when no hard check fails.
min_score = 60
# Weight of a check in the score, e.g. { logging = 2.0, comments = 0.5 } (see warehouse/README.md).
weights = {}
# Checks whose failure rejects a candidate; leave unset for the defaults (schema, heuristics,
# code_parses, grounding, the agent contract, secrets, duplicates, contamination). schema, secrets
# and contamination always reject, whatever this list says.
# hard = ["length", "code_parses"]
# Two candidates whose shingle sets have a Jaccard similarity at or above this are near-duplicates.
near_duplicate_jaccard = 0.8
# The holdout: the newest N% of accepted records by commit time, or every record after a date
# (holdout_after = 2024-06-01 wins over holdout_percent). A ticket's commits stay on one side.
holdout_percent = 10
# Your own eval set (JSON Lines): candidates sharing at least contamination_share of their
# contamination_ngram-word sequences with it are rejected as contaminated.
eval_set = ""
contamination_ngram = 13
contamination_share = 0.1
# Ask an LLM judge for a rubric score per principle (needs [llm]; also: goldmine assay --judge).
judge = false

[export]
# alpaca (instruction records) and sharegpt (agent records) load in LLaMA-Factory as they are;
# openai is the OpenAI chat fine-tuning format (both kinds, with tools and tool_calls).
formats = ["alpaca", "sharegpt", "openai"]
# Accepted records no person has reviewed yet (`goldmine review`): "include" exports them,
# "exclude" holds them back until a reviewer accepts them. Rejected reviews never export.
unreviewed = "include"

[llm]
# Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server). Nothing leaves this
# machine unless a base URL is set here or in GOLDMINE_LLM_BASE_URL / OPENAI_BASE_URL.
# e.g. "http://localhost:8000/v1" (vLLM), "http://localhost:11434/v1" (Ollama)
base_url = ""
model = ""             # GOLDMINE_LLM_MODEL overrides it
# The environment variable that holds the API key (never write the key in this file).
api_key_env = "GOLDMINE_LLM_API_KEY"
timeout_seconds = 120  # per request
max_concurrency = 8    # requests in flight at most; the client adapts below it on 429s
max_retries = 5        # 429, 5xx and timeouts, with exponential backoff honouring Retry-After
backoff_seconds = 1.0  # first backoff; doubles per retry
temperature = 0.2
max_tokens = 4096
# "json_schema" (structured output), "json_object" (JSON mode) or "none"; the client steps down
# by itself when the server rejects a response_format.
structured_output = "json_schema"
few_shots = 1          # gold records shown in each prompt
# Stop drafting when a run's calls cost this much (0: no budget; --budget-usd).
budget_usd = 0

# Prices per model in US dollars per million tokens, for the budget and llm_calls.cost_usd:
# [llm.prices."gpt-4o-mini"]
# input_per_mtok = 0.15
# output_per_mtok = 0.60

[scale]
# Where a Prefect run (`goldmine run`, `goldmine serve`) mines and drafts: "default" runs each
# source as its own task on a pool of this machine's processes; "dask" (or --runner dask) on a
# Dask cluster. Workers return rows; this machine's goldmine process alone writes the warehouse.
runner = "default"
# A Dask scheduler, e.g. "tcp://10.0.0.5:8786" (its workers need goldmine installed and the
# repositories at the same paths); empty: a LocalCluster on this machine.
dask_address = ""
workers = 0            # processes of the default pool and of the LocalCluster (0: one per core)
unit_commits = 1000    # a large history is mined in units of at most this many new commits
draft_batch = 200      # tasks drafted per unit of work

[nightly]
# `goldmine serve` registers this schedule (cron syntax, in this time zone).
cron = "0 2 * * *"
timezone = "UTC"
# A scheduled run that finds another goldmine command holding the workspace waits this long.
wait_seconds = 3600
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
            raise ConfigError(
                f"{self.config_path} is not valid TOML ({error}); fix it or delete it"
            ) from None
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
            try:  # created readable by its owner only, never for a moment by anyone else
                handle = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return self.key_path.read_bytes()  # another process made it first
            with os.fdopen(handle, "wb") as key_file:
                key_file.write(secrets.token_bytes(32))
        return self.key_path.read_bytes()

    def open_warehouse(
        self, *, read_only: bool = False, wait: float = 0.0, command: str = ""
    ) -> Warehouse:
        """Open (and migrate) the warehouse file, holding the workspace lock until it is closed
        (shared when read-only); wait up to ``wait`` seconds for another goldmine process."""
        if read_only and not self.database_path.exists():
            raise ConfigError(
                f"{self.root} has no warehouse yet: run `goldmine run` or `goldmine demo` first"
            )
        self.ensure()
        return LockedWarehouse(
            self.database_path, read_only=read_only, command=command or invoked_command(), wait=wait
        )


def _resolve_paths(settings: Settings, root: Path) -> Settings:
    def absolute(path: str) -> str:
        return str((root / path).resolve()) if not Path(path).is_absolute() else path

    agent = (
        settings.agent.model_copy(update={"tools": absolute(settings.agent.tools)})
        if settings.agent.tools
        else settings.agent
    )
    sources = SourcesConfig(
        repos=[absolute(p) for p in settings.sources.repos],
        tickets=[absolute(p) for p in settings.sources.tickets],
    )
    draft = settings.draft
    if draft.seeds:
        draft = draft.model_copy(update={"seeds": absolute(draft.seeds)})
    eval_set = absolute(settings.assay.eval_set) if settings.assay.eval_set else ""
    assay = settings.assay.model_copy(update={"eval_set": eval_set})
    return settings.model_copy(
        update={"sources": sources, "agent": agent, "draft": draft, "assay": assay}
    )


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
    """A copy of ``settings`` with dotted keys replaced (``draft.lang=["zh"]``); None leaves a
    key."""
    data = settings.model_dump()
    for dotted, value in changes.items():
        if value is None:
            continue
        section, key = dotted.split("__", 1)
        data[section][key] = value
    return Settings.model_validate(data)


def catalog_of(settings: Settings) -> ToolCatalog:
    """The tool catalog: ``[agent] tools`` when set, else the ``tools.json`` of the seeds folder
    in use."""
    if settings.agent.tools:
        return load_tool_catalog(Path(settings.agent.tools))
    seeds = Path(settings.draft.seeds) if settings.draft.seeds else SHIPPED_SEEDS
    return load_tool_catalog(seeds / "tools.json")
