"""Issues: what is wrong, and where, as one columnar table.

An issue names the file, the row (the 1-based data record: the first record after the header
is 1), the column, the rule broken, the bad value as text, a message a person reads, and the
account it touches. ``row`` is set exactly when that row was quarantined; it is null for
whole-file problems and for rules about a group of rows (a benchmark's weights, an account's
lots against its positions), which hold accounts without removing rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sma.inbox import ID_PATTERN

#: The columns of the issues table, in order.
ISSUE_COLUMNS = ("file", "row", "column", "rule", "value", "message", "account_id")


def empty_issues() -> pd.DataFrame:
    """An issues table with no rows and the documented columns and dtypes."""
    return issues_frame([], [], [], [], [], [], [])


def issues_frame(file, row, column, rule, value, message, account_id) -> pd.DataFrame:
    """Build an issues table from equal-length sequences (or scalars broadcast over ``row``).

    ``row`` is 1-based or null; ``account_id`` values that are not valid ids are dropped to null
    so an id such as ``../x`` never travels further as an account.
    """
    n = len(row)
    cols = {}
    for name, values in zip(ISSUE_COLUMNS, (file, row, column, rule, value, message, account_id)):
        if isinstance(values, str) or values is None:
            values = [values] * n
        cols[name] = list(values) if not isinstance(values, (np.ndarray, pd.Series)) else values
    frame = pd.DataFrame(
        {
            "file": pd.Series(cols["file"], dtype="str"),
            "row": pd.array(cols["row"], dtype="Int64"),
            "column": pd.Series(cols["column"], dtype="object"),
            "rule": pd.Series(cols["rule"], dtype="str"),
            "value": pd.Series(cols["value"], dtype="object"),
            "message": pd.Series(cols["message"], dtype="str"),
            "account_id": pd.Series(cols["account_id"], dtype="object"),
        }
    )
    frame["column"] = frame["column"].where(frame["column"].notna(), None)
    frame["value"] = frame["value"].where(frame["value"].notna(), None)
    account = pa.array(
        frame["account_id"].where(frame["account_id"].notna(), None).tolist(), pa.string()
    )
    valid = np.asarray(
        pc.fill_null(pc.match_substring_regex(account, ID_PATTERN), False), dtype=bool
    )
    frame["account_id"] = frame["account_id"].where(valid, None)
    return frame
