"""The CLI answers at once: starting it loads no engine, no data frame library, no analysis."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def _loaded_by(argv: list[str], modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after running ``realitygap argv``."""
    code = (
        "import sys\n"
        "from realitygap.cli import main\n"
        f"sys.argv = ['realitygap', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('LOADED:' + ','.join(m for m in {modules!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    last = out.stdout.strip().splitlines()[-1]  # after what the command printed
    assert last.startswith("LOADED:"), out.stdout
    return [m for m in last.removeprefix("LOADED:").split(",") if m]


def test_info_reads_the_workspace_with_duckdb_alone(tmp_path: Path) -> None:
    # `info` counts rows and reads taxonomy.toml: the engine, but no Ibis, no data frames, no
    # analysis, no report and not the pydantic records of realitygap.domain.models
    ws = tmp_path / "ws"
    subprocess.run([sys.executable, "-m", "realitygap", "init", str(ws)], check=True)
    watched = (*HEAVY, "realitygap.domain.models", "realitygap.analysis.metrics", "jinja2")
    assert _loaded_by(["info", str(ws)], watched) == ["duckdb"]


def test_help_loads_neither_the_engine_nor_the_domain_records() -> None:
    watched = (*HEAVY, "realitygap.domain.models", "rich.progress", "tomli_w")
    assert _loaded_by(["--help"], watched) == []
