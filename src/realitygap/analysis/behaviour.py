"""Stated vs revealed loyalty: what customers said against what they did afterwards.

Each customer's latest answer to the stated-loyalty question (default: the customer NPS
question; ``--wave`` restricts to one wave) is joined with their behaviour events; the
engine decides per customer whether they were retained, declining or churned in the
follow-up window (rule in :mod:`realitygap.analysis._activity`). From that:

- the **stated x revealed matrix**: NPS group (promoter 9-10, passive 7-8, detractor 0-6; for
  other scales top box / middle / bottom box) x retained / declining / churned / unknown;
- the **silent-attrition list**: stated promoters (top box) who declined or churned, ranked by
  value at risk, and the headline "N% of your promoters stopped buying within 6 months"
  (Wilson interval);
- **survival**: Kaplan-Meier retention by NPS group (time from answering to cancellation,
  censored at the end of the data), the log-rank test across groups, and a Cox regression of
  churn on each touchpoint score the customer gave in that wave (one model per item, hazard
  ratio per scale point, Efron ties). Kaplan-Meier is fitted on counts per (group, day, event)
  from the engine used as case weights; the Cox models on counts per (item, score, day,
  event) from the engine, exactly and on every customer (:mod:`realitygap.analysis._cox`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from statsmodels.stats.proportion import proportion_confint

from realitygap.analysis._activity import STATUSES, Windows, answered_activity, data_end
from realitygap.analysis._cox import cox_from_counts
from realitygap.analysis._items import (
    default_outcome,
    question_bank,
    rated_customer_items,
    require,
    scale_of,
)
from realitygap.analysis._result import INSUFFICIENT, MIN_N, Estimate, Values, plain
from realitygap.domain.errors import Problem, SurveyDataError, check_confidence
from realitygap.domain.scales import ScaleKind
from realitygap.store import engine
from realitygap.store.workspace import Workspace

GROUPS = ("promoter", "passive", "detractor")
SILENT_TOP = 100  # silent-attrition rows returned by default (the list grows with customers)


@dataclass(frozen=True)
class SurvivalGroup(Values):
    """Kaplan-Meier retention of one stated group at the horizon (interval from lifelines'
    exponential Greenwood bounds); ``customers`` and ``churned`` are counts."""

    group: str
    customers: int
    churned: int
    retention: Estimate
    curve: tuple[tuple[float, float], ...] = ()  # (time, KM retention), at most 100 points


@dataclass(frozen=True)
class BehaviourResult(Values):
    """Stated vs revealed loyalty (see the module docstring).

    ``matrix``: group, retained, declining, churned, unknown, customers, and the share
    columns share_retained, share_declining, share_churned (of customers with known status).
    ``silent``: customer_id, wave, answered_at, stated, status, base_n, follow_n, churn_at,
    value_at_risk; ranked by value at risk, the top ``silent_top`` of them (see
    :func:`behaviour`); ``silent_count`` and ``silent_value`` (value at risk a year) are the
    whole list's. ``promoters_stopped``/``promoters_silent``: share
    of promoters with known status who churned / who churned or declined.
    ``cox``: item, n, churned, hazard_ratio, low, high, p (per scale point, one model per
    item), or None; ``cox_n``: the largest n of those models.
    """

    question: str
    windows: Windows
    customers: int
    matrix: pd.DataFrame
    silent: pd.DataFrame
    promoters_stopped: Estimate
    promoters_silent: Estimate
    survival: tuple[SurvivalGroup, ...]
    logrank_p: float | None
    cox: pd.DataFrame | None
    cox_n: int
    notes: tuple[str, ...] = ()
    methods: tuple[str, ...] = field(default=())
    silent_count: int = 0
    silent_value: float = 0.0

    @property
    def headline(self) -> str:
        months = f"{self.windows.horizon_months:g} months"
        if self.promoters_stopped.insufficient:
            return f"Promoters who stopped buying within {months}: {INSUFFICIENT}"
        stopped = self.promoters_stopped.value or 0.0
        silent = self.promoters_silent.value or 0.0
        return (
            f"{stopped:.0%} of your promoters stopped buying within {months}; "
            f"{silent:.0%} stopped or cut their buying by more than "
            f"{self.windows.decline:.0%} ({self.silent_count} customers, value at risk "
            f"{self.silent_value:,.0f} a year)"
        )

    def to_frame(self) -> pd.DataFrame:
        """The stated x revealed matrix (columns as in the class docstring)."""
        return self.matrix

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "rule": self.windows.describe(),
            "customers": self.customers,
            "headline": self.headline,
            "matrix": plain(self.matrix),
            "promoters_stopped": self.promoters_stopped.to_dict(),
            "promoters_silent": self.promoters_silent.to_dict(),
            "silent": plain(self.silent),
            "silent_count": self.silent_count,
            "silent_value": self.silent_value,
            "survival": [plain(s) for s in self.survival],
            "logrank_p": self.logrank_p,
            "cox": plain(self.cox) if self.cox is not None else None,
            "cox_n": self.cox_n,
            "notes": list(self.notes),
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = [f"Stated ({self.question}) vs revealed loyalty, {self.customers} customers"]
        lines.append(f"  {self.headline}")
        for row in self.matrix.itertuples(index=False):
            lines.append(
                f"  {row.group:<10} retained {row.share_retained:6.1%}  declining "
                f"{row.share_declining:6.1%}  churned {row.share_churned:6.1%}  "
                f"(n={row.customers})"
            )
        for s in self.survival:
            months = f"{self.windows.horizon_months:g}"
            kept = s.retention.format(1, 100, "%")
            lines.append(f"  KM retention at {months} months, {s.group:<10} {kept}")
        if self.logrank_p is not None:
            lines.append(f"  log-rank test across groups: p = {self.logrank_p:.3g}")
        if self.cox is not None:
            lines.append("  Cox regression of churn on each score (hazard ratio per point):")
            for r in self.cox.itertuples(index=False):
                lines.append(
                    f"    {r.item:<12} HR {r.hazard_ratio:.3f} [{r.low:.3f}, {r.high:.3f}] "
                    f"p={r.p:.3g} n={r.n}"
                )
        for row in self.silent.head(10).itertuples(index=False):
            lines.append(
                f"  silent: {row.customer_id:<14} stated {row.stated:g}  {row.status:<9} "
                f"value at risk {row.value_at_risk:,.0f}"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def behaviour(
    ws: Workspace,
    question: str | None = None,
    *,
    wave: str | None = None,
    windows: Windows | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
    silent_top: int | None = SILENT_TOP,
) -> BehaviourResult:
    """Stated vs revealed loyalty: what customers said against what they did afterwards.

    Parameters
    ----------
    ws : Workspace
        An open workspace with behaviour events (purchases, renewals, cancellations).
    question : str, optional
        The stated-loyalty question (default: the customer NPS question); each customer's latest
        answer counts.
    wave : str, optional
        One wave only.
    windows : Windows, optional
        The activity rule (default ``Windows()``: 6 months of baseline and follow-up; a fall of
        the purchase rate by more than 50% is "declining").
    min_n : int, default 30
        Fewer customers than this give "insufficient data".
    confidence : float, default 0.95
        Level of every interval.
    silent_top : int or None, default 100
        How many of the silent-attrition list (ranked by value at risk, in the engine) to
        return; None for all of them. ``silent_count`` and ``silent_value`` are always the
        whole list's.

    Returns
    -------
    BehaviourResult
        ``headline`` ("N% of your promoters stopped buying within 6 months ..."),
        ``promoters_stopped`` / ``promoters_silent`` (Wilson), ``silent`` (the silent-attrition
        list: customer_id, wave, answered_at, stated, status, base_n, follow_n, churn_at,
        value_at_risk), ``survival`` (:class:`SurvivalGroup`: Kaplan-Meier retention per group),
        ``logrank_p``, ``cox`` (item, n, churned, hazard_ratio, low, high, p; or None).
        ``to_frame()`` is the stated x revealed matrix, one row per stated group:

        - ``group``: ``promoter`` (9-10), ``passive`` (7-8), ``detractor`` (0-6); on other
          scales top box / middle / bottom box;
        - ``retained``, ``declining``, ``churned``, ``unknown`` (too recent to judge),
          ``customers``: counts;
        - ``share_retained``, ``share_declining``, ``share_churned``: shares of the customers
          with a known status.

    Raises
    ------
    SurveyDataError
        No behaviour events, an unknown question, or a free-text question.

    References
    ----------
    Kaplan, E. L. and Meier, P. (1958). JASA 53. Mantel, N. (1966) and Peto, R. and Peto, J.
    (1972) (log-rank test). Cox, D. R. (1972). J. Royal Statistical Society B 34; Efron, B.
    (1977). JASA 72 (ties). Wilson, E. B. (1927). JASA 22.

    Examples
    --------
    >>> result = behaviour(ws)
    >>> print(result.headline)
    8% of your promoters stopped buying within 6 months; 15% stopped or cut their buying by more
    than 50% (22 customers, value at risk 11,740 a year)
    >>> cols = ["group", "customers", "share_retained", "share_declining", "share_churned"]
    >>> result.to_frame()[cols].round(2)
           group  customers  share_retained  share_declining  share_churned
    0   promoter        146            0.85             0.08           0.08
    1    passive        144            0.89             0.01           0.10
    2  detractor         98            0.68             0.04           0.28
    """
    check_confidence(confidence, min_n)
    windows = windows or Windows()
    bank = question_bank(ws)
    question = question or default_outcome(bank)
    require(bank, question, "the stated-loyalty question")
    scale = scale_of(bank, question)
    if scale is None:
        raise SurveyDataError(
            [Problem("questions", None, "scale", question, "a rated (not free-text) question")]
        )
    end = data_end(ws)
    if end is None:
        raise SurveyDataError(
            [Problem("events", None, None, None, "behaviour events (purchases, cancellations)")]
        )
    r = ws.table("responses")
    r = r.filter((r.question_id == question) & r.submitted_at.notnull())
    if wave is not None:
        r = r.filter(r.wave == wave)
    latest = r.mutate(
        _order=ibis.row_number().over(
            group_by=r.respondent_id, order_by=[r.submitted_at.desc(), r.wave.desc()]
        )
    )
    latest = latest.filter(latest["_order"] == 0).select(
        "respondent_id", "wave", stated=latest.value
    )
    top, bottom = scale.top_box_from, scale.bottom_box_to
    # the activity shared with the audit (computed once per workspace version); the anchor is
    # the respondent's first answer of that wave
    act = answered_activity(ws, windows, end).join(latest, ["respondent_id", "wave"])
    act = act.mutate(
        group=ibis.cases(
            (act.stated >= top, GROUPS[0]), (act.stated <= bottom, GROUPS[2]), else_=GROUPS[1]
        )
    )
    # materialise once in the engine (a temporary table): every figure below reads it
    act = act.cache()
    matrix = _matrix(act)
    customers = int(matrix["customers"].sum())
    silent_rows = act.filter((act.group == GROUPS[0]) & act.status.isin(["declining", "churned"]))
    totals = silent_rows.aggregate(n=silent_rows.count(), value=silent_rows.value_at_risk.sum())
    silent_total = totals.execute().iloc[0]
    # ranked and cut in the engine: only the top of the list comes back to Python
    silent_rows = silent_rows.order_by([ibis.desc("value_at_risk"), "respondent_id"])
    if silent_top is not None:
        silent_rows = silent_rows.limit(silent_top)
    silent = silent_rows.select(
        customer_id=silent_rows.respondent_id,
        wave=silent_rows.wave,
        answered_at=silent_rows.t0,
        stated=silent_rows.stated,
        status=silent_rows.status,
        base_n=silent_rows.base_n,
        follow_n=silent_rows.follow_n,
        churn_at=silent_rows.churn_at,
        value_at_risk=silent_rows.value_at_risk,
    ).execute()
    stopped, silent_share = _promoter_shares(matrix, min_n, confidence)
    survival, logrank_p = _survival(act, end, windows, min_n, confidence)
    items = [
        q
        for q in rated_customer_items(bank, exclude=(question,))
        if bank.loc[q, "scale"] != ScaleKind.BINARY.value
    ]
    cox, cox_n, notes = _cox(ws, act, end, items, min_n)
    act.release()  # drop the temporary table now, not when the connection may be closed
    labels = (
        "promoter 9-10 / passive 7-8 / detractor 0-6"
        if scale.kind == ScaleKind.NPS
        else f"top box >= {top} / middle / bottom box <= {bottom}"
    )
    methods = (
        f"stated groups: {labels}",
        windows.describe(),
        "Kaplan-Meier by group on engine counts; log-rank test (lifelines)",
        "Cox proportional hazards of churn per item score, Efron ties, fitted on engine counts",
    )
    return BehaviourResult(
        question,
        windows,
        customers,
        matrix,
        silent,
        stopped,
        silent_share,
        survival,
        logrank_p,
        cox,
        cox_n,
        tuple(notes),
        methods,
        int(silent_total["n"]),
        float(silent_total["value"] or 0.0),
    )


def _matrix(act: Any) -> pd.DataFrame:
    """Counts per stated group x status from the engine, with shares of known status."""
    counts = act.group_by(["group", "status"]).aggregate(n=act.count()).execute()
    table = counts.pivot_table(index="group", columns="status", values="n", fill_value=0)
    table = table.reindex(index=list(GROUPS), columns=[*STATUSES, "unknown"], fill_value=0)
    table = table.astype(int)
    known = table[list(STATUSES)].sum(axis=1)
    table["customers"] = table[[*STATUSES, "unknown"]].sum(axis=1)
    for status in STATUSES:
        table[f"share_{status}"] = (table[status] / known.where(known > 0)).astype(float)
    table.columns.name = None
    out: pd.DataFrame = table.reset_index(names="group")
    return out


def _promoter_shares(
    matrix: pd.DataFrame, min_n: int, confidence: float
) -> tuple[Estimate, Estimate]:
    """Share of promoters (known status) who churned, and who churned or declined (Wilson)."""
    promoters = matrix[matrix["group"] == GROUPS[0]].iloc[0]
    row = {status: int(promoters[status]) for status in STATUSES}
    n = row["retained"] + row["declining"] + row["churned"]
    out = []
    for k, method in (
        (row["churned"], "promoters who churned, Wilson interval"),
        (row["churned"] + row["declining"], "promoters who churned or declined, Wilson"),
    ):
        if n < min_n:
            out.append(Estimate.insufficient_data(n, method))
            continue
        low, high = proportion_confint(k, n, 1 - confidence, "wilson")
        out.append(Estimate(k / n, float(low), float(high), n, method, confidence))
    return out[0], out[1]


def _durations(act: Any, end: Any) -> Any:
    """Days from answering to cancellation (event 1) or to the end of the data (event 0)."""
    stop = ibis.coalesce(act.churn_at, ibis.literal(end, type="timestamp"))
    days = ((stop.epoch_seconds() - act.t0.epoch_seconds()) / 86400.0).floor().cast("int64")
    return act.mutate(
        duration=ibis.greatest(days, 0), event=engine.as_number(act.churn_at.notnull(), "int64")
    )


def _survival(
    act: Any, end: Any, windows: Windows, min_n: int, confidence: float
) -> tuple[tuple[SurvivalGroup, ...], float | None]:
    """Kaplan-Meier per group at the horizon and the log-rank p, from (group, day, event)
    counts."""
    d = _durations(act, end)
    counts = d.group_by(["group", "duration", "event"]).aggregate(w=d.count()).execute()
    return survival_by_group(
        counts, float(windows.horizon_days), min_n=min_n, confidence=confidence
    )


def survival_by_group(
    counts: pd.DataFrame,
    horizon: float,
    *,
    groups: tuple[str, ...] = GROUPS,
    min_n: int = MIN_N,
    confidence: float = 0.95,
) -> tuple[tuple[SurvivalGroup, ...], float | None]:
    """Kaplan-Meier retention per group at ``horizon`` and the log-rank p across groups.

    ``counts`` has one row per (group, duration, event) with the count ``w`` (case weights):
    duration in any time unit, event 1 = churned, 0 = still a customer (censored).
    """
    out = []
    method = "Kaplan-Meier retention at the horizon, exponential Greenwood interval"
    for group in groups:
        g = counts[counts["group"] == group]
        n = int(g["w"].sum())
        churned = int(g.loc[g["event"] == 1, "w"].sum())
        if n < min_n:
            out.append(SurvivalGroup(group, n, churned, Estimate.insufficient_data(n, method)))
            continue
        km = KaplanMeierFitter(alpha=1 - confidence).fit(g["duration"], g["event"], weights=g["w"])
        value = float(km.predict(horizon))
        ci = km.confidence_interval_survival_function_
        at = ci.index[ci.index <= horizon].max()
        low, high = (float(x) for x in ci.loc[at])
        sf = km.survival_function_.iloc[:, 0]
        sf = sf[sf.index <= horizon]
        step = max(1, len(sf) // 100)
        curve = tuple((float(t), float(v)) for t, v in sf.iloc[::step].items())
        out.append(SurvivalGroup(group, n, churned, Estimate(value, low, high, n, method), curve))
    usable = counts[
        counts["group"].isin([s.group for s in out if not s.retention.insufficient])
    ].reset_index(drop=True)  # lifelines aligns its inputs by index
    p = None
    if usable["group"].nunique() >= 2:
        test = multivariate_logrank_test(
            usable["duration"], usable["group"], usable["event"], weights=usable["w"]
        )
        p = float(test.p_value)
    return tuple(out), p


def _cox(
    ws: Workspace, act: Any, end: Any, items: list[str], min_n: int
) -> tuple[pd.DataFrame | None, int, list[str]]:
    """One Cox model of churn per item score given in the same wave, on every customer who
    answered it: the engine counts customers per (item, score, day, event), which is all
    Efron's partial likelihood needs."""
    if not items:
        return None, 0, []
    d = _durations(act, end).select("respondent_id", "wave", "duration", "event")
    r = ws.table("responses")
    r = r.filter(r.question_id.isin(items) & r.value.notnull())
    rows = d.join(
        r.select("respondent_id", "wave", "question_id", "value"), ["respondent_id", "wave"]
    )
    counts = (
        rows.group_by(["question_id", "value", "duration", "event"])
        .aggregate(count=rows.count())
        .execute()
        .rename(columns={"question_id": "item", "value": "score"})
    )
    cox, skipped = cox_per_item_counts(counts, min_n)
    notes = [
        f"Cox model of {item}: no finite hazard ratio (every churner gave the highest, or "
        "every churner the lowest, score of those still customers)"
        for item in skipped
    ]
    largest = int(cox["n"].max()) if cox is not None else 0
    return cox, largest, notes


def cox_per_item(frame: pd.DataFrame, min_n: int = MIN_N) -> pd.DataFrame | None:
    """One Cox model (Efron ties) of churn on the score, per item, from customer rows.

    ``frame``: one row per customer and item with item, score, duration, event (1 = churned).
    The rows are counted per (item, score, duration, event) and fitted as in
    :func:`cox_per_item_counts`, which gives the same figures as lifelines' CoxPHFitter on
    the rows.
    """
    counts = (
        frame.assign(event=frame["event"].astype(int))
        .groupby(["item", "score", "duration", "event"])
        .size()
        .rename("count")
        .reset_index()
    )
    return cox_per_item_counts(counts, min_n)[0]


def cox_per_item_counts(
    counts: pd.DataFrame, min_n: int = MIN_N
) -> tuple[pd.DataFrame | None, list[str]]:
    """One Cox model of churn on the score per item, from counts of customers.

    ``counts``: item, score, duration, event (1 = churned), count. Returns item, n, churned,
    hazard_ratio, low, high (95%), p per scale point of the score (None when no item has
    ``min_n`` customers, 5 churners and two distinct scores), and the items that passed that
    rule but have no finite estimate (see :func:`realitygap.analysis._cox.cox_from_counts`).
    """
    out = []
    skipped = []
    for item, g in counts.groupby("item", sort=True):
        n = int(g["count"].sum())
        events = int(g.loc[g["event"] == 1, "count"].sum())
        if n < min_n or events < 5 or g["score"].nunique() < 2:
            continue
        fit = cox_from_counts(g)
        if fit is None:
            skipped.append(str(item))
            continue
        out.append(
            {
                "item": str(item),
                "n": n,
                "churned": events,
                "hazard_ratio": fit.hazard_ratio,
                "low": fit.low,
                "high": fit.high,
                "p": fit.p,
            }
        )
    return (pd.DataFrame(out) if out else None), skipped


def demo_summary(ws: Workspace) -> str:
    """The silent-attrition headline and the top of the list (for ``realitygap demo``)."""
    result = behaviour(ws)
    lines = [result.headline]
    for row in result.silent.head(3).itertuples(index=False):
        lines.append(
            f"  {row.customer_id}: said {row.stated:g}, {row.status}, value at risk "
            f"{row.value_at_risk:,.0f} a year"
        )
    return "\n".join(lines)
