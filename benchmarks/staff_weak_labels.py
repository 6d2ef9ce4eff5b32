"""Would a model trained on weak labels lift staff-attitude recall? (issue 17, an experiment)

Trains TF-IDF + logistic regression on airline texts outside both evaluation sets, with weak
labels: a negative tweet whose dataset reason is "Flight Attendant Complaints", a Skytrax review
whose cabin-staff rating is 1. The flag is then the rules' OR the model's above a threshold
chosen on the first evaluation set (tests/data/tag_eval_labels.csv, all 400 reviews: the rules
were tuned on it), and measured once on the second draw (tests/data/staff_attitude_labels.csv).

    python benchmarks/staff_weak_labels.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from realitygap.analysis.text.tag_eval import (  # noqa: E402
    SKYTRAX,
    TWEETS,
    load_eval_set,
    load_staff_set,
    predict,
)

DATA = ROOT.parent / "shared" / "data"
THRESHOLDS = np.round(np.arange(0.30, 0.91, 0.05), 2)


def _counts(gold: np.ndarray, pred: np.ndarray) -> tuple[int, int, int]:
    return int((pred & gold).sum()), int((pred & ~gold).sum()), int((gold & ~pred).sum())


def main() -> None:
    first = load_eval_set(ROOT / "tests/data/tag_eval_labels.csv", DATA)
    second = load_staff_set(ROOT / "tests/data/staff_attitude_labels.csv", DATA)
    used = set(zip(first["dataset"], first["row_id"], strict=True))
    used |= set(zip(second["dataset"], second["row_id"], strict=True))
    tweets = pd.read_csv(DATA / TWEETS, dtype={"tweet_id": str})
    tweets = tweets[[("tweets", i) not in used for i in tweets["tweet_id"]]]
    tweets = tweets[tweets["airline_sentiment"] == "negative"]
    sky = pd.read_csv(DATA / SKYTRAX)
    sky = sky[[("skytrax", str(i)) not in used for i in sky.index]]
    texts = [*tweets["text"].astype(str), *sky["content"].astype(str)]
    weak = np.concatenate([
        (tweets["negativereason"] == "Flight Attendant Complaints").to_numpy(),
        (sky["cabin_staff_rating"].fillna(3) <= 1).to_numpy(),
    ])  # fmt: skip
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    model = LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced")
    model.fit(vec.fit_transform(texts), weak)
    print(f"trained on {len(texts)} texts, {int(weak.sum())} weak positives")

    def scores(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        gold = (frame["staff_attitude"] == "criticised").to_numpy()
        rules = predict(frame["text"].tolist())["staff"].to_numpy()
        return gold, rules, model.predict_proba(vec.transform(frame["text"]))[:, 1]

    g1, r1, p1 = scores(first)
    best = (-1.0, float(THRESHOLDS[0]))
    for th in THRESHOLDS:
        tp, fp, fn = _counts(g1, r1 | (p1 >= th))
        best = max(best, (2 * tp / (2 * tp + fp + fn), float(th)))
    g2, r2, p2 = scores(second)
    print(f"threshold chosen on the first set (best F1 {best[0]:.3f}): {best[1]:.2f}")
    print(f"second draw: model AUC {roc_auc_score(g2, p2):.3f}, n={len(g2)}, {g2.sum()} criticised")
    for name, pred in (("rules", r2), ("rules or model", r2 | (p2 >= best[1]))):
        tp, fp, fn = _counts(g2, pred)
        recall = tp / (tp + fn)
        print(f"  {name:15s} precision {tp}/{tp + fp}, recall {tp}/{tp + fn} = {recall:.3f}")


if __name__ == "__main__":
    main()
