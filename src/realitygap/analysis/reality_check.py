"""The Reality Check: every analysis of a workspace in one frozen value, with its findings.

:func:`reality_check` runs each family once, with one ``confidence`` and one ``min_n``, and
makes every methodological choice the report used to make itself (stated in
:attr:`RealityCheck.choices`). The report, ``realitygap demo`` and the dashboard only render
the result: they never call an analysis, pick an option or read a number back out of a table.

A family the workspace has no data for is ``None`` and its reason is in ``omitted``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from realitygap.analysis._items import nps_question, question_bank
from realitygap.analysis._result import MIN_N, Estimate, Values, plain
from realitygap.analysis.audit import AuditResult, audit
from realitygap.analysis.behaviour import BehaviourResult, behaviour
from realitygap.analysis.drivers import DriversResult, drivers
from realitygap.analysis.fieldwork import ResponseRates, response_rates
from realitygap.analysis.findings import Finding, derive
from realitygap.analysis.gap import GapResult, gap
from realitygap.analysis.journey import JourneyResult, journey
from realitygap.analysis.kano import KanoResult, kano
from realitygap.analysis.listening import ListeningResult, listening
from realitygap.analysis.metrics import MetricsResult, metrics
from realitygap.analysis.people import PeopleResult, people
from realitygap.analysis.recovery import RecoveryResult, recovery
from realitygap.analysis.senses import SensesResult, touchpoint_senses
from realitygap.analysis.skills import SkillsResult, skills
from realitygap.analysis.text.themes import ThemesResult, discover_themes
from realitygap.analysis.weighting import Raking
from realitygap.analysis.wow import WowResult, wow
from realitygap.domain.errors import SurveyDataError, check_confidence
from realitygap.store.settings import currency
from realitygap.store.subset import Subset, restrict
from realitygap.store.workspace import Workspace

SECTIONS = (
    "headline",
    "gap",
    "audit",
    "drivers",
    "behaviour",
    "text",
    "kano",
    "recovery",
    "listening",
    "journey",
    "wow",
    "people",
    "skills",
)
DATA_TABLES = (
    "respondents",
    "responses",
    "invitations",
    "documents",
    "events",
    "cases",
    "contacts",
)
# The choices the composite makes for every reader, stated in the report's methods.
CHOICES = (
    (
        "Perception gap",
        "all staff, and by role, department, touchpoint and layer; customers raked when "
        "weights are given, staff never",
    ),
    (
        "Key drivers",
        "pairwise deletion of missing answers (customers skip items; listwise deletion would "
        "keep only those who answered everything), Shapley/LMG shares with 200 bootstrap "
        "replicates",
    ),
    (
        "Weights",
        "raking applies to the headline, the NPS and the perception gap; the other sections "
        "describe the respondents as they are (correlations, survival, text, Kano, recovery)",
    ),
)

R = TypeVar("R")


@dataclass(frozen=True)
class Labels(Values):
    """The names a reader sees instead of ids, taken from the workspace once.

    ``touchpoints``: touchpoint id -> name (taxonomy); ``owners``: touchpoint id -> owner
    department (the *point of potential*); ``questions``: question id -> text;
    ``question_touchpoint``: question id -> touchpoint id; ``currency``: ``[report] currency``
    of the workspace settings ("" when not set).
    """

    touchpoints: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    question_touchpoint: dict[str, str] = field(default_factory=dict)
    currency: str = ""

    def touchpoint(self, tp: str | None) -> str:
        """The touchpoint's name ("" for None; the id when the taxonomy does not know it)."""
        if tp is None:
            return ""
        return self.touchpoints.get(tp, tp.replace("_", " "))

    def question(self, qid: str | None) -> str:
        """The question's text (the id when it has none)."""
        if qid is None:
            return ""
        return self.questions.get(qid) or qid

    def owner_of_question(self, qid: str | None) -> str | None:
        tp = self.question_touchpoint.get(qid or "")
        return self.owners.get(tp) if tp else None

    def money(self, amount: float) -> str:
        """``12,345 EUR`` (no currency word when none is set)."""
        text = f"{amount:,.0f}"
        return f"{text} {self.currency}" if self.currency else text


def labels_of(ws: Workspace) -> Labels:
    """The workspace's :class:`Labels` (taxonomy, question texts, currency setting)."""
    bank = question_bank(ws)
    texts = {
        str(q): str(t)
        for q, t in zip(bank["question_id"], bank["text"], strict=True)
        if isinstance(t, str) and t
    }
    tps = {
        str(q): str(t)
        for q, t in zip(bank["question_id"], bank["touchpoint"], strict=True)
        if isinstance(t, str) and t
    }
    tax = ws.taxonomy
    return Labels(
        touchpoints={tp.id: tp.name for tp in tax.touchpoints},
        owners={tp.id: tp.owner.replace("_", " ") for tp in tax.touchpoints},
        questions=texts,
        question_touchpoint=tps,
        currency=currency(ws),
    )


@dataclass(frozen=True)
class RealityCheck(Values):
    """Every section's result and the findings drawn from them.

    Fields hold the family results (``None`` when the workspace has no data for it, with the
    reason in ``omitted[section]``); ``nps`` is the customer NPS of the headline question
    (weighted like the headline); ``data`` counts the rows of each table; ``findings`` are
    the sentences a reader sees, each with its evidence (:mod:`realitygap.analysis.findings`).
    ``labels`` holds the names shown instead of ids (touchpoints, owners, question texts) and
    the currency. ``subset`` is the part of the data analysed (:class:`Subset`, everything by
    default). ``to_frame()`` lists the findings: section, rule, kind, lead, text.
    """

    workspace: str
    confidence: float
    min_n: int
    weighting: Raking | None
    data: dict[str, int]
    fieldwork: ResponseRates
    gap: GapResult | None
    nps: MetricsResult | None
    audit: AuditResult | None
    drivers: DriversResult | None
    behaviour: BehaviourResult | None
    themes: ThemesResult | None
    senses: SensesResult | None
    kano: KanoResult | None
    recovery: RecoveryResult | None
    listening: ListeningResult | None
    omitted: dict[str, str]
    labels: Labels = field(default_factory=Labels)
    findings: tuple[Finding, ...] = ()
    choices: tuple[tuple[str, str], ...] = field(default=CHOICES)
    journey: JourneyResult | None = None
    wow: WowResult | None = None
    people: PeopleResult | None = None
    skills: SkillsResult | None = None
    subset: Subset = field(default_factory=Subset)

    @property
    def nps_estimate(self) -> Estimate | None:
        """The overall customer NPS of the headline question, or None."""
        if self.nps is None:
            return None
        return next((m.estimate for m in self.nps.items if m.metric == "nps"), None)

    def findings_of(self, section: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.section == section)

    @property
    def methods(self) -> tuple[tuple[str, str], ...]:
        """(section, method and reference) of every result in the check."""
        named: list[tuple[str, Any]] = [
            ("Headline and gap", self.gap),
            ("Metrics", self.nps),
            ("Survey audit", self.audit),
            ("Key drivers", self.drivers),
            ("Behaviour", self.behaviour),
            ("Kano", self.kano),
            ("Service recovery", self.recovery),
            ("Listening", self.listening),
            ("Journey map", self.journey),
            ("Wow moments", self.wow),
            ("Staff and customers", self.people),
            ("Frontline skills", self.skills),
        ]
        out = [(name, m) for name, r in named if r is not None for m in r.methods]
        if self.themes is not None:
            out.append(("Text", self.themes.method))
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "section": f.section,
                    "rule": f.rule,
                    "kind": f.kind,
                    "lead": f.lead,
                    "text": f.text,
                }
                for f in self.findings
            ],
            columns=["section", "rule", "kind", "lead", "text"],
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)
        }
        return out

    def __str__(self) -> str:
        lines = [f"Reality Check of {self.workspace}"]
        for section in SECTIONS:
            found = self.findings_of(section)
            if found:
                lines.append(f"[{section}]")
                lines.extend(f"  {f.text}" for f in found)
            elif section in self.omitted:
                lines.append(f"[{section}] left out: {self.omitted[section]}")
        return "\n".join(lines)


def reality_check(
    ws: Workspace,
    *,
    weights: Raking | None = None,
    confidence: float = 0.95,
    min_n: int = MIN_N,
    subset: Subset | None = None,
) -> RealityCheck:
    """Run every analysis of the workspace once and derive the findings: the Reality Check.

    Each family runs with the same ``confidence`` and ``min_n`` and with the choices stated in
    :attr:`RealityCheck.choices` (gap by role, department, touchpoint and layer; drivers with
    pairwise deletion; weights on the headline, NPS and gap only). A family the workspace has no
    data for is None, with the reason in ``omitted``.

    Parameters
    ----------
    ws : Workspace
        An open workspace (read-only is enough: nothing is written). Tag its documents first
        (``realitygap text tag``) to get the text section.
    weights : Raking, optional
        Customers raked to population margins (:func:`realitygap.analysis.rake`); they weigh
        the headline, the NPS and the perception gap.
    confidence : float, default 0.95
        Level of every interval and test.
    min_n : int, default 30
        Fewer answers than this give "insufficient data" instead of a number.
    subset : Subset, optional
        Analyse only a wave, a customer segment, a touchpoint and/or a department: every family
        runs on a read-only view of the workspace holding only those rows
        (:mod:`realitygap.store.subset` says what each filter keeps).

    Returns
    -------
    RealityCheck
        The results ``gap``, ``nps`` (:func:`metrics` of the headline question), ``audit``,
        ``drivers``, ``behaviour``, ``themes``, ``senses``, ``kano``, ``recovery``,
        ``listening``, ``journey``, ``wow``, ``people``, ``skills`` (frontline skills, see
        :func:`realitygap.analysis.skills`) and ``fieldwork`` (:func:`response_rates`);
        ``nps_estimate``; ``data``
        (rows per table); ``omitted`` (section: reason); ``methods`` (section, method); and
        ``findings`` (:class:`Finding`: the sentences a reader sees, each with its evidence;
        ``findings_of(section)``). ``str()`` prints them by section. ``to_frame()`` has one row
        per finding:

        - ``section``: ``headline``, ``gap``, ``audit``, ``drivers``, ``behaviour``, ``text``,
          ``kano``, ``recovery`` or ``listening``;
        - ``rule``: the rule that produced it (e.g. ``bain-headline``, ``top-driver``);
        - ``kind``: ``problem``, ``strength``, ``caveat`` or ``fact``;
        - ``lead``: True for the finding that leads its section;
        - ``text``: the sentence.

    Raises
    ------
    ArgumentError
        ``confidence`` outside (0, 1) or ``min_n`` below 1.

    References
    ----------
    The methods of every family (:attr:`RealityCheck.methods`); the headline follows Allen,
    Reichheld, Hamilton and Markey (2005), Closing the delivery gap, Bain & Company.

    Examples
    --------
    >>> check = reality_check(ws)
    >>> check.nps_estimate.format(1)
    '5.7 [-2.0, 13.4] n=418'
    >>> dict(check.omitted)
    {'people': 'too few teams with a staff pulse survey and customer NPS'}
    >>> check.to_frame()[["section", "rule"]].head(4)
        section                rule
    0  headline       bain-headline
    1  headline        customer-nps
    2       gap  largest-blind-spot
    3       gap     under-estimated
    >>> print(check.findings_of("drivers")[0].text)
    "My problem was solved the first time I called" matters most: it accounts for 14% (95% CI 9
    to 19%, n=211) of what the survey explains of the likelihood to recommend (the questions
    together explain 58% of its differences, R²).
    """
    check_confidence(confidence, min_n)
    view = restrict(ws, subset)
    try:
        check = _check(view, weights=weights, confidence=confidence, min_n=min_n)
    finally:
        if view is not ws:
            view.close()  # its temporary tables; the connection stays open
    return dataclasses.replace(
        check, workspace=ws.path.name, subset=subset or Subset(), findings=derive(check)
    )


def _check(ws: Workspace, *, weights: Raking | None, confidence: float, min_n: int) -> RealityCheck:
    omitted: dict[str, str] = {}
    opts: dict[str, Any] = {"confidence": confidence, "min_n": min_n}

    def attempt(section: str, run: Callable[[], R]) -> R | None:
        """The result, or None with the data problem as the section's reason."""
        try:
            return run()
        except SurveyDataError as exc:
            omitted[section] = str(exc).splitlines()[-1].strip()
            return None

    dims = ["role", "department", "touchpoint", "layer"]
    gap_result = gap(ws, by=dims, weights=weights, **opts)
    nps_result: MetricsResult | None = None
    question = nps_question(question_bank(ws))
    if gap_result.headline is None:
        omitted["headline"] = "no NPS question with a staff mirror question"
    else:
        question = gap_result.headline.question_id
    if question is not None:
        # without a mirror survey the headline still gives the customer NPS
        nps_result = metrics(ws, questions=[question], weights=weights, **opts)
    if not gap_result.item_rows():
        omitted["gap"] = "no customer question has a staff mirror question"

    audit_result = attempt("audit", lambda: audit(ws, **opts))
    if audit_result is not None and not audit_result.items:
        omitted["audit"], audit_result = "no rated customer items to audit", None

    drivers_result = attempt("drivers", lambda: drivers(ws, missing="pairwise", **opts))
    if drivers_result is not None and (
        not drivers_result.drivers or drivers_result.r2.insufficient
    ):
        omitted["drivers"] = "too few complete answers for a driver analysis"
        drivers_result = None

    behaviour_result = attempt("behaviour", lambda: behaviour(ws, **opts))
    if behaviour_result is not None and behaviour_result.customers == 0:
        omitted["behaviour"] = "no purchase events to compare answers with"
        behaviour_result = None

    themes_result: ThemesResult | None = None
    senses_result: SensesResult | None = None
    if ws.count("documents") == 0:
        omitted["text"] = "no comments, reviews or tickets in this workspace"
    elif ws.count("document_tags") == 0:
        omitted["text"] = "documents not tagged yet: run `realitygap text tag`"
    else:
        themes_result = discover_themes(ws, **opts)
        senses_result = touchpoint_senses(ws, **opts)

    kano_result: KanoResult | None = kano(ws, **opts)
    if kano_result is not None and not kano_result.features:
        omitted["kano"], kano_result = "no Kano question pairs in this workspace", None

    recovery_result: RecoveryResult | None = None
    if ws.count("cases") == 0:
        omitted["recovery"] = "no follow-up cases recorded"
    else:
        recovery_result = recovery(ws, **opts)

    listening_result: ListeningResult | None = listening(ws, **opts)
    if listening_result is not None and not listening_result.groups:
        omitted["listening"] = "no staff contacts with customers recorded"
        listening_result = None

    journey_result: JourneyResult | None = journey(ws, **opts)
    if journey_result is not None and all(c.score.n == 0 for c in journey_result.cells):
        omitted["journey"] = "no customer answers to questions with a touchpoint"
        journey_result = None

    wow_result: WowResult | None = wow(ws, **opts)
    # moments recorded as events or told of in text: either is worth its section
    if wow_result is not None and not wow_result.moments and not wow_result.text_moments:
        omitted["wow"] = "no wow moments recorded (events of type wow) or told of in text"
        wow_result = None

    people_result = attempt("people", lambda: people(ws, **opts))
    if people_result is not None and people_result.engagement_nps.insufficient:
        omitted["people"] = "too few teams with a staff pulse survey and customer NPS"
        people_result = None

    skills_result: SkillsResult | None = None
    if ws.count("documents") == 0:
        omitted["skills"] = "no comments, reviews or tickets in this workspace"
    else:
        skills_result = attempt("skills", lambda: skills(ws, **opts))
        if skills_result is not None and skills_result.staff_comments == 0:
            omitted["skills"] = "no comment is about staff"
            skills_result = None

    return RealityCheck(
        workspace=ws.path.name,
        confidence=confidence,
        min_n=min_n,
        weighting=weights,
        data={name: ws.count(name) for name in DATA_TABLES},
        fieldwork=response_rates(ws, **opts),
        gap=gap_result if gap_result.rows else None,
        nps=nps_result,
        audit=audit_result,
        drivers=drivers_result,
        behaviour=behaviour_result,
        themes=themes_result,
        senses=senses_result,
        kano=kano_result,
        recovery=recovery_result,
        listening=listening_result,
        omitted=omitted,
        labels=labels_of(ws),
        journey=journey_result,
        wow=wow_result,
        people=people_result,
        skills=skills_result,
    )
