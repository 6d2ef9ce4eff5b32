"""`realitygap report`: the Reality Check as HTML, PDF and XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from realitygap.cli._common import (
    JsonOpt,
    WaitOpt,
    WeightsOpt,
    WorkspaceArg,
    console,
    handles_errors,
    print_json,
    working,
)


@handles_errors
def report(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write this PDF.")] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write this spreadsheet.")
    ] = None,
    weights: WeightsOpt = None,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Write the Reality Check report: one self-contained HTML file, and PDF and XLSX."""
    from realitygap.analysis import rake, read_margins, reality_check
    from realitygap.report import write_report

    with working(workspace, "running every analysis and rendering the report", wait=wait) as ws:
        raking = rake(ws, read_margins(weights)) if weights is not None else None
        check = reality_check(ws, weights=raking)
        files = write_report(check, out, pdf=pdf, xlsx=xlsx)
    if json:
        print_json(files)
        return
    console.print(f"[bold]Reality Check[/] written to {files.html}")
    for extra in (files.pdf, files.xlsx):
        if extra is not None:
            console.print(f"  and {extra}")
    console.print(f"  sections: {', '.join(files.sections)}")
    if files.omitted:
        console.print(f"  left out (no data): {', '.join(files.omitted)}")
