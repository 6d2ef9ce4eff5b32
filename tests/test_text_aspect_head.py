"""The fine-tuned aspect head: decision rule, threshold search, scoring, save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from realitygap.analysis.text.aspect_head import (
    AspectHead,
    HeadSettings,
    best_thresholds,
    build_module,
    decide,
    micro_f1,
)


def test_micro_f1_is_sklearns_micro_f1() -> None:
    rng = np.random.default_rng(3)
    gold = rng.random((50, 5)) < 0.3
    pred = rng.random((50, 5)) < 0.3
    # independent: scikit-learn's multi-label micro F1
    assert micro_f1(gold, pred) == pytest.approx(f1_score(gold, pred, average="micro"))


def test_decide_keeps_the_category_furthest_over_threshold_when_none_passes() -> None:
    p = np.array([[0.2, 0.4, 0.1], [0.9, 0.1, 0.8]])
    t = np.array([0.5, 0.5, 0.15])
    # hand calculation: row 0 passes nothing; margins -0.3, -0.1, -0.05 -> the third category
    assert decide(p, t, at_least_one=True).tolist() == [
        [False, False, True],
        [True, False, True],
    ]
    assert decide(p, t, at_least_one=False)[0].tolist() == [False, False, False]


def test_best_thresholds_separate_separable_scores() -> None:
    # category 0 present exactly when p > 0.6, category 1 when p > 0.2: any threshold in
    # (0.5, 0.7] and (0.1, 0.3] respectively gives F1 = 1 (hand calculation on the grid)
    y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=bool)
    p = np.array([[0.7, 0.1], [0.8, 0.3], [0.5, 0.3], [0.4, 0.1]])
    t = best_thresholds(y, p, at_least_one=False)
    assert 0.5 < t[0] <= 0.7
    assert 0.1 < t[1] <= 0.3
    assert micro_f1(y, decide(p, t, at_least_one=False)) == 1.0


def test_head_outputs_and_a_saved_head_gives_the_same_outputs(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    module = build_module(3, 4, dropout=0.0)
    head = AspectHead(("a", "b", "c"), ("positive", "negative", "neutral", "conflict"),
                      HeadSettings(), module, np.array([0.5, 0.5, 0.5]))  # fmt: skip
    texts = ["The waiter was rude.", "Great sushi, a bit pricey but worth it."]
    present, polarity = head.predict(texts)
    assert present.shape == (2, 3) and polarity.shape == (2, 3, 4)
    # polarity is a distribution over the 4 classes for each category
    assert np.allclose(polarity.sum(-1), 1.0, atol=1e-5)
    # an untrained head's detection logits are zero: sigmoid(0) = 0.5 for every category
    assert np.allclose(head.detect(texts), 0.5)
    head.save(tmp_path / "head.pt")
    loaded = AspectHead.load(tmp_path / "head.pt")
    assert loaded.categories == head.categories
    assert np.allclose(loaded.detect(texts), head.detect(texts))
    assert np.allclose(loaded.predict(texts)[1], polarity, atol=1e-6)
