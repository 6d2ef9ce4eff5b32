"""What the ``campaign`` and ``token`` commands do: create, invite, close; API tokens."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from realitygap.domain.errors import ArgumentError, Problem, SurveyDataError, WorkspaceError
from realitygap.service.definition import CampaignSpec, read_campaign
from realitygap.service.mail import invitation_letter, send_letters
from realitygap.store import campaigns as store
from realitygap.store.atomic import atomic_write
from realitygap.store.link_key import derived_token, link_key
from realitygap.store.settings import SmtpSettings, bank_language, smtp
from realitygap.store.workspace import Workspace

# Spreadsheet programs run a cell as a formula when its text starts with one of these (OWASP
# "CSV injection"): such a cell gets a leading apostrophe in the mail-merge file.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SCOPES = ("read", "write")


def campaign_id_of(name: str) -> str:
    """A campaign id from its wave: lower case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "campaign"


def _check_translations(ws: Workspace, path: Path, spec: CampaignSpec) -> None:
    """Every language of the campaign other than the bank's has every item translated: a
    page never mixes two languages."""
    bank = bank_language(ws)
    asked = [i.question_id for i in spec.items]
    if spec.mirror:
        asked += [i.mirror_id for i in spec.items if i.mirror_id]
    have = store.translations(ws, asked)
    problems = []
    for code in spec.languages:
        if code == bank:
            continue
        missing = [q for q in asked if (q, code) not in have]
        if missing:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "languages",
                    code,
                    f"a translation into {code!r} of every item (missing: {', '.join(missing)}); "
                    "import them with --kind translations (docs/formats.md), or leave "
                    f"{code!r} out (the bank's language is {bank!r})",
                )
            )
    if problems:
        raise SurveyDataError(problems)


def create_campaign(ws: Workspace, path: Path) -> store.CampaignRow:
    """Create the campaign defined in the TOML file ``path`` (its id from its wave)."""
    bank = store.question_rows(ws).to_dict(orient="records")
    spec = read_campaign(path, [{str(k): v for k, v in q.items()} for q in bank])
    _check_translations(ws, path, spec)
    cid = campaign_id_of(spec.wave)
    if store.campaign(ws, cid) is not None:
        raise WorkspaceError(f"{path}: campaign {cid!r} (wave {spec.wave!r}) exists already")
    row = store.CampaignRow(
        campaign_id=cid,
        name=spec.name,
        wave=spec.wave,
        mirror=spec.mirror,
        status="open",
        opens_at=spec.opens_at,
        closes_at=spec.closes_at,
        anonymous=spec.anonymous,
        languages=",".join(spec.languages),
        source=spec.source,
        created_at=store.utc_now(),
        # the open link's id is unguessable: the wave's name would let anyone find it
        open_id=secrets.token_urlsafe(12) if spec.anonymous else None,
    )
    items = [
        store.ItemRow(
            cid,
            pos,
            s.page,
            s.question_id,
            s.mirror_id if spec.mirror else None,
            s.required,
            None if s.show_when is None else str(s.show_when),
        )
        for pos, s in enumerate(spec.items, start=1)
    ]
    store.insert_campaign(ws, row, items)
    return row


def _campaign(ws: Workspace, campaign_id: str) -> store.CampaignRow:
    row = store.campaign(ws, campaign_id)
    if row is None:
        known = ", ".join(repr(c.campaign_id) for c in store.campaigns(ws)) or "none yet"
        raise ArgumentError("campaign", campaign_id, f"a campaign of the workspace ({known})")
    return row


@dataclass(frozen=True)
class Invited:
    """The personal links of one ``invite`` run and how many were invited before."""

    links: pd.DataFrame  # respondent_id, kind, role, department, email, link
    before: int


def mail_token(key: bytes, campaign_id: str, respondent_id: str) -> str:
    """The token of an e-mailed link: derived from the workspace's link key, so the same
    link can be sent again (a retry, the reminder) while only its SHA-256 is stored."""
    return derived_token(key, "invite", campaign_id, respondent_id)


def invite(ws: Workspace, campaign_id: str, base_url: str, *, by_mail: bool = False) -> Invited:
    """Invite to ``campaign_id`` every customer (and, for a mirror campaign, every staff
    member) not yet invited to its wave: one personal link each, its token of 256 bits stored
    only as its SHA-256. ``by_mail``: the tokens are derived from the workspace's link key
    (:func:`mail_token`) for :func:`send`; otherwise random and shown only once."""
    row = _campaign(ws, campaign_id)
    if row.status != "open":
        raise WorkspaceError(f"campaign {campaign_id!r} is closed: it invites no one")
    kinds = ["customer", "staff"] if row.mirror else ["customer"]
    people = store.uninvited(ws, row.wave, kinds)
    if by_mail:
        key = link_key(ws)
        tokens = [mail_token(key, campaign_id, str(r)) for r in people["respondent_id"]]
    else:
        tokens = [secrets.token_urlsafe(32) for _ in range(len(people))]
    now = store.utc_now()
    store.insert_invitations(
        ws,
        pd.DataFrame(
            {
                "respondent_id": people["respondent_id"].astype(str),
                "wave": row.wave,
                "invited_at": pd.Series([now] * len(people), dtype="datetime64[us]"),
                "channel": "link",
                "campaign_id": campaign_id,
                "token_sha256": [store.token_digest(t) for t in tokens],
                "page_reached": pd.Series([0] * len(people), dtype="int32"),
                "link_kind": "mail" if by_mail else "csv",
            }
        ),
    )
    base = base_url.rstrip("/")
    links = pd.DataFrame(
        {
            "respondent_id": people["respondent_id"].astype(str),
            "kind": people["kind"].astype(str),
            "role": people["role"].astype(object).where(people["role"].notna(), ""),
            "department": people["department"]
            .astype(object)
            .where(people["department"].notna(), ""),
            "email": people["email"].astype(object).where(people["email"].notna(), ""),
            "link": [f"{base}/s/{t}" for t in tokens],
        }
    )
    _, count = store.invitations_page(ws, campaign_id, 0, 1)
    return Invited(links, count - len(people))


def _neutral(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def write_links(links: pd.DataFrame, out: Path) -> None:
    """The links as CSV for a mail merge (respondent_id, kind, role, department, email,
    link); a cell that a
    spreadsheet would run as a formula is written with a leading apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(links.columns))
    for row in links.itertuples(index=False):
        writer.writerow([_neutral(v) for v in row])
    atomic_write(out, buffer.getvalue())


@dataclass(frozen=True)
class Mailed:
    """What one ``send`` or ``remind`` run did: the addresses sent to, and per respondent
    why nothing was sent (no address, refused, server unreachable)."""

    sent: list[str]  # respondent ids
    failed: dict[str, str]  # respondent id -> why


def _settings_or_fail(ws: Workspace) -> SmtpSettings:
    settings = smtp(ws)
    if settings is None:
        raise WorkspaceError(
            f"{ws.path / 'settings.toml'}: no [smtp] table, so nothing can be e-mailed "
            "(docs/service.md: E-mail); `campaign invite --out links.csv` writes the links "
            "for a mail merge instead"
        )
    return settings


def _mail(ws: Workspace, campaign_id: str, base_url: str, *, reminder: bool) -> Mailed:
    settings = _settings_or_fail(ws)
    row = _campaign(ws, campaign_id)
    if row.status != "open":
        raise WorkspaceError(f"campaign {campaign_id!r} is closed: nothing is sent")
    key = link_key(ws)
    base = base_url.rstrip("/")
    failed: dict[str, str] = {}
    letters = []
    for target in store.mail_targets(ws, campaign_id, reminder=reminder):
        if target.email is None:
            failed[target.respondent_id] = "no e-mail address (respondents column email)"
            continue
        link = f"{base}/s/{mail_token(key, campaign_id, target.respondent_id)}"
        letters.append(
            (
                target.respondent_id,
                invitation_letter(target.email, row.name, link, reminder=reminder),
            )
        )
    sent: list[str] = []
    for respondent_id, why in send_letters(settings, letters):
        if why is None:
            # recorded as soon as the server accepted it: a rerun sends it no second time
            store.mark_mailed(ws, campaign_id, respondent_id, reminder=reminder)
            sent.append(respondent_id)
        else:
            failed[respondent_id] = why
    return Mailed(sent, failed)


def send(ws: Workspace, campaign_id: str, base_url: str) -> Mailed:
    """E-mail each invitation of ``campaign_id`` its personal link: everyone not yet invited
    to the wave is invited first (with links derived from the link key), then every e-mailed
    invitation not sent yet is sent once. A rerun retries only those that failed."""
    invite(ws, campaign_id, base_url, by_mail=True)
    return _mail(ws, campaign_id, base_url, reminder=False)


def remind(ws: Workspace, campaign_id: str, base_url: str) -> Mailed:
    """E-mail the one reminder, with the same link, to each respondent sent an invitation who
    has not finished and has had no reminder yet."""
    return _mail(ws, campaign_id, base_url, reminder=True)


def close_campaign(ws: Workspace, campaign_id: str) -> store.CampaignRow:
    _campaign(ws, campaign_id)
    store.set_campaign_status(ws, campaign_id, "closed")
    return _campaign(ws, campaign_id)


def create_token(ws: Workspace, scope: str, label: str | None = None) -> tuple[str, str]:
    """A new API token of ``scope`` (read or write): (token id, the token, shown once)."""
    if scope not in SCOPES:
        raise ArgumentError("scope", scope, "read or write")
    token = "rg_" + secrets.token_urlsafe(32)
    token_id = "tok_" + secrets.token_hex(4)
    store.insert_api_token(ws, token_id, store.token_digest(token), scope, label)
    return token_id, token
