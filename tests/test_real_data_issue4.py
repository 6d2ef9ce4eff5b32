"""docs/real-data.md stays true: its loading code runs and its figures come out.

The Skytrax shares are also checked against statsmodels OLS on the CSV rows, the telco table
against SOURCE.md's counts (every 1-2 churned, no 4-5 did, 429 of the 2,665 who gave 3).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import KaplanMeierFitter

from realitygap.analysis.audit import audit
from realitygap.analysis.drivers import drivers
from tests.conftest import shared_data

pytestmark = pytest.mark.realdata

DOC = Path(__file__).resolve().parents[1] / "docs" / "real-data.md"


def _doc_code() -> dict[str, Any]:
    """Run the first python block of docs/real-data.md; return its namespace."""
    block = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert block, "docs/real-data.md has no python block"
    namespace: dict[str, Any] = {}
    exec(compile(block.group(1), str(DOC), "exec"), namespace)  # our own docs
    return namespace


def test_skytrax_drivers_match_the_docs_and_statsmodels(tmp_path: Path) -> None:
    csv = shared_data("skytrax-reviews", "airline_sample.csv")
    code = _doc_code()
    items = list(code["SKYTRAX_ITEMS"])
    with code["skytrax_workspace"](csv, tmp_path / "sky") as ws:
        rec = drivers(ws, "recommended", items)
        overall = drivers(ws, "overall", items)
        weights = drivers(ws, "overall", items, method="relweights", bootstrap=0)
        checked = audit(ws, "overall")
    # docs/real-data.md, rounded to 0.1 point
    share = {d.question_id: d.normalised.value for d in rec.drivers}
    assert [round(100 * share[q], 1) for q in items] == [19.6, 25.8, 13.3, 5.4, 35.9]
    assert rec.n == 1631 and round(rec.r2.value or 0, 3) == 0.641
    assert [d.question_id for d in overall.ranked] == [
        "value_money_rating",
        "cabin_staff_rating",
        "seat_comfort_rating",
        "food_beverages_rating",
        "inflight_entertainment_rating",
    ]
    relw = {d.question_id: round(100 * (d.normalised.value or 0), 1) for d in weights.drivers}
    assert relw["value_money_rating"] == 31.9 and relw["inflight_entertainment_rating"] == 4.8
    # R^2 against statsmodels OLS on the complete rows of the CSV
    rows = pd.read_csv(csv)[[*items, "recommended", "overall_rating"]]
    for result, column in ((rec, "recommended"), (overall, "overall_rating")):
        complete = rows[[*items, column]].dropna()
        ols = sm.OLS(complete[column], sm.add_constant(complete[items])).fit()
        assert result.n == len(complete)
        assert result.r2.value == pytest.approx(ols.rsquared, abs=1e-10)
    assert checked.blocks[0].alpha.value == pytest.approx(0.86, abs=0.005)
    assert checked.flagged("bare minimum") == []


def test_telco_stated_vs_revealed_matches_the_docs_and_lifelines() -> None:
    status = shared_data("telco-customer-churn", "Telco_customer_churn_status.csv")
    classic = shared_data("telco-customer-churn", "Telco-Customer-Churn.csv")
    r = _doc_code()["telco_stated_vs_revealed"](status, classic)
    table = r["table"]
    # SOURCE.md: all 1-2 churned (922 + 518), none of 4-5, 429 of the 2,665 who gave 3
    assert table.loc["bottom box", "churned"] == 1440 and table.loc["bottom box", "stayed"] == 0
    assert table.loc["middle", "churned"] == 429 and table.loc["middle"].sum() == 2665
    assert table.loc["top box", "churned"] == 0
    assert r["top_box_churned"] == 0.0
    # Kaplan-Meier of the middle group against lifelines on the customer rows
    rows = pd.read_csv(status, encoding="utf-8-sig").merge(
        pd.read_csv(classic)[["customerID", "tenure"]],
        left_on="Customer ID",
        right_on="customerID",
    )
    middle = rows[rows["Satisfaction Score"] == 3]
    km = KaplanMeierFitter().fit(middle["tenure"], middle["Churn Value"])
    got = {s.group: s.retention for s in r["survival"]}
    assert got["middle"].value == pytest.approx(float(km.predict(12.0)), abs=1e-12)
    assert round(100 * (got["bottom box"].value or 0), 1) == 45.6  # docs/real-data.md
    assert r["logrank_p"] < 1e-100
    hr = float(r["cox"].set_index("item").loc["satisfaction", "hazard_ratio"])
    assert round(hr, 3) == 0.272  # docs/real-data.md
    assert np.isfinite(hr)
