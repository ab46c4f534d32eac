"""Agent trajectories mined from history: every observation is what the repository really
returns."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.demo.sample_repo import DEMO_HISTORY, DEMO_TICKETS, build_repository, load_script
from flows.draft.drafting import DraftSkipped
from flows.draft.extractive_agent import TrajectoryDrafter, first_hit_elsewhere, how_the_hit_names
from miners.tool_results import (
    DirectoryListing,
    PatchApplied,
    SearchHit,
    SearchHits,
    ToolResult,
    render,
)
from tests.builders import Cli, JsonObject, json_object
from warehouse.landing.repositories import (
    LandingOptions,
    land_repository,
    land_ticket_export,
    link_tickets,
)
from warehouse.records import AgentRecord
from warehouse.selection.commits import select_tasks
from warehouse.selection.task_context import ContextLoader
from warehouse.store import Warehouse
from warehouse.tool_catalog import load_tool_catalog


def _agent_records(workspace: Path, lang: str | None = None) -> list[JsonObject]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT record FROM candidates WHERE kind = 'agent' ORDER BY id"
        ).rows
    records = [json_object(row[0]) for row in rows]
    return [r for r in records if lang is None or r["lang"] == lang]


def _steps(record: JsonObject) -> Iterator[tuple[str, JsonObject, str]]:
    """(tool, parameters, result) of every call; a repository tool's result is text."""
    turns = record["conversation"]
    for turn, answer in itertools.pairwise(turns):
        action = turn["content"].get("action") if turn["role"] == "assistant" else None
        if action:
            assert answer["role"] == "tool"
            result = answer["content"]["result"]
            assert isinstance(result, str), result
            yield action["tool_name"], action["parameters"], result


_DETOUR = re.compile(
    r"`[^`]+` (?:only uses|only mentions|defines a different"
    r"|只是调用了|只是提到了|里定义的是另一个) `([^`]+)`"
)


def _detours_name_what_they_read(turns: list[JsonObject]) -> bool:
    """Each "`file` only uses `name`" follows a read of that file that shows `name` as a whole
    word."""
    observed, found = "", False
    for turn in turns:
        if turn["role"] == "tool":
            observed = str(turn["content"]["result"])
        elif turn["role"] == "assistant" and (detour := _DETOUR.search(turn["content"]["thought"])):
            assert re.search(rf"(?<!\w){re.escape(detour.group(1))}(?!\w)", observed), turn[
                "content"
            ]["thought"]
            found = True
    return found


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=False
    ).stdout


def _expected(repo: Path, parent: str, sha: str, tool: str, parameters: JsonObject) -> str | None:
    """What the tool must have returned, computed here with plain git, independently of goldmine."""
    if tool == "read_file":
        if _git(repo, "cat-file", "-t", f"{parent}:{parameters['path']}").strip() != "blob":
            return f"Error: {parameters['path']} does not exist"
        lines = _git(repo, "show", f"{parent}:{parameters['path']}").splitlines()
        first, last = parameters.get("start_line", 1), parameters.get("end_line", len(lines))
        return "\n".join(f"{n:>4} | {lines[n - 1]}".rstrip() for n in range(first, last + 1))
    if tool == "search_code":
        grep = _git(repo, "grep", "-n", "-I", "-F", "-e", parameters["query"], parent).splitlines()
        hits = [f"{p}:{n}: {text}" for _, p, n, text in (line.split(":", 3) for line in grep)]
        if len(hits) > 50:
            hits = [*hits[:50], f"({len(hits) - 50} more hits not shown)"]
        return "\n".join(hits) if hits else f"No matches for '{parameters['query']}'"
    if tool == "list_directory":
        listed = _git(
            repo,
            "ls-tree",
            f"{parent}:{parameters['path']}" if parameters["path"] != "." else parent,
        )
        return "\n".join(
            sorted(
                n + "/" if m.split()[1] == "tree" else n
                for m, n in (entry.split("\t") for entry in listed.splitlines())
            )
        )
    if tool == "apply_patch":
        paths = [
            line.split(" b/", 1)[1]
            for line in parameters["patch"].splitlines()
            if line.startswith("diff --git ")
        ]
        real = _git(
            repo, "diff", "-M", "--src-prefix=a/", "--dst-prefix=b/", parent, sha, "--", *paths
        )
        # the commit's own diff, without the blob ids no agent writing it could know
        assert parameters["patch"] == re.sub(r"(?m)^index [0-9a-f]+\.\.[0-9a-f]+.*\n", "", real)
        assert "\nindex " not in parameters["patch"]
        return None
    return None


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("trajectories")
    repo = build_repository(root / "sample", load_script(DEMO_HISTORY))
    workspace = root / "ws"
    from click.testing import CliRunner

    from flows.commands.cli import main

    args = [
        "run",
        "--inline",
        "--repo",
        str(repo),
        "--tickets",
        str(DEMO_TICKETS),
        "--kinds",
        "agent",
        "--lang",
        "both",
        "--workspace",
        str(workspace),
    ]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return repo, workspace


def test_observations_equal_what_git_returns_at_the_parent_commit(
    demo_workspace: tuple[Path, Path],
) -> None:
    repo, workspace = demo_workspace
    records = _agent_records(workspace, "en")
    assert len(records) >= 5
    checked = 0
    for record in records:
        assert record["provenance"]["observations"] == "replayed"
        sha = _git(repo, "rev-parse", record["provenance"]["commits"][0]).strip()
        parent = _git(repo, "rev-parse", f"{sha}^").strip()
        for tool, parameters, observed in _steps(record):
            expected = _expected(repo, parent, sha, tool, parameters)
            if expected is not None:
                assert observed == expected, (record["id"], tool, parameters)
                checked += 1
            if tool == "apply_patch":
                assert observed.startswith("Applied patch:\n")
    assert checked >= 20


def test_trajectories_follow_the_contract_and_show_real_variety(
    demo_workspace: tuple[Path, Path],
) -> None:
    _, workspace = demo_workspace
    records = _agent_records(workspace)
    catalog = {
        t["name"]
        for t in json.loads((Path(__file__).parents[3] / "seeds" / "tools.json").read_text())[
            "tools"
        ]
    }
    misses = detours = errors = 0
    for record in records:
        turns = record["conversation"]
        assert turns[0]["role"] == "user" and turns[-1]["content"]["final_answer"]
        assert all(t["content"]["thought"] for t in turns if t["role"] == "assistant")
        assert {t["name"] for t in record["tools"]} <= catalog
        results = [observed for _, _, observed in _steps(record)]
        misses += any(r.startswith("No matches for") for r in results)
        errors += any(r.startswith("Error: ") for r in results[:1])
        detours += _detours_name_what_they_read(turns)
        applied = next(r for r in reversed(results) if r.startswith("Applied patch:"))
        assert applied.splitlines()[1] in turns[-1]["content"]["final_answer"]
    assert misses >= 1 and detours >= 1 and errors >= 1


def test_chinese_trajectories_keep_code_and_observations(demo_workspace: tuple[Path, Path]) -> None:
    _, workspace = demo_workspace
    english = {r["provenance"]["task_id"]: r for r in _agent_records(workspace, "en")}
    for record in _agent_records(workspace, "zh"):
        twin = english[record["provenance"]["task_id"]]
        assert "智能体" in record["system"] and "请" in record["conversation"][0]["content"]
        assert [s[2] for s in _steps(record)] == [s[2] for s in _steps(twin)]


def test_run_tests_steps_run_the_real_tests_when_a_command_is_configured(
    cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    command = f"env PYTHONPATH=src {sys.executable} -m pytest -q -p no:cacheprovider {{target}}"
    (workspace / "goldmine.toml").write_text(f"[agent]\ntest_command = {json.dumps(command)}\n")
    record = _one_agent_record(cli, stock_repo, stock_tickets, workspace)
    steps = list(_steps(record))
    assert [tool for tool, _, _ in steps][-4:] == [
        "apply_patch",
        "run_tests",
        "apply_patch",
        "run_tests",
    ]
    before, after = steps[-3][2], steps[-1][2]
    assert before.startswith("exit code 1\n") and "test_reserve_rejects_negative_quantity" in before
    assert after.startswith("exit code 0\n") and "1 passed" in after
    assert "run_tests" in {t["name"] for t in record["tools"]}


def test_without_a_test_command_no_run_tests_step_is_invented(
    cli: Cli, stock_repo: Path, stock_tickets: Path, tmp_path: Path
) -> None:
    record = _one_agent_record(cli, stock_repo, stock_tickets, tmp_path)
    assert "run_tests" not in [tool for tool, _, _ in _steps(record)]


def _one_agent_record(cli: Cli, repo: Path, tickets: Path, workspace: Path) -> JsonObject:
    """Run the pipeline for agent records only; the one record it drafts."""
    args = (
        "run",
        "--inline",
        "--repo",
        repo,
        "--tickets",
        tickets,
        "--kinds",
        "agent",
        "--workspace",
        workspace,
    )
    assert cli(*args).exit_code == 0
    [record] = _agent_records(workspace)
    return record
    assert "run_tests" not in {t["name"] for t in record["tools"]}


_DEFINITION = SearchHit(
    "flows/review/app.py", 171, "async def _form(request: Request) -> dict[str, list[str]]:"
)


@pytest.mark.parametrize(
    ("first_hit", "detour"),
    [
        (SearchHit("flows/commands/cli.py", 12, "    form = _form(request)"), True),
        (
            SearchHit(
                "README.md",
                187,
                "- **Replies**: structured output (`response_format: json_schema`);",
            ),
            False,
        ),
        (SearchHit("flows/commands/cli.py", 91, "    export__formats=list(flags)"), False),
        (SearchHit("docs/review.md", 4, "The review page posts `_form` back."), True),  # a mention
        (SearchHit("flows/review/app.py", 3, "from flows.review.forms import _form"), False),
    ],
)
def test_a_detour_starts_only_at_a_real_use_of_the_name(first_hit: SearchHit, detour: bool) -> None:
    hits = SearchHits("_form", (first_hit, _DEFINITION))
    assert first_hit_elsewhere(hits, "flows/review/app.py", "_form") == (
        first_hit if detour else None
    )


def test_no_detour_when_the_units_file_is_not_among_the_hits_shown() -> None:
    elsewhere = SearchHit("flows/commands/cli.py", 12, "    form = _form(request)")
    assert first_hit_elsewhere(SearchHits("_form", (elsewhere,), more=7), "x.py", "_form") is None
    assert first_hit_elsewhere(SearchHits("_form", ()), "flows/review/app.py", "_form") is None


# another open_session
@pytest.mark.parametrize(
    ("path", "text", "how"),
    [
        (
            "src/flask/app.py",
            "     def open_session(self, request):",
            "defines",
        ),
        (
            "src/flask/app.py",
            "         return self.session_interface.open_session(self, request)",
            "uses",
        ),
        ("docs/api.rst", ".. automethod:: open_session", "mentions"),
        ("pkg/store/store.go", "func (s *Store) open_session() error {", "defines"),
    ],
)
def test_the_thought_after_a_detour_says_what_the_first_hit_was(
    path: str, text: str, how: str
) -> None:
    assert how_the_hit_names(path, text, "open_session") == how


def _reworded(result: ToolResult) -> str:
    """The same results in other words than the catalog's: nothing a text parser would know."""
    if isinstance(result, SearchHits):
        if not result.hits:
            return f"Nothing contains {result.query!r}."
        return "\n".join(f"{h.text.strip()}  <- line {h.line} of {h.path}" for h in result.hits)
    if isinstance(result, PatchApplied):
        return "Patch OK; changed " + ", ".join(f.path for f in result.files)
    if isinstance(result, DirectoryListing):
        return "Entries: " + " | ".join(e.name for e in result.entries)
    return f"[{type(result).__name__}] " + render(result).replace(":", " -")


def test_decisions_come_from_the_results_not_their_wording(tmp_path: Path) -> None:
    """Drafting the demo's trajectories with other wording for every tool result changes only
    the tool turns: every thought, every call (which files are read, which lines, in which
    order) and every answer stay the same, misses and detours included."""
    repo = build_repository(tmp_path / "sample", load_script(DEMO_HISTORY))
    key = b"k" * 32
    catalog = load_tool_catalog(Path(__file__).parents[3] / "seeds" / "tools.json")
    as_catalog, reworded = (
        TrajectoryDrafter(catalog, key),
        TrajectoryDrafter(catalog, key, None, _reworded),
    )
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        options = LandingOptions(key=key)
        land_repository(warehouse, repo, "r", options)
        land_ticket_export(warehouse, DEMO_TICKETS, "r", options)
        link_tickets(warehouse)
        select_tasks(warehouse, "r")
        task_ids = warehouse.query(
            "SELECT id FROM tasks WHERE status = 'selected' AND commit_id IS NOT NULL ORDER BY id"
        ).rows
        loader = ContextLoader(warehouse, key)
        pairs = []
        for (task_id,) in task_ids:
            context = loader.load(task_id)
            for lang in ("en", "zh"):
                pairs.append(
                    (
                        as_catalog.draft(context, "agent", lang),
                        reworded.draft(context, "agent", lang),
                    )
                )
        loader.close()
    drafted = [(a, b) for a, b in pairs if isinstance(a, AgentRecord)]
    assert len(drafted) >= 10
    for first, second in pairs:
        if isinstance(first, DraftSkipped):
            assert second == first
    observed = {"misses": 0, "detours": 0, "listings": 0, "reworded": 0}
    for first, second in drafted:
        assert isinstance(second, AgentRecord)
        one, other = first.model_dump(mode="json"), second.model_dump(mode="json")
        assert one["id"] == other["id"]
        mine = [t for t in one["conversation"] if t["role"] != "tool"]
        theirs = [t for t in other["conversation"] if t["role"] != "tool"]
        assert mine == theirs
        results = [(a, b) for a, b in zip(_steps(one), _steps(other), strict=True)]
        observed["reworded"] += sum(a[2] != b[2] for a, b in results)
        observed["misses"] += sum(str(a[2]).startswith("No matches for") for a, _ in results)
        observed["detours"] += _detours_name_what_they_read(one["conversation"])
        observed["listings"] += sum(a[0] == "list_directory" for a, _ in results)
    assert all(observed.values()), observed
