"""Write the reports people read into a folder: the run review page, client statements, Form 8949.

Each file is written under a temporary name in its folder and renamed into place, so a run killed
at any point leaves either the whole file or none; file names come only from ids that
``sma.reporting.safe_file_name`` accepts.
"""

from __future__ import annotations

import os
import stat
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd

from pipelines._atomic import write_atomically
from pipelines.blotter import TrailUnreadable, show
from sma.reporting import (
    BLOTTER_MARK,
    ReviewData,
    StatementData,
    blotter_card,
    render_review_page,
    safe_file_name,
)

REVIEW_PAGE = "review.html"
#: Every account of the night, beside the review page (which may list only some of them).
ACCOUNTS_CSV = "accounts.csv"
#: What ``sma review --serve`` serves, with its content type: the page and the file it names.
REVIEW_FILES = {REVIEW_PAGE: "text/html; charset=utf-8", ACCOUNTS_CSV: "text/csv; charset=utf-8"}


def write_review_page(data: ReviewData, folder: Path) -> Path:
    """The run's review page as ``folder/review.html`` (self-contained: open it from disk)."""
    return write_atomically(Path(folder) / REVIEW_PAGE, render_review_page(data).encode("utf-8"))


def statement_file_name(account_id: str, period_label: str) -> str:
    """``<account_id>_<period>.pdf``, e.g. ``ACC-0001_2026-Q3.pdf``; unsafe ids are refused."""
    return safe_file_name(account_id, f"_{safe_file_name(period_label)}.pdf")


def write_statement(data: StatementData, folder: Path) -> Path:
    """One account's statement PDF for its period, named by ``statement_file_name``."""
    from sma.reporting import render_statement_pdf  # loads reportlab and matplotlib (sma.reporting)

    name = statement_file_name(data.account_id, data.period.label)
    return write_atomically(Path(folder) / name, render_statement_pdf(data))


def write_form_8949(
    realized: pd.DataFrame,
    client: str,
    account_id: str,
    tax_year: int,
    folder: Path,
    manager: str = "SMA Nightly",
) -> tuple[Path, Path]:
    """The year's realized lots in Form 8949 layout as ``<account>_8949_<year>.csv`` and
    ``.pdf``."""
    from sma.reporting import form_8949_csv, form_8949_rows, render_form_8949_pdf  # reportlab

    rows = form_8949_rows(realized)
    stem = f"_8949_{int(tax_year)}"
    csv_path = write_atomically(
        Path(folder) / safe_file_name(account_id, stem + ".csv"),
        form_8949_csv(rows).encode("utf-8"),
    )
    pdf_path = write_atomically(
        Path(folder) / safe_file_name(account_id, stem + ".pdf"),
        render_form_8949_pdf(rows, client, account_id, tax_year, manager),
    )
    return csv_path, pdf_path


def review_server(folder: Path, port: int = 8765) -> ThreadingHTTPServer:
    """An HTTP server of a run's review page on 127.0.0.1 only (``sma review --serve``).

    It serves ``REVIEW_FILES`` from ``folder`` and nothing else: the page is self-contained (its
    stylesheet, script and charts are inline; its Content-Security-Policy loads nothing) and names
    ``accounts.csv`` as the list of every account. Any other path (the blotter, its FIX orders and
    audit log, the proposal, ``..`` however encoded) is 404, as is a listed file that is a symlink.
    The caller runs ``serve_forever()`` and ``server_close()``; ``port=0`` picks a free port.
    """
    return ThreadingHTTPServer(
        ("127.0.0.1", port), partial(_ReviewHandler, folder=Path(folder).resolve())
    )


class _ReviewHandler(BaseHTTPRequestHandler):
    """GET/HEAD of ``/`` (the page) or of a name in ``REVIEW_FILES``; 404 for anything else."""

    def __init__(self, *args, folder: Path, **kwargs) -> None:
        self.folder = folder
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._send(body=True)

    def do_HEAD(self) -> None:
        self._send(body=False)

    def _send(self, body: bool) -> None:
        name = unquote(urlsplit(self.path).path).lstrip("/") or REVIEW_PAGE
        data = _served_file(self.folder, name)
        if data is not None and name == REVIEW_PAGE:
            data = with_blotter_state(data, self.folder)
        if data is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", REVIEW_FILES[name])
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)


def blotter_state(run_dir: Path) -> str:
    """The run's blotter state from its audit log (``pipelines.blotter.show``); "" when it has
    none."""
    state = show(run_dir).state
    return "" if state is None else str(state)


def with_blotter_state(page: bytes, run_dir: Path) -> bytes:
    """The page with its blotter card showing the state the run's audit log holds now.

    The page is written at night, when the blotter is PROPOSED; served in the morning it shows
    whether it has since been approved, rejected or released (``pipelines.blotter.show``).
    """
    start, end = (m.encode() for m in BLOTTER_MARK)
    i, j = page.find(start), page.find(end)
    if i < 0 or j < i:
        return page
    try:
        state, when = blotter_state(run_dir), "now, from the audit log"
    except (
        TrailUnreadable,
        KeyError,
        ValueError,
    ):  # a damaged log must not take the page down with it
        state, when = "UNREADABLE", "the audit log cannot be read: run sma blotter verify"
    card = blotter_card(state, when).encode("utf-8")
    return page[:i] + card + page[j + len(end) :]


def _served_file(folder: Path, name: str) -> bytes | None:
    """The bytes of ``folder/name`` if ``name`` is on the allow-list and a regular file (not a
    link)."""
    if name not in REVIEW_FILES:
        return None
    try:
        fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read() if stat.S_ISREG(os.fstat(f.fileno()).st_mode) else None
