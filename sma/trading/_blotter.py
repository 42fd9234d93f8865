"""The blotter: a night's trades aggregated into block orders with per-account allocations.

Every (symbol, side) of the proposal becomes one block order; each account trading it gets one
allocation of exactly the shares it asked for. The allocation is decided here, before release:
an account's share of the block is ``ratio = allocation quantity / block quantity`` (pro rata),
and every account is booked at the block's average fill price (PRODUCT.md step 7; the usual
"fair allocation" of block trades in SMA programs). Sells carry lot-level instructions
("versus purchase": which lots, how many shares), copied from the proposal's lot sells.

Ids are deterministic, readable and safe in file names: a block order is
``<run_id>-<SIDE>-<SYMBOL>``, an allocation ``<order_id>-<nnnn>`` numbered by account id within
the order. The same proposal gives the same ids and the same content hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.inbox import ID_PATTERN, Side

ORDER_COLUMNS = (
    "order_id", "run_id", "as_of_date", "symbol", "side", "quantity", "reference_price", "notional",
    "n_allocations",
)
ALLOCATION_COLUMNS = (
    "allocation_id", "order_id", "account_id", "household_id", "account_type", "symbol", "side",
    "quantity", "ratio", "reason",
)
LOT_INSTRUCTION_COLUMNS = ("order_id", "allocation_id", "account_id", "symbol", "lot_id", "quantity")


#: Exceptions of these kinds bring an account to the PM's attention without holding it out: its
#: best allowed trades still go (PRODUCT.md, "flagged to the PM"). Any other kind holds it out.
FLAG_ONLY_KINDS = frozenset({"TE_LIMIT", "CASH", "FLAGGED", "SOLVER"})


class ProposalError(ValueError):
    """The checked proposal cannot be turned into a blotter; names the account and symbol."""

    def __init__(self, file: str, account_id: str, symbol: str, why: str) -> None:
        super().__init__(f"{file}: account {account_id}, symbol {symbol}: {why}")
        self.file, self.account_id, self.symbol, self.why = file, account_id, symbol, why


@dataclass(frozen=True)
class Blotter:
    """One run's block orders, allocations and sell lot instructions, as frames.

    orders : one row per block order, columns ``ORDER_COLUMNS``; quantity in shares,
        reference_price the last close (USD per share), notional = quantity x reference_price.
    allocations : one row per (order, account), columns ``ALLOCATION_COLUMNS``; ratio is the
        account's pro rata share of its block (sums to 1 per order).
    lot_instructions : one row per (sell allocation, lot), columns ``LOT_INSTRUCTION_COLUMNS``;
        quantities sum to the allocation's quantity.
    """

    orders: pd.DataFrame
    allocations: pd.DataFrame
    lot_instructions: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """The blotter's frames by file stem, in a fixed order."""
        return {
            "orders": self.orders,
            "allocations": self.allocations,
            "lot_instructions": self.lot_instructions,
        }

    @property
    def accounts(self) -> list[str]:
        return sorted(self.allocations["account_id"].astype(str).unique())


def run_of_orders(order_ids: pd.Series) -> pd.Series:
    """The run each block order id belongs to (``<run_id>-<SIDE>-<SYMBOL>``); NaN if none."""
    return order_ids.astype(str).str.extract(r"^(.+)-(?:BUY|SELL)-[A-Z0-9][A-Z0-9.-]*$", expand=False)


def _check_ids(values: Iterable[str], what: str) -> None:
    ids = pd.Series(list(values), dtype=str)
    bad = ids[~ids.str.fullmatch(ID_PATTERN)]
    if len(bad):
        raise ProposalError("trades", "-", "-", f"{what} {bad.iloc[0]!r} does not match {ID_PATTERN}")


def _allocations(trades: pd.DataFrame, run_id: str) -> pd.DataFrame:
    keys = ["symbol", "side", "account_id"]
    t = trades.sort_values([*keys, "reason"], kind="stable").reset_index(drop=True)
    first = ~t.duplicated(keys).to_numpy()
    grouped = t.loc[first, [*keys, "household_id", "account_type", "price", "reason"]].reset_index(drop=True)
    grouped["quantity"] = np.add.reduceat(t["quantity"].to_numpy(dtype=float), np.flatnonzero(first))
    if not first.all():  # an account trades one security on one side for several reasons
        reasons = t.drop_duplicates([*keys, "reason"]).groupby(keys, sort=True)["reason"].agg(";".join)
        grouped["reason"] = reasons.to_numpy()
    grouped["order_id"] = run_id + "-" + grouped["side"] + "-" + grouped["symbol"]
    rank = grouped.groupby("order_id", sort=False).cumcount() + 1
    grouped["allocation_id"] = grouped["order_id"] + "-" + rank.astype(str).str.zfill(4)
    block = grouped.groupby("order_id", sort=False)["quantity"].transform("sum")
    grouped["ratio"] = grouped["quantity"] / block
    return grouped


def build_blotter(
    trades: pd.DataFrame, lot_sells: pd.DataFrame, exceptions: pd.DataFrame
) -> Blotter:
    """Aggregate a checked trade proposal into block orders, allocations and lot instructions.

    Parameters
    ----------
    trades : DataFrame
        The proposal's trades: run_id, as_of_date, account_id, household_id, account_type, symbol,
        side (BUY/SELL), quantity (whole shares > 0), price (last close, USD), notional, reason.
    lot_sells : DataFrame
        account_id, symbol, lot_id, quantity; per (account, symbol) they sum to the SELL quantity.
    exceptions : DataFrame
        account_id, reason and optionally kind: the night's exceptions. Accounts held out (any
        kind not in ``FLAG_ONLY_KINDS``, or every row when there is no kind) never reach the
        blotter; accounts only flagged to the PM trade as proposed.

    Raises
    ------
    ProposalError
        Fractional or non-positive quantities, lot sells that do not sum to the sell, ids that are
        not safe in file names, more than one run in the proposal.
    """
    holding = ~exceptions["kind"].astype(str).isin(FLAG_ONLY_KINDS) if "kind" in exceptions else slice(None)
    held = set(exceptions.loc[holding, "account_id"].astype(str))
    trades = trades[~trades["account_id"].astype(str).isin(held)].copy()
    lot_sells = lot_sells[~lot_sells["account_id"].astype(str).isin(held)].copy()
    if trades.empty:
        if len(lot_sells):
            r = lot_sells.iloc[0]
            raise ProposalError("lot_sells", r["account_id"], r["symbol"], "lots are sold but the proposal has no trades")
        return empty_blotter()
    run_ids = sorted(set(trades["run_id"].astype(str))) if len(trades) else []
    if len(run_ids) > 1:
        raise ProposalError("trades", "-", "-", f"more than one run_id: {run_ids}")
    run_id = run_ids[0] if run_ids else ""
    qty = trades["quantity"].to_numpy(dtype=float)
    bad = ~np.isfinite(qty) | (qty <= 0) | (qty != np.round(qty))
    if bad.any():
        row = trades[bad].iloc[0]
        raise ProposalError("trades", row["account_id"], row["symbol"], f"quantity {row['quantity']} is not a positive whole number of shares")
    sides = set(trades["side"].astype(str))
    if not sides <= set(Side):
        raise ProposalError("trades", "-", "-", f"unknown side(s) {sorted(sides - set(Side))}")
    _check_ids(trades["account_id"].astype(str).unique(), "account_id")
    alloc = _allocations(trades.astype({"side": str, "symbol": str, "account_id": str}), run_id)
    _check_ids(alloc["order_id"].unique(), "order_id")
    as_of = pd.Timestamp(trades["as_of_date"].iloc[0]).date().isoformat() if len(trades) else ""
    orders = (
        alloc.groupby("order_id", sort=True)
        .agg(symbol=("symbol", "first"), side=("side", "first"), quantity=("quantity", "sum"),
             reference_price=("price", "first"), n_allocations=("account_id", "size"))
        .reset_index()
    )
    orders["run_id"], orders["as_of_date"] = run_id, as_of
    orders["notional"] = orders["quantity"] * orders["reference_price"]
    orders["n_allocations"] = orders["n_allocations"].astype("int64")
    lots = _lot_instructions(alloc, lot_sells)
    return Blotter(
        orders=_frame(orders, ORDER_COLUMNS, "order_id"),
        allocations=_frame(alloc, ALLOCATION_COLUMNS, "allocation_id"),
        lot_instructions=_frame(lots, LOT_INSTRUCTION_COLUMNS, ["allocation_id", "lot_id"]),
    )


_NUMBERS = {"quantity", "reference_price", "notional", "ratio"}


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({
        c: pd.Series(dtype="int64" if c == "n_allocations" else float if c in _NUMBERS else str) for c in columns
    })


def empty_blotter() -> Blotter:
    """A blotter with nothing to trade: every frame has its columns and no rows."""
    return Blotter(_empty(ORDER_COLUMNS), _empty(ALLOCATION_COLUMNS), _empty(LOT_INSTRUCTION_COLUMNS))


def _lot_instructions(alloc: pd.DataFrame, lot_sells: pd.DataFrame) -> pd.DataFrame:
    sells = alloc[alloc["side"] == Side.SELL][["order_id", "allocation_id", "account_id", "symbol", "quantity"]]
    ls = lot_sells.astype({"account_id": str, "symbol": str, "lot_id": str})
    ls = ls.groupby(["account_id", "symbol", "lot_id"], sort=True)["quantity"].sum().reset_index()
    merged = sells.merge(ls, on=["account_id", "symbol"], how="outer", suffixes=("_sell", ""), indicator=True)
    orphan = merged[merged["_merge"] == "right_only"]
    if len(orphan):
        r = orphan.iloc[0]
        raise ProposalError("lot_sells", r["account_id"], r["symbol"], f"lot {r['lot_id']} is sold but the proposal has no SELL")
    missing = merged[merged["_merge"] == "left_only"]
    if len(missing):
        r = missing.iloc[0]
        raise ProposalError("lot_sells", r["account_id"], r["symbol"], "SELL without lot instructions")
    _check_ids(merged["lot_id"].unique(), "lot_id")
    totals = merged.groupby("allocation_id")[["quantity", "quantity_sell"]].agg({"quantity": "sum", "quantity_sell": "first"})
    off = totals[~np.isclose(totals["quantity"], totals["quantity_sell"], rtol=0, atol=1e-9)]
    if len(off):
        a = merged[merged["allocation_id"] == off.index[0]].iloc[0]
        raise ProposalError(
            "lot_sells", a["account_id"], a["symbol"],
            f"lots sum to {off['quantity'].iloc[0]} shares but the SELL is {off['quantity_sell'].iloc[0]}",
        )
    return merged


def _frame(df: pd.DataFrame, columns: tuple[str, ...], sort: str | list[str]) -> pd.DataFrame:
    out = df.sort_values(sort, kind="stable").reset_index(drop=True)
    return out[list(columns)].copy()


def hold_out(blotter: Blotter, accounts: Iterable[str]) -> Blotter:
    """The blotter without the given accounts: their allocations and lots go, blocks shrink.

    A block left without allocations is dropped. Ids stay as proposed; block quantities and
    ratios are recomputed from what remains, so the approved blotter is again pro rata.
    """
    held = set(accounts)
    unknown = held - set(blotter.accounts)
    if unknown:
        raise KeyError(f"cannot hold out accounts not in the blotter: {sorted(unknown)}")
    alloc = blotter.allocations[~blotter.allocations["account_id"].isin(held)].copy()
    block = alloc.groupby("order_id")["quantity"].transform("sum")
    alloc["ratio"] = alloc["quantity"] / block
    sizes = alloc.groupby("order_id").agg(quantity=("quantity", "sum"), n_allocations=("account_id", "size"))
    orders = blotter.orders[blotter.orders["order_id"].isin(sizes.index)].copy()
    orders["quantity"] = orders["order_id"].map(sizes["quantity"]).astype(float)
    orders["n_allocations"] = orders["order_id"].map(sizes["n_allocations"]).astype("int64")
    orders["notional"] = orders["quantity"] * orders["reference_price"]
    lots = blotter.lot_instructions[~blotter.lot_instructions["account_id"].isin(held)]
    return Blotter(
        orders=_frame(orders, ORDER_COLUMNS, "order_id"),
        allocations=_frame(alloc, ALLOCATION_COLUMNS, "allocation_id"),
        lot_instructions=_frame(lots, LOT_INSTRUCTION_COLUMNS, ["allocation_id", "lot_id"]),
    )


def content_hash(blotter: Blotter) -> str:
    """SHA-256 of the blotter's content, independent of file format and row order on disk.

    Each frame is sorted by its ids and written as text with full float precision (``repr``),
    so the hash changes exactly when an id, a quantity, a price or an account changes.
    """
    h = hashlib.sha256()
    sort_keys = {"orders": ["order_id"], "allocations": ["allocation_id"], "lot_instructions": ["allocation_id", "lot_id"]}
    for name, df in blotter.frames().items():
        df = df.sort_values(sort_keys[name], kind="stable")
        h.update(f"[{name}]\n{','.join(df.columns)}\n".encode())
        for row in zip(*(df[c].tolist() for c in df.columns)):
            h.update((",".join(repr(v) if isinstance(v, float) else str(v) for v in row) + "\n").encode())
    return h.hexdigest()
