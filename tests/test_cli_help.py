"""Issue 16, point 8: ``--help`` text is not broken mid-sentence. At 80 columns every line of a
command's description, and of the command lists, is either a paragraph's last line or full
(the next word would not have fitted), and the description reads as the docstring does."""

from __future__ import annotations

import inspect
import itertools
import re

import typer
from typer.testing import CliRunner

from realitygap.cli import app, unwrap_help

runner = CliRunner()
WIDTH = 80
PANEL_EDGE = WIDTH - 3  # "│ " ... " │": the last column text may use inside a panel
TEXT_EDGE = WIDTH - 1  # the description: one space of padding either side


def _commands(
    group: typer.Typer, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], str]]:
    """(argv to the command, its docstring) for every command, groups included."""
    found: list[tuple[tuple[str, ...], str]] = []
    for command in group.registered_commands:
        assert command.name and command.callback
        found.append(((*prefix, command.name), inspect.getdoc(command.callback) or ""))
    for sub in group.registered_groups:
        assert sub.name and sub.typer_instance
        found.append(((*prefix, sub.name), str(sub.typer_instance.info.help)))
        found.extend(_commands(sub.typer_instance, (*prefix, sub.name)))
    return found


COMMANDS = _commands(app)


def _help(argv: tuple[str, ...]) -> list[str]:
    result = runner.invoke(app, [*argv, "--help"], env={"COLUMNS": str(WIDTH), "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def _broken_early(lines: list[tuple[str, int]], edge: int) -> list[str]:
    """Lines of one wrapped paragraph (text, column where it starts) that end although the
    next line's first word would have fitted."""
    bad = []
    for (text, start), (following, _) in itertools.pairwise(lines):
        next_word = following.split()[0]
        if next_word.startswith("["):  # Typer's [default: ...] or [required], set apart
            continue
        if start + len(text) + 1 + len(next_word) <= edge:
            bad.append(f"{text!r} then {next_word!r}")
    return bad


def _description(output: list[str]) -> list[list[str]]:
    """The paragraphs between the usage line(s) and the first panel."""
    start = next(i for i, line in enumerate(output) if "Usage:" in line)
    end = next(i for i, line in enumerate(output) if line.startswith("╭"))
    body = output[start + 1 : end]
    while body and body[0].startswith("  ") and body[0].strip():  # usage continued
        body = body[1:]
    paragraphs: list[list[str]] = [[]]
    for line in body:
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def _panel_entries(output: list[str]) -> list[list[tuple[str, int]]]:
    """Every entry of every panel, as its help text's lines with the column they start at."""
    entries: list[list[tuple[str, int]]] = []
    for line in output:
        if not line.startswith("│"):
            continue
        inner = line[1:].rstrip().removesuffix("│").rstrip()
        indent = len(inner) - len(inner.lstrip())
        if inner.strip() and indent <= 5:  # a new entry ("*" marks a required option)
            help_text = re.split(r"\s{2,}", inner.strip())[-1]
            entries.append([(help_text, 1 + inner.rfind(help_text))])
        elif entries and inner.strip():
            text = inner.lstrip()
            entries[-1].append((text, 1 + len(inner) - len(text)))
    return entries


def test_every_help_reads_as_its_docstring() -> None:
    for argv, doc in COMMANDS:
        said = " ".join(" ".join(p) for p in _description(_help(argv)))
        expected = unwrap_help(doc).split("\f")[0]
        # same words in the same order: nothing swallowed as markup, nothing cut
        assert said.split() == expected.split(), argv


def test_no_help_line_is_cut_mid_sentence() -> None:
    bad: list[str] = []
    for argv in [(), *(argv for argv, _ in COMMANDS)]:
        output = _help(argv)
        if argv:
            for paragraph in _description(output):
                lines = [(line.lstrip(), len(line) - len(line.lstrip())) for line in paragraph]
                bad += [f"{' '.join(argv)}: {b}" for b in _broken_early(lines, TEXT_EDGE)]
        for entry in _panel_entries(output):
            bad += [
                f"{' '.join(argv) or 'realitygap'}: {b}" for b in _broken_early(entry, PANEL_EDGE)
            ]
    assert not bad, "\n".join(bad)
