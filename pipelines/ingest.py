"""Steps 1–2 of a night: validate the inbox for a date and load it into the store as a snapshot.

Bad rows are quarantined and the accounts they touch are held out of trading; a whole-file
problem (a required file or column missing, an oversized or unreadable file) loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.settings import Settings
from pipelines.store import load_snapshot, open_store


class InboxRejected(Exception):
    """The inbox cannot be loaded at all; ``report`` is the readable validation report."""

    def __init__(self, report: str):
        super().__init__(report)
        self.report = report


@dataclass(frozen=True)
class IngestResult:
    as_of: date
    rows_loaded: dict[str, int]
    issues: pd.DataFrame
    held_accounts: dict[str, str]  # account_id -> why it is held out tonight
    report: str


def held_account_reasons(issues: pd.DataFrame, held: frozenset[str] | set[str]) -> dict[str, str]:
    """Why each held account is held: its first bad-input findings, in words a PM reads."""
    reasons: dict[str, str] = {}
    mine = issues[issues["account_id"].notna()] if len(issues) else issues
    for account_id in sorted(held):
        found = mine[mine["account_id"] == account_id] if len(mine) else mine
        parts = [
            f"{r.file}" + (f" row {int(r.row)}" if pd.notna(r.row) else "") + (f" {r.column}" if pd.notna(r.column) else "") + f": {r.rule}"
            for r in found.head(3).itertuples()
        ]
        more = len(found) - len(parts)
        reasons[account_id] = "bad input: " + ("; ".join(parts) or "touched by a bad row of a shared file") + (
            f" (+{more} more)" if more > 0 else ""
        )
    return reasons


def ingest(inbox: Path, as_of: date, settings: Settings) -> IngestResult:
    """Validate ``inbox/<as_of>/`` and load it into the store in one transaction."""
    from pipelines.validate import render_report, validate_inbox

    result = validate_inbox(Path(inbox), as_of, settings.validation)
    report = render_report(result)
    if result.fatal:
        raise InboxRejected(report)
    held = held_account_reasons(result.issues, result.held_accounts)
    with open_store(settings.store.path) as con:
        counts = load_snapshot(con, as_of, result.frames, result.issues, held)
    return IngestResult(as_of, counts, result.issues, held, report)
