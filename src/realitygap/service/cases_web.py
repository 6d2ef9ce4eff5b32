"""Closed-loop cases in the browser and for the help desk (docs/service.md, "Cases").

Pages under ``/app/cases``: the list with filters (status, owner, department, overdue), one
case with its history, assignment, status changes (the rules of :mod:`realitygap.store.cases`)
and the resolution with the recovery rating, and the CRM exports. A manager sees and changes
only the cases of their department: another department's case is answered 404, as if it did
not exist. The customer's answers and comments are shown only to roles with verbatim access.

For scripts and the help desk: ``GET /api/cases`` with an API token carrying a role, and
``POST /api/cases/{case_id}/status`` signed as :mod:`realitygap.service.webhooks` says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import Depends, FastAPI, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException

from realitygap.domain.errors import CaseError
from realitygap.domain.models import CASE_TRANSITIONS, CaseStatus
from realitygap.service import access as auth
from realitygap.service import webhooks
from realitygap.service.access import (
    SESSION_COOKIE,
    Permission,
    Role,
    Visitor,
    cross_site,
    security_headers,
)
from realitygap.service.api_models import ERRORS
from realitygap.service.crm_export import CRMS, export_csv
from realitygap.store import cases as store
from realitygap.store import users as user_store
from realitygap.store import webhook_queue
from realitygap.store.campaigns import token_digest
from realitygap.store.workspace import Workspace

# the case pages run no script: a stricter policy than the dashboard's
_HEADERS = security_headers(
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
Opener = Callable[[], AbstractContextManager[Workspace]]


@dataclass(frozen=True)
class CaseFilters:
    """The case list's filters, from the query string (the list page and its CRM exports)."""

    status: str = ""
    owner: str = ""
    department: str = ""
    overdue: str = ""

    def given(self) -> dict[str, str]:
        """The filters as chosen; an unknown status shows every status, as the form offers."""
        known = self.status in CaseStatus.__members__.values()
        return {
            "status": self.status if known else "",
            "owner": self.owner,
            "department": self.department,
            "overdue": self.overdue,
        }


def scope_of(role: str, department: str | None) -> str | None:
    """The department a role is confined to (None: every case)."""
    return department or "" if role == Role.MANAGER else None


def visible(case: dict[str, Any], ws: Workspace, scope: str | None) -> bool:
    return scope is None or store.department_of(ws, case) == scope


def install(app: FastAPI, open_workspace: Opener) -> None:
    """Add the case pages and the case API to ``app`` (before the dashboard's catch-all
    ``/app/{section_id}``)."""
    env = Environment(
        loader=PackageLoader("realitygap.service", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        response = HTMLResponse(env.get_template(name).render(**context), status_code=status)
        response.headers.update(_HEADERS)
        return response

    def message(visitor: Visitor | None, status: int, title: str, text: str) -> HTMLResponse:
        return page("dashboard/message.html.j2", status, visitor=visitor, title=title, message=text)

    def admitted(ws: Workspace, request: Request) -> Visitor | Response:
        visitor = auth.visitor(ws, request.cookies.get(SESSION_COOKIE))
        if visitor is None:
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if not visitor.may(Permission.CASES):
            return message(
                visitor,
                403,
                "Not for your role",
                f"Your role ({visitor.user.role}) does not give access to cases.",
            )
        return visitor

    def not_found(visitor: Visitor, case_id: str) -> HTMLResponse:
        return message(visitor, 404, "No such case", f"There is no case {case_id!r} for you.")

    def find(ws: Workspace, visitor: Visitor, case_id: str) -> dict[str, Any] | None:
        try:
            case = store.get_case(ws, case_id)
        except CaseError:
            return None
        scope = scope_of(visitor.user.role, visitor.user.department)
        return case if visible(case, ws, scope) else None

    def case_page(
        ws: Workspace, visitor: Visitor, case: dict[str, Any], status: int = 200, error: str = ""
    ) -> HTMLResponse:
        answers: list[dict[str, Any]] = []
        comments: list[str] = []
        if visitor.may(Permission.VERBATIM):
            answers, comments = store.customer_words(ws, str(case["customer_id"]))
        current = CaseStatus(case["status"])
        history = [
            e
            for e in user_store.audit_entries(ws, limit=10_000)
            if e.target == case["case_id"] and e.action.startswith("case.")
        ]
        return page(
            "cases/case.html.j2",
            status,
            visitor=visitor,
            case=_shown(case),
            department=store.department_of(ws, case),
            moves=sorted(s.value for s in CASE_TRANSITIONS[current]),
            answers=answers,
            comments=comments,
            verbatim=visitor.may(Permission.VERBATIM),
            history=history,
            error=error,
            overdue=bool(
                current in (CaseStatus.OPEN, CaseStatus.CONTACTED)
                and pd.Timestamp(case["due_at"]) < pd.Timestamp(store._now())
            ),
        )

    def filtered(ws: Workspace, visitor: Visitor, chosen: CaseFilters) -> pd.DataFrame:
        scope = scope_of(visitor.user.role, visitor.user.department)
        given = chosen.given()
        return store.list_cases(
            ws,
            status=given["status"] or None,
            owner=given["owner"] or None,
            department=scope if scope is not None else (given["department"] or None),
            overdue={"yes": True, "no": False}.get(given["overdue"]),
        )

    # ---- pages ------------------------------------------------------------------------------
    @app.get("/app/cases", response_class=HTMLResponse, include_in_schema=False)
    def case_list(request: Request, chosen: Annotated[CaseFilters, Depends()]) -> Response:
        with open_workspace() as ws:
            visitor = admitted(ws, request)
            if isinstance(visitor, Response):
                return visitor
            frame = filtered(ws, visitor, chosen)
            departments = sorted({tp.owner for tp in ws.taxonomy.touchpoints if tp.owner})
        return page(
            "cases/list.html.j2",
            visitor=visitor,
            cases=[_shown(c) for c in store.records(frame)],
            statuses=[s.value for s in CaseStatus],
            departments=departments,
            scoped=scope_of(visitor.user.role, visitor.user.department),
            chosen=chosen.given(),
            query=urlencode({k: v for k, v in chosen.given().items() if v}),
            crms=CRMS,
        )

    @app.get("/app/cases/export/{crm}.csv", include_in_schema=False)
    def case_export(
        crm: str, request: Request, chosen: Annotated[CaseFilters, Depends()]
    ) -> Response:
        with open_workspace() as ws:
            visitor = admitted(ws, request)
            if isinstance(visitor, Response):
                return visitor
            if crm not in CRMS:
                return message(visitor, 404, "No such export", f"Exports: {', '.join(CRMS)}.")
            frame = filtered(ws, visitor, chosen)
            comments = (
                store.comments_by_customer(ws, sorted(set(frame["customer_id"].astype(str))))
                if visitor.may(Permission.VERBATIM)
                else None
            )
        return Response(
            export_csv(crm, frame, comments),
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="cases-{crm}.csv"',
                "Cache-Control": "no-store",
            },
        )

    @app.get("/app/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
    def case_detail(case_id: str, request: Request) -> Response:
        with open_workspace() as ws:
            visitor = admitted(ws, request)
            if isinstance(visitor, Response):
                return visitor
            case = find(ws, visitor, case_id)
            if case is None:
                return not_found(visitor, case_id)
            return case_page(ws, visitor, case)

    def changed(
        request: Request,
        case_id: str,
        csrf: str,
        change: Callable[[Workspace, str], dict[str, Any]],
    ) -> Response:
        with open_workspace() as ws:
            visitor = admitted(ws, request)
            if isinstance(visitor, Response):
                return visitor
            if cross_site(request) or not auth.same_token(visitor.csrf_token, csrf):
                return message(
                    None,
                    403,
                    "Form refused",
                    "This form was not sent from this dashboard or has expired. "
                    "Please go back, reload the page and try again.",
                )
            case = find(ws, visitor, case_id)
            if case is None:
                return not_found(visitor, case_id)
            try:
                change(ws, visitor.user.user_id)
            except CaseError as exc:
                return case_page(ws, visitor, case, 422, str(exc))
        return RedirectResponse(f"/app/cases/{quote(case_id, safe='')}", status_code=303)

    @app.post("/app/cases/{case_id}/assign", include_in_schema=False)
    def case_assign(
        case_id: str,
        request: Request,
        owner: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ) -> Response:
        return changed(
            request, case_id, csrf, lambda ws, who: store.assign(ws, case_id, owner, actor=who)
        )

    @app.post("/app/cases/{case_id}/status", include_in_schema=False)
    def case_status(
        case_id: str,
        request: Request,
        status: Annotated[str, Form()] = "",
        resolution: Annotated[str, Form()] = "",
        rating: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ) -> Response:
        def apply(ws: Workspace, who: str) -> dict[str, Any]:
            try:
                score = float(rating) if rating.strip() else None
            except ValueError:
                raise CaseError(
                    f"case {case_id!r}: recovery rating {rating!r}, expected a number 0 to 10"
                ) from None
            return store.update(
                ws,
                case_id,
                status=status or None,
                resolution=resolution.strip() or None,
                recovery_rating=score,
                actor=who,
            )

        return changed(request, case_id, csrf, apply)

    # ---- API --------------------------------------------------------------------------------
    @app.get("/api/cases", summary="Cases visible to the token's role", responses=ERRORS)
    def api_cases(
        authorization: Annotated[str | None, Header()] = None,
        status: str | None = None,
        overdue: bool | None = None,
    ) -> JSONResponse:
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401, "an API token is needed: Authorization: Bearer TOKEN")
        digest = token_digest(authorization.removeprefix("Bearer ").strip())
        with open_workspace() as ws:
            token = user_store.role_token_by_digest(ws, digest)
            if token is None:
                raise HTTPException(401, "the API token is unknown, revoked or has no role")
            if not auth.may(token.role, Permission.CASES):
                raise HTTPException(403, f"a {token.role} token may not read cases")
            scope = scope_of(token.role, token.department)
            try:
                frame = store.list_cases(ws, status=status, department=scope, overdue=overdue)
            except CaseError as exc:
                raise HTTPException(422, str(exc)) from None
        if not auth.may(token.role, Permission.VERBATIM):
            frame = frame.drop(columns=["resolution"])  # the team's notes may quote the customer
        items = [json.loads(store.as_json(r)) for r in store.records(frame)]
        return JSONResponse({"items": items, "total": len(items)})

    @app.post(
        "/api/cases/{case_id}/status",
        summary="A status update from the help desk",
        responses=ERRORS,
    )
    async def api_case_status(
        case_id: str,
        request: Request,
        x_realitygap_signature: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        body = await request.body()
        try:
            key = webhooks.secret(webhooks.HELPDESK_SECRET_ENV)
        except webhooks.WebhookError:
            raise HTTPException(401, "inbound status updates are not configured") from None
        try:
            webhooks.verify(key, body, x_realitygap_signature)
        except webhooks.WebhookError as exc:
            raise HTTPException(401, str(exc)) from None
        try:
            update = json.loads(body)
            if not isinstance(update, dict):
                raise ValueError
        except ValueError:
            raise HTTPException(
                422, 'expected a JSON object such as {"status": "contacted"}'
            ) from None
        signature = str(x_realitygap_signature)
        with open_workspace() as ws:
            try:
                store.get_case(ws, case_id)
            except CaseError:
                raise HTTPException(404, f"no case {case_id!r}") from None
            if not webhook_queue.claim_signature(ws, signature):
                raise HTTPException(409, "this signed request was already received (a replay)")
            rating = update.get("recovery_rating")
            try:
                case = store.update(
                    ws,
                    case_id,
                    status=update.get("status"),
                    resolution=update.get("resolution"),
                    recovery_rating=None if rating is None else float(rating),
                    actor="helpdesk",
                )
            except (CaseError, TypeError, ValueError) as exc:
                raise HTTPException(409, str(exc)) from None
        return JSONResponse({"case_id": case_id, "status": case["status"]})


def _shown(case: dict[str, Any]) -> dict[str, Any]:
    """A case for a template: missing values as None, the URL-safe id beside the id."""
    out = {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in case.items()}
    out["href"] = "/app/cases/" + quote(str(case["case_id"]), safe="")
    return out
