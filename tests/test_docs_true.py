"""The README and the CLI's help stay true to each other (datasette's approach)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from realitygap.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, Any]:
    """Every command path of the CLI, e.g. 'init', 'text tag'."""
    root = typer.main.get_command(app)
    out: dict[str, Any] = {}

    def walk(cmd: Any, prefix: str) -> None:
        if hasattr(cmd, "commands"):  # a group (typer 0.29 bundles its own click)
            for name, sub in cmd.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            out[prefix] = cmd

    walk(root, "")
    return out


def test_every_command_is_in_the_readme() -> None:
    missing = [name for name in _commands() if f"realitygap {name}" not in README]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_every_readme_command_exists() -> None:
    commands = _commands()
    groups = {name.split()[0] for name in commands if " " in name}
    blocks = "\n".join(re.findall(r"```(?:sh|bash|console)?\n(.*?)```", README, flags=re.S))
    used = set(re.findall(r"^(?:\S*/)?realitygap ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", blocks, re.M))
    assert used, "README has no command examples"
    unknown = []
    for phrase in used:
        first = phrase.split()[0]
        if phrase in commands or first in commands:
            continue
        if first in groups and phrase in commands:
            continue
        unknown.append(phrase)
    assert not unknown, f"README mentions commands the CLI does not have: {unknown}"


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for name in _commands():
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage" in result.output
