"""The DuckDB store: versioned schema, dated snapshots of the inbox, quarantine, summaries.

Only one process writes the store at a time; open it with :func:`open_store` for one short
connection per step. SCHEMA.md beside this file documents every table.
"""

from pipelines.store._load import (
    StoreError,
    load_snapshot,
    load_staged,
    open_store,
    transaction,
)
from pipelines.store._schema import SCHEMA_VERSION, table_name
from pipelines.store._summary import BookSummary, book_summary, render_book_summary

__all__ = [
    "SCHEMA_VERSION",
    "BookSummary",
    "StoreError",
    "book_summary",
    "load_snapshot",
    "load_staged",
    "open_store",
    "render_book_summary",
    "table_name",
    "transaction",
]
