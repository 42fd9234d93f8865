"""The tax-lot ledger: lots, relief, holding periods, wash sales, splits -- the one home of tax
rules.

Public API (all pure: arrays and frames in, arrays and frames out; money booked in integer cents)

Holding periods (IRS Publication 550)
    ``is_long_term(holding_start, sale_date) -> ndarray[bool]``: long-term when sold more than one
    year after the day after ``holding_start`` (a lot's ``adjusted_acquired_date``). The first
    long-term sale date and a washed lot's carried-over holding period are ``_holding``'s.
Relief
    ``ReliefMethod`` (FIFO, LIFO, HIFO, SPECIFIC, MINTAX), taken by ``sell`` and ``replay``; the
    order each method relieves lots in is ``_relief``'s.
Wash-sale blocks for the nightly engine
    ``wash_sale_blocks(transactions, identical_group, as_of) -> DataFrame``: per (household_id,
    identical_group), ``buy_blocked`` and ``loss_sale_blocked`` with the last loss sale and buy
    dates that cause them.
    ``identical_groups(symbols, identical_group) -> ndarray[str]``.
    The window, from its one constant (30 days): ``wash_sale_window_start(as_of)`` (the earliest
    trade that can still block), ``wash_sale_block_until(caused_by)`` (the first day a block is
    gone);
    ``recent_lot_purchases(lots, household_of, as_of)``: lots bought inside the window, as buys.
    ``under_current_symbols(transactions, symbol_changes, as_of)``: trades renamed by the
    SYMBOL_CHANGEs since, so a block follows the security to its new ticker.
Gain budget
    ``realized_this_year(realized, as_of) -> Series`` (cents per account),
    ``gain_budget_remaining(gain_budget, realized_ytd, taxable)``, ``tax_year_start(as_of)``.
Charitable gifts
    ``choose_gift_lots(requests, lots, prices, as_of, sell_barred=None, share_decimals=None)
    -> GiftChoice(lots, short)``: the most appreciated long-term lots first (gain per dollar), never
    short-term, loss or NO_SELL lots (IRS Pub. 526, IRC 170(e), Pub. 550); ``GIFT_LOT_COLUMNS``;
    ``without_gifts(lots, delivered)``: the lots left once the gift leaves (no sale, no gain).
Distributions
    ``paid_out(closes, corporate_actions) -> DataFrame``: USD per share each symbol paid its
    holders on each day besides its close (a spin-off's new shares, a return of capital), for
    returns measured on closes (``PaidOutError`` when a spin-off's new shares have no close).
Reconciliation
    ``reconcile(lots, positions, tolerance)`` (breaks: ``account_id, symbol, lots, custodian``)
    and ``reconciliation_holds(breaks)`` (``account_id, kind, reason``): lots that do not add up
    to the custodian's positions hold the account.
Booking (fills loader, simulator, statements)
    ``Ledger(accounts, identical_group=None)`` with
    ``add_lots(lots)`` (``account_id, lot_id, symbol, quantity,
    cost_basis_cents, acquired_date, adjusted_acquired_date``),
    ``buy(account_id, symbol, lot_id, quantity, cost_cents, trade_date) -> lot position``,
    ``sell(account_id, symbol, quantity, proceeds_cents, trade_date, method, lot_ids=()) -> realized
    row positions``, ``split(symbol, ratio, account_id=None)``;
    ``corporate_action(CorporateAction(kind, symbol, date, ...)) -> realized row positions``:
    SPINOFF, MERGER_STOCK, MERGER_CASH, MERGER_MIXED, SYMBOL_CHANGE, RETURN_OF_CAPITAL,
    WORTHLESS lot by lot with exact rationals (``exact("1/3")``; ``CORPORATE_ACTION_FIELDS``);
    ``apply_corporate_actions(lots, corporate_actions, as_of, accounts)``: every action going ex
    that night on a whole book (a frame), with the realized rows;
    ``apply_splits(lots, corporate_actions, as_of)``: the same rule on a whole book of lots (a
    frame);
    ``open_lots() -> DataFrame`` and ``realized() -> DataFrame`` (Form 8949 fields, cents),
    ``realized_at(rows) -> DataFrame`` (the rows one ``sell`` booked);
    ``add_recent_sales(realized)`` (earlier nights' sales, so today's buys can wash them) and
    ``amended_sales() -> DataFrame`` (those of them a buy booked now washed).
    A fills loader: ``Ledger(accounts, groups)``, ``add_lots(store lots)``, ``add_recent_sales(last
    30 days of realized rows)``, then ``buy``/``sell(..., ReliefMethod.SPECIFIC, lot_ids=(lot,))``
    per fill, then write ``open_lots()``, ``realized()`` and ``amended_sales()``.
    Errors: ``LedgerError``; its kinds (oversell, unknown lot, duplicate lot, unknown account,
    invalid trade) are ``_errors``'s, for tests that tell them apart.
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
    SYMBOL_CHANGE_COLUMNS,
    identical_groups,
    recent_lot_purchases,
    under_current_symbols,
    wash_sale_block_until,
    wash_sale_blocks,
    wash_sale_window_start,
)
from sma.ledger._budget import gain_budget_remaining, realized_this_year, tax_year_start
from sma.ledger._corporate import REQUIRED_FIELDS as CORPORATE_ACTION_FIELDS
from sma.ledger._corporate import CorporateAction, exact
from sma.ledger._errors import LedgerError
from sma.ledger._gift import (
    GIFT_LOT_COLUMNS,
    GIFT_SHORT_COLUMNS,
    GiftChoice,
    choose_gift_lots,
    without_gifts,
)
from sma.ledger._holding import is_long_term
from sma.ledger._ledger import Ledger
from sma.ledger._money import (
    cents_to_usd,
    cents_to_usd_text,
    money,
    notional_cents,
    usd_array_to_cents,
    usd_to_cents,
)
from sma.ledger._paid_out import PaidOutError, paid_out
from sma.ledger._reconcile import reconcile, reconciliation_holds
from sma.ledger._relief import ReliefMethod
from sma.ledger._replay import (
    CORPORATE_ACTION_COLUMNS,
    CORPORATE_ACTIONS,
    REPLAY_TRANSACTION_COLUMNS,
    Action,
    ReplayResult,
    ReplayRowError,
    replay,
)
from sma.ledger._split import apply_corporate_actions, apply_splits

__all__ = [
    "CORPORATE_ACTIONS",
    "CORPORATE_ACTION_COLUMNS",
    "CORPORATE_ACTION_FIELDS",
    "GIFT_LOT_COLUMNS",
    "GIFT_SHORT_COLUMNS",
    "REPLAY_TRANSACTION_COLUMNS",
    "SYMBOL_CHANGE_COLUMNS",
    "Action",
    "CorporateAction",
    "GiftChoice",
    "Ledger",
    "LedgerError",
    "PaidOutError",
    "ReliefMethod",
    "ReplayResult",
    "ReplayRowError",
    "apply_corporate_actions",
    "apply_splits",
    "cents_to_usd",
    "cents_to_usd_text",
    "choose_gift_lots",
    "exact",
    "gain_budget_remaining",
    "identical_groups",
    "is_long_term",
    "money",
    "notional_cents",
    "paid_out",
    "realized_this_year",
    "recent_lot_purchases",
    "reconcile",
    "reconciliation_holds",
    "replay",
    "tax_year_start",
    "under_current_symbols",
    "usd_array_to_cents",
    "usd_to_cents",
    "wash_sale_block_until",
    "wash_sale_blocks",
    "wash_sale_window_start",
    "without_gifts",
]
