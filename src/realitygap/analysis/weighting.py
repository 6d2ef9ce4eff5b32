"""Raking customer respondents to population margins (iterative proportional fitting).

The margins file is a CSV with columns ``variable``, ``category``, ``share``: ``variable`` names
a column of the ``respondents`` table (a segment attribute), ``category`` one of its values and
``share`` the population share of that category (the shares of one variable sum to 1).

Raking never touches rows in Python: the engine counts customer respondents per combination of
the margin variables (the *cells*), IPF (Deming & Stephan 1940) adjusts the cell totals until
every margin matches its target, and each cell's weight (fitted total / observed count,
normalised to mean 1) is joined back to the respondents as an Ibis expression. Kish's effective
sample size (sum w)^2 / sum w^2 and the design effect n / n_eff summarise the cost in precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from realitygap.analysis._result import Values
from realitygap.analysis._stats import kish_n_eff
from realitygap.domain.errors import Problem, SurveyDataError
from realitygap.store.workspace import Workspace

MARGIN_COLUMNS = ("variable", "category", "share")
SHARE_TOLERANCE = 0.005  # shares of one variable may sum to 1 +- this (rounded published tables)


@dataclass(frozen=True)
class Margins(Values):
    """Target population shares: ``targets[variable][category] = share`` (shares sum to 1)."""

    targets: dict[str, dict[str, float]]
    source: str = "margins"

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(self.targets)


def read_margins(path: str | Path) -> Margins:
    """Read and validate a margins CSV: the population shares customers are raked to.

    Parameters
    ----------
    path : str or Path
        A CSV with the columns ``variable`` (a respondents column, e.g. ``segment``),
        ``category`` (one of its values) and ``share`` (the population share of that category,
        between 0 and 1; the shares of one variable sum to 1 within 0.005 and are normalised).

    Returns
    -------
    Margins
        ``targets[variable][category] = share`` and ``source`` (the file name).

    Raises
    ------
    SurveyDataError
        Naming the file, row and value, for a missing column, a share that is not a number in
        [0, 1], a category given twice, or shares of a variable that do not sum to 1.

    References
    ----------
    Deming, W. E. and Stephan, F. F. (1940). On a least squares adjustment of a sampled
    frequency table when the expected marginal totals are known. Ann. Math. Statist. 11.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "margins.csv"
    >>> import pandas as pd
    >>> shares = {"new": 0.4, "regular": 0.45, "vip": 0.15}
    >>> pd.DataFrame(
    ...     {"variable": "segment", "category": list(shares), "share": list(shares.values())}
    ... ).to_csv(path, index=False)
    >>> margins = read_margins(path)
    >>> {variable: dict(shares) for variable, shares in margins.targets.items()}
    {'segment': {'new': 0.4, 'regular': 0.45, 'vip': 0.15}}

    A share outside [0, 1] is refused with its row:

    >>> pd.DataFrame({"variable": ["segment"], "category": ["new"], "share": [1.4]}).to_csv(
    ...     path, index=False
    ... )
    >>> read_margins(path)
    Traceback (most recent call last):
    ...
    realitygap.domain.errors.SurveyDataError: 1 problem(s) in input:
      .../margins.csv, row 2, column 'share': found 1.4, expected a share between 0 and 1
    """
    path = Path(path)
    name = str(path)
    frame = pd.read_csv(path, dtype={"variable": str, "category": str})
    missing = [c for c in MARGIN_COLUMNS if c not in frame.columns]
    if missing:
        raise SurveyDataError(
            [Problem(name, None, c, None, "a column named " + repr(c)) for c in missing]
        )
    problems: list[Problem] = []
    targets: dict[str, dict[str, float]] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=2):  # row 1 is the header
        share = pd.to_numeric(pd.Series([row.share]), errors="coerce").iloc[0]
        if pd.isna(share) or not 0 <= share <= 1:
            problems.append(Problem(name, i, "share", row.share, "a share between 0 and 1"))
            continue
        cats = targets.setdefault(str(row.variable), {})
        if str(row.category) in cats:
            problems.append(
                Problem(name, i, "category", row.category, "each category once per variable")
            )
        cats[str(row.category)] = float(share)
    for variable, cats in targets.items():
        total = sum(cats.values())
        if abs(total - 1) > SHARE_TOLERANCE:
            problems.append(
                Problem(name, None, "share", round(total, 4), f"shares of {variable!r} to sum to 1")
            )
    if problems:
        raise SurveyDataError(problems)
    normalised = {
        v: {c: s / sum(cats.values()) for c, s in cats.items()} for v, cats in targets.items()
    }
    return Margins(normalised, name)


@dataclass(frozen=True)
class IpfFit(Values):
    """The outcome of IPF on a table of counts."""

    fitted: np.ndarray
    iterations: int
    max_error: float  # largest |fitted margin share - target share| at the end
    converged: bool


def ipf(
    counts: np.ndarray, targets: list[np.ndarray], *, max_iter: int = 200, tol: float = 1e-8
) -> IpfFit:
    """Iterative proportional fitting of an n-dimensional table of counts.

    ``targets[k]`` holds the target totals of axis k (any scale: they are rescaled to the table
    total). One iteration scales every axis in turn; it stops when the largest difference
    between a fitted margin share and its target share is below ``tol``.
    """
    total = counts.sum()
    goals = [np.asarray(t, dtype=float) / np.sum(t) for t in targets]
    fitted = counts.astype(float).copy()
    error = float("inf")
    for iteration in range(1, max_iter + 1):
        for axis, goal in enumerate(goals):
            others = tuple(a for a in range(counts.ndim) if a != axis)
            margin = fitted.sum(axis=others)
            factor = np.divide(goal * total, margin, out=np.zeros_like(margin), where=margin > 0)
            shape = [1] * counts.ndim
            shape[axis] = -1
            fitted = fitted * factor.reshape(shape)
        error = max(
            float(
                np.max(
                    np.abs(
                        fitted.sum(axis=tuple(a for a in range(counts.ndim) if a != k)) / total - g
                    )
                )
            )
            for k, g in enumerate(goals)
        )
        if error < tol:
            return IpfFit(fitted, iteration, error, True)
    return IpfFit(fitted, max_iter, error, False)


@dataclass(frozen=True)
class Raking(Values):
    """Raked weights of customer respondents.

    ``cells``: one row per combination of the margin variables with columns <variables...>,
    ``n`` (respondents), ``weight`` (each respondent's weight; mean weight over respondents is
    1). ``n``: respondents weighted; ``n_effective``: Kish (sum w)^2 / sum w^2; ``design_effect``:
    n / n_effective; ``iterations``, ``converged`` and ``max_error`` (largest absolute
    difference between a weighted margin share and its target) report the IPF run.
    """

    variables: tuple[str, ...]
    cells: pd.DataFrame
    iterations: int
    converged: bool
    max_error: float
    n: int
    n_effective: float
    design_effect: float

    def respondent_weights(self, ws: Workspace) -> ir.Table:
        """An Ibis table (respondent_id, weight) of the customer respondents, for joins."""
        cells = ibis.memtable(self.cells[[*self.variables, "weight"]])
        resp = ws.table("respondents")
        joined = resp.join(cells, list(self.variables))
        return joined.select("respondent_id", "weight")

    def to_frame(self) -> pd.DataFrame:
        return self.cells.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "variables": list(self.variables),
            "iterations": self.iterations,
            "converged": self.converged,
            "max_error": self.max_error,
            "n": self.n,
            "n_effective": self.n_effective,
            "design_effect": self.design_effect,
            "cells": self.cells.to_dict(orient="records"),
        }

    def __str__(self) -> str:
        state = "converged" if self.converged else "did NOT converge"
        return (
            f"Raking on {', '.join(self.variables)}: {state} after {self.iterations} iterations "
            f"(max margin error {self.max_error:.2g}); n={self.n}, effective n="
            f"{self.n_effective:.0f}, design effect {self.design_effect:.2f}, weights "
            f"{self.cells['weight'].min():.2f}-{self.cells['weight'].max():.2f}"
        )


def rake(ws: Workspace, margins: Margins, *, max_iter: int = 200, tol: float = 1e-8) -> Raking:
    """Rake the customer respondents who answered at least once to ``margins``.

    Iterative proportional fitting (Deming and Stephan 1940) on the counts of customers per
    combination of the margin variables, computed by the engine; each cell's weight is its fitted
    total over its observed count, normalised to mean 1.

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    margins : Margins
        Target shares, from :func:`read_margins` (or built directly:
        ``Margins({"segment": {"new": 0.4, ...}})``).
    max_iter : int, default 200
        Most IPF sweeps.
    tol : float, default 1e-8
        Stop when every margin is within this of its target share.

    Returns
    -------
    Raking
        Pass it as ``weights=`` to :func:`metrics`, :func:`gap` or :func:`reality_check`.
        ``converged``, ``iterations``, ``max_error`` (largest margin error at the end), ``n``
        (customers raked), ``n_effective`` (Kish) and ``design_effect`` (n / n_effective).
        ``to_frame()``: one row per cell, the margin variables, ``n`` (customers in the cell)
        and ``weight``.

    Raises
    ------
    SurveyDataError
        A margin variable that is not a respondents column, a customer without a value or with a
        value that has no target share, or a target category without customers.

    References
    ----------
    Deming, W. E. and Stephan, F. F. (1940). Ann. Math. Statist. 11, 427-444.
    Kish, L. (1965). Survey Sampling. Wiley (effective sample size and design effect).

    Examples
    --------
    >>> from realitygap.analysis import Margins
    >>> weights = rake(ws, Margins({"segment": {"new": 0.40, "regular": 0.45, "vip": 0.15}}))
    >>> weights.converged, weights.n, round(weights.n_effective)
    (True, 391, 374)
    >>> weights.to_frame().round(2)
       segment    n  weight
    0      new  123    1.27
    1  regular  217    0.81
    2      vip   51    1.15
    """
    variables = list(margins.variables)
    columns = set(ws.columns("respondents"))
    problems = [
        Problem(margins.source, None, "variable", v, f"a respondents column ({sorted(columns)})")
        for v in variables
        if v not in columns
    ]
    if problems:
        raise SurveyDataError(problems)
    resp = ws.table("respondents")
    answered = ws.table("responses").select("respondent_id").distinct()
    customers = resp.filter(resp.kind == "customer").join(answered, "respondent_id", how="semi")
    cells: pd.DataFrame = customers.group_by(variables).agg(n=customers.count()).execute()
    for v in variables:
        for value in cells[v].unique():
            if value is None or (isinstance(value, float) and np.isnan(value)):
                problems.append(
                    Problem("respondents", None, v, None, f"a value of {v!r} for every customer")
                )
            elif str(value) not in margins.targets[v]:
                problems.append(
                    Problem("respondents", None, v, value, f"one of {sorted(margins.targets[v])}")
                )
        for category in margins.targets[v]:
            if margins.targets[v][category] > 0 and category not in set(cells[v].astype(str)):
                problems.append(
                    Problem(margins.source, None, "category", category, f"customers with {v}")
                )
    if problems:
        raise SurveyDataError(problems)
    levels = [list(margins.targets[v]) for v in variables]
    table = np.zeros([len(lv) for lv in levels])
    index = tuple(
        np.array([levels[k].index(str(x)) for x in cells[v]], dtype=int)
        for k, v in enumerate(variables)
    )
    table[index] = cells["n"].to_numpy(dtype=float)
    fit = ipf(
        table,
        [
            np.array([margins.targets[v][c] for c in lv])
            for v, lv in zip(variables, levels, strict=True)
        ],
        max_iter=max_iter,
        tol=tol,
    )
    counts = cells["n"].to_numpy(dtype=float)
    weight = fit.fitted[index] / counts
    weight = weight / (np.sum(weight * counts) / counts.sum())
    out = cells.copy()
    out["weight"] = weight
    sum_w = float(np.sum(weight * counts))
    sum_w2 = float(np.sum(weight * weight * counts))
    n = int(counts.sum())
    n_eff = kish_n_eff(sum_w, sum_w2)
    return Raking(
        tuple(variables),
        out.sort_values(variables).reset_index(drop=True),
        fit.iterations,
        fit.converged,
        fit.max_error,
        n,
        n_eff,
        n / n_eff if n_eff else float("nan"),
    )
