"""`realitygap audit-log`: who changed what and when (users, campaigns, cases, settings,
imports), newest first, as a listing, JSON or CSV."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer

from realitygap.cli._common import (
    JsonOpt,
    WaitOpt,
    WorkspaceArg,
    handles_errors,
    print_json,
    print_lines,
    working,
)

AUDIT_COLUMNS = ("audit_id", "actor", "changed_at", "action", "target", "before", "after")


@handles_errors
def audit_log(
    workspace: WorkspaceArg,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print every entry as CSV (formulas neutralised).")
    ] = False,
    action: Annotated[
        str | None, typer.Option(help="Only entries of this action, e.g. case.opened.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 1_000_000,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """The audit log, newest first: who changed users, campaigns, cases, settings and imports,
    when, and the record before and after. A change to settings.toml since it was last
    recorded is recorded first."""
    from realitygap.store.settings import record_settings_change
    from realitygap.store.users import audit_entries

    with working(workspace, "reading the audit log", read_only=False, wait=wait) as ws:
        record_settings_change(ws)
        entries = audit_entries(ws, limit=limit, action=action)
    rows = [
        dict(
            zip(
                AUDIT_COLUMNS,
                (e.audit_id, e.actor, e.changed_at, e.action, e.target, e.before, e.after),
                strict=True,
            )
        )
        for e in entries
    ]
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(AUDIT_COLUMNS)
        for row in rows:
            writer.writerow([neutral_cell(v) for v in row.values()])
    elif json:
        print_json(rows)
    else:
        print_lines(
            [f"{r['changed_at']}  {r['actor']}  {r['action']}  {r['target']}" for r in rows],
            none="no audit entries",
        )


def neutral_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, by the report's guard: characters a cell
    cannot hold removed, a leading =, +, -, @, tab or return quoted so it never runs."""
    from realitygap.report.render import FORMULA_TRIGGERS, safe_cell_text

    text = safe_cell_text("" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
