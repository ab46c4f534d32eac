"""A chat client for any OpenAI-compatible endpoint, built so that no request is paid for twice.

Every request goes the same way:

1. each message passes through :func:`scrub` (the redaction seam: nothing unredacted is sent,
   even if something slipped past landing);
2. its payload is hashed; a payload with a recorded reply in ``llm_calls`` is replayed, free;
3. otherwise the run's :class:`Budget` must cover its estimated cost, the endpoint's adaptive
   limit must have a free slot, and it is sent with the ``openai`` client (its own retries off);
4. 429, 5xx and timeouts are retried with exponential backoff that honours ``Retry-After``; a
   request the server refuses as invalid (400, 422, a 5xx validation error) is never retried as
   is: while the endpoint's structured-output mode is being found (the first request, unless
   ``llm_endpoints`` remembers it) it is asked again in the next weaker ``response_format``
   (``structured_output.py``), and the accepted mode is stored for every later request and run;
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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flows.errors import ConfigError, LLMEndpointError
from flows.llm.adaptive_limit import AdaptiveLimit, limit_for
from flows.llm.structured_output import (
    MODES,
    Refusal,
    error_text,
    refusal_of,
    weaker,
    weakest,
)
from flows.settings import LLMConfig, ModelPrice
from warehouse.llm_calls import LLMCall, call_id, record_call, recorded_reply
from warehouse.llm_endpoints import EndpointMode, remember_mode, remembered_mode
from warehouse.outcomes import SkipCategory
from warehouse.redaction import redact
from warehouse.store import Warehouse

if TYPE_CHECKING:  # imported when a session opens: the extractive drafter never loads it
    import openai

logger = logging.getLogger(__name__)
Message = dict[str, str]
MAX_WAIT_SECONDS = 300.0
CONNECT_SECONDS = 5.0
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
    latency_ms: float = 0.0  # of the request that got it (0 when replayed)


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
    """Sends chat requests to one endpoint for one run, recording each in ``llm_calls``.

    The structured-output mode is found on the first request to the endpoint and model (unless
    ``llm_endpoints`` remembers it): that request goes alone, in the strongest mode the settings
    allow, and steps down to the next mode each time the server refuses the format; the mode that
    is accepted is stored, logged in one line, and used for every later request."""

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
        self.configured: str = endpoint.settings.structured_output
        self.mode, self.settled = self._starting_mode()
        self.sent = 0
        self.replayed = 0
        self.refused = 0
        self._api: openai.AsyncOpenAI | None = None
        self._discovery = asyncio.Lock()

    def _starting_mode(self) -> tuple[str, bool]:
        """The remembered mode (capped by the configured one) and True, else the configured mode
        and False: it is found on the first request."""
        remembered = remembered_mode(self.warehouse, self.endpoint.public_url, self.endpoint.model)
        if remembered is None:
            return self.configured, False
        mode = weakest(self.configured, remembered.mode)
        logger.info(
            "%s (model %s): structured output %s, as found by run %s (%s)",
            self.endpoint.public_url,
            self.endpoint.model,
            mode,
            remembered.run_id,
            remembered.reason,
        )
        return mode, True

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ChatClient]:
        """Open the HTTP client for the running event loop (one per ``asyncio.run``)."""
        import openai

        seconds = self.endpoint.settings.timeout_seconds
        self._api = openai.AsyncOpenAI(
            base_url=self.endpoint.base_url,
            api_key=self.endpoint.api_key,
            # a server that is not there is said at once, however long a reply may take
            timeout=openai.Timeout(seconds, connect=min(seconds, CONNECT_SECONDS)),
            # retries are ours: they must honour Retry-After and feed the adaptive limit
            max_retries=0,
        )
        self._discovery = asyncio.Lock()
        try:
            yield self
        finally:
            await self._api.close()
            self._api = None

    def prepared(self, request: ChatRequest, mode: str | None = None) -> tuple[dict[str, Any], str]:
        """The scrubbed payload in ``mode`` (default: the current one) and its call id."""
        return self._body(self._scrubbed(request), mode or self.mode)

    def _scrubbed(self, request: ChatRequest) -> ChatRequest:
        return ChatRequest(
            scrub(request.messages, self.key), request.schema_name, request.schema, request.purpose
        )

    def _body(self, scrubbed: ChatRequest, mode: str) -> tuple[dict[str, Any], str]:
        body = payload(self.endpoint, scrubbed, mode)
        return body, call_id(body)

    async def chat(self, request: ChatRequest) -> ChatReply | CallFailed:
        """The reply to ``request``: replayed if recorded (in any mode: a rerun after the mode was
        found sends nothing), else sent (raises :class:`BudgetReached`)."""
        scrubbed = self._scrubbed(request)
        stored = self._replay(scrubbed)
        if stored is not None:
            return stored
        async with self._discovery:  # until the mode is known, one request at a time
            if not self.settled:
                return await self._ask(scrubbed, self.mode, discovering=True)
        return await self._ask(scrubbed, self.mode, discovering=False)

    async def discover(self, request: ChatRequest) -> ChatReply | CallFailed:
        """Send ``request`` (never replayed) starting from the configured mode, and store the mode
        the server accepts, whatever was remembered (``goldmine llm check``)."""
        async with self._discovery:
            return await self._ask(
                self._scrubbed(request), self.configured, discovering=True, announce=False
            )

    def _replay(self, scrubbed: ChatRequest) -> ChatReply | None:
        for mode in (self.mode, *(other for other in MODES if other != self.mode)):
            _, id_ = self._body(scrubbed, mode)
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
        return None

    async def _ask(
        self, scrubbed: ChatRequest, mode: str, *, discovering: bool, announce: bool = True
    ) -> ChatReply | CallFailed:
        """Send in ``mode``, stepping down while the server refuses the format. A refusal that
        does not say what it refuses steps down only while the mode is being found; one that
        blames the prompt never does."""
        refused: list[str] = []
        while True:
            body, id_ = self._body(scrubbed, mode)
            estimate = self.budget.estimate(scrubbed.messages)
            self.budget.reserve(estimate)
            outcome = await self._send(body, id_, scrubbed.purpose, estimate)
            if isinstance(outcome, _Refused):
                self.refused += 1
                refusal, next_mode = outcome.refusal, weaker(mode)
                blames_format = refusal.names_format or (discovering and not refusal.names_prompt)
                if next_mode is not None and blames_format:
                    refused.append(f"{mode} refused ({refusal.gist()})")
                    if refusal.names_format:  # certain: no later request asks this mode again
                        self.mode = next_mode
                    mode = next_mode
                    continue
                return self._rejected(outcome)
            if isinstance(outcome, ChatReply) and (discovering or refused):
                self._settle(mode, refused, announce)
            return outcome

    def _settle(self, mode: str, refused: list[str], announce: bool) -> None:
        """Use ``mode`` from now on, remember it for later runs, and say why in one line (unless
        the caller shows it itself)."""
        accepted = f"{mode} accepted"
        if not refused and mode != MODES[0]:
            accepted += " ([llm] structured_output allows no stronger mode)"
        reason = "; ".join([*refused, accepted])
        self.mode, self.settled = mode, True
        remember_mode(
            self.warehouse,
            EndpointMode(self.endpoint.public_url, self.endpoint.model, mode, reason, self.run_id),
        )
        if not announce:
            return
        (logger.warning if refused else logger.info)(
            "%s (model %s): structured output %s: %s",
            self.endpoint.public_url,
            self.endpoint.model,
            mode,
            reason,
        )

    def _rejected(self, refused: _Refused) -> CallFailed:
        """A request the server refused as invalid, recorded once and never sent again as is."""
        error = f"{refused.refusal.status} rejected: {refused.refusal.gist(300).split(' ', 1)[1]}"
        self._record(refused.sent, None, None, None, None, error)
        return CallFailed(refused.sent.id, error, SkipCategory.ENDPOINT_REJECTED)

    async def _send(
        self, body: dict[str, Any], id_: str, purpose: str, estimate: float
    ) -> ChatReply | CallFailed | _Refused:
        """Send one payload until it succeeds, is refused, or retrying is pointless; record the
        outcome (a refusal is recorded by the caller, who may ask again in a weaker mode)."""
        import openai

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
            sent = _Sent(body, id_, purpose, attempt, (time.monotonic() - started) * 1000)
            if verdict.refusal is not None:
                self.budget.settle(estimate, None, None)
                return _Refused(verdict.refusal, sent)
            if verdict.final:
                self.budget.settle(estimate, None, None)
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
        """What to do after a failed attempt: wait and retry, or stop (a refusal of the request
        as invalid is never retried)."""
        import openai

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
        if isinstance(error, openai.APIStatusError):
            refusal = refusal_of(error.status_code, error_text(error.body, error.message))
            if refusal is not None:
                return _Verdict(
                    f"{error.status_code} rejected: {_message(error)}",
                    SkipCategory.ENDPOINT_REJECTED,
                    0.0,
                    refusal=refusal,
                )
            wait = retry_after(error.response.headers)
            return _Verdict(
                f"{error.status_code} server error: {_message(error)}",
                SkipCategory.SERVER_ERROR,
                wait if wait is not None else backoff,
                final=out_of_retries,
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
        return _Verdict(
            f"unexpected reply: {_message(error)}",
            SkipCategory.UNEXPECTED_REPLY,
            backoff,
            final=out_of_retries,
        )

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
        return ChatReply(
            sent.id, text, prompt, completion, cost, replayed=False, latency_ms=sent.latency_ms
        )

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
    refusal: Refusal | None = None


@dataclass(frozen=True, slots=True)
class _Refused:
    """The server refused a payload as invalid: the caller steps down or records the rejection."""

    refusal: Refusal
    sent: _Sent


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
