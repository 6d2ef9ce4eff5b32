"""The default NPS interval (Tango's score interval) and its exact coverage.

Coverage is computed by enumerating every trinomial outcome (tests/nps_coverage.py), checked
against scipy.stats.multinomial term by term; the score limits are checked against closed
forms worked by hand and against a brute-force root find whose restricted maximum likelihood
is found numerically.
"""

from __future__ import annotations

import numpy as np
import pytest

from realitygap.analysis import _stats
from tests import nps_coverage


def _score(p_pro: float, p_det: float, n: float, confidence: float) -> tuple[float, float]:
    return _stats.nps_interval(p_pro, p_det, n, "score", confidence)


def _adjusted_wald(p_pro: float, p_det: float, n: float, confidence: float) -> tuple[float, float]:
    return _stats.nps_interval(p_pro, p_det, n, "adjusted-wald", confidence)


def test_default_is_the_score_interval() -> None:
    assert _stats.DEFAULT_NPS_METHOD == "score"
    assert _stats.nps_interval(0.5, 0.2, 100) == _score(0.5, 0.2, 100, 0.95)
    assert set(_stats.NPS_METHODS) == {"score", "adjusted-wald", "wald", "bootstrap"}


def test_score_limits_at_vertices_match_hand_worked_closed_forms() -> None:
    # 30 promoters of 30: the restricted detractor share is (1 - d)/2, so the variance is
    # (1 - d)(1 + d)/n and the lower limit solves (1 - d) n = z^2 (1 + d):
    # d = (30 - z^2) / (30 + z^2) = 26.158537 / 33.841463 = 0.772973
    assert _stats.nps_interval(1.0, 0.0, 30) == pytest.approx((0.772973, 1.0), abs=1e-6)
    assert _stats.nps_interval(0.0, 1.0, 30) == pytest.approx((-1.0, -0.772973), abs=1e-6)
    # 30 passives of 30: q = 0 for d > 0, variance d(1 - d)/n, so d n = z^2 (1 - d):
    # d = z^2 / (30 + z^2) = 3.841459 / 33.841459 = 0.113513 (and -0.113513 by symmetry)
    assert _stats.nps_interval(0.0, 0.0, 30) == pytest.approx((-0.113513, 0.113513), abs=1e-6)


@pytest.mark.parametrize(
    ("k_pro", "k_det", "n", "confidence"),
    [
        (50, 20, 100, 0.95),
        (40, 20, 160, 0.95),
        (27, 2, 30, 0.95),
        (3, 25, 31, 0.9),
        (12.6, 30.2, 57.4, 0.99),
    ],  # the last: weighted counts on a Kish n_eff of 57.4
)
def test_score_limits_agree_with_a_brute_force_root_find(
    k_pro: float, k_det: float, n: float, confidence: float
) -> None:
    expected = nps_coverage.score_limits_brute_force(k_pro, k_det, n, confidence)
    got = _stats.nps_interval(k_pro / n, k_det / n, n, "score", confidence)
    assert got == pytest.approx(expected, abs=1e-6)


def test_fractional_n_lies_between_its_neighbours() -> None:
    # an effective n of 100.5 gives an interval narrower than n = 100 and wider than n = 101
    width = {n: np.subtract(*_stats.nps_interval(0.4, 0.3, n)[::-1]) for n in (100, 100.5, 101)}
    assert width[100] > width[100.5] > width[101]


def test_coverage_calculator_matches_scipy_multinomial_term_by_term() -> None:
    # n = 30: the fast row-wise sums against scipy.stats.multinomial.pmf summed outcome by
    # outcome, for the score interval and the adjusted Wald (which has non-monotone edge rows)
    p_pro = np.array([0.9, 0.45, 0.2, 0.05, 0.0, 0.33])
    p_det = np.array([0.05, 0.25, 0.02, 0.9, 0.4, 0.33])
    for method in (_score, _adjusted_wald):
        low, high = nps_coverage.outcome_limits(method, 30)
        fast = nps_coverage.coverage(low, high, p_pro, p_det)
        for i in range(len(p_pro)):
            brute = nps_coverage.coverage_brute_force(low, high, p_pro[i], p_det[i])
            assert fast[i] == pytest.approx(brute, abs=1e-10)


def test_calculator_reproduces_the_adjusted_wald_over_coverage_at_nps_085() -> None:
    # issue 14's measurement: the adjusted Wald covers 97.3% at n = 30 when the NPS is +-0.85
    # (here 90% promoters, 5% passives, 5% detractors, and its mirror image)
    low, high = nps_coverage.outcome_limits(_adjusted_wald, 30)
    got = nps_coverage.coverage(low, high, np.array([0.90, 0.05]), np.array([0.05, 0.90]))
    assert got == pytest.approx([0.973, 0.973], abs=5e-4)
    # the score interval brings it inside the band
    low, high = nps_coverage.outcome_limits(_score, 30)
    got = nps_coverage.coverage(low, high, np.array([0.90, 0.05]), np.array([0.05, 0.90]))
    assert np.all((got >= 0.93) & (got <= 0.97))


# The grid: every n from 30 to 60 (80 to 500 in benchmarks/nps_coverage.py; 75 to 300 on the
# fine grid below); every (p_pro, p_det) on the 0.01 grid of the simplex where a 93-97% band is
# attainable (nps_coverage.informative_mixes: each category expects >= 2 answers, or each
# share >= 5% with >= 5 expected promoters plus detractors).
COVERAGE_NS = list(range(30, 61))


def test_default_interval_exact_coverage_95_within_93_97_everywhere() -> None:
    p_pro, p_det = nps_coverage.simplex_grid(0.01)
    worst_low, worst_high = 1.0, 0.0
    for n in COVERAGE_NS:
        keep = nps_coverage.informative_mixes(n, p_pro, p_det)
        low, high = nps_coverage.outcome_limits(_score, n)
        cov = nps_coverage.coverage(low, high, p_pro[keep], p_det[keep])
        worst_low, worst_high = min(worst_low, cov.min()), max(worst_high, cov.max())
    assert worst_low >= 0.93 and worst_high <= 0.97, (worst_low, worst_high)


@pytest.mark.parametrize("confidence", [0.90, 0.99])
def test_default_interval_coverage_within_two_points_at_90_and_99(confidence: float) -> None:
    # each category expected at least 3 times (at 90% and 99% the discreteness band is wider):
    # n in 30, 35, ..., 60, 100 and 200, the 0.02 grid
    p_pro, p_det = nps_coverage.simplex_grid(0.02)
    least = np.minimum(np.minimum(p_pro, p_det), 1 - p_pro - p_det)
    for n in [*range(30, 61, 5), 100, 200]:
        keep = n * least >= 3 - 1e-9
        low, high = nps_coverage.outcome_limits(_score, n, confidence)
        cov = nps_coverage.coverage(low, high, p_pro[keep], p_det[keep])
        assert confidence - 0.02 <= cov.min() and cov.max() <= confidence + 0.02, (
            n,
            cov.min(),
            cov.max(),
        )


# ---- where 93-97% is attainable at all (docs/metrics.md, "Where 93-97% is unattainable") ----


@pytest.mark.parametrize("n", [3, 4])
def test_band_attainable_agrees_with_every_subset_of_outcomes(n: int) -> None:
    # independent of the proof: every one of the 2^10 (n = 3) or 2^15 (n = 4) sets of outcomes
    # summed with scipy.stats.multinomial.pmf, for bands of the same width 0.04 placed anywhere
    from scipy import stats

    outcomes = [(a, b, n - a - b) for a in range(n + 1) for b in range(n - a + 1)]
    members = (np.arange(2 ** len(outcomes))[:, None] >> np.arange(len(outcomes))) & 1
    rng = np.random.default_rng(14)
    shares = rng.dirichlet([0.3, 0.3, 0.3], size=40)
    p_pro, p_det = shares[:, 0], shares[:, 2]
    verdicts = []
    for lo in (0.93, 0.6, 0.3):
        got = nps_coverage.band_attainable(n, p_pro, p_det, lo, lo + 0.04)
        for i in range(len(p_pro)):
            pmf = stats.multinomial(n, [p_pro[i], 1 - p_pro[i] - p_det[i], p_det[i]])
            probs = np.array([pmf.pmf([a, c, b]) for a, b, c in outcomes])
            sums = members @ probs
            expected = bool(np.any((sums >= lo - 1e-12) & (sums <= lo + 0.04 + 1e-12)))
            assert got[i] == expected, (lo, p_pro[i], p_det[i])
            verdicts.append(expected)
    assert any(verdicts) and not all(verdicts)  # both verdicts occur, so the check has teeth


def test_one_outcome_above_97_percent_makes_the_band_unattainable() -> None:
    # the single-outcome bound by hand: at 99.9% promoters and n = 30 the all-promoter sample has
    # probability 0.999^30 = 0.97043 > 0.97, so every coverage is >= 0.97043 or <= 0.02957
    largest = nps_coverage._outcomes_above(30, 0.999, 0.0, 0.5)
    assert largest == pytest.approx([0.97043], abs=1e-5)
    assert not nps_coverage.band_attainable(30, np.array([0.999]), np.array([0.0]))[0]
    # at 99.8% and n = 40 the bound no longer applies (0.998^40 = 0.9230), yet the next outcome
    # (39 promoters, 40 x 0.002 x 0.998^39 = 0.0740) jumps from at most 0.9230 + 0.0030 (the
    # rest) to at least 0.9970: still unattainable. At n = 30, 0.998^30 = 0.9417 is in the band
    assert not nps_coverage.band_attainable(40, np.array([0.998]), np.array([0.0]))[0]
    assert nps_coverage.band_attainable(30, np.array([0.998]), np.array([0.0]))[0]
    # at 99% both 0.99^30 = 0.740 and the runs of small outcomes reach the band
    assert nps_coverage.band_attainable(30, np.array([0.99]), np.array([0.0]))[0]
    # every mix of the fine grid where one category's share^n exceeds 0.97 is unattainable
    p_pro, p_det = nps_coverage.fine_simplex_grid()
    top = np.maximum(np.maximum(p_pro, p_det), 1 - p_pro - p_det)
    for n in (30, 100):
        single = top**n > 0.97
        assert single.any()
        assert not nps_coverage.band_attainable(n, p_pro[single], p_det[single]).any()


# The fine grid (0.01 steps plus shares 0.001, 0.002, 0.005, 0.995, 0.998, 0.999) at the n of
# docs/metrics.md's table. Regression pin: the number of informative mixes per n (the region
# the 93-97% guarantee covers), so the exclusion cannot widen without this test changing.
FINE_INFORMATIVE = {30: 3719, 40: 3741, 50: 4005, 75: 4278, 100: 4560, 150: 4560, 200: 4851,
                    300: 4851}  # fmt: skip


def test_score_coverage_on_the_fine_grid_within_93_97_where_informative() -> None:
    p_pro, p_det = nps_coverage.fine_simplex_grid()
    for n, informative_count in FINE_INFORMATIVE.items():
        keep = nps_coverage.informative_mixes(n, p_pro, p_det)
        assert keep.sum() == informative_count, n
        low, high = nps_coverage.outcome_limits(_score, n)
        cov = nps_coverage.coverage(low, high, p_pro, p_det)
        inside = cov[keep]
        assert inside.min() >= 0.93 and inside.max() <= 0.97, (n, inside.min(), inside.max())
        assert abs(inside.mean() - 0.95) < 0.002, (n, inside.mean())
        if n in (30, 100):
            # the proof's region: no interval can reach the band there, so it must lie outside
            # the informative mixes, and the score interval must indeed miss the band there
            unattainable = ~nps_coverage.band_attainable(n, p_pro, p_det)
            assert unattainable.any() and not (unattainable & keep).any()
            missed = cov[unattainable]
            assert np.all((missed < 0.93) | (missed > 0.97)), n
