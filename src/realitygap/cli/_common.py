"""What every command shares: the workspace argument, error handling, printing results."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from realitygap.analysis._result import plain
from realitygap.domain.errors import RealityGapError, SurveyDataError
from realitygap.store import Workspace

console = Console()
err_console = Console(stderr=True)

WorkspaceArg = Annotated[Path, typer.Argument(help="Workspace directory.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]

P = ParamSpec("P")
R = TypeVar("R")

BAD_INPUT_EXIT = 2


def print_error(message: str) -> None:
    """``error: message`` on stderr; the message is plain text, never Rich markup, so that
    values such as ``[questions]`` or ``[/]`` print exactly as found."""
    err_console.print(Text("error: ", style="bold red") + Text(message), highlight=False)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn realitygap's own errors, and a file that cannot be read or written, into a clear
    message on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SurveyDataError as exc:
            print_error(str(exc))
            raise typer.Exit(BAD_INPUT_EXIT) from None
        except RealityGapError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print_error(first)
            raise typer.Exit(BAD_INPUT_EXIT) from None
        except OSError as exc:  # a file the command reads or writes: full disk, permissions
            where = f"{exc.filename}: " if exc.filename else ""
            print_error(f"{where}{exc.strerror or exc}")
            raise typer.Exit(BAD_INPUT_EXIT) from None

    return wrapper


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(plain(obj), indent=2, default=str) + "\n")


def show(result: Any, json: bool) -> None:
    """A result as JSON (``--json``) or as its plain-text rendering."""
    if json:
        print_json(result)
    else:
        console.print(str(result), highlight=False)


def frame_table(frame: pd.DataFrame, title: str | None = None, max_rows: int = 40) -> Table:
    """A Rich table of a small frame (floats to 3 significant decimals)."""
    table = Table(title=title, show_lines=False, title_justify="left")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for _, row in frame.head(max_rows).iterrows():
        table.add_row(*[_cell(v) for v in row])
    if len(frame) > max_rows:
        table.caption = f"{len(frame) - max_rows} more rows (use --json for all)"
    return table


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


@contextmanager
def working(path: Path, doing: str, *, read_only: bool = True) -> Iterator[Workspace]:
    """Open the workspace, with a spinner on stderr saying what runs until the block ends."""
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
