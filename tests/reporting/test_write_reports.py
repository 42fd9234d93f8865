"""pipelines.reports: reports land whole, under names built only from safe ids."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from reporting_samples import realized_rows, review_data, statement_data

from pipelines.reports import (
    review_server,
    statement_file_name,
    write_form_8949,
    write_review_page,
    write_statement,
)
from sma.reporting import UnsafeIdError


def test_review_page_and_statement_are_written_whole_and_named_from_ids(tmp_path):
    page = write_review_page(review_data(), tmp_path / "runs" / "R1")
    pdf = write_statement(statement_data(), tmp_path / "statements")
    assert page.name == "review.html" and page.read_text(encoding="utf-8").endswith("</html>")
    assert pdf.name == "ACC-0001_2026-Q3.pdf" and pdf.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in (tmp_path / "statements").iterdir()) == ["ACC-0001_2026-Q3.pdf"]


def test_form_8949_is_written_as_csv_and_pdf(tmp_path):
    csv_path, pdf_path = write_form_8949(
        realized_rows(), "Jordan Rivera", "ACC-0001", 2026, tmp_path
    )
    assert (csv_path.name, pdf_path.name) == ("ACC-0001_8949_2026.csv", "ACC-0001_8949_2026.pdf")
    assert csv_path.read_text().startswith("Part,(a) Description of property")


@pytest.mark.parametrize(
    "account_id, label", [("../ACC", "2026-Q3"), ("ACC-1", "../../x"), ("ACC-1", "Q3/..")]
)
def test_an_id_or_period_that_could_leave_the_folder_writes_nothing(tmp_path, account_id, label):
    with pytest.raises(UnsafeIdError):
        statement_file_name(account_id, label)


def a_run_folder(root: Path) -> Path:
    """A run folder as a night and a release leave it: the page and its accounts.csv beside the
    proposal, the blotter's FIX orders and audit log, and the summary."""
    run = root / "runs" / "2026-11-25"
    write_review_page(review_data(n_accounts=12), run)
    (run / "accounts.csv").write_text("account_id,status\nACC-0001,TRADED\n")
    (run / "summary.json").write_text("{}")
    for name, text in (
        ("proposal/trades.parquet", "PAR1"),
        ("blotter/audit.jsonl", '{"action":"RELEASE","state":"RELEASED"}\n'),
        ("blotter/exports/orders.fix", "8=FIX.4.4\x01"),
        ("blotter/.lock", ""),
    ):
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text(text)
    (root / "secret.txt").write_text("not for the review page")
    return run


@contextmanager
def serving(folder: Path) -> Iterator[tuple[ThreadingHTTPServer, int]]:
    server = review_server(folder, port=0)
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    try:
        yield server, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        worker.join(timeout=30)


@pytest.fixture(scope="module")
def served_run(tmp_path_factory) -> Iterator[int]:
    """One run folder served for the tests that only ask it for paths: the server's port."""
    with serving(a_run_folder(tmp_path_factory.mktemp("served"))) as (_, port):
        yield port


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client-side normalising of ``..``)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_review_server_binds_to_localhost_only(tmp_path):
    """Issue 14 (8): `--serve` binds to 127.0.0.1, never to every interface."""
    with serving(a_run_folder(tmp_path)) as (server, _):
        assert server.socket.getsockname()[0] == "127.0.0.1"
        assert server.server_address[0] == "127.0.0.1"


def test_review_server_serves_the_review_page_and_the_accounts_list_it_names(tmp_path):
    run = a_run_folder(tmp_path)
    page = (run / "review.html").read_bytes()
    with serving(run) as (_, port):
        status, served = get(port, "/review.html")
        assert status == 200 and get(port, "/") == (200, served)
        assert get(port, "/accounts.csv") == (200, (run / "accounts.csv").read_bytes())
    # Only the blotter card differs: the page was written when nothing was proposed, the log now
    # says RELEASED.
    assert b'id="blotter-state" class="state none">none<' in page
    assert (
        b'id="blotter-state" class="state RELEASED">RELEASED<' in served
        and b"now, from the audit log" in served
    )
    card = re.compile(rb"<!--blotter-->.*?<!--/blotter-->")
    assert card.sub(b"", served) == card.sub(b"", page)


def test_review_server_still_serves_the_page_when_the_audit_log_is_damaged(tmp_path):
    run = a_run_folder(tmp_path)
    (run / "blotter" / "audit.jsonl").write_text("{not json\n")
    with serving(run) as (_, port):
        status, served = get(port, "/review.html")
    assert (
        status == 200
        and b'class="state UNREADABLE">UNREADABLE<' in served
        and b"sma blotter verify" in served
    )


@pytest.mark.parametrize(
    "path",
    [
        "/blotter/exports/orders.fix",
        "/blotter/audit.jsonl",
        "/blotter/",
        "/blotter/.lock",
        "/proposal/trades.parquet",
        "/proposal/",
        "/summary.json",
        "/runs",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/./review.html/../blotter/audit.jsonl",
        "/review.html/..",
        "/blotter%2faudit.jsonl",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
    ],
)
def test_review_server_answers_404_for_everything_but_the_page_and_its_accounts_list(
    served_run, path
):
    """Issue 14 (8): the run folder's orders, audit log and proposal are not served, however asked
    for."""
    status, body = get(served_run, path)
    assert status == 404
    assert b"FIX" not in body and b"RELEASE" not in body and b"not for the review page" not in body


def test_review_server_does_not_follow_a_symlink_planted_under_an_allowed_name(tmp_path):
    run = a_run_folder(tmp_path)
    (run / "accounts.csv").unlink()
    (run / "accounts.csv").symlink_to(run / "blotter" / "exports" / "orders.fix")
    with serving(run) as (_, port):
        assert get(port, "/accounts.csv")[0] == 404
        assert get(port, "/review.html")[0] == 200
