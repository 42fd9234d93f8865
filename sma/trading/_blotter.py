"""The blotter: a night's trades aggregated into block orders with per-account allocations.

Every (symbol, side) of the proposal becomes one block order; each account trading it gets one
allocation of exactly the shares it asked for. The allocation is decided here, before release:
an account's share of the block is ``ratio = allocation quantity / block quantity`` (pro rata),
and every account is booked at the block's average fill price (PRODUCT.md step 7; the usual
"fair allocation" of block trades in SMA programs). Sells carry lot-level instructions
("versus purchase": which lots, how many shares), copied from the proposal's lot sells.

Ids are deterministic, readable and safe in file names: a block order is
``<run_id>-<SIDE>-<SYMBOL>``, an allocation ``<order_id>-<nnnn>`` numbered by account id within
the order (more digits when a block has more than 9,999 allocations, the same number of digits
throughout one block, so ids sort in account order as text). The same proposal gives the same
ids and the same content hash.

A night of 100,000 accounts has tens of millions of allocations: every rule here works on a part
of the blotter that holds whole block orders (:func:`build_blotter` on the trades of some
(side, symbol) pairs) or on any slice of rows (:func:`without_accounts`, :class:`ContentDigest`),
so ``pipelines.blotter`` can stream a big night through them part by part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sma.errors import SmaError
from sma.inbox import ID_PATTERN, Side
from sma.rebalance import ExceptionKind
from sma.trading._block_codes import allocations_by_code, lot_instructions_by_code, safe_ids

ORDER_COLUMNS = (
    "order_id",
    "run_id",
    "as_of_date",
    "symbol",
    "side",
    "quantity",
    "reference_price",
    "notional",
    "n_allocations",
)
ALLOCATION_COLUMNS = (
    "allocation_id",
    "order_id",
    "account_id",
    "household_id",
    "account_type",
    "symbol",
    "side",
    "quantity",
    "ratio",
    "reason",
)
LOT_INSTRUCTION_COLUMNS = (
    "order_id",
    "allocation_id",
    "account_id",
    "symbol",
    "lot_id",
    "quantity",
)

#: One row per lot (or part of a lot) delivered free to a charity (issue 21): a DELIVER
#: instruction to the custodian, not an order -- nothing is sold, nothing reaches the broker.
DELIVERY_COLUMNS = (
    "delivery_id",
    "instruction",
    "request_id",
    "account_id",
    "symbol",
    "lot_id",
    "quantity",
    "price",
    "market_value",
    "charity",
)

#: The blotter's frames in their fixed order, and the columns each is sorted by. Files and parts of
#: a blotter are always in this order (block order first, so a part of whole block orders is a
#: contiguous run of rows); the content hash reads rows in it.
FRAMES = ("orders", "allocations", "lot_instructions")
SORT_KEYS = {
    "orders": ["order_id"],
    "allocations": ["order_id", "allocation_id"],
    "lot_instructions": ["order_id", "allocation_id", "lot_id"],
    "deliveries": ["delivery_id"],
}
#: Frames a blotter may have beside its orders: hashed only when they hold rows, so a blotter
#: without them keeps the content hash it always had.
OPTIONAL_FRAMES = ("deliveries",)
_NUMBERS = {"quantity", "reference_price", "notional", "ratio", "price", "market_value"}


def _schema(columns: tuple[str, ...]) -> pa.Schema:
    return pa.schema(
        [
            (
                c,
                pa.int64()
                if c == "n_allocations"
                else pa.float64()
                if c in _NUMBERS
                else pa.large_string(),
            )
            for c in columns
        ]
    )


#: Each frame's columns and types, as files store them and as the content hash reads them.
SCHEMAS = {
    "orders": _schema(ORDER_COLUMNS),
    "allocations": _schema(ALLOCATION_COLUMNS),
    "lot_instructions": _schema(LOT_INSTRUCTION_COLUMNS),
    "deliveries": _schema(DELIVERY_COLUMNS),
}


#: Exceptions of these kinds bring an account to the PM's attention without holding it out: its
#: best allowed trades still go (PRODUCT.md, "flagged to the PM"). Any other kind holds it out.
FLAG_ONLY_KINDS = frozenset(str(k) for k in ExceptionKind if not k.holds_out)


class ProposalError(SmaError, ValueError):
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
        """The blotter's frames by file stem, in the fixed order ``FRAMES``."""
        return {name: getattr(self, name) for name in FRAMES}

    @property
    def accounts(self) -> list[str]:
        return sorted(self.allocations["account_id"].astype(str).unique())


def run_of_orders(order_ids: pd.Series) -> pd.Series:
    """The run each block order id belongs to (``<run_id>-<SIDE>-<SYMBOL>``); NaN if none."""
    return order_ids.astype(str).str.extract(
        r"^(.+)-(?:BUY|SELL)-[A-Z0-9][A-Z0-9.-]*$", expand=False
    )


def _check_ids(values: Iterable[str], what: str) -> None:
    try:
        ids = pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not text (an empty column read as floats):
        ids = pa.array(pd.Series(list(values), dtype=str), type=pa.large_string())  # pandas' text
    ok = safe_ids(ids)
    if len(ids) and not pc.all(ok).as_py():
        first = ids[pc.index(ok, False).as_py()].as_py()
        raise ProposalError("trades", "-", "-", f"{what} {first!r} does not match {ID_PATTERN}")


def _allocations(trades: pd.DataFrame, run_id: str) -> pd.DataFrame:
    by_code = allocations_by_code(trades, run_id)
    return by_code if by_code is not None else _allocations_by_text(trades, run_id)


def _allocations_by_text(trades: pd.DataFrame, run_id: str) -> pd.DataFrame:
    # The rule in pandas on the text ids: what allocations_by_code must return, and the way of
    # every proposal it declines.
    keys = ["symbol", "side", "account_id"]
    t = trades.sort_values([*keys, "reason"], kind="stable").reset_index(drop=True)
    first = ~t.duplicated(keys).to_numpy()
    grouped = t.loc[first, [*keys, "household_id", "account_type", "price", "reason"]].reset_index(
        drop=True
    )
    grouped["quantity"] = np.add.reduceat(
        t["quantity"].to_numpy(dtype=float), np.flatnonzero(first)
    )
    if not first.all():  # an account trades one security on one side for several reasons
        reasons = (
            t.drop_duplicates([*keys, "reason"]).groupby(keys, sort=True)["reason"].agg(";".join)
        )
        grouped["reason"] = reasons.to_numpy()
    grouped["order_id"] = run_id + "-" + grouped["side"] + "-" + grouped["symbol"]
    by_order = grouped.groupby("order_id", sort=False)
    rank = (by_order.cumcount() + 1).astype(str)
    # Four digits, or as many as the block's largest number needs: equal widths sort as numbers.
    width = by_order["account_id"].transform("size").astype(str).str.len().clip(lower=4)
    number = rank.str.zfill(4)
    for w in sorted(set(width[width > 4])):
        number[width == w] = rank[width == w].str.zfill(w)
    grouped["allocation_id"] = grouped["order_id"] + "-" + number
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
        side (BUY/SELL), quantity (whole shares > 0), price (last close, USD), notional, reason;
        optionally fractional_shares (bool): that account's quantity may be a fraction of a share.
    lot_sells : DataFrame
        account_id, symbol, lot_id, quantity; per (account, symbol) they sum to the SELL quantity.
    exceptions : DataFrame
        account_id, reason and optionally kind: the night's exceptions. Accounts held out (any
        kind not in ``FLAG_ONLY_KINDS``, or every row when there is no kind) never reach the
        blotter; accounts only flagged to the PM trade as proposed.

    Raises
    ------
    ProposalError
        Non-positive quantities, fractional ones of a whole-share account, lot sells that do not
        sum to the sell, ids that are not safe in file names, more than one run in the proposal.
    """
    holding = (
        ~exceptions["kind"].astype(str).isin(FLAG_ONLY_KINDS)
        if "kind" in exceptions
        else slice(None)
    )
    held = set(exceptions.loc[holding, "account_id"].astype(str))
    trades = trades[~trades["account_id"].astype(str).isin(held)].copy()
    lot_sells = lot_sells[~lot_sells["account_id"].astype(str).isin(held)].copy()
    if trades.empty:
        if len(lot_sells):
            r = lot_sells.iloc[0]
            raise ProposalError(
                "lot_sells",
                r["account_id"],
                r["symbol"],
                "lots are sold but the proposal has no trades",
            )
        return empty_blotter()
    # Distinct values first: a set of a night's millions of cells iterates them in Python.
    run_ids = sorted(set(trades["run_id"].astype(str).unique())) if len(trades) else []
    if len(run_ids) > 1:
        raise ProposalError("trades", "-", "-", f"more than one run_id: {run_ids}")
    run_id = run_ids[0] if run_ids else ""
    qty = trades["quantity"].to_numpy(dtype=float)
    fractional = (
        trades["fractional_shares"].astype("boolean").fillna(False).to_numpy(bool)
        if "fractional_shares" in trades
        else np.zeros(len(trades), dtype=bool)
    )
    bad = ~np.isfinite(qty) | (qty <= 0) | ((qty != np.round(qty)) & ~fractional)
    if bad.any():
        row = trades[bad].iloc[0]
        raise ProposalError(
            "trades",
            row["account_id"],
            row["symbol"],
            f"quantity {row['quantity']} is not a positive whole number of shares (the account "
            "does not allow fractional shares)",
        )
    sides = set(trades["side"].astype(str).unique())
    if not sides <= set(Side):
        raise ProposalError("trades", "-", "-", f"unknown side(s) {sorted(sides - set(Side))}")
    _check_ids(trades["account_id"].astype(str).unique(), "account_id")
    alloc = _allocations(trades.astype({"side": str, "symbol": str, "account_id": str}), run_id)
    _check_ids(alloc["order_id"].unique(), "order_id")
    as_of = pd.Timestamp(trades["as_of_date"].iloc[0]).date().isoformat() if len(trades) else ""
    orders = (
        alloc.groupby("order_id", sort=True)
        .agg(
            symbol=("symbol", "first"),
            side=("side", "first"),
            quantity=("quantity", "sum"),
            reference_price=("price", "first"),
            n_allocations=("account_id", "size"),
        )
        .reset_index()
    )
    orders["run_id"], orders["as_of_date"] = run_id, as_of
    # Fractional allocations add up with float noise (0.1 + 0.2): a block is to 9 decimals.
    orders["quantity"] = orders["quantity"].round(9)
    orders["notional"] = orders["quantity"] * orders["reference_price"]
    orders["n_allocations"] = orders["n_allocations"].astype("int64")
    lots = _lot_instructions(alloc, lot_sells)
    return _sorted(orders, alloc, lots)


def empty_blotter() -> Blotter:
    """A blotter with nothing to trade: every frame has its columns (``SCHEMAS``) and no rows."""
    return Blotter(**{name: SCHEMAS[name].empty_table().to_pandas() for name in FRAMES})


def _lot_instructions(alloc: pd.DataFrame, lot_sells: pd.DataFrame) -> pd.DataFrame:
    by_code = lot_instructions_by_code(alloc, lot_sells)
    return by_code if by_code is not None else _lot_instructions_by_text(alloc, lot_sells)


def _lot_instructions_by_text(alloc: pd.DataFrame, lot_sells: pd.DataFrame) -> pd.DataFrame:
    # The rule in pandas on the text ids, raising on every malformed proposal: what
    # lot_instructions_by_code must return, and the way of every proposal it declines.
    sells = alloc[alloc["side"] == Side.SELL][
        ["order_id", "allocation_id", "account_id", "symbol", "quantity"]
    ]
    ls = lot_sells.astype({"account_id": str, "symbol": str, "lot_id": str})
    ls = ls.groupby(["account_id", "symbol", "lot_id"], sort=True)["quantity"].sum().reset_index()
    merged = sells.merge(
        ls, on=["account_id", "symbol"], how="outer", suffixes=("_sell", ""), indicator=True
    )
    orphan = merged[merged["_merge"] == "right_only"]
    if len(orphan):
        r = orphan.iloc[0]
        raise ProposalError(
            "lot_sells",
            r["account_id"],
            r["symbol"],
            f"lot {r['lot_id']} is sold but the proposal has no SELL",
        )
    missing = merged[merged["_merge"] == "left_only"]
    if len(missing):
        r = missing.iloc[0]
        raise ProposalError(
            "lot_sells", r["account_id"], r["symbol"], "SELL without lot instructions"
        )
    _check_ids(merged["lot_id"].unique(), "lot_id")
    totals = merged.groupby("allocation_id")[["quantity", "quantity_sell"]].agg(
        {"quantity": "sum", "quantity_sell": "first"}
    )
    off = totals[~np.isclose(totals["quantity"], totals["quantity_sell"], rtol=0, atol=1e-9)]
    if len(off):
        a = merged[merged["allocation_id"] == off.index[0]].iloc[0]
        raise ProposalError(
            "lot_sells",
            a["account_id"],
            a["symbol"],
            f"lots sum to {off['quantity'].iloc[0]} shares but the SELL is "
            f"{off['quantity_sell'].iloc[0]}",
        )
    return merged


def _frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    # The keys are text ids: Arrow's stable sort on their UTF-8 bytes is the code point order of
    # pandas' stable sort_values, without factorizing millions of strings in Python.
    keys = SORT_KEYS[name]
    table = pa.Table.from_pandas(df[keys], preserve_index=False)
    if not _in_order(table):  # (built in blotter order: a check, not a sort, of millions of ids)
        order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys])
        df = df.take(order.to_numpy())
    out = df.reset_index(drop=True)
    return out[SCHEMAS[name].names].copy()


def _in_order(table: pa.Table) -> bool:
    """The rows are in ascending order of the columns in turn, none missing (a stable sort would
    leave them as they are)."""
    n, ordered = table.num_rows, None
    if n < 2:
        return True
    for column in reversed(table.columns):
        values = column.combine_chunks()
        if values.null_count:
            return False
        before, after = values.slice(0, n - 1), values.slice(1)
        ordered = (
            pc.less_equal(before, after)
            if ordered is None
            else pc.or_(pc.less(before, after), pc.and_(pc.equal(before, after), ordered))
        )
    return bool(pc.all(ordered).as_py())


def _sorted(
    orders: pd.DataFrame, allocations: pd.DataFrame, lot_instructions: pd.DataFrame
) -> Blotter:
    return Blotter(
        orders=_frame(orders, "orders"),
        allocations=_frame(allocations, "allocations"),
        lot_instructions=_frame(lot_instructions, "lot_instructions"),
    )


def shrink_orders(orders: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """The block orders less the allocations ``held`` out (order_id, quantity: a few rows, taken
    from the allocations in any number of slices).

    Quantities are whole shares, so a block's size less its held allocations is exactly the sum
    of the allocations that remain. A block left with no allocation is dropped.
    """
    held = held.groupby("order_id").agg(
        quantity=("quantity", "sum"), n_allocations=("order_id", "size")
    )
    out = orders.merge(
        held, left_on="order_id", right_index=True, how="left", suffixes=("", "_held")
    )
    out["quantity"] = out["quantity"] - out["quantity_held"].fillna(0.0)
    out["n_allocations"] = (out["n_allocations"] - out["n_allocations_held"].fillna(0)).astype(
        "int64"
    )
    out = out[out["n_allocations"] > 0].copy()
    out["notional"] = out["quantity"] * out["reference_price"]
    return _frame(out, "orders")


def without_accounts(
    part: pd.DataFrame, name: str, accounts: Iterable[str], orders: pd.DataFrame | None = None
) -> pd.DataFrame:
    """A slice of a blotter's allocations or lot instructions (``name``) without the given accounts.

    Allocations get their ratio again from ``orders``, the block orders that remain
    (:func:`shrink_orders`), so what is left is pro rata per block. Row order is kept.
    """
    out = part[~part["account_id"].isin(set(accounts))].reset_index(drop=True)
    if name == "allocations":
        if orders is None:
            raise ValueError(
                "allocations need the block orders that remain, to give each its ratio"
            )
        block = out["order_id"].map(orders.set_index("order_id")["quantity"])
        out = out.assign(ratio=out["quantity"] / block.to_numpy(dtype=float))
    return out[SCHEMAS[name].names]


def hold_out(blotter: Blotter, accounts: Iterable[str]) -> Blotter:
    """The blotter without the given accounts: their allocations and lots go, blocks shrink.

    A block left without allocations is dropped. Ids stay as proposed; block quantities and
    ratios are recomputed from what remains, so the approved blotter is again pro rata.
    """
    held = set(accounts)
    unknown = held - set(blotter.accounts)
    if unknown:
        raise KeyError(f"cannot hold out accounts not in the blotter: {sorted(unknown)}")
    orders = shrink_orders(
        blotter.orders, blotter.allocations[blotter.allocations["account_id"].isin(held)]
    )
    return Blotter(
        orders=orders,
        allocations=without_accounts(blotter.allocations, "allocations", held, orders),
        lot_instructions=without_accounts(blotter.lot_instructions, "lot_instructions", held),
    )


def build_deliveries(delivered: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """The blotter's DELIVER instructions (``DELIVERY_COLUMNS``) from the night's deliveries.

    Parameters
    ----------
    delivered : DataFrame
        The check step's ``deliveries``: ``request_id, account_id, symbol, lot_id, quantity``
        (shares), ``price`` (the night's close, USD), ``market_value`` (USD), ``charity``.
    run_id : str

    Returns
    -------
    DataFrame
        One DELIVER row per lot, sorted by ``delivery_id`` = ``<run_id>-DELIVER-<account>-<nnn>``
        (numbered within the account by request, symbol and lot).
    """
    out = delivered.astype(
        {c: str for c in ("request_id", "account_id", "symbol", "lot_id", "charity")}
    ).sort_values(["account_id", "request_id", "symbol", "lot_id"], kind="stable")
    number = out.groupby("account_id").cumcount() + 1
    out = out.assign(
        delivery_id=[f"{run_id}-DELIVER-{a}-{n:03d}" for a, n in zip(out["account_id"], number)],
        instruction="DELIVER",
        quantity=out["quantity"].astype(float),
        price=out["price"].astype(float),
        market_value=out["market_value"].astype(float),
    )
    _check_ids(out["delivery_id"].unique(), "delivery_id")
    return _frame(out, "deliveries")


class ContentDigest:
    """SHA-256 of a blotter's content, fed frame by frame in slices of any size.

    Feed every frame's rows in the blotter's order (``SORT_KEYS``): the digest depends on the rows
    and their order, never on how they were sliced, on file format or on dtypes. Each column is
    hashed on its own (numbers as IEEE 754 float64 or int64 little-endian bytes, text as its
    UTF-8 bytes plus each value's length), and the columns' digests are hashed with the frames'
    and columns' names. So the digest changes exactly when an id, a quantity, a price, an account
    or a row's place changes, and a night's tens of millions of rows hash at the speed of memory.
    """

    def __init__(self) -> None:
        self._hashes = {
            name: {f.name: (hashlib.sha256(), hashlib.sha256()) for f in SCHEMAS[name]}
            for name in (*FRAMES, *OPTIONAL_FRAMES)
        }
        self._fed: set[str] = set()

    def update(self, name: str, part: pd.DataFrame | pa.Table) -> None:
        """Add the next rows of frame ``name`` (columns ``SCHEMAS[name]``)."""
        schema = SCHEMAS[name]
        if isinstance(part, pd.DataFrame):
            table = pa.Table.from_pandas(part[schema.names], schema=schema, preserve_index=False)
        else:
            table = part.select(schema.names).cast(schema)
        if table.num_rows:
            self._fed.add(name)
        for field, column in zip(schema, table.columns):
            values, lengths = self._hashes[name][field.name]
            for chunk in column.chunks:
                if pa.types.is_large_string(field.type):
                    _feed_text(chunk, values, lengths)
                else:
                    numbers = chunk.to_numpy(zero_copy_only=False)
                    values.update(
                        np.ascontiguousarray(numbers, dtype=f"<{numbers.dtype.kind}8").tobytes()
                    )

    def hexdigest(self) -> str:
        h = hashlib.sha256()
        for name in (*FRAMES, *(n for n in OPTIONAL_FRAMES if n in self._fed)):
            h.update(f"[{name}]\n".encode())
            for column, (values, lengths) in self._hashes[name].items():
                h.update(f"{column}:{values.hexdigest()}:{lengths.hexdigest()}\n".encode())
        return h.hexdigest()


def _feed_text(chunk: pa.Array, values, lengths) -> None:
    n, start = len(chunk), chunk.offset
    _, offsets_buffer, data = chunk.buffers()
    offsets = (
        np.frombuffer(offsets_buffer, dtype=np.int64, count=start + n + 1)[start:]
        if n
        else np.zeros(1, np.int64)
    )
    if data is not None and offsets[-1] > offsets[0]:
        values.update(memoryview(data)[offsets[0] : offsets[-1]])
    size = np.diff(offsets)
    if chunk.null_count:  # a missing text is not the same as an empty one
        size[chunk.is_null().to_numpy(zero_copy_only=False)] = -1
    lengths.update(size.astype("<i8").tobytes())


def content_hash(blotter: Blotter) -> str:
    """SHA-256 of the blotter's content (:class:`ContentDigest`), with each frame first sorted
    into the blotter's order, so it does not depend on row order in memory."""
    digest = ContentDigest()
    for name, df in blotter.frames().items():
        digest.update(name, df.sort_values(SORT_KEYS[name], kind="stable"))
    return digest.hexdigest()
