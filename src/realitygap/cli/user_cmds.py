"""`realitygap user ...`: the dashboard's users (the first admin is added here)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from realitygap.cli._common import WaitOpt, WorkspaceArg, console, handles_errors, working

user_app = typer.Typer(
    help="Dashboard users: add (the first admin too), list, disable.", no_args_is_help=True
)

PASSWORD_ENV = "REALITYGAP_PASSWORD"


def _password() -> str:
    """From REALITYGAP_PASSWORD (scripts), else asked twice without echo."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    return str(
        typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)
    )


@user_app.command("add")
@handles_errors
def user_add(
    workspace: WorkspaceArg,
    email: Annotated[str, typer.Argument(help="The user's e-mail address (their sign-in name).")],
    role: Annotated[str, typer.Option(help="admin, analyst, manager or viewer.")] = "viewer",
    name: Annotated[str, typer.Option(help="Name shown on the dashboard.")] = "",
    department: Annotated[
        str | None, typer.Option(help="For a manager: the department whose cases they see.")
    ] = None,
    wait: WaitOpt = None,
) -> None:
    """Add a dashboard user. The password comes from REALITYGAP_PASSWORD or is asked for."""
    from realitygap.service.access import add_user

    password = _password()
    with working(workspace, "adding the user", read_only=False, wait=wait) as ws:
        user = add_user(ws, email, name, role, password, department=department)
    console.print(f"{user.email} added as {user.role}", highlight=False)


@user_app.command("list")
@handles_errors
def user_list(workspace: WorkspaceArg, wait: WaitOpt = None) -> None:
    """The dashboard's users with their roles."""
    from realitygap.store import users as store

    with working(workspace, "reading the users", wait=wait) as ws:
        rows = store.users(ws)
    if not rows:
        console.print(
            "no users yet: add the first admin with `realitygap user add WS EMAIL --role admin`"
        )
    for u in rows:
        state = "disabled" if u.disabled_at else "active"
        where = f"  {u.department}" if u.department else ""
        console.print(f"{u.email}  {u.role}{where}  {state}", highlight=False)


@user_app.command("disable")
@handles_errors
def user_disable(
    workspace: WorkspaceArg,
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    wait: WaitOpt = None,
) -> None:
    """Disable a user: their sessions end at once and they can no longer sign in."""
    from realitygap.domain.errors import RealityGapError
    from realitygap.store import users as store

    with working(workspace, "disabling the user", read_only=False, wait=wait) as ws:
        user = store.user_by_email(ws, email)
        if user is None:
            raise RealityGapError(f"no user with e-mail {email.strip().lower()}")
        store.update_user(ws, user.user_id, "cli", disabled=True)
    console.print(f"{user.email} disabled", highlight=False)
