"""Importing wow moments (events of type wow) and a staff pulse survey (docs/formats.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from realitygap import SurveyDataError
from realitygap.analysis import wow
from realitygap.ingest import import_file
from realitygap.store import Workspace


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_wow_events_land_with_their_name_and_touchpoint(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "e.csv",
        "customer_id,type,occurred_at,name,touchpoint,detail\n"
        "C001,purchase,2024-03-01,,,\n"
        "C001,wow,2024-03-14,handwritten_note,packaging,note signed by the packer\n"
        "C002,wow,2024-04-02,handwritten_note,packaging,\n",
    )
    import_file(ws, path, "events")
    rows = ws.table("events").order_by("occurred_at").execute()
    assert list(rows["type"]) == ["purchase", "wow", "wow"]
    assert list(rows["name"].fillna("")) == ["", "handwritten_note", "handwritten_note"]
    assert rows["detail"].iloc[1] == "note signed by the packer"
    # re-importing the same file adds nothing (ids derived from the content)
    import_file(ws, path, "events")
    assert ws.count("events") == 3
    # two of the example company's customers met it: reach 2 / customers, by hand
    customers = int((ws.table("respondents").execute()["kind"] == "customer").sum())
    moment = wow(ws, min_n=1).moment("handwritten_note")
    assert moment.customers_met == 2
    assert moment.reach.value == pytest.approx(2 / customers)


def test_event_ids_of_plain_events_do_not_change(ws: Workspace, tmp_path: Path) -> None:
    # an events file without the wow columns derives the ids it always did: the MD5 of
    # customer_id|type|occurred_at|amount (computed here with hashlib)
    import hashlib

    path = _write(
        tmp_path, "e.csv", "customer_id,type,occurred_at,amount\nC001,purchase,2024-01-20,89.9\n"
    )
    import_file(ws, path, "events")
    content = "C001|purchase|2024-01-20T00:00:00|89.9"
    expected = "ev-" + hashlib.md5(content.encode()).hexdigest()[:16]
    assert ws.table("events").execute()["event_id"].tolist() == [expected]


def test_a_wow_event_needs_its_name_and_a_known_touchpoint(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "e.csv",
        "customer_id,type,occurred_at,name,touchpoint\n"
        "C001,wow,2024-03-14,,packaging\n"
        "C002,wow,2024-03-14,note,the_moon\n",
    )
    with pytest.raises(SurveyDataError) as info:
        import_file(ws, path, "events")
    got = sorted((p.row, p.column) for p in info.value.problems)
    assert got == [(2, "name"), (3, "touchpoint")]
    assert ws.count("events") == 0


def test_pulse_questions_take_the_staff_audience(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "q.csv",
        "question_id,text,scale,audience,block\n"
        "e01,I have the tools I need to serve customers well,likert5,staff,engagement\n",
    )
    import_file(ws, path, "questions")
    assert ws.table("questions").execute().set_index("question_id").loc["e01", "audience"] == (
        "staff"
    )
