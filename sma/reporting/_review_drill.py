"""The review page's data island: per account, what the drill-down shows, as compact JSON.

Holdings dominate the size (accounts x securities), so they travel columnar per account with
symbols and sectors as codes into shared lists and weights as integer millionths (0.0001 %).
Sector sums (over every holding, also where only some holdings are listed), trades, lots and
wash-sale blocks are few and travel as rows.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd

from sma.reporting._review_data import ReviewData

#: Weights travel as integer millionths of the account.
WEIGHT_UNIT = 1_000_000
DRILL_DECISION = (
    "client_name",
    "household_id",
    "account_type",
    "status",
    "reason",
    "te_before",
    "te_after",
    "max_tracking_error",
    "turnover",
    "market_value",
    "cash_before",
    "cash_after",
    "losses_harvested",
    "realized_st",
    "realized_lt",
    "est_tax_saved",
    "gains_st",
    "gains_lt",
    "tax_cost",
    "gain_budget",
    "realized_ytd",
    "budget_used",
    "budget_left",
)


def _spans(ids: np.ndarray) -> list[tuple[str, int, int]]:
    """``(account_id, start, end)`` of each run of equal ids in a sorted array."""
    if not len(ids):
        return []
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    return [(str(ids[s]), int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def jsonable(frame: pd.DataFrame, columns: list[str]) -> list[list]:
    """Rows of ``columns`` as JSON-ready lists: floats rounded, NaN as null, dates as ISO text."""
    cols = []
    for name in columns:
        s = frame[name]
        if pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s):
            v = s.to_numpy(dtype=float).round(8)
            cols.append([float(x) if np.isfinite(x) else None for x in v])
        elif pd.api.types.is_datetime64_any_dtype(s):
            cols.append([None if pd.isna(x) else x.date().isoformat() for x in s])
        else:
            cols.append(
                [
                    None
                    if x is None or (isinstance(x, float) and np.isnan(x))
                    else (x.isoformat() if isinstance(x, date | datetime) else str(x))
                    # (as objects first: iterating an Arrow-backed column boxes each value slowly)
                    for x in s.to_numpy(dtype=object)
                ]
            )
    return [list(r) for r in zip(*cols, strict=True)] if cols else []


def rows_by_account(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[list]]:
    """``jsonable`` rows grouped by account, in the frame's order within each account."""
    f = frame.sort_values("account_id", kind="stable")
    rows = jsonable(f, columns)
    return {aid: rows[s:e] for aid, s, e in _spans(f["account_id"].astype(str).to_numpy())}


def holdings_by_account(
    holdings: pd.DataFrame,
) -> tuple[dict[str, dict[str, list[int]]], list[str], list[str]]:
    """Per account ``{"s": symbol codes, "c": sector codes, "b", "a", "t": weights}``, and the code
    lists.

    ``b``, ``a``, ``t`` are the weights before, after and target in millionths; a missing weight
    is 0 (not held, not targeted).
    """
    f = holdings.sort_values("account_id", kind="stable")
    symbol_codes, symbols = pd.factorize(f["symbol"].astype(str))
    sector_codes, sectors = pd.factorize(f["sector"].astype(str))
    weights = {
        key: np.rint(np.nan_to_num(f[column].to_numpy(dtype=float)) * WEIGHT_UNIT).astype(np.int64)
        for key, column in (("b", "weight_before"), ("a", "weight_after"), ("t", "target_weight"))
    }
    out = {
        aid: {
            "s": symbol_codes[s:e].tolist(),
            "c": sector_codes[s:e].tolist(),
            **{k: v[s:e].tolist() for k, v in weights.items()},
        }
        for aid, s, e in _spans(f["account_id"].astype(str).to_numpy())
    }
    return out, [str(x) for x in symbols], [str(x) for x in sectors]


def sectors_by_account(sectors: pd.DataFrame, names: list[str]) -> dict[str, list[list[int]]]:
    """Per account ``[sector code, before, after, target, securities]`` rows, weights in millionths.

    Sector names not yet in ``names`` (a sector none of the listed holdings is in) are appended.
    """
    f = sectors.sort_values(["account_id", "sector"], kind="stable")
    for name in f["sector"].astype(str).unique():
        if name not in names:
            names.append(name)
    code = {n: i for i, n in enumerate(names)}
    cols = (
        [f["sector"].astype(str).map(code).to_numpy(np.int64)]
        + [
            np.rint(f[c].to_numpy(dtype=float) * WEIGHT_UNIT).astype(np.int64)
            for c in ("weight_before", "weight_after", "target_weight")
        ]
        + [f["securities"].to_numpy(np.int64)]
    )
    rows = np.column_stack(cols).tolist() if len(f) else []
    return {aid: rows[s:e] for aid, s, e in _spans(f["account_id"].astype(str).to_numpy())}


def drill_json(data: ReviewData) -> str:
    """The data island's text, safe inside ``<script type="application/json">``."""

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        return frame if data.listed is None else frame[frame["account_id"].isin(data.listed)]

    h, symbols, sectors = holdings_by_account(mine(data.holdings))
    g = sectors_by_account(mine(data.sector_weights()), sectors)
    t = rows_by_account(
        mine(data.trades), ["symbol", "side", "quantity", "price", "notional", "reason"]
    )
    lots = rows_by_account(
        mine(data.lot_sells),
        ["symbol", "lot_id", "quantity", "cost_basis", "proceeds", "gain", "term"],
    )
    w = rows_by_account(mine(data.wash_blocks), ["symbol", "kind", "until", "why"])
    listed = mine(data.decisions)
    decisions = jsonable(listed, list(DRILL_DECISION))
    empty = {"s": [], "c": [], "b": [], "a": [], "t": []}
    accounts = {
        aid: {
            "d": dict(zip(DRILL_DECISION, row, strict=True)),
            "h": h.get(aid, empty),
            "t": t.get(aid, []),
            "g": g.get(aid, []),
            "l": lots.get(aid, []),
            "w": w.get(aid, []),
        }
        for aid, row in zip(listed["account_id"].astype(str), decisions, strict=True)
    }
    text = json.dumps(
        {"unit": WEIGHT_UNIT, "symbols": symbols, "sectors": sectors, "accounts": accounts},
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    # Inside <script>, "</script>" or "<!--" in a client's text must not end the data island.
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
