"""The dashboard: server-rendered pages over the same jobs as the API, as the signed-in caller.

Pages (``/dashboard/...``): results across organisations (the deployment matrix and its history),
one result's drill-down (per pack, per hazard, per item, with the responses the caller's grants
disclose), incidents by TLP with their reporting deadlines, and the transparency log with a
"verify this" box. Every page reads through the pipeline's service jobs with the caller's
``Principal`` (``_dashboard_views``), so a page can show nothing the API would not return to the
same caller: a reader without a grant sees redacted items, never the text.

Why a cookie: a browser cannot send an ``Authorization`` header on a plain link, so signing in
(``POST /dashboard/login``) puts the token in an ``HttpOnly`` (no script can read it),
``SameSite=Strict`` (no other site's page can make the browser send it, which is also the CSRF
defence for the two POST forms), ``Path=/dashboard`` session cookie; ``Secure`` when served over
https. The token is checked on every request exactly as a bearer token is (revoked → signed out).
A link ``/dashboard/login#token=...`` signs in without the token reaching a URL the server logs.

Why the headers: ``Content-Security-Policy`` allows only this server's stylesheet and the one
login script (``default-src 'none'``): nothing is fetched from elsewhere, nothing framed, forms
post only here. Pages are ``Cache-Control: no-store`` because they may hold restricted text.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

import accord.pipeline as pipeline
from accord.errors import AccordError
from accord.pipeline import PUBLIC, AuthError, Principal, authenticate
from accord.server import _dashboard_views as views
from accord.server._app import status_of
from accord.server._deps import MAX_TOKEN_CHARS, app_state, principal_of

BASE = "/dashboard"
COOKIE = "accord_dashboard"
#: A sign-in lasts at most this long (seconds), then the browser forgets the token.
SESSION_S = 8 * 3600
#: The largest form body a dashboard POST reads (a pasted envelope with its bundle fits).
MAX_FORM_BYTES = 4 * 1024 * 1024
CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
STATIC = {"dashboard.css": "text/css; charset=utf-8", "login.js": "text/javascript; charset=utf-8"}
NAV = (("results", "Results", f"{BASE}/"), ("incidents", "Incidents", f"{BASE}/incidents"), ("log", "Log", f"{BASE}/log"))

router = APIRouter(include_in_schema=False)


# -- rendering ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("accord.server", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = views.pct
    env.filters["when"] = views.when
    env.filters["decision_class"] = views.decision_class
    env.filters["tlp_class"] = views.tlp_class
    env.filters["q"] = lambda value: urllib.parse.quote(str(value), safe="")
    env.filters["rate"] = views.rate
    return env


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def render(request: Request, template: str, who: Principal, *, status: int = 200, section: str = "", **context: Any) -> Response:
    """A page: ``template`` with the layout's context (who is signed in, the navigation)."""
    title = context.pop("title", "accord")
    html = (
        _env()
        .get_template(template)
        .render(
            base=BASE,
            site=app_state(request).config.name,
            nav=NAV,
            section=section,
            who=who,
            title=title,
            **context,
        )
    )
    return _secure(HTMLResponse(html, status_code=status))


def _error(request: Request, who: Principal, exc: AccordError) -> Response:
    status = status_of(exc)
    titles = {401: "Not signed in", 403: "Not allowed", 404: "Not found", 422: "Does not verify", 503: "Store unavailable"}
    return render(
        request,
        "error.html.j2",
        who,
        status=status,
        title=titles.get(status, "Cannot show this"),
        message=exc.what,
        why=exc.why or "",
        fix=exc.fix or "",
        status_code=status,
    )


# -- who is asking -------------------------------------------------------------------------


def viewer(request: Request) -> Principal:
    """The caller: a bearer token (API clients) wins, else the sign-in cookie, else ``PUBLIC``."""
    if request.headers.get("authorization") is not None:
        return principal_of(request)
    token = request.cookies.get(COOKIE)
    if not token:
        return PUBLIC
    if len(token) > MAX_TOKEN_CHARS:
        raise AuthError("the sign-in cookie is not a token")
    return authenticate(app_state(request).store, token, action=f"{request.method} {request.url.path}")


def _signed_out(request: Request, message: str) -> Response:
    """Back to the sign-in form with the (no longer valid) cookie removed."""
    back = request.url.path if request.method == "GET" else f"{BASE}/"
    response = render(request, "login.html.j2", PUBLIC, status=401, title="Sign in", message=message, next=_safe_next(back))
    response.delete_cookie(COOKIE, path=BASE)
    return response


def page(request: Request, build: Callable[[Principal], Response]) -> Response:
    """Run one page's ``build`` as the caller; any refusal becomes an HTML error page."""
    try:
        who = viewer(request)
    except AuthError as exc:
        if request.headers.get("authorization") is not None:
            return _error(request, PUBLIC, exc)
        return _signed_out(request, f"Your sign-in is no longer valid ({exc.what}). Sign in again.")
    try:
        return build(who)
    except AccordError as exc:
        return _error(request, who, exc)


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: only a dashboard path on this server (no open redirect)."""
    if not value or not value.startswith(BASE) or value.startswith("//") or "\\" in value or any(c in value for c in "\r\n"):
        return f"{BASE}/"
    return value


def _same_origin(request: Request) -> bool:
    """A form POST from this server's own pages. Browsers say where a request comes from in
    ``Sec-Fetch-Site`` (and ``Origin``); a POST another site's page made is refused even
    though the SameSite=Strict cookie would not be sent with it. Clients that send neither
    (scripts with a bearer token) are not browsers being tricked, so they pass."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urllib.parse.urlsplit(origin).netloc == request.headers.get("host", "")


async def _form(request: Request) -> dict[str, str]:
    """A urlencoded form body, bounded (python-multipart is not needed for two fields)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise views.input_error(f"the form is over {MAX_FORM_BYTES:,} bytes")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise views.input_error(f"the form is over {MAX_FORM_BYTES:,} bytes")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise views.input_error("the form must be sent as application/x-www-form-urlencoded")
    try:
        pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise views.input_error(f"the form does not parse: {exc}") from None
    return dict(pairs)


# -- routes: session -------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
def root() -> Response:
    return RedirectResponse(f"{BASE}/", status_code=307)


@router.get(BASE, include_in_schema=False)
def dashboard_no_slash() -> Response:
    return RedirectResponse(f"{BASE}/", status_code=307)


@router.get(f"{BASE}/static/{{name}}")
def static(name: str) -> Response:
    """The stylesheet and the login script (the only assets; nothing else is served from here)."""
    kind = STATIC.get(name)
    if kind is None:
        return _secure(Response("not found", status_code=404, media_type="text/plain"))
    body = (resources.files("accord.server") / "static" / name).read_bytes()
    if name == "dashboard.css":  # the report's chart rules, so charts lay out as in a report
        body += b"\n" + str(pipeline.CHART_CSS).encode("utf-8") + b"\n"
    response = Response(body, media_type=kind)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return _secure(response)


@router.get(f"{BASE}/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query parameter's name
    return render(request, "login.html.j2", PUBLIC, title="Sign in", message="", next=_safe_next(next))


@router.post(f"{BASE}/login")
async def login(request: Request) -> Response:
    """Check the token as a bearer token would be checked; on success keep it in the cookie."""
    if not _same_origin(request):
        return render(
            request, "login.html.j2", PUBLIC, status=403, title="Sign in", message="sign in from this server's own page", next=f"{BASE}/"
        )
    try:
        form = await _form(request)
    except AccordError as exc:
        return render(request, "login.html.j2", PUBLIC, status=status_of(exc), title="Sign in", message=exc.what, next=f"{BASE}/")
    token = form.get("token", "").strip()
    nxt = _safe_next(form.get("next"))
    if not token or len(token) > MAX_TOKEN_CHARS:
        return render(request, "login.html.j2", PUBLIC, status=401, title="Sign in", message="that is not a token", next=nxt)
    try:
        await _in_thread(authenticate, app_state(request).store, token, action="dashboard login")
    except AuthError as exc:
        return render(request, "login.html.j2", PUBLIC, status=401, title="Sign in", message=f"not signed in: {exc.what}", next=nxt)
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(COOKIE, token, max_age=SESSION_S, path=BASE, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return _secure(response)


@router.post(f"{BASE}/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse(f"{BASE}/", status_code=303)
    response.delete_cookie(COOKIE, path=BASE)
    return _secure(response)


async def _in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A blocking job (the store) off the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args, **kwargs)


# -- routes: pages ---------------------------------------------------------------------------


@router.get(f"{BASE}/")
def home(request: Request, page_no: int = 1) -> Response:
    """Runs and verdicts across organisations: the latest decision per target and jurisdiction,
    and how each target's floor moved over time."""

    def build(who: Principal) -> Response:
        data = views.home(app_state(request), who, page=views.page_number(page_no))
        return render(request, "home.html.j2", who, section="results", title="Results across organisations", charts=_charts(data), **data)

    return page(request, build)


@router.get(f"{BASE}/results/{{result_id}}")
def result(request: Request, result_id: str, items: int = 1) -> Response:
    def build(who: Principal) -> Response:
        data = views.result(app_state(request), who, result_id, items_page=views.page_number(items))
        return render(
            request, "result.html.j2", who, section="results", title=f"Result {data['result']['id']}", charts=_charts(data), **data
        )

    return page(request, build)


@router.get(f"{BASE}/targets/{{name:path}}")
def target_history(request: Request, name: str, page_no: int = 1) -> Response:
    """One target's published results over time: rates with n and intervals, verdicts, versions."""

    def build(who: Principal) -> Response:
        data = views.target_history(app_state(request), who, name, page=views.page_number(page_no))
        return render(request, "target.html.j2", who, section="results", title=f"History of {name[:80]}", charts=_charts(data), **data)

    return page(request, build)


@router.get(f"{BASE}/incidents")
def incidents(
    request: Request, tlp: str | None = None, status: str | None = None, q: str | None = None, cursor: str | None = None
) -> Response:
    def build(who: Principal) -> Response:
        data = views.incidents(app_state(request), who, tlp=tlp or None, status=status, q=q, cursor=cursor)
        return render(request, "incidents.html.j2", who, section="incidents", title="Incidents", **data)

    return page(request, build)


@router.get(f"{BASE}/incidents/{{incident_id}}")
def incident(request: Request, incident_id: str) -> Response:
    def build(who: Principal) -> Response:
        data = views.incident(app_state(request), who, incident_id)
        return render(request, "incident.html.j2", who, section="incidents", title=data["incident"]["title"], **data)

    return page(request, build)


@router.get(f"{BASE}/log")
def log_page(request: Request) -> Response:
    def build(who: Principal) -> Response:
        data = views.log(app_state(request), who)
        return render(request, "log.html.j2", who, section="log", title="Transparency log", verified=None, pasted="", **data)

    return page(request, build)


@router.post(f"{BASE}/log/verify")
async def verify_this(request: Request) -> Response:
    """The "verify this" box: a result id or a pasted DSSE envelope, checked server-side against
    this server's own log; the page shows each check and its outcome."""
    if not _same_origin(request):
        return _error(request, PUBLIC, views.denied("post the form from this server's own page"))
    try:
        form = await _form(request)
    except AccordError as exc:
        return _error(request, PUBLIC, exc)
    pasted = form.get("what", "")

    def build(who: Principal) -> Response:
        st = app_state(request)
        outcome = views.verify_this(st, who, pasted)
        data = views.log(st, who)
        status = 200 if outcome["ok"] else 422
        return render(
            request,
            "log.html.j2",
            who,
            status=status,
            section="log",
            title="Transparency log",
            verified=outcome,
            pasted=pasted[:200_000],
            **data,
        )

    return await _in_thread(page, request, build)


def _charts(data: dict[str, Any]) -> dict[str, Markup]:
    """The chart SVGs a view built (already escaped by the chart functions) as markup."""
    return {k: Markup(v) for k, v in data.pop("charts", {}).items()}  # noqa: S704 - SVG from accord's chart functions, which escape every text
