"""The inputs of ``sma ledger replay`` (PRODUCT.md, "Interfaces"), read and checked the way the
inbox is: each file opened by :func:`open_file`, its cells typed by their column kind by
:func:`parse_table`, and every problem an issue in the one issues table (file, row, column, rule,
value, message; the row is the 1-based data record), reported by :func:`render_report`.

The rules of a replay's own files (an account's type, a transaction's action, a buy's lot id)
follow the typing, as flags on the same :class:`FileCheck`. Nothing is replayed while any issue
stands: :class:`ReplayInputError` carries them all.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.settings import ValidationSettings
from pipelines.validate._issues import issues_frame
from pipelines.validate._one_file import InputFileError, check_file, raise_issues
from pipelines.validate._parse import FileCheck, exact_cells
from sma.inbox import ID_PATTERN, INBOX_FILES, SYMBOL_PATTERN, AccountType, Column, ColumnKind
from sma.inbox import CorporateActionKind as Kind
from sma.inbox import FileSpec as _Spec
from sma.ledger import (
    CORPORATE_ACTION_COLUMNS,
    CORPORATE_ACTION_FIELDS,
    CORPORATE_ACTIONS,
    Action,
    usd_to_cents,
)

_ID, _SYM, _DATE, _F, _Q, _E = (
    ColumnKind.ID,
    ColumnKind.SYMBOL,
    ColumnKind.DATE,
    ColumnKind.FLOAT,
    ColumnKind.RATIONAL,
    ColumnKind.ENUM,
)

#: accounts: who holds what, and whether it pays tax.
REPLAY_ACCOUNTS = _Spec(
    "accounts",
    (
        Column("account_id", _ID),
        Column("household_id", _ID),
        Column("account_type", _E, enum=tuple(k.value for k in AccountType)),
    ),
    key=("account_id",),
)
#: lots: the opening lots, as in the inbox (the file may be empty).
REPLAY_LOTS = replace(INBOX_FILES["lots"], required=False)
#: transactions: applied in ``seq`` order.
REPLAY_TRANSACTIONS = _Spec(
    "transactions",
    (
        Column("seq", _F),
        Column("account_id", _ID, nullable=True),
        Column("trade_date", _DATE),
        Column("action", _E, enum=tuple(a.value for a in Action)),
        Column("symbol", _SYM),
        Column("quantity", _F, nullable=True),
        Column("price", _F, nullable=True, required=False),
        Column("amount", _F, nullable=True, required=False),
        Column("lot_id", _ID, nullable=True, required=False),
        Column("lot_ids", ColumnKind.TEXT, nullable=True, required=False),
        # Corporate actions (shared/CORPORATE_ACTIONS.md, "CSV contract"): exact numbers, read
        # as the inbox reads them (a decimal or N/D); ``price`` is MERGER_CASH's price a share.
        Column("ratio", _Q, nullable=True, required=False),
        Column("new_symbol", ColumnKind.TEXT, nullable=True, required=False),
        Column("basis_fraction", _Q, nullable=True, required=False),
        Column("cash_per_share", _Q, nullable=True, required=False),
        Column("new_share_price", _Q, nullable=True, required=False),
        Column("amount_per_share", _Q, nullable=True, required=False),
        Column("cash_in_lieu_price", _Q, nullable=True, required=False),
    ),
    key=("seq",),
)
#: The CSV column of each corporate-action field (``price`` is MERGER_CASH's price per share).
CSV_COLUMN_OF_FIELD = {"price_per_share": "price"}
#: The column names of each input, in contract order.
TRANSACTION_COLUMNS = REPLAY_TRANSACTIONS.column_names


class ReplayInputError(InputFileError):
    """The replay cannot run or was refused; ``issues`` (the validator's issues table) say where
    and why, and ``str()`` is the validator's report. Nothing was written."""


def _text(check: FileCheck, column: str) -> np.ndarray:
    """The cells of ``column`` as written (blank = "")."""
    return np.array(
        [v or "" for v in check.text[column].cast(pa.string()).to_pylist()], dtype=object
    )


def _require(check: FileCheck, column: str, when: np.ndarray | None = None) -> None:
    blank = check.blank[column] if when is None else check.blank[column] & when
    check.flag(column, "required value", blank, f"{column} is blank")


def _pattern(check: FileCheck, column: str, pattern: str) -> None:
    matcher = re.compile(pattern)
    wrong = np.array([bool(v) and matcher.match(v) is None for v in _text(check, column)], bool)
    check.flag(column, "pattern", wrong, f"{column} does not match {pattern}")


def _enum(check: FileCheck, column: str) -> np.ndarray:
    allowed = check.spec.column(column).enum
    upper = np.array([v.upper() for v in _text(check, column)], dtype=object)
    check.flag(column, "enum", ~np.isin(upper, allowed), f"{column} must be {', '.join(allowed)}")
    return upper


def _positive(check: FileCheck, column: str, when: np.ndarray | None = None) -> np.ndarray:
    values = check.values[column]
    wrong = np.isfinite(values) & (values <= 0)
    check.flag(column, "positive", wrong if when is None else wrong & when, f"{column} must be > 0")
    return values


def _known(check: FileCheck, accounts: set[str] | None) -> None:
    """Accounts named must be in the accounts file (unless that file could not be read)."""
    if accounts is None:
        return
    account = _text(check, "account_id")
    unknown = (account != "") & ~np.isin(account, list(accounts))
    check.flag("account_id", "known account", unknown, "account_id is not in the accounts file")


def _unique(check: FileCheck, columns: list[str], message: str) -> None:
    frame = pd.DataFrame({c: _text(check, c) for c in columns})
    check.flag(columns[-1], "unique", frame.duplicated().to_numpy(), message)


def _cents(check: FileCheck, column: str, when: np.ndarray) -> np.ndarray:
    """USD cells as exact integer cents, read from the text as written (not through a float)."""
    text = _text(check, column)
    out = np.zeros(len(text), dtype=np.int64)
    for i in np.flatnonzero(when & ~check.missing[column]):
        out[i] = usd_to_cents(text[i])
    return out


def _days(check: FileCheck, column: str) -> np.ndarray:
    return np.asarray(check.values[column]).astype("datetime64[D]")


def _accounts(check: FileCheck) -> pd.DataFrame:
    for column in ("account_id", "household_id", "account_type"):
        _require(check, column)
    _pattern(check, "account_id", ID_PATTERN)
    _pattern(check, "household_id", ID_PATTERN)
    kinds = _enum(check, "account_type")
    _unique(check, ["account_id"], "account listed twice")
    return pd.DataFrame(
        {
            "account_id": _text(check, "account_id"),
            "household_id": _text(check, "household_id"),
            "account_type": kinds,
        }
    )


def _lots(check: FileCheck, accounts: set[str] | None) -> pd.DataFrame:
    for column in ("account_id", "lot_id", "symbol", "quantity", "cost_basis", "acquired_date"):
        _require(check, column)
    _pattern(check, "account_id", ID_PATTERN)
    _known(check, accounts)
    _pattern(check, "lot_id", ID_PATTERN)
    _pattern(check, "symbol", SYMBOL_PATTERN)
    quantity = _positive(check, "quantity")
    cents = _cents(check, "cost_basis", np.ones(check.n_rows, dtype=bool))
    check.flag("cost_basis", "non-negative", cents < 0, "cost_basis must be >= 0")
    # A spin-off's lot keeps its id under the new symbol (CORPORATE_ACTIONS.md): lots are keyed
    # by account, symbol and lot id.
    _unique(check, ["account_id", "symbol", "lot_id"], "lot listed twice for the account")
    return pd.DataFrame(
        {
            "account_id": _text(check, "account_id"),
            "lot_id": _text(check, "lot_id"),
            "symbol": _text(check, "symbol"),
            "quantity": quantity,
            "cost_basis_cents": cents,
            "acquired_date": _days(check, "acquired_date"),
            "adjusted_acquired_date": _days(check, "adjusted_acquired_date"),
        }
    )


def _transactions(check: FileCheck, accounts: set[str] | None) -> pd.DataFrame:
    for column in ("seq", "trade_date", "action", "symbol"):
        _require(check, column)
    action = _enum(check, "action")
    trade = np.isin(action, ["BUY", "SELL"])
    seq = check.values["seq"]
    check.flag(
        "seq", "integer", ~check.missing["seq"] & (seq != np.round(seq)), "seq is not an integer"
    )
    _unique(check, ["seq"], "seq used twice")
    _require(check, "account_id", trade)
    _pattern(check, "account_id", ID_PATTERN)
    _known(check, accounts)
    _pattern(check, "symbol", SYMBOL_PATTERN)
    _require(check, "quantity", trade)
    quantity = _positive(check, "quantity", trade)
    _positive(check, "price", trade)
    has_amount = ~check.blank["amount"]
    priced = ~check.missing["price"]
    check.flag(
        "amount",
        "required value",
        trade & ~has_amount & ~priced,
        "a buy or sell needs amount or price",
    )
    amount = _cents(check, "amount", trade & has_amount)
    text_quantity, text_price = _text(check, "quantity"), _text(check, "price")
    from_price = trade & ~has_amount & priced & ~check.missing["quantity"]
    for i in np.flatnonzero(from_price):
        amount[i] = usd_to_cents(Decimal(text_quantity[i]) * Decimal(text_price[i]))
    check.flag("amount", "non-negative", trade & (amount < 0), "amount must be >= 0")
    _require(check, "lot_id", action == "BUY")
    _pattern(check, "lot_id", ID_PATTERN)
    lot_ids = _text(check, "lot_ids")
    each_id = re.compile(ID_PATTERN)
    check.flag(
        "lot_ids",
        "pattern",
        (action == "SELL")
        & np.array(
            [bool(v) and not all(each_id.match(x) for x in v.split(";")) for v in lot_ids],
            dtype=bool,
        ),
        "each ';'-separated lot id must match " + ID_PATTERN,
    )
    corporate = _corporate_fields(check, action)
    return pd.DataFrame(
        {
            "row": np.arange(check.n_rows) + check.first_row,
            "seq": np.nan_to_num(seq).astype(np.int64),
            "account_id": _text(check, "account_id"),
            "trade_date": _days(check, "trade_date"),
            "action": action,
            "symbol": _text(check, "symbol"),
            "quantity": quantity,
            "amount_cents": amount,
            "lot_id": _text(check, "lot_id"),
            "lot_ids": lot_ids,
            **corporate,
        }
    )


def _exact(check: FileCheck, column: str, when: np.ndarray) -> np.ndarray:
    """Exact rationals where ``when`` and read, else None: a RATIONAL column's as typed; the
    ``price`` of a MERGER_CASH row (a FLOAT column, for trades: typing flagged what is not a
    number) read from its text the same way."""
    if column in check.exact:
        return np.where(when, check.exact[column], None)
    return exact_cells(_text(check, column), when & ~check.missing[column])[0]


def _corporate_fields(check: FileCheck, action: np.ndarray) -> dict[str, np.ndarray]:
    """The fields of corporate-action rows, exact, with every missing or out-of-range field
    reported (issue 22: ratio <= 0, basis_fraction outside (0, 1), a field the action needs)."""
    kinds = {a.value for a in CORPORATE_ACTIONS}
    known = np.isin(action, list(kinds))
    out: dict[str, np.ndarray] = {}
    for field in ("ratio", *CORPORATE_ACTION_COLUMNS):
        column = CSV_COLUMN_OF_FIELD.get(field, field)
        needed = np.array(
            [a in kinds and field in CORPORATE_ACTION_FIELDS[Kind(a)] for a in action], dtype=bool
        )
        _require(check, column, needed)
        if field == "new_symbol":
            _pattern(check, column, SYMBOL_PATTERN)
            out[field] = np.where(known, _text(check, column), "")
            continue
        values = _exact(check, column, needed if field == "price_per_share" else known)
        given = np.array([v is not None for v in values], dtype=bool)
        number = np.array([float(v) if v is not None else np.nan for v in values])
        if field == "ratio":
            check.flag(column, "positive", given & (number <= 0), f"{column} must be > 0")
        elif field == "basis_fraction":
            outside = given & ~((number > 0) & (number < 1))
            check.flag(column, "between", outside, f"{column} must be in (0, 1)")
        else:
            check.flag(column, "non-negative", given & (number < 0), f"{column} must be >= 0")
        out[field] = values
    return out


def read_replay_inputs(
    accounts: Path,
    lots: Path,
    transactions: Path,
    settings: ValidationSettings | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three inputs of a replay, typed (money in integer cents, dates ``datetime64[D]``);
    raises :class:`ReplayInputError` listing every problem found in any of them."""
    settings = settings or ValidationSettings()
    checks = [
        check_file(path, spec, settings)
        for path, spec in (
            (accounts, REPLAY_ACCOUNTS),
            (lots, REPLAY_LOTS),
            (transactions, REPLAY_TRANSACTIONS),
        )
    ]
    account_check, lot_check, transaction_check = checks
    account_frame = _accounts(account_check) if isinstance(account_check, FileCheck) else None
    known = None if account_frame is None else set(account_frame["account_id"])
    lot_frame = _lots(lot_check, known) if isinstance(lot_check, FileCheck) else None
    transaction_frame = (
        _transactions(transaction_check, known)
        if isinstance(transaction_check, FileCheck)
        else None
    )
    try:
        raise_issues(checks)
    except InputFileError as error:
        raise ReplayInputError(error.issues) from None
    assert account_frame is not None and lot_frame is not None and transaction_frame is not None
    return account_frame, lot_frame, transaction_frame


def replay_row_issue(file: str, row: int, column: str, rule: str, why: str) -> pd.DataFrame:
    """A transaction the ledger refused (an oversell), as a one-row issues table."""
    return issues_frame([file], [row], [column], [rule], [None], [why], [None])
