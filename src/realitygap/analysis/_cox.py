"""Cox proportional hazards with one covariate, fitted exactly from counts (Efron ties).

With a single covariate x taking a few levels x_k (a survey score) and durations with many
ties (whole days), Efron's partial likelihood depends on the data only through, per event
time t and level k, the number at risk n_kt (duration >= t) and the number of events d_kt
(churned at t). With

    S0_R(t) = sum_k n_kt e^(b x_k),  S0_D(t) = sum_k d_kt e^(b x_k),
    S1_* = the same sums times x_k,  S2_* = times x_k^2,  d_t = sum_k d_kt,

and, for l = 0 .. d_t - 1, f = l / d_t, D_l = S0_R - f S0_D, N1_l = S1_R - f S1_D,
N2_l = S2_R - f S2_D, the log partial likelihood, its score and the observed information are

    ll(b)   = sum_t [ b sum_k d_kt x_k - sum_l log D_l ]
    U(b)    = sum_t [ sum_k d_kt x_k - sum_l N1_l / D_l ]
    I(b)    = sum_t sum_l [ N2_l / D_l - (N1_l / D_l)^2 ]

(Efron 1977, "The efficiency of Cox's likelihood function for censored data", JASA 72;
Therneau & Grambsch 2000, "Modeling Survival Data", section 3.3). These are exactly the
figures of a Cox fit on the expanded rows (one row per customer), e.g. lifelines'
CoxPHFitter, so the engine can count and Python fits: no row comes up, no sampling.

b is fitted by Newton-Raphson with step halving from b = 0 (ll is concave); the standard
error is 1 / sqrt(I(b)), the Wald z = b / se gives the two-sided p, and the hazard ratio per
scale point exp(b) has the interval exp(b -+ z_(1-alpha/2) se).

The maximum is finite unless the likelihood is monotone: when every event has the highest
(or every event the lowest) score among those at risk at its time, ll keeps rising as b goes
to +infinity (-infinity). That includes no events and a single score level. Then there is no
hazard ratio to report and :func:`cox_from_counts` returns None (lifelines would warn and
return a huge coefficient).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import norm

COLUMNS = ("score", "duration", "event", "count")
MAX_ITERATIONS = 100
TOLERANCE = 1e-12  # stop when the Newton step is below this (relative to 1 + |b|)

Array = NDArray[np.float64]


@dataclass(frozen=True)
class CoxFit:
    """One-covariate Cox model: coefficient per unit of the score, its standard error, the
    hazard ratio exp(coef) with its interval, the Wald p, and the counts it was fitted on."""

    coef: float
    se: float
    hazard_ratio: float
    low: float
    high: float
    p: float
    n: int
    events: int
    log_likelihood: float
    iterations: int
    confidence: float = 0.95


@dataclass(frozen=True)
class _RiskSets:
    """Counts at the event times: rows are event times, columns score levels."""

    x: Array  # score levels, centred (a shift of x does not change b)
    at_risk: Array  # n_kt
    died: Array  # d_kt
    time_of_event: NDArray[np.intp]  # for each of the sum_t d_t events, its event-time row
    fraction: Array  # l / d_t for that event


def cox_from_counts(counts: pd.DataFrame, confidence: float = 0.95) -> CoxFit | None:
    """Fit the Cox model of ``event`` on ``score`` from ``counts`` (see the module docstring).

    ``counts`` has columns score, duration, event (1 = the event happened at ``duration``,
    0 = censored there) and count (how many rows share these values; whole numbers). Rows
    with the same values may repeat. Returns None when no finite estimate exists (monotone
    likelihood: no events, one score level, or every event at the top or the bottom score
    at risk).
    """
    sets = _risk_sets(counts)
    if sets is None:
        return None
    b, ll, info, iterations = _newton(sets)
    se = float(1.0 / np.sqrt(info))
    z = float(norm.ppf(1.0 - (1.0 - confidence) / 2.0))
    return CoxFit(
        coef=b,
        se=se,
        hazard_ratio=float(np.exp(b)),
        low=float(np.exp(b - z * se)),
        high=float(np.exp(b + z * se)),
        p=float(2.0 * norm.sf(abs(b / se))),
        n=int(counts["count"].sum()),
        events=int(counts.loc[counts["event"] == 1, "count"].sum()),
        log_likelihood=ll,
        iterations=iterations,
        confidence=confidence,
    )


def _risk_sets(counts: pd.DataFrame) -> _RiskSets | None:
    """n_kt and d_kt at each event time, or None when the likelihood is monotone."""
    missing = set(COLUMNS) - set(counts.columns)
    if missing:
        raise ValueError(f"counts need the columns {', '.join(sorted(missing))}")
    weight = counts["count"].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(weight)) or np.any(weight != np.round(weight)) or (weight < 0).any():
        raise ValueError("count must hold whole numbers >= 0 (Efron ties need row counts)")
    levels, level = np.unique(counts["score"].to_numpy(dtype=np.float64), return_inverse=True)
    times, time = np.unique(counts["duration"].to_numpy(dtype=np.float64), return_inverse=True)
    event = counts["event"].to_numpy() == 1
    total = np.zeros((len(times), len(levels)))
    np.add.at(total, (time, level), weight)
    died = np.zeros_like(total)
    np.add.at(died, (time[event], level[event]), weight[event])
    # at risk at t: everyone whose duration is >= t (reverse cumulative sum over time)
    at_risk = np.cumsum(total[::-1], axis=0)[::-1]
    rows = died.sum(axis=1) > 0
    at_risk, died = at_risk[rows], died[rows]
    if _monotone(at_risk, died):
        return None
    deaths = died.sum(axis=1).astype(np.intp)
    time_of_event = np.repeat(np.arange(len(deaths)), deaths)
    first = np.repeat(np.cumsum(deaths) - deaths, deaths)
    fraction = (np.arange(len(time_of_event)) - first) / deaths[time_of_event]
    centre = float(np.average(levels, weights=total.sum(axis=0)))
    return _RiskSets(levels - centre, at_risk, died, time_of_event, fraction)


def _monotone(at_risk: Array, died: Array) -> bool:
    """True when every event is at the highest score level at risk at its time, or every
    event at the lowest: the score U(b) then stays positive (negative) for all b."""
    if died.sum() == 0:
        return True
    level = np.arange(at_risk.shape[1])
    present = at_risk > 0
    top = np.where(present, level, -1).max(axis=1)
    bottom = np.where(present, level, at_risk.shape[1]).min(axis=1)
    below_top = died[level[None, :] < top[:, None]].sum()
    above_bottom = died[level[None, :] > bottom[:, None]].sum()
    return bool(below_top == 0 or above_bottom == 0)


def _efron(sets: _RiskSets, b: float) -> tuple[float, float, float]:
    """Log partial likelihood, score and observed information at b."""
    bx = b * sets.x
    shift = float(bx.max())  # scale the weights by e^-shift against overflow; added back in ll
    w = np.exp(bx - shift)
    wx, wxx = w * sets.x, w * sets.x**2
    i, f = sets.time_of_event, sets.fraction
    d0 = (sets.at_risk @ w)[i] - f * (sets.died @ w)[i]
    n1 = (sets.at_risk @ wx)[i] - f * (sets.died @ wx)[i]
    n2 = (sets.at_risk @ wxx)[i] - f * (sets.died @ wxx)[i]
    x_events = float((sets.died @ sets.x).sum())
    mean = n1 / d0
    ll = b * x_events - float(np.log(d0).sum()) - shift * len(i)
    score = x_events - float(mean.sum())
    info = float((n2 / d0 - mean**2).sum())
    return ll, score, info


def _newton(sets: _RiskSets) -> tuple[float, float, float, int]:
    """Maximise ll by Newton-Raphson, halving a step that lowers it; returns b, ll(b), I(b)
    and the number of iterations."""
    b = 0.0
    ll, score, info = _efron(sets, b)
    for iteration in range(1, MAX_ITERATIONS + 1):
        step = score / info
        while True:
            candidate = _efron(sets, b + step)
            # a step that lowers ll overshot (far from the maximum): halve it
            if candidate[0] >= ll - 1e-12 * abs(ll) or abs(step) < TOLERANCE:
                break
            step /= 2.0
        b += step
        ll, score, info = candidate
        if abs(step) < TOLERANCE * (1.0 + abs(b)):
            return b, ll, info, iteration
    raise ArithmeticError(f"Cox fit did not converge in {MAX_ITERATIONS} iterations")
