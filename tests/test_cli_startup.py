"""The CLI answers at once: starting it loads no engine, no data frame library, no analysis."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "ibis", "duckdb", "scipy", "sklearn", "pyarrow", "altair")


def test_importing_the_cli_loads_nothing_heavy() -> None:
    # a fresh interpreter: this test process has long imported everything
    code = (
        f"import sys, realitygap.cli\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_help_lists_the_import_kinds_the_importer_knows() -> None:
    # the help text's copy of the kinds and formats (kept light) equals the importer's own
    from realitygap.cli import ingest_cmds
    from realitygap.ingest import KINDS, TOOL_FORMATS

    assert ingest_cmds.KINDS == KINDS
    assert ingest_cmds.TOOL_FORMATS == TOOL_FORMATS
