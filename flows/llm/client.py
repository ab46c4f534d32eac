"""A chat client for any OpenAI-compatible endpoint, built so that no request is paid for twice.

Every request goes the same way:

1. each message passes through :func:`scrub` (the redaction seam: nothing unredacted is sent,
   even if something slipped past landing);
2. its payload is hashed; a payload with a recorded reply in ``llm_calls`` is replayed, free;
3. otherwise the run's :class:`Budget` must cover its estimated cost, the endpoint's adaptive
   limit must have a free slot, and it is sent with the ``openai`` client (its own retries off);
4. 429, 5xx and timeouts are retried with exponential backoff that honours ``Retry-After``; a
   server that rejects the ``response_format`` is asked again with the next weaker one;
5. the final outcome — reply or error, tokens, cost, latency, attempts — is recorded.

Drafters build :class:`ChatRequest` values and read :class:`ChatReply` / :class:`CallFailed`;
nothing here knows about records, so other drafters (agent trajectories) reuse it unchanged.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai

from flows.errors import ConfigError, LLMEndpointError
from flows.llm.adaptive_limit import AdaptiveLimit, limit_for
from flows.settings import LLMConfig, ModelPrice
from warehouse.llm_calls import LLMCall, call_id, record_call, recorded_reply
from warehouse.outcomes import SkipCategory
from warehouse.redaction import redact
from warehouse.store import Warehouse

logger = logging.getLogger(__name__)
Message = dict[str, str]
MODES = ("json_schema", "json_object", "none")
MAX_WAIT_SECONDS = 300.0
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


class BudgetReached(Exception):
    """The run's budget cannot cover the next request."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go (resolved from the environment and goldmine.toml) and how they are sent
    (the ``[llm]`` settings, declared once in ``flows/settings.py``)."""

    base_url: str
    model: str
    api_key: str = field(repr=False)
    settings: LLMConfig = field(default_factory=LLMConfig)

    @property
    def price(self) -> ModelPrice | None:
        """The configured price of this endpoint's model, if any."""
        return self.settings.prices.get(self.model)

    @property
    def public_url(self) -> str:
        """The base URL without credentials, as stored in ``llm_calls.endpoint``."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        """What a call costs in US dollars, or None when the model has no price configured."""
        if self.price is None:
            return None
        return (
            prompt_tokens * self.price.input_per_mtok
            + completion_tokens * self.price.output_per_mtok
        ) / 1e6


def resolve_endpoint(config: LLMConfig, environ: Mapping[str, str]) -> Endpoint:
    """The endpoint from ``GOLDMINE_LLM_*``, else ``[llm]`` in goldmine.toml, else ``OPENAI_*``."""
    base_url = (
        environ.get("GOLDMINE_LLM_BASE_URL")
        or config.base_url
        or environ.get("OPENAI_BASE_URL", "")
    )
    model = environ.get("GOLDMINE_LLM_MODEL") or config.model
    if not base_url:
        raise ConfigError(
            "the llm drafter needs an endpoint: set GOLDMINE_LLM_BASE_URL or [llm] base_url in "
            "goldmine.toml "
            "(e.g. http://localhost:8000/v1 for vLLM, https://api.openai.com/v1 for OpenAI)"
        )
    if not model:
        raise ConfigError(
            "the llm drafter needs a model: set GOLDMINE_LLM_MODEL or [llm] model in goldmine.toml"
        )
    api_key = (
        environ.get(config.api_key_env)
        or environ.get("GOLDMINE_LLM_API_KEY")
        or environ.get("OPENAI_API_KEY")
    )
    # openai needs a key even for servers that ignore it
    return Endpoint(base_url, model, api_key or "EMPTY", config)


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What a drafter asks: messages, the JSON Schema the reply must follow, and what it is for."""

    messages: tuple[Message, ...]
    schema_name: str
    schema: dict[str, Any]
    purpose: str = "draft"


@dataclass(frozen=True, slots=True)
class ChatReply:
    """A reply, fresh or replayed from ``llm_calls``."""

    call_id: str
    text: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    replayed: bool


@dataclass(frozen=True, slots=True)
class CallFailed:
    """No reply: the error, and whether the endpoint refused the request itself (retrying won't
    help)."""

    call_id: str
    error: str
    category: SkipCategory = SkipCategory.UNEXPECTED_REPLY

    @property
    def rejected(self) -> bool:
        """True when the endpoint refused the request itself: retrying it would not help."""
        return self.category == SkipCategory.ENDPOINT_REJECTED


def scrub(messages: tuple[Message, ...], key: bytes) -> tuple[Message, ...]:
    """Every message redacted again just before sending: the seam where nothing secret may pass."""
    cleaned = []
    for message in messages:
        text, findings = redact(message["content"], key)
        if findings:
            logger.warning("replaced %d secret(s) in a prompt before sending it", len(findings))
        cleaned.append({**message, "content": text})
    return tuple(cleaned)


def payload(endpoint: Endpoint, request: ChatRequest, mode: str) -> dict[str, Any]:
    """The request body for ``mode`` (``json_schema``, ``json_object`` or ``none``)."""
    body: dict[str, Any] = {
        "model": endpoint.model,
        "messages": [dict(message) for message in request.messages],
        "temperature": endpoint.settings.temperature,
        "max_tokens": endpoint.settings.max_tokens,
    }
    if mode == "json_schema":
        schema = {"name": request.schema_name, "strict": True, "schema": request.schema}
        body["response_format"] = {"type": "json_schema", "json_schema": schema}
    elif mode == "json_object":
        body["response_format"] = {"type": "json_object"}
    return body


class Budget:
    """What a run may spend on calls; requests reserve their estimated cost before they are sent."""

    def __init__(self, limit_usd: float, endpoint: Endpoint) -> None:
        if limit_usd > 0 and endpoint.price is None:
            raise ConfigError(
                f"--budget-usd needs the price of {endpoint.model}: add "
                f'[llm.prices."{endpoint.model}"] '
                "input_per_mtok and output_per_mtok to goldmine.toml"
            )
        self.limit_usd = limit_usd
        self.endpoint = endpoint
        self.spent = 0.0
        self.reserved = 0.0
        self.completions: list[int] = []
        self.exhausted = False

    def estimate(self, messages: tuple[Message, ...]) -> float:
        """The cost of a request before sending it: its prompt, and the completions seen so far."""
        prompt = sum(estimate_tokens(m["content"]) for m in messages)
        seen = self.completions[-50:]
        completion = (
            sum(seen) // len(seen) if seen else min(self.endpoint.settings.max_tokens, 1024)
        )
        return self.endpoint.cost(prompt, completion) or 0.0

    def reserve(self, estimate: float) -> None:
        """Hold ``estimate`` for a request, or raise :class:`BudgetReached`."""
        if self.limit_usd > 0 and (
            self.exhausted or self.spent + self.reserved + estimate > self.limit_usd
        ):
            self.exhausted = True
            raise BudgetReached(
                f"the budget of ${self.limit_usd:g} is reached (${self.spent:.4f} spent)"
            )
        self.reserved += estimate

    def settle(self, estimate: float, cost: float | None, completion_tokens: int | None) -> None:
        """Replace a reservation by what the call really cost."""
        self.reserved -= estimate
        self.spent += cost or 0.0
        if completion_tokens is not None:
            self.completions.append(completion_tokens)


class ChatClient:
    """Sends chat requests to one endpoint for one run, recording each in ``llm_calls``."""

    def __init__(
        self, endpoint: Endpoint, warehouse: Warehouse, run_id: str, key: bytes, budget: Budget
    ) -> None:
        self.endpoint = endpoint
        self.warehouse = warehouse
        self.run_id = run_id
        self.key = key
        self.budget = budget
        self.limit: AdaptiveLimit = limit_for(
            endpoint.public_url, endpoint.settings.max_concurrency
        )
        self.mode: str = endpoint.settings.structured_output
        self.sent = 0
        self.replayed = 0
        self._api: openai.AsyncOpenAI | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ChatClient]:
        """Open the HTTP client for the running event loop (one per ``asyncio.run``)."""
        self._api = openai.AsyncOpenAI(
            base_url=self.endpoint.base_url,
            api_key=self.endpoint.api_key,
            timeout=self.endpoint.settings.timeout_seconds,
            # retries are ours: they must honour Retry-After and feed the adaptive limit
            max_retries=0,
        )
        try:
            yield self
        finally:
            await self._api.close()
            self._api = None

    def prepared(self, request: ChatRequest) -> tuple[dict[str, Any], str]:
        """The scrubbed payload in the current mode and its call id."""
        body = payload(
            self.endpoint,
            ChatRequest(
                scrub(request.messages, self.key),
                request.schema_name,
                request.schema,
                request.purpose,
            ),
            self.mode,
        )
        return body, call_id(body)

    async def chat(self, request: ChatRequest) -> ChatReply | CallFailed:
        """The reply to ``request``: replayed if recorded, else sent (raises
        :class:`BudgetReached`)."""
        while True:
            body, id_ = self.prepared(request)
            stored = recorded_reply(self.warehouse, id_)
            if stored is not None:
                self.replayed += 1
                return ChatReply(
                    id_,
                    stored.reply,
                    stored.prompt_tokens or 0,
                    stored.completion_tokens or 0,
                    None,
                    replayed=True,
                )
            estimate = self.budget.estimate(request.messages)
            self.budget.reserve(estimate)
            outcome = await self._send(body, id_, request.purpose, estimate)
            # None: the server rejected the response format; ask again in the next
            if outcome is not None:
                return outcome

    async def _send(
        self, body: dict[str, Any], id_: str, purpose: str, estimate: float
    ) -> ChatReply | CallFailed | None:
        """Send one payload until it succeeds or retrying is pointless; record the outcome."""
        failures: list[SkipCategory] = []
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                async with self.limit.slot():
                    started = time.monotonic()
                    response = await self._api_client().chat.completions.create(**body)
            except openai.APIError as error:
                verdict = self._judge(error, attempt)
            else:
                self.limit.succeeded()
                self.sent += 1
                latency_ms = (time.monotonic() - started) * 1000
                return self._succeeded(
                    _Sent(body, id_, purpose, attempt, latency_ms), response, estimate
                )
            failures.append(verdict.category)
            if verdict.step_down or verdict.final:
                self.budget.settle(estimate, None, None)
                if verdict.step_down:
                    return None
                sent = _Sent(body, id_, purpose, attempt, (time.monotonic() - started) * 1000)
                self._record(sent, None, None, None, None, verdict.error)
                if all(failure == SkipCategory.CONNECTION_FAILED for failure in failures):
                    raise LLMEndpointError(
                        f"cannot reach the LLM endpoint at {self.endpoint.public_url} "
                        f"({verdict.error}); start the "
                        "server or fix GOLDMINE_LLM_BASE_URL / [llm] base_url"
                    )
                return CallFailed(id_, verdict.error, verdict.category)
            await asyncio.sleep(verdict.wait)

    def _api_client(self) -> openai.AsyncOpenAI:
        if self._api is None:
            raise RuntimeError("ChatClient.chat runs inside `async with client.session()`")
        return self._api

    def _judge(self, error: openai.APIError, attempts: int) -> _Verdict:
        """What to do after a failed attempt: wait and retry, step down the response format, or
        stop."""
        jitter = random.uniform(0.5, 1.0)  # noqa: S311 (spreads retries; nothing secret)
        backoff = min(60.0, self.endpoint.settings.backoff_seconds * 2 ** (attempts - 1)) * jitter
        out_of_retries = attempts > self.endpoint.settings.max_retries
        if isinstance(error, openai.RateLimitError):
            wait = retry_after(error.response.headers)
            self.limit.throttled(wait)
            return _Verdict(
                f"429 rate limited: {_message(error)}",
                SkipCategory.RATE_LIMITED,
                wait if wait is not None else backoff,
                final=out_of_retries,
            )
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            raise LLMEndpointError(
                f"the LLM endpoint at {self.endpoint.public_url} refused the API key "
                f"({_message(error)}); "
                "set GOLDMINE_LLM_API_KEY (or the variable named by [llm] api_key_env)"
            )
        if isinstance(error, openai.NotFoundError):
            raise LLMEndpointError(
                f"the LLM endpoint at {self.endpoint.public_url} has no model "
                f"{self.endpoint.model} or no "
                f"chat completions route ({_message(error)}); check GOLDMINE_LLM_MODEL and the "
                "base URL (…/v1)"
            )
        if isinstance(error, openai.BadRequestError | openai.UnprocessableEntityError):
            if self._step_down(error):
                return _Verdict(
                    f"response_format rejected: {_message(error)}",
                    SkipCategory.ENDPOINT_REJECTED,
                    0.0,
                    step_down=True,
                )
            return _Verdict(
                f"{error.status_code} rejected: {_message(error)}",
                SkipCategory.ENDPOINT_REJECTED,
                0.0,
                final=True,
            )
        if isinstance(error, openai.APITimeoutError):
            return _Verdict(
                f"timeout after {self.endpoint.settings.timeout_seconds:g}s",
                SkipCategory.TIMEOUT,
                backoff,
                final=out_of_retries,
            )
        if isinstance(error, openai.APIConnectionError):
            return _Verdict(
                f"connection failed: {_message(error)}",
                SkipCategory.CONNECTION_FAILED,
                backoff,
                final=out_of_retries,
            )
        if isinstance(error, openai.APIStatusError):
            wait = retry_after(error.response.headers)
            return _Verdict(
                f"{error.status_code} server error: {_message(error)}",
                SkipCategory.SERVER_ERROR,
                wait if wait is not None else backoff,
                final=out_of_retries,
            )
        return _Verdict(
            f"unexpected reply: {_message(error)}",
            SkipCategory.UNEXPECTED_REPLY,
            backoff,
            final=out_of_retries,
        )

    def _step_down(self, error: openai.APIError) -> bool:
        """Move to the next weaker response format when the server rejects this one."""
        text = _message(error).lower()
        if self.mode == "none" or not any(
            word in text for word in ("response_format", "json_schema", "json_object")
        ):
            return False
        self.mode = MODES[MODES.index(self.mode) + 1]
        logger.warning(
            "%s rejects this response_format; using %s from now on",
            self.endpoint.public_url,
            self.mode,
        )
        return True

    def _succeeded(self, sent: _Sent, response: Any, estimate: float) -> ChatReply:
        text = (response.choices[0].message.content or "") if response.choices else ""
        usage = response.usage
        prompt = (
            usage.prompt_tokens
            if usage
            else sum(estimate_tokens(m["content"]) for m in sent.body["messages"])
        )
        completion = usage.completion_tokens if usage else estimate_tokens(text)
        cost = self.endpoint.cost(prompt, completion)
        self.budget.settle(estimate, cost, completion)
        self._record(sent, text, prompt, completion, cost, None)
        return ChatReply(sent.id, text, prompt, completion, cost, replayed=False)

    def _record(
        self,
        sent: _Sent,
        reply: str | None,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        cost: float | None,
        error: str | None,
    ) -> None:
        call = LLMCall(
            id=sent.id,
            endpoint=self.endpoint.public_url,
            model=self.endpoint.model,
            request=sent.body,
            reply=reply,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost,
            latency_ms=sent.latency_ms,
            error=error,
            run_id=self.run_id,
            attempts=sent.attempts,
            purpose=sent.purpose,
        )
        record_call(self.warehouse, call)


@dataclass(frozen=True, slots=True)
class _Sent:
    """One payload as sent: what it was, what for, after how many attempts and how long the last
    took."""

    body: dict[str, Any]
    id: str
    purpose: str
    attempts: int
    latency_ms: float


@dataclass(frozen=True, slots=True)
class _Verdict:
    error: str
    category: SkipCategory
    wait: float
    final: bool = False
    step_down: bool = False


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date),
    capped."""
    try:
        if "retry-after-ms" in headers:
            return min(MAX_WAIT_SECONDS, max(0.0, float(headers["retry-after-ms"]) / 1000))
        value = headers.get("retry-after")
        if value is None:
            return None
        if value.strip().replace(".", "", 1).isdigit():
            return min(MAX_WAIT_SECONDS, float(value))
        when = email.utils.parsedate_to_datetime(value)
        return min(MAX_WAIT_SECONDS, max(0.0, when.timestamp() - time.time()))
    except (TypeError, ValueError):
        return None


def _message(error: openai.APIError) -> str:
    """The first line of the server's message, short enough for a table cell."""
    body = error.body if isinstance(error.body, dict) else None
    text = str(body.get("message", "")) if body else ""
    return (text or str(error.message) or type(error).__name__).strip().splitlines()[0][:300]


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: about 4 characters per token, one per CJK character."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4
