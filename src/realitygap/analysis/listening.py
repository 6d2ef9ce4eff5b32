"""The listening audit: how often do leaders and staff hear customers directly, and does it help?

From the ``contacts`` table (a staff member hearing a customer: a call, a visit, reading
feedback): per role and per department, the share of staff who heard a customer in the last
30 and 90 days (Wilson intervals) and how often (contacts per person per 30 days, t interval).

Linked to the mirror survey: each staff member's prediction error is the mean absolute
difference between their predictions (mirror answers) and the customers' actual mean of each
predicted item. Staff are grouped by how often they heard customers in the 90 days before the
end of the data (none, 1-2, 3 or more); each band's mean error has a t interval, and the
Spearman correlation of contact count with error has a Fisher-z interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis._stats import mean_estimate, wilson_estimate, z_value
from realitygap.domain.errors import check_confidence
from realitygap.store import engine
from realitygap.store.workspace import Workspace

FREQUENCY_BANDS = (("none", 0, 0), ("1-2", 1, 2), ("3+", 3, None))


@dataclass(frozen=True)
class ListeningGroup(Values):
    """One role or department: staff n and who heard a customer recently."""

    dimension: str  # "role" or "department"
    group: str
    staff: int
    heard_30d: Estimate
    heard_90d: Estimate
    contacts_per_30d: Estimate


@dataclass(frozen=True)
class ErrorBand(Values):
    """Mean absolute prediction error of the staff in one contact-frequency band."""

    band: str
    error: Estimate


@dataclass(frozen=True)
class ListeningResult(Values):
    as_of: datetime | None
    groups: tuple[ListeningGroup, ...]
    bands: tuple[ErrorBand, ...]
    contact_error_spearman: Estimate
    min_n: int = MIN_N
    confidence: float = 0.95
    methods: tuple[str, ...] = field(
        default=(
            "Share of staff with a direct customer contact in the window: Wilson interval",
            "Contacts per person per 30 days over the last 90 days: t interval",
            "Prediction error: mean |staff prediction - customer mean| over mirror items",
            "Spearman correlation of 90-day contacts with error: Fisher-z interval",
        )
    )

    def headline(self) -> str:
        roles = [g for g in self.groups if g.dimension == "role"]
        if not roles:
            return "insufficient data for the listening audit (no staff contacts recorded)"
        order = {"executive": 0, "manager": 1, "frontline": 2}
        roles.sort(key=lambda g: order.get(g.group, 3))
        text = "Heard a customer directly in the last 30 days: " + "; ".join(
            f"{g.group} {g.heard_30d.format(0, 100, '%')}" for g in roles
        )
        none = next((b for b in self.bands if b.band == "none"), None)
        many = next((b for b in self.bands if b.band == "3+"), None)
        if none and many and none.error.value is not None and many.error.value is not None:
            text += (
                f". Staff who never hear customers miss by {none.error.value:.2f} scale points, "
                f"those who hear them 3+ times by {many.error.value:.2f}"
            )
        return text

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for g in self.groups:
            row: dict[str, Any] = {"dimension": g.dimension, "group": g.group, "staff": g.staff}
            row.update(g.heard_30d.to_dict("heard_30d_"))
            row.update(g.heard_90d.to_dict("heard_90d_"))
            row.update(g.contacts_per_30d.to_dict("contacts_per_30d_"))
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "headline": self.headline(),
            "groups": plain(self.groups),
            "error_by_contact_frequency": plain(self.bands),
            "contact_error_spearman": self.contact_error_spearman.to_dict(),
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = [self.headline(), "Heard a customer directly (last 30 / 90 days)"]
        for g in self.groups:
            lines.append(
                f"  {g.dimension:<10} {g.group:<18} staff={g.staff:<5} "
                f"30d {g.heard_30d.format(0, 100, '%')}  90d {g.heard_90d.format(0, 100, '%')}"
            )
        lines.append("Prediction error by contacts in the last 90 days")
        for b in self.bands:
            lines.append(f"  {b.band:<5} {b.error.format(2)}")
        lines.append(f"  Spearman(contacts, error) {self.contact_error_spearman.format(2)}")
        return "\n".join(lines)


def _mean(values: np.ndarray, min_n: int, method: str, confidence: float) -> Estimate:
    n = len(values)
    if n < max(min_n, 2):
        return Estimate.insufficient_data(n, method, confidence)
    return mean_estimate(
        float(values.mean()), float(values.var(ddof=1)), n, min_n, method, confidence
    )


def spearman_estimate(
    x: np.ndarray, y: np.ndarray, min_n: int, method: str, confidence: float = 0.95
) -> Estimate:
    """Spearman's rho with a Fisher-z interval (SE 1.06 / sqrt(n - 3), Fieller et al. 1957)."""
    n = len(x)
    if n < max(min_n, 4) or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Estimate.insufficient_data(n, method, confidence)
    rho = float(stats.spearmanr(x, y).statistic)
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    half = z_value(confidence) * 1.06 / np.sqrt(n - 3)
    low, high = float(np.tanh(z - half)), float(np.tanh(z + half))
    return Estimate(rho, low, high, n, method, confidence)


def _staff_contacts(ws: Workspace, as_of: datetime) -> pd.DataFrame:
    """Per staff member: role, department, contacts in the last 30 and 90 days (engine)."""
    resp = ws.table("respondents")
    staff = resp.filter(resp.kind == "staff").select("respondent_id", "role", "department")
    c = ws.table("contacts")
    start90 = ibis.literal(as_of - timedelta(days=90))
    start30 = ibis.literal(as_of - timedelta(days=30))
    recent = c.filter((c.occurred_at > start90) & (c.occurred_at <= ibis.literal(as_of)))
    per_staff = recent.group_by(recent.staff_id.name("respondent_id")).agg(
        c90=recent.count(),
        c30=engine.as_number((recent.occurred_at > start30), "int64").sum(),
    )
    joined = staff.left_join(per_staff, "respondent_id").select(
        staff.respondent_id, staff.role, staff.department, "c30", "c90"
    )
    frame: pd.DataFrame = joined.execute()
    frame[["c30", "c90"]] = frame[["c30", "c90"]].fillna(0).astype("int64")
    return frame


def _staff_errors(ws: Workspace) -> pd.DataFrame:
    """Per staff member: mean |prediction - customer mean| over the items they predicted."""
    q = ws.table("questions")
    r = ws.table("responses")
    resp = ws.table("respondents")
    customers = resp.filter(resp.kind == "customer").select("respondent_id")
    customer_q = q.filter(q.audience == "customer").select("question_id")
    cust = r.join(customers, "respondent_id").join(customer_q, "question_id")
    actual = cust.group_by("question_id").agg(actual=cust.value.mean())
    mirrors = q.filter((q.audience == "mirror") & q.mirrors.notnull()).select(
        mirror_id=q.question_id, target=q.mirrors
    )
    staff = resp.filter(resp.kind == "staff").select("respondent_id")
    pred = r.join(staff, "respondent_id").join(mirrors, r.question_id == mirrors.mirror_id)
    pred = pred.join(actual, pred.target == actual.question_id)
    err = pred.group_by("respondent_id").agg(
        error=(pred.value - pred.actual).abs().mean(), items=pred.count()
    )
    frame: pd.DataFrame = err.execute()
    return frame


def listening(
    ws: Workspace,
    *,
    as_of: datetime | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
) -> ListeningResult:
    """The listening audit: how often leaders and staff hear customers directly, and does it help.

    Parameters
    ----------
    ws : Workspace
        An open workspace with staff ``contacts`` (calls, visits, reading feedback).
    as_of : datetime, optional
        The end of the 30- and 90-day windows (default: the latest contact).
    min_n : int, default 30
        Fewer staff than this give "insufficient data".
    confidence : float, default 0.95
        Level of every interval.

    Returns
    -------
    ListeningResult
        ``groups`` (:class:`ListeningGroup` per role and department), ``bands``
        (:class:`ErrorBand`: mean prediction error of staff who heard customers none, 1-2 or 3+
        times in 90 days), ``contact_error_spearman``, ``headline()``; ``groups`` is empty for
        a workspace without contacts. ``to_frame()`` has one row per role and department:

        - ``dimension`` (``role`` or ``department``), ``group``, ``staff``;
        - ``heard_30d_value``, ``heard_30d_low``, ``heard_30d_high``, ``heard_30d_n``,
          ``heard_30d_method``, ``heard_30d_confidence``, ``heard_30d_n_effective``: share of
          staff who heard a customer in the last 30 days (Wilson);
        - the same seven ``heard_90d_*`` columns for 90 days;
        - the same seven ``contacts_per_30d_*`` columns: contacts per person per 30 days over
          the last 90 (t interval).

    References
    ----------
    Wilson, E. B. (1927). JASA 22. Spearman, C. (1904); Fisher, R. A. (1921) (z interval).
    Bain & Company's "closing the delivery gap" (2005) on leaders who never hear customers.

    Examples
    --------
    >>> result = listening(ws)
    >>> frame = result.to_frame()
    >>> frame[frame.dimension == "role"][["group", "staff", "heard_30d_value", "heard_90d_value"]]
           group  staff  heard_30d_value  heard_90d_value
    0  executive      7              NaN              NaN
    1  frontline     33         0.757576         0.878788
    2    manager     20              NaN              NaN
    """
    check_confidence(confidence, min_n)
    if as_of is None:
        latest = ws.table("contacts").occurred_at.max().execute()
        as_of = None if latest is None or pd.isna(latest) else pd.Timestamp(latest).to_pydatetime()
    if as_of is None:
        empty = Estimate.insufficient_data(0, "Spearman", confidence)
        return ListeningResult(None, (), (), empty, min_n, confidence)
    staff = _staff_contacts(ws, as_of)
    groups = []
    for dimension in ("role", "department"):
        for name, g in staff.dropna(subset=[dimension]).groupby(dimension):
            n = len(g)
            groups.append(
                ListeningGroup(
                    dimension=dimension,
                    group=str(name),
                    staff=n,
                    heard_30d=wilson_estimate(
                        int((g["c30"] > 0).sum()), n, min_n, "Wilson", confidence
                    ),
                    heard_90d=wilson_estimate(
                        int((g["c90"] > 0).sum()), n, min_n, "Wilson", confidence
                    ),
                    contacts_per_30d=_mean(
                        g["c90"].to_numpy() / 3.0, min_n, "t interval", confidence
                    ),
                )
            )
    errors = _staff_errors(ws).merge(staff, on="respondent_id")
    bands = []
    for band, low, high in FREQUENCY_BANDS:
        in_band = errors["c90"] >= low
        if high is not None:
            in_band &= errors["c90"] <= high
        vals = errors.loc[in_band, "error"].to_numpy(dtype=float)
        bands.append(
            ErrorBand(band, _mean(vals, min_n, "mean absolute error, t interval", confidence))
        )
    rho = spearman_estimate(
        errors["c90"].to_numpy(dtype=float),
        errors["error"].to_numpy(dtype=float),
        min_n,
        "Spearman, Fisher-z interval",
        confidence,
    )
    return ListeningResult(as_of, tuple(groups), tuple(bands), rho, min_n, confidence)
