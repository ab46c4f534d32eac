"""``goldmine demo``: the whole pipeline on an embedded default, with no LLM and no network.

It mines goldmine's own history when this checkout has enough of it (a full clone with at least
20 commits), otherwise a small sample project built from bundled fixtures, plus a bundled sample
ticket export; drafts in English and Chinese with the extractive drafter; assays; exports.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from flows.demo.sample_repo import (
    DEMO_HISTORY,
    DEMO_SUPPORT_TICKETS,
    DEMO_TICKETS,
    build_repository,
    load_script,
)
from flows.run.pipeline import PIPELINE, run_stages
from flows.settings import settings_with
from flows.workspace import Workspace
from miners.errors import SourceError
from miners.git_history import open_repository

CHECKOUT = Path(__file__).resolve().parents[2]
MIN_OWN_COMMITS = 20
EXAMPLE_QUERIES = (
    "select task_type, lang, count(*) as accepted from candidates where status = 'accepted' group "
    "by all order by all",
    'select "check", count(*) as failures from checks where not passed group by 1 order by 2 desc',
    "select left(c.sha, 10) as sha, c.subject, t.family, t.status, t.reason from tasks t "
    "join commits c on c.id = t.commit_id order by c.committed_at desc limit 15",
)


def demo_repository(workspace: Workspace) -> tuple[Path, str]:
    """The repository the demo mines, and a sentence saying which and why."""
    if _usable_checkout(CHECKOUT):
        return CHECKOUT, f"mining goldmine's own history at {CHECKOUT}"
    target = workspace.root / "sample-repo"
    if not (target / ".git").exists():
        build_repository(target, load_script(DEMO_HISTORY))
    return target, (
        f"this checkout is shallow or has fewer than {MIN_OWN_COMMITS} commits: "
        f"mining the bundled sample project built at {target}"
    )


def _usable_checkout(path: Path) -> bool:
    try:
        info = open_repository(path)
    except SourceError:
        return False
    if info.path != path or info.is_shallow:
        return False
    count = subprocess.run(
        ["git", "--git-dir", str(info.git_dir), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return count.returncode == 0 and int(count.stdout.strip() or 0) >= MIN_OWN_COMMITS


def run_demo(
    workspace: Workspace,
    *,
    use_prefect: bool | None,
    verbose: bool,
    say: Callable[[str], None],
) -> None:
    """Run the pipeline on the demo sources and print what it made and how to look at it."""
    workspace.ensure()
    repo, why = demo_repository(workspace)
    say(why)
    settings = settings_with(
        workspace.settings(),
        sources__repos=[str(repo)],
        sources__tickets=[str(DEMO_TICKETS), str(DEMO_SUPPORT_TICKETS)],
        draft__drafter="extractive",
        draft__lang=["en", "zh"],
        draft__kinds=["instruction", "agent"],
    )
    run_id, counts = run_stages(
        workspace,
        settings,
        PIPELINE,
        command="demo",
        use_prefect=use_prefect,
        verbose=verbose,
        say=say,
    )
    _report(workspace, run_id, counts, say)


def _report(
    workspace: Workspace,
    run_id: str,
    counts: dict[str, dict[str, object]],
    say: Callable[[str], None],
) -> None:
    mined = counts["mine"]["added"]
    drafted, assayed, exported = counts["draft"], counts["assay"], counts["export"]
    say(f"\nrun {run_id}")
    say(f"  mined     {mined}")
    say(
        f"  drafted   {drafted['candidates']} candidates from {drafted['tasks_selected']} "
        "selected tasks"
    )
    say(f"  assayed   {assayed['accepted']} accepted, {assayed['rejected']} rejected")
    for note in counts["mine"].get("notes", []):  # type: ignore[attr-defined]
        say(f"  note: {note}")
    files = exported["files"]
    assert isinstance(files, dict)
    say(f"\nwarehouse  {workspace.database_path}")
    for name, path in files.items():
        say(f"export     {path}  ({name})")
    say(f"export     {workspace.export_dir / 'dataset_info.json'}  (LLaMA-Factory dataset_info)")
    say("\nlook inside:")
    for query in EXAMPLE_QUERIES:
        say(f"  uv run goldmine sql {_shell_quoted(query)} --workspace {workspace.root}")


def _shell_quoted(query: str) -> str:
    """Quote a query for a POSIX shell the way a person would type it."""
    if '"' not in query and "$" not in query and "`" not in query:
        return f'"{query}"'
    return "'" + query.replace("'", "'\\''") + "'"
