"""`realitygap simulate` and `realitygap demo`: an example company with planted truth."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from realitygap.cli._common import JsonOpt, console, err_console, handles_errors, print_json
from realitygap.domain.errors import WorkspaceError

# The simulator, the analyses and the report are imported when a command runs.

CustomersOpt = Annotated[
    int, typer.Option("--customers", min=200, help="Number of customers to simulate.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same company).")]


def _run(directory: Path, customers: int, seed: int, quiet: bool) -> dict[str, Any]:
    """Simulate with a Rich progress bar over the steps (on stderr, hidden for --json)."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from realitygap.simulate import STEPS
    from realitygap.simulate import simulate as run_simulation

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("simulating", total=len(STEPS))
        started = [False]

        def step(name: str) -> None:
            if started[0]:
                bar.advance(task)
            started[0] = True
            bar.update(task, description=f"simulating: {name}")

        truth = run_simulation(directory, customers=customers, seed=seed, progress=step)
        bar.advance(task)
    return truth


def _summary(directory: Path, truth: dict[str, Any]) -> dict[str, Any]:
    from realitygap.simulate import TRUTH_FILE

    """What the workspace holds and the headline facts of the planted truth."""
    over = truth["overestimation"]["by_item"]
    return {
        "workspace": str(directory),
        "truth_file": str(directory / TRUTH_FILE),
        "customers": truth["customers"],
        "staff": truth["staff"],
        "waves": truth["waves"],
        "rows": truth["rows"],
        "headline": truth["headline"],
        "top_drivers": truth["drivers"]["ranking"][:3],
        "bare_fundamentals": truth["bare_fundamentals"],
        "most_overestimated": sorted(over, key=lambda q: -over[q])[:3],
        "silent_churners": len(truth["silent_churners"]["customer_ids"]),
        "kano_migrations": {
            f: " -> ".join(waves.values())
            for f, waves in truth["kano"].items()
            if len(set(waves.values())) > 1
        },
    }


def _print_summary(summary: dict[str, Any]) -> None:
    head = summary["headline"]
    console.print(
        f"[bold]{summary['workspace']}[/]: {summary['customers']:,} customers, "
        f"{summary['staff']:,} staff, waves {', '.join(summary['waves'])}"
    )
    for name, n in summary["rows"].items():
        console.print(f"  {name:<12} {n:>12,}")
    console.print(
        f"Planted truth ({summary['truth_file']}): "
        f"{head['executive_superior_share']:.0%} of executives expect customers to answer 9-10, "
        f"{head['customer_promoter_share']:.0%} of responding customers do."
    )
    console.print(f"  top drivers of NPS: {', '.join(summary['top_drivers'])}")
    console.print(f"  bare fundamentals: {', '.join(summary['bare_fundamentals'])}")
    console.print(f"  most over-estimated by staff: {', '.join(summary['most_overestimated'])}")
    console.print(f"  silent churners: {summary['silent_churners']:,}")
    for feature, path in summary["kano_migrations"].items():
        console.print(f"  Kano {feature}: {path}")


@handles_errors
def simulate(
    directory: Annotated[
        Path, typer.Argument(help="New workspace directory to create.", show_default=False)
    ],
    customers: CustomersOpt = 5000,
    seed: SeedOpt = 42,
    json: JsonOpt = False,
) -> None:
    """Simulate an example company with planted ground truth into a new workspace."""
    truth = _run(directory, customers, seed, quiet=json)
    summary = _summary(directory, truth)
    if json:
        print_json(summary)
        return
    _print_summary(summary)


@handles_errors
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to put the demo workspace.")
    ] = Path("demo-workspace"),
    customers: CustomersOpt = 5000,
    seed: SeedOpt = 42,
    json: JsonOpt = False,
) -> None:
    """The whole job on an example company: simulate it, tag its text, run every analysis and
    write the Reality Check (report.html, .pdf, .xlsx) into the demo workspace."""
    from realitygap.actions.text import tag_workspace
    from realitygap.analysis import reality_check
    from realitygap.report import build, save
    from realitygap.report.summary import summary_lines
    from realitygap.simulate import TRUTH_FILE
    from realitygap.store import TAXONOMY_FILE, Workspace

    if directory.exists():
        is_workspace = (directory / TAXONOMY_FILE).exists() and (directory / TRUTH_FILE).exists()
        if not is_workspace and any(directory.iterdir()):
            raise WorkspaceError(
                f"{directory}: exists and is not a simulated workspace; choose another --dir"
            )
        shutil.rmtree(directory)
    truth = _run(directory, customers, seed, quiet=json)
    with Workspace.open(directory) as ws:
        with err_console.status("tagging comments, reviews and tickets"):
            tag_workspace(ws)
        with err_console.status("running every analysis and writing the report"):
            check = reality_check(ws)
            files = save(
                build(check),
                directory / "report.html",
                pdf=directory / "report.pdf",
                xlsx=directory / "report.xlsx",
            )
    if json:
        print_json({"simulated": _summary(directory, truth), "report": files})
        return
    _print_summary(_summary(directory, truth))
    console.print()
    for line in summary_lines(check):
        console.print(line, highlight=False, markup=False)
    console.print()
    console.print(f"[bold]Reality Check[/] written to {files.html}, {files.pdf} and {files.xlsx}")
