"""Fills against a released blotter: match, refuse what does not match, skip what is booked.

A fill row (inbox contract: exec_id, order_id, account_id, symbol, side, quantity, price, lot_id)
must name a released block order and an account allocated in it, with the order's symbol and
side; a sell must name a lot the blotter instructed for that allocation (fills relieve exactly the
instructed lots, PRODUCT.md "Lot relief methods"); no allocation or lot may be filled beyond what
was released, across every file booked so far. Quantities are whole shares (unless the allocation
itself is fractional: then the fraction must be the allocation's own), or for an account that
allows fractional shares any quantity to the custodian's decimals; the price must be positive
and within the price collar of the order's reference price (the run's last close). Every problem
is collected with its row, column and rule, and the whole file is refused: nothing is half-booked.

A fill is one broker execution, identified by its ``exec_id`` (FIX ExecID, tag 17): an exec_id
booked before is skipped (a replayed file books nothing), while a new execution that happens to
look exactly like an earlier one is booked. An exec_id twice in one file, or booked before with
different fields, is refused.

Every account is booked at its block's average price (the allocation rule of the blotter): the
share-weighted average of the order's fills in the file being loaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from sma.errors import SmaError
from sma.inbox import Side
from sma.trading._blotter import Blotter

FILL_COLUMNS = (
    "exec_id",
    "order_id",
    "account_id",
    "symbol",
    "side",
    "quantity",
    "price",
    "lot_id",
)
BOOKED_COLUMNS = (
    "fill_id",
    "exec_id",
    "order_id",
    "allocation_id",
    "account_id",
    "symbol",
    "side",
    "lot_id",
    "quantity",
    "fill_price",
    "price",
)
#: The fields that make an execution what it is: a replayed exec_id must carry the same ones.
_EXECUTION_FIELDS = ("order_id", "account_id", "side", "lot_id", "quantity", "fill_price")


def booked_digest(booked: pd.DataFrame) -> str:
    """SHA-256 of a run's booked fills (``BOOKED_COLUMNS``), whatever their row order or dtypes:
    rows sorted by execution, numbers as their shortest round-trip text, blanks for missing ids.
    A FILLS audit record signs this, so the store's and the run folder's records can be checked."""
    frame = booked.loc[:, list(BOOKED_COLUMNS)].copy()
    for column in ("quantity", "fill_price", "price"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64").map(repr)
    for column in BOOKED_COLUMNS:
        if column not in ("quantity", "fill_price", "price"):
            frame[column] = frame[column].astype("string").fillna("")
    frame = frame.sort_values(["exec_id", "fill_id"], kind="stable")
    text = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


#: Shares closer than this to a whole number (or to the allocation's own fraction) are that number.
_SHARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class FillLimits:
    """How far a fill may stray from its order before the file is refused; documented defaults."""

    price_collar: float = (
        0.10  # a fill's price may differ from the order's reference price by at most 10 %
    )
    fractional_decimals: int = 3  # a fractional-shares account's fills, to 0.001 share


class FillRule(StrEnum):
    """The rules a fill row must meet; a refused row names the one it broke."""

    EXEC_ID = "exec_id"  # a non-blank broker execution id
    UNIQUE_EXECUTION = "unique_execution"  # an exec_id once per file
    SAME_EXECUTION = "same_execution"  # an exec_id booked before carries the same fields
    RELEASED_ORDER = "released_order"
    ALLOCATION = "allocation"
    SYMBOL = "symbol"
    SIDE = "side"
    INSTRUCTED_LOT = "instructed_lot"
    POSITIVE_QUANTITY = "positive_quantity"
    WHOLE_SHARES = "whole_shares"  # unless the account allows fractional shares: then its decimals
    FRACTIONAL_DECIMALS = "fractional_decimals"  # no finer than the custodian's decimals
    POSITIVE_PRICE = "positive_price"
    PRICE_COLLAR = "price_collar"
    OPEN_QUANTITY = "open_quantity"  # not beyond the allocation's (or lot's) unfilled shares


@dataclass(frozen=True)
class FillProblem:
    row: int  # 1-based data row of the fills file
    column: str
    why: str
    rule: str = ""


class FillsRejected(SmaError, ValueError):
    """The fills file does not match the released blotter; every problem with its row, column and
    rule."""

    def __init__(self, source: str, problems: list[FillProblem]) -> None:
        lines = [
            f"{source}: row {p.row}, column {p.column}: {p.why}"
            + (f" [rule {p.rule}]" if p.rule else "")
            for p in problems
        ]
        super().__init__(f"{len(problems)} fill row problem(s):\n" + "\n".join(lines))
        self.source, self.problems = source, problems


@dataclass(frozen=True)
class FillMatch:
    """The outcome of matching a fills file.

    new : fills to book now, columns ``BOOKED_COLUMNS``; quantity in shares, fill_price what the
        broker reported, price the block's average price at which the account is booked (USD).
    duplicates : number of rows whose execution was booked before (skipped).
    open_allocations : allocation_id, order_id, account_id, symbol, side, ordered, filled, open
        (shares), after this file.
    open_lots : allocation_id, account_id, symbol, lot_id, instructed, relieved, open (shares).
    """

    new: pd.DataFrame
    duplicates: int
    open_allocations: pd.DataFrame
    open_lots: pd.DataFrame


def empty_booked() -> pd.DataFrame:
    """A table of booked fills with no rows, its columns typed."""
    return pd.DataFrame(
        {
            c: pd.Series(dtype=float if c in ("quantity", "fill_price", "price") else str)
            for c in BOOKED_COLUMNS
        }
    )


def fill_ids(fills: pd.DataFrame) -> pd.Series:
    """Ids of fill rows: SHA-256 of the order and the broker's execution id (one execution, one
    id)."""
    key = fills["order_id"].astype(str) + "|" + fills["exec_id"].astype(str)
    return key.map(lambda s: hashlib.sha256(s.encode()).hexdigest()[:32])


def _problems(
    mask: np.ndarray, column: str, why: pd.Series | str, rule: FillRule
) -> list[FillProblem]:
    rows = np.flatnonzero(mask)
    whys = why.to_numpy()[rows] if isinstance(why, pd.Series) else [why] * len(rows)  # pyright: ignore[reportAttributeAccessIssue]
    return [FillProblem(int(r) + 1, column, str(w), str(rule)) for r, w in zip(rows, whys)]


def match_fills(
    fills: pd.DataFrame,
    blotter: Blotter,
    booked: pd.DataFrame,
    source: str = "fills",
    limits: FillLimits = FillLimits(),
    fractional: frozenset[str] = frozenset(),
) -> FillMatch:
    """Match ``fills`` to the released ``blotter``, given the fills ``booked`` before (every file).

    ``limits.price_collar`` : a fill price may differ from its order's reference price by at most
    this fraction (the ``[fills] price_collar`` setting).
    ``fractional`` : accounts that allow fractional shares (the inbox's ``fractional_shares``):
    their fills may be any quantity to ``limits.fractional_decimals`` places; every other
    account's fills are whole shares (or the allocation's own fraction, a lot sold out).

    Raises
    ------
    FillsRejected
        Every row that breaks a ``FillRule``; nothing of the file is matched then.
    """
    f = fills.reset_index(drop=True).copy()
    for c in ("exec_id", "order_id", "account_id", "symbol", "side"):
        f[c] = f[c].where(f[c].notna(), "").astype(str)
    f["lot_id"] = f["lot_id"].where(f["lot_id"].notna(), "").astype(str)
    f["quantity"] = f["quantity"].astype(float)
    f["price"] = f["price"].astype(float)
    f["fill_id"] = fill_ids(f) if len(f) else pd.Series(dtype=str)
    alloc = blotter.allocations[["order_id", "account_id", "allocation_id", "quantity"]].rename(
        columns={"quantity": "ordered"}
    )
    f = f.merge(alloc, on=["order_id", "account_id"], how="left")
    problems = (
        _execution_problems(f, booked)
        + _release_problems(f, blotter)
        + _amount_problems(f, blotter, limits, fractional)
    )
    if problems:
        raise FillsRejected(source, sorted(problems, key=lambda p: p.row))

    dup = f["exec_id"].isin(set(booked["exec_id"].astype(str))).to_numpy()
    new = f[~dup].copy()
    new["fill_price"] = new["price"]
    value = new["quantity"] * new["fill_price"]
    new["price"] = value.groupby(new["order_id"]).transform("sum") / new["quantity"].groupby(
        new["order_id"]
    ).transform("sum")
    new = new[list(BOOKED_COLUMNS)].reset_index(drop=True)
    everything = (
        pd.concat([booked[list(BOOKED_COLUMNS)], new], ignore_index=True) if len(booked) else new
    )
    open_alloc, open_lots = _open(blotter, everything)
    over = open_alloc[open_alloc["open"] < -_SHARE_TOLERANCE]
    over_lots = open_lots[open_lots["open"] < -_SHARE_TOLERANCE]
    if len(over) or len(over_lots):
        rows = {
            a: int(np.flatnonzero((f["allocation_id"] == a).to_numpy())[-1]) + 1
            for a in (*over["allocation_id"], *over_lots["allocation_id"])
        }
        rule = str(FillRule.OPEN_QUANTITY)
        problems = [
            FillProblem(
                rows[r.allocation_id],
                "quantity",
                f"fills {r.filled:g} shares of allocation {r.allocation_id}, released "
                f"{r.ordered:g}",
                rule,
            )
            for r in over.itertuples()
        ]
        problems += [
            FillProblem(
                rows[r.allocation_id],
                "quantity",
                f"relieves {r.relieved:g} shares of lot {r.lot_id}, instructed {r.instructed:g}",
                rule,
            )
            for r in over_lots.itertuples()
        ]
        raise FillsRejected(source, sorted(problems, key=lambda p: p.row))
    return FillMatch(
        new=new, duplicates=int(dup.sum()), open_allocations=open_alloc, open_lots=open_lots
    )


def _execution_problems(f: pd.DataFrame, booked: pd.DataFrame) -> list[FillProblem]:
    """One row per execution: a blank exec_id, one repeated in the file, or one booked before
    with other fields (a broker's correction is not a new fill) is refused."""
    problems = _problems(
        (f["exec_id"].str.strip() == "").to_numpy(),
        "exec_id",
        "the broker's execution id is blank",
        FillRule.EXEC_ID,
    )
    problems += _problems(
        f["exec_id"].duplicated(keep="first").to_numpy() & (f["exec_id"] != "").to_numpy(),
        "exec_id",
        "exec_id " + f["exec_id"] + " appears earlier in the file",
        FillRule.UNIQUE_EXECUTION,
    )
    if not len(booked):
        return problems
    first = booked.drop_duplicates("exec_id")
    before = first.set_index(first["exec_id"].astype(str))
    seen = f["exec_id"].isin(before.index).to_numpy()
    same = np.ones(len(f), dtype=bool)
    mine = f.assign(fill_price=f["price"])
    for col in _EXECUTION_FIELDS:
        theirs = f["exec_id"].map(before[col])
        if col in ("quantity", "fill_price"):
            same &= ~seen | np.isclose(
                mine[col].to_numpy(float),
                theirs.to_numpy(float, na_value=np.nan),
                rtol=0,
                atol=1e-9,
            )
        else:
            same &= ~seen | (
                mine[col].astype(str).to_numpy() == theirs.fillna("").astype(str).to_numpy()
            )
    problems += _problems(
        seen & ~same,
        "exec_id",
        "exec_id " + f["exec_id"] + " was booked before with other fields",
        FillRule.SAME_EXECUTION,
    )
    return problems


def _release_problems(f: pd.DataFrame, blotter: Blotter) -> list[FillProblem]:
    """Every fill matches a released allocation, its symbol, side and instructed lots."""
    orders = blotter.orders.set_index("order_id")
    known_order = f["order_id"].isin(orders.index).to_numpy()
    problems = _problems(
        ~known_order,
        "order_id",
        "no released order has this id: " + f["order_id"],
        FillRule.RELEASED_ORDER,
    )
    problems += _problems(
        known_order & f["allocation_id"].isna().to_numpy(),
        "account_id",
        "the order has no allocation for account " + f["account_id"],
        FillRule.ALLOCATION,
    )
    sym = f["order_id"].map(orders["symbol"])
    side = f["order_id"].map(orders["side"])
    problems += _problems(
        known_order & (sym != f["symbol"]).to_numpy(),
        "symbol",
        "the order is for " + sym.astype(str),
        FillRule.SYMBOL,
    )
    side_ok = (side == f["side"]).to_numpy()
    problems += _problems(
        known_order & ~side_ok, "side", "the order is a " + side.astype(str), FillRule.SIDE
    )
    is_sell = (f["side"] == Side.SELL).to_numpy()
    lots = blotter.lot_instructions[["allocation_id", "lot_id"]].assign(instructed=True)
    lot_ok = (
        f.merge(lots, on=["allocation_id", "lot_id"], how="left")["instructed"].eq(True).to_numpy()
    )
    problems += _problems(
        side_ok & is_sell & ~lot_ok,
        "lot_id",
        "a sell must name a lot instructed for this allocation, got "
        + f["lot_id"].replace("", "(blank)"),
        FillRule.INSTRUCTED_LOT,
    )
    problems += _problems(
        side_ok & ~is_sell & (f["lot_id"] != "").to_numpy(),
        "lot_id",
        "a buy opens a new lot: lot_id must be blank",
        FillRule.INSTRUCTED_LOT,
    )
    return problems


def _amount_problems(
    f: pd.DataFrame, blotter: Blotter, limits: FillLimits, fractional: frozenset[str]
) -> list[FillProblem]:
    """Whole positive shares (or the fractional allocation's own fraction; for an account that
    allows fractional shares, the custodian's decimals); a positive price inside the collar around
    the order's reference price."""
    price_collar = limits.price_collar
    q = f["quantity"].to_numpy(float)
    may_split = f["account_id"].isin(fractional).to_numpy()
    problems = _problems(
        ~np.isfinite(q) | (q <= 0),
        "quantity",
        "must be a positive number of shares",
        FillRule.POSITIVE_QUANTITY,
    )
    ordered = f["ordered"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        fraction, allowed = q - np.floor(q), ordered - np.floor(ordered)
        whole = (np.abs(q - np.round(q)) <= _SHARE_TOLERANCE) & (np.round(q) >= 1)
        own_fraction = (allowed > _SHARE_TOLERANCE) & (
            np.abs(fraction - allowed) <= _SHARE_TOLERANCE
        )
        units = q * 10.0**limits.fractional_decimals
        to_decimals = np.abs(units - np.round(units)) <= 1e-6
    bad = np.isfinite(q) & (q > 0) & ~whole & ~own_fraction
    problems += _problems(
        bad & ~may_split,
        "quantity",
        f["quantity"].map(
            lambda v: (
                f"{v:g} is not a whole number of shares (nor the allocation's own fraction); "
                "the account does not allow fractional shares"
            )
        ),
        FillRule.WHOLE_SHARES,
    )
    problems += _problems(
        bad & may_split & ~to_decimals,
        "quantity",
        f["quantity"].map(
            lambda v: (
                f"{v!r} has more than the custodian's {limits.fractional_decimals} decimals "
                "of a share"
            )
        ),
        FillRule.FRACTIONAL_DECIMALS,
    )
    price = f["price"].to_numpy(float)
    positive = np.isfinite(price) & (price > 0)
    problems += _problems(~positive, "price", "must be a positive number", FillRule.POSITIVE_PRICE)
    reference = (
        f["order_id"].map(blotter.orders.set_index("order_id")["reference_price"]).to_numpy(float)
    )
    with np.errstate(invalid="ignore"):
        outside = (
            positive
            & np.isfinite(reference)
            & (np.abs(price - reference) > price_collar * reference * (1 + 1e-12))
        )
    why = pd.Series(
        [
            f"{p:g} is more than {price_collar:.0%} from the order's reference price {r:g}"
            for p, r in zip(price.tolist(), reference.tolist())
        ],
        dtype=object,
    )
    problems += _problems(outside, "price", why, FillRule.PRICE_COLLAR)
    return problems


def _open(blotter: Blotter, booked: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    filled = booked.groupby("allocation_id")["quantity"].sum()
    a = blotter.allocations[
        ["allocation_id", "order_id", "account_id", "symbol", "side", "quantity"]
    ].rename(columns={"quantity": "ordered"})
    a = a.assign(filled=a["allocation_id"].map(filled).fillna(0.0).astype(float))
    a["open"] = a["ordered"] - a["filled"]
    relieved = (
        booked[booked["lot_id"] != ""]
        .groupby(["allocation_id", "lot_id"])["quantity"]
        .sum()
        .rename("relieved")
        .reset_index()
    )
    lots = blotter.lot_instructions[
        ["allocation_id", "account_id", "symbol", "lot_id", "quantity"]
    ].rename(columns={"quantity": "instructed"})
    lots = lots.merge(relieved, on=["allocation_id", "lot_id"], how="left")
    lots["relieved"] = lots["relieved"].fillna(0.0).astype(float)
    lots["open"] = lots["instructed"] - lots["relieved"]
    return a.reset_index(drop=True), lots.reset_index(drop=True)
