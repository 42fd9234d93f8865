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
    mine = issues[issues["account_id"].isin(held)] if len(issues) else issues
    where = (
        mine["file"].astype(str)
        + mine["row"].map(lambda r: f" row {int(r)}" if pd.notna(r) else "")
        + mine["column"].map(lambda c: f" {c}" if pd.notna(c) else "")
        + ": " + mine["rule"].astype(str)
    ) if len(mine) else pd.Series(dtype=str)
    found = where.groupby(mine["account_id"]) if len(mine) else None
    first = found.apply(lambda w: "; ".join(w.head(3))) if found is not None else pd.Series(dtype=str)
    more = (found.size() - 3).clip(lower=0) if found is not None else pd.Series(dtype=int)
    return {
        account_id: "bad input: " + first.get(account_id, "touched by a bad row of a shared file")
        + (f" (+{int(more[account_id])} more)" if more.get(account_id, 0) > 0 else "")
        for account_id in sorted(held)
    }


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
