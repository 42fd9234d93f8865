"""Text that leaves the system safely: file names from ids, escaped markup, inert CSV cells.

* A file name is built only from an id matching ``sma.inbox.ID_PATTERN`` (letters, digits, '.',
  '_' and '-', not starting with '.'), so no id can leave its folder (PRODUCT.md, "Non-functional").
* reportlab's ``Paragraph`` parses a markup language whose attribute values were once evaluated
  as Python (CVE-2023-33733); every client-supplied string is escaped before it reaches one.
* A spreadsheet evaluates a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
  as a formula (OWASP, "CSV Injection"); such text cells are prefixed with a single quote.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape as _xml_escape

import pandas as pd

from sma.errors import SmaError
from sma.inbox import FORMULA_PREFIXES, ID_PATTERN

_ID = re.compile(ID_PATTERN)
_SUFFIX = re.compile(r"^[A-Za-z0-9_-]{0,40}(\.[A-Za-z0-9]{1,8})?$")


class UnsafeIdError(SmaError, ValueError):
    """An id that would not stay inside its folder as (part of) a file name.

    Attributes
    ----------
    value : str
        The refused id, as given.
    why : str
        Which rule it breaks.
    """

    def __init__(self, value: object, why: str) -> None:
        self.value = value
        self.why = why
        super().__init__(f"unsafe id {value!r} for a file name: {why}")


def safe_file_name(identifier: str, suffix: str = "") -> str:
    """The file name ``<identifier><suffix>`` for an id, refusing any id that could escape.

    Parameters
    ----------
    identifier : str
        An account id or run id; must match ``sma.inbox.ID_PATTERN`` in full.
    suffix : str
        Appended as is, e.g. ``"_2026-Q3.pdf"``: letters, digits, '_' and '-', then one extension.

    Raises
    ------
    UnsafeIdError
        When the id is not a string, does not match the pattern, or the suffix is not plain.
    """
    if not isinstance(identifier, str):
        raise UnsafeIdError(identifier, "not a string")
    if _ID.fullmatch(identifier) is None:
        raise UnsafeIdError(identifier, f"does not match {ID_PATTERN}")
    if _SUFFIX.fullmatch(suffix) is None:
        raise UnsafeIdError(identifier + suffix, f"suffix {suffix!r} is not plain")
    return identifier + suffix


def escape_markup(text: object) -> str:
    """``text`` with ``&``, ``<``, ``>`` and quotes escaped, safe inside reportlab markup."""
    return _xml_escape(str(text), {'"': "&quot;", "'": "&#39;"})


def neutralise_cell(text: object) -> object:
    """A text cell that a spreadsheet shows as text, never evaluates; other values unchanged."""
    if isinstance(text, str) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def neutralise_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy of ``frame`` whose text ``columns`` cannot start a formula (numbers stay numbers)."""
    out = frame.copy()
    for name in columns:
        out[name] = out[name].map(neutralise_cell).astype(object)
    return out
