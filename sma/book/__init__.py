"""The realistic book generator: a complete, fictional inbox for one night, deterministic for a seed.

``generate_book(n_accounts, seed, as_of)`` returns one frame per inbox file (``sma.inbox.INBOX_FILES``);
``pipelines.book.write_inbox`` writes them. The market underneath is ``sma.market``.
"""

from sma.book._generate import generate_book
from sma.book._holdings import split_into_lots
from sma.book._params import BookError, BookParams, Funding

__all__ = ["BookError", "BookParams", "Funding", "generate_book", "split_into_lots"]
