"""``goldmine llm check`` against scripted servers on loopback, and against a port where nothing
listens."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.builders import Cli, JsonObject, Row
from tests.llm_server import (
    REFUSALS,
    FakeLLMServer,
    Script,
    llm_config,
    mode_of,
    refusing,
    scripted_servers,
    valid_records,
)
from warehouse.store import Warehouse

MODEL = "fake-model"


@pytest.fixture
def serve(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., FakeLLMServer]]:
    """Start a scripted server (with ``pages`` to answer GETs) and point goldmine at it."""
    with scripted_servers(monkeypatch, MODEL) as start:

        def serve_with(script: Script, pages: dict[str, JsonObject] | None = None) -> FakeLLMServer:
            server = start(script)
            server.pages.update(pages or {})
            return server

        yield serve_with


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "goldmine.toml").write_text(llm_config(), encoding="utf-8")
    return root


def _lines(output: str) -> dict[str, str]:
    """Each labelled line by its label (the first word)."""
    return {line.split()[0]: line for line in output.splitlines() if line[:1].strip()}


def _query(workspace: Path, sql: str) -> list[Row]:
    with Warehouse(workspace / "goldmine.duckdb", read_only=True) as warehouse:
        return warehouse.query(sql).dicts()


def test_llm_check_against_llama_cpp_python_shapes(
    cli: Cli, serve: Callable[..., FakeLLMServer], tmp_path: Path
) -> None:
    server = serve(refusing({"json_schema"}, REFUSALS["500"]))
    workspace = _workspace(tmp_path)
    result = cli("llm", "check", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert lines["endpoint"] == f"endpoint  {server.url.removesuffix('/v1')}/v1 · model {MODEL}"
    assert lines["models"] == f"models    {MODEL}"
    assert lines["context"] == "context   not reported"
    assert lines["mode"] == (
        "mode      json_object: json_schema refused (500 1 validation error: … "
        "response_format.type: Input should be 'text' or 'json_object'); json_object accepted"
    )
    assert f"not remembered: {workspace} has no warehouse yet" in result.output
    assert (
        lines["latency"].startswith("latency")
        and "ms for a reply of at most 16 tokens" in (lines["latency"])
    )
    assert "a built-in task (bugfix: reserve), drafted in" in lines["sample"]
    assert lines["verdict"].startswith(("verdict   accepted, score", "verdict   rejected, score"))
    # the probe refused once; the sample draft went straight to json_object
    assert [mode_of(body) for body in server.requests] == [
        "json_schema",
        "json_object",
        "json_object",
    ]
    assert not (workspace / "goldmine.duckdb").exists()


@pytest.mark.parametrize(
    ("pages", "context"),
    [
        (
            {"/v1/models": {"data": [{"id": MODEL, "max_model_len": 32768}]}},
            "32768 tokens (max_model_len in /v1/models (vLLM / SGLang))",
        ),
        (
            {"/props": {"default_generation_settings": {"n_ctx": 4096}}},
            "4096 tokens (n_ctx in /props (llama.cpp llama-server))",
        ),
        ({"/info": {"max_input_tokens": 8191}}, "8191 tokens (max_input_tokens in /info (TGI))"),
    ],
)
def test_llm_check_reads_the_context_length_each_server_reports(
    cli: Cli,
    serve: Callable[..., FakeLLMServer],
    tmp_path: Path,
    pages: dict[str, JsonObject],
    context: str,
) -> None:
    serve(valid_records, pages)
    result = cli("llm", "check", "--workspace", _workspace(tmp_path))
    assert result.exit_code == 0, result.output
    assert _lines(result.output)["context"] == f"context   {context}"
    assert _lines(result.output)["mode"] == "mode      json_schema: json_schema accepted"


def test_llm_check_remembers_the_mode_and_drafts_a_task_of_the_warehouse(
    cli: Cli, serve: Callable[..., FakeLLMServer], stock_repo: Path, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path)
    ran = cli("run", "--inline", "--repo", stock_repo, "--workspace", workspace)  # extractive
    assert ran.exit_code == 0, ran.output
    candidates = _query(workspace, "SELECT count(*) AS n FROM candidates")
    server = serve(refusing({"json_schema"}, REFUSALS["422"]))
    result = cli("llm", "check", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert f"remembered in {workspace / 'goldmine.duckdb'}" in result.output
    assert _lines(result.output)["sample"].startswith("sample    task ")
    (row,) = _query(workspace, "SELECT endpoint, mode, run_id FROM llm_endpoints")
    assert row["endpoint"] == server.url and row["mode"] == "json_object"
    assert row["run_id"].startswith("check-")
    assert _query(workspace, "SELECT count(*) AS n FROM candidates") == candidates  # none stored


def test_llm_check_notes_a_model_the_server_does_not_list(
    cli: Cli, serve: Callable[..., FakeLLMServer], tmp_path: Path
) -> None:
    serve(valid_records, {"/v1/models": {"data": [{"id": "other-model"}]}})
    result = cli("llm", "check", "--workspace", _workspace(tmp_path))
    assert _lines(result.output)["models"] == (
        f"models    other-model ({MODEL} is not listed: most servers need one of these in "
        "GOLDMINE_LLM_MODEL)"
    )


def test_llm_check_against_an_unreachable_url_is_one_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:  # a port that was free a moment ago: nothing listens on it
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
    monkeypatch.setenv("GOLDMINE_LLM_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("GOLDMINE_LLM_MODEL", MODEL)
    result = cli("llm", "check", "--workspace", _workspace(tmp_path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: cannot reach the LLM endpoint at http://127.0.0.1:{port}/v1 (ConnectError: "
        "[Errno 111] Connection refused); start the server or fix GOLDMINE_LLM_BASE_URL / "
        "[llm] base_url"
    ]
