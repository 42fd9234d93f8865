"""The inbox contract: the files a night reads and the shape of each (PRODUCT.md, "Inbox
contract")."""

from sma.inbox._spec import (
    FILLS,
    FORMULA_PREFIXES,
    GICS_SECTORS,
    ID_PATTERN,
    INBOX_FILES,
    INBOX_FORMATS,
    SYMBOL_PATTERN,
    AccountType,
    Column,
    ColumnKind,
    CorporateActionKind,
    FileSpec,
    RestrictionKind,
    Side,
)

__all__ = [
    "FILLS",
    "FORMULA_PREFIXES",
    "GICS_SECTORS",
    "ID_PATTERN",
    "INBOX_FILES",
    "INBOX_FORMATS",
    "SYMBOL_PATTERN",
    "AccountType",
    "Column",
    "ColumnKind",
    "CorporateActionKind",
    "FileSpec",
    "RestrictionKind",
    "Side",
]
