"""`realitygap audit`, `realitygap drivers` and `realitygap behaviour`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import typer

# light: the options' allowed values; each command imports its analysis when it runs
from realitygap.analysis import METHODS, MIN_N, MISSING_CHOICES
from realitygap.cli._common import (
    JsonOpt,
    WaitOpt,
    WorkspaceArg,
    console,
    frame_table,
    handles_errors,
    print_json,
    working,
)

if TYPE_CHECKING:
    from realitygap.analysis import Method, Missing

OutcomeOpt = Annotated[
    str | None,
    typer.Option("--outcome", help="Outcome question id (default: the customer NPS question)."),
]
WaveOpt = Annotated[str | None, typer.Option("--wave", help="Only this wave.")]
MinNOpt = Annotated[int, typer.Option("--min-n", help="Fewer answers give 'insufficient data'.")]
HorizonOpt = Annotated[
    float, typer.Option("--months", help="Follow-up months after answering (retention window).")
]
DeclineOpt = Annotated[
    float,
    typer.Option("--decline", help="Fall in activity against the customer's baseline that counts."),
]


@handles_errors
def audit(
    workspace: WorkspaceArg,
    outcome: OutcomeOpt = None,
    wave: WaveOpt = None,
    months: HorizonOpt = 6.0,
    min_n: MinNOpt = MIN_N,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Audit the survey itself: ceiling and floor items, reliability (Cronbach's alpha),
    items that predict neither the outcome nor retention, redundant items, layer coverage
    and non-response. Prints a verdict per item with its reason."""
    from realitygap.analysis import Windows
    from realitygap.analysis import audit as audit_analysis

    with working(workspace, "auditing the survey", wait=wait) as ws:
        result = audit_analysis(
            ws, outcome, wave=wave, windows=Windows(horizon_months=months), min_n=min_n
        )
    if json:
        print_json(result)
        return
    typer.echo(str(result))


@handles_errors
def drivers(
    workspace: WorkspaceArg,
    outcome: OutcomeOpt = None,
    method: Annotated[
        str, typer.Option("--method", help=f"Importance method: {', '.join(METHODS)}.")
    ] = "shapley",
    missing: Annotated[
        str, typer.Option("--missing", help=f"Missing answers: {', '.join(MISSING_CHOICES)}.")
    ] = "listwise",
    predictor: Annotated[
        list[str] | None,
        typer.Option("--predictor", help="Predictor question id (repeat; default: all items)."),
    ] = None,
    wave: WaveOpt = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap replicates for the intervals (0 = none).")
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    min_n: MinNOpt = MIN_N,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Key drivers of the outcome: Shapley (LMG) or relative-weights importance with
    bootstrap intervals, importance x performance quadrants, penalty-reward classes
    (must-be vs delighter) and leaders' priority gap."""
    from realitygap.analysis import drivers as drivers_analysis

    with working(workspace, "decomposing R² over the items", wait=wait) as ws:
        result = drivers_analysis(
            ws,
            outcome,
            predictor or None,
            method=cast("Method", method),  # checked by drivers(): ArgumentError otherwise
            missing=cast("Missing", missing),
            wave=wave,
            bootstrap=bootstrap,
            seed=seed,
            min_n=min_n,
        )
    if json:
        print_json(result)
        return
    typer.echo(str(result))


@handles_errors
def behaviour(
    workspace: WorkspaceArg,
    question: Annotated[
        str | None,
        typer.Option("--question", help="Stated-loyalty question (default: customer NPS)."),
    ] = None,
    wave: WaveOpt = None,
    months: HorizonOpt = 6.0,
    decline: DeclineOpt = 0.5,
    min_n: MinNOpt = MIN_N,
    top: Annotated[int, typer.Option("--top", help="Rows of the silent-attrition list.")] = 20,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Stated vs revealed loyalty: NPS group x retained/declining/churned, the silent
    attrition list (promoters who stopped or cut buying), Kaplan-Meier retention by group
    with the log-rank test, and a Cox regression of churn on touchpoint scores. The sentences
    are the report's findings for this section (the same rules, the same words)."""
    from realitygap.analysis import Windows
    from realitygap.analysis import behaviour as behaviour_analysis
    from realitygap.analysis.findings import behaviour_findings, est_range
    from realitygap.analysis.reality_check import labels_of

    windows = Windows(horizon_months=months, baseline_months=months, decline=decline)
    with working(workspace, "joining answers with behaviour", wait=wait) as ws:
        result = behaviour_analysis(ws, question, wave=wave, windows=windows, min_n=min_n)
        labels = labels_of(ws)
    found = behaviour_findings(result, labels)
    if json:
        out = result.to_dict()
        out.pop("headline")  # the findings say it, with the report's definitions
        print_json({**out, "findings": [f.to_dict() for f in found]})
        return
    import pandas as pd

    typer.echo(f"Stated vs revealed loyalty, {result.customers:,} customers")
    for f in found:
        typer.echo(f"  {f.text}")
    typer.echo(f"  Definitions: {result.windows.describe()}.")
    # shares as percentages, named as in the report
    shares = [str(c) for c in result.matrix.columns if str(c).startswith("share_")]
    matrix = result.matrix.assign(**{c: 100 * result.matrix[c] for c in shares})
    matrix = matrix.rename(columns={c: c.removeprefix("share_") + ", %" for c in shares})
    console.print(frame_table(matrix, "What they said (NPS group) against what they did"))
    km = pd.DataFrame(
        [
            {
                "NPS group": s.group,
                "customers": s.customers,
                "not cancelled, %": est_range(s.retention, 1, 100),
            }
            for s in result.survival
        ]
    )
    if not km.empty:
        console.print(frame_table(km, "Not cancelled at the horizon (Kaplan-Meier)"))
    if result.cox is not None:
        cox = result.cox.assign(
            item=[labels.question(q) for q in result.cox["item"]],
            p=["< 0.001" if p < 0.001 else f"{p:.3f}" for p in result.cox["p"]],
        ).rename(columns={"item": "question", "hazard_ratio": "hazard ratio"})
        console.print(frame_table(cox, "Cox regression of cancelling (hazard ratio per point)"))
    if not result.silent.empty:
        money = f"value at risk a year{', ' + labels.currency if labels.currency else ''}"
        silent = result.silent.rename(columns={"value_at_risk": money})
        console.print(frame_table(silent, "Silent attrition (by value at risk)", top))
