"""Themes: planted themes are recovered, NPS impact and emerging themes match hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from realitygap.analysis.text.themes import discover_themes, theme_clauses
from realitygap.store import Workspace
from realitygap.store.write import insert_new

# The fast path groups clauses by shared words (and character n-grams), so each planted theme's
# phrases share their key words; grouping pure paraphrases is the accurate path's job.
PLANTED = {
    "late": ["the delivery was late", "late delivery again", "delivery late as usual",
             "my delivery arrived late"],
    "rude": ["the staff were rude", "rude staff again", "staff rude as usual",
             "the staff were so rude"],
    "price": ["the prices are too high", "high prices again", "prices too high as usual",
              "prices are high"],
    "app": ["the app keeps crashing", "app crashing again", "the app is crashing",
            "app crashing as usual"],
}  # fmt: skip


def _plant(ws: Workspace, n: int = 600, seed: int = 3) -> pd.DataFrame:
    """n documents, each with one or two planted themes; customers with NPS answers.

    "app" is planted only in, and in every document of, the last month (2025-06), so it must
    come out as emerging.
    """
    rng = np.random.default_rng(seed)
    names = list(PLANTED)
    rows = []
    for i in range(n):
        month = 1 + i % 6
        chosen = list(rng.choice(names[:3], size=int(rng.integers(1, 3)), replace=False))
        if month == 6:
            chosen.append("app")
        text = ". ".join(PLANTED[t][int(rng.integers(4))] for t in chosen)
        rows.append(
            {"document_id": f"d{i:04d}", "source": "survey", "text": text,
             "customer_id": f"c{i:04d}", "created_at": pd.Timestamp(2025, month, 10),
             "themes": set(chosen), "nps": int(rng.integers(0, 11))}
        )  # fmt: skip
    docs = pd.DataFrame(rows)
    insert_new(
        ws, "documents", docs[["document_id", "source", "text", "customer_id", "created_at"]]
    )
    insert_new(
        ws,
        "questions",
        pd.DataFrame(
            {"question_id": ["nps"], "text": ["Recommend us?"], "scale": ["nps"],
             "audience": ["customer"]}
        ),
    )  # fmt: skip
    insert_new(
        ws,
        "responses",
        pd.DataFrame(
            {"respondent_id": docs["customer_id"], "question_id": "nps", "wave": "w1",
             "value": docs["nps"].astype(float)}
        ),
    )  # fmt: skip
    return docs


def test_planted_themes_recovered_with_hand_computed_nps_impact(workspace: Workspace) -> None:
    docs = _plant(workspace)
    result = discover_themes(workspace, k=4, seed=0)
    assert len(result.themes) == 4

    # planted truth: every clause is one planted phrase (the splitter keeps them whole)
    phrase_theme = {p: t for t, ps in PLANTED.items() for p in ps}
    clauses, _ = theme_clauses(docs["text"].tolist())
    assert set(clauses) <= set(phrase_theme)
    # each discovered theme's quotes must come from a single planted theme
    mapping = {}
    for theme in result.themes:
        planted = {phrase_theme[q] for q in theme.quotes}
        assert len(planted) == 1, (theme.label, theme.quotes)
        mapping[theme.theme] = planted.pop()
    assert sorted(mapping.values()) == sorted(PLANTED)

    # volumes: documents with each planted theme, counted directly from the planted rows
    by_planted = {mapping[t.theme]: t for t in result.themes}
    for name in PLANTED:
        expected = int(docs["themes"].map(lambda s, name=name: name in s).sum())
        assert by_planted[name].documents == expected

    # NPS by hand: promoters 9-10, detractors 0-6; impact = 100 * detractors with theme / n
    n = len(docs)
    nps = 100 * ((docs["nps"] >= 9).mean() - (docs["nps"] <= 6).mean())
    assert result.nps.value == pytest.approx(nps)
    for name in PLANTED:
        det = int(((docs["nps"] <= 6) & docs["themes"].map(lambda s, name=name: name in s)).sum())
        assert by_planted[name].nps_impact.value == pytest.approx(100 * det / n)
        # recomputing NPS with those detractors as passives gives the same gain
        as_passive = (docs["nps"] <= 6) & ~docs["themes"].map(lambda s, name=name: name in s)
        gained = 100 * ((docs["nps"] >= 9).mean() - as_passive.mean()) - nps
        assert by_planted[name].nps_impact.value == pytest.approx(gained)

    # "app" appears only in the last month: emerging; the others shrink there
    assert by_planted["app"].emerging
    assert not any(by_planted[t].emerging for t in ("late", "rude", "price"))


def test_quotes_are_redacted(workspace: Workspace) -> None:
    texts = [f"please call me back on 020 7946 09{i:02d} about the late parcel" for i in range(40)]
    texts += [f"the app keeps crashing when I open it, number {i}" for i in range(40)]
    insert_new(
        workspace,
        "documents",
        pd.DataFrame(
            {"document_id": [f"x{i}" for i in range(80)], "source": "ticket", "text": texts}
        ),
    )
    result = discover_themes(workspace, k=2)
    quotes = " ".join(q for t in result.themes for q in t.quotes)
    assert "[PHONE]" in quotes and "7946" not in quotes
