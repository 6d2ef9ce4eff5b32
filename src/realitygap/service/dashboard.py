"""The team's dashboard: sign-in, the Reality Check's sections as pages, the report download,
users and the audit log (docs/service.md, docs/security.md).

Every page renders the report's own sections (:func:`realitygap.report.build` of the composite
:func:`realitygap.analysis.reality_check`): the web layer computes no statistic. The composite
is computed once per version of the workspace's data and served from memory until any table it
reads changes. Roles without verbatim access get every section without its quotes and without
tables of customer ids, in pages and downloads alike.
"""

from __future__ import annotations

import csv
import io
import secrets
import tempfile
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from realitygap.analysis.findings import est_range
from realitygap.report.model import Quotes, Report, Section, Table
from realitygap.report.render import (
    FORMULA_TRIGGERS,
    cell_text,
    render_html,
    write_pdf,
    write_xlsx,
)
from realitygap.service import access as auth
from realitygap.service.access import (
    SESSION_COOKIE,
    Permission,
    Visitor,
    cross_site,
    security_headers,
)
from realitygap.store import users as store
from realitygap.store.settings import record_settings_change
from realitygap.store.subset import Subset, choices, restrict
from realitygap.store.version import data_version
from realitygap.store.workspace import Workspace

if TYPE_CHECKING:
    from realitygap.analysis.fieldwork import ResponseRates
    from realitygap.analysis.gap import GapHeadline

LOGIN_COOKIE = "rg_login"  # the sign-in form's CSRF token (there is no session yet)
# Strict: nothing from another host, no inline script (only our own /app/static/live.js, which
# polls /app/live.json from this host), styles only from our own stylesheet.
CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
FILTERS = ("wave", "segment", "touchpoint", "department")
LIVE_SECONDS = 15  # how often an open page asks for the live figures
_SECURITY_HEADERS = security_headers(CSP)


@dataclass
class ReportCache:
    """Reports of the newest data version seen, one per filter, and how many times one was
    computed. A new data version drops every report of the older one."""

    version: tuple[Any, ...] | None = None
    reports: dict[tuple[tuple[str, str], ...], Report] = field(default_factory=dict)
    live: dict[tuple[tuple[str, str], ...], dict[str, Any]] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    computed: int = 0

    def current(self, version: tuple[Any, ...]) -> ReportCache:
        """This cache, emptied first when ``version`` is newer than what it holds."""
        if version != self.version:
            self.version, self.reports, self.live, self.choices = version, {}, {}, {}
        return self


class BadFilter(ValueError):
    """A filter value the workspace does not have (the message names it and the choices)."""


def for_visitor(part: Section, visitor: Visitor) -> Section:
    """The section as this visitor may see it: without quotes and tables of customer ids
    unless their role grants verbatim access."""
    if visitor.may(Permission.VERBATIM):
        return part
    kept = tuple(
        b
        for b in part.blocks
        if not isinstance(b, Quotes) and not (isinstance(b, Table) and b.personal)
    )
    return replace(part, blocks=kept)


def _csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def install(app: FastAPI, open_workspace: Any) -> None:
    """Add the dashboard's routes to ``app``; ``open_workspace()`` is the app's context manager
    giving the workspace for one request."""
    env = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("realitygap.service", "templates"),
                PackageLoader("realitygap.report", "templates"),
            ]
        ),
        autoescape=select_autoescape(["html", "j2"]),
    )
    env.filters["cell"] = cell_text
    stylesheet = "\n".join(
        resources.files(package).joinpath(name).read_text("utf-8")
        for package, name in (
            ("realitygap.report", "templates/report.css"),
            ("realitygap.service", "templates/dashboard/dashboard.css"),
        )
    )
    live_js = resources.files("realitygap.service").joinpath("static/live.js").read_text("utf-8")
    cached = app.state.dashboard_cache = ReportCache()

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        response = HTMLResponse(env.get_template(name).render(**context), status_code=status)
        response.headers.update(_SECURITY_HEADERS)
        return response

    def current(ws: Workspace) -> ReportCache:
        """The cache for the workspace's data version: one fingerprint (a scan of every table
        the composite reads) per request, not one per lookup."""
        return cached.current(data_version(ws))

    def subset_of(cache: ReportCache, ws: Workspace, request: Request) -> Subset:
        """The filters in the query string (empty: everything), each checked against the
        values the workspace has."""
        if not cache.choices:
            cache.choices = choices(ws)
        picked: dict[str, str] = {}
        for name in FILTERS:
            value = request.query_params.get(name, "").strip()
            if not value:
                continue
            if value not in cache.choices[name]:
                known = ", ".join(cache.choices[name]) or "none"
                raise BadFilter(f"There is no {name} {value!r} in this workspace; known: {known}.")
            picked[name] = value
        return Subset(**picked)

    def report_of(cache: ReportCache, ws: Workspace, subset: Subset) -> Report:
        key = subset.key()
        if key not in cache.reports:
            from realitygap.analysis import reality_check
            from realitygap.report import build

            check = reality_check(ws, subset=subset)
            cache.reports[key] = build(check)
            cached.computed += 1
            if check.gap is not None and key not in cache.live:
                # the live figures are two of the composite's results (the same analyses with
                # the same defaults on the same filtered view): kept, not computed again
                cache.live[key] = live_body(key, check.fieldwork, check.gap.headline)
        return cache.reports[key]

    def live_of(cache: ReportCache, ws: Workspace, subset: Subset) -> dict[str, Any]:
        """The live campaigns' response rates and the gap headline, from the analyses
        (response_rates, gap) on the filtered workspace, or from the composite when it has
        been computed; cached per data version."""
        key = subset.key()
        if key not in cache.live:
            from realitygap.analysis import gap, response_rates

            view = restrict(ws, subset)
            try:
                rates = response_rates(view)
                headline = gap(view, by=()).headline
            finally:
                if view is not ws:
                    view.close()
            cache.live[key] = live_body(key, rates, headline)
        return cache.live[key]

    def live_body(
        key: tuple[tuple[str, str], ...], rates: ResponseRates, headline: GapHeadline | None
    ) -> dict[str, Any]:
        """The live figures as /app/live.json sends them."""
        return {
            "filter": dict(key),
            "campaigns": [
                {
                    "campaign_id": k.campaign_id,
                    "wave": k.wave,
                    "invited": k.invited,
                    "completed": k.completed,
                    "rate": k.rate.value,
                    # the report's number format (its Methods table of campaigns)
                    "text": f"{k.campaign_id}: {k.completed:,} of {k.invited:,} answered, "
                    f"response rate {est_range(k.rate, 0, 100, '%')}",
                }
                for k in rates.campaigns
            ],
            "gap": None
            if headline is None
            else {
                "staff_share": headline.staff_share.value,
                "customer_share": headline.customer_share.value,
                "customers": headline.customer_share.n,
                "staff": headline.staff_share.n,
                "text": headline.sentence(),
            },
        }

    def filtered(
        request: Request, permission: Permission = Permission.RESULTS
    ) -> tuple[Visitor, Subset, Report] | Response:
        """The visitor, their filter and the filtered report; else the page to send instead."""
        with open_workspace() as ws:
            visitor = admitted(ws, request, permission)
            if isinstance(visitor, Response):
                return visitor
            cache = current(ws)
            try:
                subset = subset_of(cache, ws, request)
            except BadFilter as exc:
                return page(
                    "dashboard/message.html.j2",
                    400,
                    visitor=visitor,
                    title="No such filter value",
                    message=str(exc),
                )
            return visitor, subset, report_of(cache, ws, subset)

    def as_seen_by(report: Report, visitor: Visitor) -> Report:
        parts = tuple(
            for_visitor(p, visitor) if isinstance(p, Section) else p for p in report.parts
        )
        return replace(report, parts=parts)

    def signed_in(ws: Workspace, request: Request) -> Visitor | None:
        return auth.visitor(ws, request.cookies.get(SESSION_COOKIE))

    def admitted(ws: Workspace, request: Request, permission: Permission) -> Visitor | Response:
        """The signed-in visitor whose role grants ``permission``; else where to send them
        (the sign-in page, or a refusal)."""
        visitor = signed_in(ws, request)
        if visitor is None:
            return to_login(request)
        if not visitor.may(permission):
            return refused(visitor)
        return visitor

    def to_login(request: Request) -> RedirectResponse:
        target = quote(request.url.path, safe="/")
        if request.url.query:  # a shared link to a filtered view survives the sign-in
            target += quote("?" + request.url.query, safe="")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    def refused(visitor: Visitor) -> HTMLResponse:
        return page(
            "dashboard/message.html.j2",
            403,
            visitor=visitor,
            title="Not for your role",
            message=f"Your role ({visitor.user.role}) does not give access to this page.",
        )

    def bad_form() -> HTMLResponse:
        return page(
            "dashboard/message.html.j2",
            403,
            visitor=None,
            title="Form refused",
            message="This form was not sent from this dashboard or has expired. "
            "Please go back, reload the page and try again.",
        )

    # ---- signing in and out -----------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/app") -> Response:
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
        response = page("dashboard/login.html.j2", csrf=token, next=_local(next), error=None)
        _set_cookie(response, request, LOGIN_COOKIE, token)
        return response

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False)
    def login(
        request: Request,
        email: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/app",
    ) -> Response:
        expected = request.cookies.get(LOGIN_COOKIE)
        if cross_site(request) or not expected or not auth.same_token(expected, csrf):
            return bad_form()
        address = request.client.host if request.client else "unknown"
        with open_workspace() as ws:
            try:
                done = auth.sign_in(ws, email, password, address)
            except auth.Throttled:
                response = page(
                    "dashboard/login.html.j2",
                    429,
                    csrf=expected,
                    next=_local(next),
                    error="Too many failed sign-ins. Please wait 15 minutes and try again.",
                )
                response.headers["Retry-After"] = str(int(auth.THROTTLE_WINDOW.total_seconds()))
                return response
        if done is None:
            return page(
                "dashboard/login.html.j2",
                401,
                csrf=expected,
                next=_local(next),
                error="The e-mail address or the password is not right.",
            )
        signed = RedirectResponse(_local(next), status_code=303)
        _set_cookie(signed, request, SESSION_COOKIE, done.session_id)
        signed.delete_cookie(LOGIN_COOKIE, path="/")
        return signed

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        with open_workspace() as ws:
            visitor = signed_in(ws, request)
            if visitor is None:
                return RedirectResponse("/login", status_code=303)
            if cross_site(request) or not auth.same_token(visitor.csrf_token, csrf):
                return bad_form()
            store.end_session(ws, visitor.session_digest)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ---- pages ------------------------------------------------------------------------------
    @app.get("/app/static/dashboard.css", include_in_schema=False)
    def css() -> Response:
        return Response(
            stylesheet, media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    @app.get("/app", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/app/summary", status_code=303)

    @app.get("/app/static/live.js", include_in_schema=False)
    def live_script() -> Response:
        return Response(
            live_js, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"}
        )

    @app.get("/app/live.json", include_in_schema=False)
    def live(request: Request) -> Response:
        """The live figures of the current filter (polled by /app/static/live.js)."""
        with open_workspace() as ws:
            visitor = admitted(ws, request, Permission.RESULTS)
            if isinstance(visitor, Response):
                return JSONResponse({"detail": "sign in first"}, status_code=401)
            try:
                cache = current(ws)
                body = live_of(cache, ws, subset_of(cache, ws, request))
            except BadFilter as exc:
                return JSONResponse({"detail": str(exc)}, status_code=400)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @app.get("/app/report.{kind}", include_in_schema=False)
    def report_download(kind: str, request: Request) -> Response:
        if kind not in DOWNLOADS:
            return Response("Reports come as .html, .pdf or .xlsx.", status_code=404)
        found = filtered(request)
        if isinstance(found, Response):
            return found
        visitor, _, report = found
        shown = as_seen_by(report, visitor)
        text = render_html(shown)
        if kind == "html":
            body: bytes = text.encode("utf-8")
        else:
            with tempfile.TemporaryDirectory(prefix="rg_download_") as folder:
                target = Path(folder) / f"reality-check.{kind}"
                if kind == "pdf":
                    write_pdf(text, target)
                else:
                    write_xlsx(shown, target)
                body = target.read_bytes()
        return Response(
            body,
            media_type=DOWNLOADS[kind],
            headers={
                "Content-Disposition": f'attachment; filename="reality-check.{kind}"',
                "Cache-Control": "no-store",
            },
        )

    @app.get("/app/admin/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request) -> Response:
        with open_workspace() as ws:
            visitor = admitted(ws, request, Permission.USERS)
            if isinstance(visitor, Response):
                return visitor
            record_settings_change(ws)  # a hand edit of settings.toml shows as it is read
            entries = store.audit_entries(ws, limit=200)
        return page("dashboard/audit.html.j2", visitor=visitor, entries=entries)

    @app.get("/app/admin/audit.csv", include_in_schema=False)
    def audit_export(request: Request) -> Response:
        with open_workspace() as ws:
            visitor = admitted(ws, request, Permission.USERS)
            if isinstance(visitor, Response):
                return visitor
            record_settings_change(ws)
            entries = store.audit_entries(ws, limit=1_000_000)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["audit_id", "actor", "changed_at", "action", "target", "before", "after"])
        for e in entries:
            writer.writerow(
                [
                    _csv_safe(v)
                    for v in (
                        e.audit_id,
                        e.actor,
                        e.changed_at,
                        e.action,
                        e.target,
                        e.before,
                        e.after,
                    )
                ]
            )
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={
                "Content-Disposition": 'attachment; filename="audit-log.csv"',
                "Cache-Control": "no-store",
            },
        )

    @app.get("/app/admin/users", response_class=HTMLResponse, include_in_schema=False)
    def users_page(request: Request) -> Response:
        with open_workspace() as ws:
            visitor = admitted(ws, request, Permission.USERS)
            if isinstance(visitor, Response):
                return visitor
            rows = store.users(ws)
        return page(
            "dashboard/users.html.j2",
            visitor=visitor,
            users=rows,
            roles=list(auth.Role),
            error=None,
        )

    @app.post("/app/admin/users", response_class=HTMLResponse, include_in_schema=False)
    def add_user(
        request: Request,
        email: Annotated[str, Form()] = "",
        name: Annotated[str, Form()] = "",
        role: Annotated[str, Form()] = "",
        department: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ) -> Response:
        with open_workspace() as ws:
            visitor = signed_in(ws, request)
            if visitor is None:
                return to_login(request)
            if cross_site(request) or not auth.same_token(visitor.csrf_token, csrf):
                return bad_form()
            if not visitor.may(Permission.USERS):
                return refused(visitor)
            try:
                auth.add_user(
                    ws,
                    email,
                    name,
                    role,
                    password,
                    department=department or None,
                    actor=visitor.user.user_id,
                )
            except auth.AccessError as exc:
                return page(
                    "dashboard/users.html.j2",
                    422,
                    visitor=visitor,
                    users=store.users(ws),
                    roles=list(auth.Role),
                    error=str(exc),
                )
        return RedirectResponse("/app/admin/users", status_code=303)

    @app.get("/app/{section_id}", response_class=HTMLResponse, include_in_schema=False)
    def section_page(section_id: str, request: Request) -> Response:
        found = filtered(request)
        if isinstance(found, Response):
            return found
        visitor, subset, report = found
        part = next((p for p in report.parts if p.id == section_id), None)
        if part is None:
            return page(
                "dashboard/message.html.j2",
                404,
                visitor=visitor,
                title="No such page",
                message="This page is not part of the Reality Check.",
            )
        shown = for_visitor(part, visitor) if isinstance(part, Section) else part
        return page(
            "dashboard/section.html.j2",
            visitor=visitor,
            report=report,
            part=shown,
            current=section_id,
            subset=subset,
            options=cached.choices,
            query=_query(subset),
            live_seconds=LIVE_SECONDS,
        )


DOWNLOADS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _query(subset: Subset) -> str:
    """``?wave=...&department=...`` of the filter ("" for none): appended to every link."""
    return ("?" + urlencode(subset.key())) if subset.key() else ""


def _local(target: str) -> str:
    """Only a path of this dashboard (with its filter): a ``next`` pointing elsewhere is an
    open redirect."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/app"):
        return "/app"
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k in FILTERS]
    return parts.path + ("?" + urlencode(kept) if kept else "")


def _set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",  # behind TLS (a proxy sets X-Forwarded-Proto)
        path="/",
        max_age=int(auth.ABSOLUTE.total_seconds()),
    )
