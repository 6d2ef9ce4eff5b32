"""Kano drift, service recovery and the listening audit recover the simulator's planted truth."""

from __future__ import annotations

from typing import Any

from realitygap.analysis.kano import kano
from realitygap.analysis.listening import listening
from realitygap.analysis.recovery import recovery
from realitygap.store import Workspace


def test_kano_finds_the_planted_category_of_every_feature_and_wave(
    company: tuple[Workspace, dict[str, Any]],
) -> None:
    ws, truth = company
    result = kano(ws)
    found = {(f.feature, f.wave): f.category for f in result.by_wave}
    planted = {(f, w): c for f, waves in truth["kano"].items() for w, c in waves.items()}
    assert found == planted


def test_kano_alarms_exactly_for_planted_delighters_turning_into_expectations(
    company: tuple[Workspace, dict[str, Any]],
) -> None:
    ws, truth = company
    expected = set()
    for feature, waves in truth["kano"].items():
        path = [waves[w] for w in truth["waves"] if w in waves]
        # a delighter (A) in some wave that is one-dimensional or must-be in the last wave
        if "A" in path[:-1] and path[-1] in {"O", "M"}:
            expected.add(feature)
    assert expected  # the simulator plants at least one migration
    assert {d.feature for d in kano(ws).alarms} == expected


def test_listening_error_bands_cover_the_planted_expectation(
    company: tuple[Workspace, dict[str, Any]],
) -> None:
    ws, truth = company
    result = listening(ws)
    planted = truth["listening"]["expected_error_by_band"]
    for band in result.bands:
        assert band.error.low is not None and band.error.high is not None
        assert band.error.low <= planted[band.band] <= band.error.high, band
    # staff who hear customers more predict them better: a negative rank correlation
    assert result.contact_error_spearman.high is not None
    assert result.contact_error_spearman.high < 0


def test_recovery_pays_as_planted(company: tuple[Workspace, dict[str, Any]]) -> None:
    ws, truth = company
    # planted churn hazard ratios: recovered 0.4, unrecovered 1.25 (truth["recovery"])
    assert (
        truth["recovery"]["hazard_ratio_recovered"] < truth["recovery"]["hazard_ratio_unrecovered"]
    )
    result = recovery(ws)
    pays = result.retention_recovered_vs_not
    assert pays is not None
    assert pays.value > 0 and pays.p_value < 0.05
    assert result.service.cases == truth["rows"]["cases"]
