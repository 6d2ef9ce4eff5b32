"""`realitygap init` and `realitygap info`."""

from __future__ import annotations

from realitygap.cli._common import JsonOpt, WorkspaceArg, console, handles_errors, print_json


@handles_errors
def init(workspace: WorkspaceArg) -> None:
    """Create a workspace: a directory with realitygap.duckdb and an editable taxonomy.toml."""
    from realitygap.store import SCHEMA_VERSION, Workspace

    with Workspace.create(workspace) as ws:
        console.print(
            f"Workspace ready at [bold]{ws.path}[/] (schema v{SCHEMA_VERSION}); "
            f"edit {ws.path / 'taxonomy.toml'} to describe your journey and touchpoints."
        )


@handles_errors
def info(workspace: WorkspaceArg, json: JsonOpt = False) -> None:
    """Show what a workspace holds: rows per table and the taxonomy."""
    from realitygap.store import Workspace
    from realitygap.store.schema import KEYS

    with Workspace.open(workspace, read_only=True) as ws:
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
    console.print(f"[bold]{summary['workspace']}[/] (schema v{summary['schema_version']})")
    for name, n in counts.items():
        console.print(f"  {name:<12} {n:>12,}")
    console.print(f"  {len(tax.stages)} journey stages, {len(tax.touchpoints)} touchpoints")
