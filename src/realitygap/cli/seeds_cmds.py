"""`realitygap journey`, `realitygap wow` and `realitygap people`: the journey map, wow
moments' reach and lift, and staff engagement beside customer outcomes."""

from __future__ import annotations

from typing import Annotated

import typer

from realitygap.analysis import MIN_N  # light; the analyses load when a command runs
from realitygap.cli._common import JsonOpt, WaitOpt, WorkspaceArg, handles_errors, show, working

MinNOpt = Annotated[int, typer.Option("--min-n", help="Fewer answers give 'insufficient data'.")]
ConfidenceOpt = Annotated[
    float, typer.Option("--confidence", help="Level of every interval (0-1).")
]


@handles_errors
def journey(
    workspace: WorkspaceArg,
    confidence: ConfidenceOpt = 0.95,
    min_n: MinNOpt = MIN_N,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """The journey map: stages x touchpoints with the customer score, the perception gap,
    comments and their sentiment, the senses reached, and the owner department's own gap."""
    from realitygap.analysis import journey as journey_analysis

    with working(workspace, "mapping the journey", wait=wait) as ws:
        result = journey_analysis(ws, confidence=confidence, min_n=min_n)
    show(result, json)


@handles_errors
def wow(
    workspace: WorkspaceArg,
    balance: Annotated[
        list[str] | None,
        typer.Option(
            "--balance",
            help="Respondent column to balance on (repeat).",
            show_default="segment, tenure_band",
        ),
    ] = None,
    confidence: ConfidenceOpt = 0.95,
    min_n: MinNOpt = MIN_N,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Wow moments (events of type wow): reach by segment, touchpoint and month, lift on
    repeat purchase, retention and NPS against comparable customers, and whether it fades;
    beside them, moments recognised in text (surprise-and-delight mentions): their reach per
    document source, no lift."""
    from realitygap.analysis import wow as wow_analysis

    cols = ("segment", "tenure_band") if balance is None else tuple(balance)
    with working(workspace, "weighing wow moments", wait=wait) as ws:
        result = wow_analysis(ws, balance=cols, confidence=confidence, min_n=min_n)
    show(result, json)


@handles_errors
def people(
    workspace: WorkspaceArg,
    unit: Annotated[
        str, typer.Option("--unit", help="Respondent column joining staff and customers.")
    ] = "team",
    min_staff: Annotated[
        int, typer.Option("--min-staff", help="Fewer staff give 'insufficient data'.")
    ] = 5,
    confidence: ConfidenceOpt = 0.95,
    min_n: MinNOpt = MIN_N,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Staff engagement and turnover per team beside the team's customer outcomes (NPS, gap,
    staff-attitude mentions, listening), and their association across teams (not a cause)."""
    from realitygap.analysis import people as people_analysis

    with working(workspace, "joining staff and customers by team", wait=wait) as ws:
        result = people_analysis(
            ws, unit=unit, min_staff=min_staff, confidence=confidence, min_n=min_n
        )
    show(result, json)
