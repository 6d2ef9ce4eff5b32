"""Survey links by e-mail over SMTP, with the standard library (``smtplib``, ``email``).

One message per address, sent over one connection; each address's outcome is reported on its
own, so a refused address does not stop the others and can be retried later.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from realitygap.store.settings import SmtpSettings

TIMEOUT = 30.0  # seconds for the connection and each command


@dataclass(frozen=True)
class Letter:
    """One message: to whom, its subject and its plain-text body."""

    to: str
    subject: str
    body: str


def _one_line(text: str) -> str:
    # a header never carries a line break (it would start another header)
    return " ".join(text.split())


def invitation_letter(to: str, campaign_name: str, link: str, *, reminder: bool) -> Letter:
    name = _one_line(campaign_name)
    if reminder:
        subject = f"Reminder: {name}"
        opening = (
            "A few days ago we asked for your view. If you have a few minutes, your answers "
            "would help us; if you started already, the link takes you back to where you left."
        )
    else:
        subject = name
        opening = "We would like to hear how we are doing. The survey takes a few minutes."
    body = (
        f"{opening}\n\n{link}\n\n"
        "The link is personal: please do not pass it on. You can leave and come back to it.\n"
    )
    return Letter(to, subject, body)


def _message(settings: SmtpSettings, letter: Letter) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = _one_line(letter.to)
    msg["Subject"] = letter.subject
    msg["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1].strip(">"))
    msg.set_content(letter.body)
    return msg


@contextmanager
def _connection(settings: SmtpSettings) -> Iterator[smtplib.SMTP]:
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    try:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        yield smtp
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            smtp.close()


def send_letters(
    settings: SmtpSettings, letters: Iterable[tuple[str, Letter]]
) -> Iterator[tuple[str, str | None]]:
    """Send each (key, letter); yields (key, None) once a letter is accepted by the server, or
    (key, why it was not). A failure to connect fails every letter with that reason."""
    pending = list(letters)
    answered: set[str] = set()
    try:
        with _connection(settings) as smtp:
            for key, letter in pending:
                answered.add(key)
                try:
                    refused = smtp.send_message(_message(settings, letter))
                except smtplib.SMTPRecipientsRefused as exc:
                    code, why = next(iter(exc.recipients.values()))
                    yield key, f"refused by the server ({code} {why.decode(errors='replace')})"
                except (smtplib.SMTPException, ValueError) as exc:
                    yield key, f"not sent ({exc})"
                else:
                    yield key, None if not refused else f"refused by the server ({refused})"
    except (OSError, smtplib.SMTPException) as exc:
        where = f"{settings.host}:{settings.port}"
        for key, _ in [(k, x) for k, x in pending if k not in answered]:
            yield key, f"could not reach the mail server {where} ({exc})"
