"""Cases as CSV in the import shapes of Salesforce (Case), HubSpot (tickets) and Zendesk
(tickets); docs/service.md, "CRM exports", gives each column and where its name comes from.

Every text cell is redacted (e-mail addresses, phone numbers, card and bank numbers: the same
rules as at import) and a cell a spreadsheet would run as a formula gets a leading apostrophe.
The customer's comments go into the description only when ``with_comments`` (a role with
verbatim access).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from realitygap.domain.privacy import redact
from realitygap.report.render import FORMULA_TRIGGERS
from realitygap.store.cases import records

CRMS = ("salesforce", "hubspot", "zendesk")

# realitygap's status -> each tool's default status values
_SALESFORCE_STATUS = {
    "open": "New",
    "contacted": "Working",
    "resolved": "Closed",
    "closed": "Closed",
}
_HUBSPOT_STATUS = {
    "open": "New",
    "contacted": "Waiting on contact",
    "resolved": "Closed",
    "closed": "Closed",
}
_ZENDESK_STATUS = {"open": "new", "contacted": "open", "resolved": "solved", "closed": "closed"}


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def cell(value: Any) -> str:
    """Redacted text that a spreadsheet shows as text."""
    text = "" if _missing(value) else str(value)
    text = redact(text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _when(value: Any) -> str:
    if _missing(value):
        return ""
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")  # stored as naive UTC


def subject(case: Mapping[str, Any]) -> str:
    where = f" at {case['touchpoint']}" if case.get("touchpoint") else ""
    return f"Follow up: {case['trigger']}{where} ({case['case_id']})"


def description(case: Mapping[str, Any], comments: list[str]) -> str:
    lines = [
        f"realitygap case {case['case_id']} for customer {case['customer_id']}",
        f"trigger: {case['trigger']}; touchpoint: {case.get('touchpoint') or 'unknown'}",
        f"due: {_when(case['due_at'])}",
    ]
    if case.get("resolution") and not pd.isna(case["resolution"]):
        lines.append(f"resolution: {case['resolution']}")
    if case.get("recovery_rating") is not None and not pd.isna(case["recovery_rating"]):
        lines.append(f"recovery rating: {case['recovery_rating']:g} of 10")
    lines += [f"customer said: {c}" for c in comments]
    return "\n".join(lines)


def _priority(case: Mapping[str, Any], high: str, normal: str) -> str:
    return high if bool(case.get("overdue")) else normal


Row = Callable[[Mapping[str, Any], list[str]], dict[str, str]]


def _salesforce(case: Mapping[str, Any], comments: list[str]) -> dict[str, str]:
    return {
        "Subject": subject(case),
        "Description": description(case, comments),
        "Status": _SALESFORCE_STATUS[case["status"]],
        "Priority": _priority(case, "High", "Medium"),
        "Origin": "Web",
        "Type": "Problem",
        "Reason": str(case["trigger"]),
        "SuppliedName": str(case["customer_id"]),
        "SuppliedEmail": "",
        "Comments": "" if pd.isna(case.get("resolution")) else str(case["resolution"] or ""),
    }


def _hubspot(case: Mapping[str, Any], comments: list[str]) -> dict[str, str]:
    return {
        "Ticket name": subject(case),
        "Pipeline": "Support Pipeline",
        "Ticket status": _HUBSPOT_STATUS[case["status"]],
        "Ticket description": description(case, comments),
        "Priority": _priority(case, "High", "Medium"),
        "Source": "Form",
        "Create date": _when(case["opened_at"]),
        "Ticket ID (external)": str(case["case_id"]),
    }


def _zendesk(case: Mapping[str, Any], comments: list[str]) -> dict[str, str]:
    tags = ["realitygap", str(case["trigger"])]
    if case.get("touchpoint"):
        tags.append(str(case["touchpoint"]))
    return {
        "external_id": str(case["case_id"]),
        "subject": subject(case),
        "description": description(case, comments),
        "status": _ZENDESK_STATUS[case["status"]],
        "priority": _priority(case, "high", "normal"),
        "type": "task",
        "due_at": _when(case["due_at"]),
        "tags": " ".join(t.replace(" ", "_") for t in tags),
        "created_at": _when(case["opened_at"]),
    }


SHAPES: dict[str, Row] = {"salesforce": _salesforce, "hubspot": _hubspot, "zendesk": _zendesk}


def export_csv(
    crm: str, cases: pd.DataFrame, comments: Mapping[str, list[str]] | None = None
) -> str:
    """The cases (rows of :func:`realitygap.store.cases.list_cases`) as ``crm``'s CSV;
    ``comments`` maps a customer id to their comments (left out when None)."""
    shape = SHAPES[crm]
    out = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for case in records(cases):
        said = (comments or {}).get(str(case["customer_id"]), [])
        row = {k: cell(v) for k, v in shape(case, said).items()}
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\r\n")
            writer.writeheader()
        writer.writerow(row)
    if writer is None:  # no case: the header alone
        blank = {"case_id": "", "customer_id": "", "trigger": "", "status": "open"}
        header = shape({**blank, "due_at": None, "opened_at": None}, [])
        csv.writer(out, lineterminator="\r\n").writerow(list(header))
    return out.getvalue()
