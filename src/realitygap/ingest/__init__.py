"""Importers: CSV, XLSX, JSON Lines, Parquet and survey-tool exports into a workspace.

Every import is validated whole before anything is written (all problems of a file are
reported together in one :class:`~realitygap.domain.errors.SurveyDataError`), lands in one
transaction, and is idempotent on ids. The formats are documented in ``docs/formats.md``.
"""

from realitygap.ingest._import import KINDS, TOOL_FORMATS, ImportReport, import_file
from realitygap.ingest._mapping import Mapping
from realitygap.ingest._problems import MAX_PROBLEMS

__all__ = ["KINDS", "MAX_PROBLEMS", "TOOL_FORMATS", "ImportReport", "Mapping", "import_file"]
