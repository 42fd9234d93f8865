"""The realistic book generator: a complete, fictional inbox for one night, deterministic for a
seed.

``generate_book(n_accounts, seed, as_of)`` returns one frame per inbox file
(``sma.inbox.INBOX_FILES``);
``pipelines.book.write_inbox`` writes them. ``book_tables`` yields the same book part by part
(Arrow tables), for ``pipelines.book.write_book`` to stream a large book with bounded memory. The
market underneath is ``sma.market``.
"""

from sma.book._corporate import (
    CorporateActionDraw,
    CorporateActionRates,
    action_cash,
    draw_corporate_actions,
)
from sma.book._generate import (
    BookMarket,
    book_market,
    book_tables,
    generate_book,
    part_bounds,
)
from sma.book._holdings import split_into_lots
from sma.book._params import BookError, BookParams, Funding
from sma.book._prospect import OUTSIDE_FUND, GeneratedProspect, generate_prospect

__all__ = [
    "BookError",
    "BookMarket",
    "BookParams",
    "CorporateActionDraw",
    "CorporateActionRates",
    "Funding",
    "GeneratedProspect",
    "OUTSIDE_FUND",
    "book_market",
    "action_cash",
    "book_tables",
    "draw_corporate_actions",
    "generate_book",
    "generate_prospect",
    "part_bounds",
    "split_into_lots",
]
