"""What the review page shows first: exceptions and tracking-error breaches."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.reporting._review_data import EXCEPTION_KINDS, STATUSES, ReviewData

EXCEPTION_VIEW_COLUMNS = ["account_id", "client_name", "kind", "reason"]
_HELD_STATUSES = ("FAILED", "HELD", "FLAGGED")


def above_te_limit(decisions: pd.DataFrame) -> pd.DataFrame:
    """Accounts whose tracking error after tonight's trades exceeds their limit (PRODUCT.md)."""
    te = decisions["te_after"].to_numpy(dtype=float)
    limit = decisions["max_tracking_error"].to_numpy(dtype=float)
    return decisions[np.isfinite(te) & (te > limit)]


def exception_rows(data: ReviewData) -> pd.DataFrame:
    """Every account needing the PM's eye, one row per account and kind, worst kind first.

    The night's exceptions as given; plus accounts whose decision is FAILED, HELD or FLAGGED
    (unless the exceptions list the account already) and accounts above their tracking-error
    limit that are listed nowhere else.
    """
    names = data.decisions[["account_id", "client_name"]].drop_duplicates("account_id")
    given = data.exceptions[["account_id", "kind", "reason"]].astype({"kind": str})
    held = data.decisions[data.decisions["status"].isin(_HELD_STATUSES)]
    held = held[~held["account_id"].isin(given["account_id"])]
    from_status = pd.DataFrame({"account_id": held["account_id"], "kind": held["status"].astype(str),
                                "reason": held["reason"]})
    te = above_te_limit(data.decisions)
    te = te[~te["account_id"].isin(pd.concat([given["account_id"], from_status["account_id"]]))]
    from_te = pd.DataFrame({
        "account_id": te["account_id"],
        "kind": "TE_LIMIT",
        "reason": [f"tracking error {a:.2%} after trades, limit {b:.2%}"
                   for a, b in zip(te["te_after"], te["max_tracking_error"], strict=True)],
    })
    rows = pd.concat([given, from_status, from_te], ignore_index=True)
    rows = rows.merge(names, on="account_id", how="left")
    rows["client_name"] = rows["client_name"].fillna("")
    order = {k: i for i, k in enumerate((*_HELD_STATUSES[:2], *EXCEPTION_KINDS, "FLAGGED"))}
    rows["_order"] = rows["kind"].map(order).fillna(len(order))
    rows = rows.sort_values(["_order", "account_id"], kind="stable")
    return rows[EXCEPTION_VIEW_COLUMNS].reset_index(drop=True)


def status_counts(decisions: pd.DataFrame) -> dict[str, int]:
    """Accounts per decision status, in ``STATUSES`` order (zeros included)."""
    counts = decisions["status"].astype(str).value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}
