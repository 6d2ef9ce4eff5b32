"""Touchpoints by sense from hand-made text tags (counts worked out in the comments)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from realitygap.analysis._stats import wilson
from realitygap.analysis.senses import touchpoint_senses
from realitygap.store import Workspace
from realitygap.store.write import insert_new


def test_pairs_counted_once_per_document_with_negative_share(workspace: Workspace) -> None:
    # 40 documents mention delivery + see; 10 of them are negative. d0 mentions "see" twice
    # (two clauses) but counts once. 5 documents mention app + touch (below min_n=30).
    aspects, tags = [], []
    for i in range(40):
        aspects += [(f"d{i}", "touchpoint", "delivery"), (f"d{i}", "sense", "see")]
        tags.append((f"d{i}", "negative" if i < 10 else "positive"))
    aspects.append(("d0", "sense", "see"))
    for i in range(40, 45):
        aspects += [(f"d{i}", "touchpoint", "app"), (f"d{i}", "sense", "touch")]
        tags.append((f"d{i}", "negative"))
    insert_new(
        workspace,
        "document_aspects",
        pd.DataFrame(aspects, columns=["document_id", "aspect_kind", "aspect"]),
    )
    frame = pd.DataFrame(tags, columns=["document_id", "sentiment"])
    frame = frame.assign(model="hand", sentiment_score=0.0, staff_attitude=False)
    insert_new(workspace, "document_tags", frame.assign(tagged_at=datetime(2026, 1, 1)))
    result = touchpoint_senses(workspace).to_frame().set_index(["touchpoint", "sense"])
    assert result.loc[("delivery", "see"), "documents"] == 40
    assert result.loc[("delivery", "see"), "negative_value"] == pytest.approx(10 / 40)
    low, high = wilson(10 / 40, 40)
    assert result.loc[("delivery", "see"), "negative_low"] == pytest.approx(low)
    assert result.loc[("delivery", "see"), "negative_high"] == pytest.approx(high)
    assert result.loc[("app", "touch"), "documents"] == 5
    assert pd.isna(result.loc[("app", "touch"), "negative_value"])
