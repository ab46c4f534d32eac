"""Nightly runs against a real Prefect server on loopback, and the Dask runner, end to end.

The server is started once for the module (``prefect server start`` on 127.0.0.1, through the
same class ``goldmine serve --with-server`` uses); goldmine runs in real subprocesses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from flows.demo.sample_repo import DEMO_HISTORY, DEMO_TICKETS, build_repository, load_script
from flows.run.prefect_server import LocalPrefectServer, is_healthy
from tests.builders import JsonObject, git
from warehouse.store import Warehouse

GOLDMINE = str(Path(sys.executable).parent / "goldmine")
pytestmark = pytest.mark.prefect
T = TypeVar("T")


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with LocalPrefectServer(tmp_path_factory.mktemp("prefect") / ".prefect") as url:
        yield url


def _env(api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOLDMINE_"))}
    return {**env, "PREFECT_API_URL": api_url} if api_url else env


BUSY_RETRIES = 5  # Prefect's server answers 503 while its database is busy; its client retries


def _request(url: str, method: str, path: str, body: dict[str, object] | None) -> object:
    """One call of Prefect's REST API, retried on 503 as Prefect's own client does."""
    for attempt in range(BUSY_RETRIES):
        response = httpx.request(method, f"{url}{path}", json=body, timeout=30)
        if response.status_code != httpx.codes.SERVICE_UNAVAILABLE or attempt == BUSY_RETRIES - 1:
            break
        time.sleep(1 + attempt)
    response.raise_for_status()
    found: object = response.json()
    return found


def _get(url: str, path: str) -> JsonObject:
    """One object from Prefect's REST API."""
    found = _request(url, "GET", path, None)
    assert isinstance(found, dict), found
    return found


def _create(url: str, path: str) -> JsonObject:
    """Create something through Prefect's REST API; what it created."""
    found = _request(url, "POST", path, {})
    assert isinstance(found, dict), found
    return found


def _filter(url: str, path: str, body: dict[str, object] | None = None) -> list[JsonObject]:
    """The objects a ``POST …/filter`` of Prefect's REST API finds."""
    found = _request(url, "POST", path, body or {})
    assert isinstance(found, list) and all(isinstance(item, dict) for item in found), found
    return found


def _wait_for(what: str, probe: Callable[[], T | None], seconds: float = 180) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def _run_deployment(url: str, deployment_id: str) -> JsonObject:
    run = _create(url, f"/deployments/{deployment_id}/create_flow_run")

    def finished() -> JsonObject | None:
        state = _get(url, f"/flow_runs/{run['id']}")
        return (
            state
            if state["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
            else None
        )

    return _wait_for("the flow run", finished)


def _commit(repo: Path, path: str, text: str, message: str) -> str:
    (repo / path).write_text(text, encoding="utf-8")
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def test_serve_runs_the_scheduled_deployment_and_a_triggered_run_adds_only_new_commits(
    prefect_api: str, stock_repo: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "W"
    workspace.mkdir()
    (workspace / "goldmine.toml").write_text(
        f'[sources]\nrepos = ["{stock_repo}"]\n', encoding="utf-8"
    )
    command = [GOLDMINE, "serve", "--cron", "0 2 * * *", "--workspace", str(workspace)]
    with subprocess.Popen(
        command, env=_env(prefect_api), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as serving:
        try:
            [deployment] = _wait_for(
                "the deployment", lambda: _filter(prefect_api, "/deployments/filter")
            )
            assert deployment["name"] == "w" and deployment["parameters"] == {
                "workspace": str(workspace)
            }
            [schedule] = deployment["schedules"]
            assert schedule["schedule"]["cron"] == "0 2 * * *" and schedule["active"]

            first = _run_deployment(prefect_api, deployment["id"])
            assert first["state_type"] == "COMPLETED", first["state"]
            old_head = git(stock_repo, "rev-parse", "HEAD").strip()
            new = [
                _commit(
                    stock_repo,
                    "src/report.py",
                    "def total(levels):\n    return sum(levels.values())\n",
                    "Add a stock total",
                ),
                _commit(
                    stock_repo,
                    "src/report.py",
                    "def total(levels):\n    return sum(levels.values()) or 0\n",
                    "Total is 0 for an empty shop",
                ),
            ]
            second = _run_deployment(prefect_api, deployment["id"])
            assert second["state_type"] == "COMPLETED", second["state"]
        finally:
            serving.send_signal(signal.SIGINT)
            output = serving.communicate(timeout=60)[0]
    assert serving.returncode == 0, output
    assert "stopped serving" in output

    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        runs = warehouse.query(
            "SELECT id, command, status, watermarks FROM runs ORDER BY started_at"
        ).rows
        assert [(r[1], r[2]) for r in runs] == [("nightly", "completed"), ("nightly", "completed")]
        first_shas = {
            r[0]
            for r in warehouse.query("SELECT sha FROM commits WHERE run_id = ?", [runs[0][0]]).rows
        }
        second_shas = {
            r[0]
            for r in warehouse.query("SELECT sha FROM commits WHERE run_id = ?", [runs[1][0]]).rows
        }
    assert len(first_shas) == 3 and second_shas == set(new)  # only the commits made in between
    [mark] = json.loads(runs[1][3])
    assert (mark["before"], mark["after"]) == (old_head, new[-1])

    artifacts = _filter(
        prefect_api, "/artifacts/filter", {"artifacts": {"key": {"any_": ["goldmine-w"]}}}
    )
    summaries = [a["data"] for a in artifacts]
    assert any(
        f"# goldmine run `{runs[1][0]}`" in text and "| new commits | 2 |" in text
        for text in summaries
    )
    [paused] = _filter(prefect_api, "/deployments/filter")
    # no schedule left without a runner
    assert not paused["schedules"][0]["active"] or paused.get("paused")


def test_the_dask_runner_drafts_the_same_candidates_as_the_default_runner(
    prefect_api: str, stock_repo: Path, tmp_path: Path
) -> None:
    stockroom = build_repository(tmp_path / "stockroom", load_script(DEMO_HISTORY))
    config = (
        f'[sources]\nrepos = ["{stock_repo}", "{stockroom}"]\ntickets = ["{DEMO_TICKETS}"]\n'
        '[draft]\nkinds = ["instruction", "agent"]\n[scale]\nworkers = 2\nunit_commits = 10\n'
    )
    results = {}
    verdicts = {}
    # Dask without a server: goldmine starts one; no API and no runner: in this process, the
    # same units of work on a process pool, without Prefect
    for runner, api in (
        ("dask", None),
        ("default", prefect_api),
        ("in-process", None),
    ):
        workspace = tmp_path / runner
        workspace.mkdir()
        (workspace / "goldmine.toml").write_text(config, encoding="utf-8")
        chosen = [] if runner == "in-process" else ["--runner", runner]
        done = subprocess.run(
            [GOLDMINE, "run", *chosen, "--workspace", str(workspace)],
            env=_env(api),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
            results[runner] = sorted(
                warehouse.query("SELECT id, status, record FROM candidates").rows
            )
            verdicts[runner] = sorted(
                warehouse.query('SELECT candidate_id, "check", passed, detail FROM checks').rows
            )
            sources = dict(
                warehouse.query(
                    "SELECT s.kind, count(DISTINCT s.id) FROM candidates c JOIN tasks t ON t.id = "
                    "c.task_id "
                    "JOIN sources s ON s.id = t.source_id GROUP BY s.kind"
                ).rows
            )
            if runner != "in-process":
                run_id = warehouse.scalar("SELECT id FROM runs")
    assert results["dask"] == results["default"] == results["in-process"]
    assert verdicts["dask"] == verdicts["default"] == verdicts["in-process"]
    assert not (tmp_path / "in-process" / ".prefect").exists()
    assert len(results["dask"]) > 20 and sources == {"repository": 2, "tickets": 1}
    [flow_run] = _filter(
        prefect_api,
        "/flow_runs/filter",
        {"flow_runs": {"name": {"any_": [f"goldmine-{run_id}"]}}},
    )
    tasks = _filter(
        prefect_api, "/task_runs/filter", {"flow_runs": {"id": {"any_": [flow_run["id"]]}}}
    )
    names = {task["name"] for task in tasks}
    assert {
        "mine stocky",
        "mine stockroom 1/3",
        "mine stockroom 3/3",
    } <= names  # one task per repository slice
    assert any(name.startswith("draft stockroom agent/en #") for name in names)


def test_serve_with_server_starts_one_on_loopback_and_stops_it_on_ctrl_c(
    stock_repo: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "W"
    workspace.mkdir()
    (workspace / "goldmine.toml").write_text(
        f'[sources]\nrepos = ["{stock_repo}"]\n', encoding="utf-8"
    )
    command = [GOLDMINE, "serve", "--with-server", "--workspace", str(workspace)]
    with subprocess.Popen(
        command, env=_env(None), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as serving:
        assert serving.stdout is not None
        line = serving.stdout.readline()
        url = line.split("Prefect at ", 1)[1].split(";", 1)[0]
        assert url.startswith("http://127.0.0.1:") and is_healthy(url)
        _wait_for("the deployment", lambda: _filter(url, "/deployments/filter"), 60)
        serving.send_signal(signal.SIGINT)
        serving.communicate(timeout=60)
    assert serving.returncode == 0
    assert not is_healthy(url)
    assert (workspace / ".prefect" / "server.log").exists()
