"""Response rates per wave from a hand-made invitation list."""

from __future__ import annotations

import pandas as pd
import pytest

from realitygap.analysis._stats import wilson
from realitygap.analysis.fieldwork import response_rates
from realitygap.store import Workspace
from realitygap.store.write import insert_new


def test_rates_count_invited_customers_who_answered(workspace: Workspace) -> None:
    # wave A: 40 invited, 10 answered (one of them twice); wave B: 5 invited, 5 answered
    inv = [(f"c{i}", "A") for i in range(40)] + [(f"c{i}", "B") for i in range(5)]
    insert_new(workspace, "invitations", pd.DataFrame(inv, columns=["respondent_id", "wave"]))
    answers = [(f"c{i}", "q1", "A", 3.0) for i in range(10)] + [("c0", "q2", "A", 4.0)]
    answers += [(f"c{i}", "q1", "B", 5.0) for i in range(5)]
    answers += [("stranger", "q1", "A", 1.0)]  # answered without an invitation: not counted
    # a staff member invited to (and answering) the mirror survey: not a customer, not counted
    insert_new(workspace, "respondents", pd.DataFrame({"respondent_id": ["s1"], "kind": "staff"}))
    insert_new(workspace, "invitations", pd.DataFrame({"respondent_id": ["s1"], "wave": ["A"]}))
    answers += [("s1", "m1", "A", 4.0)]
    frame = pd.DataFrame(answers, columns=["respondent_id", "question_id", "wave", "value"])
    insert_new(workspace, "responses", frame)
    rates = response_rates(workspace).to_frame().set_index("wave")
    assert rates.loc["A", "invited"] == 40 and rates.loc["A", "responded"] == 10
    assert rates.loc["A", "rate_value"] == pytest.approx(0.25)
    assert (rates.loc["A", "rate_low"], rates.loc["A", "rate_high"]) == pytest.approx(
        wilson(0.25, 40)
    )
    assert rates.loc["B", "responded"] == 5
    assert pd.isna(rates.loc["B", "rate_value"])  # 5 invitations: below the guardrail
