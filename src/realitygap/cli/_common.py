"""What every command shares: the workspace argument, error handling, printing results."""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from realitygap.domain.errors import ArgumentError, RealityGapError, SurveyDataError

if TYPE_CHECKING:  # imported when a command runs: `realitygap --help` loads no engine
    import pandas as pd
    from rich.table import Table

    from realitygap.store import Workspace

console = Console()
err_console = Console(stderr=True)

WorkspaceArg = Annotated[Path, typer.Argument(help="Workspace directory.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]

P = ParamSpec("P")
R = TypeVar("R")

BAD_INPUT_EXIT = 2
# Python parameters whose flag is not simply --parameter-name.
FLAG_OF = {"nps_method": "--nps-interval", "predictors": "--predictor", "triggers": "--trigger"}


def flag_of(parameter: str) -> str:
    """The command-line flag of an analysis function's parameter."""
    return FLAG_OF.get(parameter, "--" + parameter.replace("_", "-"))


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn realitygap's own errors into a clear message on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ArgumentError as exc:
            err_console.print(
                f"error: {flag_of(exc.parameter)}: found {exc.value!r}, expected {exc.expected}",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(BAD_INPUT_EXIT) from None
        except SurveyDataError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
            raise typer.Exit(BAD_INPUT_EXIT) from None
        except RealityGapError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            err_console.print(f"[bold red]error:[/] {first}", markup=True, highlight=False)
            raise typer.Exit(BAD_INPUT_EXIT) from None

    return wrapper


def print_json(obj: Any) -> None:
    from realitygap.analysis import plain

    sys.stdout.write(json.dumps(plain(obj), indent=2, default=str) + "\n")


def show(result: Any, json: bool) -> None:
    """A result as JSON (``--json``) or as its plain-text rendering."""
    if json:
        print_json(result)
    else:
        console.print(str(result), highlight=False)


def frame_table(frame: pd.DataFrame, title: str | None = None, max_rows: int = 40) -> Table:
    """A Rich table of a small frame (floats to 3 significant decimals)."""
    from rich.table import Table

    table = Table(title=title, show_lines=False, title_justify="left")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for _, row in frame.head(max_rows).iterrows():
        table.add_row(*[_cell(v) for v in row])
    if len(frame) > max_rows:
        table.caption = f"{len(frame) - max_rows} more rows (use --json for all)"
    return table


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


@contextmanager
def working(path: Path, doing: str, *, read_only: bool = True) -> Iterator[Workspace]:
    """Open the workspace, with a spinner on stderr saying what runs until the block ends."""
    from realitygap.store import Workspace

    with Workspace.open(path, read_only=read_only) as ws, err_console.status(doing):
        yield ws


WeightsOpt = Annotated[
    Path | None,
    typer.Option(
        "--weights",
        help="Population margins CSV (variable,category,share): rake customers to them.",
        exists=True,
        dir_okay=False,
    ),
]
