"""What an endpoint says about itself, for ``goldmine llm check``: the models it lists and the
context length it serves, when it reports one.

Each server reports the context length its own way: vLLM and SGLang as ``max_model_len`` in
``/v1/models``, LM Studio as ``max_context_length`` there, llama.cpp's ``llama-server`` as
``default_generation_settings.n_ctx`` in ``GET /props``, Ollama in ``POST /api/show``, TGI as
``max_input_tokens`` in ``GET /info``. llama-cpp-python and OpenAI report none. Every request here
has a connect timeout of a few seconds and no retries, so a URL where nothing listens is said at
once, in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from flows.errors import LLMEndpointError
from flows.llm.client import Endpoint

CONNECT_SECONDS = 3.0
READ_SECONDS = 10.0
# Keys of a /v1/models entry that hold the context length, and the servers that write them.
_LISTED_CONTEXT = (("max_model_len", "vLLM / SGLang"), ("max_context_length", "LM Studio"))


@dataclass(frozen=True, slots=True)
class ServerFacts:
    """The models an endpoint lists and its context length (None: not reported), with where the
    length was read."""

    models: tuple[str, ...]
    context_tokens: int | None = None
    context_source: str = ""


def server_facts(endpoint: Endpoint) -> ServerFacts:
    """Ask the endpoint which models it serves and how long a context it takes (raises
    :class:`LLMEndpointError` when nothing answers at its URL)."""
    timeout = httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)
    headers = {"Authorization": f"Bearer {endpoint.api_key}"}
    with httpx.Client(timeout=timeout, headers=headers) as http:
        listing = _listing(http, endpoint)
        entries = [entry for entry in listing if isinstance(entry, dict)]
        models = tuple(str(entry.get("id", "")) for entry in entries if entry.get("id"))
        for read in _context_readers(http, endpoint):
            found = read(entries)
            if found is not None:
                return ServerFacts(models, found[0], found[1])
    return ServerFacts(models)


def _listing(http: httpx.Client, endpoint: Endpoint) -> list[Any]:
    """The ``data`` of ``GET …/models`` (empty when the server has no such route)."""
    url = f"{endpoint.base_url.rstrip('/')}/models"
    try:
        response = http.get(url)
    except httpx.ReadTimeout:
        raise LLMEndpointError(
            f"the LLM endpoint at {endpoint.public_url} took the connection but did not answer "
            f"GET /models within {READ_SECONDS:g}s; it may be busy with another request: try "
            "again when it is idle"
        ) from None
    except httpx.TransportError as error:
        raise LLMEndpointError(
            f"cannot reach the LLM endpoint at {endpoint.public_url} "
            f"({type(error).__name__}: {error or 'no answer'}); start the server or fix "
            "GOLDMINE_LLM_BASE_URL / [llm] base_url"
        ) from None
    if response.status_code in (401, 403):
        raise LLMEndpointError(
            f"the LLM endpoint at {endpoint.public_url} refused the API key "
            f"({response.status_code}); set GOLDMINE_LLM_API_KEY (or the variable named by "
            "[llm] api_key_env)"
        )
    data = _json(response).get("data")
    return data if isinstance(data, list) else []


def _context_readers(
    http: httpx.Client, endpoint: Endpoint
) -> tuple[Callable[[list[dict[str, Any]]], tuple[int, str] | None], ...]:
    """The ways to read the context length, cheapest first."""
    root = endpoint.base_url.rstrip("/").removesuffix("/v1")

    def listed(entries: list[dict[str, Any]]) -> tuple[int, str] | None:
        entry = next((e for e in entries if e.get("id") == endpoint.model), None)
        for key, server in _LISTED_CONTEXT:
            value = (entry or (entries[0] if entries else {})).get(key)
            if isinstance(value, int):
                return value, f"{key} in /v1/models ({server})"
        return None

    def props(entries: list[dict[str, Any]]) -> tuple[int, str] | None:
        settings = _get(http, f"{root}/props").get("default_generation_settings")
        value = settings.get("n_ctx") if isinstance(settings, dict) else None
        return (
            (value, "n_ctx in /props (llama.cpp llama-server)") if isinstance(value, int) else None
        )

    def ollama(entries: list[dict[str, Any]]) -> tuple[int, str] | None:
        shown = _post(http, f"{root}/api/show", {"model": endpoint.model})
        for line in str(shown.get("parameters", "")).splitlines():
            if line.split()[:1] == ["num_ctx"] and line.split()[-1].isdigit():
                return int(line.split()[-1]), "num_ctx in /api/show (Ollama)"
        info = shown.get("model_info")
        lengths = [v for k, v in (info or {}).items() if k.endswith(".context_length")]
        if lengths and isinstance(lengths[0], int):
            return lengths[0], "the model's context_length in /api/show (Ollama serves num_ctx)"
        return None

    def tgi(entries: list[dict[str, Any]]) -> tuple[int, str] | None:
        value = _get(http, f"{root}/info").get("max_input_tokens")
        return (value, "max_input_tokens in /info (TGI)") if isinstance(value, int) else None

    return listed, props, ollama, tgi


def _get(http: httpx.Client, url: str) -> dict[str, Any]:
    try:
        return _json(http.get(url))
    except httpx.HTTPError:
        return {}


def _post(http: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return _json(http.post(url, json=body))
    except httpx.HTTPError:
        return {}


def _json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a successful answer, else empty (a route this server lacks)."""
    if response.status_code != 200:
        return {}
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
