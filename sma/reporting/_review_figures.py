"""What the review page shows first: the night's exceptions, and accounts per status."""

from __future__ import annotations

import pandas as pd

from sma.reporting._review_data import EXCEPTION_KINDS, STATUSES, ReviewData

EXCEPTION_VIEW_COLUMNS = ["account_id", "client_name", "kind", "reason"]


def exception_rows(data: ReviewData) -> pd.DataFrame:
    """The night's exceptions, one row per account and kind, as the check step wrote them (the same
    rows the store and ``sma nightly`` count): kinds that hold an account out first."""
    names = data.decisions[["account_id", "client_name"]].drop_duplicates("account_id")
    rows = (
        data.exceptions[["account_id", "kind", "reason"]]
        .astype({"kind": str})
        .merge(names, on="account_id", how="left")
    )
    rows["client_name"] = rows["client_name"].fillna("")
    order = {k: i for i, k in enumerate(EXCEPTION_KINDS)}
    rows["_order"] = rows["kind"].map(order).fillna(len(order))
    rows = rows.sort_values(["_order", "account_id"], kind="stable")
    return rows[EXCEPTION_VIEW_COLUMNS].reset_index(drop=True)


def status_counts(decisions: pd.DataFrame) -> dict[str, int]:
    """Accounts per decision status, in ``STATUSES`` order (zeros included)."""
    counts = decisions["status"].astype(str).value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}
