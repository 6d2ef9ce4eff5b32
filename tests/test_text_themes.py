"""Themes: planted themes are recovered, NPS impact and emerging themes match hand calculations."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from realitygap.analysis.text.themes import (
    _STRIP,
    CLAUSE_PATTERN,
    _choose_k,
    clauses_of,
    discover_themes,
    theme_clauses,
    weighted_silhouette,
)
from realitygap.domain.privacy import redact
from realitygap.simulate.text import CONNECTORS, phrase_pool
from realitygap.store import Workspace
from realitygap.store.clauses import document_parts
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


# The clause splitter before it had to run in DuckDB too: Python-only (it has a look-behind,
# which RE2 lacks). The shared pattern must cut every text exactly as this one did.
_LOOK_BEHIND_SPLITTER = re.compile(
    r"(?<=[.!?;])\s+|[.!?;]+$|,?\s+(?:but|and|however|although|also)\s+|\.\s*also\s+", re.I
)
EDGE_TEXTS = [
    "Great. Also quick delivery here",
    "great.also the staff were nice",
    "the staff were rude, but the shop smells amazing and the prices are fine",
    "wow!!! the app keeps crashing; refund took ages",
    "the parcel was late.\n",
    "the parcel was late.\u00a0the box was broken today",  # no-break space after the stop
    "Staff were unfriendly AND acted like I was a nuisance",
    "prices keep going up , however the quality is excellent ...",
    "call me on 020 7946 0958 please. the app froze during checkout",
    "the cost is higher,and the queue is long",
    "no comment",
]


def _old_clauses(texts: list[str]) -> list[tuple[int, str]]:
    out = []
    for i, text in enumerate(texts):
        for part in _LOOK_BEHIND_SPLITTER.split(text):
            part = part.strip(" ,.;!?")
            if len(redact(part).split()) >= 3:
                out.append((i, redact(part)))
    return out


def test_clauses_cut_in_duckdb_match_the_look_behind_splitter(workspace: Workspace) -> None:
    pool = phrase_pool().text.tolist()
    rng = np.random.default_rng(0)
    joined = [
        rng.choice(CONNECTORS).join(rng.choice(pool, size=3)) + rng.choice(["", ".", "!"])
        for _ in range(300)
    ]
    texts = EDGE_TEXTS + joined
    expected = _old_clauses(texts)
    # the Python splitter (used on the sample) against the old one
    clauses, owner = theme_clauses(texts)
    assert list(zip(owner.tolist(), clauses, strict=True)) == expected
    # DuckDB's RE2 split (used on every document) against the old one, as multisets per text
    ids = [f"t{i:04d}" for i in range(len(texts))]
    insert_new(
        workspace,
        "documents",
        pd.DataFrame({"document_id": ids, "source": "survey", "text": texts}),
    )
    parts = document_parts(workspace, CLAUSE_PATTERN, _STRIP)
    parts["clause"] = clauses_of(parts["part"].tolist())
    got = sorted(
        (ids.index(d), c) for d, c in zip(parts["document_id"], parts["clause"], strict=True) if c
    )
    assert got == sorted(expected)
    # and by hand, for the cases the old splitter was written for
    assert theme_clauses(["Great. Also quick delivery here"])[0] == ["quick delivery here"]
    assert theme_clauses([EDGE_TEXTS[2]])[0] == [
        "the staff were rude",
        "the shop smells amazing",
        "the prices are fine",
    ]


def test_weighted_silhouette_equals_sklearn_on_the_repeated_points() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(40, 5))
    labels = np.repeat([0, 1, 2, 3], 10)
    labels[39] = 4  # a singleton cluster, whose silhouette is 0
    weight = rng.integers(1, 4, size=40)
    weight[39] = 1
    # sklearn puts repeats ~1e-8 apart (rounding in its distance formula), not 0: rel 1e-6
    expected = silhouette_score(np.repeat(z, weight, axis=0), np.repeat(labels, weight))
    assert weighted_silhouette(z, labels, weight) == pytest.approx(expected, rel=1e-6)


def test_k_chosen_on_a_subsample_is_the_planted_number_of_blobs() -> None:
    # six well-separated blobs planted by make_blobs; points repeat with weights 1-5
    z, _ = make_blobs(n_samples=600, centers=6, n_features=8, cluster_std=0.5, random_state=2)
    weight = np.random.default_rng(2).integers(1, 6, size=len(z)).astype(float)
    with threadpool_limits(1):  # as discover_themes runs it
        assert _choose_k(z, weight, seed=0) == 6


def test_result_does_not_depend_on_the_page_size(workspace: Workspace) -> None:
    _plant(workspace, n=300)
    small = discover_themes(workspace, k=4, batch_size=7)
    large = discover_themes(workspace, k=4, batch_size=1024)
    pd.testing.assert_frame_equal(small.to_frame(), large.to_frame())
    pd.testing.assert_frame_equal(small.trend, large.trend)


def test_a_catch_all_theme_is_split_and_a_single_topic_is_kept_whole() -> None:
    # planted truth: clouds of clause vectors a, b (30 documents each), c, d (20 each), one
    # clause per document, and one centre standing for a and b together (60% of the
    # documents, above the 35% bound): the split must give a and b a theme each, whole, and
    # leave c and d (20% each) alone.
    import itertools

    import numpy as np
    import scipy.sparse as sp

    from realitygap.analysis.text.themes import _document_shares, _split_catch_alls

    rng = np.random.default_rng(0)
    axes = np.eye(4)
    sizes = (30, 30, 20, 20)
    z = np.vstack([axes[j] + 0.05 * rng.standard_normal((n, 4)) for j, n in enumerate(sizes)])
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    incidence = sp.identity(100, format="csr")
    merged = np.vstack([(axes[0] + axes[1]) / 2**0.5, axes[2], axes[3]])
    # by hand: the merged theme holds 60 of 100 documents, c and d 20 each
    np.testing.assert_allclose(_document_shares(z, merged, incidence, 0.3), [0.6, 0.2, 0.2])
    centres = _split_catch_alls(z, np.ones(100), merged, incidence, 0.3, seed=0)
    assert len(centres) == 4
    nearest = (z @ centres.T).argmax(axis=1)
    bounds = np.cumsum((0, *sizes))
    clouds = [set(nearest[lo:hi]) for lo, hi in itertools.pairwise(bounds)]
    assert all(len(c) == 1 for c in clouds) and len(set.union(*clouds)) == 4
    # one text repeated (identical vectors) is one topic however many documents hold it: the
    # theme is kept whole (no split of a point into two)
    same = np.tile(axes[0], (50, 1))
    kept = _split_catch_alls(same, np.ones(50), axes[:1], sp.identity(50, format="csr"), 0.3, 0)
    assert len(kept) == 1
