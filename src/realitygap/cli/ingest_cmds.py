"""`realitygap import`: bring questions, respondents, answers, documents, events, cases,
contacts or a taxonomy into a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from realitygap.cli._common import (
    JsonOpt,
    WaitOpt,
    WorkspaceArg,
    handles_errors,
    print_json,
    working,
)

# For the help text, without loading the importers (pandas, pyarrow) before a command runs;
# tests/test_cli_startup.py checks they equal realitygap.ingest.KINDS and TOOL_FORMATS.
KINDS = (
    "questions", "respondents", "responses", "invitations", "documents", "events", "cases",
    "contacts", "translations", "taxonomy",
)  # fmt: skip
TOOL_FORMATS = ("qualtrics", "surveymonkey", "google_forms", "typeform")


@handles_errors
def import_cmd(
    workspace: WorkspaceArg,
    file: Annotated[
        Path, typer.Argument(help="CSV, XLSX, JSON Lines or Parquet file.", show_default=False)
    ],
    kind: Annotated[str, typer.Option("--kind", help=f"What the file holds: {', '.join(KINDS)}.")],
    format: Annotated[
        str | None,
        typer.Option("--format", help=f"Survey-tool export: {', '.join(TOOL_FORMATS)}."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="TOML file mapping the file's columns (docs/formats.md)."),
    ] = None,
    wave: Annotated[
        str | None, typer.Option("--wave", help="Wave of answers whose file has no wave column.")
    ] = None,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Import FILE into the workspace: validated whole, all or nothing, idempotent on ids.

    Bad input: every problem is listed (file, row, column, value, what was expected), exit 2.
    """
    from realitygap.ingest import import_file

    with working(workspace, "validating and importing", read_only=False, wait=wait) as ws:
        report = import_file(ws, file, kind, fmt=format, mapping=mapping, wave=wave)
    if json:
        print_json(report.to_dict())
        return
    typer.echo(str(report))
