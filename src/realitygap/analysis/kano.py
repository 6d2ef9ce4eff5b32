"""Kano analysis and expectation drift across survey waves.

Each Kano feature is asked twice: functional ("if the product has X, how do you feel?") and
dysfunctional ("if it does not have X?"), both answered 1 = I like it, 2 = I expect it,
3 = I am neutral, 4 = I can live with it, 5 = I dislike it. The engine counts answer pairs per
feature and wave (25 cells); everything else is computed from those counts:

- the discrete evaluation table (Berger et al. 1993): A attractive, O one-dimensional,
  M must-be, I indifferent, R reverse, Q questionable; category shares; the dominant category;
- Better = (A+O)/(A+O+M+I) and Worse = -(O+M)/(A+O+M+I) with Wilson intervals;
- DuMouchel's continuous scores: functional 4/2/0/-1/-2, dysfunctional -2/-1/0/2/4, means with
  t intervals; self-stated importance when the bank has a rated question with the same
  ``feature`` (e.g. "how important is X?");
- Fong's (1996) test: the top two categories differ when
  |a - b| >= 1.65 * sqrt((a + b)(2n - a - b) / (2n));
- drift: per feature, the chi-square test of homogeneity of categories across waves, the change
  of the attractive share from the wave where the feature delighted most (else the first wave)
  to the last wave (two-proportion z-test, Holm-adjusted across features), and an alarm when a
  delighter is becoming a must-be: it was attractive in an earlier wave and is one-dimensional
  or must-be now, or its attractive share fell significantly while the O + M share rose.

>>> KANO_TABLE[0][4], KANO_TABLE[1][4], KANO_TABLE[0][2]   # like/dislike, expect/dislike ...
('O', 'M', 'A')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis._stats import mean_estimate, wilson_estimate
from realitygap.domain.errors import Problem, SurveyDataError, check_confidence
from realitygap.domain.scales import ScaleKind
from realitygap.store import engine
from realitygap.store.workspace import Workspace

CATEGORIES = ("A", "O", "M", "I", "R", "Q")
CATEGORY_NAMES = {
    "A": "attractive",
    "O": "one-dimensional",
    "M": "must-be",
    "I": "indifferent",
    "R": "reverse",
    "Q": "questionable",
}
# The public name: category code -> name, in the order of CATEGORIES.
KANO_CATEGORIES = CATEGORY_NAMES
# Rows: functional answer 1..5; columns: dysfunctional answer 1..5 (Berger et al. 1993).
KANO_TABLE: tuple[tuple[str, ...], ...] = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)
# DuMouchel's continuous scale of each answer 1..5.
FUNCTIONAL_SCORE = np.array([4.0, 2.0, 0.0, -1.0, -2.0])
DYSFUNCTIONAL_SCORE = np.array([-2.0, -1.0, 0.0, 2.0, 4.0])
FONG_Z = 1.65  # Fong (1996) uses the one-sided 5% normal quantile


@dataclass(frozen=True)
class KanoFeature(Values):
    """The Kano evaluation of one feature, in one wave or pooled over all waves (wave=None).

    ``counts`` maps each category letter to its count; ``category`` is the dominant category,
    or None with fewer than ``min_n`` complete answer pairs.
    """

    feature: str
    wave: str | None
    n: int
    counts: dict[str, int]
    category: str | None
    fong_significant: bool | None
    better: Estimate
    worse: Estimate
    functional: Estimate
    dysfunctional: Estimate
    importance: Estimate | None

    def share(self, letter: str) -> float:
        return self.counts.get(letter, 0) / self.n if self.n else float("nan")

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {"feature": self.feature, "wave": self.wave, "n": self.n}
        out["category"] = self.category
        for letter in CATEGORIES:
            out[f"share_{letter}"] = self.share(letter)
        out["fong_significant"] = self.fong_significant
        out.update({k: v for k, v in self.better.to_dict("better_").items() if _keep(k)})
        out.update({k: v for k, v in self.worse.to_dict("worse_").items() if _keep(k)})
        out["functional"] = self.functional.value
        out["dysfunctional"] = self.dysfunctional.value
        out["importance"] = self.importance.value if self.importance else None
        return out


def _keep(key: str) -> bool:
    return key.rsplit("_", 1)[-1] in {"value", "low", "high"}


@dataclass(frozen=True)
class KanoDrift(Values):
    """How one feature's category moved across waves.

    ``p_homogeneity``: chi-square test that the category distribution is the same in every
    wave. ``attractive_first``/``attractive_last``: A shares in the reference wave (the earlier
    wave where the feature delighted most, else the first) and the last wave with enough
    data; ``p_attractive_change`` the two-proportion z-test of that change and
    ``p_attractive_change_holm`` Holm-adjusted across features. ``alarm`` says a delighter is
    becoming a must-be (or one-dimensional) feature.
    """

    feature: str
    path: tuple[tuple[str, str | None], ...]  # (wave, dominant category) in wave order
    p_homogeneity: float | None
    attractive_first: float | None
    attractive_last: float | None
    must_be_first: float | None
    must_be_last: float | None
    p_attractive_change: float | None
    p_attractive_change_holm: float | None
    alarm: bool
    message: str


@dataclass(frozen=True)
class WowTrend(Values):
    """How often customers who mention a feature sound positively surprised, month by month.

    ``months``: (month, mentions, surprised) counts; ``slope``: change of the log-odds of
    surprise per month (binomial regression), with ``p_value``; ``fading``: significantly
    falling (p < 0.05), the text's sign of a delighter turning into an expectation.
    """

    feature: str
    terms: tuple[str, ...]
    months: tuple[tuple[str, int, int], ...]
    mentions: int
    surprised: Estimate  # share over all months, Wilson
    slope: float | None
    p_value: float | None
    fading: bool
    message: str


@dataclass(frozen=True)
class KanoResult(Values):
    """Kano categories pooled (``features``), per wave (``by_wave``) and their ``drift``."""

    features: tuple[KanoFeature, ...]
    by_wave: tuple[KanoFeature, ...]
    drift: tuple[KanoDrift, ...]
    waves: tuple[str, ...]
    min_n: int = MIN_N
    text_trends: tuple[WowTrend, ...] = ()
    confidence: float = 0.95
    methods: tuple[str, ...] = field(
        default=(
            "Kano evaluation table (Berger et al. 1993); Better/Worse with Wilson intervals",
            "DuMouchel continuous scores (functional 4/2/0/-1/-2, dysfunctional -2/-1/0/2/4)",
            "Fong (1996) test of the top two categories",
            "Drift: chi-square homogeneity across waves; attractive share first vs last wave "
            "(two-proportion z-test, Holm across features)",
            "Text: monthly share of a feature's mentions that express positive surprise; "
            "trend by binomial regression on the month",
        )
    )

    @property
    def alarms(self) -> tuple[KanoDrift, ...]:
        return tuple(d for d in self.drift if d.alarm)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([f.row() for f in self.features + self.by_wave])

    def drift_frame(self) -> pd.DataFrame:
        rows = []
        for d in self.drift:
            row = plain(d)
            row["path"] = " -> ".join(f"{w}:{c or '?'}" for w, c in d.path)
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "waves": list(self.waves),
            "features": [f.row() for f in self.features],
            "by_wave": [f.row() for f in self.by_wave],
            "drift": [plain(d) for d in self.drift],
            "alarms": [d.message for d in self.alarms],
            "text_trends": [plain(t) for t in self.text_trends],
            "confidence": self.confidence,
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = ["Kano categories (all waves)"]
        for f in self.features:
            cat = CATEGORY_NAMES[f.category] if f.category else "insufficient data"
            lines.append(
                f"  {f.feature:<20} {cat:<16} n={f.n:<6} better {f.better.format(2)}"
                f"  worse {f.worse.format(2)}"
            )
        if self.alarms:
            lines.append("Drift alarms")
            lines.extend(f"  ! {d.message}" for d in self.alarms)
        else:
            lines.append("No delighter is turning into a must-be.")
        for t in self.text_trends:
            lines.append(f"  text: {t.message}")
        return "\n".join(lines)


def kano_pairs(ws: Workspace) -> dict[str, tuple[str, str]]:
    """Map each Kano feature to its (functional, dysfunctional) question ids.

    Raises SurveyDataError naming the feature when one half of a pair is missing or doubled.
    """
    q = ws.table("questions")
    kq = (
        q.filter(q.scale.isin([ScaleKind.KANO_FUNCTIONAL, ScaleKind.KANO_DYSFUNCTIONAL]))
        .select("question_id", "scale", "feature")
        .execute()
    )
    problems: list[Problem] = []
    pairs: dict[str, tuple[str, str]] = {}
    for qid in kq.loc[kq["feature"].isna(), "question_id"]:
        problems.append(
            Problem("questions", None, "feature", qid, "the Kano feature this question asks about")
        )
    for feature, group in kq.dropna(subset=["feature"]).groupby("feature"):
        halves = {s: list(g["question_id"]) for s, g in group.groupby("scale")}
        func = halves.get(ScaleKind.KANO_FUNCTIONAL.value, [])
        dysf = halves.get(ScaleKind.KANO_DYSFUNCTIONAL.value, [])
        if len(func) != 1 or len(dysf) != 1:
            problems.append(
                Problem(
                    "questions",
                    None,
                    "feature",
                    feature,
                    "exactly one kano_functional and one kano_dysfunctional question "
                    f"(found functional {func}, dysfunctional {dysf})",
                )
            )
            continue
        pairs[str(feature)] = (func[0], dysf[0])
    if problems:
        raise SurveyDataError(problems)
    return pairs


def wave_order(ws: Workspace) -> list[str]:
    """Waves ordered by their first submission (name order where dates are missing)."""
    r = ws.table("responses")
    waves = r.group_by("wave").agg(first=r.submitted_at.min()).execute()
    waves["first"] = pd.to_datetime(waves["first"])
    waves = waves.sort_values(["first", "wave"], na_position="last")
    return [str(w) for w in waves["wave"]]


def _pair_counts(ws: Workspace, pairs: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Counts of (functional answer, dysfunctional answer) per feature and wave, by the engine."""
    r = ws.table("responses")
    func_ids = {f: p[0] for f, p in pairs.items()}
    dysf_ids = {f: p[1] for f, p in pairs.items()}
    func_map = ibis.memtable({"question_id": list(func_ids.values()), "feature": list(func_ids)})
    dysf_map = ibis.memtable({"question_id": list(dysf_ids.values()), "feature": list(dysf_ids)})
    f = r.join(func_map, "question_id").select(
        "respondent_id", "wave", "feature", fval=r.value.cast("int64")
    )
    d = r.join(dysf_map, "question_id").select(
        "respondent_id", "wave", "feature", dval=r.value.cast("int64")
    )
    both = f.join(d, ["respondent_id", "wave", "feature"])
    counts: pd.DataFrame = (
        both.group_by(["feature", "wave", "fval", "dval"]).agg(n=both.count()).execute()
    )
    return counts


def _importance(ws: Workspace, features: list[str]) -> pd.DataFrame:
    """n, sum and sum of squares of self-stated importance per feature and wave."""
    q = ws.table("questions")
    rated = q.filter(
        q.feature.isin(features)
        & ~q.scale.isin([ScaleKind.KANO_FUNCTIONAL, ScaleKind.KANO_DYSFUNCTIONAL, ScaleKind.TEXT])
    ).select("question_id", "feature")
    r = ws.table("responses")
    j = r.join(rated, "question_id")
    sums: pd.DataFrame = (
        j.group_by(["feature", "wave"])
        .agg(n=j.count(), s=j.value.sum(), ss=(j.value * j.value).sum())
        .execute()
    )
    return sums


def _mean_from_cells(
    scores: np.ndarray, weights: np.ndarray, min_n: int, method: str, confidence: float
) -> Estimate:
    n = int(weights.sum())
    if n < max(min_n, 2):
        return Estimate.insufficient_data(n, method, confidence)
    mean = float((scores * weights).sum() / n)
    var = float((weights * (scores - mean) ** 2).sum() / (n - 1))
    return mean_estimate(mean, var, n, min_n, method, confidence)


def _mean_from_sums(
    n: int, s: float, ss: float, min_n: int, method: str, confidence: float
) -> Estimate:
    if n < max(min_n, 2):
        return Estimate.insufficient_data(n, method, confidence)
    mean = s / n
    var = max((ss - n * mean * mean) / (n - 1), 0.0)
    return mean_estimate(mean, var, n, min_n, method, confidence)


def evaluate_cells(
    feature: str,
    wave: str | None,
    cells: np.ndarray,
    min_n: int = MIN_N,
    importance: Estimate | None = None,
    confidence: float = 0.95,
) -> KanoFeature:
    """Evaluate one feature from its 5x5 matrix of answer-pair counts (functional x dysf.)."""
    counts = dict.fromkeys(CATEGORIES, 0)
    for i in range(5):
        for j in range(5):
            counts[KANO_TABLE[i][j]] += int(cells[i, j])
    n = int(cells.sum())
    a, o, m, i_ = counts["A"], counts["O"], counts["M"], counts["I"]
    core = a + o + m + i_
    better = wilson_estimate(a + o, core, min_n, "Better (A+O)/(A+O+M+I), Wilson", confidence)
    worse_p = wilson_estimate(o + m, core, min_n, "Worse -(O+M)/(A+O+M+I), Wilson", confidence)
    worse = (
        worse_p
        if worse_p.value is None or worse_p.low is None or worse_p.high is None
        else Estimate(
            -worse_p.value, -worse_p.high, -worse_p.low, worse_p.n, worse_p.method, confidence
        )
    )
    func = _mean_from_cells(
        FUNCTIONAL_SCORE, cells.sum(axis=1), min_n, "DuMouchel functional", confidence
    )
    dysf = _mean_from_cells(
        DYSFUNCTIONAL_SCORE, cells.sum(axis=0), min_n, "DuMouchel dysf.", confidence
    )
    category: str | None = None
    fong: bool | None = None
    if n >= min_n:
        ranked = sorted(CATEGORIES, key=lambda c: (-counts[c], CATEGORIES.index(c)))
        category = ranked[0]
        top, second = counts[ranked[0]], counts[ranked[1]]
        fong = bool(
            abs(top - second) >= FONG_Z * np.sqrt((top + second) * (2 * n - top - second) / (2 * n))
        )
    return KanoFeature(
        feature, wave, n, counts, category, fong, better, worse, func, dysf, importance
    )


def kano(ws: Workspace, *, min_n: int = MIN_N, confidence: float = 0.95) -> KanoResult:
    """Kano categories per feature, pooled and per wave, and their drift across waves.

    Parameters
    ----------
    ws : Workspace
        An open workspace with Kano question pairs: one ``kano_functional`` and one
        ``kano_dysfunctional`` question per ``feature``.
    min_n : int, default 30
        Fewer answer pairs than this give "insufficient data" (category None).
    confidence : float, default 0.95
        Level of every interval.

    Returns
    -------
    KanoResult
        ``features`` (pooled over waves), ``by_wave`` (one :class:`KanoFeature` per feature
        and wave), ``drift`` (:class:`KanoDrift` per feature), ``alarms`` (the drifts whose
        delighter is becoming a must-be), ``waves``, ``text_trends``. ``to_frame()`` has one row
        per feature (``wave`` None: all waves) and per feature and wave:

        - ``feature``, ``wave``, ``n`` (answer pairs);
        - ``category``: the dominant one of ``A`` attractive, ``O`` one-dimensional, ``M``
          must-be, ``I`` indifferent, ``R`` reverse, ``Q`` questionable (``KANO_CATEGORIES``);
        - ``share_A``, ``share_O``, ``share_M``, ``share_I``, ``share_R``, ``share_Q``;
        - ``fong_significant``: the top two categories differ by Fong's test;
        - ``better_value``, ``better_low``, ``better_high``: (A+O)/(A+O+M+I), Wilson;
        - ``worse_value``, ``worse_low``, ``worse_high``: -(O+M)/(A+O+M+I), Wilson;
        - ``functional``, ``dysfunctional``: DuMouchel's continuous scores (means);
        - ``importance``: mean self-stated importance of the feature, when asked, else None.

        ``drift_frame()``: ``feature``, ``path`` ("wave:category -> ..."), ``p_homogeneity``
        (chi-square across waves), ``attractive_first``, ``attractive_last``,
        ``must_be_first``, ``must_be_last``, ``p_attractive_change``,
        ``p_attractive_change_holm``, ``alarm``, ``message``.

    Raises
    ------
    SurveyDataError
        A Kano question without a ``feature``, or a feature without exactly one functional and
        one dysfunctional question.

    References
    ----------
    Kano, N. et al. (1984). Attractive quality and must-be quality. Berger, C. et al. (1993).
    Kano's methods for understanding customer-defined quality. Center for Quality Management
    Journal 2(4) (evaluation table, Better/Worse). DuMouchel, W. (1993), ibid. (continuous
    scores). Fong, D. (1996). Using the self-stated importance questionnaire to interpret Kano
    questionnaire results. CQM Journal 5(3). Holm, S. (1979). Scand. J. Statistics 6.

    Examples
    --------
    >>> result = kano(ws)
    >>> frame = result.to_frame()
    >>> cols = ["feature", "n", "category", "better_value", "worse_value"]
    >>> frame[frame.wave.isna()][cols].round(2)
                 feature    n category  better_value  worse_value
    0      eco_packaging  383        A          0.56        -0.40
    1          live_chat  382        A          0.56        -0.52
    2     order_tracking  384        M          0.30        -0.72
    3    personal_offers  375        A          0.64        -0.32
    4  same_day_delivery  383        O          0.60        -0.58

    Three delighters of earlier waves are becoming expectations:

    >>> [d.feature for d in result.alarms]
    ['eco_packaging', 'live_chat', 'same_day_delivery']
    """
    check_confidence(confidence, min_n)
    pairs = kano_pairs(ws)
    waves = wave_order(ws)
    if not pairs:
        return KanoResult((), (), (), tuple(waves), min_n, confidence=confidence)
    counts = _pair_counts(ws, pairs)
    imp = _importance(ws, list(pairs))
    valid = counts["fval"].between(1, 5) & counts["dval"].between(1, 5)
    counts = counts[valid]

    def cells_of(frame: pd.DataFrame) -> np.ndarray:
        cells = np.zeros((5, 5))
        np.add.at(cells, (frame["fval"].to_numpy() - 1, frame["dval"].to_numpy() - 1), frame["n"])
        return cells

    def importance_of(frame: pd.DataFrame) -> Estimate | None:
        if frame.empty:
            return None
        return _mean_from_sums(
            int(frame["n"].sum()),
            float(frame["s"].sum()),
            float(frame["ss"].sum()),
            min_n,
            "self-stated importance, t interval",
            confidence,
        )

    pooled, per_wave = [], []
    for feature in sorted(pairs):
        fc = counts[counts["feature"] == feature]
        fi = imp[imp["feature"] == feature]
        pooled.append(
            evaluate_cells(feature, None, cells_of(fc), min_n, importance_of(fi), confidence)
        )
        for wave in waves:
            wc = fc[fc["wave"] == wave]
            if wc.empty:
                continue
            per_wave.append(
                evaluate_cells(
                    feature,
                    wave,
                    cells_of(wc),
                    min_n,
                    importance_of(fi[fi["wave"] == wave]),
                    confidence,
                )
            )
    drift = _drift(per_wave, waves, alpha=1 - confidence)
    text = wow_trends(ws, sorted(pairs), min_n=min_n, confidence=confidence)
    return KanoResult(
        tuple(pooled), tuple(per_wave), drift, tuple(waves), min_n, text, confidence=confidence
    )


def _drift(per_wave: list[KanoFeature], waves: list[str], *, alpha: float) -> tuple[KanoDrift, ...]:
    by_feature: dict[str, list[KanoFeature]] = {}
    for f in per_wave:
        by_feature.setdefault(f.feature, []).append(f)
    partial = []
    for feature, rows in by_feature.items():
        rows.sort(key=lambda f: waves.index(f.wave) if f.wave in waves else len(waves))
        path = tuple((str(f.wave), f.category) for f in rows)
        usable = [f for f in rows if f.category is not None]
        p_hom: float | None = None
        table = np.array([[f.counts[c] for c in CATEGORIES] for f in usable])
        if len(usable) >= 2:
            table = table[:, table.sum(axis=0) > 0]
            if table.shape[1] >= 2:
                p_hom = float(stats.chi2_contingency(table).pvalue)
        # Compare the latest wave with the earlier wave where the feature delighted most
        # (the first wave when it never was attractive).
        first, last = None, None
        if len(usable) >= 2:
            last = usable[-1]
            earlier = [f for f in usable[:-1] if f.category == "A"] or usable[:1]
            first = max(earlier, key=lambda f: f.share("A"))
        p_change: float | None = None
        if first is not None and last is not None:
            p_change = _two_proportion_p(first.counts["A"], first.n, last.counts["A"], last.n)
        partial.append((feature, path, usable, first, last, p_hom, p_change))

    raw = [p[6] for p in partial if p[6] is not None]
    adjusted = iter(multipletests(raw, method="holm")[1]) if raw else iter(())
    out = []
    for feature, path, _usable, first, last, p_hom, p_change in partial:
        p_holm = float(next(adjusted)) if p_change is not None else None
        alarm, message = False, f"{feature}: no significant drift"
        if first is not None and last is not None and p_holm is not None:
            was_delight = first.category == "A"
            now_expected = last.category in {"O", "M"}
            a_down = last.share("A") < first.share("A") and p_holm < alpha
            m_up = last.share("M") + last.share("O") > first.share("M") + first.share("O")
            if was_delight and (now_expected or (a_down and m_up)):
                alarm = True
                now = CATEGORY_NAMES[last.category] if last.category else "?"
                message = (
                    f"{feature} was a delighter in {first.wave} (attractive "
                    f"{first.share('A'):.0%}); by {last.wave} it is {now} (attractive "
                    f"{last.share('A'):.0%}, must-be {last.share('M'):.0%}; Holm p = "
                    f"{p_holm:.3g}): today's pleasant surprise is tomorrow's expectation"
                )
            elif p_holm < alpha:
                message = (
                    f"{feature}: attractive share moved from {first.share('A'):.0%} to "
                    f"{last.share('A'):.0%} (Holm p = {p_holm:.3g})"
                )
        out.append(
            KanoDrift(
                feature=feature,
                path=path,
                p_homogeneity=p_hom,
                attractive_first=first.share("A") if first else None,
                attractive_last=last.share("A") if last else None,
                must_be_first=first.share("M") if first else None,
                must_be_last=last.share("M") if last else None,
                p_attractive_change=p_change,
                p_attractive_change_holm=p_holm,
                alarm=alarm,
                message=message,
            )
        )
    return tuple(out)


def _two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p of the pooled two-proportion z-test."""
    pooled = (k1 + k2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return float(2 * stats.norm.sf(abs(z)))


# Words of positive surprise ("wow" moments); matched as whole words, case-insensitive.
SURPRISE_CUES = (
    "wow",
    "amazing",
    "amazed",
    "surprise",
    "surprised",
    "surprising",
    "delighted",
    "delightful",
    "unexpected",
    "blown away",
    "impressed",
    "above and beyond",
    "love",
    "loved",
)


def wow_trends(
    ws: Workspace,
    features: list[str],
    *,
    terms: dict[str, list[str]] | None = None,
    min_n: int = MIN_N,
    confidence: float = 0.95,
) -> tuple[WowTrend, ...]:
    """Per feature: documents mentioning it (its name with spaces, e.g. "live chat", or the
    given ``terms``), the monthly share that express positive surprise (SURPRISE_CUES) and
    the trend of that share (binomial GLM of surprised/mentions on the month index)."""
    import statsmodels.api as sm

    d = ws.table("documents")
    d = d.filter(d.created_at.notnull())
    text = d.text.lower()
    surprised = engine.has_word(text, SURPRISE_CUES)  # \b is no word boundary on PostgreSQL
    terms_of = {f: (terms or {}).get(f) or [f.replace("_", " ")] for f in features}
    # one scan of the documents for every feature: mentions and surprised mentions per month
    aggregates: dict[str, Any] = {}
    for i, feature in enumerate(features):
        hit = ibis.or_(*[text.contains(w.lower()) for w in terms_of[feature]])
        aggregates[f"n{i}"] = engine.as_number(hit, "int64").sum()
        aggregates[f"k{i}"] = engine.as_number((hit & surprised), "int64").sum()
    monthly: pd.DataFrame = (
        d.group_by(month=d.created_at.truncate("M")).agg(**aggregates).order_by("month").execute()
        if features
        else pd.DataFrame()
    )
    out = []
    for i, feature in enumerate(features):
        words = terms_of[feature]
        counts = monthly[["month", f"n{i}", f"k{i}"]].rename(columns={f"n{i}": "n", f"k{i}": "k"})
        counts = counts[counts["n"] > 0].reset_index(drop=True)
        n_all, k_all = int(counts["n"].sum()), int(counts["k"].sum())
        months = tuple(
            (pd.Timestamp(mo).strftime("%Y-%m"), int(n), int(k))
            for mo, n, k in zip(counts["month"], counts["n"], counts["k"], strict=True)
        )
        share = wilson_estimate(k_all, n_all, min_n, "share surprised, Wilson", confidence)
        slope = p = None
        fading = False
        message = f"{feature}: {n_all} mentions in text, too few for a trend"
        if n_all >= min_n and len(months) >= 3 and 0 < k_all < n_all:
            x = sm.add_constant(np.arange(len(counts), dtype=float))
            y = np.column_stack([counts["k"], counts["n"] - counts["k"]]).astype(float)
            fit = sm.GLM(y, x, family=sm.families.Binomial()).fit()
            slope, p = float(fit.params[1]), float(fit.pvalues[1])
            fading = slope < 0 and p < 1 - confidence
            first, last = months[0], months[-1]
            message = (
                f"{feature}: positive surprise in {first[2] / first[1]:.0%} of mentions in "
                f"{first[0]}, {last[2] / last[1]:.0%} in {last[0]} (trend p = {p:.2g})"
                + (" — the wow is fading" if fading else "")
            )
        out.append(WowTrend(feature, tuple(words), months, n_all, share, slope, p, fading, message))
    return tuple(out)
