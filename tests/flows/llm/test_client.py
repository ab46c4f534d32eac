"""The chat client against a scripted OpenAI-compatible server: retries, timeouts, formats,
redaction."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from typing import TypedDict, Unpack

import pytest

from flows.errors import LLMEndpointError
from flows.llm.adaptive_limit import AdaptiveLimit
from flows.llm.client import (
    Budget,
    CallFailed,
    ChatClient,
    ChatReply,
    ChatRequest,
    Endpoint,
    retry_after,
)
from flows.settings import LLMConfig
from tests.builders import TEST_KEY, Row
from tests.llm_server import ChatBody, FakeLLMServer, Reply, Script
from warehouse.record_drafts import draft_json_schema
from warehouse.store import Warehouse

MODEL = "fake-model"


class EndpointSettings(TypedDict, total=False):
    """The settings of :class:`Endpoint` a test changes."""

    timeout_seconds: float
    max_retries: int
    backoff_seconds: float


def _ask(
    warehouse: Warehouse,
    server: FakeLLMServer,
    text: str = "Draft a record.",
    **endpoint: Unpack[EndpointSettings],
) -> tuple[ChatReply | CallFailed, ChatClient]:
    settings: EndpointSettings = {"backoff_seconds": 0.01, "max_retries": 2, **endpoint}
    target = Endpoint(server.url, MODEL, "EMPTY", LLMConfig(**settings))
    client = ChatClient(target, warehouse, "run-1", TEST_KEY, Budget(0, target))
    request = ChatRequest(
        ({"role": "user", "content": text},), "instruction_record", draft_json_schema("instruction")
    )

    async def ask() -> ChatReply | CallFailed:
        async with client.session():
            return await client.chat(request)

    return asyncio.run(ask()), client


def _calls(warehouse: Warehouse) -> list[Row]:
    return warehouse.query("SELECT * FROM llm_calls ORDER BY created_at").dicts()


def _serve(script: Script) -> FakeLLMServer:
    return FakeLLMServer(script, MODEL)


def test_a_slow_reply_times_out_and_the_retry_succeeds(warehouse: Warehouse) -> None:
    def script(body: ChatBody, n: int) -> Reply:
        return Reply(content="{}", delay=1.5 if n == 1 else 0.0)

    with _serve(script) as server:
        reply, _ = _ask(warehouse, server, timeout_seconds=0.5)
    assert isinstance(reply, ChatReply) and reply.text == "{}" and not reply.replayed
    assert [(c["attempts"], c["error"]) for c in _calls(warehouse)] == [(2, None)]


def test_a_request_that_keeps_timing_out_is_recorded_as_failed(warehouse: Warehouse) -> None:
    with _serve(lambda body, n: Reply(content="{}", delay=1.0)) as server:
        reply, _ = _ask(warehouse, server, timeout_seconds=0.3, max_retries=1)
    assert (
        isinstance(reply, CallFailed) and not reply.rejected and reply.error == "timeout after 0.3s"
    )
    assert [(c["attempts"], c["error"], c["reply"]) for c in _calls(warehouse)] == [
        (2, "timeout after 0.3s", None)
    ]


def test_a_server_without_structured_output_is_asked_again_in_json_mode(
    warehouse: Warehouse,
) -> None:
    def script(body: ChatBody, n: int) -> Reply:
        if body.get("response_format", {}).get("type") == "json_schema":
            return Reply(status=400, error="response_format type json_schema is not supported")
        return Reply(content='{"ok": true}')

    with _serve(script) as server:
        reply, client = _ask(warehouse, server)
        formats = [body.get("response_format") for body in server.requests]
    assert isinstance(reply, ChatReply) and client.mode == "json_object"
    assert formats[0] is not None and formats[0]["type"] == "json_schema"
    assert formats[1] == {"type": "json_object"}
    (call,) = _calls(warehouse)
    assert (
        json.loads(call["request"])["response_format"] == {"type": "json_object"}
        and call["id"] == reply.call_id
    )


def test_a_request_the_server_rejects_is_not_retried(warehouse: Warehouse) -> None:
    with _serve(
        lambda body, n: Reply(status=400, error="maximum context length is 8192 tokens")
    ) as server:
        reply, _ = _ask(warehouse, server)
        assert len(server.requests) == 1
    assert isinstance(reply, CallFailed) and reply.rejected
    assert reply.error == "400 rejected: maximum context length is 8192 tokens"


def test_a_refused_key_stops_with_one_actionable_line(warehouse: Warehouse) -> None:
    with (
        _serve(lambda body, n: Reply(status=401, error="invalid api key")) as server,
        pytest.raises(
            LLMEndpointError,
            match=r"refused the API key \(invalid api key\); set GOLDMINE_LLM_API_KEY",
        ),
    ):
        _ask(warehouse, server)


def test_every_prompt_is_redacted_again_before_it_is_sent(warehouse: Warehouse) -> None:
    leaked = "deploy with AKIAIOSFODNN7EXAMPLE and mail ops@corp.internal.io"
    with _serve(lambda body, n: Reply(content="{}")) as server:
        _ask(warehouse, server, text=leaked)
        sent = server.requests[0]["messages"][0]["content"]
    assert sent == "deploy with <SECRET:aws-access-key> and mail <EMAIL>"
    assert "AKIA" not in _calls(warehouse)[0]["request"]


def test_a_recorded_reply_is_replayed_without_a_request(warehouse: Warehouse) -> None:
    with _serve(lambda body, n: Reply(content=f'{{"n": {n}}}')) as server:
        first, _ = _ask(warehouse, server)
        again, client = _ask(warehouse, server)
        assert len(server.requests) == 1
    assert isinstance(first, ChatReply) and isinstance(again, ChatReply)
    assert (
        again.replayed
        and again.text == first.text == '{"n": 1}'
        and client.replayed == 1
        and client.sent == 0
    )


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "100000"}, 300.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_in_seconds_milliseconds_or_capped(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after(headers) == seconds


def test_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    wait = retry_after({"retry-after": when})
    assert wait is not None and 28 <= wait <= 30


def test_the_adaptive_limit_grows_on_success_halves_on_429_and_keeps_its_bounds() -> None:
    limit = AdaptiveLimit(maximum=64, start=4)
    for _ in range(4 + 8):
        limit.succeeded()
    assert limit.limit == 16  # slow start: doubles with each window of successes
    limit.throttled(retry_after=0.2)
    assert limit.limit == 8 and limit.resume_at > time.monotonic()
    for _ in range(8):
        limit.succeeded()
    assert int(limit.limit) == 8  # after a 429: about one more per window
    for _ in range(3000):
        limit.succeeded()
    assert limit.limit == 64
    for _ in range(10):
        limit.throttled()
    assert limit.limit == 1


def test_the_adaptive_limit_bounds_requests_in_flight() -> None:
    limit = AdaptiveLimit(maximum=3, start=3)
    inside = []

    async def request() -> None:
        async with limit.slot():
            inside.append(limit.in_flight)
            await asyncio.sleep(0.01)

    async def many() -> None:
        await asyncio.gather(*(request() for _ in range(12)))

    asyncio.run(many())
    asyncio.run(many())  # a second event loop, as the next draft pass uses
    assert max(inside) == 3 and limit.peak == 3 and limit.in_flight == 0
