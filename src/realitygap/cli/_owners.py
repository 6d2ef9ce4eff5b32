"""Case owners as a reader should see them: a person by name, never by e-mail address.

An owner is a department (``retail``) or a person: a staff respondent's id or e-mail address.
When the staff table (``respondents`` of kind ``staff``) has a name column, a person is shown
by that name; an e-mail address nobody in it is named for is redacted like any personal data
in text (:func:`realitygap.domain.privacy.redact`: ``[EMAIL]``). Departments show as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realitygap.store import Workspace

NAME_COLUMNS = ("name", "full_name", "display_name")
EMAIL_COLUMNS = ("email", "e_mail", "email_address")


def staff_names(ws: Workspace) -> dict[str, str]:
    """Staff id and e-mail address (case-folded) -> the staff member's name."""
    columns = set(ws.columns("respondents"))
    name_column = next((c for c in NAME_COLUMNS if c in columns), None)
    if name_column is None:
        return {}
    emails = [c for c in EMAIL_COLUMNS if c in columns]
    people = ws.table("respondents")
    staff = people.filter(people.kind == "staff").select("respondent_id", name_column, *emails)
    names: dict[str, str] = {}
    for row in staff.execute().to_dict("records"):
        name = row[name_column]
        if not isinstance(name, str) or not name.strip():
            continue
        for key in [row["respondent_id"], *(row[c] for c in emails)]:
            if isinstance(key, str) and key.strip():
                names[key.strip().casefold()] = name.strip()
    return names


def owner_label(owner: Any, names: dict[str, str]) -> Any:
    """The owner as shown: the person's name, a department as written, an unnamed e-mail
    address redacted; a missing owner stays missing."""
    from realitygap.domain.privacy import redact  # loads phonenumbers: only when needed

    if not isinstance(owner, str):
        return owner
    return names.get(owner.strip().casefold()) or redact(owner)
