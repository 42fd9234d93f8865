"""Form 8949 layout (Instructions for Form 8949): Part I short-term, Part II long-term; columns
(a)-(h) with (h) = (d) - (e) + (g); a disallowed wash-sale loss in (g) with code W."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from reporting_samples import realized_rows

from sma.reporting import ReportDataError, form_8949_csv, form_8949_rows, render_form_8949_pdf
from sma.reporting._form8949 import FORM_8949_COLUMNS


def test_short_term_sales_go_to_part_one_and_long_term_to_part_two():
    """Form 8949: Part I for assets held one year or less, Part II for more than one year."""
    rows = form_8949_rows(realized_rows())
    assert list(rows["part"]) == ["I", "I", "I", "I", "II", "II"]
    assert set(rows.loc[rows["part"] == "II", "symbol"]) == {"PFE", "KO"}


def test_wash_sale_adjustment_is_positive_with_code_w_and_column_h_adds_it_back():
    """Instructions for Form 8949, column (g): enter the nondeductible wash-sale loss as a positive
    number with code W in column (f); (h) = (d) - (e) + (g)."""
    rows = form_8949_rows(realized_rows())
    washed = rows[rows["lot_id"] == "L-103"].iloc[0]
    assert (washed["code"], washed["adjustment"], washed["gain"]) == ("W", 500.0, 0.0)
    assert washed["description"] == "50 sh. INTC"
    assert (washed["date_acquired"], washed["date_sold"]) == ("11/10/2025", "07/14/2026")
    assert (rows["gain"] == rows["proceeds"] - rows["cost_basis"] + rows["adjustment"]).all()


def test_disallowed_loss_without_a_code_is_still_marked_w():
    realized = realized_rows().assign(adjustment_code="")
    rows = form_8949_rows(realized)
    assert list(rows.loc[rows["adjustment"] > 0, "code"]) == ["W"]


def test_a_gain_that_does_not_add_up_is_refused_naming_the_lot():
    realized = realized_rows()
    realized.loc[0, "gain"] = 601.0
    with pytest.raises(ReportDataError, match="L-101") as e:
        form_8949_rows(realized)
    assert (e.value.frame, e.value.column) == ("realized", "gain")


def test_csv_has_the_forms_headings_and_no_cell_can_start_a_formula():
    """OWASP CSV injection: text cells starting with = + - @ are prefixed with a quote."""
    realized = realized_rows()
    realized.loc[0, "lot_id"] = '=HYPERLINK("http://x")'
    text = form_8949_csv(form_8949_rows(realized))
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][1:9] == list(FORM_8949_COLUMNS.values())
    lot = [r for r in table[1:] if "HYPERLINK" in r[-1]][0][-1]
    assert lot.startswith("'=")
    assert all(not cell.startswith(("=", "+", "@")) for r in table[1:] for cell in r)
    loss = [r for r in table[1:] if r[-1] == "L-102"][0]
    assert loss[8] == "-1000.00"  # a number stays a number


def test_pdf_has_both_parts_with_totals_and_escapes_the_client():
    rows = form_8949_rows(realized_rows())
    pdf = render_form_8949_pdf(rows, "Ann <b>Lee</b>", "ACC-0001", 2026)
    assert pdf == render_form_8949_pdf(rows, "Ann <b>Lee</b>", "ACC-0001", 2026)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Part I - Short-Term" in text and "Part II - Long-Term" in text
    assert "Ann <b>Lee</b>" in text
    assert "(h) Gain or (loss)" in text
    assert "-$700.00" in text  # Part I total of (h): 600 - 1,000 + 0 - 300
    assert "-$600.00" in text  # Part II total of (h): -1,200 + 600
    assert "Page 1 of 1" in text


def test_empty_year_gives_an_empty_form():
    rows = form_8949_rows(realized_rows().iloc[0:0])
    assert rows.empty
    assert form_8949_csv(rows).count("\n") == 1
    text = (
        PdfReader(io.BytesIO(render_form_8949_pdf(rows, "A", "ACC-1", 2026)))
        .pages[0]
        .extract_text()
    )
    assert text.count("No sales.") == 2
    assert isinstance(rows, pd.DataFrame)


def test_csv_matches_the_golden_file_checked_by_hand():
    """Golden file: the sample year's lots as they should be copied onto Form 8949."""
    golden = (Path(__file__).parent / "golden" / "form8949_ACC-0001_2026.csv").read_text()
    assert form_8949_csv(form_8949_rows(realized_rows())) == golden
