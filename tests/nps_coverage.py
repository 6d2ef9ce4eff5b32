"""Exact coverage of an NPS interval by enumerating every trinomial outcome.

For a sample of n answers with true shares (p_pro, p_det, p_pas), every outcome (k_pro, k_det)
with k_pro + k_det <= n has multinomial probability
n! / (k_pro! k_det! k_pas!) p_pro^k_pro p_det^k_det p_pas^k_pas; the coverage of an interval
method is the total probability of the outcomes whose interval contains p_pro - p_det. No
simulation, so no Monte Carlo error: the figures are exact up to rounding.

The probability factorises as Binomial(k_pro; n, p_pro) x Binomial(k_det; n - k_pro, r) with
r = p_det / (1 - p_pro). For one k_pro row, when both limits fall as k_det grows (true of every
method here except at a few edge rows), the covered k_det form one run [a, b], found by binary
search for every true mix at once, and the row's share is a difference of two binomial CDFs;
other rows are summed term by term. Vectorised over the true mixes, a grid of 5,000 mixes takes
well under a second per n. Used by tests/test_nps_interval.py and benchmarks/nps_coverage.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import optimize, special

Interval = Callable[[float, float, float, float], tuple[float, float]]
"""(p_pro, p_det, n, confidence) -> (low, high) on the -1..1 scale."""

# a limit equal to the true NPS up to rounding counts as covering it
_EPS = 1e-12


def outcome_limits(
    interval: Interval, n: int, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """(n+1) x (n+1) tables of the lower and upper limits at every outcome (k_pro, k_det);
    NaN where k_pro + k_det > n."""
    low = np.full((n + 1, n + 1), np.nan)
    high = np.full((n + 1, n + 1), np.nan)
    for k_pro in range(n + 1):
        for k_det in range(n - k_pro + 1):
            low[k_pro, k_det], high[k_pro, k_det] = interval(k_pro / n, k_det / n, n, confidence)
    return low, high


def _binomial_pmf(k: np.ndarray, size: int, p: np.ndarray) -> np.ndarray:
    log = (
        special.gammaln(size + 1)
        - special.gammaln(k + 1)
        - special.gammaln(size - k + 1)
        + special.xlogy(k, p)
        + special.xlog1py(size - k, -p)
    )
    return np.asarray(np.exp(log))


def coverage(low: np.ndarray, high: np.ndarray, p_pro: np.ndarray, p_det: np.ndarray) -> np.ndarray:
    """Exact coverage at every true mix (p_pro[i], p_det[i]) of the limits tabulated by
    :func:`outcome_limits` (n is taken from the table's shape)."""
    n = low.shape[0] - 1
    p_pro = np.asarray(p_pro, dtype=float)
    p_det = np.asarray(p_det, dtype=float)
    nps = p_pro - p_det
    rest = 1.0 - p_pro
    r = np.clip(np.where(rest > 0, p_det / np.where(rest > 0, rest, 1.0), 0.0), 0.0, 1.0)
    total = np.zeros(len(p_pro))
    for k_pro in range(n + 1):
        m = n - k_pro
        lo_row, hi_row = low[k_pro, : m + 1], high[k_pro, : m + 1]
        row_prob = _binomial_pmf(np.array(k_pro), n, p_pro)
        if np.all(np.diff(lo_row) <= 0) and np.all(np.diff(hi_row) <= 0):
            first = np.searchsorted(-lo_row, -(nps + _EPS), side="left")  # lo <= nps from here
            last = np.searchsorted(-hi_row, -(nps - _EPS), side="right") - 1  # hi >= nps to here
            upper = special.bdtr(np.clip(last, 0, m), m, r)
            lower = np.where(first > 0, special.bdtr(np.clip(first - 1, 0, m), m, r), 0.0)
            inner = np.where(last >= first, upper - lower, 0.0)
        else:
            k_det = np.arange(m + 1)[:, None]
            pmf = _binomial_pmf(k_det, m, r[None, :])
            covered = (lo_row[:, None] <= nps[None, :] + _EPS) & (
                nps[None, :] - _EPS <= hi_row[:, None]
            )
            inner = (pmf * covered).sum(axis=0)
        total += row_prob * inner
    return total


def coverage_brute_force(low: np.ndarray, high: np.ndarray, p_pro: float, p_det: float) -> float:
    """The same sum term by term over every outcome with scipy.stats.multinomial (slow; the
    check of :func:`coverage`)."""
    from scipy import stats

    n = low.shape[0] - 1
    p_pas = max(1.0 - p_pro - p_det, 0.0)
    dist = stats.multinomial(n, [p_pro, p_det, p_pas])
    total = 0.0
    for k_pro in range(n + 1):
        for k_det in range(n - k_pro + 1):
            if low[k_pro, k_det] - _EPS <= p_pro - p_det <= high[k_pro, k_det] + _EPS:
                total += float(dist.pmf([k_pro, k_det, n - k_pro - k_det]))
    return total


def simplex_grid(step: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Every (p_pro, p_det) on a ``step`` grid of the simplex, vertices and edges included."""
    k = round(1 / step)
    i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    keep = i + j <= k
    return i[keep] / k, j[keep] / k


def informative_mixes(n: float, p_pro: np.ndarray, p_det: np.ndarray) -> np.ndarray:
    """The mixes where a 93-97% coverage band is attainable at n: each category expects at
    least 2 answers, or each share is at least 5% and promoters plus detractors expect at least
    5. Outside, discreteness rules: with fewer than 5 expected promoters plus detractors no
    split (3 to 0, say) is significant, so any sensible interval covers 98-100% near the
    all-passive vertex; and a category expected less than twice gives the Wilson-like dips of
    every score or Wald interval (Brown, Cai & DasGupta 2001)."""
    p_pas = 1.0 - p_pro - p_det
    least = np.minimum(np.minimum(p_pro, p_det), p_pas)
    tol = 1e-9
    expects_two = n * least >= 2 - tol
    shares_five = (least >= 0.05 - tol) & (n * (p_pro + p_det) >= 5 - tol)
    return np.asarray(expects_two | shares_five)


def score_limits_brute_force(
    k_pro: float, k_det: float, n: float, confidence: float
) -> tuple[float, float]:
    """Tango's limits with no closed form at all: the restricted MLE of the detractor share
    by numerical maximisation of the trinomial log-likelihood, the limits by scanning delta on
    a fine grid and refining the sign change with brentq."""
    z = {0.9: 1.6448536269514722, 0.95: 1.959963984540054, 0.99: 2.5758293035489004}[confidence]
    k_pas = n - k_pro - k_det

    def restricted_q(delta: float) -> float:
        lo, hi = max(0.0, -delta), (1.0 - delta) / 2  # all three shares in [0, 1]

        def nll(q: float) -> float:
            shares = (q + delta, q, 1.0 - 2 * q - delta)
            return -sum(
                k * math.log(max(s, 1e-300))
                for k, s in zip((k_pro, k_det, k_pas), shares, strict=True)
                if k > 0
            )

        return float(
            optimize.minimize_scalar(
                nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}
            ).x
        )

    nps = (k_pro - k_det) / n

    def statistic(delta: float) -> float:
        var = 2 * restricted_q(delta) + delta * (1 - delta)
        return (nps - delta) / math.sqrt(var / n)

    grid = np.linspace(-0.999, 0.999, 400)
    values = np.array([statistic(d) for d in grid]) ** 2 - z * z
    low_i = next(i for i in range(len(grid) - 1) if values[i] > 0 >= values[i + 1])
    high_i = next(i for i in range(len(grid) - 1) if values[i] <= 0 < values[i + 1])

    def f(delta: float) -> float:
        return statistic(delta) ** 2 - z * z

    return (
        optimize.brentq(f, grid[low_i], grid[low_i + 1], xtol=1e-12),
        optimize.brentq(f, grid[high_i], grid[high_i + 1], xtol=1e-12),
    )


def fine_simplex_grid() -> tuple[np.ndarray, np.ndarray]:
    """Every (p_pro, p_det) whose shares come from the 0.01 grid plus 0.001, 0.002, 0.005,
    0.995, 0.998 and 0.999: the simplex with its vertices, edges and corners resolved (5,778
    mixes)."""
    fine = [0.0, 0.001, 0.002, 0.005, *(i / 100 for i in range(1, 100)), 0.995, 0.998, 0.999, 1.0]
    shares = np.unique(np.round(fine, 6))
    p_pro, p_det = np.meshgrid(shares, shares, indexing="ij")
    keep = p_pro + p_det <= 1.0 + 1e-12
    return p_pro[keep], np.minimum(p_det[keep], 1.0 - p_pro[keep])


def _outcomes_above(n: int, p_pro: float, p_det: float, threshold: float) -> np.ndarray:
    """The probabilities of the outcomes (k_pro, k_det) more likely than ``threshold``."""
    rest = 1.0 - p_pro
    r = min(max(p_det / rest, 0.0), 1.0) if rest > 0 else 0.0
    k = np.arange(n + 1)
    row = _binomial_pmf(k, n, np.array(p_pro))
    found = [np.zeros(0)]
    for k_pro in k[row > threshold]:
        joint = row[k_pro] * _binomial_pmf(np.arange(n - k_pro + 1), n - k_pro, np.array(r))
        found.append(joint[joint > threshold])
    return np.concatenate(found)


def band_attainable(
    n: int, p_pro: np.ndarray, p_det: np.ndarray, lo: float = 0.93, hi: float = 0.97
) -> np.ndarray:
    """Whether ANY interval method can cover between ``lo`` and ``hi`` at each true mix: some
    set of outcomes has total probability in [lo, hi] (a coverage is always such a sum).

    Exact, not a bound (docs/metrics.md, "Where 93-97% is unattainable"): call the outcomes
    more likely than w = hi - lo large and let m be the total probability of the others. A sum
    is (large subset) s plus (small subset) in [0, m], so if no s has [s, s + m] meeting
    [lo, hi] no sum lies in the band; and if one does, adding the small outcomes to s one at a
    time climbs from s to s + m in steps of at most w, so some partial sum lands in [lo, hi]
    (when s < lo: the first one reaching lo is below lo + w = hi). At most 1/w large outcomes
    exist, and at n >= 30 never more than 13 on the fine grid, so their subset sums are few."""
    result = np.zeros(len(p_pro), dtype=bool)
    for i, (pp, pd_) in enumerate(zip(np.asarray(p_pro), np.asarray(p_det), strict=True)):
        large = _outcomes_above(n, float(pp), float(pd_), hi - lo)
        small_mass = 1.0 - float(large.sum())
        sums = np.zeros(1)
        for p in large:
            sums = np.unique(np.concatenate([sums, sums + p]))
        result[i] = bool(np.any((sums <= hi + 1e-12) & (sums + small_mass >= lo - 1e-12)))
    return result
