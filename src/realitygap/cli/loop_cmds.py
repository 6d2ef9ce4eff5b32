"""`realitygap kano`, `realitygap listening` and the `realitygap cases` commands."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.text import Text

from realitygap.analysis import TRIGGERS  # light; the analyses load when a command runs
from realitygap.cli._common import (
    JsonOpt,
    WaitOpt,
    WorkspaceArg,
    console,
    frame_table,
    handles_errors,
    print_json,
    show,
    working,
)
from realitygap.cli._owners import owner_label, staff_names

cases_app = typer.Typer(
    help="Closed-loop follow-up cases: list, assign, update.", no_args_is_help=True
)


@handles_errors
def kano(workspace: WorkspaceArg, json: JsonOpt = False, wait: WaitOpt = None) -> None:
    """Kano categories per feature and wave, and alarms when a delighter becomes a must-be.
    The sentences are the report's findings for this section (the same rules and words)."""
    import pandas as pd

    from realitygap.analysis import kano as kano_analysis
    from realitygap.analysis.findings import est_range, feature_name, kano_findings, kano_name

    with working(workspace, "evaluating the Kano pairs", wait=wait) as ws:
        result = kano_analysis(ws)
    found = kano_findings(result)
    if json:
        out = result.to_dict()
        out.pop("alarms")  # the findings say it, in the report's words
        print_json({**out, "findings": [f.to_dict() for f in found]})
        return
    typer.echo("Kano categories and drift")
    for f in found:
        typer.echo(f"  {f.text}")
    features = pd.DataFrame(
        [
            {
                "feature": feature_name(f.feature),
                "category": kano_name(f.category),
                "n": f.n,
                "better": est_range(f.better, 2),
                "worse": est_range(f.worse, 2),
            }
            for f in result.features
        ]
    )
    if not features.empty:
        console.print(frame_table(features, "Kano category per feature, all waves"))
    drift = pd.DataFrame(
        [
            {
                "feature": feature_name(d.feature),
                "category wave by wave": " → ".join(f"{w} {kano_name(c)}" for w, c in d.path),
                "categories differ, p": "–"
                if d.p_homogeneity is None
                else ("< 0.001" if d.p_homogeneity < 0.001 else f"{d.p_homogeneity:.3f}"),
                "alarm": d.alarm,
            }
            for d in result.drift
        ]
    )
    if not drift.empty:
        console.print(frame_table(drift, "Category path across waves"))


@handles_errors
def listening(workspace: WorkspaceArg, json: JsonOpt = False, wait: WaitOpt = None) -> None:
    """Who hears customers directly, and do those who do predict them better?"""
    from realitygap.analysis import listening as listening_analysis

    with working(workspace, "auditing who hears customers", wait=wait) as ws:
        result = listening_analysis(ws)
    show(result, json)


@cases_app.command("open")
@handles_errors
def open_(
    workspace: WorkspaceArg,
    sla_hours: Annotated[float, typer.Option(help="Hours to first contact.")] = 48.0,
    trigger: Annotated[
        list[str] | None,
        typer.Option(help="detractor, staff_attitude or silent_attrition (default: all three)."),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            help="Only answers, comments and attrition signals from this date on "
            "(YYYY-MM-DD); older ones get no case.",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
        ),
    ] = None,
    score_to: Annotated[
        float, typer.Option(help="The highest NPS answer that opens a detractor case.")
    ] = 6,
    touchpoint: Annotated[
        list[str] | None, typer.Option(help="Only cases at this touchpoint (repeatable).")
    ] = None,
    segment: Annotated[
        list[str] | None, typer.Option(help="Only customers of this segment (repeatable).")
    ] = None,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Open a follow-up case for every detractor answer, negative staff-attitude comment and
    silent-attrition customer that has none yet (idempotent). A case opens today and is due
    the service level after the customer spoke, or after today when that has passed."""
    from realitygap.actions.cases import case_candidates, open_cases

    with working(
        workspace, "finding customers who need a follow-up", read_only=False, wait=wait
    ) as ws:
        triggers = tuple(trigger) if trigger else TRIGGERS
        candidates = case_candidates(
            ws,
            triggers=triggers,
            sla=timedelta(hours=sla_hours),
            since=since,
            score_to=score_to,
            touchpoints=tuple(touchpoint or ()),
            segments=tuple(segment or ()),
        )
        added = open_cases(ws, candidates)
        if added:  # audited, and announced to the help desk when [webhooks] url is set
            from realitygap.store.cases import announce_opened

            announce_opened(ws, [str(c) for c in candidates["case_id"]])
    if json:
        print_json({"opened": added})
    else:
        console.print(f"{added} new cases opened")


@cases_app.command("recovery")
@handles_errors
def recovery_cmd(
    workspace: WorkspaceArg,
    horizon_days: Annotated[int, typer.Option(help="Retention horizon after the case.")] = 180,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Are recovered customers more loyal than those who never had a problem?"""
    from realitygap.analysis import recovery

    with working(workspace, "comparing loyalty after recovery", wait=wait) as ws:
        result = recovery(ws, horizon_days=horizon_days)
    show(result, json)


@cases_app.command("list")
@handles_errors
def list_cases(
    workspace: WorkspaceArg,
    status: Annotated[str | None, typer.Option(help="open, contacted, resolved or closed")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's cases.")] = None,
    department: Annotated[
        str | None, typer.Option(help="Only cases of this department (touchpoint's owner).")
    ] = None,
    overdue: Annotated[
        bool | None, typer.Option("--overdue/--not-overdue", help="Only overdue, or only not.")
    ] = None,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """List cases, the soonest due first, with an overdue flag."""
    from realitygap.store import Workspace
    from realitygap.store import cases as case_store

    with Workspace.open(workspace, read_only=True, wait=wait) as ws:
        frame = case_store.list_cases(
            ws, status=status, owner=owner, department=department, overdue=overdue
        )
        names = staff_names(ws)
    frame["owner"] = frame["owner"].map(lambda o: owner_label(o, names))  # names, no e-mail
    if json:
        print_json(frame)
        return
    cols = ["case_id", "customer_id", "trigger", "touchpoint", "owner", "status", "due_at"]
    console.print(frame_table(frame[[*cols, "overdue"]], f"{len(frame)} cases"))


@cases_app.command("assign")
@handles_errors
def assign(
    workspace: WorkspaceArg,
    case_id: Annotated[str, typer.Argument(help="The case.")],
    owner: Annotated[str, typer.Argument(help="A department or a person.")],
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Give a case to an owner."""
    from realitygap.store import Workspace
    from realitygap.store import cases as case_store

    with Workspace.open(workspace, wait=wait) as ws:
        case = case_store.assign(ws, case_id, owner)
        case["owner"] = owner_label(case["owner"], staff_names(ws))  # a name, never an e-mail
    if json:
        print_json(case)
    else:
        console.print(Text(f"case {case_id} now owned by {case['owner']}"), highlight=False)


@cases_app.command("update")
@handles_errors
def update(
    workspace: WorkspaceArg,
    case_id: Annotated[str, typer.Argument(help="The case.")],
    status: Annotated[str | None, typer.Option(help="contacted, resolved or closed")] = None,
    note: Annotated[str | None, typer.Option(help="Resolution note.")] = None,
    rating: Annotated[
        float | None, typer.Option(help="The customer's follow-up recovery rating, 0-10.")
    ] = None,
    at: Annotated[datetime | None, typer.Option(help="When it happened (default: now).")] = None,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Move a case along the loop (open -> contacted -> resolved -> closed)."""
    from realitygap.store import Workspace
    from realitygap.store import cases as case_store

    with Workspace.open(workspace, wait=wait) as ws:
        case = case_store.update(
            ws, case_id, status=status, resolution=note, recovery_rating=rating, at=at
        )
        case["owner"] = owner_label(case["owner"], staff_names(ws))
    if json:
        print_json(case)
    else:
        console.print(f"case {case_id}: {case['status']}")
