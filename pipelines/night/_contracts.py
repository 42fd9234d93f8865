"""The checked proposal against its output data contracts (``data_contracts/outputs/``).

The same executor that checks the inbox checks what the night is about to hand the trading desk:
an order or lot sell breaking a row rule holds its account out, with the rule named.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import PipelineError
from sma.compliance import PROPOSAL_LOT_SELLS, PROPOSAL_TRADES
from sma.inbox import FileSpec

OUTPUT_CONTRACTS = Path(__file__).resolve().parents[2] / "data_contracts" / "outputs"


def output_contract_issues(
    trades: pd.DataFrame, lot_sells: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Every row of the proposal that breaks its contract: file, row, column, rule, value, message,
    account_id."""
    from pipelines.validate import empty_issues, validate_frame

    frames = [
        (spec, frame.loc[:, list(spec.column_names)].reset_index(drop=True))
        for spec, frame in ((PROPOSAL_TRADES, trades), (PROPOSAL_LOT_SELLS, lot_sells))
    ]
    if all(_surely_clean(frame, spec, as_of) for spec, frame in frames):
        # What staging two clean frames gives, without staging them (a DuckDB database each).
        return pd.concat([empty_issues(), empty_issues()], ignore_index=True)
    found = [
        validate_frame(frame, spec, as_of, contracts=OUTPUT_CONTRACTS).issues
        for spec, frame in frames
    ]
    return pd.concat(found, ignore_index=True)


def _surely_clean(frame: pd.DataFrame, spec: FileSpec, as_of: date) -> bool:
    """Whether ``frame`` breaks no rule of its contract: the row rules ``validate_frame`` runs on
    it find nothing and no key repeats, even counting blank keys equal (the validator's SQL leaves
    them out). False when in doubt: ``validate_frame`` then finds what there is."""
    from pipelines.validate import (
        WHOLE_FILE,
        key_columns,
        load_suite,
        parse_table,
        run_suite,
        text_key_columns,
    )

    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):  # refused whole by validate_frame
        return False
    try:
        check = parse_table(spec, pa.Table.from_pandas(frame, preserve_index=False))
    except (pa.ArrowException, ValueError, PipelineError):  # refused whole by validate_frame
        return False
    suite = load_suite(spec.name, OUTPUT_CONTRACTS)
    run_suite(check, suite, {"as_of": as_of})
    if check.issues or text_key_columns(spec, suite):
        return False
    # Keys as staged: the cells as written, null where blank.
    return not any(
        _may_repeat([check.values[c] for c in key_columns(e)])
        for e in suite.expectations
        if e.type in WHOLE_FILE
    )


def _may_repeat(keys: list[pa.Array]) -> bool:
    """Whether two rows may hold the same ``keys`` (columns of cells, blank cells counted equal):
    not when one column's cells all differ (a lot sell's lot id), nor when no two rows are equal in
    every column."""
    if any(k.null_count == 0 and len(pc.unique(k)) == len(k) for k in keys):
        return False
    table = pa.table({str(i): k for i, k in enumerate(keys)})
    return table.group_by(table.column_names).aggregate([]).num_rows < table.num_rows
