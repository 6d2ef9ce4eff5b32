"""Interval and test arithmetic on counts and sums (no rows ever reach this module).

Every function takes small aggregates (counts, sums of weights, means, variances, n) and returns
plain floats. ``n`` may be Kish's effective sample size (a float) when the data are weighted,
so every interval honours the design effect. Shared by the analysis families: Wilson and
Newcombe intervals for shares, t and Welch intervals for means, the NPS intervals, Hedges' g,
Wasserstein-1 between ordinal distributions, Holm's adjustment and Kish's n_eff.

References: Wilson (1927); Newcombe (1998) method 10; Tango (1998) "Equivalence test and
confidence interval for the difference in proportions for the paired-sample design",
Statistics in Medicine 17 (the NPS score interval); Rocks (2016) "Interval estimation for the
'Net Promoter Score'", The American Statistician 70(4) (adjusted Wald: add 3/4 detractor,
3/2 passive, 3/4 promoter; and the iterative score interval); Welch (1947); Hedges & Olkin
(1985); Holm (1979); Kish (1965).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from realitygap.analysis._options import DEFAULT_NPS_METHOD as DEFAULT_NPS_METHOD
from realitygap.analysis._options import NPS_METHODS as NPS_METHODS
from realitygap.analysis._result import Estimate


@functools.lru_cache(maxsize=64)
def z_value(confidence: float) -> float:
    """The two-sided normal quantile, 1.959964 for 95%."""
    return float(special.ndtri(0.5 + confidence / 2))


def _two_sided_normal_p(z: float) -> float:
    return float(2 * special.ndtr(-abs(z)))


def _t_quantile(confidence: float, df: float) -> float:
    """The two-sided Student t quantile (scipy.special, a ufunc: no distribution overhead)."""
    return float(special.stdtrit(df, 0.5 + confidence / 2))


def kish_n_eff(sum_w: float, sum_w2: float) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 (= n when all weights are equal)."""
    return float(sum_w * sum_w / sum_w2) if sum_w2 > 0 else 0.0


# ---- shares ---------------------------------------------------------------------------------
def wilson(p: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a share ``p`` observed on ``n`` (possibly effective) answers."""
    if n <= 0:
        return (float("nan"), float("nan"))
    z = z_value(confidence)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (float(max(centre - half, 0.0)), float(min(centre + half, 1.0)))


def wilson_estimate(
    k: float,
    n: int,
    min_n: int,
    method: str,
    confidence: float = 0.95,
    *,
    n_effective: float | None = None,
) -> Estimate:
    """The share k/n with its Wilson interval, or "insufficient data" below ``min_n``: the one
    share estimate of every family. ``k`` may be a sum of weights out of ``n`` (then pass the
    share's Kish ``n_effective``, which sets the interval's width)."""
    if n < max(min_n, 1):
        return Estimate.insufficient_data(n, method, confidence)
    p = k / n
    low, high = wilson(p, n if n_effective is None else n_effective, confidence)
    return Estimate(p, low, high, n, method, confidence, n_effective)


def wald(p: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wald interval p +- z sqrt(p(1-p)/n), clipped to [0, 1]."""
    half = z_value(confidence) * np.sqrt(p * (1 - p) / n) if n > 0 else float("nan")
    return (float(max(p - half, 0.0)), float(min(p + half, 1.0)))


@dataclass(frozen=True)
class Difference:
    """A difference of two estimates (first minus second) with its interval and test."""

    value: float
    low: float
    high: float
    statistic: float
    p_value: float


def newcombe_difference(
    p1: float, n1: float, p2: float, n2: float, confidence: float = 0.95
) -> Difference:
    """p1 - p2 with Newcombe's hybrid score interval (method 10, from two Wilson intervals)
    and the pooled two-proportion z-test (statsmodels ``proportions_ztest``)."""
    l1, u1 = wilson(p1, n1, confidence)
    l2, u2 = wilson(p2, n2, confidence)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = d / se if se > 0 else 0.0
    return Difference(float(d), float(low), float(high), float(z), _two_sided_normal_p(z))


# ---- NPS --------------------------------------------------------------------------------------


def nps_variance(p_pro: float, p_det: float) -> float:
    """Variance of one answer's NPS score (+1/0/-1): p_pro + p_det - (p_pro - p_det)^2."""
    return p_pro + p_det - (p_pro - p_det) ** 2


def _restricted_det_share(p_pro: float, p_det: float, delta: float) -> float:
    """Maximum-likelihood detractor share under NPS = ``delta`` (Tango 1998, eq. 4): the root
    in [0, 1] of 2q^2 + Wq - p_det delta (1 - delta) = 0, W = -(p_pro + p_det) + delta (2 -
    p_pro + p_det)."""
    w = -(p_pro + p_det) + delta * (2.0 - p_pro + p_det)
    disc = max(w * w + 8.0 * p_det * delta * (1.0 - delta), 0.0)
    return (math.sqrt(disc) - w) / 4.0


def _score_gap(delta: float, nps: float, p_pro: float, p_det: float, n: float, z: float) -> float:
    """(NPS_hat - delta) - z se(delta): zero at the lower limit (z > 0) or the upper one
    (z < 0), se from the restricted shares, Var = (2 q + delta (1 - delta)) / n."""
    q = _restricted_det_share(p_pro, p_det, delta)
    return (nps - delta) - z * math.sqrt(max(2.0 * q + delta * (1.0 - delta), 0.0) / n)


def _score_statistic_gap(
    delta: float, nps: float, p_pro: float, p_det: float, n: float, z: float
) -> float:
    """The score statistic (NPS_hat - delta) / se(delta) minus ``z``, for samples at a vertex
    (every answer in one category): there se(NPS_hat) = 0, so the difference form above also
    vanishes at NPS_hat, while the statistic tends to 0 there and crosses z once, inside."""
    q = _restricted_det_share(p_pro, p_det, delta)
    se = math.sqrt(max(2.0 * q + delta * (1.0 - delta), 0.0) / n)
    return (nps - delta) / max(se, 1e-300) - z


def nps_score_interval(
    p_pro: float, p_det: float, n: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Score interval of the NPS p_pro - p_det: every delta that the score test of
    H0: NPS = delta does not reject at 1 - ``confidence`` (Tango 1998; Rocks 2016 sec. 3).

    The NPS is the difference of two shares of one multinomial sample, the paired-difference
    design of Tango (1998) with passives as the concordant pairs: promoters are his b,
    detractors his c. The test's variance (2 q + delta (1 - delta)) / n uses the detractor
    share ``q`` re-estimated by maximum likelihood under NPS = delta (closed form, a quadratic),
    which keeps the interval inside [-1, 1] and gives it the right width at extreme scores,
    where the adjusted Wald's fixed pseudo-answers over-cover. Each limit is the one root of a
    monotone function, found by Brent's method (tens of microseconds per interval,
    benchmarks/nps_interval_bench.py). ``n``
    may be fractional: Kish's effective n under weights.

    Exact coverage (every trinomial outcome enumerated, tests/nps_coverage.py) at 95%: 93.4 to
    96.9% for every n from 30 to 500 and every mix on a 0.01 grid of the simplex (and on a
    finer one with shares 0.001 to 0.999 at the corners, n = 30 to 300) where each category
    expects at least 2 answers, or each share is at least 5% with at least 5 expected
    promoters plus detractors; the adjusted Wald reaches 98.8% there. It leaves 93-97% only
    where a category expects fewer than 2 answers, and next to a vertex no interval can reach
    the band (docs/metrics.md, "Corners and edges, and where 93-97% is unattainable").
    """
    if not n > 0:
        return (float("nan"), float("nan"))
    p_pro = min(max(p_pro, 0.0), 1.0)
    p_det = min(max(p_det, 0.0), 1.0 - p_pro)
    nps = p_pro - p_det
    z = z_value(confidence)
    gap = _score_gap if nps_variance(p_pro, p_det) > 0 else _score_statistic_gap
    args = (nps, p_pro, p_det, n)
    low = -1.0 if nps <= -1.0 else optimize.brentq(gap, -1.0, nps, (*args, z), xtol=1e-12)
    high = 1.0 if nps >= 1.0 else optimize.brentq(gap, nps, 1.0, (*args, -z), xtol=1e-12)
    return (float(low), float(high))


def nps_interval(
    p_pro: float,
    p_det: float,
    n: float,
    method: str = DEFAULT_NPS_METHOD,
    confidence: float = 0.95,
    *,
    bootstrap_draws: int = 4000,
    seed: int = 0,
) -> tuple[float, float]:
    """Interval of the NPS as a share difference in [-1, 1], from shares and (effective) n.

    ``score`` (default): :func:`nps_score_interval` (Tango 1998). ``adjusted-wald`` (Rocks
    2016): add 0.75 detractors, 1.5 passives and 0.75 promoters, then the Wald interval of the
    adjusted NPS with variance p_pro + p_det - (p_pro - p_det)^2 over n + 3. ``wald``: the same
    without the pseudo-answers. ``bootstrap``: percentile interval of multinomial draws from
    the observed shares (counts, not rows).
    """
    z = z_value(confidence)
    if method == "score":
        return nps_score_interval(p_pro, p_det, n, confidence)
    if method == "adjusted-wald":
        n_adj = n + 3.0
        pp = (p_pro * n + 0.75) / n_adj
        pd_ = (p_det * n + 0.75) / n_adj
        centre, half = pp - pd_, z * np.sqrt(nps_variance(pp, pd_) / n_adj)
    elif method == "wald":
        centre, half = p_pro - p_det, z * np.sqrt(nps_variance(p_pro, p_det) / n)
    elif method == "bootstrap":
        size = max(round(n), 1)
        rng = np.random.default_rng(seed)
        p_pas = max(1.0 - p_pro - p_det, 0.0)
        draws = rng.multinomial(size, [p_pro, p_pas, p_det], size=bootstrap_draws) / size
        scores = draws[:, 0] - draws[:, 2]
        alpha = 1 - confidence
        low, high = np.quantile(scores, [alpha / 2, 1 - alpha / 2])
        return (float(low), float(high))
    else:
        raise ValueError(f"NPS interval method {method!r}: expected one of {list(NPS_METHODS)}")
    return (float(max(centre - half, -1.0)), float(min(centre + half, 1.0)))


def nps_estimate(
    p_pro: float,
    p_det: float,
    n: int,
    min_n: int,
    method: str = DEFAULT_NPS_METHOD,
    confidence: float = 0.95,
    *,
    n_effective: float | None = None,
) -> Estimate:
    """The NPS in points (-100..100) with its interval, or "insufficient data" below
    ``min_n``: the one NPS estimate of every family (metrics, the gap, themes, recovery).
    ``p_pro``/``p_det`` are the (weighted) shares of promoters (9-10) and detractors (0-6)
    among ``n`` answers; ``n_effective`` (Kish) sets the interval under weights."""
    label = f"NPS, {method}"
    if n < max(min_n, 1):
        return Estimate.insufficient_data(n, label, confidence)
    low, high = nps_interval(
        p_pro, p_det, n if n_effective is None else n_effective, method, confidence
    )
    return Estimate(100 * (p_pro - p_det), 100 * low, 100 * high, n, label, confidence, n_effective)


def nps_difference(
    p_pro1: float,
    p_det1: float,
    n1: float,
    p_pro2: float,
    p_det2: float,
    n2: float,
    confidence: float = 0.95,
) -> Difference:
    """NPS1 - NPS2 (as share differences) with the two-sample z-test and Wald interval:
    se = sqrt(V1/n1 + V2/n2), V = p_pro + p_det - (p_pro - p_det)^2."""
    d = (p_pro1 - p_det1) - (p_pro2 - p_det2)
    se = float(np.sqrt(nps_variance(p_pro1, p_det1) / n1 + nps_variance(p_pro2, p_det2) / n2))
    z = d / se if se > 0 else 0.0
    half = z_value(confidence) * se
    return Difference(d, d - half, d + half, z, _two_sided_normal_p(z))


# ---- means ----------------------------------------------------------------------------------
def t_interval(mean: float, var: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Student t interval mean +- t(n-1) sqrt(var/n); ``var`` is the sample variance."""
    if n < 2:
        return (float("nan"), float("nan"))
    half = float(_t_quantile(confidence, n - 1) * np.sqrt(var / n))
    return (mean - half, mean + half)


def mean_estimate(
    mean: float,
    var: float,
    n: int,
    min_n: int,
    method: str,
    confidence: float = 0.95,
    *,
    n_effective: float | None = None,
) -> Estimate:
    """A mean with its Student t interval (``var`` the sample variance), or "insufficient
    data" below ``min_n`` (and below 2): the one mean estimate of every family."""
    if n < max(min_n, 2) or not np.isfinite(var):
        return Estimate.insufficient_data(n, method, confidence)
    low, high = t_interval(mean, var, n if n_effective is None else n_effective, confidence)
    return Estimate(mean, low, high, n, method, confidence, n_effective)


def weighted_moments(
    sum_w: float, sum_wx: float, sum_wx2: float, n_eff: float
) -> tuple[float, float]:
    """Mean and sample variance from weighted sums; with unit weights the usual (n-1) form."""
    mean = sum_wx / sum_w
    pop_var = max(sum_wx2 / sum_w - mean * mean, 0.0)
    var = pop_var * n_eff / (n_eff - 1) if n_eff > 1 else float("nan")
    return mean, var


def welch(
    mean1: float,
    var1: float,
    n1: float,
    mean2: float,
    var2: float,
    n2: float,
    confidence: float = 0.95,
) -> Difference:
    """mean1 - mean2 with Welch's t test and interval (Welch-Satterthwaite df), from moments."""
    a, b = var1 / n1, var2 / n2
    se = float(np.sqrt(a + b))
    d = mean1 - mean2
    if se == 0:
        return Difference(d, d, d, 0.0, 1.0)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    t = d / se
    half = float(_t_quantile(confidence, df) * se)
    return Difference(d, d - half, d + half, t, float(2 * special.stdtr(df, -abs(t))))


def hedges_g(
    mean1: float,
    var1: float,
    n1: float,
    mean2: float,
    var2: float,
    n2: float,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Hedges' g (pooled-SD standardised difference with the small-sample correction
    J = 1 - 3 / (4(n1 + n2) - 9)) and its normal-approximation interval with
    se = sqrt((n1 + n2) / (n1 n2) + g^2 / (2 (n1 + n2))) (Hedges & Olkin 1985)."""
    pooled = ((n1 - 1) * var1 + (n2 - 1) * var2) / (n1 + n2 - 2)
    if pooled <= 0:
        return (float("nan"), float("nan"), float("nan"))
    g = (mean1 - mean2) / np.sqrt(pooled) * (1 - 3 / (4 * (n1 + n2) - 9))
    se = np.sqrt((n1 + n2) / (n1 * n2) + g * g / (2 * (n1 + n2)))
    half = z_value(confidence) * se
    return (float(g), float(g - half), float(g + half))


# ---- distributions --------------------------------------------------------------------------
def wasserstein_ordinal(values: np.ndarray, counts1: np.ndarray, counts2: np.ndarray) -> float:
    """Wasserstein-1 (earth mover's) distance between two answer distributions on the same
    sorted ``values``: sum over gaps of |F1 - F2| times the gap width, in scale points."""
    f1 = np.cumsum(counts1) / counts1.sum()
    f2 = np.cumsum(counts2) / counts2.sum()
    return float(np.sum(np.abs(f1 - f2)[:-1] * np.diff(values)))


# ---- multiplicity ---------------------------------------------------------------------------
def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (statsmodels ``multipletests``); NaN stays NaN and
    does not count as a test."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out
