"""Trains the shipped document-sentiment model (realitygap.analysis.text.rated) on real ratings.

Data (../shared/data, licences in each SOURCE.md):

- train: the Women's E-Commerce Clothing Reviews (CC0 1.0: derived weights may be shipped),
  reviews with text, split 80/20 at random (seed 0); the 20% is the in-domain test;
- dev: the Skytrax airline-review sample (``airline_sample.csv``, overall rating 1-10), used
  only to choose the n-gram scale and ridge penalty (``SCALES`` x ``ALPHAS``) and the head's
  penalty (``HEAD_ALPHAS``), by Spearman with the rating, so nothing is chosen on the training
  domain or on the test domains;
- test (``benchmarks/text_eval.py``): Skytrax lounge reviews (overall rating, Spearman) and the
  2025 British Airways reviews (recommended yes/no, ROC AUC).

Steps (fixed seed ``SEED``):

1. the n-gram vocabulary and idf from the training texts; a ridge regression of the rating on
   the features of whole reviews for each (scale, alpha); the pair with the best dev Spearman;
2. 5-fold out-of-fold stars of each training review, whole and per sentence; the mix
   (whole, sentence mean, offset) by least squares on them; the final ridge on all of train;
3. the accurate head: ridge of the rating on the MiniLM embedding (the package's default
   embedder), out of fold as well; ``head_mix`` (fast stars, head stars, offset) by least
   squares on the out-of-fold figures; the head's penalty by the dev Spearman of the mix.

Run: ``.venv/bin/python benchmarks/train_rated_sentiment.py [--embeddings DIR]`` (writes the
model file; ``DIR`` may hold ``emb_train.npy`` and ``emb_dev.npy`` computed earlier by the same
embedder, to skip encoding).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, train_test_split

from realitygap.analysis.text.fast import TOKEN_PATTERN, LexiconSentiment
from realitygap.analysis.text.rated import (
    MODEL_FILE,
    RatedSentiment,
    features,
    ngram_counter,
    sentence_mean,
    sentences_of,
)

DATA = Path(
    os.environ.get(
        "REALITYGAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
OUT = Path(__file__).resolve().parents[1] / "src/realitygap/analysis/text/models" / MODEL_FILE
SCALES = (0.35, 0.5, 0.7, 1.0)
ALPHAS = (3.0, 10.0)
HEAD_ALPHAS = (10.0, 100.0, 1000.0)
MAX_NGRAMS = 30_000
FOLDS = 5
SEED = 0


def clothing_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    path = DATA / "womens-ecommerce-clothing-reviews" / "womens_clothing_ecommerce_reviews.csv"
    frame = pd.read_csv(path).dropna(subset=["Review Text"])
    train, test = train_test_split(frame, test_size=0.2, random_state=0)
    return train, test


def dev_set() -> pd.DataFrame:
    dev = pd.read_csv(DATA / "skytrax-reviews" / "airline_sample.csv")
    return dev.dropna(subset=["content", "overall_rating"])


def embeddings(name: str, texts: list[str], cache: Path | None) -> np.ndarray:
    if cache is not None and (cache / f"emb_{name}.npy").exists():
        x = np.load(cache / f"emb_{name}.npy")
        assert len(x) == len(texts), name
        return np.asarray(x, dtype=np.float64)
    from realitygap.analysis.text.embed import Embedder

    embedder = Embedder()
    try:
        return np.asarray(embedder.encode(texts), dtype=np.float64)
    finally:
        embedder.close()


def least_squares(columns: list[np.ndarray], y: np.ndarray) -> tuple[float, float, float]:
    a = np.column_stack([*columns, np.ones(len(y))])
    w, *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(w[0]), float(w[1]), float(w[2])


def rho(pred: np.ndarray, rating: pd.Series) -> float:
    return float(spearmanr(pred, rating)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embeddings", type=Path)
    args = parser.parse_args(argv)
    train, test = clothing_split()
    dev = dev_set()
    lexicon = LexiconSentiment()
    texts = train["Review Text"].tolist()
    y = train["Rating"].to_numpy(dtype=float)
    fitted = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), min_df=5, sublinear_tf=True,
        lowercase=False, max_features=MAX_NGRAMS,
    ).fit([lexicon._mark(t) for t in texts])  # fmt: skip
    vocabulary = tuple(str(t) for t in fitted.get_feature_names_out())
    idf = fitted.idf_
    ngrams = ngram_counter(vocabulary)

    def x_of(ts: list[str], scale: float) -> object:
        return features(ts, lexicon, ngrams, idf, scale)

    # 1. scale and penalty on the dev domain (whole reviews)
    dev_texts = dev["content"].tolist()
    best: tuple[float, float, float] | None = None
    for scale in SCALES:
        x = x_of(texts, scale)
        x_dev = x_of(dev_texts, scale)
        for alpha in ALPHAS:
            r = rho(Ridge(alpha=alpha).fit(x, y).predict(x_dev), dev["overall_rating"])
            print(f"scale {scale} alpha {alpha}: dev (Skytrax airline) Spearman {r:.4f}")
            if best is None or r > best[0] + 1e-9:
                best = (r, scale, alpha)
    assert best is not None
    _, scale, alpha = best
    # 2. out-of-fold stars, whole and per sentence, and the mix
    sentences, owner = sentences_of(texts)
    x_whole, x_sent = x_of(texts, scale), x_of(sentences, scale)
    oof_whole, oof_sent = np.zeros(len(texts)), np.zeros(len(sentences))
    folds = list(KFold(FOLDS, shuffle=True, random_state=SEED).split(texts))
    for fit_rows, held in folds:
        ridge = Ridge(alpha=alpha).fit(x_whole[fit_rows], y[fit_rows])  # type: ignore[index]
        oof_whole[held] = ridge.predict(x_whole[held])  # type: ignore[index]
        held_sent = np.flatnonzero(np.isin(owner, held))
        oof_sent[held_sent] = ridge.predict(x_sent[held_sent])  # type: ignore[index]
    mix = least_squares([oof_whole, sentence_mean(oof_sent, owner, len(texts))], y)
    ridge = Ridge(alpha=alpha).fit(x_whole, y)
    model = RatedSentiment(vocabulary, idf, ridge.coef_, float(ridge.intercept_), scale, mix)
    fast_oof = mix[0] * oof_whole + mix[1] * sentence_mean(oof_sent, owner, len(texts)) + mix[2]
    print(f"chose scale {scale}, alpha {alpha}; mix (whole, sentence mean, offset) {mix}")
    print(
        f"fast: dev Spearman whole {rho(model.single_stars(dev_texts), dev['overall_rating']):.4f}"
        f", mixed {rho(model.stars(dev_texts), dev['overall_rating']):.4f}"
    )
    # 3. the accurate head on the embeddings
    e_train = embeddings("train", texts, args.embeddings)
    e_dev = embeddings("dev", dev_texts, args.embeddings)
    dev_fast = model.stars(dev_texts)
    chosen: tuple[float, RatedSentiment] | None = None
    for head_alpha in HEAD_ALPHAS:
        oof_head = np.zeros(len(texts))
        for fit_rows, held in folds:
            head = Ridge(alpha=head_alpha).fit(e_train[fit_rows], y[fit_rows])
            oof_head[held] = head.predict(e_train[held])
        head_mix = least_squares([fast_oof, oof_head], y)
        head = Ridge(alpha=head_alpha).fit(e_train, y)
        candidate = RatedSentiment(
            vocabulary, idf, ridge.coef_, float(ridge.intercept_), scale, mix,
            head.coef_, float(head.intercept_), head_mix,
        )  # fmt: skip
        dev_head = e_dev @ head.coef_ + head.intercept_
        r = rho(head_mix[0] * dev_fast + head_mix[1] * dev_head, dev["overall_rating"])
        print(f"head alpha {head_alpha}: mix {head_mix}; dev Spearman {r:.4f}")
        if chosen is None or r > chosen[0] + 1e-9:
            chosen = (r, candidate)
    assert chosen is not None
    chosen[1].save(OUT)
    held_texts = test["Review Text"].tolist()
    print(f"clothing test Spearman (fast) {rho(chosen[1].stars(held_texts), test['Rating']):.4f}")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
