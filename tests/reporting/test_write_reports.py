"""pipelines.reports: reports land whole, under names built only from safe ids."""

from __future__ import annotations

import threading
import urllib.request

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
    csv_path, pdf_path = write_form_8949(realized_rows(), "Jordan Rivera", "ACC-0001", 2026, tmp_path)
    assert (csv_path.name, pdf_path.name) == ("ACC-0001_8949_2026.csv", "ACC-0001_8949_2026.pdf")
    assert csv_path.read_text().startswith("Part,(a) Description of property")


@pytest.mark.parametrize("account_id, label", [("../ACC", "2026-Q3"), ("ACC-1", "../../x"), ("ACC-1", "Q3/..")])
def test_an_id_or_period_that_could_leave_the_folder_writes_nothing(tmp_path, account_id, label):
    with pytest.raises(UnsafeIdError):
        statement_file_name(account_id, label)


def test_review_server_serves_the_run_folder_on_localhost_only(tmp_path):
    page = write_review_page(review_data(n_accounts=12), tmp_path)
    server = review_server(tmp_path, port=0)
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/review.html", timeout=30) as response:
            assert response.read() == page.read_bytes()
    finally:
        server.shutdown()
        server.server_close()
        worker.join()
