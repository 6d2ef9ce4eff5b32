"""Frontline skills from the customer's voice, team by team (seed 003 of the design).

Customers judge the people who serve them on patience, empathy, problem solving, conflict
resolution and product knowledge, and most customers who leave cite a bad staff attitude.
:func:`skills` reads every customer document (survey comments, reviews, tickets) with the
skills recogniser (:mod:`realitygap.analysis.text.skills`) and reports, per ``by`` unit (a
respondent column on customers: team, department, location, store):

- per skill, the share of the unit's comments that miss it in a sentence about staff, and
  the share that praise it (Wilson); the number of comments about staff at all is given too;
- its NPS impact: the NPS of the unit's commenters (customers, each with their last NPS
  answer) with a comment missing the skill minus the NPS of the unit's other commenters
  (two-sample Wald on the NPS as a difference of shares);
- its coaching priority, impact x frequency: the share of the unit's NPS-answering commenters
  who cite the miss times the NPS points they score below the others, i.e. the NPS points the
  unit would gain if they scored like the rest (interval: the share times the impact's
  interval, conditional on the share). Skills are ranked by it within each unit.

And, over all customers, the share of churned and of retained customers whose last survey
comment cites a bad staff attitude (a skill missed, or one of the tagger's staff-attitude
words, in a sentence about staff), with the difference's Newcombe interval; churned and
retained follow the revealed-loyalty rule (:mod:`realitygap.analysis._activity`: six months
after the comment's wave answer).

References: seed 003 of the design (../shared/DESIGN.md); Bitner, Booms & Tetreault (1990),
"The service encounter: diagnosing favorable and unfavorable incidents", J. Marketing 54(1);
Wilson (1927); Newcombe (1998).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from realitygap.analysis._activity import Windows, answered_activity, data_end
from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis._stats import (
    newcombe_difference,
    nps_difference,
    wilson_estimate,
)
from realitygap.analysis.text.skills import SKILLS, SkillTags, read_skills
from realitygap.domain.errors import Problem, SurveyDataError, check_confidence
from realitygap.domain.scales import ScaleKind
from realitygap.store.workspace import Workspace

ALL_UNITS = "all"


@dataclass(frozen=True)
class SkillRow(Values):
    """One skill in one unit: how often it is missed and praised, what missing it costs."""

    unit: str
    skill: str
    comments: int
    staff_comments: int
    missed: Estimate  # share of the unit's comments that miss the skill
    praised: Estimate
    nps_impact: Estimate  # NPS points, commenters citing the miss minus the others
    priority: Estimate  # NPS points the unit would gain: share citing the miss x -impact
    rank: int | None  # 1 = the unit's first coaching priority; None without a priority

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "unit": self.unit,
            "skill": self.skill,
            "comments": self.comments,
            "staff_comments": self.staff_comments,
            "rank": self.rank,
        }
        for name in ("missed", "praised", "nps_impact", "priority"):
            est: Estimate = getattr(self, name)
            out[name], out[f"{name}_low"], out[f"{name}_high"] = est.value, est.low, est.high
            out[f"{name}_n"] = est.n
        return out


@dataclass(frozen=True)
class AttitudeChurn(Values):
    """Share of churned and of retained customers whose last survey comment cites a bad staff
    attitude, and their difference (churned minus retained)."""

    churned: Estimate
    retained: Estimate
    difference: Estimate
    p_value: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "churned": plain(self.churned),
            "retained": plain(self.retained),
            "difference": plain(self.difference),
            "p_value": self.p_value,
        }


@dataclass(frozen=True)
class SkillsResult(Values):
    """Frontline skills per unit and staff attitude among churned vs retained customers.

    ``to_frame()`` columns: unit, skill, comments, staff_comments, rank, then value, _low,
    _high and _n of missed, praised (shares of the unit's comments, 0-1), nps_impact and
    priority (NPS points). The unit ``"all"`` pools every unit.
    """

    by: str
    rows: tuple[SkillRow, ...]
    attitude_churn: AttitudeChurn
    documents: int
    staff_comments: int
    min_n: int = MIN_N
    confidence: float = 0.95
    methods: tuple[str, ...] = field(
        default=(
            "Skills: phrase lexicon with simple negation in sentences about staff "
            "(realitygap.analysis.text.skills); shares of the unit's comments, Wilson",
            "NPS impact: NPS (last answer) of commenters citing the miss minus the unit's other "
            "commenters, two-sample Wald; both groups at least min_n",
            "Coaching priority: share of commenters citing the miss x NPS points below the "
            "others (interval conditional on the share)",
            "Staff attitude and churn: last survey comment, churned vs retained six months "
            "after the answer, Newcombe hybrid score interval",
        )
    )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.row() for r in self.rows])

    def priorities(self, unit: str | None = None) -> tuple[SkillRow, ...]:
        """Rows with a coaching priority, highest first (of one unit, or of every real unit)."""
        rows = [
            r
            for r in self.rows
            if r.rank is not None and (r.unit == unit if unit else r.unit != ALL_UNITS)
        ]
        return tuple(sorted(rows, key=lambda r: -(r.priority.value or 0.0)))

    def pooled(self) -> tuple[SkillRow, ...]:
        """The rows of the pooled unit ``"all"``, one per skill."""
        return tuple(r for r in self.rows if r.unit == ALL_UNITS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "rows": [r.row() for r in self.rows],
            "attitude_churn": self.attitude_churn.to_dict(),
            "documents": self.documents,
            "staff_comments": self.staff_comments,
            "min_n": self.min_n,
            "confidence": self.confidence,
            "methods": list(self.methods),
        }

    def __str__(self) -> str:
        lines = [
            f"Frontline skills by {self.by}: {self.staff_comments} of {self.documents} "
            "documents are about staff"
        ]
        for r in self.priorities()[:10]:
            lines.append(
                f"  {r.unit} {r.skill.replace('_', ' ')}: missed in "
                f"{r.missed.format(1, 100, '%')} comments; NPS of those citing it vs the "
                f"others {r.nps_impact.format(1)} commenters; coaching priority "
                f"{r.priority.format(1, 1, ' NPS points')}"
            )
        if not self.priorities():
            lines.append("  no coaching priority: no skill missed often enough to measure")
        a = self.attitude_churn
        lines.append(
            f"Last comment cites bad staff attitude: churned {a.churned.format(0, 100, '%')}, "
            f"retained {a.retained.format(0, 100, '%')}, difference "
            f"{a.difference.format(0, 100, ' pts')}"
        )
        return "\n".join(lines)


def skills(
    ws: Workspace,
    *,
    by: str = "team",
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> SkillsResult:
    """Frontline skills praised and missed in customers' comments, per ``by`` unit.

    Parameters
    ----------
    ws : Workspace
    by : str
        The respondent column on customers that names the unit serving them (team,
        department, location, store).
    confidence, min_n : float, int
        Interval level; fewer comments than ``min_n`` in a unit give "insufficient
        data" for its shares, and an NPS impact needs ``min_n`` commenters on each side.

    Returns
    -------
    SkillsResult
        One row per unit and skill (and the pooled unit ``"all"``), with the share of
        comments missing and praising the skill, its NPS impact, its coaching priority and
        rank; and the staff-attitude share of churned vs retained customers.

    Examples
    --------
    >>> from realitygap.analysis import skills
    >>> result = skills(ws, by="team")
    >>> print(str(result).splitlines()[0])
    Frontline skills by team: 356 of 781 documents are about staff
    >>> pooled = {row.skill: row for row in result.rows if row.unit == "all"}
    >>> pooled["empathy"].missed.format(1, 100, "%")
    '6.0% [4.6, 7.9] n=781'
    """
    check_confidence(confidence, min_n)
    frame = _documents(ws, by)
    if frame.empty and ws.count("documents") > 0:
        raise SurveyDataError(
            [Problem("respondents", None, by, None, "a value for the customers who wrote")]
        )
    tags = read_skills(frame["text"].tolist())
    rows: list[SkillRow] = []
    units = sorted(frame["unit"].unique().tolist())
    for unit in [*units, ALL_UNITS]:
        mask = np.ones(len(frame), dtype=bool) if unit == ALL_UNITS else (frame["unit"] == unit)
        rows.extend(_unit_rows(str(unit), np.asarray(mask), frame, tags, min_n, confidence))
    churn = _attitude_churn(ws, frame, tags, min_n, confidence)
    return SkillsResult(
        by, tuple(rows), churn, len(frame), int(tags.about_staff.sum()), min_n, confidence
    )


def _documents(ws: Workspace, by: str) -> pd.DataFrame:
    """Customer documents with their unit and their author's last NPS answer:
    document_id, customer_id, unit, text, wave, created_at, nps (NaN without an answer)."""
    p = ws.table("respondents")
    if by not in p.columns or by in ("respondent_id", "kind"):
        raise SurveyDataError(
            [Problem("respondents", None, by, None, f"a {by!r} column naming the customer's unit")]
        )
    cust = p.filter(p.kind == "customer").select(
        customer_id=p.respondent_id, unit=p[by].cast("string")
    )
    cust = cust.filter(cust.unit.notnull() & (cust.unit != ""))
    d = ws.table("documents").select("document_id", "customer_id", "text", "wave", "created_at")
    j = d.join(cust, "customer_id")
    q = ws.table("questions")
    ids = sorted(
        str(x)
        for x in q.filter((q.audience == "customer") & (q.scale == ScaleKind.NPS.value))
        .select("question_id")
        .execute()["question_id"]
    )
    if ids:
        r = ws.table("responses")
        r = r.filter(r.question_id == ids[0])
        # each customer's last answer (ties at one moment: the lowest, deterministically)
        last = r.group_by("respondent_id").agg(at=r.submitted_at.max())
        r = r.join(last, (r.respondent_id == last.respondent_id) & (r.submitted_at == last.at))
        answers = r.group_by("respondent_id").agg(nps=r.value.min())
        j = j.left_join(answers, j.customer_id == answers.respondent_id).select(
            "document_id", "customer_id", "unit", "text", "wave", "created_at", "nps"
        )
    else:
        j = j.mutate(nps=ibis.null("float64"))
    frame: pd.DataFrame = j.execute()
    frame["nps"] = pd.to_numeric(frame["nps"], errors="coerce")
    out: pd.DataFrame = frame.sort_values("document_id", kind="stable").reset_index(drop=True)
    return out


def _nps_shares(values: np.ndarray) -> tuple[float, float, int]:
    n = int(values.size)
    if n == 0:
        return 0.0, 0.0, 0
    return float((values >= 9).mean()), float((values <= 6).mean()), n


def _unit_rows(
    unit: str,
    mask: np.ndarray,
    frame: pd.DataFrame,
    tags: SkillTags,
    min_n: int,
    confidence: float,
) -> list[SkillRow]:
    n_docs = int(mask.sum())
    n_staff = int((mask & tags.about_staff).sum())
    # commenters: one row per customer with an NPS answer, citing a miss in any document
    sub = frame.loc[mask, ["customer_id", "nps"]]
    missed = pd.DataFrame(tags.missed[mask], index=sub.index)
    per = missed.groupby(sub["customer_id"].to_numpy()).any()
    nps = sub.groupby("customer_id")["nps"].first().reindex(per.index)
    answered = nps.notna().to_numpy()
    scores = nps.to_numpy(dtype=float)
    out = []
    for i, skill in enumerate(SKILLS):
        share_missed = wilson_estimate(
            int(tags.missed[mask, i].sum()), n_docs, min_n, "comments missing it, Wilson",
            confidence,
        )  # fmt: skip
        share_praised = wilson_estimate(
            int(tags.praised[mask, i].sum()), n_docs, min_n, "comments praising it, Wilson",
            confidence,
        )  # fmt: skip
        cites = per[i].to_numpy(dtype=bool)
        pro1, det1, n1 = _nps_shares(scores[answered & cites])
        pro2, det2, n2 = _nps_shares(scores[answered & ~cites])
        method = "NPS difference, commenters citing the miss minus the others, Wald"
        impact = Estimate.insufficient_data(n1 + n2, method, confidence)
        priority = Estimate.insufficient_data(n1 + n2, "priority: share x -impact", confidence)
        if n1 >= min_n and n2 >= min_n:
            d = nps_difference(pro1, det1, n1, pro2, det2, n2, confidence)
            impact = Estimate(100 * d.value, 100 * d.low, 100 * d.high, n1 + n2, method, confidence)
            share = n1 / (n1 + n2)
            priority = Estimate(
                -share * 100 * d.value,
                -share * 100 * d.high,
                -share * 100 * d.low,
                n1 + n2,
                "priority: share of commenters citing the miss x NPS points below the others",
                confidence,
            )
        out.append(
            SkillRow(
                unit, skill.value, n_docs, n_staff, share_missed, share_praised, impact,
                priority, None,
            )
        )  # fmt: skip
    ranked = sorted(
        (r for r in out if r.priority.value is not None and r.priority.value > 0),
        key=lambda r: -(r.priority.value or 0.0),
    )
    rank = {r.skill: k + 1 for k, r in enumerate(ranked)}
    return [
        SkillRow(
            r.unit, r.skill, r.comments, r.staff_comments, r.missed, r.praised, r.nps_impact,
            r.priority, rank.get(r.skill),
        )
        for r in out
    ]  # fmt: skip


def _attitude_churn(
    ws: Workspace, frame: pd.DataFrame, tags: SkillTags, min_n: int, confidence: float
) -> AttitudeChurn:
    """Staff attitude in each customer's last survey comment, churned vs retained."""
    churned_m = "churned customers citing staff attitude, Wilson"
    retained_m = "retained customers citing staff attitude, Wilson"
    diff_m = "churned minus retained, Newcombe"
    end = data_end(ws)
    survey = frame.assign(attitude=tags.attitude)
    survey = survey[survey["wave"].notna()]
    empty = AttitudeChurn(
        Estimate.insufficient_data(0, churned_m, confidence),
        Estimate.insufficient_data(0, retained_m, confidence),
        Estimate.insufficient_data(0, diff_m, confidence),
        None,
    )
    if end is None or survey.empty:
        return empty
    last = (
        survey.sort_values(["customer_id", "created_at", "document_id"], kind="stable")
        .groupby("customer_id", as_index=False)
        .tail(1)[["customer_id", "wave", "attitude"]]
    )
    act = answered_activity(ws, Windows(), end).select("respondent_id", "wave", "status")
    status = act.execute()
    status["respondent_id"] = status["respondent_id"].astype(str)
    j = last.assign(customer_id=last["customer_id"].astype(str), wave=last["wave"].astype(str))
    j = j.merge(status, left_on=["customer_id", "wave"], right_on=["respondent_id", "wave"])
    ch = j.loc[j["status"] == "churned", "attitude"].to_numpy(dtype=bool)
    rt = j.loc[j["status"] == "retained", "attitude"].to_numpy(dtype=bool)
    churned = wilson_estimate(int(ch.sum()), int(ch.size), min_n, churned_m, confidence)
    retained = wilson_estimate(int(rt.sum()), int(rt.size), min_n, retained_m, confidence)
    if churned.value is None or retained.value is None:
        return AttitudeChurn(
            churned,
            retained,
            Estimate.insufficient_data(int(ch.size + rt.size), diff_m, confidence),
            None,
        )
    d = newcombe_difference(churned.value, ch.size, retained.value, rt.size, confidence)
    diff = Estimate(d.value, d.low, d.high, int(ch.size + rt.size), diff_m, confidence)
    return AttitudeChurn(churned, retained, diff, d.p_value)
