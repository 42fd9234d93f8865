"""What leaves the system on release: desk CSV, allocations, lot instructions and FIX 4.4.

CSV cells that a spreadsheet would read as a formula (starting ``= + - @``, tab or carriage
return) are neutralised with a leading apostrophe (OWASP, "CSV Injection"); numbers are written
as numbers. FIX 4.4 messages are built with simplefix, which fills BodyLength (9) and CheckSum
(10): one NewOrderSingle (35=D) per block with ClOrdID = order id and its pre-allocations, and
one AllocationInstruction (35=J) per block. FIX 4.4 has no versus-purchase lot fields (they
arrived in FIX 5.0SP2, tags 1752-1755), so the lot instructions go in their own CSV keyed by
order and allocation id.

Every export is also a stream (``*_chunks``): a big night's allocations arrive in batches in
the blotter's order and leave as text a batch at a time; the in-memory forms are the same code
on one batch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import simplefix

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
    return v


def csv_chunks(parts: Iterable[pd.DataFrame], columns: list[str]) -> Iterator[str]:
    """CSV text of the rows of ``parts`` (the columns ``columns``), header first, a part at a time.

    Every text cell is neutralised; floats are at full precision, whole numbers without ``.0``.
    """
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([neutralise(str(c)) for c in columns])
    for df in parts:
        for row in zip(*(df[c].tolist() for c in columns)):
            w.writerow([neutralise(_number(v)) for v in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def to_csv(df: pd.DataFrame) -> str:
    """``df`` as CSV text with every text cell neutralised; floats at full precision."""
    return "".join(csv_chunks([df], list(df.columns)))


#: The columns of each CSV export, by the blotter frame it comes from.
DESK_COLUMNS = ["order_id", "symbol", "side", "quantity", "reference_price", "notional", "n_allocations"]
ALLOCATION_EXPORT_COLUMNS = ["allocation_id", "order_id", "account_id", "symbol", "side", "quantity", "ratio"]
LOT_EXPORT_COLUMNS = ["order_id", "allocation_id", "account_id", "symbol", "lot_id", "quantity"]


def desk_csv(blotter: Blotter) -> str:
    """The trading desk's sheet: one line per block order."""
    return to_csv(blotter.orders[DESK_COLUMNS])


def allocations_csv(blotter: Blotter) -> str:
    return to_csv(blotter.allocations[ALLOCATION_EXPORT_COLUMNS])


def lot_instructions_csv(blotter: Blotter) -> str:
    return to_csv(blotter.lot_instructions[LOT_EXPORT_COLUMNS])


def _shares(q: float) -> str:
    return str(int(q)) if float(q).is_integer() else repr(float(q))


def by_order(parts: Iterable[pd.DataFrame]) -> Iterator[tuple[str, pd.DataFrame]]:
    """(order id, its allocations) from allocations in the blotter's order, in batches of any size."""
    carry: pd.DataFrame | None = None
    for part in parts:
        if carry is not None:
            part = pd.concat([carry, part], ignore_index=True)
        if not len(part):
            continue
        ids = part["order_id"].to_numpy()
        starts = [0, *(1 + pd.Series(ids[1:] != ids[:-1]).to_numpy().nonzero()[0])]
        for a, b in zip(starts[:-1], starts[1:]):
            yield str(ids[a]), part.iloc[a:b]
        carry = part.iloc[starts[-1]:]  # the last order may go on in the next batch
    if carry is not None and len(carry):
        yield str(carry["order_id"].iloc[0]), carry


def fix_messages(blotter: Blotter, released_at: datetime, session: FixSession = FixSession()) -> list[bytes]:
    """FIX 4.4 messages for a released blotter (:func:`fix_message_chunks` over one batch)."""
    allocations = blotter.allocations.sort_values(["order_id", "allocation_id"], kind="stable")
    return list(fix_message_chunks(blotter.orders, lambda: [allocations], released_at, session))


def fix_message_chunks(
    orders: pd.DataFrame, allocations: Callable[[], Iterable[pd.DataFrame]], released_at: datetime,
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

    def header(msg_type: str) -> simplefix.FixMessage:
        m = simplefix.FixMessage()
        m.append_pair(8, "FIX.4.4", header=True)
        m.append_pair(35, msg_type, header=True)
        m.append_pair(49, session.sender_comp_id, header=True)
        m.append_pair(56, session.target_comp_id, header=True)
        m.append_pair(34, seq, header=True)
        m.append_pair(52, stamp, header=True)
        return m

    def allocs(m: simplefix.FixMessage, g: pd.DataFrame) -> None:
        m.append_pair(78, len(g))
        for aid, acct, q in zip(g["allocation_id"], g["account_id"], g["quantity"]):
            m.append_pair(79, acct)
            m.append_pair(467, aid)
            m.append_pair(80, _shares(q))

    def paired() -> Iterator[tuple[object, pd.DataFrame]]:
        groups = by_order(allocations())
        for o in orders.itertuples(index=False):
            oid, g = next(groups, (None, None))
            if oid != o.order_id:
                raise ValueError(f"block order {o.order_id}: its allocations are missing or out of order (found {oid})")
            yield o, g

    for o, g in paired():
        m = header("D")
        m.append_pair(11, o.order_id)
        m.append_pair(21, "1")  # automated execution, no broker intervention
        allocs(m, g)
        m.append_pair(55, o.symbol)
        m.append_pair(54, _FIX_SIDE[Side(o.side)])
        m.append_pair(60, stamp)
        m.append_pair(38, _shares(o.quantity))
        m.append_pair(40, "1")  # market
        yield m.encode()
        seq += 1
    for o, g in paired():
        m = header("J")
        m.append_pair(70, f"{o.order_id}-J")
        m.append_pair(71, "0")  # new
        m.append_pair(626, "2")  # preliminary: without fees and net money
        m.append_pair(857, "1")  # explicit list of orders follows
        m.append_pair(73, 1)
        m.append_pair(11, o.order_id)
        m.append_pair(54, _FIX_SIDE[Side(o.side)])
        m.append_pair(55, o.symbol)
        m.append_pair(53, _shares(o.quantity))
        m.append_pair(6, repr(float(o.reference_price)))
        m.append_pair(75, trade_date)
        allocs(m, g)
        yield m.encode()
        seq += 1
