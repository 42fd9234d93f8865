"""A night's process loads what a night uses: the PDF writers' libraries (reportlab, matplotlib,
scipy.optimize: ~0.7 s of every start) load only where statements or Form 8949 are written. Every
`sma nightly`, every decide worker and every Airflow task starts a process that imports the night's
steps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PDF_LIBRARIES = ["matplotlib", "reportlab", "scipy.optimize"]


def loaded_after(code: str) -> list[str]:
    """Which of ``PDF_LIBRARIES`` a fresh interpreter holds after running ``code``."""
    found = f"sorted(set({PDF_LIBRARIES!r}) & set(sys.modules))"
    probe = f"import json, sys\n{code}\nprint(json.dumps({found}))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_nights_steps_and_the_cli_load_no_pdf_library():
    code = "import pipelines.ingest, pipelines.night, pipelines.reports, pipelines.cli"
    assert loaded_after(code) == []


def test_the_pdf_writers_still_load_where_statements_are_written():
    """The lazy names are the real writers, loaded on first use (PEP 562)."""
    code = (
        "import sma.reporting as r\n"
        "from sma.reporting._statement_pdf import render_statement_pdf\n"
        "from sma.reporting._form8949 import form_8949_rows\n"
        "assert r.render_statement_pdf is render_statement_pdf\n"
        "assert r.form_8949_rows is form_8949_rows"
    )
    assert loaded_after(code) == sorted(PDF_LIBRARIES)


def test_a_name_the_package_does_not_have_is_an_attribute_error():
    import sma.reporting

    with pytest.raises(AttributeError, match="no attribute 'render_nothing'"):
        sma.reporting.render_nothing  # noqa: B018
