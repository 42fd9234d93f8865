"""``sma ledger replay``: read accounts, lots and transactions CSVs, replay them through the ledger,
write ``realized.csv`` and ``open_lots.csv`` (PRODUCT.md, "Interfaces").

Every input problem is collected with its file, row (the file's line number, header = 1), column
and rule, and reported together; a sale of more than is held names its row. On any error nothing
is written: both outputs are written to temporary files beside their targets and renamed only
when both are complete.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from sma.inbox import ID_PATTERN, INBOX_FILES, SYMBOL_PATTERN, AccountType
from sma.inbox import CorporateActionKind as Kind
from sma.ledger import (
    CORPORATE_ACTION_COLUMNS,
    CORPORATE_ACTION_FIELDS,
    CORPORATE_ACTIONS,
    Action,
    ReliefMethod,
    ReplayResult,
    ReplayRowError,
    cents_to_usd_text,
    exact,
    replay,
    usd_to_cents,
)

ACCOUNT_COLUMNS = ("account_id", "household_id", "account_type")
LOT_COLUMNS = INBOX_FILES["lots"].column_names
TRANSACTION_COLUMNS = (
    "seq",
    "account_id",
    "trade_date",
    "action",
    "symbol",
    "quantity",
    "price",
    "amount",
    "lot_id",
    "lot_ids",
    "ratio",
    # corporate actions beyond splits (shared/CORPORATE_ACTIONS.md, "CSV contract")
    "new_symbol",
    "basis_fraction",
    "cash_per_share",
    "new_share_price",
    "amount_per_share",
    "cash_in_lieu_price",
)
#: The CSV column of each corporate-action field (``price`` is MERGER_CASH's price per share).
CSV_COLUMN_OF_FIELD = {"price_per_share": "price"}
REALIZED_COLUMNS = (
    "account_id",
    "symbol",
    "lot_id",
    "sale_date",
    "quantity",
    "proceeds",
    "cost_basis",
    "wash_sale_disallowed",
    "permanently_disallowed",
    "adjustment_code",
    "gain",
    "term",
    "acquired_date",
    "adjusted_acquired_date",
)
OPEN_LOT_COLUMNS = (
    "account_id",
    "lot_id",
    "symbol",
    "quantity",
    "cost_basis",
    "acquired_date",
    "adjusted_acquired_date",
    "wash_sale_adjustment",
)


@dataclass(frozen=True)
class Issue:
    file: str
    row: int | None
    column: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = (
            self.file
            + (f" row {self.row}" if self.row is not None else "")
            + (f", column {self.column}" if self.column else "")
        )
        return f"{where}: {self.message} [rule: {self.rule}]"


class ReplayInputError(Exception):
    """The replay cannot run or was refused; ``issues`` say where and why. Nothing was written."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        lines = [str(i) for i in issues[:50]] + (
            [f"... and {len(issues) - 50} more"] if len(issues) > 50 else []
        )
        super().__init__("\n".join(lines))


class _Reader:
    """Reads one CSV as text and parses its columns, collecting issues instead of stopping."""

    def __init__(self, path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()):
        self.file = Path(path).name
        self.issues: list[Issue] = []
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.frame = pd.DataFrame(columns=list(required))
            self.issues.append(
                Issue(self.file, None, None, "file readable", f"cannot read {path}: {error}")
            )
            return
        if not text.strip():
            self.frame = pd.DataFrame(columns=list(required), dtype=object)
            return
        from io import StringIO

        try:
            frame = pd.read_csv(
                StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
            )
        except (pd.errors.ParserError, ValueError) as error:
            self.frame = pd.DataFrame(columns=list(required), dtype=object)
            self.issues.append(
                Issue(self.file, None, None, "CSV", f"not a readable CSV file: {error}")
            )
            return
        frame.columns = [str(c).strip() for c in frame.columns]
        for column in required:
            if column not in frame.columns:
                self.issues.append(
                    Issue(self.file, 1, column, "required column", f"missing column {column}")
                )
        for column in optional:
            if column not in frame.columns:
                frame[column] = ""
        self.frame = frame.apply(lambda c: c.str.strip()) if len(frame) else frame
        self.rows = np.arange(len(frame)) + 2

    def bad(self, mask: np.ndarray, column: str, rule: str, message: str) -> None:
        for i in np.flatnonzero(mask):
            value = self.frame[column].iloc[i]
            self.issues.append(
                Issue(self.file, int(self.rows[i]), column, rule, f"{message} (got {value!r})")
            )

    def text(
        self,
        column: str,
        pattern: str | None = None,
        blank_ok: bool = False,
        when: np.ndarray | None = None,
    ) -> np.ndarray:
        values = self.frame[column].to_numpy(dtype=object)
        check = np.ones(len(values), dtype=bool) if when is None else when
        blank = values == ""
        if not blank_ok:
            self.bad(check & blank, column, "required value", "blank")
        if pattern is not None:
            matcher = re.compile(pattern)
            wrong = np.array([bool(v) and matcher.match(v) is None for v in values], dtype=bool)
            self.bad(check & wrong, column, "pattern", f"does not match {pattern}")
        return values

    def number(
        self, column: str, positive: bool, blank_ok: bool = False, when: np.ndarray | None = None
    ) -> np.ndarray:
        raw = self.frame[column]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        check = np.ones(len(values), dtype=bool) if when is None else when
        blank = (raw == "").to_numpy()
        self.bad(
            check & ~blank & ~np.isfinite(values), column, "finite number", "not a finite number"
        )
        if not blank_ok:
            self.bad(check & blank, column, "required value", "blank")
        if positive:
            self.bad(check & np.isfinite(values) & (values <= 0), column, "positive", "must be > 0")
        return values

    def date(self, column: str, blank_ok: bool = False) -> np.ndarray:
        raw = self.frame[column]
        ok = raw.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
        parsed = pd.to_datetime(raw.where(ok, None), format="%Y-%m-%d", errors="coerce")
        blank = (raw == "").to_numpy()
        self.bad(~blank & parsed.isna().to_numpy(), column, "ISO date", "not a YYYY-MM-DD date")
        if not blank_ok:
            self.bad(blank, column, "required value", "blank")
        return parsed.to_numpy().astype("datetime64[D]")

    def exact(self, column: str, when: np.ndarray) -> np.ndarray:
        """Exact rationals (``0.2794`` or ``1/3``) where ``when`` and not blank, else None."""
        out = np.full(len(self.frame), None, dtype=object)
        for i, value in enumerate(self.frame[column].to_numpy(dtype=object)):
            if when[i] and value != "":
                try:
                    out[i] = exact(value)
                except ValueError:
                    self.issues.append(
                        Issue(
                            self.file,
                            int(self.rows[i]),
                            column,
                            "exact number",
                            f"not a decimal or N/D (got {value!r})",
                        )
                    )
        return out

    def cents(self, column: str, when: np.ndarray) -> np.ndarray:
        out = np.zeros(len(self.frame), dtype=np.int64)
        for i, value in enumerate(self.frame[column].to_numpy(dtype=object)):
            if when[i] and value != "":
                try:
                    out[i] = usd_to_cents(value)
                except ValueError:
                    self.issues.append(
                        Issue(
                            self.file,
                            int(self.rows[i]),
                            column,
                            "amount in USD",
                            f"not an amount (got {value!r})",
                        )
                    )
        return out


def _read_accounts(path: Path) -> tuple[pd.DataFrame, list[Issue]]:
    r = _Reader(path, ACCOUNT_COLUMNS)
    if r.issues:
        return r.frame, r.issues
    r.text("account_id", ID_PATTERN)
    r.text("household_id", ID_PATTERN)
    kinds = r.frame["account_type"].str.upper()
    r.bad(
        ~kinds.isin([k.value for k in AccountType]).to_numpy(),
        "account_type",
        "enum",
        "must be TAXABLE, IRA or ROTH",
    )
    r.bad(
        r.frame["account_id"].duplicated().to_numpy(),
        "account_id",
        "unique",
        "account listed twice",
    )
    return pd.DataFrame(
        {
            "account_id": r.frame["account_id"],
            "household_id": r.frame["household_id"],
            "account_type": kinds,
        }
    ), r.issues


def _read_lots(path: Path, accounts: set[str]) -> tuple[pd.DataFrame, list[Issue]]:
    r = _Reader(path, LOT_COLUMNS[:-1], optional=("adjusted_acquired_date",))
    if r.issues or not len(r.frame):
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in (*LOT_COLUMNS, "cost_basis_cents")}
        ), r.issues
    account = r.text("account_id", ID_PATTERN)
    r.bad(
        ~np.isin(account, list(accounts)) & (account != ""),
        "account_id",
        "known account",
        "not in the accounts file",
    )
    r.text("lot_id", ID_PATTERN)
    r.text("symbol", SYMBOL_PATTERN)
    quantity = r.number("quantity", positive=True)
    cents = r.cents("cost_basis", np.ones(len(r.frame), dtype=bool))
    r.bad(cents < 0, "cost_basis", "non-negative", "must be >= 0")
    r.bad(
        r.frame.duplicated(["account_id", "symbol", "lot_id"]).to_numpy(),
        "lot_id",
        "unique",
        "lot listed twice for the account",
    )
    frame = pd.DataFrame(
        {
            "account_id": account,
            "lot_id": r.frame["lot_id"].to_numpy(),
            "symbol": r.frame["symbol"].to_numpy(),
            "quantity": quantity,
            "cost_basis_cents": cents,
            "acquired_date": r.date("acquired_date"),
            "adjusted_acquired_date": r.date("adjusted_acquired_date", blank_ok=True),
        }
    )
    return frame, r.issues


def _read_transactions(path: Path, accounts: set[str]) -> tuple[pd.DataFrame, list[Issue]]:
    r = _Reader(path, TRANSACTION_COLUMNS[:6], optional=TRANSACTION_COLUMNS[6:])
    if r.issues:
        return r.frame, r.issues
    f = r.frame
    action = f["action"].str.upper().to_numpy(dtype=object)
    r.bad(
        ~np.isin(action, [a.value for a in Action]),
        "action",
        "enum",
        "must be one of " + ", ".join(Action),
    )
    trade = np.isin(action, ["BUY", "SELL"])
    seq = pd.to_numeric(f["seq"], errors="coerce").to_numpy(dtype=float)
    r.bad(~np.isfinite(seq) | (seq != np.round(seq)), "seq", "integer", "not an integer")
    r.bad(f["seq"].duplicated().to_numpy(), "seq", "unique", "seq used twice")
    account = r.text("account_id", ID_PATTERN, blank_ok=True)
    r.bad(trade & (account == ""), "account_id", "required value", "blank")
    r.bad(
        (account != "") & ~np.isin(account, list(accounts)),
        "account_id",
        "known account",
        "not in the accounts file",
    )
    r.text("symbol", SYMBOL_PATTERN)
    quantity = r.number("quantity", positive=True, when=trade, blank_ok=False)
    price = r.number("price", positive=True, blank_ok=True, when=trade)
    corporate = _read_corporate_fields(r, action)
    has_amount = (f["amount"] != "").to_numpy()
    r.bad(
        trade & ~has_amount & ~np.isfinite(price),
        "amount",
        "required value",
        "a buy or sell needs amount or price",
    )
    amount = r.cents("amount", trade & has_amount)
    from_price = trade & ~has_amount & np.isfinite(price) & np.isfinite(quantity)
    for i in np.flatnonzero(from_price):
        amount[i] = usd_to_cents(Decimal(f["quantity"].iloc[i]) * Decimal(f["price"].iloc[i]))
    r.bad(trade & (amount < 0), "amount", "non-negative", "must be >= 0")
    r.text("lot_id", ID_PATTERN, when=action == "BUY")
    lot_ids = f["lot_ids"].to_numpy(dtype=object)
    each_id = re.compile(ID_PATTERN)
    r.bad(
        (action == "SELL")
        & np.array([bool(v) and not all(each_id.match(x) for x in v.split(";")) for v in lot_ids]),
        "lot_ids",
        "pattern",
        "each ';'-separated lot id must match " + ID_PATTERN,
    )
    frame = pd.DataFrame(
        {
            "row": r.rows,
            "seq": np.nan_to_num(seq).astype(np.int64),
            "account_id": account,
            "trade_date": r.date("trade_date"),
            "action": action,
            "symbol": f["symbol"].to_numpy(dtype=object),
            "quantity": quantity,
            "amount_cents": amount,
            "lot_id": f["lot_id"].to_numpy(dtype=object),
            "lot_ids": lot_ids,
            **corporate,
        }
    )
    return frame, r.issues


def _read_corporate_fields(r: _Reader, action: np.ndarray) -> dict[str, np.ndarray]:
    """The fields of corporate-action rows, exact, with every missing or out-of-range field
    reported (issue 22: ratio <= 0, basis_fraction outside (0, 1), a field the action needs)."""
    known = np.isin(action, [a.value for a in CORPORATE_ACTIONS])
    out: dict[str, np.ndarray] = {}
    for field in ("ratio", *CORPORATE_ACTION_COLUMNS):
        column = CSV_COLUMN_OF_FIELD.get(field, field)
        needed = np.array(
            [a in CORPORATE_ACTIONS and field in CORPORATE_ACTION_FIELDS[Kind(a)] for a in action]
        )
        r.bad(needed & (r.frame[column] == "").to_numpy(), column, "required value", "blank")
        if field == "new_symbol":
            r.text(column, SYMBOL_PATTERN, blank_ok=True, when=known)
            out[field] = np.where(known, r.frame[column].to_numpy(dtype=object), "")
            continue
        values = r.exact(column, needed if field == "price_per_share" else known)
        given = np.array([v is not None for v in values])
        number = np.array([float(v) if v is not None else np.nan for v in values])
        if field == "ratio":
            r.bad(given & (number <= 0), column, "positive", "must be > 0")
        elif field == "basis_fraction":
            r.bad(given & ~((number > 0) & (number < 1)), column, "between", "must be in (0, 1)")
        else:
            r.bad(given & (number < 0), column, "non-negative", "must be >= 0")
        out[field] = values
    return out


def read_replay_inputs(
    accounts: Path, lots: Path, transactions: Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three inputs, typed; raises ``ReplayInputError`` listing every problem found."""
    account_frame, issues = _read_accounts(accounts)
    known = set(account_frame["account_id"]) if "account_id" in account_frame else set()
    lot_frame, lot_issues = _read_lots(lots, known)
    transaction_frame, transaction_issues = _read_transactions(transactions, known)
    issues = issues + lot_issues + transaction_issues
    if issues:
        raise ReplayInputError(issues)
    return account_frame, lot_frame, transaction_frame


def _quantity_text(values: np.ndarray) -> list[str]:
    return [np.format_float_positional(v, trim="-") for v in values]


def realized_csv_frame(result: ReplayResult) -> pd.DataFrame:
    """``realized.csv`` as written: USD with two decimals, ISO dates."""
    r = result.realized
    return pd.DataFrame(
        {
            "account_id": r["account_id"],
            "symbol": r["symbol"],
            "lot_id": r["lot_id"],
            "sale_date": r["sale_date"].dt.strftime("%Y-%m-%d"),
            "quantity": _quantity_text(r["quantity"].to_numpy()),
            "proceeds": cents_to_usd_text(r["proceeds_cents"]),
            "cost_basis": cents_to_usd_text(r["cost_basis_cents"]),
            "wash_sale_disallowed": cents_to_usd_text(r["wash_sale_disallowed_cents"]),
            "permanently_disallowed": cents_to_usd_text(r["permanently_disallowed_cents"]),
            "adjustment_code": r["adjustment_code"],
            "gain": cents_to_usd_text(r["gain_cents"]),
            "term": r["term"],
            "acquired_date": r["acquired_date"].dt.strftime("%Y-%m-%d"),
            "adjusted_acquired_date": r["adjusted_acquired_date"].dt.strftime("%Y-%m-%d"),
        },
        columns=list(REALIZED_COLUMNS),
    )


def open_lots_csv_frame(result: ReplayResult) -> pd.DataFrame:
    """``open_lots.csv`` as written: USD with two decimals, ISO dates."""
    o = result.open_lots
    return pd.DataFrame(
        {
            "account_id": o["account_id"],
            "lot_id": o["lot_id"],
            "symbol": o["symbol"],
            "quantity": _quantity_text(o["quantity"].to_numpy()),
            "cost_basis": cents_to_usd_text(o["cost_basis_cents"]),
            "acquired_date": o["acquired_date"].dt.strftime("%Y-%m-%d"),
            "adjusted_acquired_date": o["adjusted_acquired_date"].dt.strftime("%Y-%m-%d"),
            "wash_sale_adjustment": cents_to_usd_text(o["wash_sale_adjustment_cents"]),
        },
        columns=list(OPEN_LOT_COLUMNS),
    )


def replay_files(
    accounts: Path, lots: Path, transactions: Path, method: str, out: Path
) -> list[Path]:
    """Run ``sma ledger replay``; returns the files written. Raises ``ReplayInputError`` (nothing
    written)."""
    account_frame, lot_frame, transaction_frame = read_replay_inputs(accounts, lots, transactions)
    try:
        result = replay(account_frame, lot_frame, transaction_frame, ReliefMethod(method))
    except ReplayRowError as error:
        raise ReplayInputError(
            [Issue(Path(transactions).name, error.row, error.column, error.rule, error.why)]
        ) from None
    texts = {
        "realized.csv": realized_csv_frame(result).to_csv(index=False, lineterminator="\n"),
        "open_lots.csv": open_lots_csv_frame(result).to_csv(index=False, lineterminator="\n"),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    temporary = {name: out / f".{name}.{os.getpid()}.tmp" for name in texts}
    try:
        for name, text in texts.items():
            temporary[name].write_text(text, encoding="utf-8")
        for name in texts:
            os.replace(temporary[name], out / name)
    finally:
        for path in temporary.values():
            path.unlink(missing_ok=True)
    return [out / name for name in texts]
