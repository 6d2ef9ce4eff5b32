"""Benchmark: every step of realitygap at several company sizes, with its growth exponent.

One run prints, per company size (seed 1) and per step, wall seconds, CPU seconds (user +
system of the process and of the worker processes it waited for, DuckDB's threads included),
peak memory, rows pulled into Python and the load average (1 minute) when the step ended (the
machine may be shared: prefer CPU seconds for ratios). Each step runs in a fresh child
process; its time excludes the interpreter start and imports. Peak memory is the child's own
peak RSS (``ru_maxrss`` from ``wait4``: its imports and native DuckDB memory included);
``+MB`` is the part above its RSS before the step. Rows pulled into Python: the rows of every
frame or column an Ibis expression's ``execute()`` returned (a scalar counts 1; queries on the
raw connection, like the answer-grid fingerprint, are not counted). Across sizes it prints the
growth exponent of each figure (log ratio over log ratio of the sizes: 1 is linear, 0 flat).

Steps: ``simulate`` (the company and its answer grid, as an import builds it), ``text`` (tag
every document on the fast path, ``retag``), ``metrics`` (NPS by segment x wave), ``gap``
(role, department, touchpoint, layer), ``audit`` (the survey audit, retention AUC and
non-response), ``drivers`` (100 bootstrap replicates), ``behaviour`` (stated vs revealed),
``audit+behaviour`` (both on one workspace: the customer activity they share is computed
once), ``wow`` and ``skills`` (the two costliest families of the report at 1M), ``report``
(the whole Reality Check: every section, then HTML, PDF and XLSX), and NPS by
segment four ways: ``nps-segment`` (realitygap's metrics, score intervals included) beside
three anchors over the same workspace file, ``anchor-sql`` (one hand-written DuckDB query),
``anchor-pandas`` and ``anchor-polars`` (merge + groupby of the NPS answers and the customers'
segments, loaded into memory beforehand; loading is not timed). Every anchor's NPS is checked
against realitygap's before its figures are printed.

Targets (issue 18) at 10M customers on 2 cores: the whole report under 5 minutes and 8 GB peak
memory; the simulator under 4 GB.

    .venv/bin/python benchmarks/steps_bench.py [--customers 100000 1000000 10000000]
        [--steps ...] [--keep DIR]

With ``--keep DIR`` the workspaces are kept in DIR (``DIR/<customers>``) and reused by the next
run (the simulate figures are then the ones recorded when it was simulated, in
``DIR/<customers>/simulate.json``, and marked so), so two versions of the code can be compared
on the same data by running the script with each on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STEPS = (
    "simulate",
    "text",
    "metrics",
    "gap",
    "audit",
    "drivers",
    "behaviour",
    "audit+behaviour",
    "wow",
    "skills",
    "report",
    "nps-segment",
    "anchor-sql",
    "anchor-pandas",
    "anchor-polars",
)
ANCHORS = ("anchor-sql", "anchor-pandas", "anchor-polars")
FIGURES = ("wall", "cpu", "peak_mb", "rows")
MEMORY_CAP = "5GB"  # DuckDB's buffers in every step's child (REALITYGAP_MEMORY_LIMIT)
REPORT_TARGET_S, REPORT_TARGET_MB, SIMULATE_TARGET_MB = 300.0, 8192.0, 4096.0
# NPS by segment by hand: the share of promoters minus the share of detractors, in points.
NPS_SQL = """
SELECT p.segment, count(*) AS n,
       100.0 * (avg(CAST(r.value >= 9 AS DOUBLE)) - avg(CAST(r.value <= 6 AS DOUBLE))) AS nps
FROM responses r JOIN respondents p USING (respondent_id)
WHERE r.question_id = 'nps' AND r.value IS NOT NULL
GROUP BY p.segment ORDER BY p.segment
"""
NPS_ANSWERS_SQL = (
    "SELECT respondent_id, value FROM responses WHERE question_id = 'nps' AND value IS NOT NULL"
)
SEGMENTS_SQL = "SELECT respondent_id, segment FROM respondents WHERE kind = 'customer'"


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise OSError("no VmHWM in /proc/self/status")


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:  # Linux: pages
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_s() -> float:
    """CPU seconds of this process and of the children it waited for (tagging workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _count_rows() -> list[int]:
    """Patch Ibis' execute() to count the rows it returns to Python; return the counter."""
    import ibis.expr.types as ir

    pulled = [0]
    for cls in (ir.Table, ir.Column, ir.Scalar):
        original = cls.execute

        def counted(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            out = _original(self, *args, **kwargs)
            pulled[0] += len(out) if hasattr(out, "__len__") and not isinstance(out, str) else 1
            return out

        cls.execute = counted  # type: ignore[method-assign]
    return pulled


def _nps_table(frame: Any) -> dict[str, tuple[int, float]]:
    return {
        str(seg): (int(n), float(nps))
        for seg, n, nps in zip(frame["segment"], frame["n"], frame["nps"], strict=True)
    }


def _anchor(step: str, directory: Path) -> tuple[Callable[[], Any], int]:
    """The anchor's timed computation (data loaded beforehand) and the rows it loaded."""
    import duckdb

    con = duckdb.connect(str(directory / "realitygap.duckdb"), read_only=True)
    if step == "anchor-sql":
        return lambda: con.execute(NPS_SQL).df(), 0
    answers = con.execute(NPS_ANSWERS_SQL).arrow().read_all()
    segments = con.execute(SEGMENTS_SQL).arrow().read_all()
    loaded = answers.num_rows + segments.num_rows
    con.close()
    if step == "anchor-pandas":
        import pandas as pd

        a, c = answers.to_pandas(), segments.to_pandas()

        def run_pandas() -> pd.DataFrame:
            m = a.merge(c, on="respondent_id")
            m["promoter"], m["detractor"] = m["value"] >= 9, m["value"] <= 6
            g = m.groupby("segment").agg(
                n=("value", "size"), p=("promoter", "mean"), d=("detractor", "mean")
            )
            return g.assign(nps=100.0 * (g["p"] - g["d"])).reset_index()

        return run_pandas, loaded
    import polars as pl

    pa_, pc = pl.from_arrow(answers), pl.from_arrow(segments)

    def run_polars() -> Any:
        return (
            pa_.join(pc, on="respondent_id")  # type: ignore[union-attr]
            .group_by("segment")
            .agg(
                pl.len().alias("n"),
                (100.0 * ((pl.col("value") >= 9).mean() - (pl.col("value") <= 6).mean())).alias(
                    "nps"
                ),
            )
            .sort("segment")
            .to_pandas()
        )

    return run_polars, loaded


def child(step: str, directory: Path, customers: int) -> dict[str, Any]:
    base = _current_rss_mb()
    if step == "simulate":
        from realitygap.simulate import simulate

        cpu0, t0 = _cpu_s(), time.perf_counter()
        truth = simulate(directory, customers=customers, seed=1)
        wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
        written = sum(truth["rows"].values())
        return _figures(wall, cpu, base, rows=0, extra={"written": written})
    if step in ANCHORS:
        run, loaded = _anchor(step, directory)
        base = _current_rss_mb()
        cpu0, t0 = _cpu_s(), time.perf_counter()
        table = run()
        wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
        return _figures(wall, cpu, base, rows=loaded, extra={"nps": _nps_table(table)})

    from realitygap.actions.text import tag_workspace
    from realitygap.analysis.audit import audit
    from realitygap.analysis.behaviour import behaviour
    from realitygap.analysis.drivers import drivers
    from realitygap.analysis.gap import gap
    from realitygap.analysis.metrics import metrics
    from realitygap.analysis.skills import skills
    from realitygap.analysis.wow import wow
    from realitygap.store import Workspace

    pulled = _count_rows()
    extra: dict[str, Any] = {}

    def nps_segment(ws: Workspace) -> None:
        table = metrics(ws, by=["segment"], questions=["nps"]).to_frame()
        extra["nps"] = {
            str(r["segment"]): (int(r["n"]), float(r["value"]))
            for _, r in table.iterrows()
            if r["metric"] == "nps"
        }

    def report(ws: Workspace) -> None:
        from report_bench import time_report  # this directory is on sys.path

        out = Path(tempfile.mkdtemp(prefix="rg_steps_report_"))
        try:
            time_report(ws, out)
        finally:
            shutil.rmtree(out, ignore_errors=True)

    runs: dict[str, Callable[[Workspace], object]] = {
        "text": lambda ws: tag_workspace(ws, retag=True),
        "metrics": lambda ws: metrics(ws, by=["segment", "wave"], questions=["nps"]),
        "gap": lambda ws: gap(ws, by=["role", "department", "touchpoint", "layer"]),
        "audit": lambda ws: audit(ws, "nps"),
        "behaviour": lambda ws: behaviour(ws),
        "audit+behaviour": lambda ws: (audit(ws, "nps"), behaviour(ws)),
        "drivers": lambda ws: drivers(ws, "nps", bootstrap=100),
        "wow": lambda ws: wow(ws),
        "skills": lambda ws: skills(ws),
        "report": report,
        "nps-segment": nps_segment,
    }
    base = _current_rss_mb()
    with Workspace.open(directory, read_only=step != "text") as ws:
        cpu0, t0 = _cpu_s(), time.perf_counter()
        runs[step](ws)
        wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    return _figures(wall, cpu, base, rows=pulled[0], extra=extra)


def _figures(wall: float, cpu: float, base: float, *, rows: int, extra: dict[str, Any]) -> dict:
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "wall": wall,
        "cpu": cpu,
        "above_mb": _peak_rss_mb() - base,
        "workers_mb": workers,
        "rows": rows,
        "load": os.getloadavg()[0],
        **extra,
    }


def run_step(step: str, directory: Path, customers: int) -> dict[str, Any]:
    """Run ``step`` in a child process; its figures plus its own peak RSS (wait4)."""
    argv = [sys.executable, __file__, "--child", step, "--dir", str(directory)]
    argv += ["--n", str(customers)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, argv, out)
    *said, last = out.strip().splitlines()
    for line in said:  # what the step printed (the report's families)
        print(f"    {line}")
    res: dict[str, Any] = json.loads(last)
    res["peak_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return res


def _save(directory: Path, step: str, res: dict[str, Any]) -> None:
    """Keep the figures beside a kept workspace, for the growth exponents of a later run."""
    path = directory / "steps.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**saved, step: res}))


def _exponent(a: float, b: float, n_a: int, n_b: int) -> float:
    if a <= 0 or b <= 0:
        return float("nan")
    return math.log(b / a) / math.log(n_b / n_a)


def _line(step: str, n: int, res: dict[str, Any]) -> str:
    workers = f" workers {res['workers_mb']:5.0f} MB" if res.get("workers_mb", 0) > 1 else ""
    note = " (recorded when simulated)" if res.get("recorded") else ""
    return (
        f"{step:<16} {n:>11,}  wall {res['wall']:7.2f} s  CPU {res['cpu']:7.2f} s  "
        f"peak {res['peak_mb']:6.0f} MB (+{res['above_mb']:5.0f}){workers}  "
        f"rows to Python {res['rows']:>10,}  load {res['load']:.1f}{note}"
    )


def _check_anchors(results: dict[tuple[str, int], dict[str, Any]], n: int) -> None:
    ours = results.get(("nps-segment", n), {}).get("nps")
    if not ours:
        return
    for anchor in ANCHORS:
        theirs = results.get((anchor, n), {}).get("nps")
        if theirs is None:
            continue
        for seg, (count, nps) in ours.items():
            their_n, their_nps = theirs[seg]
            if their_n != count or abs(their_nps - nps) > 1e-6:
                raise SystemExit(
                    f"{anchor}: segment {seg} n={their_n} NPS {their_nps}, ours {count} {nps}"
                )
        ratio = (
            results[(anchor, n)]["cpu"]
            and results[("nps-segment", n)]["cpu"] / results[(anchor, n)]["cpu"]
        )
        wall = results[("nps-segment", n)]["wall"] / results[(anchor, n)]["wall"]
        print(
            f"  NPS by segment at {n:,}: realitygap / {anchor} = {ratio:.2f}x CPU, "
            f"{wall:.2f}x wall (same NPS and n per segment)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        # the 10M report's customer-month grids (wow) would take DuckDB's default 80% of RAM
        # on a shared machine: a cap makes them spill to disk (MEMORY_CAP, printed in the header)
        os.environ.setdefault("REALITYGAP_MEMORY_LIMIT", MEMORY_CAP)
        print(json.dumps(child(args.child, args.dir, args.n)))
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="rg_steps_"))
    sizes = list(args.customers)  # in the order given (the largest first ends soonest at risk)
    results: dict[tuple[str, int], dict[str, Any]] = {}
    cap = os.environ.get("REALITYGAP_MEMORY_LIMIT", MEMORY_CAP)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
        f"DuckDB memory_limit {cap} in every step"
    )
    try:
        for n in sizes:
            directory = root / str(n)
            recorded = directory / "simulate.json"
            for step in args.steps:
                if step == "simulate" and recorded.exists():
                    res = {**json.loads(recorded.read_text()), "recorded": True}
                elif step == "simulate" or not (directory / "realitygap.duckdb").exists():
                    if (directory / "realitygap.duckdb").exists():
                        shutil.rmtree(directory)
                    res = run_step("simulate", directory, n)
                    recorded.write_text(json.dumps(res))
                    if step != "simulate":
                        print(_line("simulate", n, res), flush=True)
                        results[("simulate", n)] = res
                        res = run_step(step, directory, n)
                else:
                    res = run_step(step, directory, n)
                results[(step, n)] = res
                print(_line(step, n, res), flush=True)
                _save(directory, step, res)
            _check_anchors(results, n)
            big = results.get(("report", n))
            if big and n >= 10_000_000:
                print(
                    f"  report at {n:,}: wall / {REPORT_TARGET_S:.0f} s target = "
                    f"{big['wall'] / REPORT_TARGET_S:.2f}, peak / 8 GB target = "
                    f"{big['peak_mb'] / REPORT_TARGET_MB:.2f}"
                )
            sim = results.get(("simulate", n))
            if sim and n >= 10_000_000:
                print(
                    f"  simulate at {n:,}: peak / 4 GB target = "
                    f"{sim['peak_mb'] / SIMULATE_TARGET_MB:.2f}"
                )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    if args.keep is not None:  # sizes measured by an earlier run into the same DIR
        for saved in args.keep.glob("*/steps.json"):
            m = int(saved.parent.name)
            for step, res in json.loads(saved.read_text()).items():
                results.setdefault((step, m), res)
    done = sorted({m for _, m in results})
    for a, b in itertools.pairwise(done):
        print(f"\ngrowth exponent {a:,} -> {b:,} (1 = linear, 0 = flat)")
        for step in args.steps:
            ra, rb = results.get((step, a)), results.get((step, b))
            if ra is None or rb is None:
                continue
            figures = ", ".join(f"{k} {_exponent(ra[k], rb[k], a, b):.2f}" for k in FIGURES)
            print(f"  {step:<16} {figures}")


if __name__ == "__main__":
    main()
