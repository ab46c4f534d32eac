"""Everything ``goldmine.toml`` can set, declared once: the type, default, bounds and meaning of
every key.

The commented ``goldmine.toml`` that ``goldmine init`` writes is rendered from these models (a
section's docstring and each field's description become its comments), so the file, the
validation and the docs cannot drift apart. Command-line flags override the file
(:func:`settings_with`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from warehouse.export.thoughts import ThoughtStyle
from warehouse.selection.history import LATER_FIX_WINDOW

if TYPE_CHECKING:  # the seeds and the catalog are read when a stage needs them, not to validate
    from warehouse.tool_catalog import ToolCatalog

Lang = Literal["en", "zh"]
ExportFormat = Literal["alpaca", "sharegpt", "agent_openai", "openai"]
Kind = Literal["instruction", "agent"]


def _example(value: str) -> dict[str, Any]:
    """A key the template shows commented out, with this example value."""
    return {"example": value}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourcesConfig(_Section):
    """What to mine."""

    repos: list[str] = Field(
        default_factory=list,
        description="Git repositories to mine (a clone, or any folder inside one).",
    )
    tickets: list[str] = Field(
        default_factory=list,
        description="Ticket exports: GitHub issues (REST JSON or `gh issue list --json ...`), "
        "GitLab issues (API JSON or NDJSON), Jira (CSV export or REST search JSON), or any "
        "CSV/JSON/NDJSON export whose columns are mapped in [tickets.mapping] below.",
    )


class MineConfig(_Section):
    """How history is read."""

    max_diff_bytes: int = Field(
        default=200_000,
        gt=0,
        description="Per-file diff text kept in the warehouse; larger diffs are cut and flagged "
        "`truncated`.",
    )
    author_names: bool = Field(
        default=True,
        description="Store author names (e-mail addresses are always stored as a keyed hash only).",
    )
    jobs: int = Field(
        default=0,
        ge=0,
        description="Processes that mine a large history (1000+ new commits) in parallel; 0 = "
        "one per core.",
    )


class TicketsConfig(_Section):
    """For an export goldmine does not recognise (see miners/generic_tickets.py): what its
    tickets' tracker is called, a prefix for its keys ("SUP-" + "123" -> SUP-123), and how labels
    are joined in one CSV cell."""

    source: str = Field(default="generic", description="The tracker's name in `tickets.tracker`.")
    key_prefix: str = Field(default="", description="Prepended to every key.")
    list_separator: str = Field(default=",", description="Joins several labels in one cell.")
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="ticket field = the export's column (a dotted path for nested JSON keys). "
        "key and title are required; also body, type, labels, state, created, closed, url, "
        "comments, resolution, author; any other name (component, version, environment ...) is "
        "kept in the ticket's fields.",
        json_schema_extra={"examples": ['key = "id"', 'title = "subject"']},
    )


class SelectConfig(_Section):
    """How commits become tasks: a commit is judged with what came after it."""

    later_fix_window: int = Field(
        default=LATER_FIX_WINDOW,
        ge=0,
        description="A commit whose added lines one of the next N commits (or a later one within "
        "14 days) changes again, with a message that says fix, typo, revert or the like, makes no "
        "task; so does one whose code the next commits rewrite within a day (0: do not look).",
    )


class DraftConfig(_Section):
    """Who drafts records, of which kinds and languages."""

    drafter: Literal["extractive", "llm"] = Field(
        default="extractive",
        description='"extractive" needs no network; "llm" calls the endpoint in [llm].',
    )
    kinds: list[Kind] = Field(
        default_factory=lambda: list[Kind](["instruction"]),
        min_length=1,
        description='Record kinds: "instruction" (instruction → output) and/or "agent" '
        "(trajectories).",
    )
    lang: list[Lang] = Field(
        default_factory=lambda: list[Lang](["en"]),
        min_length=1,
        description='Languages to draft records in: "en", "zh" or both.',
    )
    limit: int = Field(
        default=0, ge=0, description="Draft at most this many tasks per run (0 = no limit)."
    )
    seeds: str = Field(
        default="",
        description="Your gold records and tools.json (see seeds/README.md); empty: the "
        "shipped seeds/ folder.",
    )
    dry_run: bool = Field(
        default=False,
        description="Render every prompt and count requests and tokens, without calling the "
        "model (also: --dry-run).",
    )


class AgentConfig(_Section):
    """Agent trajectories replay the code-agent tools at each fix's parent commit."""

    test_command: str = Field(
        default="",
        description="To include real run_tests steps, the command that runs your tests in a "
        'checkout ("{target}": a test file or id). It runs your code.',
        json_schema_extra=_example('"python -m pytest -q {target}"'),
    )
    test_timeout_seconds: int = Field(
        default=600, gt=0, description="How long one run of the test command may take."
    )
    tools: str = Field(
        default="",
        description="The tool catalog (names and parameter schemas) agent records use; empty: "
        "the seeds folder's tools.json.",
    )


class VerifyConfig(_Section):
    """Running each task's acceptance tests in a git worktree: they must fail at the commit's
    parent (with the commit's test files applied) and pass at the commit. It runs your code."""

    command: str = Field(
        default="",
        description='The command that runs tests, in a shell at the worktree\'s root ("{tests}": '
        "the test files that hold a task's acceptance tests). Empty: nothing is run, records "
        "stay `static`.",
        json_schema_extra=_example('"python -m pytest -q {tests}"'),
    )
    setup: str = Field(
        default="",
        description="Run once in each new worktree before any test, e.g. to build a virtual "
        "environment; if it fails, nothing else runs.",
        json_schema_extra=_example('"uv venv -q .venv && uv pip install -q -e . pytest"'),
    )
    timeout_seconds: int = Field(
        default=600,
        gt=0,
        description="How long one run of the command (one side of a task) may take.",
    )
    setup_timeout_seconds: int = Field(
        default=1800, gt=0, description="How long the setup may take."
    )
    max_commits: int = Field(
        default=200,
        ge=0,
        description="Verify the tasks of each repository's newest N commits (0: all).",
    )
    since_days: int = Field(
        default=0, ge=0, description="And only of commits made in the last N days (0: any age)."
    )
    retry_unrunnable: bool = Field(
        default=False,
        description="Run again the tasks whose tests did not run at their commit (after you "
        "fixed the environment); also: goldmine verify --retry-unrunnable.",
    )


class AssayConfig(_Section):
    """How candidates are checked, scored, deduplicated and split."""

    min_score: float = Field(
        default=60.0,
        ge=0,
        le=100,
        description="Candidates scoring below this (0-100) are rejected even when no hard check "
        "fails.",
    )
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Weight of a check in the score, e.g. { logging = 2.0, comments = 0.5 } (see "
        "docs/assay.md).",
    )
    hard: list[str] | None = Field(
        default=None,
        description="Checks whose failure rejects a candidate; leave unset for the defaults "
        "(schema, heuristics, code_parses, grounding, the agent contract, secrets, duplicates, "
        "contamination). schema, secrets and contamination always reject, whatever this list "
        "says.",
        json_schema_extra=_example('["length", "code_parses"]'),
    )
    near_duplicate_jaccard: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Two candidates whose shingle sets have a Jaccard similarity at or above "
        "this are near-duplicates.",
    )
    holdout_percent: float = Field(
        default=10.0,
        ge=0,
        le=100,
        description="The holdout: the newest N% of accepted records by commit time. A ticket's "
        "commits stay on one side.",
    )
    holdout_after: datetime | date | None = Field(
        default=None,
        description="Or every record after a date (it wins over holdout_percent).",
        json_schema_extra=_example("2024-06-01"),
    )
    eval_set: str = Field(
        default="",
        description="Your own eval set (JSON Lines): candidates sharing at least "
        "contamination_share of their contamination_ngram-word sequences with it are rejected "
        "as contaminated.",
    )
    contamination_ngram: int = Field(
        default=13, ge=3, description="The word sequences compared with the eval set."
    )
    contamination_share: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="The share of them that makes a candidate contaminated.",
    )
    judge: bool = Field(
        default=False,
        description="Ask an LLM judge for a rubric score per principle (needs [llm]; also: "
        "goldmine assay --judge).",
    )


class ExportConfig(_Section):
    """What is written to export/."""

    formats: list[ExportFormat] = Field(
        default_factory=lambda: list[ExportFormat](["alpaca", "sharegpt", "openai"]),
        description="alpaca (instruction records) and sharegpt (agent records) load in "
        "LLaMA-Factory as they are; agent_openai is the agent records in LLaMA-Factory's "
        '`formatting: "openai"` (messages with role and content); openai is the OpenAI chat '
        "fine-tuning format (both kinds, with tools and tool_calls).",
    )
    thoughts: list[ThoughtStyle] = Field(
        default_factory=lambda: list[ThoughtStyle](["inline"]),
        min_length=1,
        description="How an agent step's thought is written in sharegpt and agent_openai, one "
        'dataset per style: "inline" (plain text before the call; goldmine_sharegpt), "think" '
        "(inside <think>…</think>, for qwen3-style reasoning templates; goldmine_sharegpt_think), "
        '"drop" (no thought; goldmine_sharegpt_nothought).',
        json_schema_extra=_example('["inline", "think"]'),
    )
    tokenizer: str = Field(
        default="",
        description="Counts each exported row's tokens: a tokenizer.json, or a .gguf model file "
        "(its byte-level BPE tokenizer is read). Empty: an estimate that errs long (one token per "
        "2.9 ASCII bytes, one per digit, two per other character).",
        json_schema_extra=_example('"~/models/Qwen3-8B/tokenizer.json"'),
    )
    max_tokens: int = Field(
        default=0,
        ge=0,
        description="Keep out of a file every row longer than this many tokens (stored in "
        "export_drops with the reason), so nothing is cut before its final answer; set it a little "
        "under LLaMA-Factory's cutoff_len (2048 by default). 0: count only.",
    )
    unreviewed: Literal["include", "exclude"] = Field(
        default="include",
        description="Accepted records no person has reviewed yet (`goldmine review`): "
        '"include" exports them, "exclude" holds them back until a reviewer accepts them. '
        "Rejected reviews never export.",
    )
    require_executed: bool = Field(
        default=False,
        description="Export only records whose acceptance tests were run ([verify]): "
        "verification `executed`, not `static`.",
    )


class ModelPrice(_Section):
    """A model's price in US dollars per million tokens."""

    input_per_mtok: float = Field(ge=0, description="Per million prompt tokens.")
    output_per_mtok: float = Field(ge=0, description="Per million completion tokens.")


class LLMConfig(_Section):
    """Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server). Nothing leaves
    this machine unless a base URL is set here or in GOLDMINE_LLM_BASE_URL / OPENAI_BASE_URL."""

    base_url: str = Field(
        default="",
        description='e.g. "http://localhost:8000/v1" (vLLM), "http://localhost:11434/v1" (Ollama).',
    )
    model: str = Field(default="", description="GOLDMINE_LLM_MODEL overrides it.")
    api_key_env: str = Field(
        default="GOLDMINE_LLM_API_KEY",
        description="The environment variable that holds the API key (never write the key in "
        "this file).",
    )
    timeout_seconds: float = Field(default=120.0, gt=0, description="Per request.")
    max_concurrency: int = Field(
        default=8,
        ge=1,
        description="Requests in flight at most; the client adapts below it on 429s.",
    )
    max_retries: int = Field(
        default=5,
        ge=0,
        description="429, 5xx and timeouts, with exponential backoff honouring Retry-After.",
    )
    backoff_seconds: float = Field(
        default=1.0, gt=0, description="The first backoff; it doubles per retry."
    )
    temperature: float = Field(default=0.2, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(default=4096, gt=0, description="The longest reply asked for.")
    context_tokens: int = Field(
        default=16384,
        ge=0,
        description="The model's context in tokens (about 4 characters each): a drafting prompt "
        "is cut to fit it with max_tokens left for the reply, its least useful facts first "
        "(0: no limit).",
    )
    structured_output: Literal["json_schema", "json_object", "none"] = Field(
        default="json_schema",
        description='The strongest response_format to try: "json_schema" (structured output), '
        '"json_object" (JSON mode) or "none"; the mode the server accepts is found on the first '
        "request and remembered in llm_endpoints.",
    )
    few_shots: int = Field(default=1, ge=0, le=5, description="Gold records shown in each prompt.")
    budget_usd: float = Field(
        default=0.0,
        ge=0,
        description="Stop drafting when a run's calls cost this much (0: no budget; --budget-usd).",
    )
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description="Prices per model in US dollars per million tokens, for the budget and "
        "llm_calls.cost_usd.",
        json_schema_extra={
            "examples": [
                '[llm.prices."gpt-4o-mini"]',
                "input_per_mtok = 0.15",
                "output_per_mtok = 0.60",
            ]
        },
    )


class ScaleConfig(_Section):
    """Where a Prefect run (`goldmine run`, `goldmine serve`) mines and drafts. Workers return
    rows; this machine's goldmine process alone writes the warehouse."""

    runner: Literal["default", "dask"] = Field(
        default="default",
        description='"default" runs each source as its own task on a pool of this machine\'s '
        'processes; "dask" (or --runner dask) on a Dask cluster.',
    )
    dask_address: str = Field(
        default="",
        description='A Dask scheduler, e.g. "tcp://10.0.0.5:8786" (its workers need goldmine '
        "installed and the repositories at the same paths); empty: a LocalCluster on this "
        "machine.",
    )
    workers: int = Field(
        default=0,
        ge=0,
        description="Processes of the default pool and of the LocalCluster (0: one per core).",
    )
    unit_commits: int = Field(
        default=1000,
        gt=0,
        description="A large history is mined in units of at most this many new commits.",
    )
    draft_batch: int = Field(default=200, gt=0, description="Tasks drafted per unit of work.")


class NightlyConfig(_Section):
    """The schedule `goldmine serve` registers, and how a scheduled run meets another run."""

    cron: str = Field(default="0 2 * * *", description="When to run, in cron syntax.")
    timezone: str = Field(default="UTC", description="The schedule's time zone.")
    wait_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="How long a scheduled run that finds another goldmine command holding the "
        "workspace waits for it.",
    )


class PrefectConfig(_Section):
    """Where `goldmine run` reports to Prefect. With an API (here, or PREFECT_API_URL), every run
    is a Prefect flow shown in its UI; without one, a run runs the same stages in this process
    (`--prefect` makes it a flow on Prefect's ephemeral server)."""

    api_url: str = Field(
        default="",
        description="A Prefect server's API (`prefect server start`); PREFECT_API_URL overrides "
        "it. Empty: none.",
        json_schema_extra=_example('"http://127.0.0.1:4200/api"'),
    )


class Settings(_Section):
    """Everything ``goldmine.toml`` can set; command-line flags override it."""

    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    mine: MineConfig = Field(default_factory=MineConfig)
    tickets: TicketsConfig = Field(default_factory=TicketsConfig)
    select: SelectConfig = Field(default_factory=SelectConfig)
    draft: DraftConfig = Field(default_factory=DraftConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    verify: VerifyConfig = Field(default_factory=VerifyConfig)
    assay: AssayConfig = Field(default_factory=AssayConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    scale: ScaleConfig = Field(default_factory=ScaleConfig)
    nightly: NightlyConfig = Field(default_factory=NightlyConfig)
    prefect: PrefectConfig = Field(default_factory=PrefectConfig)


_TEMPLATE_HEAD = (
    "# goldmine workspace configuration. Every key is optional; command-line flags override "
    "these.\n# Paths are relative to this file's folder.\n"
)


def config_template() -> str:
    """The commented ``goldmine.toml`` that ``goldmine init`` writes: every key at its default."""
    parts = [_TEMPLATE_HEAD]
    for name, field in Settings.model_fields.items():
        section = field.annotation
        assert isinstance(section, type) and issubclass(section, _Section)
        parts.append(_section_text(name, section))
    return "\n".join(parts)


def _section_text(name: str, section: type[_Section]) -> str:
    lines = [f"[{name}]", *_comment(section.__doc__ or "")]
    tables: list[str] = []
    for key, field in section.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, dict) and not default and _is_table(field):
            tables += ["", f"[{name}.{key}]", *_comment(field.description or "")]
            tables += [f"# {example}" for example in _extra(field, "examples")]
            continue
        lines += _comment(field.description or "")
        example = _extra(field, "example")
        if default is None or example:
            lines.append(f"# {key} = {example[0] if example else '...'}")
        if default is not None:
            lines.append(f"{key} = {_toml_value(default)}")
    return "\n".join(lines + tables) + "\n"


def _is_table(field: FieldInfo) -> bool:
    """A mapping of names to values or sub-tables, written as its own ``[section.key]`` table."""
    return bool(_extra(field, "examples")) or "ModelPrice" in str(field.annotation)


def _extra(field: FieldInfo, key: str) -> list[str]:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    value = extra.get(key)
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _comment(text: str) -> list[str]:
    """Text as ``#`` lines of at most 100 columns."""
    words = " ".join(text.split()).split(" ") if text.strip() else []
    lines: list[str] = []
    line = "#"
    for word in words:
        if len(line) + 1 + len(word) > 100:
            lines.append(line)
            line = "#"
        line += " " + word
    return [*lines, line] if words else []


def _toml_value(value: Any) -> str:
    """A TOML value for the defaults settings use: booleans, numbers, strings, lists, tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items())
        return "{" + (f" {items} " if items else "") + "}"
    raise TypeError(f"no TOML form for {value!r}")


def settings_with(settings: Settings, **changes: Any) -> Settings:
    """A copy of ``settings`` with dotted keys replaced (``draft__lang=["zh"]``); None leaves a
    key."""
    data = settings.model_dump()
    for dotted, value in changes.items():
        if value is None:
            continue
        section, key = dotted.split("__", 1)
        data[section][key] = value
    return Settings.model_validate(data)


def resolve_paths(settings: Settings, root: Path) -> Settings:
    """The settings with every relative path made absolute against ``root`` (the config's
    folder)."""

    def absolute(path: str) -> str:
        given = Path(path).expanduser()  # "~/src/api" means the user's folder, as in a shell
        return str((root / given).resolve()) if not given.is_absolute() else str(given)

    agent = settings.agent
    if agent.tools:
        agent = agent.model_copy(update={"tools": absolute(agent.tools)})
    sources = SourcesConfig(
        repos=[absolute(p) for p in settings.sources.repos],
        tickets=[absolute(p) for p in settings.sources.tickets],
    )
    draft = settings.draft
    if draft.seeds:
        draft = draft.model_copy(update={"seeds": absolute(draft.seeds)})
    eval_set = absolute(settings.assay.eval_set) if settings.assay.eval_set else ""
    assay = settings.assay.model_copy(update={"eval_set": eval_set})
    export = settings.export
    if export.tokenizer:
        export = export.model_copy(update={"tokenizer": absolute(export.tokenizer)})
    return settings.model_copy(
        update={
            "sources": sources,
            "agent": agent,
            "draft": draft,
            "assay": assay,
            "export": export,
        }
    )


def seeds_folder(settings: Settings) -> Path:
    """The seeds folder in use: ``[draft] seeds`` when set, else the shipped ``seeds/``."""
    from warehouse.seed_folder import SEEDS_DIR

    return Path(settings.draft.seeds) if settings.draft.seeds else SEEDS_DIR


def catalog_path(settings: Settings) -> Path:
    """The tool catalog file: ``[agent] tools`` when set, else the seeds folder's
    ``tools.json``."""
    from warehouse.seed_folder import CATALOG_NAME

    if settings.agent.tools:
        return Path(settings.agent.tools)
    return seeds_folder(settings) / CATALOG_NAME


def catalog_of(settings: Settings) -> ToolCatalog:
    """The tool catalog in use (see :func:`catalog_path`)."""
    from warehouse.tool_catalog import load_tool_catalog

    return load_tool_catalog(catalog_path(settings))
