"""Fieldwork: how many customers were invited to each wave and how many answered."""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from realitygap.analysis._result import MIN_N
from realitygap.analysis._stats import wilson_estimate
from realitygap.store.workspace import Workspace


def customer_invitations(ws: Workspace) -> ir.Table:
    """The ``invitations`` of customers: staff invited to the mirror survey are left out (an
    invitation whose respondent is not in ``respondents`` counts as a customer's)."""
    inv = ws.table("invitations")
    people = ws.table("respondents")
    staff = people.filter(people.kind == "staff").select("respondent_id")
    return inv.anti_join(staff, "respondent_id")


def response_rates(ws: Workspace, *, min_n: int = MIN_N) -> pd.DataFrame:
    """Per wave: invited, responded (invited customers with at least one answer in that wave),
    and the response rate with its Wilson interval. Columns: wave, invited, responded, rate,
    rate_low, rate_high (rates None below ``min_n`` invitations)."""
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
    rows = []
    for wave, invited, responded in zip(
        counts["wave"], counts["invited"], counts["responded"], strict=True
    ):
        est = wilson_estimate(int(responded), int(invited), min_n, "Wilson")
        rows.append(
            {
                "wave": wave,
                "invited": int(invited),
                "responded": int(responded),
                "rate": est.value,
                "rate_low": est.low,
                "rate_high": est.high,
            }
        )
    return pd.DataFrame(
        rows, columns=["wave", "invited", "responded", "rate", "rate_low", "rate_high"]
    )
