"""The inbox contract: which files a night reads, their columns, types and enums.

This module is the one description of the inbox's *shape* (PRODUCT.md, "Inbox contract").
The rules on values (ranges, uniqueness, patterns, cross-file sums) live as data contracts in
``data_contracts/``; the generator, the validator and the store all take column names, order and
types from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnKind(StrEnum):
    """How a column's text is parsed."""

    ID = "id"  # account_id, lot_id, ...: safe for file names, see ID_PATTERN
    SYMBOL = "symbol"  # ticker: see SYMBOL_PATTERN
    TEXT = "text"  # free text shown to people: must not start a spreadsheet formula
    DATE = "date"  # ISO 8601 calendar date, YYYY-MM-DD
    FLOAT = "float"  # finite decimal number
    RATIONAL = "rational"  # exact number: a decimal (0.2794) or N/D (1/3); stored as a double
    BOOL = "bool"  # true/false (also 1/0, yes/no)
    ENUM = "enum"  # one of Column.enum, upper case


#: Ids end up in file names (statements, blotters): letters, digits, '.', '_' and '-' only,
#: not starting with '.', at most 64 characters -- so no id can leave its folder.
ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$"
#: Tickers: upper-case letters and digits, with '.' or '-' for share classes (BRK.B, BF-B).
SYMBOL_PATTERN = r"^[A-Z0-9][A-Z0-9.-]{0,15}$"
#: A spreadsheet evaluates a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

GICS_SECTORS = (
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
)


class AccountType(StrEnum):
    """The account's tax treatment: taxable, or a traditional or Roth IRA (gains not taxed)."""

    TAXABLE = "TAXABLE"
    IRA = "IRA"
    ROTH = "ROTH"


class RestrictionKind(StrEnum):
    """What a restriction forbids in one account for one security, sector or ESG tag."""

    EXCLUDE = "EXCLUDE"  # hold none: sell out (within the gain budget), never buy
    NO_BUY = "NO_BUY"  # may hold and sell, never buy
    NO_SELL = "NO_SELL"  # keep as is: neither buy nor sell


class Side(StrEnum):
    """The side of a trade."""

    BUY = "BUY"
    SELL = "SELL"


class CorporateActionKind(StrEnum):
    """The corporate actions the inbox carries."""

    SPLIT = "SPLIT"  # also stock dividends, as a ratio of new shares per old share
    SPINOFF = "SPINOFF"  # new_symbol: ratio per parent share, basis_fraction of the basis moves
    MERGER_STOCK = "MERGER_STOCK"  # the lot becomes ratio shares of new_symbol, basis kept
    MERGER_CASH = "MERGER_CASH"  # every share sold for price_per_share
    MERGER_MIXED = "MERGER_MIXED"  # new_symbol shares plus cash_per_share of boot
    SYMBOL_CHANGE = "SYMBOL_CHANGE"  # the same security under new_symbol
    RETURN_OF_CAPITAL = "RETURN_OF_CAPITAL"  # amount_per_share off the basis, beyond it a gain
    WORTHLESS = "WORTHLESS"  # every lot closed at a loss on 31 December


class Implementation(StrEnum):
    """Who designs an account's portfolio (issue 19): the firm itself, or outside managers'
    models held as sleeves of a unified managed account."""

    MANAGER_TRADED = "MANAGER_TRADED"  # one firm designs, trades and tax-manages the account
    UMA = "UMA"  # sleeves follow outside managers' models; the firm implements them


#: A sleeve with this model_id holds cash, not a model (issue 19: "cash sleeve allowed").
CASH_MODEL_ID = "CASH"


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    nullable: bool = False  # a blank cell is allowed
    required: bool = True  # the column must be present in the file
    enum: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns whose values identify a row: duplicates are errors
    required: bool = True  # the file must be in every night's inbox
    doc: str = ""
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _c(name: str, kind: ColumnKind, **kw) -> Column:
    return Column(name, kind, **kw)


_ID, _SYM, _TXT, _DATE, _F, _Q, _B, _E = (
    ColumnKind.ID,
    ColumnKind.SYMBOL,
    ColumnKind.TEXT,
    ColumnKind.DATE,
    ColumnKind.FLOAT,
    ColumnKind.RATIONAL,
    ColumnKind.BOOL,
    ColumnKind.ENUM,
)

INBOX_FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in (
        FileSpec(
            "securities",
            (
                _c("symbol", _SYM),
                _c("name", _TXT),
                _c("sector", _E, enum=GICS_SECTORS),
                _c("industry", _TXT),
                _c(
                    "identical_group",
                    _ID,
                    nullable=True,
                    doc="substantially identical set; blank = itself",
                ),
                _c("esg_tags", _TXT, nullable=True, doc="';'-separated tags"),
            ),
            key=("symbol",),
            doc="The security master.",
        ),
        FileSpec(
            "prices",
            (
                _c("date", _DATE),
                _c("symbol", _SYM),
                _c("close", _F, doc="USD per share, > 0 and finite"),
                _c("volume", _F, nullable=True, required=False, doc="shares traded that day"),
            ),
            key=("date", "symbol"),
            doc="Daily closes; at least a year of history for the risk model.",
        ),
        FileSpec(
            "benchmarks",
            (_c("benchmark_id", _ID), _c("symbol", _SYM), _c("weight", _F)),
            key=("benchmark_id", "symbol"),
            doc="Index constituents; the weights of each benchmark sum to 1.",
        ),
        FileSpec(
            "accounts",
            (
                _c("account_id", _ID),
                _c("household_id", _ID),
                _c("client_name", _TXT),
                _c("account_type", _E, enum=tuple(AccountType)),
                _c("benchmark_id", _ID),
                _c("tlh_enabled", _B),
                _c("st_tax_rate", _F, doc="fraction, 0 to 1"),
                _c("lt_tax_rate", _F, doc="fraction, 0 to 1"),
                _c("max_tracking_error", _F, doc="annualised fraction"),
                _c(
                    "gain_budget",
                    _F,
                    nullable=True,
                    doc="USD of net realized gains per calendar year",
                ),
                _c("min_trade_value", _F, doc="USD"),
                _c("cash_target", _F, doc="fraction of account value"),
                _c("inception_date", _DATE),
                _c(
                    "fractional_shares",
                    _B,
                    nullable=True,
                    required=False,
                    doc="trades fractions of a share (custodian's decimals); blank = false",
                ),
                _c(
                    "implementation",
                    _E,
                    nullable=True,
                    required=False,
                    enum=tuple(Implementation),
                    doc="MANAGER_TRADED or UMA; blank or absent = MANAGER_TRADED",
                ),
            ),
            key=("account_id",),
        ),
        FileSpec(
            "restrictions",
            (
                _c("account_id", _ID),
                _c("kind", _E, enum=tuple(RestrictionKind)),
                _c("symbol", _SYM, nullable=True),
                _c("sector", _E, nullable=True, enum=GICS_SECTORS),
                _c("esg_tag", _TXT, nullable=True),
            ),
            required=False,
            doc="Exactly one of symbol, sector, esg_tag per row.",
        ),
        FileSpec(
            "tilts",
            (
                _c("account_id", _ID),
                _c("sector", _E, nullable=True, enum=GICS_SECTORS),
                _c("symbol", _SYM, nullable=True),
                _c("multiplier", _F),
            ),
            required=False,
            doc="Exactly one of sector, symbol per row; the target weight is multiplied.",
        ),
        FileSpec(
            "lots",
            (
                _c("account_id", _ID),
                _c("lot_id", _ID),
                _c("symbol", _SYM),
                _c("quantity", _F, doc="shares, > 0"),
                _c("cost_basis", _F, doc="total USD, wash-sale adjustments included"),
                _c("acquired_date", _DATE, doc="trade date"),
                _c(
                    "adjusted_acquired_date",
                    _DATE,
                    nullable=True,
                    doc="holding period start; blank = acquired",
                ),
            ),
            key=("account_id", "symbol", "lot_id"),  # a spin-off lot keeps its parent's id
        ),
        FileSpec("cash", (_c("account_id", _ID), _c("amount", _F)), key=("account_id",)),
        FileSpec(
            "cash_flows",
            (_c("account_id", _ID), _c("amount", _F), _c("requested_date", _DATE)),
            required=False,
            doc="+ contribution, - withdrawal.",
        ),
        FileSpec(
            "transactions",
            (
                _c("account_id", _ID),
                _c("trade_date", _DATE),
                _c("symbol", _SYM),
                _c("side", _E, enum=tuple(Side)),
                _c("quantity", _F),
                _c("price", _F),
                _c("realized_gain", _F, nullable=True, doc="sells only"),
            ),
            required=False,
            doc="At least the last 31 days, for wash sales.",
        ),
        FileSpec(
            "positions",
            (_c("account_id", _ID), _c("symbol", _SYM), _c("quantity", _F)),
            key=("account_id", "symbol"),
            doc="The custodian's view, reconciled against lots.",
        ),
        FileSpec(
            "corporate_actions",
            (
                _c("symbol", _SYM),
                _c("ex_date", _DATE),
                _c("kind", _E, enum=tuple(CorporateActionKind)),
                _c(
                    "ratio",
                    _Q,
                    nullable=True,
                    doc="new shares per old share (SPLIT, SPINOFF, MERGER_STOCK, MERGER_MIXED)",
                ),
                # the fields of the actions beyond splits (shared/CORPORATE_ACTIONS.md); every
                # number is exact, written as a decimal or N/D
                _c("account_id", _ID, nullable=True, required=False, doc="blank = every account"),
                _c("new_symbol", _SYM, nullable=True, required=False, doc="what is received"),
                _c("basis_fraction", _Q, nullable=True, required=False, doc="SPINOFF, Form 8937"),
                _c("cash_per_share", _Q, nullable=True, required=False, doc="MERGER_MIXED boot"),
                _c("new_share_price", _Q, nullable=True, required=False, doc="MERGER_MIXED FMV"),
                _c("amount_per_share", _Q, nullable=True, required=False, doc="RETURN_OF_CAPITAL"),
                _c("cash_in_lieu_price", _Q, nullable=True, required=False, doc="per whole share"),
                _c("price", _Q, nullable=True, required=False, doc="MERGER_CASH cash per share"),
            ),
            key=("symbol", "ex_date", "kind"),
            required=False,
        ),
        FileSpec(
            "models",
            (
                _c("provider_id", _ID, doc="the outside manager delivering the model"),
                _c("model_id", _ID),
                _c("effective_date", _DATE, doc="the date this version of the model applies from"),
                _c("symbol", _SYM),
                _c("weight", _F, doc="fraction of the model, > 0"),
            ),
            key=("provider_id", "model_id", "effective_date", "symbol"),
            required=False,
            doc="Model versions: the weights of a (provider, model, date) sum to 1.",
        ),
        FileSpec(
            "sleeves",
            (
                _c("account_id", _ID),
                _c("sleeve_id", _ID),
                _c("model_id", _ID, doc="the model the sleeve follows; CASH = a cash sleeve"),
                _c("target_weight", _F, doc="fraction of the account; an account's sum to 1"),
                _c("drift_band", _F, doc="fraction the sleeve may drift from its model, 0 to 1"),
            ),
            key=("account_id", "sleeve_id"),
            required=False,
            doc="The sleeves of UMA accounts, each following one model.",
        ),
        FileSpec(
            "gift_requests",
            (
                _c("request_id", _ID, doc="the request's own id: delivered once"),
                _c("account_id", _ID),
                _c("amount", _F, doc="USD of securities to give, > 0"),
                _c(
                    "date",
                    _DATE,
                    doc="the day the client asks the gift to be made; the first night on or "
                    "after it delivers",
                ),
                _c("charity", _TXT, doc="the charity receiving the securities"),
            ),
            key=("request_id",),
            required=False,
            doc="Charitable gifts of appreciated long-term lots (issue 21).",
        ),
    )
}

#: Fills come the next day and are loaded on their own (`sma fills load FILE`), not with a night.
FILLS = FileSpec(
    "fills",
    (
        _c(
            "exec_id", _ID, doc="the broker's execution id (FIX ExecID): one execution, booked once"
        ),
        _c("order_id", _ID),
        _c("account_id", _ID),
        _c("symbol", _SYM),
        _c("side", _E, enum=tuple(Side)),
        _c("quantity", _F),
        _c("price", _F),
        _c("lot_id", _ID, nullable=True, doc="sells: the lot relieved"),
    ),
    key=("exec_id",),
)

#: Where a night's files stand: ``<inbox>/<YYYY-MM-DD>/<name>.csv`` or ``.parquet``.
INBOX_FORMATS = ("csv", "parquet")
