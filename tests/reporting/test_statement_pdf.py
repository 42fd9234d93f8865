"""The client statement PDF: opens with a PDF parser, carries every section and the golden
figures, is byte-identical for identical input, and never interprets a client's text as markup."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from reporting_samples import statement_data

from sma.ledger import money
from sma.reporting import Firm, render_statement_pdf
from sma.reporting._figures import statement_figures
from sma.reporting._format import percent
from sma.reporting._statement_pdf import SECTIONS

ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "artefacts"


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def taxable_pdf() -> bytes:
    return render_statement_pdf(statement_data())


def test_statement_has_every_section_and_page_numbers(taxable_pdf):
    pages, text = pdf_text(taxable_pdf)
    for number, name in enumerate(SECTIONS, start=1):
        assert f"{number}. {name}" in text
    assert "Statement 2026-Q3" in text and "Prepared for Jordan & Casey Rivera" in text
    for n in range(1, pages + 1):
        assert f"Page {n} of {pages}" in text


def test_statement_prints_the_golden_figures(taxable_pdf):
    """The figures printed are those computed by statement_figures, formatted once."""
    f = statement_figures(statement_data())
    _, text = pdf_text(taxable_pdf)
    for figure in (
        money(f.change.value_end),  # account value
        percent(f.period.account),
        percent(f.period.benchmark),
        percent(f.ytd.account),
        percent(f.since_inception.account),
        percent(f.since_inception.account_annualised),
        "$823.00",  # tax on 600 ST + 600 LT gains netted away (222 + 120) + the 1,300 ordinary offset x 37 %
        "$1,300.00",  # the net capital loss set against ordinary income (IRC 1211(b))
        percent(f.period.money_weighted),
        percent(f.since_inception.money_weighted_annualised),
        "-$1,300.00",  # realized net year to date
        "$500.00",  # wash-sale loss disallowed
        money(f.unrealized.gain),
        "$20,000.00",  # the contribution
    ):
        assert figure in text, figure


def test_identical_input_gives_identical_bytes(taxable_pdf):
    assert render_statement_pdf(statement_data()) == taxable_pdf


def test_client_text_is_never_interpreted_as_markup():
    """CVE-2023-33733: reportlab markup in a client's name is shown literally, never evaluated."""
    payload = (
        "<font color=\"[ [ getattr(pow, Word('__globals__'))['os'].system('touch "
        "/tmp/pwned') ] ]\">x</font>"
    )
    pages, text = pdf_text(render_statement_pdf(statement_data(client="Eve " + payload)))
    assert "Eve <font color=" in text
    assert not Path("/tmp/pwned").exists()


def test_tax_deferred_account_says_no_harvesting_and_values_none():
    pages, text = pdf_text(render_statement_pdf(statement_data(account_type="IRA")))
    assert "Traditional IRA" in text
    assert "tax-deferred" in text
    assert "losses are not harvested in it, and their estimated tax value is $0.00" in text
    assert "Losses harvested, year to date" not in text


def test_page_one_renders_to_png_for_people_to_look_at(taxable_pdf, tmp_path):
    """CI artefact: out/artefacts/statement_page1.png (pdftoppm, Debian package poppler-utils)."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, (
        "pdftoppm is missing: install Debian's poppler-utils (the project's setup does)"
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "statement.pdf").write_bytes(taxable_pdf)
    source = tmp_path / "statement.pdf"
    source.write_bytes(taxable_pdf)
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "110",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(ARTEFACTS / "statement_page1"),
        ],
        check=True,
        timeout=60,
    )
    png = (ARTEFACTS / "statement_page1.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_cash_raised_without_a_withdrawal_is_not_called_raising_cash_for_withdrawals():
    """Issue 15: "raised cash for withdrawals" printed beside "no withdrawals". Cash raised in a
    period without a withdrawal restores the cash reserve, and the statement says so."""
    data = statement_data()
    raise_only = data.trades.assign(reason="CASH_RAISE", side="SELL")
    data = replace(data, trades=raise_only, cash_flows=data.cash_flows.iloc[0:0])
    _, text = pdf_text(render_statement_pdf(data))
    flat = " ".join(text.split())
    assert "cash back up to its target reserve" in flat
    assert "withdrawals" not in flat.replace("No contributions or withdrawals", "").replace(
        "no contributions or withdrawals", ""
    ).replace("Contributions and withdrawals", "")


def test_firm_name_address_extra_disclosures_and_logo_come_from_the_data():
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(logo, format="PNG")
    firm = Firm(
        "Harbor & Pine <Advisors>",
        ("1 Harbor Way", "Portland, ME"),
        ("Fees are billed quarterly.",),
        logo.getvalue(),
    )
    pdf = render_statement_pdf(replace(statement_data(), firm=firm))
    _, text = pdf_text(pdf)
    assert (
        "Harbor & Pine <Advisors>" in text
        and "1 Harbor Way" in text
        and "Fees are billed quarterly." in text
    )
    assert "SMA Nightly" not in text
    assert b"/Subtype /Image" in pdf


def test_every_position_is_in_the_appendix_with_cost_basis_and_term(taxable_pdf):
    _, text = pdf_text(taxable_pdf)
    appendix = text[text.index(f"{len(SECTIONS)}. {SECTIONS[-1]}") :]
    for r in statement_data().holdings.itertuples(index=False):
        assert r.symbol in appendix and money(r.cost_basis) in appendix
    assert "Mixed" in appendix and "Long" in appendix and "Short" in appendix
