"""The shape of the night's checked proposal, the files the blotter is built from.

Their row rules are data contracts like the inbox's: GX suites in ``data_contracts/outputs/``.
"""

from __future__ import annotations

from sma.inbox import AccountType, Column, ColumnKind, FileSpec, Side

TRADE_REASONS = (
    "REBALANCE",
    "HARVEST",
    "REPLACE",
    "CASH_INVEST",
    "CASH_RAISE",
    "RESTRICTION",
    "TRANSITION",
)
TERMS = ("SHORT", "LONG")

PROPOSAL_TRADES = FileSpec(
    "proposal_trades",
    (
        Column("run_id", ColumnKind.ID),
        Column("as_of_date", ColumnKind.DATE),
        Column("account_id", ColumnKind.ID),
        Column("household_id", ColumnKind.ID),
        Column("account_type", ColumnKind.ENUM, enum=tuple(AccountType)),
        Column("symbol", ColumnKind.SYMBOL),
        Column("side", ColumnKind.ENUM, enum=tuple(Side)),
        Column("quantity", ColumnKind.FLOAT, doc="whole shares, > 0"),
        Column("price", ColumnKind.FLOAT, doc="tonight's close, USD"),
        Column("notional", ColumnKind.FLOAT, doc="USD"),
        Column("reason", ColumnKind.ENUM, enum=TRADE_REASONS),
    ),
    key=("account_id", "symbol", "side"),
    doc="One order per account, security and side, with its reason.",
)

PROPOSAL_LOT_SELLS = FileSpec(
    "proposal_lot_sells",
    (
        Column("account_id", ColumnKind.ID),
        Column("symbol", ColumnKind.SYMBOL),
        Column("lot_id", ColumnKind.ID),
        Column("quantity", ColumnKind.FLOAT),
        Column("proceeds", ColumnKind.FLOAT),
        Column("realized_gain", ColumnKind.FLOAT),
        Column("term", ColumnKind.ENUM, enum=TERMS),
        Column("reason", ColumnKind.ENUM, enum=TRADE_REASONS),
    ),
    key=("account_id", "symbol", "lot_id"),
    doc="The lots each sell relieves (versus purchase).",
)

OUTPUT_FILES = {spec.name: spec for spec in (PROPOSAL_TRADES, PROPOSAL_LOT_SELLS)}
