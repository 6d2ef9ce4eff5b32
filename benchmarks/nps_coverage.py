"""Exact coverage and speed of the NPS intervals (the default ``score`` against ``adjusted-wald``).

Usage: ``PYTHONPATH=src .venv/bin/python benchmarks/nps_coverage.py [--confidence 0.95]``

Coverage: every trinomial outcome enumerated (tests/nps_coverage.py) for n = 30, 31, ..., 60,
80, 100, 150, 200, 300 and 500 and every (p_pro, p_det) on the 0.01 grid of the simplex
(5,151 mixes), printed as min and max per band of n over three sets of mixes: the
informative ones (each category expects >= 2 answers, or each share >= 5% with >= 5 expected
promoters plus detractors; the set the test holds to 93-97%), every share >= 5%, and every mix.
Speed: microseconds per call of ``nps_interval`` for each method, median of 5 runs of 20,000
calls, with the ratio to the adjusted Wald measured in the same run. About a minute.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package

from tests import nps_coverage

from realitygap.analysis import _stats

NS = [*range(30, 61), 80, 100, 150, 200, 300, 500]
BANDS = {"30-39": range(30, 40), "40-60": range(40, 61), "80-150": (80, 100, 150),
         "200-500": (200, 300, 500)}  # fmt: skip
METHODS = ("adjusted-wald", "score")


def _interval(method: str) -> nps_coverage.Interval:
    def interval(p_pro: float, p_det: float, n: float, confidence: float) -> tuple[float, float]:
        return _stats.nps_interval(p_pro, p_det, n, method, confidence)

    return interval


def coverage_table(confidence: float) -> None:
    p_pro, p_det = nps_coverage.simplex_grid(0.01)
    least = np.minimum(np.minimum(p_pro, p_det), 1 - p_pro - p_det)
    sets = {
        "informative": lambda n: nps_coverage.informative_mixes(n, p_pro, p_det),
        "shares>=5%": lambda n: least >= 0.05 - 1e-9,
        "every mix": lambda n: np.ones(len(p_pro), dtype=bool),
    }
    worst: dict[tuple[str, str, str], list[float]] = {}
    start = time.perf_counter()
    for method in METHODS:
        for n in NS:
            low, high = nps_coverage.outcome_limits(_interval(method), n, confidence)
            cov = nps_coverage.coverage(low, high, p_pro, p_det)
            band = next(b for b, ns in BANDS.items() if n in ns)
            for name, keep in sets.items():
                c = cov[keep(n)]
                w = worst.setdefault((method, name, band), [1.0, 0.0])
                w[0], w[1] = min(w[0], float(c.min())), max(w[1], float(c.max()))
    print(f"exact coverage at {confidence:.0%} ({time.perf_counter() - start:.1f} s), min-max %")
    print(f"{'method':15s}{'mixes':13s}" + "".join(f"{b:>15s}" for b in BANDS))
    for method in METHODS:
        for name in sets:
            cells = [worst[(method, name, b)] for b in BANDS]
            row = "".join(f"{100 * lo:7.1f}-{100 * hi:5.1f}  " for lo, hi in cells)
            print(f"{method:15s}{name:13s}{row}")


def speed() -> None:
    cases = [(0.5, 0.2, 100.0), (0.9, 0.05, 30.0), (0.02, 0.01, 300.0), (0.4, 0.3, 57.4)]
    per_call: dict[str, float] = {}
    for method in ("adjusted-wald", "wald", "score"):
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(5000):
                for p, d, n in cases:
                    _stats.nps_interval(p, d, n, method)
            runs.append((time.perf_counter() - t) / 20000 * 1e6)
        per_call[method] = float(np.median(runs))
    base = per_call["adjusted-wald"]
    for method, us in per_call.items():
        print(f"nps_interval {method:14s} {us:7.2f} us per call   {us / base:5.1f}x adjusted-wald")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--confidence", type=float, default=0.95)
    args = parser.parse_args()
    coverage_table(args.confidence)
    speed()


if __name__ == "__main__":
    main()
