"""The inbox contract: the files a night reads and the shape of each (PRODUCT.md, "Inbox
contract")."""

from sma.inbox._spec import (
    CASH_MODEL_ID,
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
    Implementation,
    RestrictionKind,
    Side,
)

__all__ = [
    "CASH_MODEL_ID",
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
    "Implementation",
    "RestrictionKind",
    "Side",
]
