"""The ``realitygap`` command line. One module per command family registers its commands."""

from __future__ import annotations

import inspect

import typer

from realitygap.cli import (
    analysis_cmds,
    audit_cmds,
    ingest_cmds,
    loop_cmds,
    metrics_cmds,
    report_cmds,
    seeds_cmds,
    service_cmds,
    simulate_cmds,
    skills_cmds,
    text_cmds,
    user_cmds,
    webhook_cmds,
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
app.add_typer(service_cmds.campaign_app, name="campaign")
app.command("serve")(service_cmds.serve)
app.add_typer(service_cmds.token_app, name="token")
app.add_typer(user_cmds.user_app, name="user")
app.add_typer(webhook_cmds.webhooks_app, name="webhooks")
app.command("audit-log")(audit_cmds.audit_log)


def unwrap_help(text: str) -> str:
    """A docstring as help text: each paragraph on one line, so that Rich wraps it to the
    terminal instead of keeping the source's line breaks (Typer keeps them in rich markup
    mode, which cut sentences in the command list). Lines of a list (``- item``) stay apart."""
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not line.lstrip().startswith(("- ", "* ")):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _tidy_help(group: typer.Typer) -> None:
    """Every command's help, and every group's, as :func:`unwrap_help` makes it."""
    if group.info.help:
        group.info.help = unwrap_help(str(group.info.help))
    for command in group.registered_commands:
        text = command.help or (inspect.getdoc(command.callback) if command.callback else None)
        if text:
            command.help = unwrap_help(text)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _tidy_help(sub.typer_instance)


_tidy_help(app)


def main() -> None:
    app()
