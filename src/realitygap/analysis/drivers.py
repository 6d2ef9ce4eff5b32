"""Key-driver analysis: which touchpoint ratings move the outcome (likelihood to recommend).

Everything is computed from sums of cross-products that the workspace engine returns per hash
bucket of respondents (see :mod:`realitygap.analysis._correlation`); no response row is read
into Python.

- **Importance**: the Shapley / LMG decomposition of R^2 (exact over all 2^p predictor subsets,
  p <= 20; Lindeman, Merenda and Gold 1980, Groemping 2006) or Johnson's (2000) relative
  weights. ``share`` is the part of R^2 a predictor carries (shares add up to R^2);
  ``normalised`` is share / R^2 (adds up to 1, as relaimpo's ``rela=TRUE``). Intervals are
  bootstrap percentiles over respondents (grouped bootstrap over hash buckets).
- **Importance x performance** quadrants (Martilla and James 1977): performance is the item's
  mean as a percentage of its scale range (POMP); the split points are the average importance
  (1/p) and the average performance.
- **Penalty-reward contrast analysis** (Brandt 1987): the outcome is regressed on two dummies
  per attribute, bottom box ("low") and top box ("high"). The penalty is the drop for a low
  rating, the reward the gain for a high one. An attribute whose penalty is significantly
  larger than its reward is a *must-be* (it punishes when low and does not reward when high),
  a significantly larger reward makes a *delighter*, otherwise *performance*; neither
  significant is *low impact*.
- **Priority gap**: leaders' stated priorities against measured importance. Stated priorities
  come from ranking questions: mirror-audience questions with ``block = "priority"`` whose
  ``mirrors`` names the customer item, answered with a rank (1 = most important) by
  executives and managers (all staff if roles are missing). Spearman's rho between the mean
  stated rank and the measured importance, with a Fisher-z interval (Bonett and Wright 2000).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from realitygap.analysis._correlation import (
    MISSING_CHOICES,
    CrossProducts,
    FloatArray,
    Missing,
    answer_grid,
    bootstrap_weights,
    cross_products,
)
from realitygap.analysis._items import (
    default_outcome,
    question_bank,
    rated_customer_items,
    require,
    scale_of,
)
from realitygap.analysis._options import METHODS, Method
from realitygap.analysis._result import INSUFFICIENT, MIN_N, Estimate, Values, plain
from realitygap.analysis._shapley import (
    MAX_EXACT_PREDICTORS,
    full_r2,
    lmg_shares,
    relative_weights,
    well_conditioned,
)
from realitygap.domain.errors import (
    ArgumentError,
    check_choice,
    check_confidence,
)
from realitygap.store import engine
from realitygap.store.workspace import Workspace

METHOD_TEXT = {
    "shapley": "Shapley/LMG decomposition of R^2, exact over all predictor subsets",
    "relweights": "Johnson's relative weights",
}
QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}
PRIORITY_BLOCK = "priority"


@dataclass(frozen=True)
class Driver(Values):
    """One predictor: its importance, performance and penalty-reward class.

    ``share``: part of R^2 (bootstrap interval); ``normalised``: share / R^2; ``rank``: 1 =
    most important; ``performance``: mean rating as % of the scale range; ``quadrant``:
    importance x performance quadrant; ``penalty``/``reward``: PRCA coefficients (outcome
    points for a bottom-box / top-box rating against the middle); ``p_asymmetry``: test that
    |penalty| = reward; ``kind``: must-be, delighter, performance, low impact or None.
    """

    question_id: str
    text: str
    share: Estimate
    normalised: Estimate
    rank: int | None
    performance: float | None
    quadrant: str | None
    penalty: float | None
    reward: float | None
    p_asymmetry: float | None
    kind: str | None

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {"question_id": self.question_id, "rank": self.rank}
        for name, est in (("share", self.share), ("normalised", self.normalised)):
            out[name] = est.value
            out[f"{name}_low"] = est.low
            out[f"{name}_high"] = est.high
        out.update(
            performance=self.performance,
            quadrant=self.quadrant,
            penalty=self.penalty,
            reward=self.reward,
            p_asymmetry=self.p_asymmetry,
            kind=self.kind,
            text=self.text,
        )
        return out


@dataclass(frozen=True)
class PriorityGap(Values):
    """Leaders' stated priority ranking against measured importance.

    ``spearman``: rho between stated importance (minus the mean stated rank) and measured
    importance, Fisher-z interval, n = number of items; ``stated_rank``: mean rank per item;
    ``respondents``: staff who ranked.
    """

    spearman: Estimate
    stated_rank: dict[str, float]
    respondents: int


@dataclass(frozen=True)
class DriversResult(Values):
    """Key drivers of ``outcome`` (see the module docstring for every figure).

    ``n``: respondents used (listwise: complete cases; pairwise: the smallest pair count);
    ``r2``: R^2 of the full linear model with its bootstrap interval.
    """

    outcome: str
    method: Method
    missing: Missing
    n: int
    r2: Estimate
    drivers: tuple[Driver, ...]
    priority_gap: PriorityGap | None
    bootstrap: int
    buckets: int
    notes: tuple[str, ...] = ()
    methods: tuple[str, ...] = field(default=())

    @property
    def ranked(self) -> tuple[Driver, ...]:
        return tuple(sorted(self.drivers, key=lambda d: (d.rank is None, d.rank or 0)))

    def to_frame(self) -> pd.DataFrame:
        """One row per predictor: question_id, rank, share, share_low, share_high,
        normalised, normalised_low, normalised_high, performance, quadrant, penalty, reward,
        p_asymmetry, kind, text."""
        return pd.DataFrame([d.row() for d in self.ranked])

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "method": self.method,
            "missing": self.missing,
            "n": self.n,
            "r2": self.r2.to_dict(),
            "drivers": [d.row() for d in self.ranked],
            "priority_gap": plain(self.priority_gap) if self.priority_gap else None,
            "bootstrap": self.bootstrap,
            "buckets": self.buckets,
            "notes": list(self.notes),
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = [
            f"Key drivers of {self.outcome} ({METHOD_TEXT[self.method]}; missing values "
            f"{self.missing}, n={self.n})",
            f"  R^2 {self.r2.format(3)}"
            if self.bootstrap > 0 or self.r2.value is None
            else f"  R^2 {self.r2.value:.3f} (no interval) n={self.n}",
        ]
        if self.r2.insufficient:
            lines.append(f"  {INSUFFICIENT}: fewer than the minimum complete answers")
        width = max((len(d.question_id) for d in self.drivers), default=8)
        for d in self.ranked:
            est = d.normalised
            if self.bootstrap > 0 or est.value is None:
                share = est.format(1, 100, "%")
            else:
                share = f"{est.value:.1%} (no interval) n={est.n}"
            lines.append(
                f"  {d.rank or '-':>3}. {d.question_id:<{width}}  {share:<30}"
                f" perf {_num(d.performance, 0):>3}%  {d.quadrant or '':<22} {d.kind or ''}"
            )
        if self.priority_gap is not None:
            lines.append(
                "  Priority gap: Spearman between leaders' ranking and measured importance "
                f"{self.priority_gap.spearman.format(2)} "
                f"({self.priority_gap.respondents} staff)"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def importance(corr: FloatArray, method: Method) -> FloatArray:
    """Shares of R^2 per predictor from a correlation matrix (outcome last), or a batch."""
    if method == "shapley":
        return lmg_shares(corr)
    return relative_weights(corr)


def _clean(corr: FloatArray) -> FloatArray:
    """Undefined correlations (a constant item) become 0, so that item explains nothing."""
    out = np.where(np.isnan(corr), 0.0, corr)
    p = out.shape[-1]
    out[..., np.arange(p), np.arange(p)] = 1.0
    return np.asarray(out, dtype=np.float64)


def drivers(
    ws: Workspace,
    outcome: str | None = None,
    predictors: list[str] | None = None,
    *,
    method: Method = "shapley",
    missing: Missing = "listwise",
    wave: str | None = None,
    bootstrap: int = 200,
    buckets: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> DriversResult:
    """Key drivers of ``outcome``: which item ratings move it, by relative importance.

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    outcome : str, optional
        The outcome question (default: the customer NPS question).
    predictors : list of str, optional
        Predictor questions (default: every other rated customer question); at most 20 with
        the Shapley method.
    method : {"shapley", "relweights"}, default "shapley"
        Shapley/LMG decomposition of R^2 (exact) or Johnson's relative weights (``METHODS``).
    missing : {"listwise", "pairwise"}, default "listwise"
        Listwise: respondents who answered every item; pairwise: each correlation uses everyone
        who answered both (``MISSING_CHOICES``). Customers skip items, so pairwise keeps more.
    wave : str, optional
        One wave only.
    bootstrap : int, default 200
        Bootstrap replicates of the intervals (0 = no intervals).
    buckets : int, default 200
        Hash buckets of respondents the grouped bootstrap resamples.
    seed : int, default 0
        Seed of the bootstrap.
    confidence : float, default 0.95
        Level of the percentile intervals.
    min_n : int, default 30
        Fewer respondents than this (or than predictors + 2) give "insufficient data".

    Returns
    -------
    DriversResult
        ``outcome``, ``n`` (respondents used), ``r2`` (R^2 of the full model with its interval),
        ``drivers`` (:class:`Driver`; ``ranked`` sorts them), ``priority_gap``
        (:class:`PriorityGap`: leaders' stated ranking vs measured importance, or None),
        ``notes``. ``to_frame()`` has one row per predictor, most important first:

        - ``question_id``, ``rank`` (1 = most important), ``text``;
        - ``share``, ``share_low``, ``share_high``: the part of R^2 it carries (shares add up to
          R^2);
        - ``normalised``, ``normalised_low``, ``normalised_high``: share / R^2 (adds up to 1);
        - ``performance``: the item's mean in % of its scale range (POMP);
        - ``quadrant``: importance x performance: ``concentrate here``, ``keep up the good
          work``, ``low priority`` or ``possible overkill``;
        - ``penalty``, ``reward``: penalty-reward contrast coefficients (outcome points for a
          bottom-box / top-box answer against the middle); ``p_asymmetry``: test that
          ``|penalty| = reward``; ``kind``: ``must-be``, ``delighter``, ``performance``,
          ``low impact`` or None.

    Raises
    ------
    SurveyDataError
        An outcome or predictor that is not a question of the workspace.
    ArgumentError
        An unknown ``method`` or ``missing``, negative ``bootstrap``, more than 20 predictors
        with the Shapley method, ``confidence`` outside (0, 1) or ``min_n`` below 1.

    References
    ----------
    Lindeman, R. H., Merenda, P. F. and Gold, R. Z. (1980). Introduction to Bivariate and
    Multivariate Analysis. Groemping, U. (2006). Relative importance for linear regression in R:
    the package relaimpo. J. Statistical Software 17. Johnson, J. W. (2000). Multivariate
    Behavioral Research 35 (relative weights). Martilla, J. A. and James, J. C. (1977). J.
    Marketing 41 (importance-performance). Brandt, D. R. (1987). A procedure for identifying
    value-enhancing service components. Bonett, D. G. and Wright, T. A. (2000). Psychometrika 65
    (Spearman interval).

    Examples
    --------
    >>> result = drivers(ws, missing="pairwise", bootstrap=50)
    >>> result.r2.format(2)
    '0.58 [0.55, 0.65] n=211'
    >>> cols = ["question_id", "rank", "normalised", "normalised_low", "normalised_high"]
    >>> result.to_frame()[cols].head(3).round(2)
      question_id  rank  normalised  normalised_low  normalised_high
    0         q13     1        0.14            0.09             0.19
    1         q18     2        0.11            0.05             0.16
    2         q03     3        0.11            0.07             0.16
    """
    check_choice("method", method, METHODS)
    check_choice("missing", missing, MISSING_CHOICES)
    check_confidence(confidence, min_n)
    if bootstrap < 0:
        raise ArgumentError("bootstrap", bootstrap, "a number of replicates, 0 or more")
    bank = question_bank(ws)
    outcome = outcome or default_outcome(bank)
    require(bank, outcome, "the outcome question")
    items = predictors or rated_customer_items(bank, exclude=(outcome,))
    for q in items:
        require(bank, q, "a predictor question")
    if method == "shapley" and len(items) > MAX_EXACT_PREDICTORS:
        raise ArgumentError(
            "predictors",
            len(items),
            f"at most {MAX_EXACT_PREDICTORS} predictors for the exact Shapley decomposition "
            "(or method='relweights')",
        )
    names = [*items, outcome]
    # the pivot to one row per respondent, shared with the audit; every statistic reads it
    wide = answer_grid(ws, names, wave=wave)
    cp = cross_products(ws, names, missing=missing, buckets=max(buckets, 1), rows=wide)
    total = cp.pooled()
    n = int(np.min(total.n[0]))
    corr = _clean(total.correlation()[0])
    notes = []
    constant = [q for i, q in enumerate(items) if np.isnan(total.correlation()[0][i, -1])]
    if constant:
        notes.append(f"no variation in the sample, importance 0: {', '.join(constant)}")
    if missing == "pairwise":
        notes.append("pairwise correlations: each uses the respondents who answered both")
    else:
        answered = _outcome_answers(ws, outcome, wave)
        if answered and n < 0.5 * answered:
            notes.append(
                f"only {n} of {answered} respondents answered every item (listwise); "
                "--missing pairwise uses every answer"
            )
    texts = {q: str(bank.loc[q, "text"]) for q in items}
    methods = (
        METHOD_TEXT[method],
        f"bootstrap: {bootstrap} replicates over {buckets} hash buckets of respondents "
        "(grouped bootstrap), percentile intervals",
        "quadrants: Martilla and James (1977); PRCA: Brandt (1987), listwise",
    )
    if n < max(min_n, len(items) + 2):
        bad = Estimate.insufficient_data(n, METHOD_TEXT[method])
        empty = tuple(
            Driver(q, texts[q], bad, bad, None, None, None, None, None, None, None) for q in items
        )
        return DriversResult(
            outcome,
            method,
            missing,
            n,
            bad,
            empty,
            None,
            bootstrap,
            buckets,
            tuple(notes),
            methods,
        )
    shares = importance(corr, method)
    r2_value = full_r2(corr) if method == "relweights" else float(shares.sum())
    boot_shares = _bootstrap_shares(cp, method, bootstrap, seed)
    alpha = 1.0 - confidence
    share_est = _percentile(shares, boot_shares, n, alpha, METHOD_TEXT[method])
    boot_r2 = boot_shares.sum(axis=1) if boot_shares is not None else None
    r2 = _percentile(
        np.array([r2_value]),
        boot_r2[:, None] if boot_r2 is not None else None,
        n,
        alpha,
        "R^2 of the full linear model",
    )[0]
    norm_boot = (
        boot_shares / boot_r2[:, None] if boot_shares is not None and boot_r2 is not None else None
    )
    norm_est = _percentile(
        shares / r2_value if r2_value > 0 else shares * np.nan, norm_boot, n, alpha, "share of R^2"
    )
    order = np.argsort(-shares, kind="stable")
    rank = np.empty(len(items), dtype=np.int64)
    rank[order] = np.arange(1, len(items) + 1)
    performance = _performance(bank, items, total)
    quadrant = _quadrants(shares / r2_value if r2_value > 0 else shares, performance)
    prca = _penalty_reward(ws, bank, items, outcome, wide)
    result_drivers = tuple(
        Driver(
            q,
            texts[q],
            share_est[i],
            norm_est[i],
            int(rank[i]),
            performance[i],
            quadrant[i],
            *prca.get(q, (None, None, None, None)),
        )
        for i, q in enumerate(items)
    )
    gap = priority_gap(ws, bank, dict(zip(items, shares, strict=True)), confidence=confidence)
    return DriversResult(
        outcome,
        method,
        missing,
        n,
        r2,
        result_drivers,
        gap,
        bootstrap,
        buckets,
        tuple(notes),
        methods,
    )


def _outcome_answers(ws: Workspace, outcome: str, wave: str | None) -> int:
    """How many (respondent, wave) answered the outcome question."""
    r = ws.table("responses")
    r = r.filter(r.question_id == outcome)
    if wave is not None:
        r = r.filter(r.wave == wave)
    return int(r.count().execute())


def _bootstrap_shares(
    cp: CrossProducts, method: Method, replicates: int, seed: int
) -> FloatArray | None:
    """Shares of R^2 in each bootstrap replicate (replicates x p), or None without bootstrap."""
    if replicates <= 0:
        return None
    weights = bootstrap_weights(cp.buckets, replicates, seed)
    corr = _clean(cp.pooled(weights).correlation())
    if method == "relweights":
        return relative_weights(corr)
    workers = max(1, min(4, os.cpu_count() or 1))
    # replicates only set the interval: float32 sweeps (half the time) where they are exact
    # enough, i.e. no replicate is close to collinear
    single = well_conditioned(corr)
    # NumPy releases the GIL in its loops: threads over replicates use every core
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return np.stack(list(pool.map(partial(lmg_shares, single=single), corr)))


def _percentile(
    point: FloatArray, boot: FloatArray | None, n: int, alpha: float, method: str
) -> list[Estimate]:
    """Estimates with bootstrap percentile intervals (or no interval without bootstrap)."""
    out = []
    for i, value in enumerate(point):
        if boot is None or not np.isfinite(value):
            v = float(value) if np.isfinite(value) else None
            out.append(Estimate(v, None, None, n, method + " (no bootstrap: no interval)"))
            continue
        col = boot[:, i][np.isfinite(boot[:, i])]
        low, high = np.quantile(col, [alpha / 2, 1 - alpha / 2])
        out.append(Estimate(float(value), float(low), float(high), n, method))
    return out


def _performance(bank: pd.DataFrame, items: list[str], total: CrossProducts) -> list[float | None]:
    """Each item's mean as a percentage of its scale range (POMP)."""
    means = total.means()[0]
    out: list[float | None] = []
    for i, q in enumerate(items):
        scale = scale_of(bank, q)
        if scale is None or not np.isfinite(means[i]):
            out.append(None)
            continue
        out.append(float(100.0 * (means[i] - scale.low) / (scale.high - scale.low)))
    return out


def _quadrants(normalised: FloatArray, performance: list[float | None]) -> list[str | None]:
    """Importance x performance quadrant per item, split at the averages."""
    known = [p for p in performance if p is not None]
    if not known:
        return [None] * len(performance)
    perf_cut = float(np.mean(known))
    imp_cut = 1.0 / len(normalised)
    return [
        None if p is None else QUADRANTS[(bool(imp >= imp_cut), bool(p >= perf_cut))]
        for imp, p in zip(normalised, performance, strict=True)
    ]


def _penalty_reward(
    ws: Workspace, bank: pd.DataFrame, items: list[str], outcome: str, base: Any
) -> dict[str, tuple[float | None, float | None, float | None, str | None]]:
    """PRCA per item: (penalty, reward, p of |penalty| = reward, kind), by one regression of the
    outcome on bottom-box and top-box dummies of every item (normal equations from the
    engine's cross-products, complete cases). ``base``: the pivoted answers, items v0.. and
    the outcome last."""
    derived: dict[str, Any] = {"v0": base[f"v{len(items)}"]}
    dummies: list[tuple[str, str]] = []
    for i, q in enumerate(items):
        scale = scale_of(bank, q)
        if scale is None or scale.top_box_from - scale.bottom_box_to < 2:
            continue  # no middle category to contrast against (binary items)
        col = base[f"v{i}"]
        # a comparison with a missing answer stays NULL, so listwise drops that respondent
        derived[f"v{len(derived)}"] = engine.as_number((col <= scale.bottom_box_to), "float64")
        dummies.append((q, "low"))
        derived[f"v{len(derived)}"] = engine.as_number((col >= scale.top_box_from), "float64")
        dummies.append((q, "high"))
    wide = base.select("respondent_id", **derived)
    names = [outcome] + [f"{q}:{side}" for q, side in dummies]
    cp = cross_products(ws, names, missing="listwise", rows=wide).pooled()
    n = float(cp.n[0, 0, 0])
    cov = cp.covariance()[0]
    k = len(dummies)
    if n < k + 10:
        return {}
    # keep dummies with at least 5 respondents on each side: for a 0/1 column with c ones,
    # (n - 1) * variance = c (n - c) / n, which is >= 5 (n - 5) / n exactly when 5 <= c <= n - 5
    keep = [j for j in range(k) if cov[j + 1, j + 1] * (n - 1) >= 5 * (n - 5) / n - 1e-9]
    sxx = cov[np.ix_([j + 1 for j in keep], [j + 1 for j in keep])]
    sxy = cov[[j + 1 for j in keep], 0]
    inverse = np.linalg.pinv(sxx, hermitian=True)
    beta = inverse @ sxy
    dof = n - len(keep) - 1
    resid_var = (cov[0, 0] - beta @ sxy) * (n - 1) / dof
    beta_cov = resid_var * inverse / (n - 1)
    coef = {dummies[j]: (float(beta[a]), a) for a, j in enumerate(keep)}
    out: dict[str, tuple[float | None, float | None, float | None, str | None]] = {}
    for q in items:
        low, high = coef.get((q, "low")), coef.get((q, "high"))
        if low is None or high is None:
            out[q] = (low[0] if low else None, high[0] if high else None, None, None)
            continue
        (b_low, a_low), (b_high, a_high) = low, high
        # asymmetry d = |penalty| - reward = -b_low - b_high
        var_d = beta_cov[a_low, a_low] + beta_cov[a_high, a_high] + 2 * beta_cov[a_low, a_high]
        z_d = (-b_low - b_high) / np.sqrt(var_d)
        p_d = float(2 * stats.t.sf(abs(z_d), dof))
        p_low = 2 * stats.t.sf(abs(b_low / np.sqrt(beta_cov[a_low, a_low])), dof)
        p_high = 2 * stats.t.sf(abs(b_high / np.sqrt(beta_cov[a_high, a_high])), dof)
        if p_low >= 0.05 and p_high >= 0.05:
            kind = "low impact"
        elif p_d < 0.05:
            kind = "must-be" if z_d > 0 else "delighter"
        else:
            kind = "performance"
        out[q] = (b_low, b_high, p_d, kind)
    return out


def priority_gap(
    ws: Workspace,
    bank: pd.DataFrame,
    measured: dict[str, float],
    *,
    confidence: float = 0.95,
) -> PriorityGap | None:
    """Spearman between leaders' stated ranking and measured importance, or None when the
    bank holds no ranking questions (mirror audience, block "priority") for at least 4 of the
    measured items."""
    rank_q = bank[
        (bank["audience"] == "mirror")
        & (bank["block"] == PRIORITY_BLOCK)
        & bank["mirrors"].isin(list(measured))
    ]
    if len(rank_q) < 4:
        return None
    r = ws.table("responses")
    r = r.filter(r.question_id.isin(list(rank_q["question_id"])))
    staff = ws.table("respondents")
    leaders = staff.filter(staff.role.isin(["executive", "manager"]))
    if int(leaders.count().execute()) > 0:
        r = r.join(leaders.select("respondent_id"), "respondent_id")
    agg = (
        r.group_by("question_id")
        .aggregate(mean_rank=r.value.mean(), n=r.respondent_id.nunique())
        .execute()
    )
    respondents = int(r.respondent_id.nunique().execute() or 0)
    agg["item"] = agg["question_id"].map(rank_q.set_index("question_id")["mirrors"])
    agg = agg.dropna(subset=["item"])
    k = len(agg)
    if k < 4:
        return None
    stated = -agg["mean_rank"].to_numpy(dtype=float)
    measured_v = np.array([measured[i] for i in agg["item"]])
    rho = float(stats.spearmanr(stated, measured_v).statistic)
    method = "Spearman rho, Fisher-z interval (Bonett-Wright SE)"
    if k <= 3 or not np.isfinite(rho):
        est = Estimate.insufficient_data(k, method)
    else:
        z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
        se = np.sqrt((1 + rho**2 / 2) / (k - 3))
        crit = stats.norm.ppf(0.5 + confidence / 2)
        est = Estimate(
            rho, float(np.tanh(z - crit * se)), float(np.tanh(z + crit * se)), k, method, confidence
        )
    stated_rank = dict(zip(agg["item"], agg["mean_rank"].astype(float), strict=True))
    return PriorityGap(est, stated_rank, respondents)


def demo_summary(ws: Workspace, top: int = 3) -> str:
    """The top drivers of the NPS question, one line each (for ``realitygap demo``)."""
    # touchpoint items are answered by the customers who used the touchpoint: pairwise
    result = drivers(ws, missing="pairwise", bootstrap=50)
    if result.r2.insufficient:
        return f"Key drivers of {result.outcome}: {INSUFFICIENT} (n={result.n})"
    lines = [f"Top drivers of {result.outcome} (R^2 {result.r2.format(2)}):"]
    for d in result.ranked[:top]:
        est = d.normalised
        lines.append(
            f"  {d.rank}. {d.question_id} {d.text!r}: {est.value or 0:.0%} of the explained "
            f"variance [{est.low or 0:.0%}, {est.high or 0:.0%}]; {d.quadrant}"
        )
    return "\n".join(lines)
