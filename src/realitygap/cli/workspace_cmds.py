"""`realitygap init` and `realitygap info`."""

from __future__ import annotations

from rich.markup import escape

from realitygap.cli._common import (
    JsonOpt,
    WaitOpt,
    WorkspaceArg,
    console,
    handles_errors,
    print_json,
)


@handles_errors
def init(workspace: WorkspaceArg, wait: WaitOpt = None) -> None:
    """Create a workspace: a directory with realitygap.duckdb and an editable taxonomy.toml."""
    from realitygap.store import SCHEMA_VERSION, TAXONOMY_FILE, Workspace
    from realitygap.store.location import is_postgres

    # an existing directory is opened (and may be waited for); a database URL is created or migrated
    exists = not is_postgres(workspace) and (workspace / TAXONOMY_FILE).exists()
    with Workspace.open(workspace, wait=wait) if exists else Workspace.create(workspace) as ws:
        where = ws.location.url if ws.location else str(ws.path)
        console.print(
            f"Workspace ready at [bold]{escape(where)}[/] (schema v{SCHEMA_VERSION}); "
            f"edit {escape(str(ws.path / 'taxonomy.toml'))} to describe your journey and "
            "touchpoints."
        )


@handles_errors
def info(workspace: WorkspaceArg, json: JsonOpt = False, wait: WaitOpt = None) -> None:
    """Show what a workspace holds: rows per table, the journey stages and their touchpoints."""
    from realitygap.store import Workspace
    from realitygap.store.schema import KEYS

    with Workspace.open(workspace, read_only=True, wait=wait) as ws:
        counts = {name: ws.count(name) for name in KEYS}
        tax = ws.taxonomy
        summary = {
            "workspace": str(ws.path),
            "schema_version": ws.schema_version,
            "rows": counts,
            "stages": list(tax.stages),
            "touchpoints": list(tax.touchpoint_ids),
        }
    if json:
        print_json(summary)
        return
    console.print(f"[bold]{escape(str(ws.path))}[/] (schema v{summary['schema_version']})")
    for name, n in counts.items():
        console.print(f"  {name:<12} {n:>12,}")
    console.print(f"{len(tax.stages)} journey stages, {len(tax.touchpoints)} touchpoints:")
    for stage in tax.stages:
        at_stage = [tp for tp in tax.touchpoints if tp.stage == stage]
        names = ", ".join(f"{tp.id} ({tp.name})" for tp in at_stage) or "no touchpoints"
        console.print(f"  {escape(stage)}: {escape(names)}", highlight=False)
