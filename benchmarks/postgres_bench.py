"""Benchmark: importing answers into a PostgreSQL workspace vs a DuckDB one.

Usage: ``.venv/bin/python benchmarks/postgres_bench.py [--answers 100000 1000000]
[--server postgresql://postgres@127.0.0.1:5432/test]``

Data: the long responses CSV of ``benchmarks/ingest_bench.py`` (``answers / 10`` customers,
10 questions, one wave). For each size and engine, in a fresh workspace holding the
questions and respondents (a PostgreSQL schema of its own, dropped afterwards):

- ``import``: ``import_file(ws, csv, "responses")``: read, validate, the idempotent insert
  and the answer grid, in one transaction;
- ``write``: the store's write alone, ``insert_new(ws, "responses", frame)`` into an empty
  table in a transaction (DuckDB: a registered frame; PostgreSQL: COPY of Arrow CSV into a
  temporary table, then the anti-join INSERT);
- ``copy``: on PostgreSQL, the bare ``COPY ... FROM STDIN`` of the same frame.

Times are wall-clock seconds of one run each; rows/s is answers over seconds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from ingest_bench import ITEMS, _answers
from realitygap.ingest import import_file
from realitygap.store import Workspace
from realitygap.store.location import parse_postgres
from realitygap.store.postgres import copy_into
from realitygap.store.write import delete_all, insert_new


def _prepare(ws: Workspace, root: Path, n_customers: int) -> None:
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


def _timed(action: object) -> float:
    t0 = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - t0


def _run(ws: Workspace, root: Path, n_customers: int, csv: Path, frame: pd.DataFrame) -> dict:
    _prepare(ws, root, n_customers)
    out = {"import": _timed(lambda: import_file(ws, csv, "responses"))}
    assert ws.count("responses") == len(frame)
    with ws.transaction():
        delete_all(ws, "responses")

    def write() -> None:
        with ws.transaction():
            insert_new(ws, "responses", frame)

    out["write"] = _timed(write)
    assert ws.count("responses") == len(frame)
    if ws.dialect == "postgres":
        with ws.transaction():
            delete_all(ws, "responses")

        def copy() -> None:
            with ws.transaction():
                copy_into(ws.con, "responses", frame)

        out["copy"] = _timed(copy)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    server = parse_postgres(args.server)
    for answers in args.answers:
        n_customers = answers // len(ITEMS)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            os.environ["REALITYGAP_HOME"] = str(root / "home")
            frame = _answers(n_customers, np.random.default_rng(0))
            csv = root / "responses.csv"
            frame.to_csv(csv, index=False)
            frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
            frame["value"] = frame["value"].astype("float64")
            schema = f"rg_bench_{uuid.uuid4().hex[:8]}"
            results = {}
            try:
                for location in (root / "duck", f"{args.server}?schema={schema}"):
                    with Workspace.create(location) as ws:
                        results[ws.dialect] = _run(ws, root, n_customers, csv, frame)
            finally:
                with psycopg.connect(**server.connect_kwargs(), autocommit=True) as con:  # type: ignore[arg-type]
                    con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        print(f"{len(frame):,} answers")
        for engine, times in results.items():
            for step, seconds in times.items():
                rate = len(frame) / seconds
                print(f"  {engine:8s} {step:7s} {seconds:7.2f} s  {rate:12,.0f} rows/s")


if __name__ == "__main__":
    main()
