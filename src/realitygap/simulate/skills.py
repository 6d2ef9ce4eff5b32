"""Frontline skill gaps planted per team (seed 003 of the design).

After teams are assigned (:mod:`realitygap.simulate.people`), the two teams serving the most
customers each get one skill gap: GAPS[0] (patience) in the largest, GAPS[1] (product
knowledge) in the next. Each document (survey comment, review, ticket) of a customer of that
team gets one sentence missing the skill, about the person who served them, with chance
``logistic(GAP_INTERCEPT + GAP_SLOPE * loyalty)``: detractors are likelier to say it, so
missing the skill goes with a lower NPS. The other themes' phrases (simulate/text.py) never
cite these two skills, so the expected share of the team's documents citing the miss is the
mean of those chances over its documents: the truth, ``truth["skills"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from realitygap.simulate._common import logistic, rng_for
from realitygap.simulate.customers import Customers
from realitygap.store.update import set_column
from realitygap.store.workspace import Workspace

GAPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "patience",
        (
            "the assistant rushed me",
            "the staff were impatient with me",
            "the agent cut me off before I had finished",
            "the person who served me hurried us out",
        ),
    ),
    (
        "product_knowledge",
        (
            "the assistant had no idea what the product did",
            "the staff were clueless about the range",
            "the agent gave me the wrong information about my plan",
            "the salesperson didn't know what the warranty covered",
        ),
    ),
)
GAP_INTERCEPT, GAP_SLOPE = -0.6, -0.8  # chance 0.35 at average loyalty, higher for detractors


def plant_skill_gaps(ws: Workspace, people: Customers, seed: int) -> dict[str, Any]:
    """Append the gap sentences to the documents of the gap teams' customers in ``ws``;
    return ``truth["skills"]``."""
    rng = rng_for(seed, "skill gaps")
    p = ws.table("respondents")
    cust = p.filter((p.kind == "customer") & p.team.notnull())
    sizes = cust.group_by("team").agg(n=cust.count()).execute()
    sizes = sizes.sort_values(["n", "team"], ascending=[False, True], kind="stable")
    teams = [str(t) for t in sizes["team"].head(len(GAPS))]
    d = ws.table("documents")
    members = cust.filter(cust.team.isin(teams)).select(customer_id="respondent_id", team="team")
    docs = (
        d.join(members, "customer_id")
        .select("document_id", "customer_id", "team", "text")
        .execute()
        .sort_values("document_id", kind="stable")
        .reset_index(drop=True)
    )
    gaps = []
    changed = []
    for team, (skill, phrases) in zip(teams, GAPS, strict=False):
        rows = docs[docs["team"] == team]
        index = rows["customer_id"].str[1:].astype(np.int64).to_numpy() - 1
        chance = logistic(GAP_INTERCEPT + GAP_SLOPE * people.loyalty[index].astype(np.float64))
        says = rng.random(len(rows)) < chance
        pick = rng.integers(len(phrases), size=len(rows))
        said = rows[says]
        sentence = [phrases[k] for k in pick[says]]
        text = [
            f"{str(t).rstrip(' .')}. {s[:1].upper()}{s[1:]}."
            for t, s in zip(said["text"], sentence, strict=True)
        ]
        changed.append(pd.DataFrame({"document_id": said["document_id"], "text": text}))
        gaps.append(
            {
                "team": team,
                "skill": skill,
                "documents": len(rows),
                "planted": int(says.sum()),
                "expected_share": round(float(chance.mean()), 4) if len(rows) else None,
            }
        )
    if changed:
        set_column(ws, "documents", "document_id", "text", pd.concat(changed))
    return {"gaps": gaps, "intercept": GAP_INTERCEPT, "slope": GAP_SLOPE}
