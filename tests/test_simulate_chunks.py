"""The simulator's bounded-memory blocks change nothing it writes.

Two checks. In one run, the simulation with blocks far smaller than the company (every block
boundary of the team chances and of the wow planting crossed) writes exactly the tables and
truth.json of the simulation in one block.
Regression pins: the checksums below were computed with the code of main before the blocks
were added (commit 948052b, where the customer x team chances were one whole-company array),
3,000 customers, seed 5: per table the row count and DuckDB's XOR of every row's hash (order
free) over its columns other than timestamps, and the SHA-256 of truth.json. Timestamps are
left out of the pins because they are not the same on every processor: they come from float
arithmetic whose last bits differ with NumPy's SIMD paths (on an AVX-512 machine, disabling
AVX2 with ``NPY_DISABLE_CPU_FEATURES`` changed `events.occurred_at` and
`documents.created_at` and nothing else).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from realitygap.simulate import people, simulate, wow

# regression pins (main at 948052b, 3,000 customers, seed 5, timestamps left out; recomputed
# 2026-12-04 by running 948052b's code, whose other columns equal the current code's)
PINNED: dict[str, tuple[int, int | None]] = {
    "answer_grid": (581, 2935283723606077292),
    "answer_grid_meta": (2, 16489157231108849044),
    "cases": (144, 6287300318252906819),
    "contacts": (2989, 403168822236830269),
    "documents": (1123, 2331963960692246817),
    "events": (54604, 10026705237386644270),
    "invitations": (1840, 16682108714941206939),
    "questions": (53, 6839512951631565461),
    "respondents": (3075, 17669491774355242367),
    "responses": (20116, 3268042549454879514),
}
PINNED_TRUTH = "8cabcd37c54f2363da5ef475bcd2b74d48ed94084e3b2228e65a121d6264292c"


def _checksums(path: Path, *, timestamps: bool) -> dict[str, tuple[int, int | None]]:
    con = duckdb.connect(str(path / "realitygap.duckdb"), read_only=True)
    try:
        out = {}
        for name in PINNED:
            described = con.execute(f'DESCRIBE "{name}"').fetchall()
            kept = [c for c, kind, *_ in described if timestamps or not kind.startswith("TIMES")]
            cols = ", ".join(f'"{c}"' for c in kept)
            row = con.execute(f'SELECT count(*), bit_xor(hash({cols})) FROM "{name}"').fetchone()
            assert row is not None
            out[name] = (int(row[0]), None if row[1] is None else int(row[1]))
        return out
    finally:
        con.close()


def _truth(path: Path) -> str:
    return hashlib.sha256((path / "truth.json").read_bytes()).hexdigest()


def test_small_blocks_write_what_the_whole_company_arrays_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulate(tmp_path / "whole", customers=3000, seed=5)  # the default blocks hold them all
    monkeypatch.setattr(people, "CHUNK", 700)  # 3,000 customers: 5 blocks, the last partial
    monkeypatch.setattr(wow, "BLOCK", 700)  # the wow planting's month blocks, the same way
    simulate(tmp_path / "ws", customers=3000, seed=5)
    whole, blocks = tmp_path / "whole", tmp_path / "ws"
    assert _checksums(blocks, timestamps=True) == _checksums(whole, timestamps=True)
    assert _truth(blocks) == _truth(whole)
    assert _checksums(blocks, timestamps=False) == PINNED
    assert _truth(blocks) == PINNED_TRUTH
