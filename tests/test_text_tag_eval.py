"""The tagger on real reviews labelled by hand (tests/data/tag_eval_labels.csv, labelled following
docs/text-labelling.md before the tagger ran on them), and hand examples of each word collision
fixed while tuning on the development half.

Targets are issue 17 point 3's; the figures are those of the held-out half, never tuned on,
except staff attitude: its rules were later tuned on the held-out half's misses too, so its
held-out figures come from a second draw (tests/data/staff_attitude_labels.csv), labelled
before the tagger ran on it. Under
CI a missing ../shared/data file fails these tests (tests/conftest.py:shared_data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realitygap.analysis.text.tag_eval import (
    CLOTHING,
    SKYTRAX,
    TARGETS,
    TWEETS,
    _figures,
    evaluate,
    evaluate_staff,
    load_eval_set,
    load_staff_set,
    predict,
    sample_reviews,
)
from realitygap.analysis.text.tagger import DocumentTagger, TextPath
from realitygap.domain.taxonomy import default_taxonomy
from tests.conftest import shared_data

LABELS = Path(__file__).parent / "data" / "tag_eval_labels.csv"
STAFF_LABELS = Path(__file__).parent / "data" / "staff_attitude_labels.csv"


def _data_dir() -> Path:
    for name in (TWEETS, CLOTHING, SKYTRAX):
        found = shared_data(*name.split("/"))
    return found.parents[1]


@pytest.fixture(scope="module")
def eval_set() -> pd.DataFrame:
    return load_eval_set(LABELS, _data_dir())


@pytest.fixture(scope="module")
def held_out(eval_set: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    return evaluate(eval_set[eval_set["split"] == "test"], resamples=500)


@pytest.mark.realdata
def test_evaluation_set_is_what_the_issue_asks(eval_set: pd.DataFrame) -> None:
    # issue 17: at least 300 real reviews from at least two domains, each label row matched to
    # one review of the reproducible draw; the split is half and half within every stratum
    assert len(eval_set) == 400
    assert set(eval_set["dataset"]) == {"tweets", "skytrax", "clothing"}  # airline and retail
    assert (eval_set["split"] == "test").sum() == 200
    assert eval_set["text"].str.len().min() > 0
    draw = sample_reviews(_data_dir())
    assert len(draw) == 400 and not draw.duplicated(["dataset", "row_id"]).any()
    # the criticised-staff cases the staff figures rest on (counted from the label file)
    assert (eval_set["staff_attitude"] == "criticised").sum() == 33


MET = [
    "touchpoint micro-F1",
    "staff attitude (criticised) precision",
    "layer accuracy",
    "sense see precision",
    "sense touch precision",
    "sense taste precision",
    "sense feel precision",
]


@pytest.mark.realdata
@pytest.mark.parametrize("name", MET)
def test_held_out_figure_meets_its_target(
    held_out: dict[str, tuple[float, float, float]], name: str
) -> None:
    assert held_out[name][0] >= TARGETS[name], held_out[name]


@pytest.mark.realdata
@pytest.mark.slow
def test_accurate_path_held_out_figures_meet_their_targets(eval_set: pd.DataFrame) -> None:
    # the accurate path's margins were chosen on the dev half (tagger.ACCURATE_MARGINS); the
    # held-out half gives touchpoint F1 0.822 (0.739 with the SemEval-chosen margin 0.05)
    from realitygap.analysis.text.embed import Embedder

    test = eval_set[eval_set["split"] == "test"]
    embedder = Embedder()
    try:
        tagger = DocumentTagger(default_taxonomy(), TextPath.ACCURATE, embedder=embedder)
        figures = evaluate(test, tagger, resamples=100)
        fast = predict(test["text"].tolist())
        accurate = predict(test["text"].tolist(), tagger)
    finally:
        embedder.close()
    for name in MET:
        assert figures[name][0] >= TARGETS[name], (name, figures[name])
    # seeds always count on the accurate path: its touchpoints hold the fast path's
    assert all(f <= a for f, a in zip(fast["touchpoints"], accurate["touchpoints"], strict=True))


@pytest.fixture(scope="module")
def staff_set() -> pd.DataFrame:
    return load_staff_set(STAFF_LABELS, _data_dir())


@pytest.fixture(scope="module")
def staff_held_out(staff_set: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    return evaluate_staff(staff_set, resamples=500)


@pytest.mark.realdata
def test_staff_set_is_new_reviews(staff_set: pd.DataFrame) -> None:
    # the second staff draw holds none of the first set's reviews; counts from the label file
    first = set(zip(*sample_reviews(_data_dir())[["dataset", "row_id"]].to_numpy().T, strict=True))
    assert not first & set(zip(staff_set["dataset"], staff_set["row_id"], strict=True))
    assert len(staff_set) == 90
    assert (staff_set["staff_attitude"] == "criticised").sum() == 30


@pytest.mark.realdata
def test_held_out_staff_precision_meets_target(
    staff_held_out: dict[str, tuple[float, float, float]],
) -> None:
    name = "staff attitude (criticised) precision"
    assert staff_held_out[name][0] >= TARGETS[name], staff_held_out[name]


@pytest.mark.realdata
@pytest.mark.xfail(
    strict=True,
    reason="held-out staff-attitude recall on the second draw is 0.533 (16 of 30), below the "
    "0.80 target: rules tuned on both halves of the first set did not carry over",
)
def test_held_out_staff_recall_meets_target(
    staff_held_out: dict[str, tuple[float, float, float]],
) -> None:
    name = "staff attitude (criticised) recall"
    assert staff_held_out[name][0] >= TARGETS[name]


@pytest.mark.realdata
def test_staff_recall_does_not_regress(
    held_out: dict[str, tuple[float, float, float]],
    staff_held_out: dict[str, tuple[float, float, float]],
) -> None:
    # regression pins, each the measured figure less one case: the second draw 16 of 30
    # (the tagger before the last rules found the same 16); the first set's test half 16 of 18
    # since its misses were read and tuned on (12 of 18 when it was still held out)
    assert staff_held_out["staff attitude (criticised) recall"][0] >= 15 / 30
    assert held_out["staff attitude (criticised) recall"][0] >= 15 / 18


@pytest.mark.realdata
@pytest.mark.xfail(
    strict=True,
    reason="hear and smell are too rare to measure: one review of 400 was labelled hear, none "
    "of the held-out half smell; the tagger predicts hear twice there (both wrong), smell never",
)
@pytest.mark.parametrize("sense", ["hear", "smell"])
def test_held_out_rare_sense_precision(
    held_out: dict[str, tuple[float, float, float]], sense: str
) -> None:
    assert held_out[f"sense {sense} precision"][0] >= 0.60


def test_figures_match_a_hand_count() -> None:
    # two reviews, columns as in tag_eval._counts: touchpoint tp/fp/fn, staff tp/fp/fn, layer
    # correct, then (tp, fp) per sense see..feel. By hand: touchpoints tp 3, fp 1, fn 2 ->
    # F1 = 6 / (6 + 1 + 2) = 0.667; precision 3/4; recall 3/5; staff 1 tp, 1 fn -> P 1, R 0.5;
    # layer 1 of 2; see tp 1 fp 1 -> 0.5; other senses never predicted -> nan
    counts = np.array(
        [
            [2, 1, 0, 1, 0, 0, 1, 1, 0] + [0] * 10,
            [1, 0, 2, 0, 0, 1, 0, 0, 1] + [0] * 10,
        ],
        dtype=float,
    )
    f = _figures(counts)
    assert f["touchpoint micro-F1"] == pytest.approx(6 / 9)
    assert f["touchpoint precision"] == pytest.approx(0.75)
    assert f["touchpoint recall"] == pytest.approx(0.6)
    assert f["staff attitude (criticised) precision"] == 1.0
    assert f["staff attitude (criticised) recall"] == 0.5
    assert f["layer accuracy"] == 0.5
    assert f["sense see precision"] == 0.5
    assert np.isnan(f["sense hear precision"])


def test_unknown_review_in_label_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text(
        "dataset,row_id,touchpoints,senses,layer,staff_attitude\ntweets,1,product,,,none\n"
    )
    with pytest.raises(ValueError, match=r"labels.csv: row with dataset='tweets' row_id='1'"):
        load_eval_set(bad, _data_dir())


# ---- hand examples of the collisions fixed ----------------------------------------------


@pytest.fixture(scope="module")
def tagger() -> DocumentTagger:
    return DocumentTagger(default_taxonomy(), TextPath.FAST)


def _tags(tagger: DocumentTagger, text: str) -> tuple[set[str], set[str], object, bool]:
    docs, aspects = tagger.tag([text])
    tps = set(aspects.loc[aspects["aspect_kind"] == "touchpoint", "aspect"])
    senses = set(aspects.loc[aspects["aspect_kind"] == "sense", "aspect"])
    return tps, senses, docs["layer"].iloc[0], bool(docs["staff_attitude"].iloc[0])


TOUCHPOINT_CASES = [
    # expected touchpoints read by hand following docs/text-labelling.md
    # a cancelled flight is the flight (product), not cancelling a membership (loyalty)
    ("My flight was Cancelled Flightled again.", {"product"}, {"loyalty"}),
    # "hold off" is waiting to decide, not waiting on the phone
    ("Looking into the card but might hold off for now.", set(), {"call_centre"}),
    # calling passengers by name is courtesy on board, not the call centre; staff are named
    ("Staff did not even call passengers by name.", {"store_staff"}, {"call_centre"}),
    # a phone on charge is neither the phone line nor a bill
    ("My mobile phone (on charge) slipped into the seat.", {"product"}, {"call_centre", "billing"}),
    # the way home is not a product return
    ("The return tonight was awful and we had to return to the gate.", set(), {"returns"}),
    # a garment sent back is a return
    ("Runs small, so I sent it back.", {"product", "returns"}, set()),
    # where it was bought is not the website; the store it was tried in is not its ambience
    ("I ordered it online after trying it on in store.", set(), {"website", "store_ambience"}),
    # a flight ticket is not a support ticket
    ("Can I get tickets for the concert?", set(), {"chat"}),
    # "had to pay" is a price, not the payment step
    ("We had to pay for water on board.", {"pricing"}, {"checkout"}),
    # the sweater's smell is the product, not the store's
    ("The sweater smells of chemicals.", {"product"}, {"store_ambience"}),
    # an error message is the website failing, not written support
    ("Got an error message when I tried to check in online.", {"website"}, {"chat"}),
    # a DM is written support
    ("Still waiting on a DM response.", {"chat"}, set()),
    # cheaply made is quality, not price
    ("This is super cheaply made.", set(), {"pricing"}),
]


@pytest.mark.parametrize(("text", "present", "absent"), TOUCHPOINT_CASES)
def test_touchpoint_collisions(
    tagger: DocumentTagger, text: str, present: set[str], absent: set[str]
) -> None:
    tps, _, _, _ = _tags(tagger, text)
    assert present <= tps and not (absent & tps), tps


SENSE_CASES = [
    # reported speech is not hearing
    ("I was told to wait and try again later.", set(), {"hear"}),
    # "sweet" about a route is not a taste; food merely named is not tasted
    ("Sweet route over the Rockies, but no hot food on board.", set(), {"taste"}),
    # food judged is tasted
    ("The meal was bland and the wine lovely.", {"taste"}, set()),
    # soft views are seen, not touched
    ("Thanks for the lovely soft views!", {"see"}, {"touch"}),
    # "I feel like" is an opinion, not an emotion; the fabric's feel is touch
    ("I feel like it runs small; the fabric feels scratchy.", {"touch"}, {"feel"}),
    # a stated emotion is feel
    ("So disappointed and frustrated with this airline.", {"feel"}, set()),
    # a news announcement is not a sound; an announcement on board is
    ("They just announced new routes.", set(), {"hear"}),
    ("It sounds lovely.", set(), {"hear"}),
]


@pytest.mark.parametrize(("text", "present", "absent"), SENSE_CASES)
def test_sense_collisions(
    tagger: DocumentTagger, text: str, present: set[str], absent: set[str]
) -> None:
    _, senses, _, _ = _tags(tagger, text)
    assert present <= senses and not (absent & senses), senses


STAFF_CASES = [
    # criticism by itself (the issue's example), with a negator it is not
    ("The crew were surly and inattentive.", True),
    ("The crew were not rude at all.", False),
    # "ignored" needs a person: an e-mail ignored is not staff attitude
    ("My e-mail was ignored for weeks.", False),
    ("The agent ignored me at the desk.", True),
    # "attitude" in praise is not a complaint
    ("The crew had a great attitude, so friendly.", False),
    ("Ricky the gate agent gives customers attitude.", True),
    # words the old list lacked
    ("Employees are racist and the rudest I have met.", True),
    ("No luggage on arrival and no one cared.", True),
    # praise denied, or hostile treatment, counts in a clause that names a person
    ("Your reps were no help either.", True),
    ("There were no help yourself drinks in the lounge.", False),
    ("The seat is not nice. The crew served dinner.", False),
    ("I get some bs from a guy at the door.", True),
    # a call for better staff needs a person or an attitude word in the same clause
    ("These attendants need some happiness!", True),
    ("The lounge needs some new chairs. The staff served drinks.", False),
    ("Good aircraft but their attitude towards passengers needs to be improved.", True),
    # negated or qualified praise that VADER reads as positive still needs only a person
    ("Staff did not bother even trying to call passengers by name.", True),
    ("The cabin crew didn't smile once.", True),
    ("Service was ok, they missed me out twice and smiles were limited.", True),
    # the customer's own "bother" is not staff's
    ("The flight was delayed by 90 minutes, it did not bother me. The crew served tea.", False),
    ("I didn't bother with the films. The crew served tea.", False),
    # "attitude" said to a company needs no person; a garment's style is not staff
    ("Again horrible service, again attitude when asked for information.", True),
    ("Great looking jacket with attitude.", False),
    ("It comes with attitude.", False),
]


@pytest.mark.parametrize(("text", "criticised"), STAFF_CASES)
def test_staff_attitude_in_context(tagger: DocumentTagger, text: str, criticised: bool) -> None:
    _, _, layer, staff = _tags(tagger, text)
    assert staff is criticised
    if criticised:
        assert layer == "hospitality"  # an attitude complaint is a hospitality matter


LAYER_CASES = [
    # enthusiasm alone is not the experience layer
    ("Wow, this runs small!", None),
    ("I love this dress, it's amazing and so unique.", None),
    # a failure is the service layer
    ("Flight cancelled and my bag lost.", "service"),
    ("Washed it once and it shrunk.", "service"),
    # a personal, memorable moment is experience
    ("The crew went above and beyond, truly memorable.", "experience"),
]


@pytest.mark.parametrize(("text", "layer"), LAYER_CASES)
def test_layer_needs_evidence(tagger: DocumentTagger, text: str, layer: str | None) -> None:
    assert _tags(tagger, text)[2] == layer
