"""What a respondent is asked through a personal link, and what their answers become.

The web layer only renders this: which campaign and items a token opens, the pages, which
items display logic shows, the checks of a page (the import's own checks, through
:func:`realitygap.ingest._answers.validate_answers`, so the messages are the same), and the
``responses`` and ``documents`` rows of a finished survey.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

import pandas as pd

from realitygap.domain.errors import Problem, SurveyDataError, WorkspaceError
from realitygap.domain.scales import ScaleKind
from realitygap.ingest._answers import validate_answers
from realitygap.ingest._few_answers import (
    DOCUMENT_COLUMNS,
    MAX_ROWS,
    RESPONSE_COLUMNS,
    Answer,
    as_answers,
    validate_few,
)
from realitygap.ingest._problems import Problems
from realitygap.service.definition import Condition, parse_condition, scale_choices
from realitygap.store import campaigns as store
from realitygap.store.rows import Rows, as_frame
from realitygap.store.settings import LANGUAGE, auto_case_rule, bank_language
from realitygap.store.workspace import Workspace

_log = logging.getLogger("realitygap.service")

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

    def choices(self, labels: dict[str, dict[int, str]] | None = None) -> list[tuple[int, str]]:
        """(value, the words beside it) per answer; ``labels`` per scale (default English)."""
        words = (CHOICE_LABELS if labels is None else labels).get(self.scale, {})
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
    bank: Mapping[str, tuple[str, str]] | None = field(
        default=None, compare=False
    )  # question_id -> (scale, audience) of its questions

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


@dataclass
class Definition:
    """What a campaign asks, read once per process and version (:class:`CampaignCache`):
    its row, items, the bank's rows of its questions, their translations, the bank's
    language, and the questions per (audience, language) as built for a respondent."""

    campaign: store.CampaignRow
    items: list[store.ItemRow]
    bank: pd.DataFrame  # question_id, text, scale, audience of its questions and mirrors
    translated: dict[tuple[str, str], str]
    bank_language: str
    built: dict[tuple[bool, str], tuple[Question, ...]] = field(default_factory=dict)
    scales: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> scale, audience

    def __post_init__(self) -> None:
        if not self.scales:
            rows = zip(self.bank["scale"], self.bank["audience"], strict=True)
            self.scales = dict(zip(self.bank["question_id"], rows, strict=True))

    def questions(self, staff: bool, language: str) -> tuple[Question, ...]:
        if (staff, language) not in self.built:
            self.built[(staff, language)] = _questions(self, staff, language)
        return self.built[(staff, language)]


class CampaignCache:
    """The definitions of campaigns, per process, each kept under the version it was read at
    (the campaign's creation time and fingerprints of the question bank and its
    translations, which :func:`store.link_state` reads with the link): a campaign's items
    never change once it is created, and the bank's changes change the version. Its state
    (open, closed, times) is read with every link, never cached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[tuple[Any, ...], Definition]] = {}

    def definition(
        self, ws: Workspace, campaign_id: str, version: tuple[Any, ...]
    ) -> Definition | None:
        bank_lang = bank_language(ws)  # a file of the workspace: its text is part of the key
        full = (*version, bank_lang)
        key = (ws.where, campaign_id)
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] == full:
            return found[1]
        loaded = _load_definition(ws, campaign_id, bank_lang)
        if loaded is not None:
            with self._lock:
                self._entries[key] = (full, loaded)
        return loaded

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


CAMPAIGNS = CampaignCache()


def _load_definition(ws: Workspace, campaign_id: str, bank_lang: str) -> Definition | None:
    campaign = store.campaign(ws, campaign_id)
    if campaign is None:
        return None
    items = store.campaign_items(ws, campaign_id)
    ids = {i.question_id for i in items} | {i.mirror_id for i in items if i.mirror_id}
    bank = store.question_rows(ws, ids)[["question_id", "text", "scale", "audience"]]
    translated = store.translations(ws, ids) if campaign.languages.strip(",") else {}
    return Definition(campaign, items, bank.reset_index(drop=True), translated, bank_lang)


def _questions(definition: Definition, staff: bool, language: str) -> tuple[Question, ...]:
    bank = definition.bank.set_index("question_id")
    translated = definition.translated if language != definition.bank_language else {}
    asked: dict[str, str] = {}  # customer question -> asked id
    out: list[Question] = []
    for item in definition.items:
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


def _language(definition: Definition, preferred: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """(the language to show, those offered)."""
    bank = definition.bank_language
    offered = tuple(x for x in definition.campaign.languages.split(",") if x) or (bank,)
    return choose_language(offered, preferred, bank), offered


def _refused(state: store.LinkState, now: datetime) -> Refusal | None:
    if state.invitation.responded_at is not None:
        return Refusal.ANSWERED
    if state.status != "open" or (state.closes_at and now >= state.closes_at):
        return Refusal.CLOSED
    if state.opens_at and now < state.opens_at:
        return Refusal.NOT_YET_OPEN
    return None


def _survey(
    ws: Workspace, digest: str, state: store.LinkState, now: datetime, preferred: Sequence[str]
) -> Survey | Refusal:
    if state.status is None:
        return Refusal.UNKNOWN
    definition = CAMPAIGNS.definition(ws, state.invitation.campaign_id, state.version)
    if definition is None:
        return Refusal.UNKNOWN
    why = _refused(state, now)
    if why is not None:
        return why
    language, offered = _language(definition, preferred)
    staff = state.invitation.kind != "customer"
    questions = definition.questions(staff, language)
    if not questions:
        return Refusal.UNKNOWN
    # a link with no page saved has no saved answers (a page saved moves page_reached on)
    saved = store.saved_answers(ws, digest) if digest and state.invitation.page_reached else {}
    campaign = replace(
        definition.campaign, status=state.status, opens_at=state.opens_at, closes_at=state.closes_at
    )
    return Survey(
        digest, campaign, state.invitation, questions, saved, language, offered, definition.scales
    )


def open_link(
    ws: Workspace, token: str, now: datetime, preferred: Sequence[str] = ()
) -> Survey | Refusal:
    """The survey the personal link ``token`` opens at ``now`` (UTC), or why it opens none;
    in the first language of ``preferred`` the campaign offers (else the bank's). One
    statement for a link with nothing saved yet, two for one with saved answers (plus the
    campaign's definition, once per process and version)."""
    digest = store.token_digest(token)
    state = store.link_state(ws, digest)
    if state is None:
        return Refusal.UNKNOWN
    return _survey(ws, digest, state, now, preferred)


def open_anonymous(
    ws: Workspace, open_id: str, token: str | None, now: datetime, preferred: Sequence[str] = ()
) -> Survey | Refusal:
    """The survey the open link ``open_id`` shows at ``now``: the anonymous session ``token``
    (from the browser's cookie) when it is one of this campaign, else a fresh survey with no
    session yet (:attr:`Survey.token_digest` empty: one starts when its first page is saved)."""
    found = store.open_link_state(ws, open_id)
    if found is None:
        return Refusal.UNKNOWN
    campaign_id, state = found
    if token is not None:
        session = store.link_state(ws, store.token_digest(token))
        if session is not None and session.invitation.campaign_id == campaign_id:
            # its session: resumed, or answered (once a browser)
            return _survey(ws, store.token_digest(token), session, now, preferred)
    return _survey(ws, "", state, now, preferred)


def problem_text(problem_str: str) -> str:
    """The import's message without its position: ``found '11', expected ...``."""
    return problem_str.split(": ", 1)[1] if ": " in problem_str else problem_str


def check_answers(
    ws: Workspace,
    respondent_id: str,
    wave: str,
    answers: dict[str, str],
    channel: str = CHANNEL,
    *,
    known: Mapping[str, tuple[str, str]] | None = None,
    kinds: dict[str, str] | None = None,
) -> tuple[dict[str, str], pd.DataFrame | Rows, pd.DataFrame | Rows]:
    """Check ``answers`` (asked id -> value as typed) by the import's rules: (messages per
    question, or under ``respondent_id`` for the respondent; responses rows, documents rows).
    Rows are only meaningful without messages. ``known`` (question id -> (scale, audience)
    of the bank's questions) and ``kinds`` (respondent id -> kind) are read from the
    workspace unless given."""
    qids = list(answers)
    problems = Problems("answer")
    # the questions and the respondent are read here, in two small queries, unless the caller
    # has them: the import's own lookups (Ibis expressions, in-memory tables) cost most of a
    # submission's time
    if known is None:
        bank = store.question_rows(ws, qids)
        known = dict(
            zip(bank["question_id"], zip(bank["scale"], bank["audience"], strict=True), strict=True)
        )
    if kinds is None:
        kinds = store.respondent_kinds(ws, [respondent_id])
    now = store.utc_now()
    rows = [
        Answer(respondent_id, q, answers[q], wave, now, channel, i, q, q)
        for i, q in enumerate(qids, start=1)
    ]
    if len(rows) <= MAX_ROWS:
        # a page's few answers: the import's rules without its frames (most of the CPU of
        # a submission, BENCHMARKS.md)
        found, texts = validate_few(rows, problems, known_questions=known, respondent_kinds=kinds)
        responses: pd.DataFrame | Rows = Rows(RESPONSE_COLUMNS, found)
        documents: pd.DataFrame | Rows = Rows(DOCUMENT_COLUMNS, texts)
    else:
        frame = pd.DataFrame(
            {"question_id": list(known), "scale": [v[0] for v in known.values()]}
        ).assign(audience=[v[1] for v in known.values()], text="")
        responses, documents = validate_answers(
            ws, as_answers(rows), problems, known_questions=frame, respondent_kinds=kinds
        )
    messages: dict[str, str] = {}
    try:
        problems.raise_if_any()
    except SurveyDataError as exc:
        for p in exc.problems:
            where = str(p.column) if p.column in answers else "respondent_id"
            messages.setdefault(where, problem_text(str(p)))
    return messages, responses, documents


@dataclass(frozen=True)
class PageCheck:
    """A page's form checked: messages per asked id, answers to save, questions cleared, and
    the rows the answers would become (meaningful without messages)."""

    messages: dict[str, str]
    answers: dict[str, str]
    cleared: list[str]
    responses: pd.DataFrame | Rows
    documents: pd.DataFrame | Rows


def _known(survey: Survey) -> dict[str, Any]:
    """What a survey already knows for :func:`check_answers`: the bank's rows of its questions
    and the respondent's kind (an invitation's respondent exists)."""
    if survey.bank is None or not survey.invitation.respondent_id:
        return {}
    return {
        "known": survey.bank,
        "kinds": {survey.invitation.respondent_id: survey.invitation.kind},
    }


def _check_page(ws: Workspace, survey: Survey, page: int, form: dict[str, str]) -> PageCheck:
    shown = [q for q in survey.shown({**survey.saved, **form}) if q.page == page]
    answers = {
        q.asked_id: form[q.asked_id].strip() for q in shown if form.get(q.asked_id, "").strip()
    }
    cleared = [q.asked_id for q in shown if q.asked_id not in answers]
    messages = {q.asked_id: REQUIRED_MESSAGE for q in shown if q.required and q.asked_id in cleared}
    responses: pd.DataFrame | Rows = Rows(RESPONSE_COLUMNS, [])
    documents: pd.DataFrame | Rows = Rows(DOCUMENT_COLUMNS, [])
    if answers:
        found, responses, documents = check_answers(
            ws, survey.invitation.respondent_id, survey.campaign.wave, answers, **_known(survey)
        )
        messages.update(found)
    return PageCheck(messages, answers, cleared, responses, documents)


def check_page(
    ws: Workspace, survey: Survey, page: int, form: dict[str, str]
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """A page's form checked: (messages per asked id, answers to save, questions cleared).
    A required question left empty gets :data:`REQUIRED_MESSAGE`; a value gets the import's
    checks and messages."""
    checked = _check_page(ws, survey, page, form)
    return checked.messages, checked.answers, checked.cleared


def final_rows(ws: Workspace, survey: Survey) -> tuple[pd.DataFrame | Rows, pd.DataFrame | Rows]:
    """The ``responses`` and ``documents`` rows of a finished survey: the saved answers of the
    questions display logic shows (an answer to a follow-up hidden later is dropped)."""
    return _final_rows(ws, survey, survey.saved)


def _final_rows(
    ws: Workspace, survey: Survey, answers: dict[str, str]
) -> tuple[pd.DataFrame | Rows, pd.DataFrame | Rows]:
    shown = {q.asked_id for q in survey.shown(answers)}
    kept = {q: v for q, v in answers.items() if q in shown}
    if not kept:
        return Rows(RESPONSE_COLUMNS, []), Rows(DOCUMENT_COLUMNS, [])
    messages, responses, documents = check_answers(
        ws, survey.invitation.respondent_id, survey.campaign.wave, kept, **_known(survey)
    )
    if messages:  # saved answers were checked page by page: only a changed bank gets here
        raise SurveyDataError(
            [Problem("answer", None, q, kept.get(q), m) for q, m in messages.items()]
        )
    return responses, documents


@dataclass(frozen=True)
class Rejected:
    """A page sent back with messages: show it again with the values as sent."""

    survey: Survey
    page: int
    values: dict[str, str]
    messages: dict[str, str]


def opened_cases(
    ws: Workspace, responses: pd.DataFrame | Rows, kind: str, now: datetime
) -> pd.DataFrame | None:
    """The follow-up cases a customer's submission opens under ``[cases.auto]`` of the
    workspace's settings (None: the rule is off, or the answers are staff's), to land in the
    submission's transaction. A rule made invalid while the server runs (``serve`` refuses
    to start with one) is logged and opens nothing: the respondent's answers still land, and
    ``realitygap cases open`` opens the same cases later."""
    try:
        rule = auto_case_rule(ws)
    except WorkspaceError as exc:
        _log.error("no follow-up case opened: %s", exc)
        return None
    if rule is None or kind != "customer" or responses.empty:
        return None
    from realitygap.actions.cases import submission_cases

    return submission_cases(ws, as_frame(responses), rule, now)


def _complete_saved(ws: Workspace, survey: Survey) -> None:
    """Land a link's saved answers as responses when its last page was acknowledged but the
    completion was not (a page saved, then the process died, by a version that landed the
    last page and the completion in two transactions)."""
    responses, documents = final_rows(ws, survey)
    cases = opened_cases(ws, responses, survey.invitation.kind, store.utc_now())
    with contextlib.suppress(store.AlreadyAnswered):  # another request finished it first
        store.complete(
            ws,
            survey.token_digest,
            "complete",
            "{}",
            responses,
            documents,
            respondent_id=survey.invitation.respondent_id,
            campaign_id=survey.campaign.campaign_id,
            token_digest_=survey.token_digest,
            cases=cases,
            actor="survey",
        )


def submit_page(
    ws: Workspace,
    token: str,
    base: str,
    page: int,
    key: str,
    form: dict[str, str],
    now: datetime,
    preferred: Sequence[str] = (),
) -> str | Rejected | Refusal:
    """Take one page of the link ``token`` sent with idempotency key ``key``: the address to
    go to next once it is committed (the next page, or ``base`` when the survey is finished),
    the page again with its messages, or why the link takes nothing.

    A page before the last is saved with its key in one transaction; the last one lands with
    the whole survey (responses, documents, the invitation marked responded) in one
    transaction, so an acknowledged survey is never half landed. A key acknowledged before
    is answered as it was the first time, even once the survey is finished or closed.
    On PostgreSQL the last page of a one-page survey costs six statements (the last bumps
    the data stamp), a BEGIN and a COMMIT (tests/test_service_load.py counts them)."""
    digest = store.token_digest(token)
    scope_key = f"page{page}:{key}"
    survey = open_link(ws, token, now, preferred)
    if isinstance(survey, Refusal):
        acked = store.recorded_outcome(ws, digest, scope_key)
        return str(json.loads(acked[1])["next"]) if acked is not None else survey
    if page not in survey.pages():
        return base
    checked = _check_page(ws, survey, page, form)
    if checked.messages:
        return Rejected(survey, page, {**survey.saved, **form}, checked.messages)
    after = {k: v for k, v in survey.saved.items() if k not in checked.cleared}
    after.update(checked.answers)
    following = survey.next_page(page, after)
    target = base if following is None else f"{base}?page={following}"
    body = json.dumps({"next": target, "finished": following is None})
    if following is not None:
        _, recorded = store.save_page(
            ws, digest, page, checked.answers, checked.cleared, scope_key, body
        )
        return str(json.loads(recorded)["next"])
    shown = {q.asked_id for q in survey.shown(after)}
    if {q for q in after if q in shown} == set(checked.answers):
        responses, documents = checked.responses, checked.documents  # all on this page
    else:
        responses, documents = _final_rows(ws, survey, after)
    cases = opened_cases(ws, responses, survey.invitation.kind, now)
    try:
        recorded, fresh = store.finish_link(
            ws,
            digest,
            page,
            scope_key,
            body,
            responses,
            documents,
            respondent_id=survey.invitation.respondent_id,
            saved=bool(survey.saved),
            cases=cases,
        )
    except store.AlreadyAnswered:  # another request finished it first
        return base
    outcome = json.loads(recorded)
    if not fresh and outcome["finished"]:
        _complete_saved(ws, survey)
    return str(outcome["next"])
