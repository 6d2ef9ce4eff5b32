"""Fieldwork: how many customers were invited to each wave and how many answered, and, for
each open campaign of the survey service, how many of its invited started and completed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis._stats import wilson_estimate
from realitygap.domain.errors import check_confidence
from realitygap.store.engine import as_number
from realitygap.store.workspace import Workspace


def customer_invitations(ws: Workspace) -> ir.Table:
    """The ``invitations`` of customers: staff invited to the mirror survey are left out (an
    invitation whose respondent is not in ``respondents`` counts as a customer's)."""
    inv = ws.table("invitations")
    people = ws.table("respondents")
    staff = people.filter(people.kind == "staff").select("respondent_id")
    return inv.anti_join(staff, "respondent_id")


@dataclass(frozen=True)
class WaveResponse(Values):
    """One wave's fieldwork: invited customers, those who answered, and the rate."""

    wave: str
    invited: int
    responded: int
    rate: Estimate


@dataclass(frozen=True)
class CampaignResponse(Values):
    """A live (open) campaign's fieldwork so far: everyone invited through its personal links
    (customers and, for a mirror, staff), those who saved at least one page, those who
    finished, and the response rate (finished over invited)."""

    campaign_id: str
    wave: str
    invited: int
    started: int
    completed: int
    rate: Estimate


@dataclass(frozen=True)
class ResponseRates(Values):
    """Response rate per wave (invited customers with at least one answer in that wave).

    ``to_frame()`` columns: wave, invited, responded, rate_value, rate_low, rate_high,
    rate_n (invitations), rate_method, rate_confidence, rate_n_effective.
    """

    waves: tuple[WaveResponse, ...]
    min_n: int = MIN_N
    confidence: float = 0.95
    method: str = "invited customers who answered in the wave; Wilson interval"
    campaigns: tuple[CampaignResponse, ...] = ()

    def campaigns_frame(self) -> pd.DataFrame:
        """The open campaigns: campaign_id, wave, invited, started, completed, rate_value,
        rate_low, rate_high, rate_n, rate_method, rate_confidence, rate_n_effective."""
        columns = ["campaign_id", "wave", "invited", "started", "completed"]
        rows = [
            {c: getattr(k, c) for c in columns} | k.rate.to_dict("rate_") for k in self.campaigns
        ]
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)

    def to_frame(self) -> pd.DataFrame:
        columns = ["wave", "invited", "responded"]
        rows = [
            {"wave": w.wave, "invited": w.invited, "responded": w.responded}
            | w.rate.to_dict("rate_")
            for w in self.waves
        ]
        frame = pd.DataFrame(rows)
        return frame if rows else pd.DataFrame(columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "min_n": self.min_n,
            "waves": plain(self.waves),
            "campaigns": plain(self.campaigns),
        }

    def __str__(self) -> str:
        lines = ["Response rate per wave (invited customers who answered)"]
        lines.extend(
            f"  {w.wave}: {w.responded:,} of {w.invited:,} — {w.rate.format(0, 100, '%')}"
            for w in self.waves
        )
        if self.campaigns:
            lines.append("Open campaigns (completed of invited)")
            lines.extend(
                f"  {k.campaign_id}: {k.invited:,} invited, {k.started:,} started, "
                f"{k.completed:,} completed — {k.rate.format(0, 100, '%')}"
                for k in self.campaigns
            )
        return "\n".join(lines)


def response_rates(ws: Workspace, *, min_n: int = MIN_N, confidence: float = 0.95) -> ResponseRates:
    """Per wave: customers invited, those who answered at least once in that wave, and the rate.

    Staff invited to the mirror survey are not counted.

    Parameters
    ----------
    ws : Workspace
        An open workspace; the ``invitations`` table (empty: no waves).
    min_n : int, default 30
        Fewer invitations than this give "insufficient data".
    confidence : float, default 0.95
        Level of the Wilson intervals.

    Returns
    -------
    ResponseRates
        ``waves``: one :class:`WaveResponse` per wave. ``to_frame()`` columns: ``wave``,
        ``invited``, ``responded``, ``rate_value``, ``rate_low``, ``rate_high`` (share in 0..1),
        ``rate_n`` (invitations), ``rate_method``, ``rate_confidence``, ``rate_n_effective``
        (always None: invitations are not weighted).

    Raises
    ------
    ArgumentError
        ``confidence`` outside (0, 1) or ``min_n`` below 1.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22, 209-212.

    Examples
    --------
    >>> rates = response_rates(ws)
    >>> rates.to_frame()[["wave", "invited", "responded", "rate_value"]].round(3)
          wave  invited  responded  rate_value
    0  2024-Q3      240        113       0.471
    1  2024-Q4      261        110       0.421
    2  2025-Q1      271        100       0.369
    3  2025-Q2      262         98       0.374
    """
    check_confidence(confidence, min_n)
    inv = customer_invitations(ws)
    r = ws.table("responses")
    answered = r.select("respondent_id", "wave").distinct().mutate(answered=1)
    j = inv.left_join(answered, ["respondent_id", "wave"])
    counts: pd.DataFrame = (
        j.group_by("wave")
        .agg(invited=j.count(), responded=j.answered.fill_null(0).sum())
        .order_by("wave")
        .execute()
    )
    waves = tuple(
        WaveResponse(
            str(wave),
            int(invited),
            int(responded),
            wilson_estimate(int(responded), int(invited), min_n, "Wilson", confidence),
        )
        for wave, invited, responded in zip(
            counts["wave"], counts["invited"], counts["responded"], strict=True
        )
    )
    return ResponseRates(waves, min_n, confidence, campaigns=_open_campaigns(ws, min_n, confidence))


def _open_campaigns(ws: Workspace, min_n: int, confidence: float) -> tuple[CampaignResponse, ...]:
    """Per open campaign: invited, started (a page saved, or finished), completed."""
    live = ws.table("campaigns").filter(lambda t: t.status == "open").select("campaign_id", "wave")
    inv = ws.table("invitations")
    j = live.left_join(inv, "campaign_id")
    started = (j.page_reached.fill_null(0) > 0) | j.responded_at.notnull()
    counts: pd.DataFrame = (
        j.group_by([live.campaign_id, live.wave])
        .agg(
            invited=j.respondent_id.count(),
            started=as_number(started).sum(),
            completed=j.responded_at.count(),
        )
        .order_by("campaign_id")
        .execute()
    )
    out = []
    for cid, wave, invited, started_n, completed in zip(
        counts["campaign_id"],
        counts["wave"],
        counts["invited"],
        counts["started"].fillna(0),
        counts["completed"],
        strict=True,
    ):
        out.append(
            CampaignResponse(
                str(cid),
                str(wave),
                int(invited),
                int(started_n),
                int(completed),
                wilson_estimate(int(completed), int(invited), min_n, "Wilson", confidence),
            )
        )
    return tuple(out)
