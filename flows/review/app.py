"""The review page: a small Starlette app for one person on this machine.

Safety, since the page shows private code: the server listens on 127.0.0.1 only (see
``flows/commands/review.py``); every page lives under a random token printed in the URL, and any
other path is a 404; the Host header must name the loopback (no DNS rebinding); a POST must come
from the page itself (its Origin, when sent, is this server; it carries the form's CSRF token; it is
a plain urlencoded form); responses forbid framing, caching, referrers and any script or style not
served by this app. The page needs no network: its CSS and JS are bundled in ``static/``.

Every verdict is written to ``reviews`` before the reply goes out, so closing the browser loses
nothing; opening the page again resumes at the first record without a verdict.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from flows.review.item import load_item, load_record
from flows.review.render import pygments_css
from warehouse.errors import InvalidVerdict
from warehouse.outcomes import ReviewVerdict
from warehouse.records import InstructionRecord
from warehouse.review.sample import ReviewSample
from warehouse.review.stats import review_report
from warehouse.review.verdicts import (
    INSTRUCTION_FIELDS,
    REASONS,
    StoredVerdict,
    VerdictGiven,
    edited_agent,
    edited_instruction,
    latest_verdicts,
    record_verdict,
)
from warehouse.store import Warehouse

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
MAX_FORM_BYTES = 4_000_000
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
NOT_FOUND = (
    "not found: open the address `goldmine review` printed (it changes each time the server starts)"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",  # "no-referrer" would make form posts send "Origin: null"
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@dataclass(slots=True)
class ReviewSession:
    """One person reviewing one sample through one running server."""

    warehouse: Warehouse
    sample: ReviewSample
    reviewer: str
    key: bytes
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def base(self) -> str:
        """The path every page lives under."""
        return f"/{self.token}"

    @property
    def csrf(self) -> str:
        """The token every form carries (derived from the URL token, so it survives a page
        reload)."""
        return hmac.new(self.token.encode(), b"goldmine-review-csrf", hashlib.sha256).hexdigest()

    def verdicts(self) -> dict[str, StoredVerdict]:
        """The latest verdict on each sampled candidate that has one."""
        return latest_verdicts(self.warehouse, (item.candidate_id for item in self.sample.items))

    def next_position(self, after: int, verdicts: dict[str, StoredVerdict]) -> int | None:
        """The first position after ``after`` (wrapping round) whose candidate has no verdict
        yet."""
        total = len(self.sample.items)
        for step in range(1, total + 1):
            position = (after + step - 1) % total + 1
            if self.sample.items[position - 1].candidate_id not in verdicts:
                return position
        return None


def create_app(
    session: ReviewSession, *, allowed_hosts: Sequence[str] = LOOPBACK_HOSTS
) -> Starlette:
    """The review app for ``session``."""
    base = session.base
    routes = [
        Route(f"{base}/", home),
        Route(f"{base}/item/{{position:int}}", show_item, methods=["GET"]),
        Route(f"{base}/item/{{position:int}}", post_item, methods=["POST"]),
        Route(f"{base}/overview", overview),
        Route("/static/pygments.css", pygments_stylesheet),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
        Middleware(BaseHTTPMiddleware, dispatch=_guard),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.session = session
    app.state.templates = _templates()
    return app


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["reasons"] = REASONS
    env.filters["reason_label"] = lambda tag: REASONS.get(tag, tag)
    env.filters["percent"] = lambda value: "–" if value is None else f"{100 * value:.1f}%"
    return env


async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Unknown paths are 404 before routing; POSTs must come from this page; every reply gets the
    safety headers."""
    session: ReviewSession = request.app.state.session
    path = request.url.path
    if not path.startswith("/static/"):
        first = path.split("/")[1] if "/" in path else ""
        if not secrets.compare_digest(first.encode(), session.token.encode()):
            return _with_headers(PlainTextResponse(NOT_FOUND, status_code=404))
    if request.method == "POST":
        refusal = _refuse_cross_site(request)
        if refusal:
            return _with_headers(PlainTextResponse(refusal, status_code=403))
    return _with_headers(await call_next(request))


def _refuse_cross_site(request: Request) -> str:
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
        return "refused: this form was not sent by the review page"
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "refused: cross-site request"
    return ""


def _with_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


async def _form(request: Request) -> dict[str, list[str]]:
    """The posted form, after checking its type, size and CSRF token."""
    session: ReviewSession = request.app.state.session
    if (
        request.headers.get("content-type", "").split(";")[0].strip()
        != "application/x-www-form-urlencoded"
    ):
        raise HTTPException(415, "send the review form as application/x-www-form-urlencoded")
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
        raise HTTPException(413, "the form is too large")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "the form is too large")
    form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    if not secrets.compare_digest(_one(form, "csrf").encode(), session.csrf.encode()):
        raise HTTPException(
            403, "refused: the form's CSRF token is missing or wrong; reload the page"
        )
    return form


def _one(form: dict[str, list[str]], name: str) -> str:
    return form.get(name, [""])[0]


async def home(request: Request) -> Response:
    """Resume: the first record without a verdict, or the overview when every record has one."""
    session: ReviewSession = request.app.state.session
    position = session.next_position(0, session.verdicts())
    target = f"{session.base}/item/{position}" if position else f"{session.base}/overview"
    return RedirectResponse(target, status_code=303)


async def show_item(request: Request) -> Response:
    """The page of one sampled record."""
    return _render_item(request, _position(request))


async def post_item(request: Request) -> Response:
    """Store a verdict at once, then go on to the next record without one."""
    session: ReviewSession = request.app.state.session
    position = _position(request)
    form = await _form(request)
    try:
        record_verdict(session.warehouse, _verdict_from(session, position, form), session.key)
    except InvalidVerdict as error:
        return _render_item(request, position, error=str(error), form=form, status_code=422)
    following = session.next_position(position, session.verdicts())
    target = f"{session.base}/item/{following}" if following else f"{session.base}/overview"
    return RedirectResponse(target, status_code=303)


def _position(request: Request) -> int:
    session: ReviewSession = request.app.state.session
    position = int(request.path_params["position"])
    if not 1 <= position <= len(session.sample.items):
        raise HTTPException(404, f"the sample has records 1 to {len(session.sample.items)}")
    return position


# The page's buttons and the verdicts they give.
_ACTIONS = {
    "accept": ReviewVerdict.ACCEPTED,
    "reject": ReviewVerdict.REJECTED,
    "edit": ReviewVerdict.EDITED,
}


def _verdict_from(
    session: ReviewSession, position: int, form: dict[str, list[str]]
) -> VerdictGiven:
    candidate_id = session.sample.items[position - 1].candidate_id
    action = _one(form, "action")
    verdict = _ACTIONS.get(action)
    if verdict is None:
        raise InvalidVerdict(f"unknown action {action!r}")
    edited = (
        _edited_record(session, candidate_id, form) if verdict == ReviewVerdict.EDITED else None
    )
    return VerdictGiven(
        candidate_id=candidate_id,
        verdict=verdict,
        reviewer=session.reviewer,
        nonce=_one(form, "nonce") or secrets.token_hex(8),
        reasons=tuple(form.get("reason", [])) if verdict == ReviewVerdict.REJECTED else (),
        note=_one(form, "note") if verdict == ReviewVerdict.REJECTED else "",
        edited_record=edited,
    )


def _edited_record(
    session: ReviewSession, candidate_id: str, form: dict[str, list[str]]
) -> dict[str, Any]:
    original = load_record(session.warehouse, candidate_id)
    if isinstance(original, InstructionRecord):
        edited = edited_instruction(
            original, {name: _one(form, name) for name in INSTRUCTION_FIELDS}
        )
    else:
        edited = edited_agent(original, _one(form, "conversation"))
    if edited == original.model_dump():
        raise InvalidVerdict("the edit changes nothing: press Accept to keep the record as drafted")
    return edited


def _render_item(
    request: Request,
    position: int,
    *,
    error: str = "",
    form: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    session: ReviewSession = request.app.state.session
    verdicts = session.verdicts()
    item = session.sample.items[position - 1]
    view = load_item(session.warehouse, item.candidate_id, verdicts.get(item.candidate_id))
    if form is not None:  # a refused form comes back as it was typed
        view.edit_values.update(
            {name: values[0] for name, values in form.items() if name in view.edit_values}
        )
    context = {
        "session": session,
        "position": position,
        "total": len(session.sample.items),
        "reviewed": sum(1 for i in session.sample.items if i.candidate_id in verdicts),
        "item": view,
        "stratum": item.stratum,
        "error": error,
        "form_action": _one(form, "action") if form else "",
        "checked": set(form.get("reason", [])) if form else set(),
        "note": _one(form, "note") if form else "",
        "nonce": secrets.token_hex(12),
        "next_open": session.next_position(position, verdicts),
    }
    return _html(request, "item.html.j2", context, status_code)


async def overview(request: Request) -> Response:
    """The sample at a glance, and what the verdicts so far say."""
    session: ReviewSession = request.app.state.session
    verdicts = session.verdicts()
    rows = [
        (position, item, verdicts.get(item.candidate_id))
        for position, item in enumerate(session.sample.items, 1)
    ]
    context = {
        "session": session,
        "rows": rows,
        "total": len(rows),
        "reviewed": len(verdicts),
        "report": review_report(session.warehouse),
        "next_open": session.next_position(0, verdicts),
    }
    return _html(request, "overview.html.j2", context)


async def pygments_stylesheet(request: Request) -> Response:
    """The highlighting colours, generated from Pygments' styles."""
    return Response(pygments_css(), media_type="text/css")


def _html(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    env: jinja2.Environment = request.app.state.templates
    return HTMLResponse(env.get_template(template).render(**context), status_code=status_code)
