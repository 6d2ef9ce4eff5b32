"""Benchmark: importing a long responses CSV of N answers (default 2,000,000).

Usage: ``.venv/bin/python benchmarks/ingest_bench.py [--answers 2000000]``

Data: ``answers / 10`` customers each answer 10 questions (the NPS item and 9 likert5 items)
in one wave; written as a long CSV (respondent_id, question_id, value, wave, submitted_at,
channel). Measured:

- realitygap: ``import_file(ws, csv, "responses")`` into a workspace that already holds the
  questions and respondents: read, every validation (required values, dates, scales,
  references to questions and respondents, duplicates), then the idempotent insert inside one
  transaction; then the same import again (adds nothing: the anti-join only);
- baseline: what an import without any checks costs: DuckDB's own ``read_csv`` straight into
  the table (``INSERT INTO responses SELECT ... FROM read_csv(...)``).

Also: a file with one bad value per 1,000 rows, to time the error path (all problems found,
the first 50 listed). Times are wall-clock seconds of one run each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from realitygap.domain.errors import SurveyDataError
from realitygap.ingest import import_file
from realitygap.store import Workspace, answer_grid

ITEMS = ["nps"] + [f"q{i:02d}" for i in range(1, 10)]


def _setup(root: Path, n_customers: int) -> Path:
    path = root / "ws"
    with Workspace.create(path) as ws:
        questions = pd.DataFrame(
            {
                "question_id": ITEMS,
                "text": [f"Question {q}" for q in ITEMS],
                "scale": ["nps"] + ["likert5"] * 9,
                "audience": "customer",
            }
        )
        respondents = pd.DataFrame(
            {"respondent_id": [f"C{i:08d}" for i in range(n_customers)], "kind": "customer"}
        )
        questions.to_csv(root / "questions.csv", index=False)
        respondents.to_parquet(root / "respondents.parquet")
        import_file(ws, root / "questions.csv", "questions")
        import_file(ws, root / "respondents.parquet", "respondents")
    return path


def _answers(n_customers: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = np.repeat([f"C{i:08d}" for i in range(n_customers)], len(ITEMS))
    items = np.tile(ITEMS, n_customers)
    values = np.where(items == "nps", rng.integers(0, 11, ids.size), rng.integers(1, 6, ids.size))
    seconds = rng.integers(0, 90 * 86400, n_customers)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.repeat(seconds, len(ITEMS)), "s")
    return pd.DataFrame(
        {
            "respondent_id": ids,
            "question_id": items,
            "value": values,
            "wave": "2024-Q1",
            "submitted_at": stamps.strftime("%Y-%m-%d %H:%M:%S"),
            "channel": "email",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=2_000_000)
    args = parser.parse_args()
    n_customers = args.answers // len(ITEMS)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        frame = _answers(n_customers, rng)
        good = root / "responses.csv"
        frame.to_csv(good, index=False)
        bad = root / "bad.csv"
        frame.assign(value=np.where(np.arange(len(frame)) % 1000 == 0, 11, frame["value"])).to_csv(
            bad, index=False
        )
        mb = good.stat().st_size / 1e6
        print(f"{len(frame):,} answers, {n_customers:,} customers, CSV {mb:.0f} MB")

        path = _setup(root, n_customers)
        with Workspace.open(path) as ws:
            t0 = time.perf_counter()
            report = import_file(ws, good, "responses")
            t_import = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = import_file(ws, good, "responses")
            t_again = time.perf_counter() - t0
            t0 = time.perf_counter()
            try:
                import_file(ws, bad, "responses", wave=None)
            except SurveyDataError as exc:
                n_problems = len(exc.problems) + exc.truncated
            t_bad = time.perf_counter() - t0
            # the import rebuilds the answer grid in its transaction; the same step on its own
            t0 = time.perf_counter()
            answer_grid.refresh(ws)
            t_grid = time.perf_counter() - t0
        assert report.rows_added["responses"] == len(frame) and again.total_added == 0

        base = _setup(root / "base", n_customers) if (root / "base").mkdir() is None else None
        assert base is not None
        with Workspace.open(base) as ws:
            t0 = time.perf_counter()
            ws.con.execute(
                "INSERT INTO responses (respondent_id, question_id, value, wave, submitted_at, "
                f"channel) SELECT * FROM read_csv('{good}', header = true)"
            )
            t_base = time.perf_counter() - t0

        print(f"realitygap import (validated, idempotent): {t_import:7.2f} s")
        print(f"  of which the answer grid (timed alone):  {t_grid:7.2f} s")
        print(f"re-import of the same file (adds 0):       {t_again:7.2f} s")
        print(f"bad file ({n_problems:,} problems found):       {t_bad:7.2f} s")
        print(f"baseline DuckDB read_csv, no checks:       {t_base:7.2f} s")
        print(f"ratio import / baseline:                   {t_import / t_base:7.1f} x")
        print(f"throughput: {len(frame) / t_import / 1e6:.2f} M answers/s")


if __name__ == "__main__":
    main()
