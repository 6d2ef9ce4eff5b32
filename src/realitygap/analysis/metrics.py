"""Customer metrics with honest uncertainty: NPS, CSAT top-2-box, CES, means, box shares, the
CX index, broken down by any respondent attribute, wave, month, touchpoint or layer, with the
significance of each change between periods.

The engine counts answers per group, question and answer value (with the sums of weights and
squared weights when the respondents are raked); every statistic and interval is computed in
NumPy/SciPy from those cells, using Kish's effective n when weighted. Below ``min_n`` answers
an estimate is "insufficient data".

Metrics per answer scale (``metric`` column):

- ``nps`` scale: ``nps`` (points, -100..100), ``promoters`` (9-10), ``passives`` (7-8),
  ``detractors`` (0-6), ``mean``;
- ``likert5``/``likert7``: ``mean``, ``top2box`` (CSAT: 4-5 of 5, 6-7 of 7), ``top_box``
  (highest answer only), ``bottom2box``, ``bottom_box``;
- ``ces7``: ``ces`` (mean effort score, 7 = very easy), ``top2box``, ``bottom2box``;
- ``binary``: ``share`` (share answering 1).

The CX index (Forrester's classic form) is computed per respondent over a set of items: the
share of the items the respondent put in the top-2 box minus the share in the bottom-2 box,
times 100; the index of a group is the mean over its respondents, with a t interval (answers of
one respondent are not independent, so respondents, not answers, are the units).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from realitygap.analysis import _stats
from realitygap.analysis._result import MIN_N, Estimate, Values
from realitygap.analysis.weighting import Raking
from realitygap.domain.errors import check_choice, check_confidence
from realitygap.domain.scales import RATED_SCALES, SCALES, ScaleKind
from realitygap.store import engine
from realitygap.store.workspace import Workspace

PERIODS = ("wave", "month")
QUESTION_ATTRIBUTES = ("touchpoint", "layer")
CX_SCALES = (ScaleKind.LIKERT5, ScaleKind.LIKERT7)
# The metric whose change between periods is tested, per scale.
TREND_METRIC = {
    "nps": "nps",
    "likert5": "top2box",
    "likert7": "top2box",
    "ces7": "ces",
    "binary": "share",
}
# Metrics in points or scale units; every other metric is a share in 0..1.
POINT_METRICS = frozenset({"nps", "cx_index", "mean", "ces"})

Group = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class Metric(Values):
    """One metric of one question in one group (``group`` pairs each --by column with its
    value); ``index`` rows have question_id None and metric cx_index/top2box/bottom2box."""

    group: Group
    question_id: str | None
    scale: str | None
    metric: str
    estimate: Estimate

    def text(self) -> str:
        """The estimate as a reader sees it: points for NPS, the CX index and means (two
        decimals for means), percent for shares."""
        if self.metric in POINT_METRICS:
            return self.estimate.format(2 if self.metric in {"mean", "ces"} else 1)
        return self.estimate.format(1, 100, "%")

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.group)
        out.update(question_id=self.question_id, scale=self.scale, metric=self.metric)
        out.update(self.estimate.to_dict())
        return out


@dataclass(frozen=True)
class Change(Values):
    """The change of a metric from one period to the next within one segment.

    ``change.value`` is later minus earlier (same units as the metric), with its interval;
    ``p_value`` the test of no change (NPS: two-sample z; shares: pooled two-proportion z;
    means: Welch t) and ``p_holm`` Holm-adjusted across the segments of the same question,
    metric and pair of periods.
    """

    group: Group
    question_id: str
    metric: str
    period: str
    earlier: str
    later: str
    change: Estimate
    p_value: float | None
    p_holm: float | None

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.group)
        out.update(
            question_id=self.question_id,
            metric=self.metric,
            period=self.period,
            earlier=self.earlier,
            later=self.later,
        )
        out.update(self.change.to_dict("change_"))
        out.update(p_value=self.p_value, p_holm=self.p_holm)
        return out


@dataclass(frozen=True)
class MetricsResult(Values):
    """Metrics per question and group (``items``), the CX index per group (``index``) and
    changes between consecutive periods (``trends``, when --by has wave or month).

    ``to_frame()`` columns: the --by columns, question_id, scale, metric, value, low, high, n
    (answers), method, confidence, n_effective (Kish, when weighted). ``trend_frame()``
    columns: the non-period --by columns, question_id, metric, period, earlier, later,
    change_value/low/high/n/method, p_value, p_holm.
    """

    by: tuple[str, ...]
    items: tuple[Metric, ...]
    index: tuple[Metric, ...]
    trends: tuple[Change, ...]
    weighting: str | None
    nps_method: str
    min_n: int = MIN_N
    methods: tuple[str, ...] = field(
        default=(
            "NPS = % promoters (9-10) - % detractors (0-6); score interval for a difference of "
            "two multinomial shares (Tango 1998; Rocks 2016) unless another method is chosen",
            "Shares (top/bottom box, CSAT top-2-box): Wilson score interval",
            "Means (CES, scale means): Student t interval",
            "CX index: per-respondent % top-2-box - % bottom-2-box over the items, mean over "
            "respondents with a t interval",
            "Weighted: Kish effective n in every interval",
            "Period changes: z (NPS, shares) or Welch t (means); Holm across segments",
        )
    )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([m.row() for m in self.items + self.index])

    def trend_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.row() for c in self.trends])

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": list(self.by),
            "weighting": self.weighting,
            "nps_method": self.nps_method,
            "min_n": self.min_n,
            "items": [m.row() for m in self.items],
            "index": [m.row() for m in self.index],
            "trends": [c.row() for c in self.trends],
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = [f"Metrics{' by ' + ', '.join(self.by) if self.by else ''}"]
        if self.weighting:
            lines.append(f"  weighted: {self.weighting}")
        for m in self.items + self.index:
            where = ", ".join(f"{k}={v}" for k, v in m.group)
            what = m.question_id or "CX index items"
            lines.append(f"  {what:<12} {m.metric:<11} {m.text()}  {where}".rstrip())
        significant = [c for c in self.trends if c.p_holm is not None and c.p_holm < 0.05]
        if significant:
            lines.append("Significant changes (Holm p < 0.05)")
            for c in significant:
                where = ", ".join(f"{k}={v}" for k, v in c.group)
                lines.append(
                    f"  {c.question_id} {c.metric} {c.earlier} -> {c.later}: "
                    f"{c.change.format(1)} p={c.p_holm:.3g} {where}".rstrip()
                )
        return "\n".join(lines)


# ---- the engine side ------------------------------------------------------------------------
def check_by(ws: Workspace, by: Sequence[str]) -> list[str]:
    """Validate --by columns: wave, month, touchpoint, layer or a respondents column."""
    allowed = [*PERIODS, *QUESTION_ATTRIBUTES, *ws.columns("respondents")]
    choices = sorted(set(allowed) - {"respondent_id"})
    for b in by:
        check_choice("by", b, choices)
    return list(dict.fromkeys(by))


def customer_answers(
    ws: Workspace,
    weights: Raking | None = None,
    scales: Sequence[str] = RATED_SCALES,
    respondent_columns: Sequence[str] | None = None,
) -> ir.Table:
    """Customer answers to customer questions on ``scales``, one row per answer: the response
    columns, the question's scale/touchpoint/layer, ``respondent_columns`` of the respondent
    (None = all of them), ``month`` (YYYY-MM of submitted_at) and ``weight`` (1 unless raked
    weights are given).

    With no respondent column and no weights, staff answers are removed by an anti-join with
    the (few) staff respondents instead of a join with every customer: the same rows when
    every answer's respondent is in ``respondents``, at half the engine's cost.
    """
    r = ws.table("responses")
    q = ws.table("questions")
    q = q.filter((q.audience == "customer") & q.scale.isin([str(s) for s in scales]))
    p = ws.table("respondents")
    j = r.join(q.select("question_id", "scale", "touchpoint", "layer"), "question_id")
    if respondent_columns is not None and not respondent_columns and weights is None:
        others = p.filter(p.kind != "customer").select("respondent_id")
        j = j.join(others, "respondent_id", how="anti")
    else:
        customers = p.filter(p.kind == "customer").drop("kind")
        if respondent_columns is not None:
            customers = customers.select("respondent_id", *respondent_columns)
        j = j.join(customers, "respondent_id")
    j = j.mutate(month=j.submitted_at.strftime("%Y-%m"))
    if weights is None:
        return j.mutate(weight=ibis.literal(1.0))
    return j.join(weights.respondent_weights(ws), "respondent_id")


def value_cells(answers: ir.Table, keys: Sequence[str]) -> pd.DataFrame:
    """Per ``keys`` and answer value: n (answers), sw (sum of weights), sw2 (of squares)."""
    cells: pd.DataFrame = (
        answers.group_by([*keys, "value"])
        .agg(n=answers.count(), sw=answers.weight.sum(), sw2=(answers.weight**2).sum())
        .execute()
    )
    return cells


# ---- the statistics side --------------------------------------------------------------------
@dataclass(frozen=True)
class Moments:
    """Sums of one group of answers, enough for every metric on a closed scale."""

    n: int
    sw: float
    sw2: float
    swx: float
    swx2: float
    w_top2: float
    w_top1: float
    w_bottom2: float
    w_bottom1: float
    weighted: bool

    @property
    def n_eff(self) -> float:
        return _stats.kish_n_eff(self.sw, self.sw2)


def group_moments(cells: pd.DataFrame, keys: list[str], scale_of: dict[str, str]) -> pd.DataFrame:
    """Collapse value cells to one row of sums per ``keys`` (which include question_id).

    Output columns: keys, n, sw, sw2, swx, swx2, w_top2, w_top1, w_bottom2, w_bottom1.
    """
    c = cells.copy()
    scale = c["question_id"].map(scale_of)
    spec = {k: SCALES[ScaleKind(k)] for k in set(scale_of.values())}
    top2 = scale.map({k: s.top_box_from for k, s in spec.items()}).astype(float)
    bottom2 = scale.map({k: s.bottom_box_to for k, s in spec.items()}).astype(float)
    high = scale.map({k: s.high for k, s in spec.items()}).astype(float)
    low = scale.map({k: s.low for k, s in spec.items()}).astype(float)
    v, w = c["value"].astype(float), c["sw"].astype(float)
    c["swx"] = w * v
    c["swx2"] = w * v * v
    c["w_top2"] = w * (v >= top2)
    c["w_top1"] = w * (v >= high)
    c["w_bottom2"] = w * (v <= bottom2)
    c["w_bottom1"] = w * (v <= low)
    cols = ["n", "sw", "sw2", "swx", "swx2", "w_top2", "w_top1", "w_bottom2", "w_bottom1"]
    out: pd.DataFrame = c.groupby(keys, dropna=False, sort=True)[cols].sum().reset_index()
    return out


def share_estimate(
    w_k: float, m: Moments, min_n: int, method: str, confidence: float = 0.95
) -> Estimate:
    """A share of the group's answers with its Wilson interval (effective n when weighted)."""
    if m.sw <= 0:
        return Estimate.insufficient_data(m.n, method, confidence)
    return _stats.wilson_estimate(
        w_k / m.sw * m.n,
        m.n,
        min_n,
        method,
        confidence,
        n_effective=m.n_eff if m.weighted else None,
    )


def mean_estimate(m: Moments, min_n: int, method: str, confidence: float = 0.95) -> Estimate:
    """A mean with its t interval (effective n when weighted)."""
    if m.sw <= 0:
        return Estimate.insufficient_data(m.n, method, confidence)
    n_eff = m.n_eff
    mean, var = _stats.weighted_moments(m.sw, m.swx, m.swx2, n_eff)
    return _stats.mean_estimate(
        mean, var, m.n, min_n, method, confidence, n_effective=n_eff if m.weighted else None
    )


def nps_estimate(
    m: Moments, min_n: int, method: str = _stats.DEFAULT_NPS_METHOD, confidence: float = 0.95
) -> Estimate:
    """NPS in points (-100..100) with its interval (see :func:`_stats.nps_estimate`)."""
    if m.sw <= 0:
        return Estimate.insufficient_data(m.n, f"NPS, {method}", confidence)
    return _stats.nps_estimate(
        m.w_top2 / m.sw,
        m.w_bottom2 / m.sw,
        m.n,
        min_n,
        method,
        confidence,
        n_effective=m.n_eff if m.weighted else None,
    )


def moments_of(row: dict[Any, Any], weighted: bool) -> Moments:
    return Moments(
        int(row["n"]),
        float(row["sw"]),
        float(row["sw2"]),
        float(row["swx"]),
        float(row["swx2"]),
        float(row["w_top2"]),
        float(row["w_top1"]),
        float(row["w_bottom2"]),
        float(row["w_bottom1"]),
        weighted,
    )


def question_metrics(
    scale: str, m: Moments, min_n: int, nps_method: str, confidence: float = 0.95
) -> dict[str, Estimate]:
    """Every metric of one question's answers in one group (see the module docstring)."""
    if scale == ScaleKind.NPS:
        passives = m.sw - m.w_top2 - m.w_bottom2
        return {
            "nps": nps_estimate(m, min_n, nps_method, confidence),
            "promoters": share_estimate(m.w_top2, m, min_n, "promoters 9-10, Wilson", confidence),
            "passives": share_estimate(passives, m, min_n, "passives 7-8, Wilson", confidence),
            "detractors": share_estimate(
                m.w_bottom2, m, min_n, "detractors 0-6, Wilson", confidence
            ),
            "mean": mean_estimate(m, min_n, "mean, t interval", confidence),
        }
    if scale == ScaleKind.BINARY:
        return {"share": share_estimate(m.w_top2, m, min_n, "share of 1, Wilson", confidence)}
    if scale == ScaleKind.CES7:
        return {
            "ces": mean_estimate(m, min_n, "CES mean, t interval", confidence),
            "top2box": share_estimate(m.w_top2, m, min_n, "top-2-box, Wilson", confidence),
            "bottom2box": share_estimate(m.w_bottom2, m, min_n, "bottom-2-box, Wilson", confidence),
        }
    return {
        "mean": mean_estimate(m, min_n, "mean, t interval", confidence),
        "top2box": share_estimate(m.w_top2, m, min_n, "top-2-box (CSAT), Wilson", confidence),
        "top_box": share_estimate(m.w_top1, m, min_n, "top box, Wilson", confidence),
        "bottom2box": share_estimate(m.w_bottom2, m, min_n, "bottom-2-box, Wilson", confidence),
        "bottom_box": share_estimate(m.w_bottom1, m, min_n, "bottom box, Wilson", confidence),
    }


def _respondent_keys(ws: Workspace, by: Sequence[str]) -> list[str]:
    """The --by columns that come from the respondents table."""
    special = {*PERIODS, *QUESTION_ATTRIBUTES}
    return [b for b in by if b not in special and b in ws.columns("respondents")]


def _scale_of(ws: Workspace) -> dict[str, str]:
    q = ws.table("questions")
    frame = q.filter(q.scale.isin([str(s) for s in RATED_SCALES])).select("question_id", "scale")
    rows = frame.execute()
    return dict(zip(rows["question_id"], rows["scale"], strict=True))


def label_of(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    return str(value)


def metrics(
    ws: Workspace,
    *,
    by: Sequence[str] = (),
    weights: Raking | None = None,
    nps_method: str = _stats.DEFAULT_NPS_METHOD,
    min_n: int = MIN_N,
    confidence: float = 0.95,
    questions: Sequence[str] | None = None,
    cx_items: Sequence[str] | None = None,
) -> MetricsResult:
    """Metrics of every customer question (or of ``questions``) per group of ``by``.

    Parameters
    ----------
    ws : Workspace
        An open workspace (read-only is enough).
    by : sequence of str, default ()
        Breakdowns, like the CLI's ``--by``: ``wave``, ``month`` (YYYY-MM of the answer),
        ``touchpoint``, ``layer`` or any respondents column (``segment``, ``region``, ``plan`` or
        an imported attribute). With ``wave`` or ``month`` the changes between consecutive periods
        are tested (:meth:`MetricsResult.trend_frame`). ``touchpoint`` and ``layer`` break down
        the CX index only: a question belongs to one touchpoint and one layer already.
    weights : Raking, optional
        Customer weights from :func:`rake`; every interval then uses Kish's effective n.
    nps_method : {"score", "adjusted-wald", "wald", "bootstrap"}, default "score"
        Interval of the NPS (``NPS_METHODS``): Tango's score interval by default (exact
        coverage 93.4-96.9% at n >= 30, docs/metrics.md).
    min_n : int, default 30
        Fewer answers than this give "insufficient data" (value, low and high None).
    confidence : float, default 0.95
        Level of every interval, strictly between 0 and 1.
    questions : sequence of str, optional
        Question ids to report (default: every rated customer question).
    cx_items : sequence of str, optional
        The likert items of the CX index (default: every customer likert item, or the likert
        items among ``questions``).

    Returns
    -------
    MetricsResult
        ``items`` (one :class:`Metric` per question, metric and group), ``index`` (the CX index
        rows; both in ascending order of the ``by`` groups, missing values last) and
        ``trends`` (:class:`Change` between periods). ``to_frame()`` has one row per metric
        with the columns:

        - one column per ``by`` entry: the group (None on rows it does not apply to);
        - ``question_id``, ``scale``: the question (None on CX index rows);
        - ``metric``: ``nps``, ``promoters``, ``passives``, ``detractors``, ``mean`` (NPS scale);
          ``mean``, ``top2box`` (CSAT), ``top_box``, ``bottom2box``, ``bottom_box`` (likert);
          ``ces``, ``top2box``, ``bottom2box`` (CES); ``share`` (binary); ``cx_index``,
          ``top2box``, ``bottom2box`` (CX index rows);
        - ``value``, ``low``, ``high``: the estimate and its interval, NPS and CX index in points
          (-100..100), means in scale points, shares in 0..1;
        - ``n``: answers (respondents for the CX index); ``method``; ``confidence``;
        - ``n_effective``: Kish's effective n when weighted, else None.

        ``trend_frame()``: the non-period ``by`` columns, ``question_id``, ``metric`` (the tested
        one: nps, top2box, ces or share), ``period`` (wave or month), ``earlier``, ``later``,
        ``change_value``, ``change_low``, ``change_high`` (later minus earlier), ``change_n``,
        ``change_method``, ``change_confidence``, ``change_n_effective``, ``p_value`` and
        ``p_holm`` (Holm-adjusted across the segments of one question and pair of periods).

    Raises
    ------
    ArgumentError
        A ``by`` column that is not one of the choices above, an unknown ``nps_method``, a
        ``confidence`` outside (0, 1) or ``min_n`` below 1; the message names the parameter.

    References
    ----------
    Reichheld, F. (2003). The one number you need to grow. Harvard Business Review.
    Rocks, B. (2016). Interval estimation for the Net Promoter Score. The American
    Statistician 70(4) (adjusted Wald interval).
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22 (shares). Kish, L. (1965). Survey Sampling (effective n). Holm, S. (1979). A simple
    sequentially rejective multiple test procedure. Scand. J. Statistics 6. Newcombe, R. G.
    (1998). Interval estimation for the difference between independent proportions. Statistics
    in Medicine 17 (share changes). Forrester's CX Index (the per-respondent net top-2-box).

    Examples
    --------
    The NPS of the example company's segments:

    >>> result = metrics(ws, questions=["nps"], by=["segment"])
    >>> frame = result.to_frame()
    >>> frame[frame.metric == "nps"][["segment", "value", "low", "high", "n"]].round(1)
        segment  value   low  high    n
    0       new   -7.6 -21.0   6.2  132
    5   regular    8.6  -1.8  18.8  232
    10      vip   25.9   4.9  44.5   54

    Changes of the website item's CSAT (top-2-box share) between waves, Holm-adjusted:

    >>> trend = metrics(ws, questions=["q01"], by=["wave"]).trend_frame()
    >>> trend[["earlier", "later", "change_value", "p_value", "p_holm"]].round(3)
       earlier    later  change_value  p_value  p_holm
    0  2024-Q3  2024-Q4        -0.167    0.017   0.017
    1  2024-Q4  2025-Q1         0.144    0.047   0.047
    2  2025-Q1  2025-Q2        -0.039    0.593   0.593

    A bad argument names the parameter:

    >>> metrics(ws, nps_method="exact")
    Traceback (most recent call last):
    ...
    realitygap.domain.errors.ArgumentError: nps_method='exact': expected one of 'score',
    'adjusted-wald', 'wald', 'bootstrap'
    """
    check_choice("nps_method", nps_method, _stats.NPS_METHODS)
    check_confidence(confidence, min_n)
    by = check_by(ws, by)
    scale_of = _scale_of(ws)
    answers = customer_answers(ws, weights, respondent_columns=_respondent_keys(ws, by))
    if questions is not None:
        answers = answers.filter(answers.question_id.isin(list(questions)))
    row_keys = [b for b in by if b not in QUESTION_ATTRIBUTES]
    weighted = weights is not None
    cells = value_cells(answers, [*row_keys, "question_id"])
    sums = group_moments(cells, [*row_keys, "question_id"], scale_of)
    items: list[Metric] = []
    for d in sums.to_dict(orient="records"):
        group: Group = tuple((k, label_of(d[k])) for k in row_keys)
        qid = str(d["question_id"])
        found = question_metrics(
            scale_of[qid], moments_of(d, weighted), min_n, nps_method, confidence
        )
        items.extend(Metric(group, qid, scale_of[qid], name, est) for name, est in found.items())
    if cx_items is None and questions is not None:
        cx_items = list(questions)  # the index then covers the chosen likert questions only
    index: tuple[Metric, ...] = ()
    if cx_items is None or any(scale_of.get(q) in CX_SCALES for q in cx_items):
        index = cx_index(
            ws, by, weights=weights, items=cx_items, min_n=min_n, confidence=confidence
        )
    trends: tuple[Change, ...] = ()
    periods = [p for p in row_keys if p in PERIODS]
    if periods:
        order = period_order(ws, periods[0], [label_of(v) for v in sums[periods[0]]])
        trends = _trends(sums, row_keys, order, scale_of, min_n, confidence, weighted)
    label = str(weights) if weights is not None else None
    return MetricsResult(tuple(by), tuple(items), index, trends, label, nps_method, min_n)


def cx_index(
    ws: Workspace,
    by: Sequence[str] = (),
    *,
    weights: Raking | None = None,
    items: Sequence[str] | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
) -> tuple[Metric, ...]:
    """The CX index (per-respondent % top-2-box minus % bottom-2-box over ``items``, times
    100, averaged over respondents) and the respondent-level top-2-box and bottom-2-box shares,
    per group of ``by`` (which may include touchpoint and layer: then each respondent's score
    uses the items of that touchpoint or layer). Groups come in ascending order of ``by``
    (missing values last), as the items of :func:`metrics` do, on every engine."""
    answers = customer_answers(ws, weights, CX_SCALES, _respondent_keys(ws, by))
    if items is not None:
        answers = answers.filter(answers.question_id.isin(list(items)))
    top_from = ibis.cases(
        *[(answers.scale == str(k), SCALES[k].top_box_from) for k in CX_SCALES], else_=99
    )
    bottom_to = ibis.cases(
        *[(answers.scale == str(k), SCALES[k].bottom_box_to) for k in CX_SCALES], else_=-99
    )
    a = answers.mutate(
        top=engine.as_number(answers.value >= top_from, "float64"),
        bottom=engine.as_number(answers.value <= bottom_to, "float64"),
    )
    keys = list(by)
    per_resp = a.group_by([*keys, "respondent_id"]).agg(
        top=a.top.mean(), bottom=a.bottom.mean(), w=a.weight.max()
    )
    per_resp = per_resp.mutate(net=100 * (per_resp.top - per_resp.bottom))
    aggs: dict[str, Any] = {"n": per_resp.count(), "sw": per_resp.w.sum()}
    aggs["sw2"] = (per_resp.w**2).sum()
    for score in ("net", "top", "bottom"):
        aggs[f"swx_{score}"] = (per_resp.w * per_resp[score]).sum()
        aggs[f"swx2_{score}"] = (per_resp.w * per_resp[score] ** 2).sum()
    sums: pd.DataFrame = (
        per_resp.group_by(keys).agg(**aggs).execute()
        if keys
        else (per_resp.aggregate(**aggs).execute())
    )
    if keys:  # the engine's group order is its own (Spark's differs from DuckDB's)
        sums = sums.sort_values(keys, na_position="last", kind="stable")
    out: list[Metric] = []
    names = {"net": "cx_index", "top": "top2box", "bottom": "bottom2box"}
    methods = {
        "net": "CX index (% top-2 - % bottom-2 per respondent), t interval",
        "top": "respondent-level top-2-box share, t interval",
        "bottom": "respondent-level bottom-2-box share, t interval",
    }
    for row in sums.to_dict(orient="records"):
        n = int(row["n"] or 0)
        if n == 0:
            continue
        group: Group = tuple((k, label_of(row[k])) for k in keys)
        for score, name in names.items():
            m = Moments(
                n,
                float(row["sw"]),
                float(row["sw2"]),
                float(row[f"swx_{score}"]),
                float(row[f"swx2_{score}"]),
                0.0,
                0.0,
                0.0,
                0.0,
                weights is not None,
            )
            out.append(
                Metric(group, None, None, name, mean_estimate(m, min_n, methods[score], confidence))
            )
    return tuple(out)


# ---- trends ---------------------------------------------------------------------------------
def period_order(ws: Workspace, period: str, values: Sequence[str | None]) -> list[str]:
    """Periods in time order: months (YYYY-MM) as text, waves by their first submission."""
    present = sorted({v for v in values if v is not None})
    if period != "wave":
        return present
    r = ws.table("responses")
    first = r.group_by("wave").agg(first=r.submitted_at.min()).execute()
    seen = {str(w): pd.Timestamp(t) for w, t in zip(first["wave"], first["first"], strict=True)}
    return sorted(present, key=lambda w: (pd.isna(seen.get(w)), seen.get(w) or pd.Timestamp(0), w))


def _trends(
    sums: pd.DataFrame,
    row_keys: list[str],
    order: list[str],
    scale_of: dict[str, str],
    min_n: int,
    confidence: float,
    weighted: bool,
) -> tuple[Change, ...]:
    period = next(p for p in row_keys if p in PERIODS)
    others = [k for k in row_keys if k != period]
    raw: list[tuple[Group, str, str, str, str, Estimate, float | None]] = []
    for (qid, *seg), frame in sums.groupby(["question_id", *others], dropna=False, sort=True):
        scale = scale_of[str(qid)]
        metric = TREND_METRIC[scale]
        by_period = {label_of(r[period]): r for r in frame.to_dict(orient="records")}
        present = [p for p in order if p in by_period]
        group: Group = tuple((k, label_of(v)) for k, v in zip(others, seg, strict=True))
        for earlier, later in itertools.pairwise(present):
            m1 = moments_of(by_period[earlier], weighted)
            m2 = moments_of(by_period[later], weighted)
            est, p = _change(metric, m1, m2, min_n, confidence)
            raw.append((group, str(qid), metric, earlier, later, est, p))
    adjusted: dict[int, float] = {}
    families: dict[tuple[str, str, str, str], list[int]] = {}
    for i, (_g, qid, metric, earlier, later, _e, p) in enumerate(raw):
        if p is not None:
            families.setdefault((qid, metric, earlier, later), []).append(i)
    for members in families.values():
        holm = _stats.holm(np.array([raw[i][6] for i in members], dtype=float))
        adjusted.update({i: float(h) for i, h in zip(members, holm, strict=True)})
    return tuple(
        Change(g, qid, metric, period, e, lt, est, p, adjusted.get(i))
        for i, (g, qid, metric, e, lt, est, p) in enumerate(raw)
    )


def _change(
    metric: str, m1: Moments, m2: Moments, min_n: int, confidence: float
) -> tuple[Estimate, float | None]:
    n = m1.n + m2.n
    method = {
        "nps": "NPS change, two-sample z",
        "ces": "mean change, Welch t",
        "top2box": "share change, Newcombe interval, pooled z",
        "share": "share change, Newcombe interval, pooled z",
    }[metric]
    if min(m1.n, m2.n) < max(min_n, 2) or m1.sw <= 0 or m2.sw <= 0:
        return Estimate.insufficient_data(n, method), None
    n1, n2 = m1.n_eff, m2.n_eff
    if metric == "nps":
        d = _stats.nps_difference(
            m2.w_top2 / m2.sw,
            m2.w_bottom2 / m2.sw,
            n2,
            m1.w_top2 / m1.sw,
            m1.w_bottom2 / m1.sw,
            n1,
            confidence,
        )
        return Estimate(100 * d.value, 100 * d.low, 100 * d.high, n, method, confidence), d.p_value
    if metric == "ces":
        mean1, var1 = _stats.weighted_moments(m1.sw, m1.swx, m1.swx2, n1)
        mean2, var2 = _stats.weighted_moments(m2.sw, m2.swx, m2.swx2, n2)
        d = _stats.welch(mean2, var2, n2, mean1, var1, n1, confidence)
    else:
        d = _stats.newcombe_difference(m2.w_top2 / m2.sw, n2, m1.w_top2 / m1.sw, n1, confidence)
    return Estimate(d.value, d.low, d.high, n, method, confidence), d.p_value
