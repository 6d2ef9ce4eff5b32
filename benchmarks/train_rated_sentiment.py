"""Trains the shipped document-sentiment model (realitygap.analysis.text.rated) on real ratings.

Data (../shared/data, licences in each SOURCE.md):

- train: the Women's E-Commerce Clothing Reviews (CC0 1.0: derived weights may be shipped),
  reviews with text, split 80/20 at random (seed 0); the 20% is the in-domain test;
- dev: the Skytrax airline-review sample (``airline_sample.csv``, overall rating 1-10), used
  only to choose the n-gram scale among ``SCALES`` (Spearman with the rating), so the scale is
  chosen on neither the training domain nor the test domains;
- test (``benchmarks/text_eval.py``): Skytrax lounge reviews (overall rating, Spearman) and the
  2025 British Airways reviews (recommended yes/no, ROC AUC).

Run: ``.venv/bin/python benchmarks/train_rated_sentiment.py`` (writes the model file).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

from realitygap.analysis.text.fast import TOKEN_PATTERN, LexiconSentiment
from realitygap.analysis.text.rated import MODEL_FILE, RatedSentiment, features, ngram_counter

DATA = Path(
    os.environ.get(
        "REALITYGAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
OUT = Path(__file__).resolve().parents[1] / "src/realitygap/analysis/text/models" / MODEL_FILE
SCALES = (0.1, 0.2, 0.35, 0.5)
ALPHA = 3.0
MAX_NGRAMS = 30_000


def clothing_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    path = DATA / "womens-ecommerce-clothing-reviews" / "womens_clothing_ecommerce_reviews.csv"
    frame = pd.read_csv(path).dropna(subset=["Review Text"])
    train, test = train_test_split(frame, test_size=0.2, random_state=0)
    return train, test


def main() -> int:
    train, test = clothing_split()
    dev = pd.read_csv(DATA / "skytrax-reviews" / "airline_sample.csv")
    dev = dev.dropna(subset=["content", "overall_rating"])
    lexicon = LexiconSentiment()
    texts = train["Review Text"].tolist()
    fitted = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), min_df=5, sublinear_tf=True,
        lowercase=False, max_features=MAX_NGRAMS,
    ).fit([lexicon._mark(t) for t in texts])  # fmt: skip
    vocabulary = tuple(str(t) for t in fitted.get_feature_names_out())
    idf = fitted.idf_
    ngrams = ngram_counter(vocabulary)
    best: tuple[float, RatedSentiment] | None = None
    for scale in SCALES:
        x = features(texts, lexicon, ngrams, idf, scale)
        ridge = Ridge(alpha=ALPHA).fit(x, train["Rating"].to_numpy(dtype=float))
        model = RatedSentiment(vocabulary, idf, ridge.coef_, float(ridge.intercept_), scale)
        rho = float(spearmanr(model.stars(dev["content"].tolist()), dev["overall_rating"])[0])
        held = float(spearmanr(model.stars(test["Review Text"].tolist()), test["Rating"])[0])
        print(f"scale {scale}: dev (Skytrax airline) Spearman {rho:.4f}; clothing test {held:.4f}")
        if best is None or rho > best[0] + 1e-9:
            best = (rho, model)
    assert best is not None
    best[1].save(OUT)
    print(f"chose scale {best[1].ngram_scale}; wrote {OUT} ({OUT.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
