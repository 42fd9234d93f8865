"""``sma ledger replay``: read accounts, lots and transactions CSVs, replay them through the ledger,
write ``realized.csv`` and ``open_lots.csv`` (PRODUCT.md, "Interfaces").

The inputs are read and checked by :mod:`pipelines.validate` (every problem with its file, row,
column and rule, reported together); a sale of more than is held names its row the same way. On
any error nothing is written; each output is written whole (:func:`write_atomically`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines._atomic import write_atomically
from pipelines.validate import ReplayInputError, read_replay_inputs, replay_row_issue
from sma.ledger import ReliefMethod, ReplayResult, ReplayRowError, cents_to_usd_text, replay

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
            replay_row_issue(
                Path(transactions).name, error.row, error.column, error.rule, error.why
            )
        ) from None
    texts = {
        "realized.csv": realized_csv_frame(result).to_csv(index=False, lineterminator="\n"),
        "open_lots.csv": open_lots_csv_frame(result).to_csv(index=False, lineterminator="\n"),
    }
    return [write_atomically(Path(out) / name, text.encode()) for name, text in texts.items()]
