"""One bad cell, one exact error: every numeric, date, enum, id and text column of every inbox file.

Source of the rules: the inbox contract (PRODUCT.md, "Inbox contract"; ``sma.inbox``) and the
suites in ``data_contracts/suites/``. Each case changes one cell of a valid inbox and expects the
issue (file, row, column, rule), that row missing from the clean frames, its account held, and
the inbox folder byte-for-byte unchanged.
"""

from __future__ import annotations

import pytest
from inbox_builder import AS_OF, clean_inbox, folder_state, write_inbox

from pipelines.settings import ValidationSettings
from pipelines.validate import validate_inbox
from sma.inbox import INBOX_FILES, ColumnKind
from tests.example_counts import fast_few, first_of_each

NAN, INF, NEG_INF, HUGE, TOO_BIG = "NaN", "inf", "-Infinity", "1e13", "1e400"

# (file, row, column, bad text, rule); rows are 1-based data records of inbox_builder's inbox.
CASES = [
    # securities
    ("securities", 1, "symbol", "aapl", "symbol_pattern"),
    ("securities", 2, "symbol", "BRK B", "symbol_pattern"),
    ("securities", 1, "name", '=HYPERLINK("http://x","y")', "formula_prefix"),
    ("securities", 2, "industry", "@SUM(A1)", "formula_prefix"),
    ("securities", 3, "esg_tags", "+cmd|' /C calc'!A0", "formula_prefix"),
    ("securities", 1, "sector", "Tech", "in_set"),
    ("securities", 1, "sector", "", "not_null"),
    ("securities", 1, "identical_group", "../g", "id_pattern"),
    ("securities", 4, "name", "", "not_null"),
    # prices
    ("prices", 1, "close", NAN, "finite"),
    ("prices", 1, "close", INF, "finite"),
    ("prices", 1, "close", NEG_INF, "finite"),
    ("prices", 1, "close", "0", "positive"),
    ("prices", 2, "close", "-5", "positive"),
    ("prices", 2, "close", HUGE, "overflow"),
    ("prices", 2, "close", TOO_BIG, "finite"),
    ("prices", 3, "close", "1,000.50", "number_format"),
    ("prices", 3, "close", "", "not_null"),
    ("prices", 1, "volume", NAN, "finite"),
    ("prices", 1, "volume", INF, "finite"),
    ("prices", 1, "volume", "-1", "non_negative"),
    ("prices", 1, "volume", HUGE, "overflow"),
    ("prices", 1, "date", "2026-13-01", "date_format"),
    ("prices", 1, "date", "2026-02-30", "date_format"),
    ("prices", 1, "date", "23/11/2026", "date_format"),
    ("prices", 1, "date", "2026-11-25", "not_future"),
    ("prices", 1, "symbol", "aapl", "symbol_pattern"),
    # benchmarks
    ("benchmarks", 1, "weight", NAN, "finite"),
    ("benchmarks", 1, "weight", INF, "finite"),
    ("benchmarks", 1, "weight", NEG_INF, "finite"),
    ("benchmarks", 1, "weight", "0", "positive"),
    ("benchmarks", 2, "weight", "-0.3", "positive"),
    ("benchmarks", 2, "weight", "1.5", "at_most_one"),
    ("benchmarks", 2, "weight", TOO_BIG, "finite"),
    ("benchmarks", 3, "benchmark_id", "../B1", "id_pattern"),
    # accounts
    ("accounts", 1, "account_type", "BROKERAGE", "in_set"),
    ("accounts", 1, "tlh_enabled", "maybe", "bool_format"),
    ("accounts", 2, "fractional_shares", "0.5", "bool_format"),  # issue 17: optional, true/false
    ("accounts", 1, "st_tax_rate", NAN, "finite"),
    ("accounts", 1, "st_tax_rate", "-0.1", "non_negative"),
    ("accounts", 1, "st_tax_rate", "1.5", "at_most_one"),
    ("accounts", 1, "lt_tax_rate", INF, "finite"),
    ("accounts", 1, "lt_tax_rate", "2", "at_most_one"),
    ("accounts", 1, "max_tracking_error", "0", "positive"),
    ("accounts", 1, "max_tracking_error", "1.01", "at_most_one"),
    ("accounts", 1, "max_tracking_error", NEG_INF, "finite"),
    ("accounts", 1, "gain_budget", "-1", "non_negative"),
    ("accounts", 1, "gain_budget", HUGE, "overflow"),
    ("accounts", 1, "gain_budget", NAN, "finite"),
    ("accounts", 1, "min_trade_value", "-100", "non_negative"),
    ("accounts", 1, "min_trade_value", INF, "finite"),
    ("accounts", 1, "min_trade_value", HUGE, "overflow"),
    ("accounts", 1, "cash_target", "1", "below_one"),
    ("accounts", 1, "cash_target", "-0.01", "non_negative"),
    ("accounts", 1, "cash_target", NAN, "finite"),
    ("accounts", 1, "inception_date", "2026-11-31", "date_format"),
    ("accounts", 1, "inception_date", "2027-01-01", "not_future"),
    ("accounts", 1, "client_name", "=1+1", "formula_prefix"),
    ("accounts", 1, "client_name", "-2+3", "formula_prefix"),
    ("accounts", 1, "client_name", "+44 20 7946 0000", "formula_prefix"),
    ("accounts", 2, "client_name", "Ada\x1b[2J Lovelace", "control_character"),
    ("securities", 3, "industry", "Oil\nGas", "control_character"),
    ("accounts", 1, "household_id", "../../etc", "id_pattern"),
    ("accounts", 1, "household_id", "", "not_null"),
    # restrictions
    ("restrictions", 1, "kind", "SELL_ALL", "in_set"),
    ("restrictions", 2, "sector", "Tech", "in_set"),
    ("restrictions", 3, "esg_tag", "=cmd", "formula_prefix"),
    ("restrictions", 1, "symbol", "xom", "symbol_pattern"),
    # tilts
    ("tilts", 1, "multiplier", "-1", "non_negative"),
    ("tilts", 1, "multiplier", NAN, "finite"),
    ("tilts", 1, "multiplier", INF, "finite"),
    ("tilts", 1, "multiplier", HUGE, "overflow"),
    ("tilts", 2, "sector", "Energy ", "in_set"),
    # lots
    ("lots", 1, "quantity", NAN, "finite"),
    ("lots", 1, "quantity", INF, "finite"),
    ("lots", 1, "quantity", NEG_INF, "finite"),
    ("lots", 1, "quantity", "0", "positive"),
    ("lots", 1, "quantity", "-1", "positive"),
    ("lots", 1, "quantity", HUGE, "overflow"),
    ("lots", 1, "quantity", "ten", "number_format"),
    ("lots", 2, "cost_basis", "-1", "non_negative"),
    ("lots", 2, "cost_basis", NAN, "finite"),
    ("lots", 2, "cost_basis", TOO_BIG, "finite"),
    ("lots", 2, "cost_basis", HUGE, "overflow"),
    ("lots", 3, "acquired_date", "2026-11-25", "not_future"),
    ("lots", 3, "acquired_date", "yesterday", "date_format"),
    ("lots", 1, "adjusted_acquired_date", "2024-01-06", "adjusted_not_after_acquired"),
    ("lots", 1, "adjusted_acquired_date", "2024-1-6", "date_format"),
    ("lots", 1, "lot_id", "../../x", "id_pattern"),
    ("lots", 1, "lot_id", ".hidden", "id_pattern"),
    ("lots", 1, "lot_id", "L" * 65, "id_pattern"),
    ("lots", 1, "lot_id", "", "not_null"),
    # cash
    ("cash", 1, "amount", NAN, "finite"),
    ("cash", 1, "amount", INF, "finite"),
    ("cash", 1, "amount", NEG_INF, "finite"),
    ("cash", 1, "amount", "-1e13", "overflow"),
    ("cash", 1, "amount", HUGE, "overflow"),
    ("cash", 1, "amount", "", "not_null"),
    # cash_flows
    ("cash_flows", 1, "amount", "0", "nonzero"),
    ("cash_flows", 1, "amount", NAN, "finite"),
    ("cash_flows", 1, "amount", NEG_INF, "finite"),
    ("cash_flows", 1, "amount", "-1e13", "overflow"),
    ("cash_flows", 1, "requested_date", "20261120", "date_format"),
    # transactions
    ("transactions", 1, "side", "HOLD", "in_set"),
    ("transactions", 1, "side", "buy", "in_set"),
    ("transactions", 1, "quantity", "0", "positive"),
    ("transactions", 1, "quantity", NAN, "finite"),
    ("transactions", 1, "quantity", HUGE, "overflow"),
    ("transactions", 1, "price", "-180", "positive"),
    ("transactions", 1, "price", INF, "finite"),
    ("transactions", 1, "trade_date", "2026-11-25", "not_future"),
    ("transactions", 2, "realized_gain", NAN, "finite"),
    ("transactions", 2, "realized_gain", HUGE, "overflow"),
    # positions
    ("positions", 1, "quantity", NAN, "finite"),
    ("positions", 1, "quantity", "-15", "positive"),
    ("positions", 1, "quantity", INF, "finite"),
    ("positions", 1, "quantity", HUGE, "overflow"),
    # corporate_actions
    ("corporate_actions", 1, "ratio", "0", "positive"),
    ("corporate_actions", 1, "ratio", NAN, "finite"),
    ("corporate_actions", 1, "ratio", INF, "finite"),
    ("corporate_actions", 1, "ratio", "-2", "positive"),
    ("corporate_actions", 1, "kind", "MERGER", "in_set"),
    ("corporate_actions", 1, "ex_date", "2026/06/01", "date_format"),
    # Issue 16: a plausible date range on every date column (a year-0000 close crashed every
    # account's night: pandas' nanosecond timestamps stop at 1677-09-21 and 2262-04-11).
    ("prices", 1, "date", "0000-11-23", "date_range"),
    ("lots", 1, "acquired_date", "0000-01-05", "date_range"),
    ("lots", 2, "adjusted_acquired_date", "1899-12-31", "date_range"),
    ("accounts", 1, "inception_date", "0001-01-01", "date_range"),
    ("cash_flows", 2, "requested_date", "2200-01-01", "date_range"),
    ("transactions", 1, "trade_date", "1000-01-01", "date_range"),
    ("corporate_actions", 1, "ex_date", "9999-12-31", "date_range"),
    # Issue 16: invisible characters that reorder or break a statement line (Unicode TR #9 bidi
    # overrides and isolates; C1 controls; U+2028/U+2029 line and paragraph separators).
    ("securities", 1, "name", "Apple\u202eInc.", "control_character"),
    ("securities", 2, "name", "Micro\u2066soft", "control_character"),
    ("accounts", 1, "client_name", "Ada\u0085Lovelace", "control_character"),
    ("accounts", 2, "client_name", "Ada\u2028Lovelace", "control_character"),
    ("restrictions", 3, "esg_tag", "fossil\u2029fuels", "control_character"),
    ("securities", 4, "industry", "Pharma\u009bceuticals", "control_character"),
    # Issue 16: a length limit per free-text column (a 20,000-character name made a 35-page
    # statement).
    ("securities", 2, "industry", "I" * 101, "max_length"),
    ("restrictions", 3, "esg_tag", "t" * 65, "max_length"),
    # Issue 19: the model-delivered UMA's files and the accounts' implementation.
    ("accounts", 1, "implementation", "SLEEVED", "in_set"),
    ("models", 2, "weight", "0", "positive"),
    ("models", 2, "weight", "1.5", "at_most_one"),
    ("models", 1, "provider_id", "../x", "id_pattern"),
    ("models", 1, "effective_date", "0201-10-01", "date_range"),
    ("models", 1, "effective_date", "2026-13-01", "date_format"),
    ("models", 3, "symbol", "jnj", "symbol_pattern"),
    ("models", 4, "model_id", "", "not_null"),
    ("sleeves", 1, "drift_band", "0", "positive"),
    ("sleeves", 1, "drift_band", "1", "below_one"),
    ("sleeves", 2, "target_weight", "-0.35", "positive"),
    ("sleeves", 2, "target_weight", "1.2", "at_most_one"),
    ("sleeves", 3, "sleeve_id", "", "not_null"),
    ("sleeves", 3, "model_id", "a/b", "id_pattern"),
    # issue 21: charitable gift requests
    ("gift_requests", 1, "amount", "0", "positive"),
    ("gift_requests", 1, "amount", "-250.00", "positive"),
    ("gift_requests", 1, "request_id", "a/b", "id_pattern"),
    ("gift_requests", 1, "charity", "   ", "not_blank"),
    ("gift_requests", 1, "charity", "=HYPERLINK(1)", "formula_prefix"),
    ("gift_requests", 1, "date", "", "not_null"),
]

# NaN and both infinities in every numeric column of every file, written as a custodian might.
_HAND = {(f, r, c, v) for f, r, c, v, _ in CASES}
CASES += [
    (spec.name, 1, column.name, value, "finite")
    for spec in INBOX_FILES.values()
    for column in spec.columns
    if column.kind is ColumnKind.FLOAT
    for value in (NAN, INF, NEG_INF)
    if (spec.name, 1, column.name, value) not in _HAND
]


def _id(case) -> str:
    file, row, column, value, rule = case
    return f"{file}-{row}-{column}-{rule}-{value[:12]!r}"


FORMATS = [(case, "csv") for case in CASES] + [(case, "parquet") for case in CASES[::10]]
# The fast group checks the first case of each rule and of each format; the slow group every case
# (each one validates a whole inbox).
FAST = first_of_each(case[4] for case, _ in FORMATS) | first_of_each(fmt for _, fmt in FORMATS)


@pytest.mark.parametrize(
    ("case", "fmt"), fast_few(FORMATS, [f"{fmt}-{_id(c)}" for c, fmt in FORMATS], FAST)
)
def test_a_bad_cell_is_reported_exactly_and_its_row_refused(tmp_path, case, fmt):
    """The contract's rule for the column (``data_contracts/suites/<file>.json``) names the cell,
    whether the file is CSV or Parquet (text columns)."""
    file, row, column, value, rule = case
    frames = clean_inbox()
    frames[file].loc[row - 1, column] = value
    write_inbox(frames, tmp_path, fmt)
    before = folder_state(tmp_path)

    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)

    assert folder_state(tmp_path) == before, "the validator must write nothing"
    assert not result.ok and not result.fatal
    issues = result.issues
    mine = issues[(issues["file"] == file) & issues["row"].notna()]
    assert list(mine[["row", "column", "rule"]].itertuples(index=False, name=None)) == [
        (row, column, rule)
    ]
    assert mine["value"].iloc[0] == value
    assert row not in result.frames[file].index
    account = frames[file].loc[row - 1, "account_id"] if "account_id" in frames[file] else None
    if account and column != "account_id":  # a blank account_id (a book-wide action) holds none
        assert account in result.held_accounts


def test_the_suite_of_every_file_is_exercised_by_a_bad_cell():
    """Every inbox file has at least one bad-cell case, every numeric column NaN, inf and -inf."""
    from sma.inbox import INBOX_FILES, ColumnKind

    covered = {(f, c) for f, _, c, _, _ in CASES}
    assert {f for f, _ in covered} == set(INBOX_FILES)
    for name, spec in INBOX_FILES.items():
        for column in spec.columns:
            if column.kind is ColumnKind.FLOAT:
                values = {v for f, _, c, v, _ in CASES if (f, c) == (name, column.name)}
                assert {NAN, INF, NEG_INF} <= values, (name, column.name)
