"""Themes: what customers talk about, discovered from the documents themselves.

Method (two streaming passes over the documents, pages of ``BATCH_SIZE``):

1. Documents are cut into clauses (sentence ends, semicolons, "but", "and"); clauses of fewer
   than three words ("ok", "n/a") are dropped. A theme is a cluster of clauses, and a document
   has a theme when one of its clauses is in it.
2. Clause vectors: fast path, TF-IDF of word 1-2-grams and, at a quarter weight, character
   2-5-grams (robust to typos) reduced to 100 dimensions by truncated SVD, fitted on a sample
   of up to ``SAMPLE`` clauses; accurate path, MiniLM sentence embeddings. Vectors are
   L2-normalised.
3. Clustering: k-means (k-means++, 8 starts, fitted on the sample); k is chosen in
   ``K_RANGE`` by the best silhouette on the sample unless given.
4. Pass two assigns every clause to its nearest centre, accumulates the class-based TF-IDF
   (c-TF-IDF, Grootendorst 2022: term frequency in the theme times log(1 + average words per
   theme / the term's total frequency)) whose top terms label the theme, keeps the three
   clauses nearest each centre as representative quotes, and writes (document, theme,
   sentiment) rows to a temporary table, where SQL computes the rest:

- volume: documents with the theme and their share of all documents;
- sentiment: mean lexicon compound of the theme's clauses, with a t interval;
- trend: documents with the theme per calendar month (``created_at``), as a share of the month;
- emerging: the theme's share in the last month against all earlier months, two-proportion
  z-test; emerging when the share grew and one-sided p < 0.05;
- NPS impact: among customers who answered the NPS question (latest answer each), NPS =
  %promoters (9-10) - %detractors (0-6). The impact of a theme is the NPS gained if the
  detractors who wrote a document with that theme had been passives instead:
  ``100 * detractors_with_theme / respondents``, with a Wilson 95% interval on that share.

Quotes are redacted (e-mails, phones, cards, IBANs) whatever the stored text holds.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits

from realitygap.analysis._result import MIN_N, Estimate
from realitygap.analysis.text.embed import Embedder
from realitygap.analysis.text.fast import TOKEN_PATTERN, LexiconSentiment
from realitygap.analysis.text.tagger import TextPath
from realitygap.domain.privacy import redact
from realitygap.store.workspace import Workspace

BATCH_SIZE = 1024
SAMPLE = 20_000
K_RANGE = range(4, 21)
SVD_DIMENSIONS = 100
QUOTES = 3
LABEL_TERMS = 5
MIN_CLAUSE_WORDS = 3

_CLAUSE = re.compile(
    r"(?<=[.!?;])\s+|[.!?;]+$|,?\s+(?:but|and|however|although|also)\s+|\.\s*also\s+", re.I
)


def theme_clauses(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Clauses of at least three words and, for each, the index of its text."""
    clauses: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        for part in _CLAUSE.split(text):
            part = part.strip(" ,.;!?") if part else ""
            if len(part.split()) >= MIN_CLAUSE_WORDS:
                clauses.append(part)
                owner.append(i)
    return clauses, np.asarray(owner, dtype=np.int64)


@dataclass(frozen=True)
class Theme:
    """One discovered theme. ``nps_impact`` is in NPS points (see the module docstring)."""

    theme: int
    label: str
    terms: tuple[str, ...]
    documents: int
    share: float
    sentiment: Estimate
    nps_impact: Estimate
    emerging: bool
    last_month_share: float | None
    earlier_share: float | None
    emerging_p: float | None
    quotes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "label": self.label,
            "terms": list(self.terms),
            "documents": self.documents,
            "share": self.share,
            **self.sentiment.to_dict("sentiment_"),
            **self.nps_impact.to_dict("nps_impact_"),
            "emerging": self.emerging,
            "last_month_share": self.last_month_share,
            "earlier_share": self.earlier_share,
            "emerging_p": self.emerging_p,
            "quotes": list(self.quotes),
        }


@dataclass(frozen=True)
class ThemesResult:
    """Themes, largest first, with their monthly trend (long frame: theme, month, documents,
    share of the month's documents) and the NPS the impacts are measured against."""

    themes: tuple[Theme, ...]
    trend: pd.DataFrame
    documents: int
    nps: Estimate
    path: str
    k: int
    method: str = field(
        default="clauses; k-means; c-TF-IDF labels; NPS impact = detractors "
        "with the theme counted as passives"
    )

    def to_frame(self) -> pd.DataFrame:
        """One row per theme: every field of :class:`Theme` (estimates flattened)."""
        return pd.DataFrame([t.to_dict() for t in self.themes])

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "path": self.path,
            "k": self.k,
            "method": self.method,
            "nps": self.nps.to_dict(),
            "themes": [t.to_dict() for t in self.themes],
            "trend": self.trend,
        }

    def __str__(self) -> str:
        lines = [
            f"{len(self.themes)} themes in {self.documents} documents ({self.path} path); "
            f"NPS {self.nps.format(1)}"
        ]
        for t in self.themes:
            flag = "  EMERGING" if t.emerging else ""
            lines.append(
                f"- {t.label}: {t.documents} docs ({t.share:.1%}), sentiment "
                f"{t.sentiment.format(2)}, NPS impact {t.nps_impact.format(1)}{flag}"
            )
            if t.quotes:
                lines.append(f'    "{t.quotes[0]}"')
        return "\n".join(lines)


def _pages(ws: Workspace, batch_size: int) -> Iterator[pd.DataFrame]:
    last = ""
    while True:
        page = ws.con.execute(
            "SELECT document_id, text FROM documents WHERE document_id > ? "
            "ORDER BY document_id LIMIT ?",
            [last, batch_size],
        ).df()
        if page.empty:
            return
        last = str(page["document_id"].iloc[-1])
        yield page


class _Vectoriser:
    """Clause vectors for the chosen path (see the module docstring)."""

    def __init__(self, path: TextPath, embedder: Embedder | None, seed: int) -> None:
        self.path = path
        self.embedder = embedder
        self.union = FeatureUnion(
            [
                (
                    "word",
                    TfidfVectorizer(
                        token_pattern=TOKEN_PATTERN,
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                        min_df=2,
                        stop_words="english",
                    ),
                ),
                (
                    "char",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(2, 5),
                        sublinear_tf=True,
                        min_df=2,
                        max_features=100_000,
                    ),
                ),
            ],
            # words carry the topic; character n-grams only bridge typos and inflections
            transformer_weights={"word": 1.0, "char": 0.25},
        )
        self.svd = TruncatedSVD(SVD_DIMENSIONS, random_state=seed)

    def fit(self, clauses: Sequence[str]) -> _Vectoriser:
        if self.path is TextPath.FAST:
            self.union.set_params(word__min_df=_min_df(clauses), char__min_df=_min_df(clauses))
            x = self.union.fit_transform(clauses)
            self.svd.n_components = max(2, min(SVD_DIMENSIONS, x.shape[1] - 1, len(clauses) - 1))
            self.svd.fit(x)
        return self

    def transform(self, clauses: Sequence[str]) -> np.ndarray:
        if self.path is TextPath.ACCURATE and self.embedder is not None:
            return self.embedder.encode(clauses)
        z = self.svd.transform(self.union.transform(clauses))
        return np.asarray(z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12))


def _min_df(clauses: Sequence[str]) -> int:
    """Terms must occur twice, except in tiny corpora where that could leave none."""
    return 2 if len(clauses) >= 200 else 1


def _sample(ws: Workspace, seed: int, size: int) -> list[str]:
    """Clauses from a random sample of documents (DuckDB reservoir sample, repeatable)."""
    rows = ws.con.execute(
        f"SELECT text FROM documents USING SAMPLE reservoir({int(size)} ROWS) REPEATABLE "
        f"({int(seed)})"
    ).fetchall()
    clauses, _ = theme_clauses([redact(r[0]) for r in rows])
    return clauses[:SAMPLE]


def _choose_k(z: np.ndarray, seed: int) -> int:
    best_k, best = K_RANGE.start, -1.0
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(z), size=min(len(z), 4000), replace=False)
    for k in K_RANGE:
        if k >= len(pick):
            break
        labels = KMeans(k, random_state=seed, n_init=2).fit_predict(z)
        if len(set(labels[pick])) < 2:
            continue
        score = float(silhouette_score(z[pick], labels[pick]))
        if score > best:
            best_k, best = k, score
    return best_k


def discover_themes(
    ws: Workspace,
    *,
    path: TextPath = TextPath.FAST,
    k: int | None = None,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    embedder: Embedder | None = None,
) -> ThemesResult:
    """Discover themes in the workspace's documents; see the module docstring for the method.

    Returns a :class:`ThemesResult`; ``themes`` is empty when there are no clauses to cluster.
    """
    # One BLAS/OpenMP thread: these matrices are small, and on a shared 2-core machine
    # k-means threads spinning against each other were 10x slower than one thread.
    with threadpool_limits(1):
        return _discover(ws, path, k, seed, batch_size, embedder)


def _discover(
    ws: Workspace,
    path: TextPath,
    k: int | None,
    seed: int,
    batch_size: int,
    embedder: Embedder | None,
) -> ThemesResult:
    if path is TextPath.ACCURATE and embedder is None:
        embedder = Embedder()
    sample = _sample(ws, seed, SAMPLE)
    n_documents = ws.count("documents")
    nps = _nps(ws)
    if len(sample) < 2:
        return ThemesResult((), pd.DataFrame(), n_documents, nps, path.value, 0)
    vec = _Vectoriser(path, embedder, seed).fit(sample)
    z_sample = vec.transform(sample)
    k = k or _choose_k(z_sample, seed)
    k = min(k, len(sample))
    kmeans = KMeans(k, random_state=seed, n_init=8).fit(z_sample)
    centres = kmeans.cluster_centers_

    counter = CountVectorizer(
        token_pattern=TOKEN_PATTERN,
        ngram_range=(1, 2),
        stop_words="english",
        min_df=_min_df(sample),
    )
    counter.fit(sample)
    term_counts = sp.csr_matrix((k, len(counter.vocabulary_)))
    best_dist = np.full((k, QUOTES), np.inf)
    best_text = np.full((k, QUOTES), "", dtype=object)
    lexicon = LexiconSentiment()
    table = f"_themes_{uuid.uuid4().hex}"
    ws.con.execute(
        f"CREATE TEMP TABLE {table} (document_id VARCHAR, theme INTEGER, compound DOUBLE)"
    )
    try:
        for page in _pages(ws, batch_size):
            texts = [redact(t) for t in page["text"].astype(str)]
            clauses, owner = theme_clauses(texts)
            if not clauses:
                continue
            z = vec.transform(clauses)
            sims = z @ centres.T
            theme = sims.argmax(axis=1)
            dist = 1.0 - sims[np.arange(len(theme)), theme]
            onehot = sp.csr_matrix(
                (np.ones(len(theme)), (theme, np.arange(len(theme)))), shape=(k, len(theme))
            )
            term_counts = term_counts + onehot @ counter.transform(clauses)
            for c in np.unique(theme):
                idx = np.flatnonzero(theme == c)
                pool_d = np.concatenate([best_dist[c], dist[idx]])
                pool_t = np.concatenate([best_text[c], np.asarray(clauses, dtype=object)[idx]])
                _, first = np.unique(pool_t, return_index=True)  # no duplicate quotes
                keep = first[np.argsort(pool_d[first])][:QUOTES]
                best_dist[c, : len(keep)] = pool_d[keep]
                best_text[c, : len(keep)] = pool_t[keep]
            rows = pd.DataFrame(
                {
                    "document_id": page["document_id"].to_numpy()[owner],
                    "theme": theme.astype(np.int32),
                    "compound": lexicon.compound(clauses),
                }
            )
            ws.con.register("_theme_rows", rows)
            ws.con.execute(f"INSERT INTO {table} SELECT * FROM _theme_rows")
            ws.con.unregister("_theme_rows")
        labels = _ctfidf_terms(term_counts, counter)
        themes, trend = _summarise(ws, table, k, n_documents, nps, labels, best_text, best_dist)
    finally:
        ws.con.execute(f"DROP TABLE IF EXISTS {table}")
    return ThemesResult(themes, trend, n_documents, nps, path.value, k)


def _ctfidf_terms(counts: sp.csr_matrix, counter: CountVectorizer) -> list[tuple[str, ...]]:
    dense = np.asarray(counts.todense())
    words = dense.sum(axis=1)
    tf = dense / np.maximum(words[:, None], 1)
    idf = np.log1p(words.mean() / np.maximum(dense.sum(axis=0), 1))
    score = tf * idf[None, :]
    vocab = counter.get_feature_names_out()
    out = []
    for row in score:
        top = [vocab[j] for j in np.argsort(-row)[: LABEL_TERMS * 3] if row[j] > 0]
        chosen: list[str] = []
        for term in top:  # skip a unigram already inside a chosen bigram, and vice versa
            if any(term in c or c in term for c in chosen):
                continue
            chosen.append(str(term))
            if len(chosen) == LABEL_TERMS:
                break
        out.append(tuple(chosen))
    return out


def _nps_sql(ws: Workspace) -> str | None:
    ids = ws.con.execute(
        "SELECT question_id FROM questions WHERE scale = 'nps' AND audience = 'customer'"
    ).fetchall()
    if not ids:
        return None
    quoted = ", ".join("'" + str(r[0]).replace("'", "''") + "'" for r in ids)
    return (
        "SELECT respondent_id, arg_max(value, coalesce(submitted_at, TIMESTAMP '1970-01-01')"
        f" ) AS score FROM responses WHERE question_id IN ({quoted}) GROUP BY respondent_id"
    )


def _wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _nps(ws: Workspace) -> Estimate:
    """NPS of responding customers with a normal-approximation interval (multinomial var)."""
    method = "NPS = %promoters - %detractors; Wald interval"
    sql = _nps_sql(ws)
    if sql is None:
        return Estimate.insufficient_data(0, method)
    row = ws.con.execute(
        f"SELECT count(*), count(*) FILTER (score >= 9), count(*) FILTER (score <= 6) FROM ({sql})"
    ).fetchone()
    n, pro, det = (int(x) for x in row) if row else (0, 0, 0)
    if n < MIN_N:
        return Estimate.insufficient_data(n, method)
    p, d = pro / n, det / n
    value = p - d
    se = math.sqrt(max(p + d - value * value, 0.0) / n)
    return Estimate(100 * value, 100 * (value - 1.96 * se), 100 * (value + 1.96 * se), n, method)


def _summarise(
    ws: Workspace,
    table: str,
    k: int,
    n_documents: int,
    nps: Estimate,
    labels: list[tuple[str, ...]],
    quotes: np.ndarray,
    quote_dist: np.ndarray,
) -> tuple[tuple[Theme, ...], pd.DataFrame]:
    # theme -> (documents, clauses, mean compound, sd of compound)
    stats_of: dict[int, tuple[int, int, float, float]] = {
        int(r[0]): (
            int(r[1]),
            int(r[2]),
            float(r[3]),
            float("nan") if r[4] is None else float(r[4]),
        )
        for r in ws.con.execute(
            f"SELECT theme, count(DISTINCT document_id), count(*), avg(compound), "
            f"stddev_samp(compound) FROM {table} GROUP BY theme"
        ).fetchall()
    }
    trend = ws.con.execute(
        f"WITH m AS (SELECT document_id, date_trunc('month', created_at) AS month "
        f"FROM documents WHERE created_at IS NOT NULL), "
        f"totals AS (SELECT month, count(*) AS total FROM m GROUP BY month) "
        f"SELECT t.theme, m.month, count(DISTINCT t.document_id) AS documents, "
        f"any_value(totals.total) AS month_documents "
        f"FROM {table} t JOIN m USING (document_id) JOIN totals USING (month) "
        f"GROUP BY t.theme, m.month ORDER BY t.theme, m.month"
    ).df()
    if not trend.empty:
        trend["share"] = trend["documents"] / trend["month_documents"]
    impact_counts = pd.DataFrame(columns=["theme", "detractors"]).set_index("theme")
    sql = _nps_sql(ws)
    if sql is not None and not nps.insufficient:
        impact_counts = (
            ws.con.execute(
                f"SELECT t.theme, count(DISTINCT n.respondent_id) AS detractors "
                f"FROM {table} t JOIN documents d USING (document_id) "
                f"JOIN ({sql}) n ON n.respondent_id = d.customer_id WHERE n.score <= 6 "
                f"GROUP BY t.theme"
            )
            .df()
            .set_index("theme")
        )
    months = sorted(trend["month"].unique()) if not trend.empty else []
    month_totals = (
        trend.groupby("month")["month_documents"].first() if not trend.empty else pd.Series()
    )
    themes: list[Theme] = []
    for c in range(k):
        if c not in stats_of:
            continue
        n_docs, n_clauses, mean, sd = stats_of[c]
        sentiment = _mean_estimate(mean, sd, n_clauses)
        impact_method = "NPS points gained if detractors with the theme were passives; Wilson"
        if nps.insufficient:
            impact = Estimate.insufficient_data(nps.n, impact_method)
        else:
            det = int(impact_counts["detractors"].get(c, 0))
            lo, hi = _wilson(det, nps.n)
            impact = Estimate(100 * det / nps.n, 100 * lo, 100 * hi, nps.n, impact_method)
        emerging, last_share, earlier_share, p_value = _emerging(trend, c, months, month_totals)
        order = np.argsort(quote_dist[c])
        themes.append(
            Theme(
                theme=c,
                label=", ".join(labels[c][:3]) or f"theme {c}",
                terms=labels[c],
                documents=n_docs,
                share=n_docs / max(n_documents, 1),
                sentiment=sentiment,
                nps_impact=impact,
                emerging=emerging,
                last_month_share=last_share,
                earlier_share=earlier_share,
                emerging_p=p_value,
                quotes=tuple(str(q) for q in quotes[c][order] if q),
            )
        )
    themes.sort(key=lambda t: -t.documents)
    return tuple(themes), trend


def _mean_estimate(mean: float, sd: float, n: int) -> Estimate:
    method = "mean lexicon compound of the theme's clauses; t interval"
    if n < MIN_N or not np.isfinite(sd):
        return Estimate.insufficient_data(n, method)
    half = float(stats.t.ppf(0.975, n - 1)) * float(sd) / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n, method)


def _emerging(
    trend: pd.DataFrame, theme: int, months: list[Any], totals: pd.Series
) -> tuple[bool, float | None, float | None, float | None]:
    """Last month's share against earlier months': two-proportion z-test, one-sided."""
    if len(months) < 2:
        return False, None, None, None
    mine = trend[trend["theme"] == theme].set_index("month")["documents"]
    last = months[-1]
    x1, n1 = float(mine.get(last, 0)), float(totals[last])
    x0 = float(mine[mine.index != last].sum())
    n0 = float(totals[totals.index != last].sum())
    p1, p0 = x1 / n1, x0 / n0
    pooled = (x1 + x0) / (n1 + n0)
    se = math.sqrt(max(pooled * (1 - pooled) * (1 / n1 + 1 / n0), 1e-300))
    p_value = float(stats.norm.sf((p1 - p0) / se))
    return bool(p1 > p0 and p_value < 0.05), p1, p0, p_value
