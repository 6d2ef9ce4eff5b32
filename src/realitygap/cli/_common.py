"""What every command shares: the workspace argument, error handling, printing results."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from realitygap.domain.errors import ArgumentError, RealityGapError, SurveyDataError
from realitygap.store.lock import DEFAULT_WAIT_SECONDS, configure_lock_wait

if TYPE_CHECKING:  # imported when a command runs: `realitygap --help` loads no engine
    import pandas as pd
    from rich.table import Table

    from realitygap.store import Workspace

PIPED_WIDTH = 1000  # piped or redirected output: lines as long as their content


def _console(*, stderr: bool = False) -> Console:
    """A console for stdout or stderr. On a terminal Rich fits its width; piped or redirected
    (``realitygap behaviour acme | less``) nothing is hard-wrapped at 80 columns: words and
    table rows stay whole."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, soft_wrap=True, width=PIPED_WIDTH)


console = _console()
err_console = _console(stderr=True)
MISSING = "\u2014"  # an em dash for a missing value, never NaN or NaT

WorkspaceArg = Annotated[
    Path,
    typer.Argument(
        help="Workspace directory, a postgresql://user@host:port/db?schema=NAME URL, or a "
        "Spark warehouse: spark:///path (local session) or sc://host:15002/path (Spark Connect).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
WaitOpt = Annotated[
    float | None,
    typer.Option(
        "--wait",
        metavar="SECONDS",
        help="How long to wait for a workspace another command is using "
        f"(default {DEFAULT_WAIT_SECONDS:g}, or $REALITYGAP_WAIT).",
        show_default=False,
    ),
]

P = ParamSpec("P")
R = TypeVar("R")

BAD_INPUT_EXIT = 2
# Python parameters whose flag is not simply --parameter-name.
FLAG_OF = {"nps_method": "--nps-interval", "predictors": "--predictor", "triggers": "--trigger"}


def flag_of(parameter: str) -> str:
    """The command-line flag of an analysis function's parameter."""
    return FLAG_OF.get(parameter, "--" + parameter.replace("_", "-"))


def print_error(message: str) -> None:
    """``error: message`` on stderr; the message is plain text, never Rich markup, so that
    values such as ``[questions]`` or ``[/]`` print exactly as found."""
    err_console.print(Text("error: ", style="bold red") + Text(message), highlight=False)


def _announce_wait(message: str) -> None:
    err_console.print(Text(message), highlight=False)


configure_lock_wait(announce=_announce_wait)  # a command that waits for a workspace says so


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn realitygap's own errors, and a file that cannot be read or written, into a clear
    message on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ArgumentError as exc:
            print_error(f"{flag_of(exc.parameter)}: found {exc.value!r}, expected {exc.expected}")
            raise typer.Exit(BAD_INPUT_EXIT) from None
        except SurveyDataError as exc:
            print_error(str(exc))
            raise typer.Exit(BAD_INPUT_EXIT) from None
        except RealityGapError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print_error(first)
            raise typer.Exit(BAD_INPUT_EXIT) from None
        except BrokenPipeError:
            # the reader stopped reading (`| head`, quitting `less`): not a file error; Click
            # handles it as Unix tools do, quietly (exit 1, no "error: Broken pipe")
            raise
        except OSError as exc:  # a file the command reads or writes: full disk, permissions
            where = f"{exc.filename}: " if exc.filename else ""
            print_error(f"{where}{exc.strerror or exc}")
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


def print_lines(lines: Sequence[str], none: str) -> None:
    """A listing, one line an entry, printed as the text it is (a stored value such as
    ``[Errno 111]`` or ``[bold]`` is not Rich markup), or ``none`` when it is empty."""
    if not lines:
        console.print(none, highlight=False, markup=False)
    for line in lines:
        console.print(line, highlight=False, markup=False)


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
    """A table cell: missing values as an em dash, dates to the minute (midnight as the date
    alone), whole numbers without decimals, other floats to 3 decimals (thousands grouped)."""
    import numpy as np
    import pandas as pd

    if value is None or (not isinstance(value, str | bytes | list | tuple) and _isna(value)):
        return MISSING
    if isinstance(value, pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        if (stamp.hour, stamp.minute, stamp.second, stamp.microsecond) == (0, 0, 0, 0):
            return stamp.strftime("%Y-%m-%d")
        return stamp.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float | np.floating):
        number = float(value)
        if number.is_integer():
            return f"{number:,.0f}" if abs(number) >= 10_000 else f"{number:.0f}"
        return f"{number:.3f}" if abs(number) < 1000 else f"{number:,.0f}"
    return str(value)


def _isna(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes are not missing values
        return False


@contextmanager
def working(
    path: Path, doing: str, *, read_only: bool = True, wait: float | None = None
) -> Iterator[Workspace]:
    """Open the workspace (waiting ``wait`` seconds for another command to release it), with a
    spinner on stderr saying what runs until the block ends."""
    from realitygap.store import Workspace

    with Workspace.open(path, read_only=read_only, wait=wait) as ws, err_console.status(doing):
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
