"""Checking the frames a report is handed: each must carry the columns the report reads."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from sma.errors import SmaError


class ReportDataError(SmaError, ValueError):
    """A frame handed to a report lacks a column or holds a value the report cannot show.

    Attributes
    ----------
    frame : str
        Which input (``"decisions"``, ``"realized"``, ...).
    column : str or None
        The column concerned, if one.
    why : str
        What is wrong, in words.
    """

    def __init__(self, frame: str, column: str | None, why: str) -> None:
        self.frame = frame
        self.column = column
        self.why = why
        where = frame if column is None else f"{frame}.{column}"
        super().__init__(f"{where}: {why}")


def require_columns(name: str, frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise ``ReportDataError`` naming the first column of ``columns`` missing from ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise ReportDataError(name, None, f"expected a DataFrame, got {type(frame).__name__}")
    for column in columns:
        if column not in frame.columns:
            raise ReportDataError(name, column, "missing column")


def as_dates(name: str, frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as datetime64 days; unparseable values raise ``ReportDataError``."""
    try:
        return pd.to_datetime(frame[column], errors="raise").dt.normalize()
    except (ValueError, TypeError) as exc:
        raise ReportDataError(name, column, f"not a date: {exc}") from exc
