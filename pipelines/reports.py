"""Write the reports people read into a folder: the run review page, client statements, Form 8949.

Each file is written under a temporary name in its folder and renamed into place, so a run killed
at any point leaves either the whole file or none; file names come only from ids that
``sma.reporting.safe_file_name`` accepts.
"""

from __future__ import annotations

from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd

from pipelines._atomic import write_atomically as write_file_atomically

from sma.reporting import (
    ReviewData,
    StatementData,
    form_8949_csv,
    form_8949_rows,
    render_form_8949_pdf,
    render_review_page,
    render_statement_pdf,
    safe_file_name,
)

REVIEW_PAGE = "review.html"


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` (created if missing) all at once; return the path."""
    return write_file_atomically(Path(folder) / name, data)


def write_review_page(data: ReviewData, folder: Path) -> Path:
    """The run's review page as ``folder/review.html`` (self-contained: open it from disk)."""
    return write_atomically(Path(folder), REVIEW_PAGE, render_review_page(data).encode("utf-8"))


def statement_file_name(account_id: str, period_label: str) -> str:
    """``<account_id>_<period>.pdf``, e.g. ``ACC-0001_2026-Q3.pdf``; unsafe ids are refused."""
    return safe_file_name(account_id, f"_{safe_file_name(period_label)}.pdf")


def write_statement(data: StatementData, folder: Path) -> Path:
    """One account's statement PDF for its period, named by ``statement_file_name``."""
    name = statement_file_name(data.account_id, data.period.label)
    return write_atomically(Path(folder), name, render_statement_pdf(data))


def write_form_8949(
    realized: pd.DataFrame, client: str, account_id: str, tax_year: int, folder: Path, manager: str = "SMA Nightly"
) -> tuple[Path, Path]:
    """The year's realized lots in Form 8949 layout as ``<account>_8949_<year>.csv`` and ``.pdf``."""
    rows = form_8949_rows(realized)
    stem = f"_8949_{int(tax_year)}"
    csv_path = write_atomically(Path(folder), safe_file_name(account_id, stem + ".csv"),
                                form_8949_csv(rows).encode("utf-8"))
    pdf_path = write_atomically(Path(folder), safe_file_name(account_id, stem + ".pdf"),
                                render_form_8949_pdf(rows, client, account_id, tax_year, manager))
    return csv_path, pdf_path


def review_server(folder: Path, port: int = 8765) -> ThreadingHTTPServer:
    """An HTTP server for a run folder on localhost only (``sma review --serve``).

    The caller runs ``serve_forever()`` and ``server_close()``; ``port=0`` picks a free port.
    The page needs no server; this is for colleagues who prefer a URL.
    """
    handler = partial(SimpleHTTPRequestHandler, directory=str(Path(folder).resolve()))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)
