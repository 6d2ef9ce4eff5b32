"""The ``realitygap`` command line. One module per command family registers its commands."""

from __future__ import annotations

import typer

from realitygap.cli import (
    analysis_cmds,
    ingest_cmds,
    loop_cmds,
    metrics_cmds,
    report_cmds,
    seeds_cmds,
    simulate_cmds,
    skills_cmds,
    text_cmds,
    workspace_cmds,
)

app = typer.Typer(
    name="realitygap",
    help="Measure the gap between what a company believes about its customer experience "
    "and what its customers say and do.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("init")(workspace_cmds.init)
app.command("info")(workspace_cmds.info)
app.command("import")(ingest_cmds.import_cmd)
app.command("simulate")(simulate_cmds.simulate)
app.command("demo")(simulate_cmds.demo)
app.command("metrics")(metrics_cmds.metrics)
app.command("gap")(metrics_cmds.gap)
app.command("audit")(analysis_cmds.audit)
app.command("drivers")(analysis_cmds.drivers)
app.command("behaviour")(analysis_cmds.behaviour)
app.add_typer(text_cmds.text_app, name="text")
app.command("kano")(loop_cmds.kano)
app.command("listening")(loop_cmds.listening)
app.command("journey")(seeds_cmds.journey)
app.command("wow")(seeds_cmds.wow)
app.command("people")(seeds_cmds.people)
app.command("skills")(skills_cmds.skills)
app.add_typer(loop_cmds.cases_app, name="cases")
app.command("report")(report_cmds.report)


def main() -> None:
    app()
