"""What a respondent is asked through a personal link, and what their answers become.

The web layer only renders this: which campaign and items a token opens, the pages, which
items display logic shows, the checks of a page (the import's own checks, through
:func:`realitygap.ingest._answers.validate_answers`, so the messages are the same), and the
``responses`` and ``documents`` rows of a finished survey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import numpy as np
import pandas as pd

from realitygap.domain.errors import Problem, SurveyDataError
from realitygap.domain.scales import ScaleKind
from realitygap.ingest._answers import Answers, validate_answers
from realitygap.ingest._problems import Problems
from realitygap.service.definition import Condition, parse_condition, scale_choices
from realitygap.store import campaigns as store
from realitygap.store.settings import LANGUAGE, bank_language
from realitygap.store.workspace import Workspace

REQUIRED_MESSAGE = "This question needs an answer."
CHANNEL = "web"

# The words at the ends (or at every point) of each scale, shown beside the numbers.
CHOICE_LABELS: dict[str, dict[int, str]] = {
    ScaleKind.NPS.value: {0: "Not at all likely", 10: "Extremely likely"},
    ScaleKind.LIKERT5.value: {1: "Strongly disagree", 5: "Strongly agree"},
    ScaleKind.LIKERT7.value: {1: "Strongly disagree", 7: "Strongly agree"},
    ScaleKind.CES7.value: {1: "Very difficult", 7: "Very easy"},
    ScaleKind.BINARY.value: {0: "No", 1: "Yes"},
    ScaleKind.KANO_FUNCTIONAL.value: {
        1: "I like it",
        2: "I expect it",
        3: "I am neutral",
        4: "I can live with it",
        5: "I dislike it",
    },
}
CHOICE_LABELS[ScaleKind.KANO_DYSFUNCTIONAL.value] = CHOICE_LABELS[ScaleKind.KANO_FUNCTIONAL.value]


class Refusal(Enum):
    """Why a link opens no survey page; the value is the HTTP status."""

    UNKNOWN = 404
    NOT_YET_OPEN = 403
    CLOSED = 410
    ANSWERED = 200


@dataclass(frozen=True)
class Question:
    """One item as this respondent sees it. ``asked_id`` is the question the answer is stored
    under: the customer question, or for staff its mirror question."""

    asked_id: str
    label: str
    scale: str
    page: int
    required: bool
    condition: Condition | None  # on the asked id of an earlier question

    def choices(self) -> list[tuple[int, str]]:
        words = CHOICE_LABELS.get(self.scale, {})
        return [(v, words.get(v, "")) for v in scale_choices(self.scale)]


@dataclass(frozen=True)
class Survey:
    """A link's survey: its campaign, invitation, questions and the answers saved so far."""

    token_digest: str
    campaign: store.CampaignRow
    invitation: store.InvitationRow
    questions: tuple[Question, ...]
    saved: dict[str, str]
    language: str = "en"  # the language the questions are shown in
    languages: tuple[str, ...] = ("en",)  # those the campaign offers

    @property
    def mirror(self) -> bool:
        return self.invitation.kind != "customer"

    def shown(self, answers: dict[str, str] | None = None) -> list[Question]:
        """The questions display logic shows, given ``answers`` (default: those saved)."""
        given = self.saved if answers is None else answers
        out = []
        for q in self.questions:
            if q.condition is not None:
                raw = given.get(q.condition.question)
                try:
                    number = float(raw) if raw not in (None, "") else None
                except ValueError:
                    number = None
                if not q.condition.holds(number):
                    continue
            out.append(q)
        return out

    def pages(self) -> list[int]:
        """The pages with at least one question shown, in order."""
        return sorted({q.page for q in self.shown()})

    def on_page(self, page: int) -> list[Question]:
        return [q for q in self.shown() if q.page == page]

    def resume_page(self) -> int:
        """The first page after the last one saved (the last page when all were saved)."""
        pages = self.pages()
        later = [p for p in pages if p > self.invitation.page_reached]
        return later[0] if later else pages[-1]

    def next_page(self, page: int, answers: dict[str, str]) -> int | None:
        later = sorted({q.page for q in self.shown(answers) if q.page > page})
        return later[0] if later else None


def choose_language(offered: Sequence[str], preferred: Sequence[str], bank: str) -> str:
    """The first of ``preferred`` (in order) that ``offered`` has, matching a tag exactly or
    by its primary language ("fr-CA" takes "fr", "fr" takes "fr-CA"); else ``bank``."""
    lowered = [o.lower() for o in offered]
    for want in (p.lower() for p in preferred):
        if want in lowered:
            return want
        primary = want.split("-")[0]
        for o in lowered:
            if o.split("-")[0] == primary:
                return o
    return bank


def accepted_languages(header: str | None) -> list[str]:
    """The languages of an Accept-Language header, most wanted first (q=0 ones left out)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0 and LANGUAGE.match(tag):
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def _questions(
    ws: Workspace, items: list[store.ItemRow], kind: str, language: str, bank_lang: str
) -> tuple[Question, ...]:
    bank = store.question_rows(ws, {i.question_id for i in items}).set_index("question_id")
    ids = {i.question_id for i in items} | {i.mirror_id for i in items if i.mirror_id}
    translated = store.translations(ws, ids) if language != bank_lang else {}
    staff = kind != "customer"
    asked: dict[str, str] = {}  # customer question -> asked id
    out: list[Question] = []
    for item in items:
        if staff and item.mirror_id is None:
            continue
        q = bank.loc[item.question_id]
        asked_id = item.mirror_id if staff and item.mirror_id else item.question_id
        asked[item.question_id] = asked_id
        text = translated.get((item.question_id, language), str(q["text"])).strip()
        label = f"How will customers answer: {text.rstrip('?.!')}?" if staff else text
        if staff and (asked_id, language) in translated:
            # in another language the mirror question's own translation asks it
            label = translated[(asked_id, language)].strip()
        cond = parse_condition(item.show_when) if item.show_when else None
        if cond is not None:
            if cond.question not in asked:
                continue  # its condition is on a question this respondent is not asked
            cond = Condition(asked[cond.question], cond.op, cond.value)
        out.append(Question(asked_id, label, str(q["scale"]), item.page, item.required, cond))
    return tuple(out)


def _language(
    ws: Workspace, campaign: store.CampaignRow, preferred: Sequence[str]
) -> tuple[str, tuple[str, ...], str]:
    """(the language to show, those offered, the bank's language)."""
    bank = bank_language(ws)
    offered = tuple(x for x in campaign.languages.split(",") if x) or (bank,)
    return choose_language(offered, preferred, bank), offered, bank


def open_link(
    ws: Workspace, token: str, now: datetime, preferred: Sequence[str] = ()
) -> Survey | Refusal:
    """The survey the personal link ``token`` opens at ``now`` (UTC), or why it opens none;
    in the first language of ``preferred`` the campaign offers (else the bank's)."""
    digest = store.token_digest(token)
    invitation = store.invitation_by_token(ws, digest)
    if invitation is None:
        return Refusal.UNKNOWN
    campaign = store.campaign(ws, invitation.campaign_id)
    if campaign is None:
        return Refusal.UNKNOWN
    if invitation.responded_at is not None:
        return Refusal.ANSWERED
    if campaign.status != "open" or (campaign.closes_at and now >= campaign.closes_at):
        return Refusal.CLOSED
    if campaign.opens_at and now < campaign.opens_at:
        return Refusal.NOT_YET_OPEN
    items = store.campaign_items(ws, campaign.campaign_id)
    language, offered, bank = _language(ws, campaign, preferred)
    questions = _questions(ws, items, invitation.kind, language, bank)
    if not questions:
        return Refusal.UNKNOWN
    saved = store.saved_answers(ws, digest)
    return Survey(digest, campaign, invitation, questions, saved, language, offered)


def open_anonymous(
    ws: Workspace, open_id: str, token: str | None, now: datetime, preferred: Sequence[str] = ()
) -> Survey | Refusal:
    """The survey the open link ``open_id`` shows at ``now``: the anonymous session ``token``
    (from the browser's cookie) when it is one of this campaign, else a fresh survey with no
    session yet (:attr:`Survey.token_digest` empty: one starts when its first page is saved)."""
    campaign = store.campaign_by_open_id(ws, open_id)
    if campaign is None:
        return Refusal.UNKNOWN
    if token is not None and (
        store.campaign_of_token(ws, store.token_digest(token)) == campaign.campaign_id
    ):
        return open_link(
            ws, token, now, preferred
        )  # its session: resumed, or answered (once a browser)
    if campaign.status != "open" or (campaign.closes_at and now >= campaign.closes_at):
        return Refusal.CLOSED
    if campaign.opens_at and now < campaign.opens_at:
        return Refusal.NOT_YET_OPEN
    language, offered, bank = _language(ws, campaign, preferred)
    items = store.campaign_items(ws, campaign.campaign_id)
    questions = _questions(ws, items, "customer", language, bank)
    if not questions:
        return Refusal.UNKNOWN
    nobody = store.InvitationRow("", "customer", campaign.wave, campaign.campaign_id, None, 0, None)
    return Survey("", campaign, nobody, questions, {}, language, offered)


def problem_text(problem_str: str) -> str:
    """The import's message without its position: ``found '11', expected ...``."""
    return problem_str.split(": ", 1)[1] if ": " in problem_str else problem_str


def check_answers(
    ws: Workspace, respondent_id: str, wave: str, answers: dict[str, str], channel: str = CHANNEL
) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame]:
    """Check ``answers`` (asked id -> value as typed) by the import's rules: (messages per
    question, or under ``respondent_id`` for the respondent; responses rows, documents rows).
    Rows are only meaningful without messages."""
    qids = list(answers)
    frame = pd.DataFrame(
        {
            "respondent_id": [respondent_id] * len(qids),
            "question_id": qids,
            "value": [answers[q] for q in qids],
            "wave": [wave] * len(qids),
            "submitted_at": pd.Series([store.utc_now()] * len(qids), dtype="datetime64[us]"),
            "channel": [channel] * len(qids),
        },
    )
    columns = pd.Series(qids, dtype=object)
    problems = Problems("answer")
    # the questions and the respondent are read here, in two small queries: the import's
    # own lookups (Ibis expressions, in-memory tables) cost most of a submission's time
    known = store.question_rows(ws, qids)[["question_id", "text", "scale", "audience"]]
    responses, documents = validate_answers(
        ws,
        Answers(frame, np.arange(1, len(qids) + 1), columns, columns),
        problems,
        known_questions=known,
        respondent_kinds=store.respondent_kinds(ws, [respondent_id]),
    )
    messages: dict[str, str] = {}
    try:
        problems.raise_if_any()
    except SurveyDataError as exc:
        for p in exc.problems:
            where = str(p.column) if p.column in answers else "respondent_id"
            messages.setdefault(where, problem_text(str(p)))
    return messages, responses, documents


def check_page(
    ws: Workspace, survey: Survey, page: int, form: dict[str, str]
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """A page's form checked: (messages per asked id, answers to save, questions cleared).
    A required question left empty gets :data:`REQUIRED_MESSAGE`; a value gets the import's
    checks and messages."""
    shown = [q for q in survey.shown({**survey.saved, **form}) if q.page == page]
    answers = {
        q.asked_id: form[q.asked_id].strip() for q in shown if form.get(q.asked_id, "").strip()
    }
    cleared = [q.asked_id for q in shown if q.asked_id not in answers]
    messages = {q.asked_id: REQUIRED_MESSAGE for q in shown if q.required and q.asked_id in cleared}
    if answers:
        found, _, _ = check_answers(
            ws, survey.invitation.respondent_id, survey.campaign.wave, answers
        )
        messages.update(found)
    return messages, answers, cleared


def final_rows(ws: Workspace, survey: Survey) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``responses`` and ``documents`` rows of a finished survey: the saved answers of the
    questions display logic shows (an answer to a follow-up hidden later is dropped)."""
    shown = {q.asked_id for q in survey.shown()}
    answers = {q: v for q, v in survey.saved.items() if q in shown}
    if not answers:
        return pd.DataFrame(), pd.DataFrame()
    messages, responses, documents = check_answers(
        ws, survey.invitation.respondent_id, survey.campaign.wave, answers
    )
    if messages:  # saved answers were checked page by page: only a changed bank gets here
        raise SurveyDataError(
            [Problem("answer", None, q, answers.get(q), m) for q, m in messages.items()]
        )
    return responses, documents
