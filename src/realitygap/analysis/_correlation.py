"""Correlation matrices from sufficient statistics computed by the workspace engine.

The long ``responses`` table is pivoted to one row per respondent and wave (one column per
question; :func:`answer_grid` reads the stored pivot shared by the analyses) and reduced, in
the engine, to sums and sums of cross-products; only those p x p arrays come back to Python.
Respondents are spread over ``buckets`` hash buckets of their id, and the statistics come back
per bucket (K x p x p), which allows a bootstrap without reading a single row: a replicate
draws K buckets with replacement (multinomial weights) and adds their statistics. This is a
grouped (cluster) bootstrap with random clusters; with clusters that are a random partition of
independent respondents it estimates the same sampling variance as the plain row bootstrap
(``tests/test_drivers.py`` checks the standard errors against one).

Missing answers:

- ``listwise``: only respondents who answered every question enter (complete cases).
- ``pairwise``: each correlation uses the respondents who answered both questions; its means
  and variances are taken over those same respondents. Such a matrix need not be positive
  semi-definite; downstream code treats a non-positive pivot as "adds nothing".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd

from realitygap.analysis._options import MISSING_CHOICES as MISSING_CHOICES
from realitygap.analysis._options import Missing as Missing
from realitygap.domain.errors import Problem, SurveyDataError, check_choice
from realitygap.store import answer_grid as store_grid
from realitygap.store import engine
from realitygap.store.engine import Aggregate
from realitygap.store.workspace import Workspace

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CrossProducts:
    """Per-bucket sufficient statistics of p variables (arrays K x p x p).

    For variables i and j, over the rows where both are present (listwise: complete rows):
    ``n[k, i, j]`` rows, ``sums[k, i, j]`` the sum of variable i, ``squares[k, i, j]`` the sum
    of its squares, ``products[k, i, j]`` the sum of x_i * x_j. ``missing`` says which rows.
    """

    names: tuple[str, ...]
    n: FloatArray
    sums: FloatArray
    squares: FloatArray
    products: FloatArray
    missing: Missing

    @property
    def buckets(self) -> int:
        return int(self.n.shape[0])

    def pooled(self, weights: FloatArray | None = None) -> CrossProducts:
        """Statistics added over buckets with ``weights`` (K,) or (B, K); result has K = 1 or B."""
        w = np.ones((1, self.buckets)) if weights is None else np.atleast_2d(weights)

        def mix(a: FloatArray) -> FloatArray:
            return np.asarray(np.einsum("bk,kij->bij", w, a), dtype=np.float64)

        return CrossProducts(
            self.names,
            mix(self.n),
            mix(self.sums),
            mix(self.squares),
            mix(self.products),
            self.missing,
        )

    def correlation(self) -> FloatArray:
        """Correlation matrices (K x p x p) from the statistics; NaN where undefined."""
        n = self.n
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_i = self.sums / n
            mean_j = np.swapaxes(self.sums, -1, -2) / n
            var_i = self.squares / n - mean_i**2
            var_j = np.swapaxes(self.squares, -1, -2) / n - mean_j**2
            cov = self.products / n - mean_i * mean_j
            corr = cov / np.sqrt(np.clip(var_i, 0.0, None) * np.clip(var_j, 0.0, None))
        p = corr.shape[-1]
        idx = np.arange(p)
        diag_ok = np.diagonal(n, axis1=-2, axis2=-1) > 1
        corr[..., idx, idx] = np.where(diag_ok, 1.0, np.nan)
        return np.asarray(np.clip(corr, -1.0, 1.0), dtype=np.float64)

    def covariance(self) -> FloatArray:
        """Sample covariance matrices (divisor n - 1), K x p x p."""
        n = self.n
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_i = self.sums / n
            mean_j = np.swapaxes(self.sums, -1, -2) / n
            return np.asarray((self.products - n * mean_i * mean_j) / (n - 1.0), dtype=np.float64)

    def means(self) -> FloatArray:
        """Per variable mean over the rows where it is present with itself (K x p)."""
        diag = np.arange(len(self.names))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(self.sums[:, diag, diag] / self.n[:, diag, diag], dtype=np.float64)


@dataclass(frozen=True)
class _Grid:
    """What the connection's temporary answer grid holds: its questions (column ``v{i}`` is
    ``questions[i]``), its wave filter and the fingerprint of ``responses`` it was built from."""

    questions: tuple[str, ...]
    wave: str | None
    fingerprint: tuple[Any, ...]


TEMP_GRID_TABLE = "realitygap_answer_grid"
# the key of ws.derived naming what the temporary grid of that connection holds
_GRID_KEY = ("correlation", "temporary answer grid")


def answer_grid(ws: Workspace, question_ids: list[str], *, wave: str | None = None) -> ir.Table:
    """The answers to ``question_ids``, one row per respondent and wave (only ``wave``, if
    given): ``respondent_id``, ``v0``, ``v1`` ... in the order given, NULL where a question was
    not answered.

    The pivot from long answers is the costly step of the audit and the driver analysis, so it
    is read from the stored grid (:mod:`realitygap.store.answer_grid`) while that is current,
    rebuilt there on a writable workspace, and otherwise (a read-only workspace whose grid is
    stale or lacks a question) pivoted once into a temporary table of the connection, reused
    until the questions, the wave or ``responses`` change.
    """
    stored = store_grid.current(ws)
    if stored is None and not ws.read_only:
        stored = store_grid.refresh(ws)
    if stored is not None and set(question_ids) <= set(stored.questions):
        grid = stored.table
        if wave is not None:
            grid = grid.filter(grid.wave == wave)
        return columns_of(grid, [stored.questions.index(q) for q in question_ids])
    wanted = tuple(sorted(set(question_ids)))
    name = TEMP_GRID_TABLE + (f"_{ws.restriction}" if ws.restriction else "")
    fingerprint = store_grid.fingerprint(ws)
    current = _Grid(wanted, wave, fingerprint)
    if ws.derived.get(_GRID_KEY) != current or not engine.temp_table_exists(ws, name):
        pivot = store_grid.pivot(ws, list(wanted), wave=wave or store_grid.only_wave(fingerprint))
        engine.cache_temp_table(ws, name, pivot)
        ws.derived[_GRID_KEY] = current
    grid = ws.backend.table(name, database="temp")
    return columns_of(grid, [wanted.index(q) for q in question_ids])


def pairwise_correlation(ws: Workspace, rows: ir.Table, p: int) -> tuple[FloatArray, FloatArray]:
    """Pairwise-complete Pearson correlations (p x p; NaN where undefined, 1 on a diagonal
    with at least 2 answers) and pair counts (p x p) of the columns ``v0..v{p-1}`` of
    ``rows``, in one engine aggregation with one ``corr`` and one ``regr_count`` per pair
    (SQL's two-argument aggregates skip a row where either value is NULL): the same figures
    as :meth:`CrossProducts.correlation` of pairwise cross-products, from a third as many
    aggregates."""
    parts = [Aggregate(f"n_{i}_{i}", "count", (f"v{i}",)) for i in range(p)]
    for i in range(p):
        for j in range(i + 1, p):
            parts.append(Aggregate(f"r_{i}_{j}", "corr", (f"v{i}", f"v{j}")))
            parts.append(Aggregate(f"n_{i}_{j}", "regr_count", (f"v{i}", f"v{j}")))
    frame = engine.aggregate(ws, rows, parts)
    values = {
        name: (None if pd.isna(v) else v)
        for name, v in (frame.iloc[0].items() if len(frame) else ())
    }
    corr = np.full((p, p), np.nan)
    n = np.zeros((p, p))
    for i in range(p):
        n[i, i] = float(values[f"n_{i}_{i}"] or 0)
        corr[i, i] = 1.0 if n[i, i] > 1 else np.nan
        for j in range(i + 1, p):
            r = values[f"r_{i}_{j}"]
            corr[i, j] = corr[j, i] = np.nan if r is None else float(r)
            n[i, j] = n[j, i] = float(values[f"n_{i}_{j}"] or 0)
    return np.clip(corr, -1.0, 1.0), n


def columns_of(wide: ir.Table, indexes: list[int]) -> ir.Table:
    """``respondent_id`` and the columns ``v{i}`` for ``indexes``, renamed v0, v1 ...: a subset
    of a pivoted (and perhaps cached) table in the shape :func:`cross_products` reads."""
    return wide.select("respondent_id", **{f"v{k}": wide[f"v{i}"] for k, i in enumerate(indexes)})


def bucket_of(respondent_id: ir.StringValue, buckets: int) -> ir.IntegerValue:
    """A stable hash bucket 0..buckets-1 of a respondent id (same id, same bucket)."""
    h = respondent_id.hash()
    return ((h % buckets) + buckets) % buckets


def cross_products(
    ws: Workspace,
    question_ids: list[str],
    *,
    missing: Missing = "listwise",
    wave: str | None = None,
    buckets: int = 1,
    rows: ir.Table | None = None,
) -> CrossProducts:
    """Sufficient statistics of ``question_ids`` per hash bucket, in one engine aggregation.

    ``rows`` may replace the pivoted responses with any table holding ``respondent_id`` and
    columns ``v0..v{p-1}`` (e.g. answers joined with behaviour); ``question_ids`` then only
    names those columns. Raises SurveyDataError when a
    question id is unknown.
    """
    check_choice("missing", missing, MISSING_CHOICES)
    if rows is None:
        _check_questions(ws, question_ids)
    p = len(question_ids)
    wide = rows if rows is not None else store_grid.pivot(ws, question_ids, wave=wave)
    # one bucket: a constant, so the reduction below needs no GROUP BY (a quarter cheaper)
    bucket = bucket_of(wide.respondent_id, buckets) if buckets > 1 else ibis.literal(0)
    wide = wide.mutate(_bucket=bucket)
    sums: list[Aggregate] = []
    if missing == "listwise":
        # drop incomplete rows first, so the sums need no per-aggregate filter
        wide = wide.filter(ibis.and_(*[wide[f"v{i}"].notnull() for i in range(p)]))
        wide = wide.select("_bucket", **{f"x{i}": wide[f"v{i}"].cast("float64") for i in range(p)})
        sums.append(Aggregate("n", "count"))
        for i in range(p):
            sums.append(Aggregate(f"s_{i}", "sum", (f"x{i}",)))
            sums.extend(
                Aggregate(f"c_{i}_{j}", "sum_product", (f"x{i}", f"x{j}")) for j in range(i, p)
            )
    else:
        # z = answer or 0, m = answered (0/1): every pairwise statistic is a sum of products
        wide = wide.select(
            "_bucket",
            **{f"z{i}": wide[f"v{i}"].cast("float64").fill_null(0.0) for i in range(p)},
            **{f"m{i}": engine.as_number(wide[f"v{i}"].notnull(), "float64") for i in range(p)},
        )
        for i in range(p):
            for j in range(p):
                sums.append(Aggregate(f"s_{i}_{j}", "sum_product", (f"z{i}", f"m{j}")))
                sums.append(Aggregate(f"q_{i}_{j}", "sum_product", (f"z{i}", f"z{i}", f"m{j}")))
                if j >= i:
                    sums.append(Aggregate(f"n_{i}_{j}", "sum_product", (f"m{i}", f"m{j}")))
                    sums.append(Aggregate(f"c_{i}_{j}", "sum_product", (f"z{i}", f"z{j}")))
    # one engine pass of plain aggregates (store.engine.aggregate: Ibis would need seconds to
    # compile a thousand of them)
    if buckets > 1:
        frame = engine.aggregate(ws, wide, sums, by="_bucket").astype(float)
    else:
        frame = engine.aggregate(ws, wide, sums).astype(float)
        frame.insert(0, "_bucket", 0.0)
    return _assemble(frame, question_ids, missing, buckets)


def _assemble(
    frame: pd.DataFrame, names: list[str], missing: Missing, buckets: int
) -> CrossProducts:
    """Arrange the engine's one-row-per-bucket aggregates into K x p x p arrays."""
    p = len(names)
    shape = (buckets, p, p)
    n = np.zeros(shape)
    sums = np.zeros(shape)
    squares = np.zeros(shape)
    products = np.zeros(shape)
    frame = frame.fillna(0.0)
    at = frame["_bucket"].to_numpy(dtype=np.int64)

    def col(name: str) -> FloatArray:
        return np.asarray(frame[name].to_numpy(dtype=np.float64))

    for i in range(p):
        for j in range(i, p):
            c = col(f"c_{i}_{j}")
            products[at, i, j] = products[at, j, i] = c
    if missing == "listwise":
        rows = col("n")
        n[at] = rows[:, None, None]
        for i in range(p):
            s = col(f"s_{i}")
            sums[at, i, :] = s[:, None]
            squares[at, i, :] = products[at, i, i][:, None]
    else:
        for i in range(p):
            for j in range(p):
                sums[at, i, j] = col(f"s_{i}_{j}")
                squares[at, i, j] = col(f"q_{i}_{j}")
                if j >= i:
                    n[at, i, j] = n[at, j, i] = col(f"n_{i}_{j}")
    return CrossProducts(tuple(names), n, sums, squares, products, missing)


def _check_questions(ws: Workspace, question_ids: list[str]) -> None:
    if not question_ids:
        raise SurveyDataError([Problem("options", None, "questions", None, "at least one")])
    known = set(ws.table("questions").question_id.execute())
    unknown = [q for q in question_ids if q not in known]
    if unknown:
        raise SurveyDataError(
            [
                Problem("questions", None, "question_id", q, "a question of the workspace")
                for q in unknown
            ]
        )


def bootstrap_weights(buckets: int, replicates: int, seed: int) -> FloatArray:
    """Multinomial bucket weights (replicates x buckets): each replicate draws ``buckets``
    buckets with replacement, so a weight is how many times its bucket was drawn."""
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(buckets, np.full(buckets, 1.0 / buckets), size=replicates)
    return np.asarray(draws, dtype=np.float64)
