"""Fills against a released blotter: match, reject what does not match, skip what is booked.

A fill row (inbox contract: order_id, account_id, symbol, side, quantity, price, lot_id) must
name a released block order and an account allocated in it, with the order's symbol and side;
a sell must name a lot the blotter instructed for that allocation (fills relieve exactly the
instructed lots, PRODUCT.md "Lot relief methods"); no allocation or lot may be filled beyond
what was released. Every problem is collected with its row and column and the whole file is
refused: nothing is half-booked.

Duplicates are recognised by content: a fill's id is the SHA-256 of its fields plus how many
identical rows came before it in the same file, so the same file (or a broker's resend of the
same rows) loaded twice books nothing the second time, while two genuinely repeated partial fills
in one file stay two fills.

Every account is booked at its block's average price (the allocation rule of the blotter): the
share-weighted average of the order's fills in the file being loaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.inbox import Side
from sma.trading._blotter import Blotter

FILL_COLUMNS = ("order_id", "account_id", "symbol", "side", "quantity", "price", "lot_id")
BOOKED_COLUMNS = (
    "fill_id", "order_id", "allocation_id", "account_id", "symbol", "side", "lot_id", "quantity",
    "fill_price", "price",
)


@dataclass(frozen=True)
class FillProblem:
    row: int  # 1-based data row of the fills file
    column: str
    why: str


class FillsRejected(ValueError):
    """The fills file does not match the released blotter; every problem with its row and column."""

    def __init__(self, source: str, problems: list[FillProblem]) -> None:
        lines = [f"{source}: row {p.row}, column {p.column}: {p.why}" for p in problems]
        super().__init__(f"{len(problems)} fill row problem(s):\n" + "\n".join(lines))
        self.source, self.problems = source, problems


@dataclass(frozen=True)
class FillMatch:
    """The outcome of matching a fills file.

    new : fills to book now, columns ``BOOKED_COLUMNS``; quantity in shares, fill_price what the
        broker reported, price the block's average price at which the account is booked (USD).
    duplicates : number of rows already booked before (skipped).
    open_allocations : allocation_id, order_id, account_id, symbol, side, ordered, filled, open
        (shares), after this file.
    open_lots : allocation_id, account_id, symbol, lot_id, instructed, relieved, open (shares).
    """

    new: pd.DataFrame
    duplicates: int
    open_allocations: pd.DataFrame
    open_lots: pd.DataFrame


def empty_booked() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("quantity", "fill_price", "price") else str) for c in BOOKED_COLUMNS})


def fill_ids(fills: pd.DataFrame) -> pd.Series:
    """Content ids of fill rows: SHA-256 of the fields and the occurrence among identical rows."""
    key = (
        fills["order_id"].astype(str) + "|" + fills["account_id"].astype(str) + "|" + fills["symbol"].astype(str)
        + "|" + fills["side"].astype(str) + "|" + fills["quantity"].map(repr) + "|" + fills["price"].map(repr)
        + "|" + fills["lot_id"].fillna("").astype(str)
    )
    occurrence = key.groupby(key, sort=False).cumcount().astype(str)
    return (key + "#" + occurrence).map(lambda s: hashlib.sha256(s.encode()).hexdigest()[:32])


def _problems(mask: np.ndarray, column: str, why: pd.Series | str) -> list[FillProblem]:
    rows = np.flatnonzero(mask)
    whys = why.to_numpy()[rows] if isinstance(why, pd.Series) else [why] * len(rows)
    return [FillProblem(int(r) + 1, column, str(w)) for r, w in zip(rows, whys)]


def match_fills(
    fills: pd.DataFrame, blotter: Blotter, booked: pd.DataFrame, source: str = "fills"
) -> FillMatch:
    """Match ``fills`` to the released ``blotter``, given the fills ``booked`` before.

    Raises
    ------
    FillsRejected
        Any row that names no released order, an account or lot the order does not carry, the
        wrong symbol or side, a non-positive quantity or price, or fills beyond the release.
    """
    f = fills.reset_index(drop=True).copy()
    for c in ("order_id", "account_id", "symbol", "side"):
        f[c] = f[c].astype(str)
    f["lot_id"] = f["lot_id"].where(f["lot_id"].notna(), "").astype(str)
    f["quantity"] = f["quantity"].astype(float)
    f["price"] = f["price"].astype(float)
    f["fill_id"] = fill_ids(f) if len(f) else pd.Series(dtype=str)
    orders = blotter.orders.set_index("order_id")
    alloc = blotter.allocations[["order_id", "account_id", "allocation_id"]]
    f = f.merge(alloc, on=["order_id", "account_id"], how="left")
    known_order = f["order_id"].isin(orders.index).to_numpy()
    problems = _problems(~known_order, "order_id", "no released order has this id: " + f["order_id"])
    problems += _problems(known_order & f["allocation_id"].isna().to_numpy(), "account_id", "the order has no allocation for account " + f["account_id"])
    sym = f["order_id"].map(orders["symbol"])
    side = f["order_id"].map(orders["side"])
    problems += _problems(known_order & (sym != f["symbol"]).to_numpy(), "symbol", "the order is for " + sym.astype(str))
    side_ok = (side == f["side"]).to_numpy()
    problems += _problems(known_order & ~side_ok, "side", "the order is a " + side.astype(str))
    for col in ("quantity", "price"):
        v = f[col].to_numpy()
        problems += _problems(~np.isfinite(v) | (v <= 0), col, "must be a positive number")
    is_sell = (f["side"] == Side.SELL).to_numpy()
    lots = blotter.lot_instructions[["allocation_id", "lot_id"]].assign(instructed=True)
    lot_ok = f.merge(lots, on=["allocation_id", "lot_id"], how="left")["instructed"].eq(True).to_numpy()
    problems += _problems(side_ok & is_sell & ~lot_ok, "lot_id", "a sell must name a lot instructed for this allocation, got " + f["lot_id"].replace("", "(blank)"))
    problems += _problems(side_ok & ~is_sell & (f["lot_id"] != "").to_numpy(), "lot_id", "a buy opens a new lot: lot_id must be blank")
    if problems:
        raise FillsRejected(source, sorted(problems, key=lambda p: p.row))

    seen = set(booked["fill_id"].astype(str))
    dup = f["fill_id"].isin(seen).to_numpy()
    new = f[~dup].copy()
    new["fill_price"] = new["price"]
    value = new["quantity"] * new["fill_price"]
    new["price"] = value.groupby(new["order_id"]).transform("sum") / new["quantity"].groupby(new["order_id"]).transform("sum")
    new = new[list(BOOKED_COLUMNS)].reset_index(drop=True)
    everything = pd.concat([booked[list(BOOKED_COLUMNS)], new], ignore_index=True) if len(booked) else new
    open_alloc, open_lots = _open(blotter, everything)
    over = open_alloc[open_alloc["open"] < -1e-9]
    over_lots = open_lots[open_lots["open"] < -1e-9]
    if len(over) or len(over_lots):
        rows = {a: int(np.flatnonzero((f["allocation_id"] == a).to_numpy())[-1]) + 1 for a in (*over["allocation_id"], *over_lots["allocation_id"])}
        problems = [FillProblem(rows[r.allocation_id], "quantity", f"fills {r.filled:g} shares of allocation {r.allocation_id}, released {r.ordered:g}") for r in over.itertuples()]
        problems += [FillProblem(rows[r.allocation_id], "quantity", f"relieves {r.relieved:g} shares of lot {r.lot_id}, instructed {r.instructed:g}") for r in over_lots.itertuples()]
        raise FillsRejected(source, sorted(problems, key=lambda p: p.row))
    return FillMatch(new=new, duplicates=int(dup.sum()), open_allocations=open_alloc, open_lots=open_lots)


def _open(blotter: Blotter, booked: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    filled = booked.groupby("allocation_id")["quantity"].sum()
    a = blotter.allocations[["allocation_id", "order_id", "account_id", "symbol", "side", "quantity"]].rename(columns={"quantity": "ordered"})
    a = a.assign(filled=a["allocation_id"].map(filled).fillna(0.0).astype(float))
    a["open"] = a["ordered"] - a["filled"]
    relieved = booked[booked["lot_id"] != ""].groupby(["allocation_id", "lot_id"])["quantity"].sum().rename("relieved").reset_index()
    lots = blotter.lot_instructions[["allocation_id", "account_id", "symbol", "lot_id", "quantity"]].rename(columns={"quantity": "instructed"})
    lots = lots.merge(relieved, on=["allocation_id", "lot_id"], how="left")
    lots["relieved"] = lots["relieved"].fillna(0.0).astype(float)
    lots["open"] = lots["instructed"] - lots["relieved"]
    return a.reset_index(drop=True), lots.reset_index(drop=True)
