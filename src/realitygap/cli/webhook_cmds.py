"""`realitygap webhooks ...`: send the case events queued for the help desk."""

from __future__ import annotations

import time
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

webhooks_app = typer.Typer(
    help="Case webhooks to the help desk: deliver, list the dead letters, retry one.",
    no_args_is_help=True,
)


@webhooks_app.command("deliver")
@handles_errors
def deliver(
    workspace: WorkspaceArg,
    every: Annotated[
        float | None,
        typer.Option(help="Keep running, a round every this many seconds (default: one round)."),
    ] = None,
    wait: WaitOpt = None,
) -> None:
    """Send every queued case event that is due, signed with $REALITYGAP_WEBHOOK_SECRET;
    failures are retried with backoff by later rounds (run from cron, or with --every)."""
    from realitygap.service.webhooks import deliver_due

    while True:
        with working(workspace, "sending case webhooks", read_only=False, wait=wait) as ws:
            done = deliver_due(ws)
        console.print(
            f"{done.delivered} delivered, {done.retrying} to retry, {done.dead} dead letters"
        )
        if every is None:
            return
        time.sleep(every)


@webhooks_app.command("dead")
@handles_errors
def dead(workspace: WorkspaceArg, wait: WaitOpt = None) -> None:
    """The dead-letter list: deliveries that failed every try, with the last error."""
    from realitygap.store import webhook_queue as queue

    with working(workspace, "reading the dead letters", wait=wait) as ws:
        rows = queue.deliveries(ws, queue.DEAD)
    print_lines(
        [
            f"{d.delivery_id}  {d.event}  {d.case_id}  {d.attempts} tries  {d.last_error}"
            for d in rows
        ],
        none="no dead letters",
    )


@webhooks_app.command("retry")
@handles_errors
def retry(
    workspace: WorkspaceArg,
    delivery_id: Annotated[str, typer.Argument(help="A dead letter's id (see `webhooks dead`).")],
    wait: WaitOpt = None,
) -> None:
    """Give a dead letter a fresh round of tries (sent by the next `webhooks deliver`)."""
    from realitygap.domain.errors import ArgumentError
    from realitygap.store import webhook_queue as queue
    from realitygap.store.campaigns import utc_now

    with working(workspace, "requeueing the delivery", read_only=False, wait=wait) as ws:
        if not queue.requeue(ws, delivery_id, utc_now()):
            raise ArgumentError("delivery_id", delivery_id, "a dead letter's id (webhooks dead)")
    console.print(f"{delivery_id} queued again", highlight=False)
