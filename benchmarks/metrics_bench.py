"""Benchmark: NPS by segment x month and the full perception-gap table on 10M responses.

Usage: ``.venv/bin/python benchmarks/metrics_bench.py [--customers 1000000] [--dir DIR]``

Data: ``customers`` customers (default 1,000,000; 8 segments) each answer the NPS question and
9 likert5 items once (10 answers each: 10M responses), submitted over 24 months; 3,000 staff
(3 roles, 6 departments) answer the 10 mirror questions. Generated directly in DuckDB SQL.

Measured, each in a fresh child process so that peak memory is the measured code's own:

- realitygap: ``metrics(ws, by=["segment", "month"], questions=["nps"])`` (the NPS table with
  score intervals, from the DuckDB file) and ``gap(ws, by=["role", "department"])``
  (every mirrored item x all staff / each role / each department: means, Welch, Hedges' g,
  top-box Newcombe, Wasserstein, headline and offsets);
- pandas: the same numbers from DataFrames already in memory (loading them is not timed),
  with plain merges and groupbys, and the same interval formulas vectorised in NumPy.

Times are the median of 3 runs after one warm-up run, as wall seconds and as process CPU
seconds over all threads (the latter is less sensitive to other jobs on a shared machine).
Peak memory is the child process's peak RSS (``VmHWM``; whole
process, native DuckDB memory included) minus the RSS right after imports. The two
implementations' NPS tables and gap tables are compared for equality before anything is
printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ITEMS = [f"q{i:02d}" for i in range(1, 10)]
GAP_COLS = ["gap", "gap_low", "gap_high", "hedges_g", "wasserstein"]


def _rss_mb() -> float:
    """Peak RSS of this process (VmHWM; ``ru_maxrss`` would keep the parent's RSS at the fork,
    which is large right after the parent generated the data)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB


def generate(directory: Path, customers: int) -> None:
    from realitygap.store import Workspace

    with Workspace.create(directory) as ws:
        con = ws.con
        con.execute("SELECT setseed(0.42)")
        qrows = [
            ("nps", "How likely are you to recommend us?", "nps", None, None, "customer", None)
        ]
        tps = ["website", "checkout", "delivery", "store_staff", "call_centre"]
        layers = ["hospitality", "service", "experience"]
        for i, q in enumerate(ITEMS):
            qrows.append((q, f"Item {q}", "likert5", tps[i % 5], layers[i % 3], "customer", None))
        for qid, _text, scale, tp, layer, _, _ in list(qrows):
            qrows.append(
                (f"m_{qid}", f"Customers will rate {qid}", scale, tp, layer, "mirror", qid)
            )
        con.executemany(
            "INSERT INTO questions (question_id, text, scale, touchpoint, layer, audience, "
            "mirrors) VALUES (?, ?, ?, ?, ?, ?, ?)",
            qrows,
        )
        con.execute(
            f"""INSERT INTO respondents (respondent_id, kind, segment)
            SELECT 'c' || i, 'customer', 'seg' || (i % 8) FROM range({customers}) t(i)"""
        )
        con.execute(
            """INSERT INTO respondents (respondent_id, kind, role, department)
            SELECT 's' || i, 'staff', ['executive', 'manager', 'frontline'][1 + i % 3],
                   'dept' || (i % 6) FROM range(3000) t(i)"""
        )
        # NPS 0-10 with a segment effect; likert 1-5; 24 months of submissions
        con.execute(
            f"""INSERT INTO responses
            SELECT 'c' || i, q, 'W' || (1 + (i % 730) // 92),
              CASE WHEN q = 'nps' THEN least(10, floor(random() * 8 + (i % 8) * 0.45))
                   ELSE least(5, 1 + floor(random() * 4.6)) END,
              TIMESTAMP '2024-01-01' + to_days(CAST(i % 730 AS INTEGER)), 'web'
            FROM range({customers}) t(i),
                 (SELECT unnest(['nps', {", ".join(repr(q) for q in ITEMS)}]) AS q) qs"""
        )
        con.execute(
            f"""INSERT INTO responses
            SELECT 's' || i, 'm_' || q, 'W1',
              CASE WHEN q = 'nps' THEN least(10, floor(random() * 6 + 5))
                   ELSE least(5, 2 + floor(random() * 3.8)) END,
              TIMESTAMP '2024-03-01', 'web'
            FROM range(3000) t(i),
                 (SELECT unnest(['nps', {", ".join(repr(q) for q in ITEMS)}]) AS q) qs"""
        )
        con.execute("CHECKPOINT")


# ---- pandas baseline ------------------------------------------------------------------------
def pandas_nps(responses: pd.DataFrame, respondents: pd.DataFrame) -> pd.DataFrame:
    r = responses[responses["question_id"] == "nps"].merge(
        respondents[["respondent_id", "segment"]], on="respondent_id"
    )
    r["month"] = r["submitted_at"].dt.strftime("%Y-%m")
    r["pro"] = r["value"] >= 9
    r["det"] = r["value"] <= 6
    g = r.groupby(["segment", "month"]).agg(
        n=("value", "size"), pro=("pro", "sum"), det=("det", "sum")
    )
    n = g["n"].to_numpy(float)
    p_pro, p_det = g["pro"].to_numpy(float) / n, g["det"].to_numpy(float) / n
    low, high = score_interval_numpy(p_pro, p_det, n, 1.959963984540054)
    out = pd.DataFrame({"value": 100 * (p_pro - p_det), "low": 100 * low, "high": 100 * high})
    out.index = g.index
    out["n"] = g["n"]
    return out.reset_index()


def score_interval_numpy(
    p_pro: np.ndarray, p_det: np.ndarray, n: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Tango's (1998) score interval of the NPS, every group at once: 60 bisection steps on the
    score statistic (NPS_hat - d) / sqrt((2 q(d) + d (1 - d)) / n), q(d) the restricted MLE of
    the detractor share."""
    nps = p_pro - p_det

    def statistic(d: np.ndarray) -> np.ndarray:
        w = -(p_pro + p_det) + d * (2 - p_pro + p_det)
        q = (np.sqrt(np.maximum(w * w + 8 * p_det * d * (1 - d), 0)) - w) / 4
        se = np.sqrt(np.maximum(2 * q + d * (1 - d), 0) / n)
        return (nps - d) / np.maximum(se, 1e-300)

    limits = []
    for target, lo, hi in (
        (z, np.full_like(nps, -1.0), nps.copy()),
        (-z, nps.copy(), np.ones_like(nps)),
    ):
        for _ in range(60):
            mid = (lo + hi) / 2
            right = statistic(mid) > target  # the statistic falls as d grows
            lo, hi = np.where(right, mid, lo), np.where(right, hi, mid)
        limits.append((lo + hi) / 2)
    return limits[0], limits[1]


def pandas_gap(responses: pd.DataFrame, respondents: pd.DataFrame) -> pd.DataFrame:
    from scipy import stats

    staff = respondents[respondents["kind"] == "staff"][["respondent_id", "role", "department"]]
    cust_ids = respondents.loc[respondents["kind"] == "customer", "respondent_id"]
    c = responses[responses["respondent_id"].isin(cust_ids)]
    s = responses[responses["question_id"].str.startswith("m_")].merge(staff, on="respondent_id")
    s["item"] = s["question_id"].str[2:]
    c = c.assign(top=c["value"] >= np.where(c["question_id"] == "nps", 9, 4))
    s = s.assign(top=s["value"] >= np.where(s["item"] == "nps", 9, 4))
    cg = c.groupby("question_id").agg(
        m=("value", "mean"), v=("value", "var"), n=("value", "size"), t=("top", "mean")
    )
    rows = []
    for dim in ("all", "role", "department"):
        keys = ["item"] if dim == "all" else ["item", dim]
        sg = s.groupby(keys).agg(
            m=("value", "mean"), v=("value", "var"), n=("value", "size"), t=("top", "mean")
        )
        sg = sg.reset_index().merge(cg, left_on="item", right_index=True, suffixes=("", "_c"))
        a, b = sg["v"] / sg["n"], sg["v_c"] / sg["n_c"]
        df = (a + b) ** 2 / (a**2 / (sg["n"] - 1) + b**2 / (sg["n_c"] - 1))
        half = stats.t.ppf(0.975, df) * np.sqrt(a + b)
        sg["gap"] = sg["m"] - sg["m_c"]
        sg["gap_low"], sg["gap_high"] = sg["gap"] - half, sg["gap"] + half
        sp = np.sqrt(
            ((sg["n"] - 1) * sg["v"] + (sg["n_c"] - 1) * sg["v_c"]) / (sg["n"] + sg["n_c"] - 2)
        )
        sg["hedges_g"] = sg["gap"] / sp * (1 - 3 / (4 * (sg["n"] + sg["n_c"]) - 9))
        sg["dimension"] = dim
        rows.append(sg)
    # Wasserstein-1 per item and group from the value distributions (counts per value)
    out = pd.concat(rows, ignore_index=True)
    c_dist = c.groupby(["question_id", "value"]).size().unstack(fill_value=0)
    w1 = np.full(len(out), np.nan)
    for dim in ("all", "role", "department"):
        keys = ["item"] if dim == "all" else ["item", dim]
        s_dist = s.groupby([*keys, "value"]).size().unstack(fill_value=0)
        s_dist = s_dist.reindex(columns=c_dist.columns, fill_value=0)
        sel = np.flatnonzero(out["dimension"] == dim)
        idx = pd.MultiIndex.from_frame(out.loc[sel, keys]) if dim != "all" else out.loc[sel, "item"]
        sc = s_dist.loc[idx].to_numpy(float)
        cc = c_dist.loc[out.loc[sel, "item"]].to_numpy(float)
        fs = np.cumsum(sc, axis=1) / sc.sum(axis=1, keepdims=True)
        fc = np.cumsum(cc, axis=1) / cc.sum(axis=1, keepdims=True)
        steps = np.diff(c_dist.columns.to_numpy(float))
        w1[sel] = np.sum(np.abs(fs - fc)[:, :-1] * steps, axis=1)
    out["wasserstein"] = w1
    return out


# ---- child process --------------------------------------------------------------------------
def _child(kind: str, directory: Path) -> dict[str, Any]:
    base = _rss_mb()
    if kind == "ours":
        from realitygap.analysis.gap import gap
        from realitygap.analysis.metrics import metrics
        from realitygap.store import Workspace

        base = _rss_mb()
        with Workspace.open(directory, read_only=True) as ws:
            ws.con.execute("SET threads = 2")

            def nps() -> pd.DataFrame:
                return metrics(ws, by=["segment", "month"], questions=["nps"]).to_frame()

            def gap_table() -> pd.DataFrame:
                return gap(ws, by=["role", "department"]).to_frame()

            times = _time(nps), _time(gap_table)
            frame = nps()
            g = gap_table()
            g = g.assign(item=g["question_id"])[["dimension", "group", "item", *GAP_COLS]]
            frame = frame[frame["metric"] == "nps"][
                ["segment", "month", "value", "low", "high", "n"]
            ]
    else:
        import duckdb

        con = duckdb.connect(str(directory / "realitygap.duckdb"), read_only=True)
        responses = con.execute("SELECT * FROM responses").df()
        respondents = con.execute("SELECT * FROM respondents").df()
        con.close()
        base = _rss_mb()
        times = (
            _time(lambda: pandas_nps(responses, respondents)),
            _time(lambda: pandas_gap(responses, respondents)),
        )
        frame = pandas_nps(responses, respondents)
        g = pandas_gap(responses, respondents)
        g["group"] = np.where(
            g["dimension"] == "all",
            "all staff",
            np.where(g["dimension"] == "role", g["role"], g["department"]),
        )
        g = g[["dimension", "group", "item", *GAP_COLS]]
    frame = frame.sort_values(["segment", "month"]).reset_index(drop=True)
    return {
        "nps_seconds": times[0][0],
        "nps_cpu_seconds": times[0][1],
        "gap_seconds": times[1][0],
        "gap_cpu_seconds": times[1][1],
        "peak_mb": _rss_mb() - base,
        "process_peak_mb": _rss_mb(),
        "nps": frame.astype({"n": "int64"}).to_dict(orient="list"),
        "gap": g.sort_values(["dimension", "group", "item"]).to_dict(orient="list"),
    }


def _time(fn: Any) -> tuple[float, float]:
    """Median wall seconds and median process CPU seconds (all threads) of 3 runs."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return float(np.median(wall)), float(np.median(cpu))


def _run_child(kind: str, directory: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--dir", str(directory)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--child", choices=["ours", "pandas"], default=None)
    parser.add_argument(
        "--skip-pandas",
        action="store_true",
        help="realitygap only (no baseline, no equality check): to compare two versions",
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.dir)))
        return
    directory = args.dir or Path(tempfile.mkdtemp(prefix="rg_metrics_bench_")) / "ws"
    if not (directory / "realitygap.duckdb").exists():
        t0 = time.perf_counter()
        generate(directory, args.customers)
        took = time.perf_counter() - t0
        print(f"generated {args.customers * 10 + 30_000:,} responses in {took:.1f} s")
    ours = _run_child("ours", directory)
    if args.skip_pandas:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"cores: {os.cpu_count()}, load average: {load} (realitygap only)")
        for key in ("nps_seconds", "nps_cpu_seconds", "gap_seconds", "gap_cpu_seconds"):
            print(f"{key:<28}{ours[key]:>12.3f}")
        print(f"{'peak memory above imports (MB)':<32}{ours['peak_mb']:>8.0f}")
        print(f"{'process peak RSS (MB)':<32}{ours['process_peak_mb']:>8.0f}")
        return
    base = _run_child("pandas", directory)
    a, b = pd.DataFrame(ours["nps"]), pd.DataFrame(base["nps"])
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9)
    ga, gb = pd.DataFrame(ours["gap"]), pd.DataFrame(base["gap"])
    pd.testing.assert_frame_equal(ga, gb, check_exact=False, rtol=1e-6, atol=1e-9)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    total = args.customers * 10 + 30_000
    print(f"cores: {os.cpu_count()}, load average: {load}, responses: {total:,}")
    print(f"{'':28}{'realitygap':>12}{'pandas':>12}{'ratio':>8}")
    for key, label in (
        ("nps_seconds", "NPS segment x month (s)"),
        ("nps_cpu_seconds", "  CPU seconds, all threads"),
        ("gap_seconds", "gap table (s)"),
        ("gap_cpu_seconds", "  CPU seconds, all threads"),
    ):
        print(f"{label:<28}{ours[key]:>12.3f}{base[key]:>12.3f}{base[key] / ours[key]:>7.1f}x")
    print(f"{'peak memory above imports (MB)':<28}{ours['peak_mb']:>10.0f}{base['peak_mb']:>12.0f}")
    peaks = f"{ours['process_peak_mb']:>10.0f}{base['process_peak_mb']:>12.0f}"
    print(f"{'process peak RSS (MB)':<28}{peaks}")
    print(f"compared equal: {len(a)} NPS segment x month cells, {len(ga)} gap rows")


if __name__ == "__main__":
    main()
