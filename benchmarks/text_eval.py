"""Scores the text taggers on real labelled data nobody here wrote (../shared/data).

For both paths (fast: n-grams + lexicon; accurate: + MiniLM embeddings) and both modes
(zero-shot: label names, descriptions and hand-written seeds only; supervised: trained on the
train split, scored on the test gold):

- SemEval-2014 Task 4 restaurants: aspect category detection F1 (micro over sentence-category
  pairs) and aspect category polarity accuracy (gold categories given, 4 classes incl. conflict);
- SemEval-2014, accurate path only: the fine-tuned MiniLM aspect head (``aspect_head``,
  trained by ``train_semeval_head.py`` on the train file, epoch and thresholds chosen on a
  10% part of it), detection F1 and 4-class polarity accuracy with 95% bootstrap intervals;
- SemEval-2016 Task 5 restaurants: slot 1 (aspect category) micro F1;
- MAMS-ACSA: aspect-category sentiment accuracy (gold categories given);
- Twitter US airline: 3-class sentiment accuracy, and negative-reason macro F1 over the
  negative tweets, on a fixed split (duplicates dropped, 80/20 stratified, seed 0).

Real reviews without aspect labels (``--themes``, ``--sentiment``):

- themes (``discover_themes``) on 5,000 Women's E-Commerce Clothing Reviews (random, seed 0)
  and all 2,264 Skytrax lounge reviews: the largest theme's share of documents (target
  <= 35%), documents in some theme, quotes per theme (target 3), and topic coherence, NPMI of
  each theme's top 10 terms over document co-occurrence in the same corpus (Bouma 2009; the
  mean over term pairs and themes; -1 for pairs never seen together), against an alternative:
  on the fast path the previous method (``themes.LEGACY``: every clause in its nearest
  theme, uncentred vectors), on the accurate path the same method without splitting a
  catch-all theme (``ThemeOptions(split_catch_alls=False)``);
- document sentiment, cross-domain: the shipped rated model (trained on clothing reviews by
  ``train_rated_sentiment.py``; whole text only, the fast path's whole-and-sentence mix, and
  the accurate path's embedding head) against vaderSentiment and the fast lexicon, as Spearman with
  the Skytrax lounge overall rating (1-5 rows) and ROC AUC of the British Airways 2025
  reviews' recommended flag; plus the clothing reviews' held-out 20%.

Run: ``.venv/bin/python benchmarks/text_eval.py [--path fast|accurate|both] [--json FILE]``
(``--fast-only`` is ``--path fast``). Each path prints its wall time, CPU seconds (embedding
worker processes included) and the load average, since the machine may be shared. The
accurate path uses the default embedder (ONNX Runtime int8, see docs/text.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from realitygap.analysis.text.corpora import AbsaSentence, read_absa_xml
from realitygap.analysis.text.embed import Embedder
from realitygap.analysis.text.fast import (
    LexiconSentiment,
    SeedMatcher,
    aspect_compound,
    polarity_of,
)
from realitygap.analysis.text.labels import LabelSet
from realitygap.analysis.text.reference_labels import (
    airline_complaint_reasons,
    mams_categories,
    semeval2014_categories,
    semeval2016_categories,
)
from realitygap.analysis.text.supervised import (
    AspectPolarityModel,
    Features,
    MultiLabelModel,
    SingleLabelModel,
)
from realitygap.analysis.text.zeroshot import EmbeddingZeroShot, SeedZeroShot

DATA = Path(
    os.environ.get(
        "REALITYGAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
ABSA = DATA / "absa-restaurants"
TWEETS = DATA / "twitter-airline-sentiment" / "Tweets.csv"

Embed = Callable[[Sequence[str]], np.ndarray | None]


def micro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp = int((gold & pred).sum())
    return 2 * tp / max(int(gold.sum()) + int(pred.sum()), 1)


def label_matrix(sentences: Sequence[AbsaSentence], labels: LabelSet) -> np.ndarray:
    index = {c: j for j, c in enumerate(labels.ids)}
    y = np.zeros((len(sentences), len(index)), dtype=bool)
    for i, s in enumerate(sentences):
        for c in s.categories:
            y[i, index[c]] = True
    return y


def pairs(sentences: Sequence[AbsaSentence], labels: LabelSet) -> tuple[np.ndarray, ...]:
    index = {c: j for j, c in enumerate(labels.ids)}
    rows, aspects, polarity = [], [], []
    for i, s in enumerate(sentences):
        for c, p in s.aspects:
            rows.append(i)
            aspects.append(index[c])
            polarity.append(p)
    return np.array(rows), np.array(aspects), np.array(polarity, dtype=object)


def detection(
    train: list[AbsaSentence],
    test: list[AbsaSentence],
    labels: LabelSet,
    embed: Embed,
    embedder: Embedder | None,
) -> dict[str, float]:
    """Zero-shot and supervised category detection micro F1 on the test gold."""
    texts_tr, texts_te = [s.text for s in train], [s.text for s in test]
    gold = label_matrix(test, labels)
    zs = EmbeddingZeroShot(labels, embedder) if embedder else SeedZeroShot(labels)
    zero = zs.detect(texts_te, embed(texts_te))
    features = Features(use_embeddings=embedder is not None, seeds=labels).fit(texts_tr)
    x_tr = features.transform(texts_tr, embed(texts_tr))
    x_te = features.transform(texts_te, embed(texts_te))
    at_least_one = all(len(s.aspects) > 0 for s in train)
    model = MultiLabelModel(labels.ids, at_least_one=at_least_one)
    model.fit(x_tr, label_matrix(train, labels))
    return {
        "zero_shot_f1": micro_f1(gold, zero),
        "supervised_f1": micro_f1(gold, model.predict(x_te)),
        "cv_chosen_c": model.c,
        "train_cv_f1": model.cv_f1,
    }


def polarity(
    train: list[AbsaSentence],
    test: list[AbsaSentence],
    labels: LabelSet,
    embed: Embed,
    use_embeddings: bool,
) -> dict[str, float]:
    """Zero-shot (lexicon on the clauses naming the aspect) and supervised polarity accuracy."""
    texts_tr, texts_te = [s.text for s in train], [s.text for s in test]
    matcher, lexicon = SeedMatcher(labels), LexiconSentiment()
    local_tr = aspect_compound(texts_tr, matcher, lexicon)
    local_te = aspect_compound(texts_te, matcher, lexicon)
    r_te, a_te, p_te = pairs(test, labels)
    zero = polarity_of(local_te[r_te, a_te])
    features = Features(use_embeddings=use_embeddings).fit(texts_tr)
    x_tr = features.transform(texts_tr, embed(texts_tr))
    x_te = features.transform(texts_te, embed(texts_te))
    r_tr, a_tr, p_tr = pairs(train, labels)
    model = AspectPolarityModel(labels.ids).fit(x_tr, r_tr, a_tr, local_tr, p_tr.tolist())
    pred = model.predict(x_te, r_te, a_te, local_te)
    return {
        "zero_shot_accuracy": float((zero == p_te).mean()),
        "supervised_accuracy": float((pred == p_te).mean()),
        "pairs": float(len(p_te)),
    }


HEAD = Path(os.environ.get("REALITYGAP_SEMEVAL_HEAD", "/tmp/realitygap-semeval/aspect_head.pt"))


def finetuned_head(test: list[AbsaSentence]) -> dict[str, float]:
    """The fine-tuned MiniLM aspect head (``train_semeval_head.py``): detection F1 and 4-class
    polarity accuracy with bootstrap intervals. The head is read from ``HEAD`` (a local cache,
    never shipped: derived from SemEval data) and trained first when missing (25-45 CPU min)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from realitygap.analysis.text.aspect_head import AspectHead, HeadSettings
    from train_semeval_head import score, train_head

    head = AspectHead.load(HEAD) if HEAD.exists() else train_head(HeadSettings(), HEAD)
    return score(head, test)


def tweets_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = pd.read_csv(TWEETS).drop_duplicates("tweet_id")
    df["text"] = (
        df["text"].str.replace("&amp;", "&").str.replace("&lt;", "<").str.replace("&gt;", ">")
    )
    train, test = train_test_split(
        df, test_size=0.2, random_state=0, stratify=df["airline_sentiment"]
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def tweets(embed: Embed, embedder: Embedder | None) -> dict[str, float]:
    train, test = tweets_split()
    texts_tr, texts_te = train["text"].tolist(), test["text"].tolist()
    zero_sent = polarity_of(LexiconSentiment().compound(texts_te))
    features = Features(use_embeddings=embedder is not None).fit(texts_tr)
    x_tr = features.transform(texts_tr, embed(texts_tr))
    x_te = features.transform(texts_te, embed(texts_te))
    sent = SingleLabelModel().fit(x_tr, train["airline_sentiment"].tolist())
    out = {
        "zero_shot_sentiment_accuracy": float((zero_sent == test["airline_sentiment"]).mean()),
        "supervised_sentiment_accuracy": float(
            (sent.predict(x_te) == test["airline_sentiment"].to_numpy()).mean()
        ),
    }
    reasons = airline_complaint_reasons()
    neg_tr = (train["airline_sentiment"] == "negative").to_numpy()
    neg_te = (test["airline_sentiment"] == "negative").to_numpy()
    gold = test.loc[neg_te, "negativereason"].to_numpy()
    neg_texts = [t for t, n in zip(texts_te, neg_te, strict=True) if n]
    zs = EmbeddingZeroShot(reasons, embedder) if embedder else SeedZeroShot(reasons)
    zero = zs.detect(neg_texts, embed(neg_texts))
    zero_label = np.asarray(reasons.ids, dtype=object)[zero.argmax(axis=1)]
    model = SingleLabelModel().fit(x_tr[neg_tr], train.loc[neg_tr, "negativereason"].tolist())
    out["zero_shot_reason_macro_f1"] = float(f1_score(gold, zero_label, average="macro"))
    out["supervised_reason_macro_f1"] = float(
        f1_score(gold, model.predict(x_te[neg_te]), average="macro")
    )
    out["test_tweets"] = float(len(test))
    return out


def cpu_seconds() -> float:
    """User + system CPU of this process and its reaped worker processes."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def evaluate(path: str, embedder: Embedder | None) -> dict[str, dict[str, float]]:
    def embed(texts: Sequence[str]) -> np.ndarray | None:
        return embedder.encode(texts) if embedder else None

    s14_tr = read_absa_xml(ABSA / "semeval2014_restaurants_train.xml")
    s14_te = read_absa_xml(ABSA / "semeval2014_restaurants_test_gold.xml")
    s16_tr = read_absa_xml(ABSA / "semeval2016_restaurants_train.xml")
    s16_te = read_absa_xml(ABSA / "semeval2016_restaurants_test_gold.xml")
    mams_tr = read_absa_xml(ABSA / "mams_acsa_train.xml")
    mams_te = read_absa_xml(ABSA / "mams_acsa_test.xml")
    results: dict[str, dict[str, float]] = {}
    start = time.perf_counter()
    cpu = cpu_seconds()
    print(f"\n== {path} path", flush=True)

    def record(task: str, figures: dict[str, float]) -> None:
        # printed as soon as known, so a long run shows its progress
        results[task] = figures
        print(f"{task:24s} " + "  ".join(f"{k}={v:.4f}" for k, v in figures.items()), flush=True)

    cats14 = semeval2014_categories()
    record("semeval2014_detection", detection(s14_tr, s14_te, cats14, embed, embedder))
    record("semeval2014_polarity", polarity(s14_tr, s14_te, cats14, embed, bool(embedder)))
    if embedder is not None:
        record("semeval2014_finetuned_head", finetuned_head(s14_te))
    cats16 = semeval2016_categories()
    record("semeval2016_slot1", detection(s16_tr, s16_te, cats16, embed, embedder))
    record("mams_polarity", polarity(mams_tr, mams_te, mams_categories(), embed, bool(embedder)))
    record("twitter", tweets(embed, embedder))
    if embedder is not None:
        embedder.close()  # reaps the embedding worker processes, so their CPU is counted
    record(
        "seconds",
        {
            "wall": time.perf_counter() - start,
            "cpu": cpu_seconds() - cpu,
            "load_1min": os.getloadavg()[0],
        },
    )
    return results


PUBLISHED = {
    "SemEval-2014 category detection F1 (best of 2014)": 0.8857,  # NRC-Canada, Pontiki 2014
    "SemEval-2014 category detection F1 (highest: BERT-pair, Sun et al. 2019)": 0.9218,
    "SemEval-2014 category polarity accuracy (best of 2014)": 0.8292,  # NRC-Canada
    "SemEval-2014 category polarity accuracy (highest: BERT-pair, Sun et al. 2019)": 0.859,
    "SemEval-2016 slot 1 F1": 0.7303,  # NLANGP, Pontiki et al. 2016
    "Twitter airline sentiment accuracy (logistic regression)": 0.80,
    "Twitter airline sentiment accuracy (RoBERTa)": 0.869,
}


CLOTHING = DATA / "womens-ecommerce-clothing-reviews" / "womens_clothing_ecommerce_reviews.csv"
SKYTRAX = DATA / "skytrax-reviews"
TOP_TERMS = 10


def review_sets() -> dict[str, list[str]]:
    clothing = pd.read_csv(CLOTHING).dropna(subset=["Review Text"])
    lounge = pd.read_csv(SKYTRAX / "lounge.csv").dropna(subset=["content"])
    return {
        "clothing (5,000)": clothing["Review Text"].sample(5000, random_state=0).tolist(),
        "lounge (2,264)": lounge["content"].tolist(),
    }


def npmi(terms_of_themes: Sequence[Sequence[str]], documents: Sequence[str]) -> float:
    """Mean NPMI of each theme's top terms over document co-occurrence (bigrams as phrases)."""
    from realitygap.analysis.text.themes import (
        _legacy_word_analyzer,
        _phrase_analyzer,
        _word_analyzer,
    )

    # every method's analysers, so that no method's terms ("i'm", "soft drinks") are unseen
    # by design
    new, legacy = _word_analyzer(), _legacy_word_analyzer()
    present = [set(new(d)) | set(legacy(d)) | set(_phrase_analyzer(d)) for d in documents]
    n = len(present)
    scores = []
    for terms in terms_of_themes:
        top = list(terms)[:TOP_TERMS]
        for i, a in enumerate(top):
            for b in top[i + 1 :]:
                pa = sum(a in p for p in present) / n
                pb = sum(b in p for p in present) / n
                pab = sum(a in p and b in p for p in present) / n
                if pab == 0 or pa == 0 or pb == 0:
                    scores.append(-1.0)
                elif pab == 1:
                    scores.append(1.0)
                else:
                    scores.append(float(np.log(pab / (pa * pb)) / -np.log(pab)))
    return float(np.mean(scores)) if scores else float("nan")


def themes_eval(path: str) -> dict[str, dict[str, float]]:
    import tempfile

    from realitygap.analysis.text import themes as themes_module
    from realitygap.analysis.text.tagger import TextPath
    from realitygap.store import Workspace
    from realitygap.store.write import insert_new

    out: dict[str, dict[str, float]] = {}
    # one caching embedder for both accurate variants: each clause is embedded once
    embedder = Embedder(cache=True) if path == "accurate" else None
    for name, texts in review_sets().items():
        variants = {"new": themes_module.ThemeOptions()}
        if path == "fast":
            variants["legacy"] = themes_module.LEGACY
        else:  # the alternative: the same method without splitting a catch-all theme
            variants["no split"] = themes_module.ThemeOptions(split_catch_alls=False)
        for variant, options in variants.items():
            with tempfile.TemporaryDirectory() as tmp, Workspace.create(Path(tmp) / "ws") as ws:
                docs = pd.DataFrame(
                    {"document_id": [f"r{i}" for i in range(len(texts))], "source": "review",
                     "text": texts}
                )  # fmt: skip
                insert_new(ws, "documents", docs)
                start = time.perf_counter()
                result = themes_module.discover_themes(
                    ws, path=TextPath(path), options=options, keep_members=True,
                    embedder=embedder,
                )  # fmt: skip
                seconds = time.perf_counter() - start
            terms = [t.terms for t in result.themes]
            # top terms for NPMI: the label terms (LABEL_TERMS of them)
            figures = {
                "themes": float(len(result.themes)),
                "largest_share": max(t.share for t in result.themes),
                "themed_share": result.themed_documents / len(texts),
                "mean_quotes": float(np.mean([len(t.quotes) for t in result.themes])),
                "npmi": npmi(terms, texts),
                "seconds": seconds,
            }
            key = f"{path} {variant}: {name}"
            out[key] = figures
            print(f"{key:36s} " + "  ".join(f"{k}={v:.3f}" for k, v in figures.items()))
            print(
                f"    largest theme {figures['largest_share']:.3f} (target <= 0.35); quotes per "
                f"theme {figures['mean_quotes']:.2f} (target 3); NPMI {figures['npmi']:.3f}"
            )
            print("    labels: " + " | ".join(t.label for t in result.themes[:12]), flush=True)
    if embedder is not None:
        embedder.close()
    return out


def sentiment_eval(with_accurate: bool = True) -> dict[str, dict[str, float]]:
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from realitygap.analysis.text.rated import shipped

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from train_rated_sentiment import clothing_split

    lounge = pd.read_csv(SKYTRAX / "lounge.csv").dropna(subset=["content", "overall_rating"])
    lounge = lounge[lounge["overall_rating"] <= 5]
    ba = pd.read_csv(SKYTRAX / "british_airways_2025_raw.csv")
    ba_texts = ba["review_body"].str.replace(r"^.*?\|", "", regex=True).tolist()
    ba_yes = (ba["Recommended"].str.lower() == "yes").to_numpy()
    _, held_out = clothing_split()
    vader = SentimentIntensityAnalyzer()
    embedder = Embedder(cache=True) if with_accurate else None
    scorers: dict[str, Callable[[list[str]], np.ndarray]] = {
        "vaderSentiment": lambda ts: np.array([vader.polarity_scores(t)["compound"] for t in ts]),
        "fast lexicon (before)": lambda ts: LexiconSentiment().compound(ts),
        "rated, whole text": lambda ts: np.clip((shipped().single_stars(ts) - 3) / 2, -1, 1),
        "rated, fast path": lambda ts: shipped().score(ts),
    }
    if embedder is not None:
        scorers["rated, accurate path"] = lambda ts: shipped().score(ts, embedder.encode(ts))
    out: dict[str, dict[str, float]] = {}
    for name, score in scorers.items():
        start = time.perf_counter()
        lounge_score = score(lounge["content"].tolist())
        per_second = len(lounge) / (time.perf_counter() - start)
        out[name] = {
            "lounge_spearman": float(spearmanr(lounge_score, lounge["overall_rating"])[0]),
            "ba_recommended_auc": float(roc_auc_score(ba_yes, score(ba_texts))),
            "clothing_test_spearman": float(
                spearmanr(score(held_out["Review Text"].tolist()), held_out["Rating"])[0]
            ),
            "reviews_per_second": per_second,
        }
        print(f"{name:24s} " + "  ".join(f"{k}={v:.3f}" for k, v in out[name].items()))
    if embedder is not None:
        embedder.close()
    print(
        "anchor: vaderSentiment (lounge Spearman "
        f"{out['vaderSentiment']['lounge_spearman']:.3f}, BA AUC "
        f"{out['vaderSentiment']['ba_recommended_auc']:.3f}; the issue quotes ~0.62)"
    )
    fast = out["rated, fast path"]["lounge_spearman"]
    print(f"target: lounge Spearman >= 0.70: fast path {fast:.3f}")
    if "rated, accurate path" in out:
        accurate = out["rated, accurate path"]["lounge_spearman"]
        print(f"target: accurate path above the fast path: {accurate:.3f} vs {fast:.3f}")
    print("the accurate path's reviews_per_second includes embedding the texts")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast-only", action="store_true")
    parser.add_argument("--path", choices=("fast", "accurate", "both"), default="both")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--themes", action="store_true", help="only the themes evaluation")
    parser.add_argument("--sentiment", action="store_true", help="only the sentiment one")
    args = parser.parse_args(argv)
    if args.themes or args.sentiment:
        paths = ("fast", "accurate") if args.path == "both" else (args.path,)
        real: dict[str, dict[str, dict[str, float]]] = {}
        if args.sentiment:
            real["sentiment"] = sentiment_eval(with_accurate="accurate" in paths)
        if args.themes:
            for p in paths:
                real[f"themes_{p}"] = themes_eval(p)
            print("targets: largest theme <= 0.35 of documents; 3 quotes per theme")
        if args.json:
            args.json.write_text(json.dumps(real, indent=2))
        return 0
    if not ABSA.exists() or not TWEETS.exists():
        print(f"shared data missing under {DATA}", file=sys.stderr)
        return 1
    path = "fast" if args.fast_only else args.path
    out: dict[str, dict[str, dict[str, float]]] = {}
    if path in ("fast", "both"):
        out["fast"] = evaluate("fast", None)
    if path in ("accurate", "both"):
        out["accurate"] = evaluate("accurate", Embedder(cache=True))
    print("\ntargets (issue 17): accurate SemEval-2014 detection F1 >= 0.90, polarity >= 0.85")
    print("\npublished bests for comparison:")
    for name, value in PUBLISHED.items():
        print(f"  {name}: {value}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
