"""What leaves the system on release: desk CSV, allocations, lot instructions and FIX 4.4.

CSV cells that a spreadsheet would read as a formula (starting ``= + - @``, tab or carriage
return) are neutralised with a leading apostrophe (OWASP, "CSV Injection"); numbers are written
as numbers. FIX 4.4: one NewOrderSingle (35=D) per block with ClOrdID = order id and its
pre-allocations, and
one AllocationInstruction (35=J) per block. FIX 4.4 has no versus-purchase lot fields (they
arrived in FIX 5.0SP2, tags 1752-1755), so the lot instructions go in their own CSV keyed by
order and allocation id. The messages are encoded here (BodyLength and CheckSum as FIX 4.4
defines them): a night of 100,000 accounts sends some 22 million allocations twice, which a
general FIX library, field by field, takes half an hour to encode; the tests parse every message
back with simplefix and check it against simplefix's own encoding.

Every export is also a stream (``*_chunks``): a big night's allocations arrive in batches in
the blotter's order and leave as text a batch at a time; the in-memory forms are the same code
on one batch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from sma.inbox import FORMULA_PREFIXES, Side
from sma.trading._blotter import Blotter

_FIX_SIDE = {Side.BUY: "1", Side.SELL: "2"}


@dataclass(frozen=True)
class FixSession:
    """The FIX header a desk expects; the defaults name this system and a generic broker."""

    sender_comp_id: str = "SMA-NIGHTLY"
    target_comp_id: str = "BROKER"
    first_seq_num: int = 1


def neutralise(cell: object) -> object:
    """A text cell that could start a spreadsheet formula, made inert; anything else unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def _number(v: object) -> object:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if v != v:  # a missing number is an empty cell, as spreadsheets and pandas read it, not "nan"
        return ""
    return v


def csv_chunks(parts: Iterable[pd.DataFrame], columns: list[str]) -> Iterator[str]:
    """CSV text of the rows of ``parts`` (the columns ``columns``), header first, a part at a time.

    Every text cell is neutralised; floats are at full precision (``repr``), whole numbers
    without ``.0``, a missing number (NaN) empty, quantities of shares to ``SHARE_DECIMALS``
    places; quoting is the ``csv``
    module's. Numbers are formatted a column at a time and the rows written by the ``csv``
    module's ``writerows``, not cell by cell in Python.
    """
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([neutralise(str(c)) for c in columns])
    for df in parts:
        w.writerows(zip(*(_cells(df[c], c == "quantity") for c in columns)))
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def _cells(values: pd.Series, shares: bool = False) -> list:
    """A column's cells as ``csv`` should write them: numbers as ``_number`` gives them, text
    neutralised; ``shares`` (a quantity column) to ``SHARE_DECIMALS`` places, without float
    noise."""
    if pd.api.types.is_float_dtype(values.dtype):
        q = values.to_numpy(dtype=float)
        if shares:
            q = np.round(q, SHARE_DECIMALS)
        fits = (
            np.isfinite(q) & (q == np.floor(q)) & (np.abs(q) < 2.0**63)
        )  # whole, and exact as int64
        if fits.all():
            return q.astype(np.int64).tolist()
        return [_number(x) for x in q.tolist()]
    return [_number(v) if isinstance(v, float) else neutralise(v) for v in values.tolist()]


def to_csv(df: pd.DataFrame) -> str:
    """``df`` as CSV text with every text cell neutralised; floats at full precision."""
    return "".join(csv_chunks([df], list(df.columns)))


#: The columns of each CSV export, by the blotter frame it comes from.
DESK_COLUMNS = [
    "order_id",
    "symbol",
    "side",
    "quantity",
    "reference_price",
    "notional",
    "n_allocations",
]
ALLOCATION_EXPORT_COLUMNS = [
    "allocation_id",
    "order_id",
    "account_id",
    "symbol",
    "side",
    "quantity",
    "ratio",
]
LOT_EXPORT_COLUMNS = ["order_id", "allocation_id", "account_id", "symbol", "lot_id", "quantity"]


def desk_csv(blotter: Blotter) -> str:
    """The trading desk's sheet: one line per block order."""
    return to_csv(blotter.orders[DESK_COLUMNS])


def allocations_csv(blotter: Blotter) -> str:
    """The blotter's allocations, one row per account and order, as the exported CSV."""
    return to_csv(blotter.allocations[ALLOCATION_EXPORT_COLUMNS])


def lot_instructions_csv(blotter: Blotter) -> str:
    """The blotter's lot instructions (which lots each sale relieves) as the exported CSV."""
    return to_csv(blotter.lot_instructions[LOT_EXPORT_COLUMNS])


#: Decimals a share quantity is written with: beyond any custodian's (0.001 share is usual) and
#: far above float noise, so a sum such as 0.1 + 0.2 is written 0.3, not 0.30000000000000004.
SHARE_DECIMALS = 9


def _shares(q: float) -> str:
    """A quantity of shares as FIX Qty (a float field, FIX 4.4 Volume 1): whole shares as an
    integer, a fraction with the decimals it has (at most ``SHARE_DECIMALS``), no exponent."""
    q = round(float(q), SHARE_DECIMALS)
    if q.is_integer():
        return str(int(q))
    return f"{q:.{SHARE_DECIMALS}f}".rstrip("0")


def by_order(parts: Iterable[pd.DataFrame]) -> Iterator[tuple[str, pd.DataFrame]]:
    """(order id, its allocations) from allocations in the blotter's order, in batches of any
    size."""
    carry: pd.DataFrame | None = None
    for part in parts:
        if carry is not None:
            part = pd.concat([carry, part], ignore_index=True)
        if not len(part):
            continue
        ids = part["order_id"].to_numpy()
        starts = [0, *(np.flatnonzero(ids[1:] != ids[:-1]) + 1).tolist()]
        for a, b in zip(starts[:-1], starts[1:]):
            yield str(ids[a]), part.iloc[a:b]
        carry = part.iloc[starts[-1] :]  # the last order may go on in the next batch
    if carry is not None and len(carry):
        yield str(carry["order_id"].iloc[0]), carry


def fix_messages(
    blotter: Blotter, released_at: datetime, session: FixSession = FixSession()
) -> list[bytes]:
    """FIX 4.4 messages for a released blotter (:func:`fix_message_chunks` over one batch)."""
    allocations = blotter.allocations.sort_values(["order_id", "allocation_id"], kind="stable")
    return list(fix_message_chunks(blotter.orders, lambda: [allocations], released_at, session))


def fix_message_chunks(
    orders: pd.DataFrame,
    allocations: Callable[[], Iterable[pd.DataFrame]],
    released_at: datetime,
    session: FixSession = FixSession(),
) -> Iterator[bytes]:
    """FIX 4.4 messages for a released blotter: per block a NewOrderSingle, then per block an
    AllocationInstruction (preliminary: AvgPx is the reference price until fills come back).

    ``allocations()`` gives the allocations in the blotter's order (by order id, then allocation
    id), in batches of any size; it is called twice, once per kind of message.
    Deterministic: the same blotter and release time give the same bytes.
    """
    stamp = released_at.strftime("%Y%m%d-%H:%M:%S.") + f"{released_at.microsecond // 1000:03d}"
    trade_date = released_at.strftime("%Y%m%d")
    orders = orders.sort_values("order_id").reset_index(drop=True)
    seq = session.first_seq_num

    def message(
        msg_type: str,
        fields: list[tuple[int, object]],
        allocations: pd.DataFrame,
        after: list[tuple[int, object]],
    ) -> bytes:
        head = [
            (35, msg_type),
            (49, session.sender_comp_id),
            (56, session.target_comp_id),
            (34, seq),
            (52, stamp),
        ]
        return fix_message([*head, *fields], _alloc_group(allocations), after)

    def paired() -> Iterator[tuple[Any, pd.DataFrame]]:  # an order row (itertuples)
        groups = by_order(allocations())
        for o in orders.itertuples(index=False):
            oid, g = next(groups, (None, None))
            if oid != o.order_id:
                raise ValueError(
                    f"block order {o.order_id}: its allocations are missing or out of order "
                    f"(found {oid})"
                )
            yield o, g

    for o, g in paired():
        yield message(
            "D",
            [(11, o.order_id), (21, "1")],
            g,
            [  # 21=1: automated, no broker intervention
                (55, o.symbol),
                (54, _FIX_SIDE[Side(o.side)]),
                (60, stamp),
                (38, _shares(o.quantity)),
                (40, "1"),
            ],
        )  # 40=1: market
        seq += 1
    for o, g in paired():
        yield message(
            "J",
            [
                (70, f"{o.order_id}-J"),
                (71, "0"),  # new
                (626, "2"),  # preliminary: without fees and net money
                (857, "1"),  # explicit list of orders follows
                (73, 1),
                (11, o.order_id),
                (54, _FIX_SIDE[Side(o.side)]),
                (55, o.symbol),
                (53, _shares(o.quantity)),
                (6, repr(float(o.reference_price))),
                (75, trade_date),
            ],
            g,
            [],
        )
        seq += 1


def _alloc_group(g: pd.DataFrame) -> bytes:
    """The NoAllocs (78) group of a block: AllocAccount (79), IndividualAllocID (467), AllocQty
    (80)."""
    q = g["quantity"].to_numpy(dtype=float)
    shares = (
        q.astype(np.int64).astype(str).tolist()
        if np.all(q == np.floor(q))
        else [_shares(x) for x in q]
    )
    return (
        f"78={len(g)}\x01"
        + "".join(
            f"79={a}\x01467={i}\x0180={s}\x01"
            for a, i, s in zip(g["account_id"].tolist(), g["allocation_id"].tolist(), shares)
        )
    ).encode()


def fix_message(
    fields: list[tuple[int, object]], group: bytes = b"", after: Sequence[tuple[int, object]] = ()
) -> bytes:
    """One FIX 4.4 message: BeginString (8), BodyLength (9), ``fields``, the pre-encoded ``group``,
    ``after``, CheckSum (10).

    BodyLength counts the bytes after its own field up to CheckSum; CheckSum is the sum of every
    byte before it modulo 256, three digits (FIX 4.4, Volume 2, "Message Format").
    """

    def encode(pairs) -> bytes:
        return "".join(f"{tag}={value}\x01" for tag, value in pairs).encode()

    body = encode(fields) + group + encode(after)
    msg = b"8=FIX.4.4\x019=" + str(len(body)).encode() + b"\x01" + body
    return msg + b"10=%03d\x01" % (int(np.frombuffer(msg, np.uint8).sum(dtype=np.int64)) % 256)
