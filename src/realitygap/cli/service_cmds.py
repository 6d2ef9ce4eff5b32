"""`realitygap campaign ...`, `realitygap serve` and `realitygap token ...`: the survey service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from realitygap.cli._common import (
    WaitOpt,
    WorkspaceArg,
    console,
    handles_errors,
    print_lines,
    working,
)

campaign_app = typer.Typer(
    help="Survey campaigns: create from TOML, invite (personal links), send, remind, close.",
    no_args_is_help=True,
)
token_app = typer.Typer(help="API tokens for scripts: create, list, revoke.", no_args_is_help=True)

CampaignArg = Annotated[str, typer.Argument(help="Campaign id (see `campaign list`).")]


@campaign_app.command("create")
@handles_errors
def campaign_create(
    workspace: WorkspaceArg,
    definition: Annotated[
        Path,
        typer.Argument(help="Campaign TOML file (docs/service.md).", exists=True, dir_okay=False),
    ],
    wait: WaitOpt = None,
) -> None:
    """Create a campaign from a TOML file of items of the question bank."""
    from realitygap.service.manage import create_campaign
    from realitygap.store import campaigns as store

    with working(workspace, "creating the campaign", read_only=False, wait=wait) as ws:
        row = create_campaign(ws, definition)
        items = store.campaign_items(ws, row.campaign_id)
    pages = len({i.page for i in items})
    mirrored = sum(1 for i in items if i.mirror_id)
    console.print(
        f"campaign {row.campaign_id} (wave {row.wave}): {len(items)} items on {pages} pages"
        + (f", {mirrored} mirrored for staff" if row.mirror else ""),
        highlight=False,
    )
    if row.open_id:
        console.print(
            f"open link (anyone, once per browser): /s/open/{row.open_id}", highlight=False
        )


@campaign_app.command("list")
@handles_errors
def campaign_list(workspace: WorkspaceArg, wait: WaitOpt = None) -> None:
    """The workspace's campaigns."""
    from realitygap.store import campaigns as store

    with working(workspace, "reading the campaigns", wait=wait) as ws:
        rows = store.campaigns(ws)
        counts = [store.invitations_page(ws, c.campaign_id, 0, 1)[1] for c in rows]
    print_lines(
        [
            f"{c.campaign_id}  wave {c.wave}  {c.status}  {n} invited"
            + ("  mirror" if c.mirror else "")
            + (f"  open link /s/open/{c.open_id}" if c.open_id else "")
            for c, n in zip(rows, counts, strict=True)
        ],
        none="no campaigns yet: create one with `realitygap campaign create`",
    )


@campaign_app.command("invite")
@handles_errors
def campaign_invite(
    workspace: WorkspaceArg,
    campaign: CampaignArg,
    out: Annotated[Path, typer.Option("--out", help="CSV of personal links for a mail merge.")],
    base_url: Annotated[
        str, typer.Option(help="The address respondents reach the server at.")
    ] = "http://127.0.0.1:8000",
    wait: WaitOpt = None,
) -> None:
    """Invite every customer (and staff, for a mirror) not yet invited to the campaign's wave:
    one single-use personal link each, written to a CSV (the links are shown only once)."""
    from realitygap.service.manage import invite, write_links

    with working(workspace, "inviting", read_only=False, wait=wait) as ws:
        invited = invite(ws, campaign, base_url)
    write_links(invited.links, out)
    console.print(
        f"{len(invited.links)} personal links written to {out}"
        + (
            f"; {invited.before} invited before (their links cannot be shown again: only "
            "their hash is stored)"
            if invited.before
            else ""
        ),
        highlight=False,
    )


BaseUrlOpt = Annotated[str, typer.Option(help="The address respondents reach the server at.")]


def _mailed(what: str, mailed: object) -> None:
    from realitygap.service.manage import Mailed

    assert isinstance(mailed, Mailed)
    console.print(f"{len(mailed.sent)} {what} sent", highlight=False)
    for respondent_id, why in sorted(mailed.failed.items()):
        console.print(f"not sent to {respondent_id}: {why}", highlight=False)
    if mailed.failed:
        console.print(
            f"{len(mailed.failed)} not sent: run the same command again to retry them "
            "(those sent are not sent twice)",
            highlight=False,
        )
        raise typer.Exit(1)


@campaign_app.command("send")
@handles_errors
def campaign_send(
    workspace: WorkspaceArg,
    campaign: CampaignArg,
    base_url: BaseUrlOpt = "http://127.0.0.1:8000",
    wait: WaitOpt = None,
) -> None:
    """E-mail each invitation its personal link over SMTP (the smtp table of settings.toml),
    inviting first those not yet invited; a rerun retries only the addresses that failed."""
    from realitygap.service.manage import send

    with working(workspace, "sending invitations", read_only=False, wait=wait) as ws:
        mailed = send(ws, campaign, base_url)
    _mailed("invitations", mailed)


@campaign_app.command("remind")
@handles_errors
def campaign_remind(
    workspace: WorkspaceArg,
    campaign: CampaignArg,
    base_url: BaseUrlOpt = "http://127.0.0.1:8000",
    wait: WaitOpt = None,
) -> None:
    """E-mail one reminder, with the same link, to those sent an invitation who have not
    finished; each gets at most one, however often this runs."""
    from realitygap.service.manage import remind

    with working(workspace, "sending reminders", read_only=False, wait=wait) as ws:
        mailed = remind(ws, campaign, base_url)
    _mailed("reminders", mailed)


@campaign_app.command("close")
@handles_errors
def campaign_close(workspace: WorkspaceArg, campaign: CampaignArg, wait: WaitOpt = None) -> None:
    """Close a campaign: its links then say the survey is closed."""
    from realitygap.service.manage import close_campaign

    with working(workspace, "closing the campaign", read_only=False, wait=wait) as ws:
        row = close_campaign(ws, campaign)
    console.print(f"campaign {row.campaign_id} closed", highlight=False)


@handles_errors
def serve(
    workspace: WorkspaceArg,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes: PostgreSQL workspaces only (default: one per CPU core); "
            "the embedded store runs one.",
            min=1,
        ),
    ] = None,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            help="Trust X-Forwarded-For/-Proto from the addresses of --forwarded-allow-ips."
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(help="Comma-separated addresses of the reverse proxy ('*' for any)."),
    ] = "127.0.0.1",
    access_log: Annotated[
        bool,
        typer.Option(
            help="Log a line per request (a reverse proxy logs them too; without it the server "
            "spends less CPU per request, BENCHMARKS.md)."
        ),
    ] = True,
) -> None:
    """Serve the survey pages and the /api for WORKSPACE (one process on the embedded store,
    several workers on PostgreSQL)."""
    import os

    import uvicorn

    from realitygap.domain.errors import ArgumentError
    from realitygap.service.app import WORKSPACE_ENV, create_app
    from realitygap.store.location import is_postgres

    postgres = is_postgres(workspace)
    if workers is None:
        workers = (os.cpu_count() or 1) if postgres else 1
    if workers > 1 and not postgres:
        raise ArgumentError(
            "workers",
            workers,
            "1 on the embedded DuckDB store: its file admits one writing process at a time, "
            "so several workers would wait on each other's lock; serve a PostgreSQL "
            "workspace (postgresql://...) for several workers",
        )
    options = {
        "host": host,
        "port": port,
        "log_level": "info",
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": forwarded_allow_ips,
        "access_log": access_log,
    }
    if workers == 1:
        uvicorn.run(create_app(workspace), workers=1, **options)  # type: ignore[arg-type]
        return
    create_app(workspace).state.access.close()  # migrate once, and fail here if unreachable
    os.environ[WORKSPACE_ENV] = str(workspace)
    uvicorn.run(
        "realitygap.service.app:app_from_environment",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )


@token_app.command("create")
@handles_errors
def token_create(
    workspace: WorkspaceArg,
    scope: Annotated[str, typer.Option(help="read or write (write may also read).")] = "read",
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
    role: Annotated[
        str | None,
        typer.Option(help="Act with a dashboard role instead (admin, analyst, manager, viewer)."),
    ] = None,
    department: Annotated[
        str | None, typer.Option(help="With --role manager: the department it sees.")
    ] = None,
    wait: WaitOpt = None,
) -> None:
    """Create an API token; it is printed once and stored only as its hash. With --role it
    reads what that role may (GET /api/cases; a manager's only its department's cases)."""
    from realitygap.service.manage import create_token

    with working(workspace, "creating the token", read_only=False, wait=wait) as ws:
        if role is None:
            token_id, token = create_token(ws, scope, label)
        else:
            from realitygap.service.access import create_role_token

            token_id, token = create_role_token(ws, role, department, label)
            scope = f"role {role}" + (f", {department}" if department else "")
    console.print(f"{token_id} ({scope}): {token}", highlight=False)


@token_app.command("list")
@handles_errors
def token_list(workspace: WorkspaceArg, wait: WaitOpt = None) -> None:
    """The API tokens (ids and scopes; the tokens themselves are not stored)."""
    from realitygap.store import campaigns as store
    from realitygap.store.users import role_tokens

    with working(workspace, "reading the tokens", wait=wait) as ws:
        rows = store.api_tokens(ws)
        roles = {
            t.token_id: f"role {t.role}" + (f", {t.department}" if t.department else "")
            for t in role_tokens(ws)
        }
    for r in rows:
        state = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "in force"
        scope = roles.get(r.token_id, r.scope)
        console.print(f"{r.token_id}  {scope}  {state}  {r.label or ''}".rstrip(), highlight=False)


@token_app.command("revoke")
@handles_errors
def token_revoke(
    workspace: WorkspaceArg,
    token_id: Annotated[str, typer.Argument(help="Token id (tok_...).")],
    wait: WaitOpt = None,
) -> None:
    """Revoke an API token at once."""
    from realitygap.domain.errors import ArgumentError
    from realitygap.store import campaigns as store

    with working(workspace, "revoking the token", read_only=False, wait=wait) as ws:
        if not store.revoke_api_token(ws, token_id):
            raise ArgumentError("token_id", token_id, "a token id in force (see `token list`)")
    console.print(f"{token_id} revoked", highlight=False)
