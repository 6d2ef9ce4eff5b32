"""The journey, wow and people rules of ``findings``: each fires on the simulator's planted
truth and stays silent where the evidence does not support it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from realitygap.analysis import Estimate, RealityCheck, reality_check
from realitygap.analysis.findings import Finding, derive, moment_name
from realitygap.store import Workspace


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RealityCheck, Any]]:
    from realitygap.simulate import simulate

    # the demo's company (5,000 customers, seed 42): enough teams for the people section
    path = tmp_path_factory.mktemp("seeds") / "ws"
    truth = simulate(path, customers=5_000, seed=42)
    with Workspace.open(path, read_only=True) as ws:
        yield reality_check(ws), truth


def rules(rc: RealityCheck) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in derive(rc):
        out.setdefault(f.rule, []).append(f)
    return out


def test_journey_names_the_planted_priorities_with_their_owners(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, truth = checked
    assert rc.journey is not None
    (lead,) = rules(rc)["journey-priorities"]
    names = {tp.id: (tp.name, tp.owner.replace("_", " ")) for tp in default_taxonomy()}
    # planted: the three touchpoints with the widest planted gap and lowest planted score
    for tp in truth["journey"]["priorities"][:3]:
        name, owner = names[tp]
        assert f"{name} (owner: {owner})" in lead.text
    (figures,) = rules(rc)["journey-figures"]
    assert "staff over-estimate it by" in figures.text  # the planted gaps are 7-15 points


def test_journey_asserts_no_gap_its_test_does_not_support(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, _ = checked
    assert rc.journey is not None
    unsure = tuple(dataclasses.replace(c, gap_p=0.5) for c in rc.journey.cells)
    journey = dataclasses.replace(rc.journey, cells=unsure)
    (figures,) = rules(dataclasses.replace(rc, journey=journey))["journey-figures"]
    assert "over-estimate" not in figures.text
    assert figures.text.count("no detectable gap") == 3


def test_wow_lead_separates_planted_lifts_from_the_null_moment(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, truth = checked
    (lead,) = rules(rc)["wow-lead"]
    planted = truth["wow"]["moments"]
    lifting = [m for m, v in planted.items() if v["lift"]["retention"] > 0.03]
    null = [m for m, v in planted.items() if v["lift"]["nps"] == 0 and v["lift"]["retention"] == 0]
    assert lifting and null
    more, _, rest = lead.text.partition("go with more loyalty")
    for m in lifting:
        assert moment_name(m) in more
    for m in null:
        assert moment_name(m) in rest and "no detectable lift" in rest
    assert "tenure_band" not in " ".join(f.text for f in rules(rc)["wow-association"])


def test_wow_fade_is_said_on_the_example_company_for_the_planted_moment_only(
    checked: tuple[RealityCheck, Any],
) -> None:
    # planted: only the birthday surprise fades (truth `fades`), by <outcome>_fade_per_month;
    # at the demo's 5,000 customers the finding says so, with the slope's interval covering it
    rc, truth = checked
    planted = truth["wow"]["moments"]
    for f in rules(rc)["wow-reach-lift"]:
        name = next(m for m in planted if f.text.startswith(moment_name(m)))
        assert ("fades as it becomes expected" in f.text) == planted[name]["fades"], name
    assert rc.wow is not None
    nps = next(x for x in rc.wow.moment("birthday_surprise").fades if x.outcome == "nps")
    assert nps.fading and nps.slope.low is not None and nps.slope.high is not None
    assert (
        nps.slope.low
        <= planted["birthday_surprise"]["lift"]["nps_fade_per_month"]
        <= nps.slope.high
    )


def test_recovered_customers_nps_is_measured_on_the_example_company(
    checked: tuple[RealityCheck, Any],
) -> None:
    # planted (simulate/cases.py, survey.py): case customers answer the first wave after their
    # case, the recovered with their NPS latent mean +1; truth.json gives the answers and their
    # expected NPS. At the demo's 5,000 customers the group has 30+ answers: a number, whose
    # interval covers the planted expectation
    rc, truth = checked
    planted = truth["recovery"]["nps_after_case"]["recovered"]
    assert rc.recovery is not None
    (g,) = [x for x in rc.recovery.groups if x.group == "recovered"]
    assert g.nps.n == planted["answers"] >= 30
    assert g.nps.low is not None and g.nps.high is not None
    assert g.nps.low <= planted["expected_nps"] <= g.nps.high


def test_wow_claims_no_lift_when_no_test_rejects(checked: tuple[RealityCheck, Any]) -> None:
    rc, _ = checked
    assert rc.wow is not None
    moments = tuple(
        dataclasses.replace(m, lifts=tuple(dataclasses.replace(x, p_value=0.9) for x in m.lifts))
        for m in rc.wow.moments
    )
    found = rules(dataclasses.replace(rc, wow=dataclasses.replace(rc.wow, moments=moments)))
    (lead,) = found["wow-lead"]
    assert "more loyalty" not in lead.text and "no detectable lift from" in lead.text
    for f in found["wow-reach-lift"]:
        assert f.text.count("no detectable lift") == 3


def test_engagement_link_fires_on_the_planted_slope_and_not_without_a_test(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, truth = checked
    assert rc.people is not None
    (link,) = rules(rc)["engagement-nps"]
    planted = truth["people"]["slope_nps_per_engagement_point"]  # 1.36 NPS points
    s = rc.people.slope
    assert s.low is not None and s.high is not None and s.low <= planted <= s.high
    assert "more loyal customers" in link.text and "not a cause" in link.text
    weak = dataclasses.replace(rc.people, slope_p=0.4)
    (none,) = rules(dataclasses.replace(rc, people=weak))["engagement-nps"]
    assert none.text.startswith("No detectable link")


def test_turnover_link_only_when_its_interval_excludes_zero(
    checked: tuple[RealityCheck, Any],
) -> None:
    rc, truth = checked
    assert rc.people is not None
    assert truth["people"]["correlation_turnover_nps"] < -0.9  # planted
    assert "less loyal" in rules(rc)["turnover-nps"][0].text
    crossing = Estimate(-0.3, -0.8, 0.4, rc.people.turnover_nps.n, "Fisher z")
    quiet = dataclasses.replace(rc.people, turnover_nps=crossing)
    assert "turnover-nps" not in rules(dataclasses.replace(rc, people=quiet))


def default_taxonomy() -> Any:
    from realitygap.domain.taxonomy import default_taxonomy as default

    return default().touchpoints
