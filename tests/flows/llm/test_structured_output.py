"""Finding the response_format a server accepts: one refused request per endpoint, then every
request in the accepted mode, remembered across runs; a plain 500 is still retried."""

from __future__ import annotations

import asyncio
import logging

import pytest

from flows.llm.client import Budget, CallFailed, ChatClient, ChatReply, ChatRequest, Endpoint
from flows.llm.structured_output import Refusal, error_text, refusal_of
from flows.settings import LLMConfig
from tests.builders import TEST_KEY, Row
from tests.llm_server import (
    REFUSALS,
    ChatBody,
    FakeLLMServer,
    Reply,
    mode_of,
    refusing,
)
from warehouse.record_drafts import draft_json_schema
from warehouse.store import Warehouse

MODEL = "fake-model"


def _client(warehouse: Warehouse, server: FakeLLMServer, run_id: str = "run-1") -> ChatClient:
    settings = LLMConfig(backoff_seconds=0.01, max_retries=2, max_concurrency=4)
    target = Endpoint(server.url, MODEL, "EMPTY", settings)
    return ChatClient(target, warehouse, run_id, TEST_KEY, Budget(0, target))


def _request(n: int) -> ChatRequest:
    return ChatRequest(
        ({"role": "user", "content": f"Draft record {n}."},),
        "instruction_record",
        draft_json_schema("instruction"),
    )


def _ask_all(client: ChatClient, count: int, first: int = 0) -> list[ChatReply | CallFailed]:
    """``count`` distinct requests at once, as the drafter's workers send them."""

    async def ask() -> list[ChatReply | CallFailed]:
        async with client.session():
            return await asyncio.gather(
                *(client.chat(_request(n)) for n in range(first, first + count))
            )

    return asyncio.run(ask())


def _modes(server: FakeLLMServer) -> list[str]:
    return [mode_of(body) for body in server.requests]


def _remembered(warehouse: Warehouse) -> list[Row]:
    return warehouse.query(
        "SELECT endpoint, model, mode, reason, run_id FROM llm_endpoints"
    ).dicts()


def _ok(body: ChatBody, number: int) -> Reply:
    return Reply(content='{"ok": true}')


@pytest.mark.parametrize("shape", sorted(REFUSALS))
def test_one_refused_request_then_every_request_in_json_object_mode(
    warehouse: Warehouse, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeLLMServer(refusing({"json_schema"}, REFUSALS[shape], _ok), MODEL) as server:
        client = _client(warehouse, server)
        with caplog.at_level(logging.INFO, logger="flows.llm.client"):
            replies = _ask_all(client, 6)
    assert all(isinstance(reply, ChatReply) for reply in replies)
    assert _modes(server) == ["json_schema"] + ["json_object"] * 6
    assert client.mode == "json_object" and client.refused == 1
    (row,) = _remembered(warehouse)
    assert row["endpoint"] == server.url and row["model"] == MODEL and row["mode"] == "json_object"
    assert row["reason"].startswith(f"json_schema refused ({shape} ")
    assert row["reason"].endswith("; json_object accepted") and row["run_id"] == "run-1"
    (line,) = [r.getMessage() for r in caplog.records if "structured output" in r.getMessage()]
    assert line == f"{server.url} (model {MODEL}): structured output json_object: {row['reason']}"


def test_a_server_that_takes_no_response_format_is_asked_with_none(warehouse: Warehouse) -> None:
    refusal = Reply(status=400, error="response_format is not supported")
    with FakeLLMServer(refusing({"json_schema", "json_object"}, refusal, _ok), MODEL) as server:
        client = _client(warehouse, server)
        replies = _ask_all(client, 3)
    assert all(isinstance(reply, ChatReply) for reply in replies)
    assert _modes(server) == ["json_schema", "json_object", "none", "none", "none"]
    assert [row["mode"] for row in _remembered(warehouse)] == ["none"]
    assert "response_format" not in server.requests[-1]


def test_the_500_validation_error_of_llama_cpp_python_is_not_retried(warehouse: Warehouse) -> None:
    with FakeLLMServer(refusing({"json_schema"}, REFUSALS["500"], _ok), MODEL) as server:
        _ask_all(_client(warehouse, server), 1)
    assert _modes(server) == ["json_schema", "json_object"]


def test_a_plain_500_is_retried_and_leaves_the_mode_to_be_found(warehouse: Warehouse) -> None:
    with FakeLLMServer(lambda body, n: Reply(status=500, error="out of memory"), MODEL) as server:
        client = _client(warehouse, server)
        (reply,) = _ask_all(client, 1)
    assert isinstance(reply, CallFailed) and not reply.rejected
    assert reply.error == "500 server error: out of memory"
    assert _modes(server) == ["json_schema"] * 3  # max_retries 2: three attempts, no step down
    assert _remembered(warehouse) == [] and not client.settled


def test_a_refused_format_is_not_asked_again_while_the_weaker_one_is_failing(
    warehouse: Warehouse,
) -> None:
    def script(body: ChatBody, number: int) -> Reply:
        if mode_of(body) == "json_schema":
            return REFUSALS["500"]
        return Reply(status=503, error="loading model") if number <= 4 else _ok(body, number)

    with FakeLLMServer(script, MODEL) as server:
        client = _client(warehouse, server)
        (failed,) = _ask_all(client, 1)  # refused, then three 503s
        (reply,) = _ask_all(client, 1, first=1)
    assert isinstance(failed, CallFailed) and isinstance(reply, ChatReply)
    assert _modes(server) == ["json_schema"] + ["json_object"] * 4
    assert [row["mode"] for row in _remembered(warehouse)] == ["json_object"]


def test_the_mode_is_remembered_by_the_next_run(warehouse: Warehouse) -> None:
    with FakeLLMServer(refusing({"json_schema"}, REFUSALS["500"], _ok), MODEL) as server:
        _ask_all(_client(warehouse, server, "run-1"), 2)
        first_run = len(server.requests)
        later = _client(warehouse, server, "run-2")
        assert later.mode == "json_object" and later.settled
        replies = _ask_all(later, 4)  # two replayed, two new
    assert all(isinstance(reply, ChatReply) for reply in replies)
    assert _modes(server)[first_run:] == ["json_object", "json_object"]
    assert later.replayed == 2 and later.refused == 0
    assert [row["run_id"] for row in _remembered(warehouse)] == ["run-1"]


def test_a_rerun_replays_every_reply_even_without_the_remembered_mode(
    warehouse: Warehouse,
) -> None:
    with FakeLLMServer(refusing({"json_schema"}, REFUSALS["422"], _ok), MODEL) as server:
        _ask_all(_client(warehouse, server), 3)
        warehouse.execute("DELETE FROM llm_endpoints")
        sent = len(server.requests)
        again = _client(warehouse, server, "run-2")
        replies = _ask_all(again, 3)
    assert len(server.requests) == sent and again.replayed == 3
    assert all(isinstance(reply, ChatReply) and reply.replayed for reply in replies)


def test_a_prompt_too_long_is_rejected_once_without_stepping_down(warehouse: Warehouse) -> None:
    refusal = Reply(
        status=400,
        error="This model's maximum context length is 8192 tokens. However, your messages "
        "resulted in 9000 tokens. Please reduce the length of the messages.",
    )
    with FakeLLMServer(lambda body, n: refusal, MODEL) as server:
        client = _client(warehouse, server)
        (reply,) = _ask_all(client, 1)
    assert isinstance(reply, CallFailed) and reply.rejected
    assert _modes(server) == ["json_schema"] and _remembered(warehouse) == []


def test_an_unexplained_refusal_steps_down_only_while_the_mode_is_found(
    warehouse: Warehouse,
) -> None:
    def script(body: ChatBody, number: int) -> Reply:
        if "Draft record 9" in body["messages"][0]["content"]:
            return Reply(status=400, error="bad request")
        return Reply(status=422, error="unsupported") if mode_of(body) != "none" else _ok(body, 0)

    with FakeLLMServer(script, MODEL) as server:
        client = _client(warehouse, server)
        _ask_all(client, 1)
        found = len(server.requests)
        (reply,) = _ask_all(client, 1, first=9)
    assert _modes(server)[:found] == ["json_schema", "json_object", "none"]
    assert _modes(server)[found:] == ["none"]  # the mode is known: the refusal is the prompt's
    assert isinstance(reply, CallFailed) and reply.error == "400 rejected: bad request"


def test_discover_finds_the_mode_again_whatever_was_remembered(warehouse: Warehouse) -> None:
    with FakeLLMServer(_ok, MODEL) as server:
        remembered = _client(warehouse, server)
        _ask_all(remembered, 1)
    with FakeLLMServer(refusing({"json_schema"}, REFUSALS["400"], _ok), MODEL) as upgraded:
        warehouse.execute("UPDATE llm_endpoints SET endpoint = ?", [upgraded.url])
        client = _client(warehouse, upgraded, "check")
        assert client.mode == "json_schema" and client.settled

        async def discover() -> ChatReply | CallFailed:
            async with client.session():
                return await client.discover(_request(0))

        reply = asyncio.run(discover())
    assert isinstance(reply, ChatReply) and not reply.replayed and reply.latency_ms > 0
    assert _modes(upgraded) == ["json_schema", "json_object"]
    assert [(row["mode"], row["run_id"]) for row in _remembered(warehouse)] == [
        ("json_object", "check")
    ]


def test_a_configured_mode_caps_the_remembered_one(warehouse: Warehouse) -> None:
    with FakeLLMServer(_ok, MODEL) as server:
        _ask_all(_client(warehouse, server), 1)
        settings = LLMConfig(structured_output="none")
        target = Endpoint(server.url, MODEL, "EMPTY", settings)
        capped = ChatClient(target, warehouse, "run-2", TEST_KEY, Budget(0, target))
    assert capped.mode == "none" and capped.settled


@pytest.mark.parametrize(
    ("status", "message", "names_format", "refused"),
    [
        (500, REFUSALS["500"].error, True, True),
        (500, "CUDA out of memory", False, False),
        (503, "model is loading", False, False),
        (422, REFUSALS["422"].error, True, True),
        (400, "maximum context length is 2048 tokens (n_ctx)", False, True),
        (400, "'response_format.type' must be 'json_schema' or 'text'", True, True),
    ],
)
def test_which_answers_refuse_the_request_and_which_blame_the_format(
    status: int, message: str, names_format: bool, refused: bool
) -> None:
    refusal = refusal_of(status, message)
    assert (refusal is not None) == refused
    assert refusal is None or refusal.names_format == names_format


def test_the_gist_of_a_validation_error_keeps_what_the_input_should_be() -> None:
    assert Refusal(500, REFUSALS["500"].error).gist() == (
        "500 1 validation error: … response_format.type: Input should be 'text' or 'json_object'"
    )
    assert Refusal(400, "").gist() == "400 no message"
    pydantic_str = (
        "1 validation error for Request\nresponse_format.type\n  Input should be 'text' "
        "[type=literal_error, input_value='json_schema']"
    )
    assert Refusal(500, pydantic_str).gist() == (
        "500 1 validation error for Request … Input should be 'text'"
    )


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"message": "a\nb"}, "a\nb"),
        (
            {"detail": [{"loc": ["body", "response_format"]}]},
            '[{"loc": ["body", "response_format"]}]',
        ),
        ({"error": {"message": "inner"}}, "inner"),
        ("plain", "plain"),
        (None, "fallback"),
    ],
)
def test_the_whole_message_of_an_error_body(body: object, text: str) -> None:
    assert error_text(body, "fallback") == text
