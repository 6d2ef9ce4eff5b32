"""Report section of frontline skills (seed 003): its findings as sentences, the coaching
priorities and the skills over all units as tables, or one line saying why it is left out."""

from __future__ import annotations

import pandas as pd

from realitygap.analysis import RealityCheck
from realitygap.analysis.findings import est_range, readable
from realitygap.report.model import Headline, Omitted, Para, Section, Table

TITLES = {"skills": "Frontline skills in the customer's voice"}
PRIORITY_ROWS = 15


def skills_section(rc: RealityCheck) -> Section | Omitted:
    result = rc.skills
    if result is None:
        return Omitted("skills", TITLES["skills"], rc.omitted.get("skills", "no data"))
    blocks: list[Headline | Para | Table] = [
        Headline(f.text, "Shares: of the unit's comments, Wilson interval.")
        if f.lead
        else Para(f.text)
        for f in rc.findings_of("skills")
    ]
    by = result.by
    ranked = pd.DataFrame(
        [
            {
                by: r.unit,
                "skill": readable(r.skill).lower(),
                "comments missing it": est_range(r.missed, 1, 100, "%"),
                "NPS impact (points)": est_range(r.nps_impact, 1),
                "coaching priority (NPS points)": est_range(r.priority, 1),
            }
            for r in result.priorities()[:PRIORITY_ROWS]
        ]
    )
    blocks.append(Table(f"Coaching priorities per {by}, impact x frequency", ranked))
    pooled = pd.DataFrame(
        [
            {
                "skill": readable(r.skill).lower(),
                "comments": r.comments,
                "missing it": est_range(r.missed, 1, 100, "%"),
                "praising it": est_range(r.praised, 1, 100, "%"),
                "NPS impact (points)": est_range(r.nps_impact, 1),
            }
            for r in result.pooled()
        ]
    )
    blocks.append(Table(f"Skills over every {by}", pooled))
    return Section("skills", TITLES["skills"], tuple(blocks))
