"""A small OpenAI-compatible chat server on loopback, scripted per request (tests and bench/).

Only the model's answers are fake: the HTTP, the ``openai`` client, retries and concurrency are
real. A script is a function from the request body (and its arrival number) to a :class:`Reply`:
a valid record, broken JSON, a slow answer, a 429 with ``Retry-After``, a 500, or the way a real
server refuses a ``response_format`` it does not take (:data:`REFUSALS`, :func:`refusing`). The
server counts the requests it is handling at once, so a test can see concurrency from the
outside. Any other route answers the JSON documents given as ``pages`` (``/v1/models`` by
default) or 404, so ``goldmine llm check`` can read what a vLLM or llama.cpp server reports
about itself.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Required, TypedDict, Unpack

import pytest

from tests.builders import JsonObject


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a chat completion with ``content``, or an error ``status``."""

    content: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    prompt_tokens: int | None = (
        None  # None: about a quarter of the prompt's characters, as a tokenizer would
    )
    completion_tokens: int | None = None
    error: str = "scripted error"


class ChatMessage(TypedDict):
    """One message of a chat request (goldmine always sends text content)."""

    role: str
    content: str


class JsonSchemaFormat(TypedDict, total=False):
    name: Required[str]
    schema: JsonObject
    strict: bool


class ResponseFormat(TypedDict, total=False):
    type: Required[str]  # json_schema or json_object
    json_schema: JsonSchemaFormat


class ChatBody(TypedDict, total=False):
    """A ``POST /v1/chat/completions`` body as the openai client sends it (the fields scripts
    read)."""

    model: Required[str]
    messages: Required[list[ChatMessage]]
    response_format: ResponseFormat
    temperature: float
    max_tokens: int


Script = Callable[[ChatBody, int], Reply]


def completion(
    content: str, model: str, prompt_tokens: int, completion_tokens: int
) -> dict[str, object]:
    """A chat completion body as OpenAI returns it."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class FakeLLMServer:
    """A threaded HTTP server answering ``POST /v1/chat/completions`` from a script."""

    def __init__(
        self, script: Script, model: str = "fake-model", pages: dict[str, JsonObject] | None = None
    ) -> None:
        self.script = script
        self.model = model
        self.pages: dict[str, JsonObject] = {
            "/v1/models": {"object": "list", "data": [{"id": model, "object": "model"}]},
            **(pages or {}),
        }
        self.gets: list[str] = []
        self.requests: list[ChatBody] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL an OpenAI client takes (``…/v1``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _arrive(self, body: ChatBody) -> int:
        with self._lock:
            self.requests.append(body)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            return len(self.requests)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = (
                True  # headers and body are separate writes: no 40 ms delayed-ACK stall
            )
            _body: ChatBody

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read the server's counters, not its log."""

            def do_GET(self) -> None:
                self._page()

            def _page(self) -> None:
                server.gets.append(self.path)
                page = server.pages.get(self.path)
                data = json.dumps(page if page is not None else {"error": "not found"}).encode()
                self.send_response(200 if page is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if not self.path.endswith("/chat/completions"):
                    self._page()  # Ollama's POST /api/show, say: a page or 404
                    return
                body: ChatBody = json.loads(raw or b"{}")
                self._body = body
                number = server._arrive(body)
                try:
                    reply = server.script(body, number)
                    time.sleep(reply.delay)
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                finally:
                    server._leave()

            def _send(self, reply: Reply) -> None:
                if reply.status == 200:
                    prompt = sum(len(m["content"]) for m in self._body["messages"]) // 4
                    payload = completion(
                        reply.content,
                        server.model,
                        reply.prompt_tokens or prompt,
                        reply.completion_tokens or len(reply.content) // 4 + 1,
                    )
                else:
                    payload = {
                        "error": {"message": reply.error, "type": "scripted", "code": reply.status}
                    }
                data = json.dumps(payload).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def draft_content(body: ChatBody) -> str:
    """A valid instruction draft for the task in a request (the prose: goldmine adds the code):
    it names the function the prompt is about."""
    prompt = body["messages"][-1]["content"] if body["messages"][-1]["role"] == "user" else ""
    names = re.findall(
        r"(?:function|函数) `(\w+)`", "\n".join(m["content"] for m in body["messages"])
    )
    name = names[0] if names else "the function"
    lang_zh = "数据用中文书写" in prompt or "请根据" in prompt
    return json.dumps(
        {
            "system": "You are a careful senior Python engineer.",
            "instruction": (
                f"你是一名 Python 开发工程师。请修复 `{name}`。\n\n"
                "要求：\n1. 保持签名不变。\n2. 抛出 ValueError。"
                if lang_zh
                else f"You are a Python developer working on this project. Fix `{name}`.\n\n"
                "Requirements:\n1. Keep the signature.\n2. Raise ValueError for bad input."
            ),
            "explanation": (
                "负数输入以前会被悄悄接受。现在会抛出 ValueError，由回归测试验证。"
                if lang_zh
                else "Negative input used to pass silently. It now raises ValueError, and the "
                "regression test pins it."
            ),
        },
        ensure_ascii=False,
    )


def valid_records(body: ChatBody, number: int) -> Reply:
    """The script of a well-behaved model."""
    return Reply(content=draft_content(body))


# How real servers refuse a response_format they do not take, by the shape of the answer.
REFUSALS: dict[str, Reply] = {
    # OpenAI, for a model without structured output
    "400": Reply(
        status=400,
        error="Invalid parameter: 'response_format' of type 'json_schema' is not supported with "
        "this model.",
    ),
    # TGI's and vLLM's request validation
    "422": Reply(
        status=422,
        error="Failed to deserialize the JSON body into the target type: response_format: "
        "unknown variant `json_schema`, expected `json_object` or `text` at line 1 column 900",
    ),
    # llama-cpp-python 0.3's server: FastAPI's validation error, answered as a 500 (verbatim)
    "500": Reply(
        status=500,
        error="1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
        "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
        "'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  File \"/venv/lib/python3.11/"
        'site-packages/llama_cpp/server/app.py", line 376, in create_chat_completion\n    '
        "POST /v1/chat/completions",
    ),
}


def refusing(refused: set[str], refusal: Reply, then: Script = valid_records) -> Script:
    """A server that answers ``refusal`` to a request in any of the ``refused`` modes
    (``json_schema``, ``json_object``, ``none``) and ``then`` to the others."""

    def script(body: ChatBody, number: int) -> Reply:
        return refusal if mode_of(body) in refused else then(body, number)

    return script


def mode_of(body: ChatBody) -> str:
    """The structured-output mode a request was sent in."""
    return body["response_format"]["type"] if "response_format" in body else "none"


class LlmSettings(TypedDict, total=False):
    """Keys of goldmine.toml's ``[llm]`` section the tests set; ``prices`` maps a model to its
    (input, output) US dollars per million tokens."""

    backoff_seconds: float
    timeout_seconds: float
    temperature: float
    max_retries: int
    max_concurrency: int
    max_tokens: int
    few_shots: int
    prices: dict[str, tuple[float, float]]


def llm_config(**llm: Unpack[LlmSettings]) -> str:
    """A goldmine.toml ``[llm]`` section with fast retries, for tests."""
    prices = llm.pop("prices", {})
    values: dict[str, object] = {
        "backoff_seconds": 0.01,
        "max_retries": 3,
        "max_concurrency": 4,
        **llm,
    }
    lines = ["[llm]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    for model, (input_price, output_price) in prices.items():
        lines += [
            f'[llm.prices."{model}"]',
            f"input_per_mtok = {input_price}",
            f"output_per_mtok = {output_price}",
        ]
    return "\n".join(lines) + "\n"


@contextmanager
def scripted_servers(
    monkeypatch: pytest.MonkeyPatch, model: str
) -> Iterator[Callable[[Script], FakeLLMServer]]:
    """Start scripted servers on demand, each pointing goldmine at itself through the environment;
    all are stopped on exit."""
    with ExitStack() as servers:

        def start(script: Script) -> FakeLLMServer:
            server = servers.enter_context(FakeLLMServer(script, model))
            monkeypatch.setenv("GOLDMINE_LLM_BASE_URL", server.url)
            monkeypatch.setenv("GOLDMINE_LLM_MODEL", model)
            return server

        yield start
