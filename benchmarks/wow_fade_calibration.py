"""Calibration of the wow fade's interval over simulated companies.

Usage: ``PYTHONPATH=src .venv/bin/python benchmarks/wow_fade_calibration.py [--seeds 1-11,42]
[--customers 5000]``

For each seed a company is simulated, :func:`realitygap.analysis.wow` is run at 95%, and each of
the 9 slopes (3 moments x 3 outcomes) is compared with the simulator's planted change per month
(``truth["wow"]["moments"][m]["lift"]["<outcome>_fade_per_month"]``) as
z = (found - planted) / se, se read back from the interval's half-width / 1.96. A calibrated
interval gives z with mean 0 and sd 1 and about 5% of |z| above 1.96; a moment planted without
a fade is called fading in at most 5% of companies. About 70 s a seed at 5k.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
from scipy import stats

from realitygap.analysis import wow
from realitygap.simulate import simulate
from realitygap.store import Workspace

Z95 = float(stats.norm.ppf(0.975))


def seed_list(text: str) -> list[int]:
    """``1-11,42`` -> 1, 2, ..., 11, 42."""
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


Row = tuple[str, str, float, str, float]


def z_scores(seed: int, customers: int, root: Path) -> tuple[list[Row], int, int]:
    """The seed's slopes as rows, and of its moments planted without a fade: how many, and how
    many the analysis calls fading (a false fade)."""
    path = root / f"ws{seed}"
    truth = simulate(path, customers=customers, seed=seed)
    planted = truth["wow"]["moments"]
    with Workspace.open(path, read_only=True) as ws:
        result = wow(ws, confidence=0.95)
    shutil.rmtree(path)
    rows = []
    steady = [m for m in result.moments if not planted[m.name]["fades"]]
    false_fades = sum(any(f.fading for f in m.fades) for m in steady)
    for m in result.moments:
        for f in m.fades:
            p = float(planted[m.name]["lift"][f"{f.outcome}_fade_per_month"])
            v, lo, hi = f.slope.value, f.slope.low, f.slope.high
            if v is None or lo is None or hi is None:
                continue
            se = (hi - lo) / (2 * Z95)
            rows.append((m.name, f.outcome, p, f.slope.format(4), (v - p) / se))
    return rows, len(steady), false_fades


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1-11,42", help="seeds and ranges, e.g. 1-11,42")
    parser.add_argument("--customers", type=int, default=5000)
    args = parser.parse_args()
    zs: list[float] = []
    per_seed: list[float] = []
    steady = false_fades = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seed_list(args.seeds):
            rows, n_steady, n_false = z_scores(seed, args.customers, Path(tmp))
            steady, false_fades = steady + n_steady, false_fades + n_false
            for name, outcome, p, found, z in rows:
                print(f"seed {seed:>3}  {name:<18} {outcome:<16} planted {p:+.5f}  "
                      f"found {found}  z {z:+.2f}", flush=True)  # fmt: skip
            zs.extend(z for *_, z in rows)
            per_seed.append(float(np.mean([z for *_, z in rows])))
    z = np.array(zs)
    outside = int((np.abs(z) > Z95).sum())
    share = stats.binomtest(outside, z.size).proportion_ci(0.95)
    print(f"\n{z.size} slopes over {len(per_seed)} seeds at {args.customers} customers")
    print(f"z: mean {z.mean():+.3f}, sd {z.std(ddof=1):.3f}")
    print(f"|z| > 1.96: {outside} of {z.size} = {outside / z.size:.1%} "
          f"[{share.low:.1%}, {share.high:.1%}] (5% if calibrated)")  # fmt: skip
    # the 9 slopes of one company share its customers: the seeds' means are the independent
    # units for the bias
    m, s = float(np.mean(per_seed)), float(np.std(per_seed, ddof=1))
    half = float(stats.t.ppf(0.975, len(per_seed) - 1)) * s / np.sqrt(len(per_seed))
    ff = stats.binomtest(false_fades, steady).proportion_ci(0.95)
    print(f"fades called on moments planted without one: {false_fades} of {steady} "
          f"[{ff.low:.1%}, {ff.high:.1%}] (at most 5% by Holm)")  # fmt: skip
    print(f"mean z per seed: {m:+.3f} [{m - half:+.3f}, {m + half:+.3f}] (t over seeds)")


if __name__ == "__main__":
    main()
