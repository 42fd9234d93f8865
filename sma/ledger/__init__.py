"""The tax-lot ledger: lots, relief, holding periods, wash sales, splits -- the one home of tax rules.

Public API (all pure: arrays and frames in, arrays and frames out)

Holding periods (IRS Publication 550)
    ``is_long_term(holding_start, sale_date) -> ndarray[bool]``
    ``long_term_from(holding_start) -> ndarray[datetime64[D]]``
    ``carried_holding_start(replacement_acquired, sold_holding_start, sale_date)``
Relief
    ``ReliefMethod`` (FIFO, LIFO, HIFO, SPECIFIC, MINTAX), ``relief_order(...)``
Wash-sale blocks for the engine
    ``wash_sale_blocks(transactions, identical_group, as_of) -> DataFrame``
    ``identical_groups(symbols, identical_group) -> ndarray[str]``
"""

from sma.ledger._blocks import BLOCK_COLUMNS, WASH_SALE_WINDOW_DAYS, identical_groups, wash_sale_blocks
from sma.ledger._holding import carried_holding_start, is_long_term, long_term_from
from sma.ledger._relief import ReliefMethod, relief_order

__all__ = [
    "BLOCK_COLUMNS",
    "WASH_SALE_WINDOW_DAYS",
    "ReliefMethod",
    "carried_holding_start",
    "identical_groups",
    "is_long_term",
    "long_term_from",
    "relief_order",
    "wash_sale_blocks",
]
