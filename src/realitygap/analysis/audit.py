"""Is the survey lying? An audit of the instrument itself.

Per rated customer item (every customer question on a closed scale except the outcome):

- ``n``, mean, standard deviation, the share at the top and at the bottom score, top-box and
  bottom-box shares; a *ceiling* (*floor*) flag when more than 15% of respondents give the
  highest (lowest) possible score (Terwee et al. 2007);
- per block of items (the question's ``block``; else its layer; else one block): Cronbach's
  alpha with the Feldt (1965) interval, each item's item-rest correlation and alpha if the
  item is deleted (complete cases within the block);
- discrimination: the Pearson correlation with the outcome (likelihood to recommend; Fisher-z
  interval) and, when the workspace has behaviour events, the AUC of the item for actual
  retention in the months after answering (Mann-Whitney U / (n1 n0), Hanley-McNeil interval;
  retention as in :mod:`realitygap.analysis._activity`);
- redundancy: pairs of items correlating with |r| > 0.9;

and for the instrument: layer coverage (share of items per layer, flagged when more than half
measure the hospitality baseline) and non-response (response rate per segment of the invited
customers in the ``invitations`` table, Wilson intervals, and the churn rate of respondents
against invited non-respondents, two-proportion z-test; staff invited to the mirror survey are
not customers and are left out).

Verdict per item, first rule that applies:

1. ``insufficient data``: fewer than ``min_n`` answers;
2. ``redundant``: |r| > 0.9 with another item that predicts the outcome better;
3. ``bare minimum``: at least ``bare_top_share`` (50%) give the top score and the item does not
   predict (|r| with the outcome below 0.10 and, with retention data, |AUC - 0.5| below 0.05);
4. ``predicts nothing``: does not predict, without a ceiling;
5. ``discriminating``: everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from realitygap.analysis._activity import (
    Windows,
    answered_activity,
    data_end,
    invited_activity,
)
from realitygap.analysis._correlation import (
    answer_grid,
    columns_of,
    cross_products,
    pairwise_correlation,
)
from realitygap.analysis._items import (
    default_outcome,
    question_bank,
    rated_customer_items,
    require,
    scale_of,
)
from realitygap.analysis._result import INSUFFICIENT, MIN_N, Estimate, Values, plain
from realitygap.analysis.fieldwork import customer_invitations
from realitygap.domain.errors import check_confidence
from realitygap.store import engine
from realitygap.store.workspace import Workspace

CEILING_SHARE = 0.15  # Terwee et al. (2007)
REDUNDANT_R = 0.9
WEAK_R = 0.10  # below this |r| with the outcome an item does not predict it
WEAK_AUC = 0.05  # |AUC - 0.5| below this: does not predict retention
BARE_TOP_SHARE = 0.5
HOSPITALITY_MAJORITY = 0.5


@dataclass(frozen=True)
class ItemAudit(Values):
    """The audit of one item (see the module docstring for every figure and the verdict)."""

    question_id: str
    text: str
    layer: str | None
    block: str
    n: int
    mean: float | None
    sd: float | None
    top_score_share: float | None
    bottom_score_share: float | None
    top_box: float | None
    bottom_box: float | None
    ceiling: bool
    floor: bool
    item_rest_r: float | None
    alpha_if_deleted: float | None
    r_outcome: Estimate
    auc_retention: Estimate | None
    redundant_with: tuple[str, ...]
    verdict: str
    reason: str

    def row(self) -> dict[str, Any]:
        out = {k: v for k, v in plain(self).items() if k not in {"r_outcome", "auc_retention"}}
        out["redundant_with"] = ", ".join(self.redundant_with)
        out["r_outcome"] = self.r_outcome.value
        out["r_outcome_low"] = self.r_outcome.low
        out["r_outcome_high"] = self.r_outcome.high
        auc = self.auc_retention
        out["auc_retention"] = auc.value if auc else None
        out["auc_retention_low"] = auc.low if auc else None
        out["auc_retention_high"] = auc.high if auc else None
        return out


@dataclass(frozen=True)
class BlockReliability(Values):
    """Cronbach's alpha of a block of items; ``alpha`` has the Feldt interval, n = complete
    cases."""

    block: str
    items: tuple[str, ...]
    alpha: Estimate


@dataclass(frozen=True)
class NonResponse(Values):
    """Response rates per segment and how respondents behave against non-respondents.

    ``by_segment``: segment, invited, responded, rate, rate_low, rate_high (Wilson);
    ``churn_respondents``/``churn_nonrespondents``: churn share after the invitation among
    those whose outcome is known; ``p_churn_difference``: two-proportion z-test.
    """

    by_segment: pd.DataFrame
    churn_respondents: Estimate | None
    churn_nonrespondents: Estimate | None
    p_churn_difference: float | None


@dataclass(frozen=True)
class AuditResult(Values):
    """The survey audit: ``items``, ``blocks``, ``redundant_pairs`` (item_a, item_b, r, n),
    ``layer_share`` per layer, ``hospitality_heavy`` flag, ``nonresponse``."""

    outcome: str
    items: tuple[ItemAudit, ...]
    blocks: tuple[BlockReliability, ...]
    redundant_pairs: tuple[tuple[str, str, float, int], ...]
    layer_share: dict[str, float]
    hospitality_heavy: bool
    nonresponse: NonResponse | None
    retention_rule: str | None
    methods: tuple[str, ...] = field(default=())

    def verdict_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.verdict] = counts.get(item.verdict, 0) + 1
        return counts

    def flagged(self, verdict: str) -> list[str]:
        return [i.question_id for i in self.items if i.verdict == verdict]

    def to_frame(self) -> pd.DataFrame:
        """One row per item: question_id, text, layer, block, n, mean, sd, top_score_share,
        bottom_score_share, top_box, bottom_box, ceiling, floor, item_rest_r,
        alpha_if_deleted, redundant_with, verdict, reason, r_outcome(_low/_high),
        auc_retention(_low/_high)."""
        return pd.DataFrame([i.row() for i in self.items])

    def to_dict(self) -> dict[str, Any]:
        nr = self.nonresponse
        return {
            "outcome": self.outcome,
            "verdicts": self.verdict_counts(),
            "items": [i.row() for i in self.items],
            "blocks": [plain(b) for b in self.blocks],
            "redundant_pairs": [
                {"item_a": a, "item_b": b, "r": r, "n": n} for a, b, r, n in self.redundant_pairs
            ],
            "layer_share": self.layer_share,
            "hospitality_heavy": self.hospitality_heavy,
            "nonresponse": None
            if nr is None
            else {
                "by_segment": plain(nr.by_segment),
                "churn_respondents": plain(nr.churn_respondents),
                "churn_nonrespondents": plain(nr.churn_nonrespondents),
                "p_churn_difference": nr.p_churn_difference,
            },
            "retention_rule": self.retention_rule,
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(self.verdict_counts().items()))
        lines = [f"Survey audit ({len(self.items)} items, outcome {self.outcome}): {counts}"]
        width = max((len(i.question_id) for i in self.items), default=8)
        for item in self.items:
            lines.append(f"  {item.question_id:<{width}}  {item.verdict:<18} {item.reason}")
        for b in self.blocks:
            lines.append(f"  block {b.block}: Cronbach's alpha {b.alpha.format(2)}")
        shares = ", ".join(f"{k} {v:.0%}" for k, v in self.layer_share.items())
        lines.append(f"  layers: {shares}")
        if self.hospitality_heavy:
            lines.append("  ! the instrument mostly measures the hospitality baseline")
        nr = self.nonresponse
        if nr is not None and nr.churn_respondents and nr.churn_nonrespondents:
            lines.append(
                f"  churn after invitation: respondents {nr.churn_respondents.format(1, 100, '%')}"
                f", non-respondents {nr.churn_nonrespondents.format(1, 100, '%')}"
            )
        return "\n".join(lines)


def cronbach_alpha(cov: np.ndarray) -> float:
    """Cronbach's alpha from a k x k covariance matrix: k/(k-1) (1 - trace / total)."""
    k = cov.shape[0]
    return float(k / (k - 1) * (1.0 - np.trace(cov) / cov.sum()))


def feldt_interval(alpha: float, n: int, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) interval of alpha: 1 - (1 - alpha) F quantiles with (n-1, (n-1)(k-1)) df."""
    df1 = n - 1
    df2 = df1 * (k - 1)
    tail = (1.0 - confidence) / 2
    low = 1.0 - (1.0 - alpha) * stats.f.isf(tail, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.isf(1.0 - tail, df1, df2)
    return float(low), float(high)


def auc_from_counts(
    values: np.ndarray, positives: np.ndarray, negatives: np.ndarray
) -> tuple[float, int, int]:
    """AUC = P(X+ > X-) + P(X+ = X-)/2 from answer counts per value (Mann-Whitney U / n1 n0).

    Returns (auc, n_positive, n_negative).
    """
    order = np.argsort(values)
    pos = positives[order].astype(float)
    neg = negatives[order].astype(float)
    below = np.concatenate([[0.0], np.cumsum(neg)[:-1]])
    n1, n0 = pos.sum(), neg.sum()
    u = float(np.sum(pos * (below + 0.5 * neg)))
    return (u / (n1 * n0) if n1 and n0 else float("nan")), int(n1), int(n0)


def hanley_mcneil(auc: float, n1: int, n0: int, confidence: float = 0.95) -> tuple[float, float]:
    """Hanley and McNeil (1982) normal interval of an AUC."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0)
    z = stats.norm.ppf(0.5 + confidence / 2)
    half = z * np.sqrt(max(var, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def fisher_interval(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Fisher-z interval of a Pearson correlation."""
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    half = stats.norm.ppf(0.5 + confidence / 2) / np.sqrt(n - 3)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def audit(
    ws: Workspace,
    outcome: str | None = None,
    *,
    wave: str | None = None,
    windows: Windows | None = None,
    min_n: int = MIN_N,
    bare_top_share: float = BARE_TOP_SHARE,
    confidence: float = 0.95,
) -> AuditResult:
    """Audit the customer survey instrument: is the survey lying?

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    outcome : str, optional
        The outcome question items should predict (default: the customer NPS question).
    wave : str, optional
        Audit one wave only (default: every wave).
    windows : Windows, optional
        The retention rule for the AUC (default ``Windows()``: 6 months after answering,
        a fall of more than 50% counts as declining).
    min_n : int, default 30
        Fewer answers than this give the verdict "insufficient data".
    bare_top_share : float, default 0.5
        Share at the top score from which a non-predicting item is a "bare minimum".
    confidence : float, default 0.95
        Level of every interval.

    Returns
    -------
    AuditResult
        ``items`` (:class:`ItemAudit`), ``blocks`` (:class:`BlockReliability`: Cronbach's alpha
        per block), ``redundant_pairs`` (item_a, item_b, r, n), ``layer_share``,
        ``hospitality_heavy``, ``nonresponse`` (:class:`NonResponse` or None),
        ``verdict_counts()`` and ``flagged(verdict)``. ``to_frame()`` has one row per item:

        - ``question_id``, ``text``, ``layer``, ``block``, ``n`` (answers);
        - ``mean``, ``sd``; ``top_score_share``, ``bottom_score_share`` (share at the highest /
          lowest possible answer); ``top_box``, ``bottom_box`` (top-2 / bottom-2 box shares);
        - ``ceiling``, ``floor``: more than 15% at the highest / lowest score;
        - ``item_rest_r``: correlation with the rest of its block; ``alpha_if_deleted``;
        - ``redundant_with``: items it correlates with at ``|r| > 0.9`` (comma-separated);
        - ``verdict``: ``insufficient data``, ``redundant``, ``bare minimum``,
          ``predicts nothing`` or ``discriminating`` (rules in the module docstring);
          ``reason``: why, in words;
        - ``r_outcome``, ``r_outcome_low``, ``r_outcome_high``: Pearson r with the outcome
          (Fisher-z interval);
        - ``auc_retention``, ``auc_retention_low``, ``auc_retention_high``: AUC of the item for
          retention (Hanley-McNeil interval; None without behaviour events).

    Raises
    ------
    SurveyDataError
        ``outcome`` is not a question of the workspace, or there is no NPS question to default
        to.

    References
    ----------
    Terwee, C. B. et al. (2007). Quality criteria were proposed for measurement properties of
    health status questionnaires. J. Clinical Epidemiology 60 (ceiling and floor: 15%).
    Cronbach, L. J. (1951). Psychometrika 16. Feldt, L. S. (1965). Psychometrika 30 (alpha's
    interval). Hanley, J. A. and McNeil, B. J. (1982). Radiology 143 (AUC interval).

    Examples
    --------
    The example company's survey has three items everyone maxes out that predict nothing:

    >>> result = audit(ws)
    >>> result.verdict_counts()
    {'discriminating': 15, 'bare minimum': 3}
    >>> result.flagged("bare minimum")
    ['q02', 'q05', 'q12']
    >>> cols = ["question_id", "verdict", "top_score_share", "r_outcome"]
    >>> result.to_frame()[cols].head(4).round(2)
      question_id         verdict  top_score_share  r_outcome
    0         q01  discriminating             0.16       0.35
    1         q02    bare minimum             0.93      -0.06
    2         q03  discriminating             0.10       0.38
    3         q04  discriminating             0.14       0.29
    """
    check_confidence(confidence, min_n)
    windows = windows or Windows()
    bank = question_bank(ws)
    outcome = outcome or default_outcome(bank)
    require(bank, outcome, "the outcome question")
    items = rated_customer_items(bank, exclude=(outcome,))
    dist = _distributions(ws, bank, items, wave)
    # the pivot to one row per respondent, shared with the driver analysis
    wide = answer_grid(ws, [*items, outcome], wave=wave)
    corr, pair_n = pairwise_correlation(ws, wide, len(items) + 1)
    r_out: dict[str, Estimate] = {}
    for i, q in enumerate(items):
        n = int(pair_n[i, -1])
        r = corr[i, -1]
        if n < min_n or not np.isfinite(r):
            r_out[q] = Estimate.insufficient_data(n, "Pearson r, Fisher-z interval")
        else:
            lo, hi = fisher_interval(float(r), n, confidence)
            r_out[q] = Estimate(float(r), lo, hi, n, "Pearson r, Fisher-z interval", confidence)
    auc, rule = _retention_auc(ws, items, wave, windows, min_n, confidence)
    pairs = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if pair_n[i, j] >= min_n and abs(corr[i, j]) > REDUNDANT_R:
                pairs.append((items[i], items[j], float(corr[i, j]), int(pair_n[i, j])))
    block_of = _blocks(bank, items)
    blocks, item_rest, if_deleted = _reliability(ws, wide, items, block_of, min_n, confidence)
    audits = []
    for q in items:
        d = dist.get(q, {})
        n = int(d.get("n", 0))
        partners = tuple(b if a == q else a for a, b, _, _ in pairs if q in (a, b))
        verdict, reason = _verdict(
            q, n, d, r_out[q], auc.get(q), partners, r_out, outcome, min_n, bare_top_share
        )
        audits.append(
            ItemAudit(
                q,
                str(bank.loc[q, "text"]),
                _text_or_none(bank.loc[q, "layer"]),
                block_of[q],
                n,
                d.get("mean"),
                d.get("sd"),
                d.get("top_score"),
                d.get("bottom_score"),
                d.get("top_box"),
                d.get("bottom_box"),
                bool(d.get("top_score", 0.0) > CEILING_SHARE),
                bool(d.get("bottom_score", 0.0) > CEILING_SHARE),
                item_rest.get(q),
                if_deleted.get(q),
                r_out[q],
                auc.get(q),
                partners,
                verdict,
                reason,
            )
        )
    layers = [_text_or_none(bank.loc[q, "layer"]) or "unassigned" for q in items]
    layer_share = (
        {layer: layers.count(layer) / len(layers) for layer in sorted(set(layers))}
        if layers
        else {}
    )
    methods = (
        "ceiling/floor: more than 15% at the extreme score (Terwee et al. 2007)",
        "Cronbach's alpha, Feldt (1965) interval; complete cases per block",
        "Pearson r with the outcome, Fisher-z interval; AUC for retention (Mann-Whitney U), "
        "Hanley-McNeil interval",
        f"redundant: |r| > {REDUNDANT_R}; bare minimum: at least {bare_top_share:.0%} at the "
        f"top score and |r| < {WEAK_R} (and |AUC - 0.5| < {WEAK_AUC})",
    )
    return AuditResult(
        outcome,
        tuple(audits),
        tuple(blocks),
        tuple(pairs),
        layer_share,
        layer_share.get("hospitality", 0.0) > HOSPITALITY_MAJORITY,
        _nonresponse(ws, windows, confidence),
        rule,
        methods,
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _verdict(
    q: str,
    n: int,
    d: dict[str, float],
    r: Estimate,
    auc: Estimate | None,
    partners: tuple[str, ...],
    r_out: dict[str, Estimate],
    outcome: str,
    min_n: int,
    bare_top_share: float,
) -> tuple[str, str]:
    if n < min_n or r.value is None:
        return INSUFFICIENT, f"{n} answers (minimum {min_n})"
    better = [p for p in partners if abs(r_out[p].value or 0.0) > abs(r.value)]
    if better:
        return (
            "redundant",
            f"redundant with {better[0]} (|r| > {REDUNDANT_R}), which predicts better",
        )
    weak_r = abs(r.value) < WEAK_R
    weak_auc = auc is None or auc.value is None or abs(auc.value - 0.5) < WEAK_AUC
    top = d.get("top_score", 0.0)
    what = "retention" if auc is not None and auc.value is not None else outcome
    if weak_r and weak_auc and top >= bare_top_share:
        return (
            "bare minimum",
            f"bare minimum: {top:.0%} give the top score and it does not predict {what}",
        )
    if weak_r and weak_auc:
        return "predicts nothing", f"r = {r.value:.2f} with {outcome}; does not predict {what}"
    reason = f"r = {r.value:.2f} with {outcome}"
    if auc is not None and auc.value is not None:
        reason += f", AUC {auc.value:.2f} for retention"
    if top > CEILING_SHARE:
        reason += f"; ceiling: {top:.0%} give the top score"
    return "discriminating", reason


def _distributions(
    ws: Workspace, bank: pd.DataFrame, items: list[str], wave: str | None
) -> dict[str, dict[str, float]]:
    """Per item from the engine's answer counts: n, mean, sd, shares at the extremes/boxes."""
    r = ws.table("responses")
    r = r.filter(r.question_id.isin(items))
    if wave is not None:
        r = r.filter(r.wave == wave)
    counts = r.group_by(["question_id", "value"]).aggregate(count=r.count()).execute()
    out: dict[str, dict[str, float]] = {}
    for q, g in counts.groupby("question_id"):
        qid = str(q)
        v = g["value"].to_numpy(dtype=float)
        c = g["count"].to_numpy(dtype=float)
        n = c.sum()
        mean = float((v * c).sum() / n)
        sd = float(np.sqrt(((v - mean) ** 2 * c).sum() / (n - 1))) if n > 1 else float("nan")
        scale = scale_of(bank, qid)
        hi = scale.high if scale else v.max()
        lo = scale.low if scale else v.min()
        top_from = scale.top_box_from if scale else hi
        bottom_to = scale.bottom_box_to if scale else lo
        out[qid] = {
            "n": float(n),
            "mean": mean,
            "sd": sd,
            "top_score": float(c[v == hi].sum() / n),
            "bottom_score": float(c[v == lo].sum() / n),
            "top_box": float(c[v >= top_from].sum() / n),
            "bottom_box": float(c[v <= bottom_to].sum() / n),
        }
    return out


def _blocks(bank: pd.DataFrame, items: list[str]) -> dict[str, str]:
    """The block of each item: its ``block``, else ``layer:<layer>``, else ``all``."""
    out = {}
    for q in items:
        block = _text_or_none(bank.loc[q, "block"])
        layer = _text_or_none(bank.loc[q, "layer"])
        out[q] = block or (f"layer:{layer}" if layer else "all")
    return out


def _reliability(
    ws: Workspace,
    wide: Any,
    items: list[str],
    block_of: dict[str, str],
    min_n: int,
    confidence: float,
) -> tuple[list[BlockReliability], dict[str, float], dict[str, float]]:
    """Alpha per block (Feldt interval), item-rest r and alpha if deleted per item."""
    blocks: list[BlockReliability] = []
    item_rest: dict[str, float] = {}
    if_deleted: dict[str, float] = {}
    method = "Cronbach's alpha, Feldt interval"
    for block in sorted(set(block_of.values())):
        members = sorted(q for q, b in block_of.items() if b == block)
        if len(members) < 2:
            continue
        rows = columns_of(wide, [items.index(q) for q in members])
        cp = cross_products(ws, members, missing="listwise", rows=rows).pooled()
        n = int(cp.n[0, 0, 0])
        cov = cp.covariance()[0]
        if n < min_n or not np.all(np.isfinite(cov)) or cov.sum() <= 0:
            blocks.append(
                BlockReliability(block, tuple(members), Estimate.insufficient_data(n, method))
            )
            continue
        alpha = cronbach_alpha(cov)
        lo, hi = feldt_interval(alpha, n, len(members), confidence)
        blocks.append(
            BlockReliability(block, tuple(members), Estimate(alpha, lo, hi, n, method, confidence))
        )
        for i, q in enumerate(members):
            rest = [j for j in range(len(members)) if j != i]
            rest_var = cov[np.ix_(rest, rest)].sum()
            if cov[i, i] > 0 and rest_var > 0:
                item_rest[q] = float(cov[i, rest].sum() / np.sqrt(cov[i, i] * rest_var))
            if len(rest) >= 2:
                if_deleted[q] = cronbach_alpha(cov[np.ix_(rest, rest)])
    return blocks, item_rest, if_deleted


def _retention_auc(
    ws: Workspace,
    items: list[str],
    wave: str | None,
    windows: Windows,
    min_n: int,
    confidence: float,
) -> tuple[dict[str, Estimate], str | None]:
    """AUC of each item for retention (not churned in the follow-up window), from counts of
    (item, value, retained) computed by the engine. Empty without events."""
    end = data_end(ws)
    if end is None or not items:
        return {}, None
    # the activity shared with the non-response check and behaviour (computed once); a
    # respondent's anchor is their first answer of the wave
    act = answered_activity(ws, windows, end, wave=wave)
    known = act.filter(act.status != "unknown").select(
        "respondent_id", "wave", retained=engine.as_number((act.status != "churned"), "int64")
    )
    r = ws.table("responses")
    r = r.filter(r.question_id.isin(items))
    joined = r.join(known, ["respondent_id", "wave"])
    counts = (
        joined.group_by(["question_id", "value", "retained"])
        .aggregate(count=joined.count())
        .execute()
    )
    method = "AUC for retention (Mann-Whitney U), Hanley-McNeil interval"
    out: dict[str, Estimate] = {}
    for q, g in counts.groupby("question_id"):
        table = g.pivot_table(index="value", columns="retained", values="count", fill_value=0)
        pos = table[1].to_numpy() if 1 in table else np.zeros(len(table))
        neg = table[0].to_numpy() if 0 in table else np.zeros(len(table))
        auc, n1, n0 = auc_from_counts(table.index.to_numpy(dtype=float), pos, neg)
        if min(n1, n0) < min_n or not np.isfinite(auc):
            out[str(q)] = Estimate.insufficient_data(n1 + n0, method)
            continue
        lo, hi = hanley_mcneil(auc, n1, n0, confidence)
        out[str(q)] = Estimate(auc, lo, hi, n1 + n0, method, confidence)
    return out, windows.describe()


def _nonresponse(ws: Workspace, windows: Windows, confidence: float) -> NonResponse | None:
    """Response rate per segment and churn of respondents vs non-respondents after the
    invitation. None without invitations."""
    if ws.count("invitations") == 0:
        return None
    r = ws.table("responses")
    # one row per (respondent, wave) that answered: the key columns grouped, nothing else read
    resp = r.group_by(["respondent_id", "wave"]).aggregate(responded=ibis.literal(1))
    people = ws.table("respondents").select("respondent_id", "segment")
    # customers only: staff answer the mirror survey, and have no purchases to churn from
    inv = customer_invitations(ws)
    joined = inv.left_join(resp, ["respondent_id", "wave"])
    # no response row: not responded
    base = joined.select(
        "respondent_id", "wave", "invited_at", responded=joined.responded.fill_null(0)
    )
    with_segment = base.left_join(people, "respondent_id")
    base = with_segment.select("respondent_id", "wave", "invited_at", "responded", "segment")
    # materialised once (a temporary table): the rates and the churn comparison both read it
    base = base.cache()
    seg = (
        base.group_by("segment")
        .aggregate(invited=base.count(), responded=base.responded.sum())
        .execute()
    )
    seg["segment"] = seg["segment"].fillna("(none)")
    lo, hi = proportion_confint(seg["responded"], seg["invited"], 1 - confidence, "wilson")
    seg = seg.assign(rate=seg["responded"] / seg["invited"], rate_low=lo, rate_high=hi)
    seg = seg.sort_values("segment").reset_index(drop=True)
    churn_r = churn_n = None
    p_value = None
    end = data_end(ws)
    if end is not None:
        # the activity after each invitation, shared with the retention AUC and behaviour
        invited = invited_activity(ws, windows, end)
        act = invited.join(
            base.select("respondent_id", "wave", "responded"), ["respondent_id", "wave"]
        )
        act = act.filter(act.status != "unknown")
        counts = (
            act.group_by("responded")
            .aggregate(
                n=act.count(), churned=engine.as_number((act.status == "churned"), "int64").sum()
            )
            .execute()
            .set_index("responded")
        )
        method = "churn share after the invitation, Wilson interval"
        ests: dict[int, Estimate | None] = {}
        for flag in (1, 0):
            if flag not in counts.index:
                ests[flag] = None
                continue
            k, n = int(counts.loc[flag, "churned"]), int(counts.loc[flag, "n"])
            if n == 0:
                ests[flag] = None
                continue
            low, high = proportion_confint(k, n, 1 - confidence, "wilson")
            ests[flag] = Estimate(k / n, float(low), float(high), n, method, confidence)
        churn_r, churn_n = ests[1], ests[0]
        if churn_r is not None and churn_n is not None:
            ks = [int(counts.loc[1, "churned"]), int(counts.loc[0, "churned"])]
            ns = [int(counts.loc[1, "n"]), int(counts.loc[0, "n"])]
            if 0 < sum(ks) < sum(ns):
                p_value = float(proportions_ztest(ks, ns)[1])
    base.release()  # drop the temporary table now, not when the connection closes
    return NonResponse(seg, churn_r, churn_n, p_value)


def demo_summary(ws: Workspace, worst: int = 3) -> str:
    """Audit verdict counts and the worst items, a few lines (for ``realitygap demo``)."""
    result = audit(ws)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(result.verdict_counts().items()))
    lines = [f"Survey audit of {len(result.items)} items: {counts}"]
    order = {"bare minimum": 0, "predicts nothing": 1, "redundant": 2}
    bad = sorted(
        (i for i in result.items if i.verdict in order),
        key=lambda i: (order[i.verdict], -(i.top_score_share or 0.0)),
    )
    for item in bad[:worst]:
        lines.append(f"  {item.question_id} {item.text!r}: {item.reason}")
    if result.hospitality_heavy:
        lines.append("  the instrument mostly measures the hospitality baseline")
    return "\n".join(lines)
