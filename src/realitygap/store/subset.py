"""A subset of a workspace's data (a wave, a customer segment, a touchpoint, a department) and
a read-only view of the workspace whose tables hold only that subset.

Every analysis reads the workspace through :meth:`Workspace.table` and :meth:`Workspace.count`,
so an analysis run on :func:`restrict` ``(ws, subset)`` is the same analysis run on a workspace
holding only the subset's rows: no analysis knows about filters, and nothing is written.

What each filter keeps (the rest of a table is kept whole):

- ``wave``: answers, invitations and documents of that wave (documents without a wave go).
- ``segment``: customers of that segment, and all staff; answers and invitations of those
  respondents; documents, events, cases and contacts of those customers (those without a
  customer go: they cannot be placed in a segment).
- ``touchpoint``: questions of that touchpoint and questions of none (the overall ones, such as
  the likelihood to recommend), and the answers to them; documents that mention it (their
  touchpoint aspect, once tagged), cases about it, events at it or at none.
- ``department``: staff of that department, and all customers; answers and invitations of
  those respondents; contacts of that staff; cases that department owns.

>>> Subset(wave="2024-Q3", department="retail").describe()
'wave 2024-Q3, department retail'
>>> Subset().describe()
'all data'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any

import ibis.expr.types as ir

from realitygap.store.workspace import Workspace


@dataclass(frozen=True)
class Subset:
    """Which rows an analysis sees: each field None (everything) or one value."""

    wave: str | None = None
    segment: str | None = None
    touchpoint: str | None = None
    department: str | None = None

    @property
    def everything(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def key(self) -> tuple[tuple[str, str], ...]:
        """The filters that are set, as (name, value) pairs: a cache key."""
        return tuple(
            (f.name, value) for f in fields(self) if (value := getattr(self, f.name)) is not None
        )

    def describe(self) -> str:
        """``wave 2024-Q3, segment vip`` (``all data`` when nothing is filtered)."""
        return ", ".join(f"{name} {value}" for name, value in self.key()) or "all data"


class SubsetView(Workspace):
    """A read-only view of ``base`` whose tables hold only ``subset``'s rows. It shares the
    base's connection (closing the view leaves it open) and keeps derived results of its own."""

    def __init__(self, base: Workspace, subset: Subset) -> None:
        super().__init__(base.path, base.con, read_only=True, location=base.location)
        self._backend = base.backend
        self._taxonomy = base.taxonomy
        self.base = base
        self.subset = subset
        # temporary tables of this view are named apart from the base's (same connection)
        self.restriction = "s" + hashlib.sha256(repr(subset.key()).encode()).hexdigest()[:12]
        self._tables: dict[str, ir.Table] = {}

    def close(self) -> None:
        for value in self.derived.values():
            release = getattr(value, "release", None)
            if callable(release):
                release()
        self.derived.clear()

    @property
    def frozen(self) -> bool:
        return self.base.frozen

    def count(self, name: str) -> int:
        return int(self.table(name).count().execute())

    def table(self, name: str) -> ir.Table:
        if name not in self._tables:
            t = self._restricted(name)
            # a relation of its own: ibis then never mistakes a column of one restricted
            # table for one of another built on the same base table (a join of the two)
            self._tables[name] = t if t is self.base.table(name) else t.view()
        return self._tables[name]

    def _restricted(self, name: str) -> ir.Table:
        t = self.base.table(name)
        s = self.subset
        if name == "questions":
            return t if s.touchpoint is None else _of_touchpoint(t, s.touchpoint)
        if name == "respondents":
            if s.segment is not None:
                t = t.filter((t.kind != "customer") | (t.segment == s.segment))
            if s.department is not None:
                t = t.filter((t.kind != "staff") | (t.department == s.department))
            return t
        if name in ("responses", "invitations"):
            if s.wave is not None:
                t = t.filter(t.wave == s.wave)
            if s.segment is not None or s.department is not None:
                t = t.semi_join(self.table("respondents").select("respondent_id"), "respondent_id")
            if name == "responses" and s.touchpoint is not None:
                t = t.semi_join(self.table("questions").select("question_id"), "question_id")
            return t
        if name == "documents":
            if s.wave is not None:
                t = t.filter(t.wave == s.wave)
            if s.segment is not None:
                t = self._of_customers(t)
            if s.touchpoint is not None:
                a = self.base.table("document_aspects")
                about = a.filter((a.aspect_kind == "touchpoint") & (a.aspect == s.touchpoint))
                t = t.semi_join(about.select("document_id").distinct(), "document_id")
            return t
        if name in ("document_tags", "document_aspects", "document_originals"):
            if s.wave is None and s.segment is None and s.touchpoint is None:
                return t
            return t.semi_join(self.table("documents").select("document_id"), "document_id")
        if name == "events":
            if s.segment is not None:
                t = self._of_customers(t)
            if s.touchpoint is not None:
                t = t.filter(t.touchpoint.isnull() | (t.touchpoint == s.touchpoint))
            return t
        if name == "cases":
            if s.segment is not None:
                t = self._of_customers(t)
            if s.touchpoint is not None:
                t = t.filter(t.touchpoint == s.touchpoint)
            if s.department is not None:
                t = t.filter(t.owner == s.department)
            return t
        if name == "contacts":
            if s.segment is not None:
                t = self._of_customers(t)
            if s.department is not None:
                staff = self.table("respondents")
                staff = staff.filter(staff.kind == "staff").select(staff_id=staff.respondent_id)
                t = t.semi_join(staff, "staff_id")
            return t
        return t

    def _of_customers(self, t: ir.Table) -> ir.Table:
        """Rows of ``t`` whose ``customer_id`` is a customer of the view."""
        r = self.table("respondents")
        customers = r.filter(r.kind == "customer").select(customer_id=r.respondent_id)
        return t.semi_join(customers, "customer_id")


def _of_touchpoint(q: ir.Table, touchpoint: str) -> ir.Table:
    return q.filter(q.touchpoint.isnull() | (q.touchpoint == touchpoint))


def restrict(ws: Workspace, subset: Subset | None) -> Workspace:
    """``ws`` itself when nothing is filtered, else a :class:`SubsetView` of it."""
    if subset is None or subset.everything:
        return ws
    return SubsetView(ws, subset)


def choices(ws: Workspace) -> dict[str, list[str]]:
    """The values each filter can take in ``ws``: waves answered, customer segments, touchpoints
    of the taxonomy, staff departments (sorted)."""
    r = ws.table("respondents")

    def distinct(column: Any) -> list[str]:
        values = column.as_table().distinct().execute().iloc[:, 0]
        return sorted(str(v) for v in values if v is not None and v == v)

    return {
        "wave": distinct(ws.table("responses").wave),
        "segment": distinct(r.filter(r.kind == "customer").segment),
        "touchpoint": sorted(tp.id for tp in ws.taxonomy.touchpoints),
        "department": distinct(r.filter(r.kind == "staff").department),
    }
