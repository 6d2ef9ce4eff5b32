"""The web application: respondent pages per personal link, and the ``/api`` for scripts.

On the embedded DuckDB workspace the process serves one request at a time and keeps the
workspace open only while requests are waiting for it: it closes it whenever none is, so that
``realitygap gap`` and the other commands can open it between bursts and see every
acknowledged answer at once (under unbroken load they wait, then are refused naming the
server's process id).
"""

from __future__ import annotations

import os
import queue
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from realitygap.service import api_models as m
from realitygap.service import cases_web, dashboard
from realitygap.service.access import Permission, may
from realitygap.service.languages import CATALOGUE, chrome, language_name
from realitygap.service.survey import (
    REQUIRED_MESSAGE,
    Refusal,
    Rejected,
    Survey,
    accepted_languages,
    check_answers,
    check_page,
    choose_language,
    open_anonymous,
    open_link,
    opened_cases,
    submit_page,
)
from realitygap.store import campaigns as store
from realitygap.store.link_key import derived_token, link_key, sign, unsign
from realitygap.store.location import is_postgres
from realitygap.store.settings import auto_case_rule
from realitygap.store.users import role_token_by_digest
from realitygap.store.workspace import Workspace

WORKSPACE_ENV = "REALITYGAP_SERVE_WORKSPACE"

PAGE_LIMIT_MAX = 500
OPEN_COOKIE_DAYS = 180  # how long a browser keeps its open-link session
LANG_COOKIE = "rg_lang"
LANG_COOKIE_DAYS = 180
_FIELD = "answer:"


class WorkspaceAccess:
    """Opens the workspace for a request.

    On the embedded store: one request at a time; the workspace is kept open from one
    request to the next while others wait for it, and closed when none does (DuckDB's file
    lock admits one process: another command gets it then). On PostgreSQL: a pool of open
    connections, one per request in flight (the database's transactions and unique indexes
    keep concurrent requests and workers apart).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.postgres = is_postgres(path)
        self._lock = threading.Lock()
        self._idle: queue.LifoQueue[Workspace] = queue.LifoQueue()
        self._count = threading.Lock()
        self._wanting = 0  # requests holding or waiting for the embedded workspace
        self._held: Workspace | None = None
        # apply pending migrations now, not on the first request
        first = Workspace.open(path)
        try:
            # an invalid [cases.auto] stops `serve` here, naming the file, key, value and what
            # was expected, instead of surfacing at each submission
            auto_case_rule(first)
        except BaseException:
            first.close()
            raise
        self.key = link_key(first)
        if self.postgres:
            self._idle.put(first)
        else:
            first.close()

    @contextmanager
    def open(self) -> Iterator[Workspace]:
        if not self.postgres:
            with self._embedded() as ws:
                yield ws
            return
        try:
            ws = self._idle.get_nowait()
        except queue.Empty:
            ws = Workspace.open(self.path)
        healthy = False
        try:
            yield ws
            healthy = True
        finally:
            # a connection left inside a transaction or broken is not handed out again
            if healthy and ws.reusable:
                ws.derived.clear()
                self._idle.put(ws)
            else:
                ws.close()

    @contextmanager
    def _embedded(self) -> Iterator[Workspace]:
        with self._count:
            self._wanting += 1
        with self._lock:
            healthy = False
            try:
                if self._held is None:
                    self._held = Workspace.open(self.path)
                yield self._held
                healthy = True
            finally:
                with self._count:
                    self._wanting -= 1
                    last = self._wanting == 0
                if self._held is not None:
                    self._held.derived.clear()
                    if last or not healthy:  # no one waits: another process may have it
                        self._held.close()
                        self._held = None

    def close(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None
        while not self._idle.empty():
            self._idle.get_nowait().close()


def preferred(request: Request, chosen: str | None) -> list[str]:
    """The languages a respondent wants, first first: the switch's choice (``?lang=``), the
    one chosen earlier (a cookie), then the browser's Accept-Language."""
    out = [chosen] if chosen else []
    if remembered := request.cookies.get(LANG_COOKIE):
        out.append(remembered)
    return out + accepted_languages(request.headers.get("accept-language"))


def _cookie(open_id: str) -> str:
    return f"rg_open_{open_id}"


def _access(request: Request) -> WorkspaceAccess:
    access: WorkspaceAccess = request.app.state.access
    return access


def token_scope(
    access: Annotated[WorkspaceAccess, Depends(_access)],
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """The scope of the request's API token (read or write); 401 without a token in force."""
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "an API token is needed: Authorization: Bearer TOKEN")
    digest = store.token_digest(authorization.removeprefix("Bearer ").strip())
    with access.open() as ws:
        row = store.api_token_by_digest(ws, digest)
    if row is None:
        raise HTTPException(401, "the API token is unknown or revoked")
    return row.scope


def reader(scope: Annotated[str, Depends(token_scope)]) -> str:
    return scope


def respondent_reader(
    access: Annotated[WorkspaceAccess, Depends(_access)],
    scope: Annotated[str, Depends(token_scope)],
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """A token that may see respondent ids: a read or write token, or a role token whose role
    has verbatim access (a viewer or manager sees no customer id, docs/service.md)."""
    if scope != "role":
        return scope
    digest = store.token_digest((authorization or "").removeprefix("Bearer ").strip())
    with access.open() as ws:
        token = role_token_by_digest(ws, digest)
    role = "unknown" if token is None else token.role
    if token is None or not may(role, Permission.VERBATIM):
        raise HTTPException(403, f"a {role} token may not see respondent ids")
    return scope


def writer(scope: Annotated[str, Depends(token_scope)]) -> str:
    if scope != "write":
        raise HTTPException(403, "this API token may only read (scope read); use a write token")
    return scope


def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("realitygap.service", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        # the templates are the package's: no stat of each file on every render
        auto_reload=False,
    )


def app_from_environment() -> FastAPI:
    """The application of the workspace named by ``$REALITYGAP_SERVE_WORKSPACE``: what each
    of several uvicorn worker processes builds (``realitygap serve --workers N``)."""
    return create_app(os.environ[WORKSPACE_ENV])


def create_app(workspace: Path | str) -> FastAPI:
    """The application serving ``workspace``."""
    access = WorkspaceAccess(workspace)
    env = _templates()
    app = FastAPI(
        title="realitygap service",
        summary="Survey campaigns, invitations and submissions of a realitygap workspace.",
        version="1",
        # the interactive pages would load their scripts from a CDN: nothing comes from
        # another host, so only the schema (/openapi.json) is served
        docs_url=None,
        redoc_url=None,
    )
    app.state.access = access

    def html(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("lang", "en")
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def refusal(why: Refusal, wanted: list[str] | None = None) -> HTMLResponse:
        code = choose_language(tuple(CATALOGUE), wanted or [], "en")
        title, message = CATALOGUE[code].refusals[why.name.lower()]
        return html("message.html.j2", why.value, title=title, message=message, lang=code)

    def survey_page(
        survey: Survey, base: str, page: int, values: dict[str, str], errors: dict[str, str]
    ) -> HTMLResponse:
        pages = survey.pages()
        index = pages.index(page)
        words_lang, words = chrome(survey.language)
        return html(
            "survey.html.j2",
            422 if errors else 200,
            title=words.title.format(
                campaign=survey.campaign.name, number=index + 1, count=len(pages)
            ),
            t=words,
            required_message=REQUIRED_MESSAGE,
            campaign_name=survey.campaign.name,
            mirror=survey.mirror,
            page=page,
            page_number=index + 1,
            page_count=len(pages),
            questions=[q for q in survey.shown({**survey.saved, **values}) if q.page == page],
            values=values,
            errors=errors,
            key=secrets.token_urlsafe(16),
            action=base,
            previous=f"{base}?page={pages[index - 1]}" if index > 0 else None,
            last=index == len(pages) - 1,
            lang=survey.language,
            # the page's own words in a language without a catalogue are English: marked so
            chrome_lang="" if words_lang == survey.language.split("-")[0] else words_lang,
            switch=[
                (
                    code,
                    language_name(code),
                    f"{base}?page={page}&lang={code}",
                    code == survey.language,
                )
                for code in survey.languages
            ]
            if len(survey.languages) > 1
            else [],
        )

    def shown_page(
        survey: Survey | Refusal,
        base: str,
        page: int | None,
        chosen: str | None,
        wanted: list[str] | None = None,
    ) -> Response:
        if isinstance(survey, Refusal):
            return refusal(survey, wanted)
        pages = survey.pages()
        shown = page if page in pages else survey.resume_page()
        response = survey_page(survey, base, shown, dict(survey.saved), {})
        if chosen and chosen.lower() in survey.languages:
            # the switch's choice holds for the following pages too
            response.set_cookie(
                LANG_COOKIE,
                chosen.lower(),
                max_age=LANG_COOKIE_DAYS * 86400,
                path="/s",
                httponly=True,
                samesite="lax",
            )
        return response

    async def posted(request: Request) -> tuple[int, str, dict[str, str]]:
        """A page's form: (page, idempotency key, answers by asked id)."""
        data = await request.form()
        form = {k[len(_FIELD) :]: str(v) for k, v in data.items() if k.startswith(_FIELD)}
        try:
            page = int(str(data.get("page", "")))
        except ValueError:
            page = -1
        key = str(data.get("key", ""))[:64] or secrets.token_urlsafe(16)
        return page, key, form

    # ---- respondent pages ------------------------------------------------------------------
    @app.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
    def respondent_page(
        token: str, request: Request, page: int | None = None, lang: str | None = None
    ) -> Response:
        with access.open() as ws:
            wanted = preferred(request, lang)
            survey = open_link(ws, token, store.utc_now(), wanted)
        return shown_page(survey, f"/s/{token}", page, lang, wanted)

    @app.post("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def respondent_submit(token: str, request: Request) -> Response:
        page, key, form = await posted(request)
        # the workspace is written off the event loop, as the other (sync) endpoints are
        return await run_in_threadpool(
            _submit, token, f"/s/{token}", page, key, form, preferred(request, None)
        )

    # ---- open (anonymous) links ------------------------------------------------------------
    def session_of(request: Request, open_id: str) -> str | None:
        return unsign(access.key, f"open:{open_id}", request.cookies.get(_cookie(open_id)))

    @app.get("/s/open/{open_id}", response_class=HTMLResponse, include_in_schema=False)
    def open_page(
        open_id: str, request: Request, page: int | None = None, lang: str | None = None
    ) -> Response:
        wanted = preferred(request, lang)
        with access.open() as ws:
            survey = open_anonymous(
                ws, open_id, session_of(request, open_id), store.utc_now(), wanted
            )
        return shown_page(survey, f"/s/open/{open_id}", page, lang, wanted)

    @app.post("/s/open/{open_id}", response_class=HTMLResponse, include_in_schema=False)
    async def open_submit(open_id: str, request: Request) -> Response:
        page, key, form = await posted(request)
        token = session_of(request, open_id)
        secure = request.url.scheme == "https"
        wanted = preferred(request, None)
        return await run_in_threadpool(
            _open_submit, open_id, token, secure, page, key, form, wanted
        )

    def _open_submit(
        open_id: str,
        token: str | None,
        secure: bool,
        page: int,
        key: str,
        form: dict[str, str],
        wanted: list[str],
    ) -> Response:
        with access.open() as ws:
            survey = open_anonymous(ws, open_id, token, store.utc_now(), wanted)
            if isinstance(survey, Refusal):
                return refusal(survey, wanted)
            if not survey.token_digest:
                if page in survey.pages():
                    found, _, _ = check_page(ws, survey, page, form)
                    # the respondent is still to be made: only the answers are checked here
                    messages = {q: m for q, m in found.items() if q != "respondent_id"}
                    if messages:  # nothing is saved, so no session starts
                        base = f"/s/open/{open_id}"
                        return survey_page(survey, base, page, form, messages)
                # the first page saved starts the session; its token comes from the page's
                # idempotency key, so a retried first page joins the same session
                token = derived_token(access.key, "open", open_id, key)
                digest = store.token_digest(token)
                store.open_session(ws, survey.campaign, digest, "anon-" + digest[:20])
        assert token is not None
        response = _submit(token, f"/s/open/{open_id}", page, key, form, wanted)
        response.set_cookie(
            _cookie(open_id),
            sign(access.key, f"open:{open_id}", token),
            max_age=OPEN_COOKIE_DAYS * 86400,
            path=f"/s/open/{open_id}",
            secure=secure,
            httponly=True,
            samesite="lax",
        )
        return response

    def _submit(
        token: str, base: str, page: int, key: str, form: dict[str, str], wanted: list[str]
    ) -> Response:
        with access.open() as ws:
            done = submit_page(ws, token, base, page, key, form, store.utc_now(), wanted)
        if isinstance(done, Refusal):
            return refusal(done, wanted)
        if isinstance(done, Rejected):
            return survey_page(done.survey, base, done.page, done.values, done.messages)
        return RedirectResponse(done, status_code=303)

    # ---- API -------------------------------------------------------------------------------
    def error(
        status: int, code: str, message: str, problems: list[m.ProblemOut] | None = None
    ) -> JSONResponse:
        body = m.ErrorOut(error=m.ErrorBody(code=code, message=message, problems=problems or []))
        return JSONResponse(body.model_dump(), status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}.get(
            exc.status_code, "error"
        )
        return error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            m.ProblemOut(
                field=".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                value=e.get("input") if isinstance(e.get("input"), (str, int, float)) else None,
                expected=str(e.get("msg", "")),
            )
            for e in exc.errors()
        ]
        return error(422, "invalid_request", "the request does not match the schema", problems)

    def campaign_out(ws: Workspace, row: store.CampaignRow) -> m.CampaignOut:
        items = store.campaign_items(ws, row.campaign_id)
        return m.CampaignOut.of(row, items)

    @app.get("/api/campaigns", response_model=m.CampaignList, responses=m.ERRORS)
    def list_campaigns(_: Annotated[str, Depends(reader)]) -> m.CampaignList:
        with access.open() as ws:
            rows = [campaign_out(ws, c) for c in store.campaigns(ws)]
        return m.CampaignList(items=rows, total=len(rows))

    @app.get("/api/campaigns/{campaign_id}", response_model=m.CampaignOut, responses=m.ERRORS)
    def get_campaign(campaign_id: str, _: Annotated[str, Depends(reader)]) -> m.CampaignOut:
        with access.open() as ws:
            row = store.campaign(ws, campaign_id)
            if row is None:
                raise HTTPException(404, f"no campaign {campaign_id!r}")
            return campaign_out(ws, row)

    @app.get(
        "/api/campaigns/{campaign_id}/invitations",
        response_model=m.InvitationPage,
        responses=m.ERRORS,
    )
    def list_invitations(
        campaign_id: str,
        _: Annotated[str, Depends(respondent_reader)],
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT_MAX)] = 100,
    ) -> m.InvitationPage:
        with access.open() as ws:
            if store.campaign(ws, campaign_id) is None:
                raise HTTPException(404, f"no campaign {campaign_id!r}")
            rows, total = store.invitations_page(ws, campaign_id, offset, limit)
        return m.InvitationPage(
            items=[m.InvitationOut.of(r) for r in rows], total=total, offset=offset, limit=limit
        )

    @app.post(
        "/api/campaigns/{campaign_id}/submissions",
        response_model=m.SubmissionOut,
        status_code=201,
        responses=m.ERRORS,
    )
    def submit(
        campaign_id: str,
        submission: m.SubmissionIn,
        _: Annotated[str, Depends(writer)],
        idempotency_key: Annotated[str, Header(min_length=1, max_length=200)],
    ) -> Response:
        with access.open() as ws:
            scope = f"api:{campaign_id}"
            done = store.recorded_outcome(ws, scope, idempotency_key)
            if done is not None:
                return Response(done[1], status_code=done[0], media_type="application/json")
            row = store.campaign(ws, campaign_id)
            if row is None:
                raise HTTPException(404, f"no campaign {campaign_id!r}")
            if row.status != "open":
                raise HTTPException(409, f"campaign {campaign_id!r} is closed")
            kinds = store.respondent_kinds(ws, [submission.respondent_id])
            kind = kinds.get(submission.respondent_id)
            invitation = store.invitation_of(ws, campaign_id, submission.respondent_id)
            if invitation is not None and invitation.responded_at is not None:
                raise HTTPException(
                    409, f"respondent {submission.respondent_id!r} has already answered"
                )
            items = store.campaign_items(ws, campaign_id)
            allowed = (
                {i.question_id for i in items}
                if kind != "staff"
                else {i.mirror_id for i in items if i.mirror_id}
            )
            answers = {q: str(v) for q, v in submission.answers.items()}
            problems = [
                m.ProblemOut(
                    field=f"answers.{q}",
                    value=q,
                    expected="a question of this campaign for this respondent: "
                    + ", ".join(sorted(allowed)),
                )
                for q in answers
                if q not in allowed
            ]
            if not problems and answers:
                messages, responses, documents = check_answers(
                    ws, submission.respondent_id, row.wave, answers, channel="api"
                )
                problems = [
                    m.ProblemOut(
                        field=f"answers.{q}" if q in answers else q,
                        value=answers.get(q, submission.respondent_id),
                        expected=msg,
                    )
                    for q, msg in messages.items()
                ]
            if not answers:
                problems = [
                    m.ProblemOut(field="answers", value=None, expected="at least one answer")
                ]
            if problems:
                return error(422, "invalid_submission", "the submission was not accepted", problems)
            out = m.SubmissionOut(
                campaign_id=campaign_id,
                respondent_id=submission.respondent_id,
                wave=row.wave,
                answers=len(answers),
            )
            try:
                status, body = store.complete(
                    ws,
                    scope,
                    idempotency_key,
                    out.model_dump_json(),
                    responses,
                    documents,
                    respondent_id=submission.respondent_id,
                    campaign_id=campaign_id,
                    token_digest_=None,
                    status=201,
                    cases=opened_cases(ws, responses, kind or "", store.utc_now()),
                )
            except store.AlreadyAnswered:
                raise HTTPException(
                    409, f"respondent {submission.respondent_id!r} has already answered"
                ) from None
        return Response(body, status_code=status, media_type="application/json")

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    cases_web.install(app, access.open)  # before the dashboard's /app/{section_id}
    dashboard.install(app, access.open)
    return app
