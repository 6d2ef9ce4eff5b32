"""Listening audit against a hand-built workspace (expected values worked out in comments)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from realitygap.analysis.listening import listening
from realitygap.store import Workspace
from realitygap.store.write import insert_new

AS_OF = datetime(2026, 6, 30)
# staff id -> (role, department, contacts in last 30 days, contacts 31-90 days ago, error)
STAFF = {
    "s1": ("executive", "retail", 0, 0, 1.5),
    "s2": ("executive", "retail", 0, 1, 1.2),
    "s3": ("executive", "logistics", 1, 0, 0.9),
    "s4": ("executive", "logistics", 0, 0, 1.4),
    "s5": ("frontline", "retail", 2, 2, 0.4),
    "s6": ("frontline", "retail", 3, 1, 0.3),
    "s7": ("frontline", "logistics", 1, 3, 0.5),
    "s8": ("frontline", "logistics", 0, 2, 0.8),
}


def _fill(ws: Workspace) -> None:
    questions = pd.DataFrame(
        [
            ("q1", "Staff were friendly", "likert5", "customer", None),
            ("q2", "Delivery was on time", "likert5", "customer", None),
            ("m_q1", "How will customers rate: staff friendly?", "likert5", "mirror", "q1"),
            ("m_q2", "How will customers rate: delivery on time?", "likert5", "mirror", "q2"),
        ],
        columns=["question_id", "text", "scale", "audience", "mirrors"],
    )
    insert_new(ws, "questions", questions)
    people = [(f"c{i}", "customer", None, None) for i in range(1, 5)]
    people += [(sid, "staff", role, dept) for sid, (role, dept, *_rest) in STAFF.items()]
    insert_new(
        ws,
        "respondents",
        pd.DataFrame(people, columns=["respondent_id", "kind", "role", "department"]),
    )
    # customers: q1 = 4, 4, 5, 3 (mean 4.0); q2 = 2, 2, 2, 2 (mean 2.0)
    rows = [(f"c{i}", "q1", v) for i, v in zip(range(1, 5), [4, 4, 5, 3], strict=True)]
    rows += [(f"c{i}", "q2", 2) for i in range(1, 5)]
    # staff over-predict both items by their planted error, so their error is exactly that
    for sid, (*_rest, err) in STAFF.items():
        rows += [(sid, "m_q1", 4 + err), (sid, "m_q2", 2 + err)]
    frame = pd.DataFrame(rows, columns=["respondent_id", "question_id", "value"])
    frame["wave"] = "w1"
    insert_new(ws, "responses", frame)
    contacts = []
    for sid, (_r, _d, recent, older, _e) in STAFF.items():
        contacts += [(sid, AS_OF - timedelta(days=5 + i)) for i in range(recent)]
        contacts += [(sid, AS_OF - timedelta(days=40 + i)) for i in range(older)]
    cframe = pd.DataFrame(contacts, columns=["staff_id", "occurred_at"])
    cframe["contact_id"] = [f"k{i}" for i in range(len(cframe))]
    cframe["channel"] = "call"
    insert_new(ws, "contacts", cframe)


def test_shares_bands_and_spearman(workspace: Workspace) -> None:
    _fill(workspace)
    result = listening(workspace, as_of=AS_OF, min_n=3)
    groups = {(g.dimension, g.group): g for g in result.groups}
    # executives: only s3 heard a customer in 30 days -> 1/4; in 90 days s2 and s3 -> 2/4
    assert groups[("role", "executive")].heard_30d.value == pytest.approx(0.25)
    assert groups[("role", "executive")].heard_90d.value == pytest.approx(0.50)
    # frontline: s5, s6, s7 in 30 days -> 3/4; all four in 90 days
    assert groups[("role", "frontline")].heard_30d.value == pytest.approx(0.75)
    assert groups[("role", "frontline")].heard_90d.value == pytest.approx(1.0)
    # contacts per 30 days for frontline: 90-day counts 4, 4, 4, 2 -> mean 14/4/3 = 1.1667
    assert groups[("role", "frontline")].contacts_per_30d.value == pytest.approx(14 / 12)
    # logistics: s3, s7 in 30 days of s3, s4, s7, s8 -> 2/4
    assert groups[("department", "logistics")].heard_30d.value == pytest.approx(0.5)

    bands = {b.band: b.error for b in result.bands}
    # 90-day counts: s1 0, s2 1, s3 1, s4 0, s5 4, s6 4, s7 4, s8 2
    # none: s1, s4 -> (1.5 + 1.4) / 2 = 1.45 (n = 2 < 3: insufficient)
    assert bands["none"].insufficient
    # 1-2: s2, s3, s8 -> (1.2 + 0.9 + 0.8) / 3
    assert bands["1-2"].value == pytest.approx((1.2 + 0.9 + 0.8) / 3)
    # 3+: s5, s6, s7 -> (0.4 + 0.3 + 0.5) / 3 = 0.4, t interval from scipy
    assert bands["3+"].value == pytest.approx(0.4)
    ci = stats.ttest_1samp([0.4, 0.3, 0.5], 0).confidence_interval()
    assert (bands["3+"].low, bands["3+"].high) == pytest.approx((ci.low, ci.high))

    counts = np.array([0, 1, 1, 0, 4, 4, 4, 2], dtype=float)
    errors = np.array([1.5, 1.2, 0.9, 1.4, 0.4, 0.3, 0.5, 0.8])
    rho = stats.spearmanr(counts, errors).statistic
    assert result.contact_error_spearman.value == pytest.approx(rho)
    # Fisher-z interval with the Spearman SE 1.06 / sqrt(n - 3) (Fieller, Hartley, Pearson 1957)
    half = 1.959964 * 1.06 / math.sqrt(8 - 3)
    expected = (math.tanh(math.atanh(rho) - half), math.tanh(math.atanh(rho) + half))
    assert (result.contact_error_spearman.low, result.contact_error_spearman.high) == (
        pytest.approx(expected, abs=1e-5)
    )
    assert "executive 25% [" in result.headline()


def test_no_contacts_is_insufficient_not_an_error(workspace: Workspace) -> None:
    result = listening(workspace)
    assert result.groups == ()
    assert "insufficient data" in result.headline()
