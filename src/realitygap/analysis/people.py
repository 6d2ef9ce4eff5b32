"""Staff experience beside customer experience, team by team.

Data (docs/formats.md): a staff pulse survey (questions of audience ``staff``, answered by
staff respondents per wave), staff tenure and departures (respondent columns ``hired_at`` and
``left_at``) and a unit column (default ``team``) on both staff and customer respondents: the
team, store or branch that serves the customer.

Per team:

- engagement: each staff member's mean pulse answer in % of the scale range, averaged over the
  team's staff (t interval; "insufficient data" below ``min_staff`` staff);
- turnover: the share of the team's staff with a ``left_at`` date (Wilson);
- the team's customers: NPS (adjusted Wald), staff-attitude mentions among their tagged
  documents (Wilson);
- the team's gap: its staff members' mean over-estimation over the mirrored items, % of scale
  (each prediction minus the mean answer of all customers to the item);
- listening: contacts with customers per staff member per 30 days (t interval);
- recovery (the recovery family's data, :mod:`realitygap.analysis.recovery`): the share of the
  team's customers with a follow-up case who were recovered (every case resolved and, where
  rated, rated 7+; Wilson), and the recovered customers' NPS from their latest answer after
  the case opened (adjusted Wald).

Across teams: Pearson's r of engagement and of turnover with NPS, and of engagement with the
recovery rate (Fisher z interval over the teams) and a weighted least-squares slope of NPS
on engagement, each team weighted by the inverse variance of its NPS (team sizes differ).
This is an association across teams, not a cause: engaged teams may serve easier customers.

References: Heskett, Jones, Loveman, Sasser & Schlesinger (1994), "Putting the service-profit
chain to work", HBR 72(2); Harter, Schmidt & Hayes (2002), "Business-unit-level relationship
between employee satisfaction, employee engagement, and business outcomes", J. Applied
Psychology 87(2); Fisher (1921).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from realitygap.analysis._items import nps_question, question_bank
from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis._stats import (
    mean_estimate,
    nps_estimate,
    weighted_moments,
    wilson_estimate,
    z_value,
)
from realitygap.analysis.gap import gap, mirror_map, staff_answers
from realitygap.analysis.recovery import _customer_groups as customer_groups
from realitygap.domain.errors import ArgumentError, Problem, SurveyDataError, check_confidence
from realitygap.domain.scales import RATED_SCALES, SCALES, ScaleKind
from realitygap.store import engine
from realitygap.store.workspace import Workspace


@dataclass(frozen=True)
class Team(Values):
    """One team: its staff's engagement and turnover beside its customers' outcomes."""

    team: str
    staff: int
    customers: int
    engagement: Estimate
    turnover: Estimate
    nps: Estimate
    gap: Estimate
    staff_attitude: Estimate
    contacts_per_30d: Estimate
    recovery: Estimate  # share of the team's customers with a case who were recovered
    recovered_nps: Estimate  # those recovered customers' NPS after the case

    FIGURES = (
        "engagement",
        "turnover",
        "nps",
        "gap",
        "staff_attitude",
        "contacts_per_30d",
        "recovery",
        "recovered_nps",
    )

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {"team": self.team, "staff": self.staff, "customers": self.customers}
        for name in self.FIGURES:
            est: Estimate = getattr(self, name)
            out[name], out[f"{name}_low"], out[f"{name}_high"] = est.value, est.low, est.high
            out[f"{name}_n"] = est.n
        return out


@dataclass(frozen=True)
class PeopleResult(Values):
    """Teams and the across-team association of staff and customer outcomes.

    ``to_frame()`` columns: team, staff, customers, then value, _low, _high and _n of
    engagement, turnover, nps, gap, staff_attitude, contacts_per_30d, recovery (share of
    the team's customers with a case who were recovered) and recovered_nps.
    """

    unit: str
    teams: tuple[Team, ...]
    engagement_nps: Estimate  # Pearson r across teams, Fisher z
    turnover_nps: Estimate
    slope: Estimate  # NPS points per engagement point, WLS
    slope_p: float | None
    min_n: int = MIN_N
    confidence: float = 0.95
    methods: tuple[str, ...] = field(
        default=(
            "Engagement: per staff member the mean pulse answer in % of scale, team mean with "
            "t interval; turnover: share of staff who left, Wilson",
            "Team customers: NPS adjusted Wald; staff-attitude mentions Wilson; team gap: its "
            "staff's mean over-estimation, % of scale",
            "Across teams: Pearson r with Fisher z interval; WLS slope of NPS on engagement, "
            "weights 1 / var(team NPS) (Harter, Schmidt & Hayes 2002) — an association, not a "
            "cause",
            "Recovery per team: customers with a case recovered (all cases resolved, rated 7+ "
            "where rated), Wilson; their latest NPS after the case, adjusted Wald",
        )
    )
    engagement_recovery: Estimate = field(
        default_factory=lambda: Estimate.insufficient_data(0, "Pearson r across teams")
    )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([t.row() for t in self.teams])

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "teams": [t.row() for t in self.teams],
            "engagement_nps": plain(self.engagement_nps),
            "turnover_nps": plain(self.turnover_nps),
            "slope": plain(self.slope),
            "slope_p": self.slope_p,
            "engagement_recovery": plain(self.engagement_recovery),
            "min_n": self.min_n,
            "confidence": self.confidence,
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = [f"Staff and customers by {self.unit}"]
        for t in self.teams:
            lines.append(
                f"  {t.team}: engagement {t.engagement.format(1)}; turnover "
                f"{t.turnover.format(0, 100, '%')}; NPS {t.nps.format(1)}; gap {t.gap.format(1)}"
                f"; recovered {t.recovery.format(0, 100, '%')}, their NPS "
                f"{t.recovered_nps.format(1)}"
            )
        lines.append(f"Engagement vs NPS across {self.unit}s: r {self.engagement_nps.format(2)}")
        lines.append(f"Turnover vs NPS: r {self.turnover_nps.format(2)}")
        lines.append(f"NPS points per engagement point (weighted): {self.slope.format(2)}")
        lines.append(f"Engagement vs recovery rate: r {self.engagement_recovery.format(2)}")
        lines.append("An association across teams, not a cause.")
        return "\n".join(lines)


def _positions(ws: Workspace) -> ibis.Table:
    spans = pd.DataFrame(
        [
            {"scale": str(k), "low": float(SCALES[k].low), "high": float(SCALES[k].high)}
            for k in RATED_SCALES
        ]
    )
    return ibis.memtable(spans)


def people(
    ws: Workspace,
    *,
    unit: str = "team",
    min_staff: int = 5,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> PeopleResult:
    """Staff engagement and turnover beside customer outcomes, per ``unit``.

    Parameters
    ----------
    ws : Workspace
    unit : str
        The respondent column that joins staff and customers (team, store, branch).
    min_staff : int
        Fewer staff than this give "insufficient data" for a team's staff figures.
    confidence, min_n : float, int
        Interval level; fewer customers (answers, documents) than ``min_n`` give
        "insufficient data" for a team's customer figures.

    Returns
    -------
    PeopleResult
    """
    check_confidence(confidence, min_n)
    if isinstance(min_staff, bool) or not isinstance(min_staff, int) or min_staff < 2:
        raise ArgumentError("min_staff", min_staff, "a whole number of staff, at least 2")
    p = ws.table("respondents")
    if unit not in p.columns or unit in ("respondent_id", "kind"):
        raise SurveyDataError(
            [Problem("respondents", None, unit, None, f"a {unit!r} column on staff and customers")]
        )
    people_ = p.select("respondent_id", "kind", team=p[unit].cast("string"))
    people_ = people_.filter(people_.team.notnull())
    staff = people_.filter(people_.kind == "staff")
    cust = people_.filter(people_.kind == "customer")
    # engagement: per staff member, then per team
    q = ws.table("questions")
    pulse = q.filter((q.audience == "staff") & q.scale.isin([str(s) for s in RATED_SCALES]))
    r = ws.table("responses")
    a = r.join(pulse.select("question_id", "scale"), "question_id").join(_positions(ws), "scale")
    a = a.mutate(pos=100 * (a.value - a.low) / (a.high - a.low)).join(staff, "respondent_id")
    per_staff = a.group_by(["team", "respondent_id"]).agg(x=a.pos.mean())
    eng = _team_means(per_staff.execute(), min_staff, confidence, "engagement, t")
    # turnover
    left_cols = [c for c in ("left_at",) if c in p.columns]
    s_frame = (
        p.filter(p.kind == "staff")
        .select(
            team=p[unit].cast("string"),
            left=(p[left_cols[0]].notnull() & (p[left_cols[0]] != ""))
            if left_cols
            else ibis.literal(False),
        )
        .execute()
    )
    s_frame = s_frame[s_frame["team"].notna()]
    staff_n = s_frame.groupby("team").size()
    turnover = {
        str(t): wilson_estimate(
            int(g["left"].sum()), len(g), min_staff, "turnover, Wilson", confidence
        )
        if left_cols
        else Estimate.insufficient_data(len(g), "turnover (no left_at column)", confidence)
        for t, g in s_frame.groupby("team")
    }
    nps, customers = _team_nps(ws, cust, min_n, confidence)
    team_gap = _team_gap(ws, staff, min_staff, confidence)
    attitude = _team_attitude(ws, cust, min_n, confidence)
    contacts = _team_contacts(ws, staff, min_staff, confidence)
    recovered, recovered_nps = _team_recovery(ws, cust, min_n, confidence)
    none = Estimate.insufficient_data
    names = sorted(set(staff_n.index.astype(str)) | set(customers))
    teams = tuple(
        Team(
            t,
            int(staff_n.get(t, 0)),
            int(customers.get(t, 0)),
            eng.get(t, none(0, "engagement", confidence)),
            turnover.get(t, none(0, "turnover", confidence)),
            nps.get(t, none(0, "NPS", confidence)),
            team_gap.get(t, none(0, "gap", confidence)),
            attitude.get(t, none(0, "staff attitude", confidence)),
            contacts.get(t, none(0, "contacts", confidence)),
            recovered.get(t, none(0, "recovery", confidence)),
            recovered_nps.get(t, none(0, "recovered customers' NPS", confidence)),
        )
        for t in names
    )
    r_eng = _pearson([t.engagement for t in teams], [t.nps for t in teams], confidence)
    r_turn = _pearson([t.turnover for t in teams], [t.nps for t in teams], confidence)
    slope, slope_p = _wls(teams, confidence)
    r_rec = _pearson([t.engagement for t in teams], [t.recovery for t in teams], confidence)
    return PeopleResult(
        unit, teams, r_eng, r_turn, slope, slope_p, min_n, confidence, engagement_recovery=r_rec
    )


def _team_means(
    frame: pd.DataFrame, minimum: int, confidence: float, method: str
) -> dict[str, Estimate]:
    out = {}
    for t, g in frame.groupby("team"):
        x = g["x"].to_numpy(dtype=float)
        n = len(x)
        mean, var = weighted_moments(float(n), float(x.sum()), float((x**2).sum()), float(n))
        out[str(t)] = mean_estimate(mean, var, n, minimum, method, confidence)
    return out


def _team_nps(
    ws: Workspace, cust: ibis.Table, min_n: int, confidence: float
) -> tuple[dict[str, Estimate], dict[str, int]]:
    q = ws.table("questions")
    ids = sorted(
        str(x)
        for x in q.filter((q.audience == "customer") & (q.scale == ScaleKind.NPS.value))
        .select("question_id")
        .execute()["question_id"]
    )
    counts = cust.group_by("team").agg(n=cust.count()).execute()
    customers = dict(zip(counts["team"].astype(str), counts["n"].astype(int), strict=True))
    if not ids:
        return {}, customers
    r = ws.table("responses")
    a = r.filter(r.question_id == ids[0]).join(cust, "respondent_id")
    return _nps_by_team(a, min_n, confidence), customers


def _nps_by_team(answers: ibis.Table, min_n: int, confidence: float) -> dict[str, Estimate]:
    """The NPS of each team's NPS answers (a table of team and 0-10 value)."""
    counts = (
        answers.group_by("team")
        .agg(
            n=answers.count(),
            pro=engine.as_number(answers.value >= 9).sum(),
            det=engine.as_number(answers.value <= 6).sum(),
        )
        .execute()
    )
    return {
        str(row["team"]): nps_estimate(
            row["pro"] / row["n"],
            row["det"] / row["n"],
            int(row["n"]),
            min_n,
            confidence=confidence,
        )
        for row in counts.to_dict(orient="records")
    }


def _team_gap(
    ws: Workspace, staff: ibis.Table, min_staff: int, confidence: float
) -> dict[str, Estimate]:
    mmap = mirror_map(ws)
    if mmap.empty:
        return {}
    means = [
        (row.question_id, row.customer_mean.value)
        for row in gap(ws, by=(), min_n=1, confidence=confidence).item_rows()
        if row.customer_mean.value is not None
    ]
    if not means:
        return {}
    ref = ibis.memtable(pd.DataFrame(means, columns=["question_id", "customer_mean"]))
    j = staff_answers(ws, mmap).join(ref, "question_id")
    j = j.mutate(err=100 * (j.value - j.customer_mean) / (j.high - j.low))
    j = j.select("respondent_id", "err").join(staff, "respondent_id")
    per = j.group_by(["team", "respondent_id"]).agg(x=j.err.mean()).execute()
    return _team_means(per, min_staff, confidence, "mean over-estimation, % of scale, t")


def _team_attitude(
    ws: Workspace, cust: ibis.Table, min_n: int, confidence: float
) -> dict[str, Estimate]:
    if ws.count("document_tags") == 0:
        return {}
    d = ws.table("documents").select("document_id", respondent_id="customer_id")
    tags = ws.table("document_tags").select("document_id", "staff_attitude")
    j = d.join(tags, "document_id").join(cust, "respondent_id")
    s = (
        j.group_by("team")
        .agg(n=j.count(), k=engine.as_number(j.staff_attitude, "int64").sum())
        .execute()
    )
    return {
        str(row["team"]): wilson_estimate(
            int(row["k"]), int(row["n"]), min_n, "staff-attitude mentions, Wilson", confidence
        )
        for row in s.to_dict(orient="records")
    }


def _team_recovery(
    ws: Workspace, cust: ibis.Table, min_n: int, confidence: float
) -> tuple[dict[str, Estimate], dict[str, Estimate]]:
    """Per team: recovered share of its customers with a case, and their NPS after it."""
    if ws.count("cases") == 0:
        return {}, {}
    groups = customer_groups(ws)
    j = groups.join(cust, groups.customer_id == cust.respondent_id)
    s = j.group_by("team").agg(n=j.count(), k=engine.as_number(j.recovered).sum()).execute()
    rate = {
        str(row["team"]): wilson_estimate(
            int(row["k"]), int(row["n"]), min_n, "recovered, Wilson", confidence
        )
        for row in s.to_dict(orient="records")
    }
    qid = nps_question(question_bank(ws))
    if qid is None:
        return rate, {}
    r = ws.table("responses")
    a = r.filter(r.question_id == qid)
    rec = j.filter(j.recovered)
    a = rec.join(a, rec.customer_id == a.respondent_id)
    a = a.filter(a.submitted_at >= a.anchor)
    rank = ibis.row_number().over(group_by=a.customer_id, order_by=ibis.desc(a.submitted_at))
    latest = a.mutate(rank=rank)
    latest = latest.filter(latest["rank"] == 0)
    return rate, _nps_by_team(latest, min_n, confidence)


def _team_contacts(
    ws: Workspace, staff: ibis.Table, min_staff: int, confidence: float
) -> dict[str, Estimate]:
    c = ws.table("contacts")
    if ws.count("contacts") == 0:
        return {}
    span = c.agg(lo=c.occurred_at.min(), hi=c.occurred_at.max()).execute().iloc[0]
    days = max((pd.Timestamp(span["hi"]) - pd.Timestamp(span["lo"])).days, 1)
    per = c.group_by("staff_id").agg(k=c.count())
    j = staff.left_join(per, staff.respondent_id == per.staff_id)
    frame = j.select("team", x=j.k.fill_null(0).cast("float64") * 30.0 / days).execute()
    return _team_means(frame, min_staff, confidence, "contacts per person per 30 days, t")


def _pearson(xs: list[Estimate], ys: list[Estimate], confidence: float) -> Estimate:
    pairs = [
        (x.value, y.value)
        for x, y in zip(xs, ys, strict=True)
        if x.value is not None and y.value is not None
    ]
    method = "Pearson r across teams, Fisher z"
    n = len(pairs)
    if n < 4:
        return Estimate.insufficient_data(n, method, confidence)
    x, y = np.array(pairs, dtype=float).T
    r = float(np.corrcoef(x, y)[0, 1])
    zr, half = np.arctanh(np.clip(r, -0.999999, 0.999999)), z_value(confidence) / np.sqrt(n - 3)
    return Estimate(r, float(np.tanh(zr - half)), float(np.tanh(zr + half)), n, method, confidence)


def _wls(teams: tuple[Team, ...], confidence: float) -> tuple[Estimate, float | None]:
    """Weighted least squares of team NPS on team engagement, weights 1 / var(NPS)."""
    import statsmodels.api as sm

    method = "WLS slope of NPS on engagement, weights 1/var(NPS)"
    rows = [t for t in teams if t.engagement.value is not None and t.nps.value is not None]
    if len(rows) < 4:
        return Estimate.insufficient_data(len(rows), method, confidence), None
    x = np.array([t.engagement.value for t in rows], dtype=float)
    y = np.array([t.nps.value for t in rows], dtype=float)
    half = np.array([((t.nps.high or 0.0) - (t.nps.low or 0.0)) / 2 for t in rows])
    w = 1 / np.maximum(half / z_value(confidence), 1e-9) ** 2
    fit = sm.WLS(y, sm.add_constant(x), weights=w).fit()
    low, high = fit.conf_int(alpha=1 - confidence)[1]
    p = float(fit.pvalues[1])

    return Estimate(float(fit.params[1]), float(low), float(high), len(rows), method, confidence), p
