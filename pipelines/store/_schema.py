"""The store's schema: one table per inbox file as dated snapshots, plus prices, quarantine and
meta.

The schema is versioned: ``store_meta.schema_version`` names the last migration applied, and
``MIGRATIONS`` lists every migration in order. Opening a store applies the missing ones in a
transaction; a store newer than this code is refused. SCHEMA.md beside this file documents it.
"""

from __future__ import annotations

from sma.inbox import INBOX_FILES, Column, ColumnKind, FileSpec

#: Money is booked exactly: these columns are DECIMAL(18, 2) dollars in the store.
MONEY_COLUMNS = {
    ("lots", "cost_basis"),
    ("cash", "amount"),
    ("cash_flows", "amount"),
    ("gift_requests", "amount"),
    ("accounts", "gain_budget"),
    ("accounts", "min_trade_value"),
    ("transactions", "realized_gain"),
}

_SQL_TYPE = {
    ColumnKind.ID: "VARCHAR",
    ColumnKind.SYMBOL: "VARCHAR",
    ColumnKind.TEXT: "VARCHAR",
    ColumnKind.ENUM: "VARCHAR",
    ColumnKind.DATE: "DATE",
    ColumnKind.FLOAT: "DOUBLE",
    # An exact number (1/3) is stored as its nearest double and read back exactly by
    # sma.ledger.exact: the ledger gets the rational the file wrote (no schema change).
    ColumnKind.RATIONAL: "DOUBLE",
    ColumnKind.BOOL: "BOOLEAN",
}

#: Files kept as one history keyed by their own dates instead of one copy per night. A model's
#: versions are a history (issue 19): a night's inbox may carry only the latest, and the night
#: compares it with the version in force the night before.
HISTORY_FILES = {
    "prices": ("date", "symbol"),
    "models": ("provider_id", "model_id", "effective_date", "symbol"),
}

#: Inbox files and columns added after the first schema, each by its own migration (so ``_v1``
#: stays what it was when stores were made with it): name -> the schema version that adds it.
ADDED_FILES = {"models": 9, "sleeves": 9, "gift_requests": 11}
ADDED_COLUMNS = {("accounts", "fractional_shares"): 7, ("accounts", "implementation"): 9}


def table_name(file: str) -> str:
    return f"inbox_{file}"


def column_type(file: str, column: str, kind: ColumnKind) -> str:
    return "DECIMAL(18, 2)" if (file, column) in MONEY_COLUMNS else _SQL_TYPE[kind]


def _column_ddl(file: str, c: Column) -> str:
    return f"{c.name} {column_type(file, c.name, c.kind)}{'' if c.nullable else ' NOT NULL'}"


def _inbox_table_ddl(spec: FileSpec, version: int = 1) -> str:
    """The inbox table of ``spec`` with the columns it had at schema ``version``."""
    columns = [c for c in spec.columns if ADDED_COLUMNS.get((spec.name, c.name), 1) <= version]
    cols = [] if spec.name in HISTORY_FILES else ["as_of_date DATE NOT NULL"]
    cols += [_column_ddl(spec.name, c) for c in columns]
    # Snapshot keys are enforced by the validator, not by an index: an index over millions of
    # lots costs memory and load time, and DuckDB checks keys eagerly within a transaction.
    if spec.name in HISTORY_FILES:
        cols.append(f"PRIMARY KEY ({', '.join(HISTORY_FILES[spec.name])})")
    if spec.name in HISTORY_FILES:
        cols.insert(len(columns), "loaded_as_of DATE NOT NULL")
    return f"CREATE TABLE {table_name(spec.name)} (\n    " + ",\n    ".join(cols) + "\n)"


def _v1() -> list[str]:
    return [
        *(
            _inbox_table_ddl(spec)
            for spec in INBOX_FILES.values()
            if ADDED_FILES.get(spec.name, 1) == 1
        ),
        """CREATE TABLE snapshots (
    as_of_date DATE PRIMARY KEY,
    inbox_sha256 VARCHAR NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    accounts_held BIGINT NOT NULL
)""",
        """CREATE TABLE quarantine (
    as_of_date DATE NOT NULL,
    file VARCHAR NOT NULL,
    "row" BIGINT,
    "column" VARCHAR,
    rule VARCHAR NOT NULL,
    value VARCHAR,
    message VARCHAR NOT NULL,
    account_id VARCHAR
)""",
        """CREATE TABLE held_accounts (
    as_of_date DATE NOT NULL,
    account_id VARCHAR NOT NULL,
    reason VARCHAR NOT NULL
)""",
    ]


def _v2() -> list[str]:
    """The nights' results: what was proposed, decided and held out, per as-of date."""
    return [
        """CREATE TABLE runs (
    as_of_date DATE PRIMARY KEY,
    run_id VARCHAR NOT NULL,
    accounts BIGINT NOT NULL,
    accounts_traded BIGINT NOT NULL,
    accounts_held BIGINT NOT NULL,
    orders BIGINT NOT NULL,
    notional DOUBLE NOT NULL,
    losses_harvested DOUBLE NOT NULL,
    est_tax_saved DOUBLE NOT NULL,
    summary_json VARCHAR NOT NULL
)""",
        """CREATE TABLE run_trades (
    as_of_date DATE NOT NULL, account_id VARCHAR NOT NULL, symbol VARCHAR NOT NULL, side VARCHAR NOT NULL,
    quantity DOUBLE NOT NULL, price DOUBLE NOT NULL, notional DOUBLE NOT NULL, reason VARCHAR NOT NULL
)""",
        """CREATE TABLE run_lot_sells (
    as_of_date DATE NOT NULL, account_id VARCHAR NOT NULL, symbol VARCHAR NOT NULL, lot_id VARCHAR NOT NULL,
    quantity DOUBLE NOT NULL, proceeds DOUBLE NOT NULL, realized_gain DOUBLE NOT NULL, term VARCHAR NOT NULL,
    reason VARCHAR NOT NULL
)""",
        """CREATE TABLE run_decisions (
    as_of_date DATE NOT NULL, account_id VARCHAR NOT NULL, status VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    triggers VARCHAR, te_before DOUBLE, te_after DOUBLE, max_tracking_error DOUBLE, realized_st DOUBLE,
    realized_lt DOUBLE, losses_harvested DOUBLE, est_tax_saved DOUBLE, turnover DOUBLE, cash_before DOUBLE,
    cash_after DOUBLE, account_value DOUBLE, objective DOUBLE, solver_status VARCHAR, iterations BIGINT,
    sign_conflicts BIGINT
)""",
        """CREATE TABLE run_exceptions (
    as_of_date DATE NOT NULL, account_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, reason VARCHAR NOT NULL
)""",
    ]


def _v3() -> list[str]:
    """What the ledger booked from fills: lots and cash after them, realized gains, the fills."""
    return [
        """CREATE TABLE ledger_lots (
    as_of_date DATE NOT NULL, account_id VARCHAR NOT NULL, lot_id VARCHAR NOT NULL, symbol VARCHAR NOT NULL,
    quantity DOUBLE NOT NULL, cost_basis DECIMAL(18, 2) NOT NULL, acquired_date DATE NOT NULL,
    adjusted_acquired_date DATE NOT NULL, wash_sale_adjustment DECIMAL(18, 2) NOT NULL
)""",
        """CREATE TABLE ledger_cash (
    as_of_date DATE NOT NULL, account_id VARCHAR NOT NULL, amount DECIMAL(18, 2) NOT NULL
)""",
        """CREATE TABLE realized_gains (
    as_of_date DATE NOT NULL, fill_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, symbol VARCHAR NOT NULL,
    lot_id VARCHAR NOT NULL, sale_date DATE NOT NULL, quantity DOUBLE NOT NULL, proceeds DECIMAL(18, 2) NOT NULL,
    cost_basis DECIMAL(18, 2) NOT NULL, wash_sale_disallowed DECIMAL(18, 2) NOT NULL,
    permanently_disallowed DECIMAL(18, 2) NOT NULL, adjustment_code VARCHAR, gain DECIMAL(18, 2) NOT NULL,
    term VARCHAR NOT NULL, acquired_date DATE NOT NULL, adjusted_acquired_date DATE NOT NULL
)""",
        """CREATE TABLE fills_booked (
    as_of_date DATE NOT NULL, fill_id VARCHAR NOT NULL, order_id VARCHAR NOT NULL, allocation_id VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL, symbol VARCHAR NOT NULL, side VARCHAR NOT NULL, lot_id VARCHAR,
    quantity DOUBLE NOT NULL, price DOUBLE NOT NULL
)""",
    ]


def _v4() -> list[str]:
    """Account history: daily values and every trade, from nights and from simulated history."""
    return [
        """CREATE TABLE account_values (
    account_id VARCHAR NOT NULL, date DATE NOT NULL, market_value DOUBLE NOT NULL, cash DOUBLE NOT NULL,
    cash_flow DOUBLE NOT NULL, source VARCHAR NOT NULL, PRIMARY KEY (account_id, date)
)""",
        """CREATE TABLE history_trades (
    account_id VARCHAR NOT NULL, trade_date DATE NOT NULL, symbol VARCHAR NOT NULL, side VARCHAR NOT NULL,
    quantity DOUBLE NOT NULL, price DOUBLE NOT NULL, reason VARCHAR NOT NULL, source VARCHAR NOT NULL
)""",
    ]


def _v5() -> list[str]:
    """Fills carry the broker's execution id, the key that books each execution once, and the
    block's average price each account was booked at (``price`` stays the broker's fill price)."""
    return [
        "ALTER TABLE fills_booked ADD COLUMN exec_id VARCHAR",
        "ALTER TABLE fills_booked ADD COLUMN booked_price DOUBLE",
    ]


def _v6() -> list[str]:
    """The head of each run's audit chain: the last record the store has seen, so a log whose
    last records were cut off (a release and its exports deleted together) no longer verifies."""
    return [
        """CREATE TABLE audit_heads (
    run_id VARCHAR PRIMARY KEY, seq INTEGER NOT NULL, hash VARCHAR NOT NULL, action VARCHAR NOT NULL,
    state VARCHAR NOT NULL, recorded_at VARCHAR NOT NULL
)""",
    ]


def _v7() -> list[str]:
    """Accounts say whether they trade fractional shares (issue 17): blank (null) = whole shares."""
    return [
        f"ALTER TABLE {table_name(f)} ADD COLUMN {_column_ddl(f, INBOX_FILES[f].column(c))}"
        for (f, c), version in ADDED_COLUMNS.items()
        if version == 7
    ]


def _v8() -> list[str]:
    """Corporate actions beyond splits (issue 22): the fields of each kind, and no ratio for the
    kinds that have none. ``IF NOT EXISTS``: a store created by this code has them from v1."""
    added = (
        ("account_id", "VARCHAR"),
        ("new_symbol", "VARCHAR"),
        ("basis_fraction", "DOUBLE"),
        ("cash_per_share", "DOUBLE"),
        ("new_share_price", "DOUBLE"),
        ("amount_per_share", "DOUBLE"),
        ("cash_in_lieu_price", "DOUBLE"),
        ("price", "DOUBLE"),
    )
    return [
        "ALTER TABLE inbox_corporate_actions ALTER COLUMN ratio DROP NOT NULL",
        *(
            f"ALTER TABLE inbox_corporate_actions ADD COLUMN IF NOT EXISTS {name} {kind}"
            for name, kind in added
        ),
    ]


def _v9() -> list[str]:
    """The model-delivered UMA's inbox (issue 19): the history of model versions, the sleeves of
    each night, and each account's implementation (null = MANAGER_TRADED)."""
    accounts = INBOX_FILES["accounts"]
    return [
        _inbox_table_ddl(INBOX_FILES["models"], 9),
        _inbox_table_ddl(INBOX_FILES["sleeves"], 9),
        f"ALTER TABLE {table_name('accounts')} ADD COLUMN "
        + _column_ddl("accounts", accounts.column("implementation")),
    ]


def _v10() -> list[str]:
    """The sleeve of every lot of a UMA account, per night (issue 19, "Sleeves in the ledger"):
    the next night keeps a lot's sleeve from the latest night that attributed it."""
    return [
        """CREATE TABLE uma_lot_sleeves (
    as_of_date DATE NOT NULL, account_id VARCHAR NOT NULL, lot_id VARCHAR NOT NULL,
    symbol VARCHAR NOT NULL, sleeve_id VARCHAR NOT NULL, attributed VARCHAR NOT NULL
)""",
    ]


def _v11() -> list[str]:
    """Charitable gifts (issue 21): the night's gift requests, and every lot delivered to a
    charity (one row per lot and request; a rerun of the night replaces its own rows)."""
    return [
        _inbox_table_ddl(INBOX_FILES["gift_requests"], 11),
        """CREATE TABLE gifts_delivered (
    as_of_date DATE NOT NULL, request_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
    lot_id VARCHAR NOT NULL, symbol VARCHAR NOT NULL, quantity DOUBLE NOT NULL, price DOUBLE NOT NULL,
    cost_basis DECIMAL(18, 2) NOT NULL, market_value DECIMAL(18, 2) NOT NULL,
    unrealized_gain DECIMAL(18, 2) NOT NULL, charity VARCHAR NOT NULL, acquired_date DATE NOT NULL,
    adjusted_acquired_date DATE NOT NULL
)""",
    ]


#: Migration n brings a store from schema version n-1 to n.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    tuple(_v1()),
    tuple(_v2()),
    tuple(_v3()),
    tuple(_v4()),
    tuple(_v5()),
    tuple(_v6()),
    tuple(_v7()),
    tuple(_v8()),
    tuple(_v9()),
    tuple(_v10()),
    tuple(_v11()),
)
SCHEMA_VERSION = len(MIGRATIONS)
