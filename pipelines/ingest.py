"""Steps 1–2 of a night: validate the inbox for a date and load it into the store as a snapshot.

Bad rows are quarantined and the accounts they touch are held out of trading; a whole-file
problem (a required file or column missing, an oversized or unreadable file) loads nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.errors import PipelineError
from pipelines.settings import Settings
from pipelines.store import load_staged, open_store

log = logging.getLogger(__name__)


class InboxRejected(PipelineError):
    """The inbox cannot be loaded at all; ``report`` is the readable validation report."""

    def __init__(self, report: str):
        super().__init__(report)
        self.report = report


@dataclass(frozen=True)
class IngestResult:
    """What a load did.

    Attributes
    ----------
    rows_loaded : store table -> clean rows loaded.
    issues : the first ``max_errors_reported`` issues (the report's); the store's quarantine has
    all.
    issue_count : every issue found.
    held_accounts : account_id -> why it is held out tonight.
    report : the readable validation report.
    """

    as_of: date
    rows_loaded: dict[str, int]
    issues: pd.DataFrame
    held_accounts: dict[str, str]
    report: str
    issue_count: int = 0


def ingest(inbox: Path, as_of: date, settings: Settings) -> IngestResult:
    """Validate ``inbox/<as_of>/`` and load its clean rows into the store in one transaction.

    The inbox is validated batch by batch into a staging database attached to the store's
    connection, and loaded from there: no file is ever whole in memory.
    """
    from pipelines.corporate_actions import CORPORATE_ACTION_FILL_ID, book_corporate_actions
    from pipelines.validate import render_report, stage_inbox

    store = Path(settings.store.path)
    # A fixed folder beside the store (or under staging_dir): a run killed mid-ingest leaves its
    # staged copy there, and the next ingest -- the store's only writer -- clears it.
    folder = (settings.validation.staging_dir or store.parent) / f"{store.name}.staging"
    with (
        open_store(store) as con,
        stage_inbox(Path(inbox), as_of, settings.validation, con, staging_folder=folder) as staged,
    ):
        result = staged.result
        report = render_report(result, max_issues=settings.validation.max_errors_reported)
        if result.fatal:
            raise InboxRejected(report)
        held = dict(result.held_reasons)
        started = time.perf_counter()
        counts = load_staged(con, as_of, staged.clean_rows(), staged.issues_in_report_order(), held)
        # Tonight's corporate actions realize gains on their ex date, traded or not. Booking reads
        # every lot of the night into memory: skipped when there is nothing to book or take back.
        if _has_corporate_actions(con, as_of, CORPORATE_ACTION_FILL_ID):
            book_corporate_actions(con, as_of)
        log.info(
            "%s rows loaded into the store in %.1f s",
            f"{sum(counts.values()):,}",
            time.perf_counter() - started,
        )
    return IngestResult(as_of, counts, result.issues, held, report, result.issue_count)


def _has_corporate_actions(con, as_of: date, fill_id: str) -> bool:
    """The night's inbox has corporate actions, or an earlier load of the night booked some (a
    rerun takes them back)."""
    return bool(
        con.execute(
            "SELECT EXISTS (SELECT 1 FROM inbox_corporate_actions WHERE as_of_date = ?) "
            "OR EXISTS (SELECT 1 FROM realized_gains WHERE as_of_date = ? AND fill_id = ?)",
            [as_of, as_of, fill_id],
        ).fetchall()[0][0]
    )
