"""The tax-lot ledger: lots, relief, holding periods, wash sales, splits -- the one home of tax
rules.

Public API (all pure: arrays and frames in, arrays and frames out; money booked in integer cents)

Holding periods (IRS Publication 550)
    ``is_long_term(holding_start, sale_date) -> ndarray[bool]``: long-term when sold more than one
    year after the day after ``holding_start`` (a lot's ``adjusted_acquired_date``).
    ``long_term_from(holding_start) -> ndarray[datetime64[D]]``: first long-term sale date.
    ``carried_holding_start(replacement_acquired, sold_holding_start, sale_date)``: wash carry-over.
Relief
    ``ReliefMethod`` (FIFO, LIFO, HIFO, SPECIFIC, MINTAX);
    ``relief_order(method, acquired, created, basis_per_share, price, long_term) -> ndarray[int]``.
Wash-sale blocks for the nightly engine
    ``wash_sale_blocks(transactions, identical_group, as_of) -> DataFrame`` (``BLOCK_COLUMNS``):
    per (household_id, identical_group), ``buy_blocked`` and ``loss_sale_blocked``.
    ``identical_groups(symbols, identical_group) -> ndarray[str]``.
    The window, from ``WASH_SALE_WINDOW_DAYS`` only: ``wash_sale_window_start(as_of)`` (the earliest
    trade that can still block), ``wash_sale_block_until(caused_by)`` (the first day a block is
    gone);
    ``recent_lot_purchases(lots, household_of, as_of)``: lots bought inside the window, as buys.
Gain budget
    ``realized_this_year(realized, as_of) -> Series`` (cents per account, ``REALIZED_YTD_COLUMNS``),
    ``gain_budget_remaining(gain_budget, realized_ytd, taxable)``, ``tax_year_start(as_of)``.
Reconciliation
    ``reconcile(lots, positions, tolerance)`` (``BREAK_COLUMNS``) and
    ``reconciliation_holds(breaks)``
    (``HOLD_COLUMNS``): lots that do not add up to the custodian's positions hold the account.
Booking (fills loader, simulator, statements)
    ``Ledger(accounts, identical_group=None)`` with
    ``add_lots(lots)`` (``OPENING_LOT_COLUMNS``: ``account_id, lot_id, symbol, quantity,
    cost_basis_cents, acquired_date, adjusted_acquired_date``),
    ``buy(account_id, symbol, lot_id, quantity, cost_cents, trade_date) -> lot position``,
    ``sell(account_id, symbol, quantity, proceeds_cents, trade_date, method, lot_ids=()) -> realized
    row positions``, ``split(symbol, ratio, account_id=None)``;
    ``apply_splits(lots, corporate_actions, as_of)``: the same rule on a whole book of lots (a
    frame);
    ``open_lots() -> DataFrame`` and ``realized() -> DataFrame`` (Form 8949 fields, cents),
    ``realized_at(rows) -> DataFrame`` (the rows one ``sell`` booked);
    ``add_recent_sales(realized)`` (earlier nights' sales, so today's buys can wash them) and
    ``amended_sales() -> DataFrame`` (those of them a buy booked now washed).
    A fills loader: ``Ledger(accounts, groups)``, ``add_lots(store lots)``, ``add_recent_sales(last
    30 days of realized rows)``, then ``buy``/``sell(..., ReliefMethod.SPECIFIC, lot_ids=(lot,))``
    per fill, then write ``open_lots()``, ``realized()`` and ``amended_sales()``.
    Errors: ``LedgerError`` and its kinds ``OversellError``, ``UnknownLotError``,
    ``DuplicateLotError``, ``UnknownAccountError``, ``InvalidTradeError``.
Replay (``sma ledger replay``)
    ``replay(accounts, lots, transactions, method, identical_group=None, vectorised=True)
    -> ReplayResult(realized, open_lots)``; raises ``ReplayRowError`` naming the row. With FIFO,
    household groups that cannot hold a wash sale are relieved with arrays, the rest trade by trade.
Money
    ``usd_to_cents`` (``usd_array_to_cents``, ``notional_cents`` for arrays and trades),
    ``cents_to_usd``, ``cents_to_usd_text``: the one USD/cents boundary, with its one rounding
    rule (half a cent away from zero).
"""

from sma.ledger._blocks import (
    BLOCK_COLUMNS,
    PURCHASE_COLUMNS,
    WASH_SALE_WINDOW_DAYS,
    identical_groups,
    recent_lot_purchases,
    wash_sale_block_until,
    wash_sale_blocks,
    wash_sale_window_start,
)
from sma.ledger._budget import (
    REALIZED_YTD_COLUMNS,
    gain_budget_remaining,
    realized_this_year,
    tax_year_start,
)
from sma.ledger._errors import (
    DuplicateLotError,
    InvalidTradeError,
    LedgerError,
    OversellError,
    UnknownAccountError,
    UnknownLotError,
)
from sma.ledger._holding import carried_holding_start, is_long_term, long_term_from
from sma.ledger._ledger import OPENING_LOT_COLUMNS, Ledger
from sma.ledger._money import (
    cents_to_usd,
    cents_to_usd_text,
    notional_cents,
    usd_array_to_cents,
    usd_to_cents,
)
from sma.ledger._reconcile import BREAK_COLUMNS, HOLD_COLUMNS, reconcile, reconciliation_holds
from sma.ledger._relief import ReliefMethod, relief_order
from sma.ledger._replay import (
    REPLAY_TRANSACTION_COLUMNS,
    Action,
    ReplayResult,
    ReplayRowError,
    replay,
)
from sma.ledger._split import apply_splits

__all__ = [
    "BLOCK_COLUMNS",
    "BREAK_COLUMNS",
    "HOLD_COLUMNS",
    "OPENING_LOT_COLUMNS",
    "PURCHASE_COLUMNS",
    "REALIZED_YTD_COLUMNS",
    "REPLAY_TRANSACTION_COLUMNS",
    "WASH_SALE_WINDOW_DAYS",
    "Action",
    "DuplicateLotError",
    "InvalidTradeError",
    "Ledger",
    "LedgerError",
    "OversellError",
    "ReliefMethod",
    "ReplayResult",
    "ReplayRowError",
    "UnknownAccountError",
    "UnknownLotError",
    "apply_splits",
    "carried_holding_start",
    "cents_to_usd",
    "cents_to_usd_text",
    "gain_budget_remaining",
    "identical_groups",
    "is_long_term",
    "long_term_from",
    "realized_this_year",
    "recent_lot_purchases",
    "reconcile",
    "reconciliation_holds",
    "relief_order",
    "replay",
    "tax_year_start",
    "notional_cents",
    "usd_array_to_cents",
    "usd_to_cents",
    "wash_sale_block_until",
    "wash_sale_blocks",
    "wash_sale_window_start",
]
