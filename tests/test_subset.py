"""A filtered Reality Check (``reality_check(ws, subset=...)``) against the same analysis run on
a workspace that holds only the subset's rows, filtered independently here in pandas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from realitygap.analysis import reality_check
from realitygap.store import Workspace
from realitygap.store.subset import Subset, restrict
from tests.service_fixtures import make_dashboard_company

TABLES = (
    "questions",
    "respondents",
    "responses",
    "invitations",
    "documents",
    "document_tags",
    "document_aspects",
    "events",
    "cases",
    "contacts",
)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dashboard_company(tmp_path_factory.mktemp("subset") / "ws")


def frames(path: Path) -> dict[str, pd.DataFrame]:
    with Workspace.open(path, read_only=True) as ws:
        return {t: ws.con.execute(f"SELECT * FROM {t}").df() for t in TABLES}


def kept_rows(f: dict[str, pd.DataFrame], s: Subset) -> dict[str, pd.DataFrame]:
    """The subset's rows, by the rules docs/service.md states, written out in pandas."""
    f = dict(f)
    q, r = f["questions"], f["respondents"]
    if s.touchpoint:
        f["questions"] = q = q[q.touchpoint.isna() | (q.touchpoint == s.touchpoint)]
    if s.segment:
        r = r[(r.kind != "customer") | (r.segment == s.segment)]
    if s.department:
        r = r[(r.kind != "staff") | (r.department == s.department)]
    f["respondents"] = r
    people = set(r.respondent_id)
    customers = set(r[r.kind == "customer"].respondent_id)
    staff = set(r[r.kind == "staff"].respondent_id)
    for name in ("responses", "invitations"):
        t = f[name]
        t = t[t.respondent_id.isin(people)]
        if s.wave:
            t = t[t.wave == s.wave]
        if name == "responses":
            t = t[t.question_id.isin(set(q.question_id))]
        f[name] = t
    d = f["documents"]
    if s.wave:
        d = d[d.wave == s.wave]
    if s.segment:
        d = d[d.customer_id.isin(customers)]
    if s.touchpoint:
        a = f["document_aspects"]
        about = a[(a.aspect_kind == "touchpoint") & (a.aspect == s.touchpoint)]
        d = d[d.document_id.isin(set(about.document_id))]
    f["documents"] = d
    for name in ("document_tags", "document_aspects"):
        f[name] = f[name][f[name].document_id.isin(set(d.document_id))]
    e, c, k = f["events"], f["cases"], f["contacts"]
    if s.segment:
        e, c, k = (x[x.customer_id.isin(customers)] for x in (e, c, k))
    if s.touchpoint:
        e = e[e.touchpoint.isna() | (e.touchpoint == s.touchpoint)]
        c = c[c.touchpoint == s.touchpoint]
    if s.department:
        c = c[c.owner == s.department]
        k = k[k.staff_id.isin(staff)]
    f["events"], f["cases"], f["contacts"] = e, c, k
    return f


@pytest.mark.parametrize(
    "subset",
    [
        Subset(wave="2024-Q4"),
        Subset(segment="vip"),
        Subset(touchpoint="delivery"),
        Subset(department="retail"),
        Subset(wave="2025-Q1", segment="regular", touchpoint="store_staff", department="retail"),
    ],
    ids=lambda s: s.describe(),
)
def test_view_holds_the_rows_pandas_keeps(company: Path, subset: Subset) -> None:
    # Expected: row counts of the tables filtered in pandas (kept_rows), not by the view.
    expected = {t: len(x) for t, x in kept_rows(frames(company), subset).items()}
    with Workspace.open(company, read_only=True) as ws:
        view = restrict(ws, subset)
        found = {t: view.count(t) for t in TABLES}
        full = {t: ws.count(t) for t in TABLES}
    assert found == expected
    assert found != full  # the filter removed something


def test_filtered_check_equals_the_check_of_a_workspace_holding_only_the_subset(
    company: Path, tmp_path: Path
) -> None:
    subset = Subset(segment="regular", department="retail")
    # The independent side: a copy of the workspace whose tables were cut down in pandas.
    copy = tmp_path / "only"
    shutil.copytree(company, copy)
    kept = kept_rows(frames(company), subset)
    with Workspace.open(copy) as ws:
        for name, rows in kept.items():
            ws.con.execute(f"DELETE FROM {name}")
            ws.con.register("kept_rows", rows)
            ws.con.execute(f"INSERT INTO {name} SELECT * FROM kept_rows")
            ws.con.unregister("kept_rows")
    with Workspace.open(copy, read_only=True) as ws:
        alone = reality_check(ws)
    with Workspace.open(company, read_only=True) as ws:
        filtered = reality_check(ws, subset=subset)
        everything = reality_check(ws)
    assert filtered.subset == subset and alone.subset.everything
    assert filtered.nps_estimate is not None and alone.nps_estimate is not None
    assert filtered.nps_estimate.n == alone.nps_estimate.n
    assert filtered.nps_estimate.value == pytest.approx(alone.nps_estimate.value, rel=1e-12)
    assert filtered.nps_estimate.low == pytest.approx(alone.nps_estimate.low, rel=1e-12)
    assert filtered.gap is not None and alone.gap is not None
    fh, ah = filtered.gap.headline, alone.gap.headline
    assert fh is not None and ah is not None
    assert fh.staff_share.n == ah.staff_share.n and fh.customer_share.n == ah.customer_share.n
    assert fh.customer_share.value == pytest.approx(ah.customer_share.value, rel=1e-12)
    assert len(filtered.gap.rows) == len(alone.gap.rows)
    for a, b in zip(filtered.gap.rows, alone.gap.rows, strict=True):
        assert (a.dimension, a.group, a.question_id, a.gap.n) == (
            b.dimension,
            b.group,
            b.question_id,
            b.gap.n,
        )
        assert (a.gap.value is None) == (b.gap.value is None)
        if a.gap.value is not None:
            assert a.gap.value == pytest.approx(b.gap.value, rel=1e-9, abs=1e-12)
    assert filtered.data == alone.data
    # and it is a different result from the whole workspace's (the filter did something)
    assert everything.nps_estimate is not None
    assert filtered.nps_estimate.n < everything.nps_estimate.n
