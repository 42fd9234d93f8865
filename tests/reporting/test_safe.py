"""Files that leave the system are safe (PRODUCT.md, "Non-functional"): ids used in file names
cannot leave their folder; CSV cells cannot start a formula (OWASP, "CSV Injection")."""

from __future__ import annotations

import os
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sma.inbox import ID_PATTERN
from sma.reporting import UnsafeIdError, safe_file_name
from sma.reporting._safe import escape_markup, neutralise_cell, neutralise_frame


@pytest.mark.parametrize(
    "bad",
    [
        "../etc",
        "..",
        ".",
        ".hidden",
        "a/b",
        "a\\b",
        "/abs",
        "",
        "a b",
        "x" * 65,
        "ACC\x00",
        "ACC\n1",
        "ACC:1",
        "ünï",
    ],
)
def test_an_id_that_could_leave_its_folder_is_refused(bad):
    with pytest.raises(UnsafeIdError) as e:
        safe_file_name(bad, ".pdf")
    assert e.value.value == bad


def test_a_plain_id_becomes_its_file_name():
    assert safe_file_name("ACC-0001", "_2026-Q3.pdf") == "ACC-0001_2026-Q3.pdf"


@pytest.mark.parametrize("suffix", ["/../x.pdf", ".pdf/..", "_a b.pdf", ".tar.gz.sh/"])
def test_a_suffix_that_is_not_plain_is_refused(suffix):
    with pytest.raises(UnsafeIdError):
        safe_file_name("ACC-1", suffix)


def test_a_non_string_id_is_refused():
    with pytest.raises(UnsafeIdError):
        safe_file_name(12, ".pdf")  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_every_accepted_name_stays_in_its_folder(text):
    try:
        name = safe_file_name(text, ".pdf")
    except UnsafeIdError:
        assert re.fullmatch(ID_PATTERN, text) is None
        return
    assert os.path.basename(name) == name and not name.startswith(".")
    assert os.path.normpath(os.path.join("/out/statements", name)).startswith("/out/statements/")


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_would_start_a_formula_is_prefixed_with_a_quote(cell):
    assert neutralise_cell(cell) == "'" + cell


def test_numbers_and_plain_text_are_left_alone():
    assert neutralise_cell(-12.5) == -12.5
    assert neutralise_cell("Apple Inc.") == "Apple Inc."
    frame = neutralise_frame(
        pd.DataFrame({"name": ["=cmd", "ok"], "amount": [-1.0, 2.0]}), ["name"]
    )
    assert list(frame["name"]) == ["'=cmd", "ok"] and list(frame["amount"]) == [-1.0, 2.0]


def test_markup_characters_are_escaped_for_reportlab():
    """CVE-2023-33733: reportlab's paragraph markup must never see a client's raw text."""
    assert escape_markup('<font color="x">&') == "&lt;font color=&quot;x&quot;&gt;&amp;"
