"""Every import rule has a crafted bad file; each problem names file, row, column, value and
what was expected, all problems come together, and a failed import changes nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from realitygap.domain.errors import Problem, SurveyDataError
from realitygap.ingest import MAX_PROBLEMS, import_file
from realitygap.ingest._fields import NUMBER_EXPECTED
from realitygap.store import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _problems(ws: Workspace, path: Path, kind: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(SurveyDataError) as info:
        import_file(ws, path, kind, **kwargs)  # type: ignore[arg-type]
    return info.value.problems


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


LONG_HEADER = "respondent_id,question_id,value,wave\n"


def test_out_of_scale_value_names_row_column_value_and_scale(ws: Workspace, tmp_path: Path) -> None:
    # row 1 header, row 2 ok, row 3 has 11 on the 0-10 NPS item
    path = _write(tmp_path, "r.csv", LONG_HEADER + "C001,nps,9,w\nC002,nps,11,w\n")
    assert _problems(ws, path, "responses") == [
        Problem(str(path), 3, "value", "11", "an integer from 0 to 10 (nps scale)")
    ]


def test_fractional_and_likert_out_of_scale(ws: Workspace, tmp_path: Path) -> None:
    # likert5 is 1..5 (domain.scales): 0 and 4.5 are off the scale
    path = _write(
        tmp_path, "r.csv", LONG_HEADER + "C001,delivery_speed,0,w\nC002,delivery_speed,4.5,w\n"
    )
    got = _problems(ws, path, "responses")
    assert [(p.row, p.value) for p in got] == [(2, "0"), (3, "4.5")]
    assert all(p.expected == "an integer from 1 to 5 (likert5 scale)" for p in got)


def test_unknown_question(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", LONG_HEADER + "C001,no_such_item,3,w\n")
    [p] = _problems(ws, path, "responses")
    assert (p.row, p.column, p.value) == (2, "question_id", "no_such_item")
    assert "question_id of the workspace" in p.expected


def test_unknown_question_column_in_wide_file(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "w.csv", "respondent_id,wave,nps,bogus\nC001,w,9,3\n")
    [p] = _problems(ws, path, "responses")
    assert (p.row, p.column, p.value) == (2, "bogus", "bogus")


def test_unknown_respondent(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", LONG_HEADER + "C001,nps,3,w\nZ404,nps,3,w\n")
    [p] = _problems(ws, path, "responses")
    assert (p.row, p.column, p.value) == (3, "respondent_id", "Z404")


def test_unknown_customer_in_events_and_non_staff_in_contacts(
    ws: Workspace, tmp_path: Path
) -> None:
    events = _write(tmp_path, "e.csv", "customer_id,type,occurred_at\nNOPE,purchase,2024-01-01\n")
    [p] = _problems(ws, events, "events")
    assert (p.row, p.column, p.value) == (2, "customer_id", "NOPE")
    # C001 is a customer, not staff (examples/respondents.csv)
    contacts = _write(tmp_path, "c.csv", "staff_id,channel,occurred_at\nC001,call,2024-01-01\n")
    [p] = _problems(ws, contacts, "contacts")
    assert (p.row, p.column, p.value) == (2, "staff_id", "C001")


def test_unparsable_date(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "e.csv",
        "customer_id,type,occurred_at\nC001,purchase,2024-13-45\nC002,purchase,soon\n",
    )
    got = _problems(ws, path, "events")
    assert [(p.row, p.column, p.value) for p in got] == [
        (2, "occurred_at", "2024-13-45"),
        (3, "occurred_at", "soon"),
    ]
    assert "2024-01-31" in got[0].expected


def test_duplicate_id_within_file(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "d.csv",
        "document_id,source,text\nd1,review,good\nd2,review,bad\nd1,review,again\n",
    )
    [p] = _problems(ws, path, "documents")
    assert (p.row, p.column, p.value) == (4, "document_id", "d1")
    assert "already in row 2" in p.expected


def test_duplicate_answer_within_file(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", LONG_HEADER + "C001,nps,3,w\nC001,nps,4,w\n")
    [p] = _problems(ws, path, "responses")
    assert (p.row, p.value) == (3, "C001 / nps / w")


def test_missing_required_column(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "q.csv", "question_id,text,audience\nx,Some text,customer\n")
    [p] = _problems(ws, path, "questions")
    assert (p.row, p.column) == (None, "scale")
    assert "required" in p.expected


def test_missing_wave_says_use_wave_option(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", "respondent_id,question_id,value\nC001,nps,3\n")
    [p] = _problems(ws, path, "responses")
    assert p.column == "wave" and "--wave" in p.expected
    assert import_file(ws, path, "responses", wave="w9").rows_added["responses"] == 1


def test_enum_values(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "q.csv",
        "question_id,text,scale,audience,layer,touchpoint\n"
        "a,A,stars10,customer,,\nb,B,nps,client,,\nc,C,nps,customer,wow,nowhere\n",
    )
    got = _problems(ws, path, "questions")
    assert [(p.row, p.column, p.value) for p in got] == [
        (2, "scale", "stars10"),
        (3, "audience", "client"),
        (4, "layer", "wow"),
        (4, "touchpoint", "nowhere"),
    ]


def test_mirror_must_name_a_customer_question(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "q.csv",
        "question_id,text,scale,audience,mirrors\n"
        "m1,A,nps,mirror,\nm2,B,nps,mirror,m_nps\nm3,C,nps,mirror,nps\n",
    )
    got = _problems(ws, path, "questions")
    # m1 names nothing; m2 names a mirror question; m3 is fine (nps is a customer question)
    assert [(p.row, p.column) for p in got] == [(2, "mirrors"), (3, "mirrors")]


def test_staff_need_a_role(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", "respondent_id,kind,role\nS9,staff,\nC9,customer,manager\n")
    got = _problems(ws, path, "respondents")
    assert [(p.row, p.column) for p in got] == [(2, "role"), (3, "role")]


def test_number_must_parse(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path, "e.csv", "customer_id,type,occurred_at,amount\nC001,purchase,2024-01-01,12,50\n"
    )
    [p] = _problems(ws, path, "events")
    assert p.row == 2 and "fields" in p.expected  # a comma decimal splits the row
    path = _write(
        tmp_path, "e.csv", "customer_id,type,occurred_at,amount\nC001,purchase,2024-01-01,twelve\n"
    )
    [p] = _problems(ws, path, "events")
    assert (p.row, p.column, p.value, p.expected) == (2, "amount", "twelve", NUMBER_EXPECTED)


def test_truncated_csv(ws: Workspace, tmp_path: Path) -> None:
    # cut in the middle of the quoted text of row 3
    path = _write(
        tmp_path, "d.csv", 'document_id,source,text\nd1,review,"fine"\nd2,review,"the parcel was'
    )
    [p] = _problems(ws, path, "documents")
    assert p.row == 3 and "truncated" in p.expected


def test_truncated_xlsx_and_parquet(ws: Workspace, tmp_path: Path) -> None:
    xlsx = tmp_path / "cut.xlsx"
    xlsx.write_bytes((EXAMPLES / "surveymonkey.xlsx").read_bytes()[:1000])
    [p] = _problems(ws, xlsx, "events")
    assert p.row is None and "damaged or truncated" in p.expected
    whole = tmp_path / "events.parquet"
    pd.read_csv(EXAMPLES / "events.csv").to_parquet(whole)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-40])
    [p] = _problems(ws, cut, "events")
    assert "Parquet" in p.expected and "truncated" in p.expected


def test_binary_file(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(gzip.compress(b"customer_id,type\n" * 50))
    [p] = _problems(ws, path, "events")
    assert p.row is None and "binary" in p.expected


def test_all_problems_reported_together_up_to_the_limit(ws: Workspace, tmp_path: Path) -> None:
    bad_rows = "".join(f"C001,nps,{11 + i},w{i}\n" for i in range(MAX_PROBLEMS + 7))
    path = _write(tmp_path, "r.csv", LONG_HEADER + "C002,nps,x,w\nZ1,nope,3,w\n" + bad_rows)
    with pytest.raises(SurveyDataError) as info:
        import_file(ws, path, "responses")
    err = info.value
    # 1 unparsable value + unknown respondent + unknown question + MAX+7 out of scale
    assert len(err.problems) + err.truncated == 3 + MAX_PROBLEMS + 7
    assert len(err.problems) == MAX_PROBLEMS
    assert [p.row for p in err.problems[:4]] == [2, 3, 3, 4]
    assert f"... and {err.truncated} more problems" in str(err)


def test_failed_import_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    # the first row is fine; the second fails, so neither may land
    path = _write(tmp_path, "r.csv", LONG_HEADER + "C001,nps,9,w\nC002,nps,11,w\n")
    before = {t: ws.count(t) for t in ("responses", "documents", "imports")}
    _problems(ws, path, "responses")
    assert {t: ws.count(t) for t in before} == before


def test_bad_taxonomy_keeps_the_old_one(ws: Workspace, tmp_path: Path) -> None:
    original = (ws.path / "taxonomy.toml").read_bytes()
    broken = _write(tmp_path, "t.toml", 'stages = ["a"]\n[[touchpoints]]\nid = "x"\nname = "X"\n')
    [p] = _problems(ws, broken, "taxonomy")
    assert "missing key 'stage'" in p.expected
    # a valid taxonomy that drops touchpoints the questions use is refused too
    small = _write(
        tmp_path,
        "s.toml",
        'stages = ["a"]\n[[touchpoints]]\nid = "x"\nname = "X"\nstage = "a"\nowner = "o"\n',
    )
    got = _problems(ws, small, "taxonomy")
    assert "delivery" in {p.value for p in got}
    assert (ws.path / "taxonomy.toml").read_bytes() == original


def test_mirror_questions_are_answered_by_staff(ws: Workspace, tmp_path: Path) -> None:
    # examples/respondents.csv: C001 is a customer, S001 an executive
    path = _write(tmp_path, "r.csv", LONG_HEADER + "S001,m_nps,8,w\nC001,m_nps,9,w\n")
    [p] = _problems(ws, path, "responses")
    assert (p.row, p.column, p.value) == (3, "respondent_id", "C001")
    assert "staff" in p.expected


def test_mirror_survey_export_maps_staff_ids(ws: Workspace, tmp_path: Path) -> None:
    export = _write(
        tmp_path,
        "staff.csv",
        "Timestamp,Employee,How likely are our customers to recommend Northwind to a friend "
        "or colleague?\n2/6/2024 9:00:00,S001,9\n2/6/2024 9:05:00,S404,7\n",
    )
    mapping = _write(tmp_path, "m.toml", 'respondent_id = "Employee"\n')
    # S404 is no staff member of the workspace: the export may not create it as a customer
    [p] = _problems(ws, export, "responses", fmt="google_forms", mapping=mapping, wave="w")
    assert (p.row, p.value) == (3, "S404") and "ExternalReference" in p.expected
    fixed = _write(tmp_path, "staff2.csv", export.read_text().replace("S404", "S002"))
    report = import_file(ws, fixed, "responses", fmt="google_forms", mapping=mapping, wave="w")
    # both staff exist already: no respondent added, two mirror answers
    assert report.rows_added == {"respondents": 0, "responses": 2, "documents": 0}


def test_question_cannot_be_redefined(ws: Workspace, tmp_path: Path) -> None:
    # nps is an nps-scale customer question in examples/questions.csv
    path = _write(
        tmp_path, "q.csv", "question_id,text,scale,audience\nnps,Recommend?,likert5,customer\n"
    )
    [p] = _problems(ws, path, "questions")
    assert (p.row, p.column, p.value) == (2, "scale", "likert5")
    assert "(nps)" in p.expected
