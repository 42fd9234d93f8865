"""The checked proposal against its output data contracts (``data_contracts/outputs/``).

The same executor that checks the inbox checks what the night is about to hand the trading desk:
an order or lot sell breaking a row rule holds its account out, with the rule named.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from sma.compliance import PROPOSAL_LOT_SELLS, PROPOSAL_TRADES

OUTPUT_CONTRACTS = Path(__file__).resolve().parents[2] / "data_contracts" / "outputs"


def output_contract_issues(
    trades: pd.DataFrame, lot_sells: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Every row of the proposal that breaks its contract: file, row, column, rule, value, message,
    account_id."""
    from pipelines.validate import validate_frame

    found = [
        validate_frame(
            frame.loc[:, list(spec.column_names)].reset_index(drop=True),
            spec,
            as_of,
            contracts=OUTPUT_CONTRACTS,
        ).issues
        for spec, frame in ((PROPOSAL_TRADES, trades), (PROPOSAL_LOT_SELLS, lot_sells))
    ]
    return pd.concat(found, ignore_index=True)
