"""`realitygap skills`: frontline skills praised and missed in customers' comments, per team,
department or location, with their NPS impact and coaching priorities (seed 003)."""

from __future__ import annotations

from typing import Annotated

import typer

from realitygap.analysis import MIN_N  # light; the analysis loads when the command runs
from realitygap.cli._common import JsonOpt, WorkspaceArg, handles_errors, show, working


@handles_errors
def skills(
    workspace: WorkspaceArg,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Respondent column naming the unit that serves the customer: team, "
            "department, location (or any such column).",
        ),
    ] = "team",
    confidence: Annotated[
        float, typer.Option("--confidence", help="Level of every interval (0-1).")
    ] = 0.95,
    min_n: Annotated[
        int, typer.Option("--min-n", help="Fewer comments give 'insufficient data'.")
    ] = MIN_N,
    json: JsonOpt = False,
) -> None:
    """Patience, empathy, problem solving, conflict resolution and product knowledge in what
    customers say about staff: share of comments missing and praising each skill, its NPS
    impact and the coaching priorities per unit, and staff attitude in the last comment of
    churned vs retained customers."""
    from realitygap.analysis import skills as skills_analysis

    with working(workspace, "reading frontline skills in comments") as ws:
        result = skills_analysis(ws, by=by, confidence=confidence, min_n=min_n)
    show(result, json)
