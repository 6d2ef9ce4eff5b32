"""Workspace storage: schema, migrations and connections."""

from realitygap.store.schema import KEYS, SCHEMA_VERSION
from realitygap.store.workspace import DB_FILE, TAXONOMY_FILE, Workspace

__all__ = ["DB_FILE", "KEYS", "SCHEMA_VERSION", "TAXONOMY_FILE", "Workspace"]
