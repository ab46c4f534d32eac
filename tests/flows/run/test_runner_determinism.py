"""One answer per input: the same history gives the same dataset in one process, on the Prefect
pool and on Dask.

The history is the demo's with three of its fixes cherry-picked onto a release branch (the
backports draft the same records, so duplicate clusters form), and drafting is cut into batches
of three tasks, so the fanned-out runners deliver candidates in an order of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.demo.sample_repo import DEMO_HISTORY, build_repository, load_script
from tests.builders import git
from warehouse.store import Warehouse

GOLDMINE = str(Path(sys.executable).parent / "goldmine")
pytestmark = [pytest.mark.prefect, pytest.mark.timeout(1800)]  # three whole runs
BACKPORTED = ("Round order totals", "Reject negative and zero", "Raise UnknownSkuError")
RUNS = {
    "inline": ["--inline"],
    "prefect": ["--runner", "default"],
    "dask": ["--runner", "dask"],
}


def _history_with_backports(path: Path) -> Path:
    """The demo history, three fixes cherry-picked (``-x``) onto a branch from an early commit,
    and that branch merged back (``-s ours``) so that every commit is reachable."""
    build_repository(path, load_script(DEMO_HISTORY))
    log = git(path, "log", "--reverse", "--format=%H %s").splitlines()
    sha_of = {subject: sha for sha, subject in (line.split(" ", 1) for line in log)}
    fixes = [next(sha_of[s] for s in sha_of if s.startswith(start)) for start in BACKPORTED]
    base = next(sha_of[s] for s in sha_of if s.startswith("Add orders with totals"))
    dated = "2024-06-01T10:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": dated, "GIT_COMMITTER_DATE": dated}
    for args in (
        ["checkout", "-q", "-b", "release-0.1", base],
        ["cherry-pick", "-x", *fixes],
        ["checkout", "-q", "main"],
        ["merge", "-q", "-s", "ours", "--no-ff", "-m", "Merge branch release-0.1", "release-0.1"],
    ):
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)
    return path


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}


def _exported(workspace: Path) -> dict[str, bytes]:
    """Every exported file's bytes; the manifest without its ``run_id`` (the one field that
    names the run rather than the data)."""
    files = {p.name: p.read_bytes() for p in sorted((workspace / "export").iterdir())}
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("run_id")
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def test_inline_prefect_and_dask_runs_give_the_same_statuses_and_byte_identical_exports(
    tmp_path: Path,
) -> None:
    repo = _history_with_backports(tmp_path / "stockroom")
    config = (
        f'[sources]\nrepos = ["{repo}"]\n[scale]\nworkers = 2\nunit_commits = 10\ndraft_batch = 3\n'
    )
    statuses, clusters, exports = {}, {}, {}
    for name, flags in RUNS.items():
        workspace = tmp_path / name
        workspace.mkdir()
        (workspace / "goldmine.toml").write_text(config, encoding="utf-8")
        done = subprocess.run(
            [GOLDMINE, "run", *flags, "--workspace", str(workspace)],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
            statuses[name] = warehouse.query(
                "SELECT id, status, score FROM candidates ORDER BY id"
            ).rows
            clusters[name] = warehouse.query(
                "SELECT candidate_id, cluster_id, kept, method FROM dup_clusters ORDER BY 1"
            ).rows
        exports[name] = _exported(workspace)
    assert statuses["prefect"] == statuses["inline"] == statuses["dask"]
    assert clusters["prefect"] == clusters["inline"] == clusters["dask"]
    assert exports["prefect"] == exports["inline"] == exports["dask"]
    # the backports are duplicates of the fixes, and the fixes (committed first) are kept
    assert sum(not kept for _, _, kept, _ in clusters["inline"]) >= len(BACKPORTED)
    assert {"goldmine_alpaca.jsonl", "goldmine_openai.jsonl"} <= set(exports["inline"])
    assert exports["inline"]["goldmine_alpaca.jsonl"].count(b"\n") >= 5
