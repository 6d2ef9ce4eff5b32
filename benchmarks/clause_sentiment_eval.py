"""Is the rated model's verdict on text the lexicon finds neutral worth taking?

Theme sentiment (realitygap.analysis.text.polarity) scores a clause with VADER's lexicon and,
where the lexicon finds no sentiment, with the shipped rated model measured from its neutral
point (the stars it gives a text with no word it knows). This script checks that on real,
independently labelled short texts: the Twitter US Airline Sentiment tweets
(../shared/data/twitter-airline-sentiment, CC BY-NC-SA 4.0, used for evaluation only;
annotators' negative / neutral / positive labels), mentions and links removed. Among the
tweets the lexicon scores neutral (|compound| < 0.05) it prints the gold labels of those the
model puts at or below -0.05, between, and at or above +0.05, with Wilson 95% intervals, and
the base rates: the model's side is worth taking where its precision is above the base rate.

Run: ``.venv/bin/python benchmarks/clause_sentiment_eval.py``.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from realitygap.analysis.text.fast import LexiconSentiment
from realitygap.analysis.text.polarity import SERVICE_FAILURE, rated_neutral_stars
from realitygap.analysis.text.rated import shipped

DATA = Path(
    os.environ.get(
        "REALITYGAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> None:
    tweets = pd.read_csv(DATA / "twitter-airline-sentiment" / "Tweets.csv")
    texts = [re.sub(r"@\w+|http\S+", "", t).strip() for t in tweets["text"]]
    compound = LexiconSentiment().compound(texts)
    neutral = np.abs(compound) < 0.05
    gold = tweets["airline_sentiment"].to_numpy()[neutral]
    model = shipped()
    kept = [t for t, n in zip(texts, neutral, strict=True) if n]
    score = (model.stars(kept) - rated_neutral_stars(model)) / 2
    print(f"{len(texts):,} tweets; {neutral.sum():,} the lexicon scores neutral; model neutral "
          f"point {rated_neutral_stars(model):.2f} stars")  # fmt: skip
    for label in ("negative", "neutral", "positive"):
        k = int((gold == label).sum())
        print(f"  base rate {label}: {k:,} of {len(gold):,} = {k / len(gold):.1%}")
    sides = {
        "model <= -0.05": score <= -0.05,
        "model between": (score > -0.05) & (score < 0.05),
        "model >= +0.05": score >= 0.05,
    }
    for name, mask in sides.items():
        n = int(mask.sum())
        parts = []
        for label in ("negative", "neutral", "positive"):
            k = int((gold[mask] == label).sum())
            low, high = wilson(k, n)
            parts.append(f"{label} {k:,} ({k / max(n, 1):.1%}, 95% CI {low:.1%}-{high:.1%})")
        print(f"  {name}: n={n:,}: " + "; ".join(parts))
    failure = np.array([bool(SERVICE_FAILURE.search(t)) for t in kept])
    n, k = int(failure.sum()), int((gold[failure] == "negative").sum())
    low, high = wilson(k, n)
    print(
        f"  naming a service failure (polarity.SERVICE_FAILURE): n={n:,}: negative {k:,} "
        f"({k / max(n, 1):.1%}, 95% CI {low:.1%}-{high:.1%}); of them the model alone at "
        f"-0.05 or below: {int((score[failure] <= -0.05).sum()):,}"
    )


if __name__ == "__main__":
    main()
