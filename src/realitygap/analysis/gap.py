"""The perception gap: what staff predict customers will answer vs what customers answer.

Every customer question with a mirror question ("how will customers rate X?") gives, per group
of staff (all staff, each role, each department):

- staff-predicted and customer-actual means (t intervals) and top-box shares (Wilson);
- the gap staff - customer with Welch's interval and test, Hedges' g with its interval, the
  top-box gap with Newcombe's interval and the pooled z-test, and the Wasserstein-1 distance
  between the two answer distributions (scale points);
- per touchpoint and layer: respondent-level scores pooled over the items of the touchpoint or
  layer, in % of the scale range (0 = lowest answer, 100 = highest), compared with Welch.

The headline follows Bain's finding: "X% of your executives believe you deliver a superior
experience; Y% of your customers agree": the share of executives whose prediction on the mirror
of the headline question (default: the NPS question) is at promoter level, against the share of
customers who actually answer at that level, each with a Wilson interval, and their difference
with Newcombe's interval and the two-proportion z-test.

Blind spots: items ranked by over-estimation (gap in % of scale range, so items on different
scales compare), the roles and departments furthest off (each staff member's mean prediction
error over the items, % of scale, t interval across staff), and the items staff under-estimate
(whole interval of the gap below zero).

The engine returns answer counts per question, staff group and value; all statistics come from
those counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from realitygap.analysis import _stats
from realitygap.analysis._items import nps_question, question_bank
from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis.metrics import (
    Moments,
    customer_answers,
    group_moments,
    label_of,
    mean_estimate,
    moments_of,
    share_estimate,
    value_cells,
)
from realitygap.analysis.weighting import Raking
from realitygap.domain.errors import Problem, SurveyDataError, check_choice, check_confidence
from realitygap.domain.scales import RATED_SCALES, SCALES
from realitygap.store import engine
from realitygap.store.workspace import Workspace

DIMENSIONS = ("role", "department", "touchpoint", "layer")
ALL_STAFF = "all staff"


@dataclass(frozen=True)
class GapRow(Values):
    """Staff prediction vs customer answer for one item (or one touchpoint/layer) and one staff
    group. ``unit`` is "scale points" for an item, "% of scale" for pooled touchpoint/layer
    rows. ``gap``: staff - customer (Welch); ``gap_pct``: the gap in % of the scale range."""

    dimension: str  # all, role, department, touchpoint, layer
    group: str
    question_id: str | None
    scale: str | None
    touchpoint: str | None
    layer: str | None
    unit: str
    text: str | None
    staff_mean: Estimate
    customer_mean: Estimate
    gap: Estimate
    p_value: float | None
    gap_pct: float | None
    hedges_g: Estimate
    staff_top_box: Estimate
    customer_top_box: Estimate
    top_box_gap: Estimate
    top_box_p: float | None
    wasserstein: float | None

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dimension": self.dimension,
            "group": self.group,
            "question_id": self.question_id,
            "scale": self.scale,
            "touchpoint": self.touchpoint,
            "layer": self.layer,
            "unit": self.unit,
            "text": self.text,
        }
        for name in ("staff_mean", "customer_mean", "gap"):
            out.update(_brief(getattr(self, name), name))
        out["staff_n"] = self.staff_mean.n
        out["customer_n"] = self.customer_mean.n
        out["p_value"] = self.p_value
        out["gap_pct"] = self.gap_pct
        out.update(_brief(self.hedges_g, "hedges_g"))
        for name in ("staff_top_box", "customer_top_box", "top_box_gap"):
            out.update(_brief(getattr(self, name), name))
        out["top_box_p"] = self.top_box_p
        out["wasserstein"] = self.wasserstein
        return out


def _brief(est: Estimate, prefix: str) -> dict[str, Any]:
    return {f"{prefix}": est.value, f"{prefix}_low": est.low, f"{prefix}_high": est.high}


@dataclass(frozen=True)
class GapHeadline(Values):
    """Share of ``role`` predicting at least ``superior_from`` on the mirror of
    ``question_id`` vs share of customers answering at least that, and their difference."""

    question_id: str
    mirror_id: str
    role: str
    superior_from: int
    staff_share: Estimate
    customer_share: Estimate
    difference: Estimate
    p_value: float | None

    def sentence(self) -> str:
        s, c = self.staff_share, self.customer_share
        plural = {"executive": "executives", "manager": "managers", "frontline": "frontline staff"}
        who = plural.get(self.role, self.role)
        if s.value is None or c.value is None:
            return (
                f"Headline: {s.format(0, 100, '%')} of your {who}; {c.format(0, 100, '%')} of "
                "your customers"
            )
        text = (
            f"{s.value:.0%} of your {who} believe you deliver a superior experience "
            f"({_ci(s)}); {c.value:.0%} of your customers agree ({_ci(c)})."
        )
        d = self.difference
        if d.value is not None and d.low is not None and d.high is not None:
            p = "p < 0.001" if (self.p_value or 0.0) < 0.001 else f"p = {self.p_value:.3f}"
            text += (
                f" Gap {100 * d.value:.0f} points (95% CI {100 * d.low:.0f} to "
                f"{100 * d.high:.0f}), {p}."
            )
        return text


def _ci(share: Estimate) -> str:
    """``95% CI 66-79%, n=167`` for a share."""
    if share.low is None or share.high is None:
        return f"n={share.n:,}"
    return f"95% CI {share.low:.0%}-{share.high:.0%}, n={share.n:,}"


@dataclass(frozen=True)
class StaffOffset(Values):
    """Mean over-estimation of one role or department: each staff member's mean of
    (prediction - customer mean) over the items, in % of scale, averaged over staff."""

    dimension: str
    group: str
    offset: Estimate

    def row(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "group": self.group, **self.offset.to_dict()}


@dataclass(frozen=True)
class GapResult(Values):
    """Gap rows, the headline and the blind spots.

    ``to_frame()`` columns: dimension, group, question_id, scale, touchpoint, layer, unit, text,
    staff_mean(_low/_high), customer_mean(_low/_high), gap(_low/_high), staff_n, customer_n,
    p_value, gap_pct, hedges_g(_low/_high), staff_top_box(_low/_high),
    customer_top_box(_low/_high), top_box_gap(_low/_high), top_box_p, wasserstein.
    """

    rows: tuple[GapRow, ...]
    headline: GapHeadline | None
    offsets: tuple[StaffOffset, ...]
    min_n: int = MIN_N
    methods: tuple[str, ...] = field(
        default=(
            "Gap = staff prediction - customer answer; Welch t interval and test",
            "Effect size: Hedges' g with normal-approximation interval",
            "Top-box shares: Wilson; their difference: Newcombe hybrid score, pooled z-test",
            "Distribution distance: Wasserstein-1 between answer distributions (scale points)",
            "Touchpoint/layer: respondent-level means in % of scale range, Welch",
            "Headline: Wilson intervals, Newcombe difference, two-proportion z-test",
        )
    )

    def item_rows(self, dimension: str = "all") -> tuple[GapRow, ...]:
        return tuple(r for r in self.rows if r.dimension == dimension)

    @property
    def over_estimated(self) -> tuple[GapRow, ...]:
        """All-staff item rows with a gap, most over-estimated first (by % of scale)."""
        rows = [r for r in self.item_rows() if r.gap_pct is not None]
        return tuple(sorted(rows, key=lambda r: -(r.gap_pct or 0.0)))

    @property
    def under_estimated(self) -> tuple[GapRow, ...]:
        """All-staff item rows whose whole gap interval lies below zero."""
        return tuple(
            r for r in self.over_estimated[::-1] if r.gap.high is not None and r.gap.high < 0
        )

    @property
    def furthest_off(self) -> tuple[StaffOffset, ...]:
        """Roles and departments by absolute mean offset, furthest first."""
        known = [o for o in self.offsets if o.offset.value is not None]
        return tuple(sorted(known, key=lambda o: -abs(o.offset.value or 0.0)))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.row() for r in self.rows])

    def offsets_frame(self) -> pd.DataFrame:
        return pd.DataFrame([o.row() for o in self.offsets])

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": None
            if self.headline is None
            else {**plain(self.headline), "sentence": self.headline.sentence()},
            "rows": [r.row() for r in self.rows],
            "blind_spots": {
                "over_estimated": [r.question_id for r in self.over_estimated],
                "under_estimated": [r.question_id for r in self.under_estimated],
                "furthest_off": [o.row() for o in self.furthest_off],
            },
            "min_n": self.min_n,
            "methods": list(self.methods),
        }

    def blind_spot_lines(self, top: int = 3) -> list[str]:
        lines = []
        for r in self.over_estimated[:top]:
            lines.append(
                f'{r.question_id} "{r.text}" ({r.touchpoint}, {r.layer}): staff predict '
                f"{r.staff_mean.value:.2f}, customers say {r.customer_mean.value:.2f}; "
                f"gap {r.gap.format(2)}"
            )
        return lines

    def __str__(self) -> str:
        lines = []
        if self.headline is not None:
            lines.append(self.headline.sentence())
        lines.append("Most over-estimated items (staff prediction - customer answer)")
        lines.extend(f"  {x}" for x in self.blind_spot_lines(5))
        if self.under_estimated:
            lines.append("Items staff under-estimate")
            lines.extend(f"  {r.question_id}: gap {r.gap.format(2)}" for r in self.under_estimated)
        if self.furthest_off:
            lines.append("Furthest off (mean over-estimation, % of scale)")
            lines.extend(
                f"  {o.dimension} {o.group}: {o.offset.format(1)}" for o in self.furthest_off[:6]
            )
        return "\n".join(lines)


# ---- engine side ----------------------------------------------------------------------------
def mirror_map(ws: Workspace) -> pd.DataFrame:
    """Mirror questions and the customer questions they predict.

    Columns: mirror_id, question_id, text, scale, touchpoint, layer, low, high, top_from.
    """
    q = ws.table("questions")
    mirrors = q.filter((q.audience == "mirror") & q.mirrors.notnull()).select(
        mirror_id=q.question_id, question_id=q.mirrors
    )
    cust = q.filter((q.audience == "customer") & q.scale.isin([str(s) for s in RATED_SCALES]))
    out: pd.DataFrame = (
        mirrors.join(
            cust.select("question_id", "text", "scale", "touchpoint", "layer"), "question_id"
        )
        .order_by("question_id")
        .execute()
    )
    spec = {k.value: SCALES[k] for k in RATED_SCALES}
    out["low"] = out["scale"].map({k: s.low for k, s in spec.items()}).astype(float)
    out["high"] = out["scale"].map({k: s.high for k, s in spec.items()}).astype(float)
    out["top_from"] = out["scale"].map({k: s.top_box_from for k, s in spec.items()}).astype(float)
    return out


def staff_answers(ws: Workspace, mmap: pd.DataFrame) -> ir.Table:
    """Staff answers to mirror questions, keyed by the customer question they predict:
    respondent_id, question_id, value, role, department, touchpoint, layer, low, high, top_from
    and weight (1)."""
    r = ws.table("responses")
    p = ws.table("respondents")
    staff = p.filter(p.kind == "staff").select("respondent_id", "role", "department")
    m = ibis.memtable(
        mmap[["mirror_id", "question_id", "touchpoint", "layer", "low", "high", "top_from"]]
    )
    j = r.select("respondent_id", "value", mirror_id=r.question_id).join(m, "mirror_id")
    j = j.join(staff, "respondent_id")
    return j.mutate(weight=ibis.literal(1.0))


# ---- statistics side ------------------------------------------------------------------------
def _compare(
    dimension: str,
    group: str,
    info: dict[str, Any],
    unit: str,
    staff: Moments,
    cust: Moments,
    staff_top: Estimate,
    cust_top: Estimate,
    top_gap: tuple[Estimate, float | None],
    wasserstein: float | None,
    span: float,
    min_n: int,
    confidence: float,
) -> GapRow:
    staff_mean = mean_estimate(staff, min_n, "staff prediction mean, t interval", confidence)
    cust_mean = mean_estimate(cust, min_n, "customer mean, t interval", confidence)
    gap_method = "staff - customer, Welch"
    n = staff.n + cust.n
    gap = Estimate.insufficient_data(n, gap_method)
    g = Estimate.insufficient_data(n, "Hedges' g")
    p_value: float | None = None
    gap_pct: float | None = None
    if staff_mean.value is not None and cust_mean.value is not None:
        n1, n2 = staff.n_eff, cust.n_eff
        m1, v1 = _stats.weighted_moments(staff.sw, staff.swx, staff.swx2, n1)
        m2, v2 = _stats.weighted_moments(cust.sw, cust.swx, cust.swx2, n2)
        d = _stats.welch(m1, v1, n1, m2, v2, n2, confidence)
        gap = Estimate(d.value, d.low, d.high, n, gap_method, confidence)
        p_value = d.p_value
        gap_pct = 100 * d.value / span
        gv, gl, gh = _stats.hedges_g(m1, v1, n1, m2, v2, n2, confidence)
        g = Estimate(gv, gl, gh, n, "Hedges' g", confidence)
    else:
        wasserstein = None
    return GapRow(
        dimension,
        group,
        info.get("question_id"),
        info.get("scale"),
        info.get("touchpoint"),
        info.get("layer"),
        unit,
        info.get("text"),
        staff_mean,
        cust_mean,
        gap,
        p_value,
        gap_pct,
        g,
        staff_top,
        cust_top,
        top_gap[0],
        top_gap[1],
        wasserstein,
    )


def _share_gap(
    staff: Moments, cust: Moments, min_n: int, confidence: float
) -> tuple[Estimate, float | None]:
    method = "top-box staff - customer, Newcombe"
    n = staff.n + cust.n
    if min(staff.n, cust.n) < min_n or staff.sw <= 0 or cust.sw <= 0:
        return Estimate.insufficient_data(n, method), None
    d = _stats.newcombe_difference(
        staff.w_top2 / staff.sw, staff.n_eff, cust.w_top2 / cust.sw, cust.n_eff, confidence
    )
    return Estimate(d.value, d.low, d.high, n, method, confidence), d.p_value


def _distribution(cells: pd.DataFrame, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    values = np.arange(low, high + 1)
    counts = np.zeros(len(values))
    idx = (cells["value"].to_numpy(dtype=float) - low).astype(int)
    ok = (idx >= 0) & (idx < len(values))
    np.add.at(counts, idx[ok], cells["sw"].to_numpy(dtype=float)[ok])
    return values, counts


def gap(
    ws: Workspace,
    *,
    by: Sequence[str] = ("role", "department"),
    weights: Raking | None = None,
    headline_question: str | None = None,
    headline_role: str = "executive",
    superior_from: int | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
) -> GapResult:
    """The perception gap of every mirrored customer question: staff predictions vs customers.

    Parameters
    ----------
    ws : Workspace
        An open workspace with mirror questions (``audience = "mirror"``, ``mirrors`` naming the
        customer question) answered by staff.
    by : sequence of {"role", "department", "touchpoint", "layer"}, default ("role", "department")
        Breakdowns added to the all-staff item rows: staff groups (role, department) and/or
        pooled question groups (touchpoint, layer; respondent-level scores in % of scale range).
    weights : Raking, optional
        Raked customer weights (:func:`rake`); staff are never weighted.
    headline_question : str, optional
        The customer question of the headline (default: the NPS question with a mirror).
    headline_role : str, default "executive"
        The staff role of the headline.
    superior_from : int, optional
        The answer from which a prediction counts as "superior" (default: the scale's top box,
        9 on NPS = promoter level).
    min_n : int, default 30
        Fewer answers than this give "insufficient data".
    confidence : float, default 0.95
        Level of every interval and test.

    Returns
    -------
    GapResult
        ``rows`` (:class:`GapRow`), ``headline`` (:class:`GapHeadline` or None; its
        ``sentence()`` is Bain's "X% of your executives ...; Y% of your customers agree"),
        ``offsets`` (:class:`StaffOffset` per role and department) and the blind spots
        ``over_estimated``, ``under_estimated``, ``furthest_off``. ``to_frame()`` has one row per
        item (or touchpoint/layer) and group:

        - ``dimension``: ``all``, ``role``, ``department``, ``touchpoint`` or ``layer``;
          ``group``: ``all staff``, the role, department, touchpoint or layer;
        - ``question_id``, ``scale``, ``touchpoint``, ``layer``, ``text`` of the item (None on
          pooled rows except their own dimension); ``unit``: ``scale points`` for an item,
          ``% of scale`` for pooled rows;
        - ``staff_mean``, ``customer_mean`` with ``_low``/``_high`` (t intervals);
        - ``gap``, ``gap_low``, ``gap_high``: staff minus customer (Welch); ``p_value`` (Welch
          t-test of no gap); ``gap_pct``: the gap in % of the scale range;
        - ``staff_n``, ``customer_n``: answers;
        - ``hedges_g`` with ``_low``/``_high``: the standardised gap;
        - ``staff_top_box``, ``customer_top_box`` with ``_low``/``_high`` (Wilson), and
          ``top_box_gap`` with ``_low``/``_high`` (Newcombe), ``top_box_p`` (pooled z-test);
        - ``wasserstein``: Wasserstein-1 distance between the two answer distributions (scale
          points).

        ``offsets_frame()``: ``dimension``, ``group``, ``value``, ``low``, ``high``, ``n``
        (staff), ``method``, ``confidence``, ``n_effective`` of each group's mean over-estimation
        in % of scale.

    Raises
    ------
    ArgumentError
        A ``by`` entry outside the four dimensions, ``confidence`` outside (0, 1) or ``min_n``
        below 1.
    SurveyDataError
        ``headline_question`` has no mirror question.

    References
    ----------
    Allen, J., Reichheld, F., Hamilton, B. and Markey, R. (2005). Closing the delivery gap. Bain
    & Company (80% of firms believe they deliver a superior experience, 8% of customers agree).
    Welch, B. L. (1947). Biometrika 34. Hedges, L. V. (1981). J. Educational Statistics 6.
    Newcombe, R. G. (1998). Statistics in Medicine 17. Wilson, E. B. (1927). JASA 22.

    Examples
    --------
    The example company has too few executives for the headline at the default ``min_n``:

    >>> result = gap(ws, by=["role"])
    >>> print(result.headline.sentence())
    Headline: insufficient data (n=19) of your executives; 35% [31, 40] n=418 of your customers
    >>> frame = result.to_frame()
    >>> cols = ["group", "question_id", "staff_mean", "customer_mean", "gap", "p_value"]
    >>> frame[frame.dimension == "role"][cols].head(3).round(2)
            group question_id  staff_mean  customer_mean   gap  p_value
    19  executive         nps         NaN           7.56   NaN      NaN
    20  frontline         nps        8.05           7.56  0.50      0.0
    21    manager         nps        8.31           7.56  0.75      0.0

    The items staff over-estimate most (gap in % of the scale range):

    >>> [(r.question_id, round(r.gap_pct, 1)) for r in result.over_estimated[:3]]
    [('q03', 17.0), ('q17', 15.5), ('q04', 12.9)]

    A bad dimension names the parameter and the choices:

    >>> gap(ws, by=["segment"])
    Traceback (most recent call last):
    ...
    realitygap.domain.errors.ArgumentError: by='segment': expected one of 'role', 'department',
    'touchpoint', 'layer'
    """
    for b in by:
        check_choice("by", b, DIMENSIONS)
    check_confidence(confidence, min_n)
    mmap = mirror_map(ws)
    if mmap.empty:
        return GapResult((), None, (), min_n)
    info = {str(r["question_id"]): r for r in mmap.to_dict(orient="records")}
    scale_of = {q: str(r["scale"]) for q, r in info.items()}
    qids = list(info)
    weighted = weights is not None
    cust_answers = customer_answers(ws, weights, respondent_columns=[])
    cust_answers = cust_answers.filter(cust_answers.question_id.isin(qids)).select(
        "respondent_id", "question_id", "value", "weight", "touchpoint", "layer"
    )
    # The cells read the customer answers once, each pooled dimension (touchpoint, layer) once
    # more. Materialise them (a temporary table) only when a second query reads them: for one
    # reader the temporary table costs more than the scan it saves (1M customers x 10 answers:
    # 4.8 CPU s and 960 MB against 0.9 s and 36 MB).
    pooled = [d for d in ("touchpoint", "layer") if d in by]
    cached = bool(pooled)
    if cached:
        cust_answers = cust_answers.cache()
    cust_cells = value_cells(cust_answers, ["question_id"])
    st_answers = staff_answers(ws, mmap)
    staff_cells = value_cells(st_answers, ["question_id", "role", "department"])
    for col in ("role", "department"):
        staff_cells[col] = staff_cells[col].astype(object).where(staff_cells[col].notna(), None)
    cust_sums = {
        str(r["question_id"]): moments_of(r, weighted)
        for r in group_moments(cust_cells, ["question_id"], scale_of).to_dict(orient="records")
    }

    rows: list[GapRow] = []
    cust_dist = {
        str(qid): _distribution(frame, info[str(qid)]["low"], info[str(qid)]["high"])[1]
        for qid, frame in cust_cells.groupby("question_id")
    }
    staff_dims = ["all", *[d for d in ("role", "department") if d in by]]
    for dim in staff_dims:
        keys = ["question_id"] if dim == "all" else ["question_id", dim]
        cells = staff_cells if dim == "all" else staff_cells[staff_cells[dim].notna()]
        sums = group_moments(cells, keys, scale_of)
        parts = {
            tuple(str(k) for k in (key if isinstance(key, tuple) else (key,))): frame
            for key, frame in cells.groupby(keys)
        }
        for r in sums.to_dict(orient="records"):
            qid = str(r["question_id"])
            cust = cust_sums.get(qid)
            if cust is None:
                continue
            staff = moments_of(r, False)
            group = ALL_STAFF if dim == "all" else str(r[dim])
            q = info[qid]
            part = parts[(qid,) if dim == "all" else (qid, group)]
            values, s_counts = _distribution(part, q["low"], q["high"])
            c_counts = cust_dist[qid]
            w1 = _stats.wasserstein_ordinal(values, s_counts, c_counts)
            rows.append(
                _compare(
                    dim,
                    group,
                    {str(k): v for k, v in q.items()},
                    "scale points",
                    staff,
                    cust,
                    share_estimate(staff.w_top2, staff, min_n, "staff top box, Wilson", confidence),
                    share_estimate(
                        cust.w_top2, cust, min_n, "customer top box, Wilson", confidence
                    ),
                    _share_gap(staff, cust, min_n, confidence),
                    w1,
                    q["high"] - q["low"],
                    min_n,
                    confidence,
                )
            )
    for dim in pooled:
        rows.extend(_pooled_rows(dim, cust_answers, st_answers, mmap, weighted, min_n, confidence))

    if headline_question is None:
        # the one rule for "the NPS question" (analysis._items.nps_question), when mirrored
        found = nps_question(question_bank(ws))
        headline_question = found if found in set(mmap["question_id"]) else None
    headline = _headline(
        mmap,
        cust_cells,
        staff_cells,
        cust_sums,
        headline_question,
        headline_role,
        superior_from,
        min_n,
        confidence,
    )
    offsets = _offsets(st_answers, cust_sums, info, min_n, confidence)
    if cached:
        cust_answers.release()
    return GapResult(tuple(rows), headline, offsets, min_n)


def _position(t: ir.Table, low: Any, high: Any, top_from: Any) -> ir.Table:
    return t.mutate(
        pos=100 * (t.value - low) / (high - low),
        top=engine.as_number(t.value >= top_from, "float64"),
    )


def _respondent_sums(t: ir.Table, dim: str) -> pd.DataFrame:
    """Per ``dim`` value: n, sw, sw2 and weighted sums of respondent-level pos and top."""
    per = t.group_by([dim, "respondent_id"]).agg(
        pos=t.pos.mean(), top=t.top.mean(), w=t.weight.max()
    )
    out: pd.DataFrame = (
        per.group_by(dim)
        .agg(
            n=per.count(),
            sw=per.w.sum(),
            sw2=(per.w**2).sum(),
            swx=(per.w * per.pos).sum(),
            swx2=(per.w * per.pos**2).sum(),
            swt=(per.w * per.top).sum(),
            swt2=(per.w * per.top**2).sum(),
        )
        .execute()
    )
    return out


def _pooled_rows(
    dim: str,
    cust_answers: ir.Table,
    st_answers: ir.Table,
    mmap: pd.DataFrame,
    weighted: bool,
    min_n: int,
    confidence: float,
) -> list[GapRow]:
    m = ibis.memtable(mmap[["question_id", "low", "high", "top_from"]])
    c = cust_answers.select("respondent_id", "question_id", "value", "weight", dim).join(
        m, "question_id"
    )
    c = _position(c, c.low, c.high, c.top_from)
    s = _position(st_answers, st_answers.low, st_answers.high, st_answers.top_from)
    c_sums = {label_of(r[dim]): r for r in _respondent_sums(c, dim).to_dict(orient="records")}
    s_sums = {label_of(r[dim]): r for r in _respondent_sums(s, dim).to_dict(orient="records")}
    out = []
    for key in sorted(k for k in s_sums if k is not None and k in c_sums):
        sr, cr = s_sums[key], c_sums[key]
        staff_pos = _pooled_moments(sr, "swx", False)
        cust_pos = _pooled_moments(cr, "swx", weighted)
        staff_top = _pooled_moments(sr, "swt", False)
        cust_top = _pooled_moments(cr, "swt", weighted)
        st_top = mean_estimate(staff_top, min_n, "staff top-box share per person, t", confidence)
        cu_top = mean_estimate(cust_top, min_n, "customer top-box share per person, t", confidence)
        top_gap: tuple[Estimate, float | None] = (
            Estimate.insufficient_data(staff_top.n + cust_top.n, "top-box gap, Welch"),
            None,
        )
        if st_top.value is not None and cu_top.value is not None:
            n1, n2 = staff_top.n_eff, cust_top.n_eff
            a = _stats.weighted_moments(staff_top.sw, staff_top.swx, staff_top.swx2, n1)
            b = _stats.weighted_moments(cust_top.sw, cust_top.swx, cust_top.swx2, n2)
            d = _stats.welch(a[0], a[1], n1, b[0], b[1], n2, confidence)
            top_gap = (
                Estimate(d.value, d.low, d.high, staff_top.n + cust_top.n, "top-box gap, Welch"),
                d.p_value,
            )
        info = {dim: key}
        out.append(
            _compare(
                dim,
                key,
                info,
                "% of scale",
                staff_pos,
                cust_pos,
                st_top,
                cu_top,
                top_gap,
                None,
                100.0,
                min_n,
                confidence,
            )
        )
    return out


def _pooled_moments(r: dict[Any, Any], prefix: str, weighted: bool) -> Moments:
    return Moments(
        int(r["n"]),
        float(r["sw"]),
        float(r["sw2"]),
        float(r[prefix]),
        float(r[prefix + "2"]),
        0.0,
        0.0,
        0.0,
        0.0,
        weighted,
    )


def _headline(
    mmap: pd.DataFrame,
    cust_cells: pd.DataFrame,
    staff_cells: pd.DataFrame,
    cust_sums: dict[str, Moments],
    question: str | None,
    role: str,
    superior_from: int | None,
    min_n: int,
    confidence: float,
) -> GapHeadline | None:
    if question is None:
        return None
    pair = mmap[mmap["question_id"] == question]
    if pair.empty:
        raise SurveyDataError(
            [Problem("questions", None, "mirrors", question, "a mirror question of this item")]
        )
    q = pair.iloc[0]
    level = int(q["top_from"]) if superior_from is None else int(superior_from)
    s = staff_cells[(staff_cells["question_id"] == question) & (staff_cells["role"] == role)]
    c = cust_cells[cust_cells["question_id"] == question]
    s_n, s_k = int(s["n"].sum()), float(s.loc[s["value"] >= level, "n"].sum())
    c_w, c_k = float(c["sw"].sum()), float(c.loc[c["value"] >= level, "sw"].sum())
    cust = cust_sums.get(question)
    c_n = cust.n if cust else 0
    c_eff = cust.n_eff if cust else 0.0
    method = f"share answering >= {level}, Wilson"
    staff_share = _share(s_k, float(s_n), s_n, s_n, min_n, method, confidence, None)
    cust_share = _share(c_k, c_w, c_n, c_eff, min_n, method, confidence, cust)
    diff = Estimate.insufficient_data(s_n + c_n, "difference, Newcombe; pooled z-test")
    p_value: float | None = None
    if staff_share.value is not None and cust_share.value is not None:
        d = _stats.newcombe_difference(staff_share.value, s_n, cust_share.value, c_eff, confidence)
        diff = Estimate(d.value, d.low, d.high, s_n + c_n, diff.method, confidence)
        p_value = d.p_value
    return GapHeadline(
        question, str(q["mirror_id"]), role, level, staff_share, cust_share, diff, p_value
    )


def _share(
    k: float,
    total: float,
    n: int,
    n_eff: float,
    min_n: int,
    method: str,
    confidence: float,
    weighted: Moments | None,
) -> Estimate:
    if n < min_n or total <= 0:
        return Estimate.insufficient_data(n, method)
    p = k / total
    low, high = _stats.wilson(p, n_eff, confidence)
    eff = n_eff if weighted is not None and weighted.weighted else None
    return Estimate(p, low, high, n, method, confidence, eff)


def _offsets(
    st_answers: ir.Table,
    cust_sums: dict[str, Moments],
    info: dict[str, dict[Any, Any]],
    min_n: int,
    confidence: float,
) -> tuple[StaffOffset, ...]:
    means = []
    for qid, m in cust_sums.items():
        if m.n >= min_n and qid in info:
            mean, _ = _stats.weighted_moments(m.sw, m.swx, m.swx2, m.n_eff)
            means.append((qid, mean))
    if not means:
        return ()
    ref = ibis.memtable(pd.DataFrame(means, columns=["question_id", "customer_mean"]))
    j = st_answers.join(ref, "question_id")
    j = j.mutate(err=100 * (j.value - j.customer_mean) / (j.high - j.low))
    # each staff member's mean error over the items, then its sums per role and per department,
    # all in the engine: only a few rows per group come back, however many staff there are
    per = j.group_by(["respondent_id", "role", "department"]).agg(err=j.err.mean())
    out: list[StaffOffset] = []
    for dim in ("role", "department"):
        known = per.filter(per[dim].notnull())
        sums: pd.DataFrame = (
            known.group_by(dim)
            .agg(n=known.count(), s=known.err.sum(), ss=(known.err * known.err).sum())
            .execute()
            .sort_values(dim)  # in Python: the engines' collations differ
        )
        for group, n, s, ss in zip(sums[dim], sums["n"], sums["s"], sums["ss"], strict=True):
            m = Moments(int(n), int(n), int(n), float(s), float(ss), 0, 0, 0, 0, False)
            est = mean_estimate(
                m, min_n, "mean over-estimation per person, % of scale, t", confidence
            )
            out.append(StaffOffset(dim, str(group), est))
    return tuple(out)


def demo_summary(ws: Workspace, top: int = 3) -> str:
    """The headline and the ``top`` most over-estimated items, as plain text for the demo."""
    result = gap(ws, by=())
    lines = []
    if result.headline is not None:
        lines.append(result.headline.sentence())
    spots = result.blind_spot_lines(top)
    if spots:
        lines.append(f"Top {len(spots)} blind spots (staff prediction vs customer answer):")
        lines.extend(f"  {i}. {s}" for i, s in enumerate(spots, start=1))
    if not lines:
        lines.append("No mirror questions: the perception gap needs staff predictions.")
    return "\n".join(lines)
