"""The shipped rated-sentiment model: cross-domain on real reviews it was not trained on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import roc_auc_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from realitygap.analysis.text.rated import ngram_tfidf, shipped
from tests.conftest import shared_data


def test_tfidf_from_counts_equals_sklearn() -> None:
    texts = ["the crew were rude", "rude rude crew", "lovely lounge and lovely food", "ok"]
    reference = TfidfVectorizer(sublinear_tf=True).fit(texts)
    counts = CountVectorizer(vocabulary=reference.vocabulary_).transform(texts)
    ours = ngram_tfidf(counts, reference.idf_).toarray()
    np.testing.assert_allclose(ours, reference.transform(texts).toarray(), atol=1e-12)


def test_scores_stay_in_range_and_order_obvious_reviews() -> None:
    score = shipped().score(["Terrible, rude staff and a dirty lounge.", "Wonderful, I loved it."])
    assert -1 <= score[0] < 0 < score[1] <= 1


def _lounge() -> pd.DataFrame:
    frame = pd.read_csv(shared_data("skytrax-reviews", "lounge.csv"))
    frame = frame.dropna(subset=["content", "overall_rating"])
    return frame[frame["overall_rating"] <= 5]  # a few rows are on a 1-10 scale


def test_cross_domain_rank_correlation_reaches_the_target_on_lounge_reviews() -> None:
    # trained on clothing reviews only; Skytrax lounge reviews are another domain. Independent
    # references: vaderSentiment's own analyser computed here (0.639 when measured) and the
    # issue's target, Spearman >= 0.70 with the reviewers' overall rating.
    frame = _lounge()
    texts = frame["content"].tolist()
    vader = SentimentIntensityAnalyzer()
    vader_rho = spearmanr([vader.polarity_scores(t)["compound"] for t in texts],
                          frame["overall_rating"])[0]  # fmt: skip
    ours = spearmanr(shipped().score(texts), frame["overall_rating"])[0]
    whole = spearmanr(shipped().single_stars(texts), frame["overall_rating"])[0]
    assert ours >= 0.70
    assert ours >= vader_rho + 0.05
    assert ours > whole  # the sentence mean is what carries the model over the target
    assert ours == pytest.approx(0.704, abs=0.01)  # regression pin (docs/text.md)


@pytest.mark.slow
def test_accurate_path_beats_the_fast_path_on_lounge_reviews() -> None:
    # the accurate path's embedding head, on the same cross-domain measure as above: it must
    # rank the lounge reviews' overall ratings better than the fast path (issue #17)
    from realitygap.analysis.text.embed import Embedder

    frame = _lounge()
    texts = frame["content"].tolist()
    embedder = Embedder()
    try:
        embeddings = embedder.encode(texts)
    finally:
        embedder.close()
    fast = spearmanr(shipped().score(texts), frame["overall_rating"])[0]
    accurate = spearmanr(shipped().score(texts, embeddings), frame["overall_rating"])[0]
    assert accurate >= fast + 0.01
    assert accurate == pytest.approx(0.723, abs=0.01)  # regression pin (docs/text.md)


def test_british_airways_recommended_auc() -> None:
    frame = pd.read_csv(shared_data("skytrax-reviews", "british_airways_2025_raw.csv"))
    texts = frame["review_body"].str.replace(r"^.*?\|", "", regex=True).tolist()
    recommended = (frame["Recommended"].str.lower() == "yes").to_numpy()
    vader = SentimentIntensityAnalyzer()
    vader_auc = roc_auc_score(recommended, [vader.polarity_scores(t)["compound"] for t in texts])
    ours = roc_auc_score(recommended, shipped().score(texts))
    # the recommended flag is a coarser target; VADER's AUC is 0.885 when measured
    assert ours >= vader_auc
    assert ours == pytest.approx(0.894, abs=0.01)  # regression pin (docs/text.md)


def test_sentences_cover_every_text() -> None:
    from realitygap.analysis.text.rated import sentences_of

    # by hand: two sentences; a one-word piece dropped; a text with no sentence of two words
    sentences, owner = sentences_of(["Lovely lounge. Rude staff!", "Ok. Fine.", ""])
    assert sentences == ["Lovely lounge.", "Rude staff!", "Ok. Fine.", ""]
    assert owner.tolist() == [0, 0, 1, 2]


def _real_reviews() -> list[str]:
    lounge = pd.read_csv(shared_data("skytrax-reviews", "lounge.csv"))
    airways = pd.read_csv(shared_data("skytrax-reviews", "british_airways_2025_raw.csv"))
    return lounge["content"].dropna().tolist() + airways["review_body"].dropna().tolist()


def test_fast_scorer_equals_reference_features_on_real_reviews() -> None:
    # the reference is features() with scikit-learn's CountVectorizer, stacked and multiplied
    # by the coefficients as trained; the fast scorer must give the same stars to 1e-9
    texts = [*_real_reviews(), "", "not not not", "$ $", "isn't bad but wasn't good either"]
    model = shipped()
    np.testing.assert_allclose(model.stars(texts), model.reference_stars(texts), atol=1e-9)


def test_ngram_counter_equals_count_vectorizer_on_real_reviews() -> None:
    # independent reference: scikit-learn's CountVectorizer on the same vocabulary and texts
    from realitygap.analysis.text.fast import TOKEN_PATTERN, NgramCounter

    texts = _real_reviews()[:2000]
    vocabulary = ["the", "lounge", "the lounge", "food was cold", "was", "not good", "$", "it's"]
    for lowercase in (True, False):
        reference = CountVectorizer(
            vocabulary=vocabulary, token_pattern=TOKEN_PATTERN, ngram_range=(1, 3),
            lowercase=lowercase,
        ).transform(texts)  # fmt: skip
        ours = NgramCounter(vocabulary, lowercase=lowercase).counts(texts)
        assert (ours != reference).nnz == 0
        assert reference.sum() > 1000  # the texts do contain the phrases


def test_trie_marking_equals_plain_alternation_on_real_reviews() -> None:
    # independent reference: the marking regexes written as plain alternations (the form the
    # model was trained with), built here from vaderSentiment's own lists
    import re

    from vaderSentiment import vaderSentiment as vs

    from realitygap.analysis.text.fast import LexiconSentiment

    lexicon = LexiconSentiment()
    negators = sorted({n.replace("'", "'?") for n in vs.NEGATE}, key=len, reverse=True)
    negation = re.compile(r"\b(?:" + "|".join(negators) + r"|\w+n't)\s+([\w']+)(?:\s+([\w']+))?")
    boost = {w.lower(): b for w, b in vs.BOOSTER_DICT.items() if re.fullmatch(r"[\w']+", w)}
    up = re.compile(
        r"\b(?:" + "|".join(re.escape(w) for w, v in boost.items() if v > 0) + r")\s+(?=[\w'])"
    )
    down = re.compile(
        r"\b(?:" + "|".join(re.escape(w) for w, v in boost.items() if v < 0) + r")\s+(?=[\w'])"
    )

    def plain(text: str) -> str:
        text = negation.sub(
            lambda m: " neg_" + m.group(1) + (" neg_" + m.group(2) if m.group(2) else ""),
            text.lower(),
        )
        return down.sub(" down_", up.sub(" up_", text))

    texts = [*_real_reviews(), "Don't not never uh-uh good", "o'never good", "very  very kinda bad"]
    changed = sum(lexicon._mark(t) != t.lower() for t in texts)
    assert changed > 1000  # the reviews do contain negators and boosters
    assert [lexicon._mark(t) for t in texts] == [plain(t) for t in texts]
