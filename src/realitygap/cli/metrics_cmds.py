"""`realitygap metrics` and `realitygap gap`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from realitygap.analysis import MIN_N  # light; the analyses load when a command runs

if TYPE_CHECKING:
    import pandas as pd

    from realitygap.analysis import MetricsResult
    from realitygap.store import Workspace
from realitygap.cli._common import (
    JsonOpt,
    WaitOpt,
    WeightsOpt,
    WorkspaceArg,
    console,
    frame_table,
    handles_errors,
    print_json,
    working,
)

ByOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Break down by wave, month, touchpoint, layer or a respondent column "
        "(role, department, segment, any imported attribute). Repeat for several.",
    ),
]
MinNOpt = Annotated[int, typer.Option("--min-n", help="Fewer answers give 'insufficient data'.")]


def _estimates(result: MetricsResult) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {
            **dict(m.group),
            "question": m.question_id or "(CX items)",
            "metric": m.metric,
            "estimate [95% CI] n": m.text(),
        }
        for m in result.items + result.index
    ]
    return pd.DataFrame(rows)


@handles_errors
def metrics(
    workspace: WorkspaceArg,
    by: ByOpt = None,
    weights: WeightsOpt = None,
    nps_interval: Annotated[
        str,
        typer.Option(
            "--nps-interval", help="score (Tango 1998, default), adjusted-wald, wald or bootstrap"
        ),
    ] = "score",
    min_n: MinNOpt = MIN_N,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """NPS, CSAT top-2-box, CES, means, box shares and the CX index with intervals, by any
    breakdown, with the significance of each change between waves or months."""
    from realitygap.analysis import metrics as metrics_analysis
    from realitygap.analysis import rake, read_margins

    with working(workspace, "computing the metrics", wait=wait) as ws:
        raking = rake(ws, read_margins(weights)) if weights is not None else None
        result = metrics_analysis(
            ws, by=by or (), weights=raking, nps_method=nps_interval, min_n=min_n
        )
    if json:
        print_json(result)
        return
    if raking is not None:
        console.print(str(raking), highlight=False)
    console.print(frame_table(_estimates(result), "Metrics", max_rows=200))
    trends = result.trend_frame()
    if not trends.empty:
        keep = [c for c in trends.columns if c not in {"change_method", "change_confidence"}]
        cols = [c for c in keep if c != "change_n_effective"]
        console.print(frame_table(trends[cols], "Changes between periods (Holm across segments)"))


@handles_errors
def gap(
    workspace: WorkspaceArg,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="role, department, touchpoint or layer. Repeat for several."),
    ] = None,
    weights: WeightsOpt = None,
    min_n: MinNOpt = MIN_N,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Staff predictions vs customer answers: the headline, the gap per item with intervals,
    and the blind spots."""
    from realitygap.analysis import gap as gap_analysis
    from realitygap.analysis import rake, read_margins

    with working(workspace, "comparing staff predictions with customer answers", wait=wait) as ws:
        raking = rake(ws, read_margins(weights)) if weights is not None else None
        dims = by if by else ["role", "department"]
        result = gap_analysis(ws, by=dims, weights=raking, min_n=min_n)
        missing = None if result.rows else _no_gap_yet(ws)
    if json:
        print_json(result)
        return
    if missing is not None:  # nothing to compare: say what to collect, not an empty heading
        console.print(missing, highlight=False, markup=False)
        return
    console.print(str(result), highlight=False)
    frame = result.to_frame()
    if not frame.empty:
        cols = [
            "dimension", "group", "question_id", "staff_mean", "customer_mean", "gap",
            "gap_low", "gap_high", "p_value", "hedges_g", "wasserstein",
        ]  # fmt: skip
        console.print(frame_table(frame[cols], "Perception gap (staff - customer)", max_rows=60))


def _no_gap_yet(ws: Workspace) -> str:
    """One sentence on what a workspace lacks for a gap, and how to import it."""
    questions = ws.table("questions")
    mirrors = questions.filter(questions.audience == "mirror")
    n_mirrors = int(mirrors.count().execute())
    if n_mirrors == 0:
        return (
            "No staff predictions to compare yet: write the mirror survey as questions with "
            "audience `mirror` and `mirrors` naming the customer question each predicts, and "
            f"import it with `realitygap import {ws.path} FILE --kind questions`, then the "
            "staff (`--kind respondents`, kind `staff` with a role) and their answers "
            "(`--kind responses`), as docs/formats.md describes."
        )
    answers = ws.table("responses")
    n_staff_answers = int(
        answers.filter(answers.question_id.isin(mirrors.question_id)).count().execute()
    )
    if n_staff_answers == 0:
        return (
            f"No staff have answered the {n_mirrors} mirror question(s) yet: import the staff "
            f"with `realitygap import {ws.path} FILE --kind respondents` (kind `staff` with a "
            "role) and their answers to the mirror survey with `--kind responses`, as "
            "docs/formats.md describes."
        )
    return (
        f"{n_staff_answers} staff prediction(s) but no customer answers to the mirrored "
        f"questions yet: import the customers' answers with `realitygap import {ws.path} FILE "
        "--kind responses`."
    )
