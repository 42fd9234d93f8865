"""Text rules look at each distinct value once when a Parquet column is read dictionary-encoded
(an account's id repeats over its thousand lots), and a repeated key is found by grouping a hash
of the key first (issue 23): both find exactly the issues the rule over every cell finds."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.settings import ValidationSettings
from pipelines.validate import load_suite, parse_table, run_suite
from pipelines.validate._stage import staging_area
from pipelines.validate._suites import WHOLE_FILE, duplicate_key_sql
from sma.inbox import INBOX_FILES

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
NIGHT = {"as_of": date(2026, 11, 24)}

#: Cells of a text column: good ids, ids breaking the pattern, blanks and nulls, many repeated.
CELLS = st.lists(
    st.one_of(
        st.sampled_from(["A1", "A2", "acct-7", "AAPL", "BRK.B", "", " ", ".x", "a b", "é", None]),
        st.text(max_size=6),
    ),
    min_size=1,
    max_size=40,
)


def _lots(account_ids: list, symbols: list) -> pa.Table:
    n = len(account_ids)
    return pa.table(
        {
            "account_id": pa.array(account_ids, pa.string()),
            "lot_id": pa.array([f"L{i}" for i in range(n)], pa.string()),
            "symbol": pa.array((symbols * n)[:n], pa.string()),
            "quantity": pa.array(["1"] * n, pa.string()),
            "cost_basis": pa.array(["10.00"] * n, pa.string()),
            "acquired_date": pa.array(["2024-01-02"] * n, pa.string()),
            "adjusted_acquired_date": pa.array([""] * n, pa.string()),
        }
    )


def _checked(table: pa.Table):
    check = parse_table(INBOX_FILES["lots"], table)
    run_suite(check, load_suite("lots"), NIGHT)
    return check


def _encoded(table: pa.Table) -> pa.Table:
    """``table`` with account_id and symbol dictionary-encoded as Parquet reads them: in chunks,
    each with its own dictionary."""
    half = table.num_rows // 2
    return pa.table(
        {
            name: pa.chunked_array(
                [
                    table.column(name).slice(0, half).combine_chunks().dictionary_encode(),
                    table.column(name).slice(half).combine_chunks().dictionary_encode(),
                ]
            )
            if name in ("account_id", "symbol")
            else table.column(name)
            for name in table.column_names
        }
    )


@SETTINGS
@given(account_ids=CELLS, symbols=CELLS)
def test_a_dictionary_encoded_column_breaks_exactly_the_rules_its_cells_break(account_ids, symbols):
    table = _lots(account_ids, symbols)
    plain, encoded = _checked(table), _checked(_encoded(table))
    if 2 * len(set(account_ids)) < len(account_ids):  # values repeat: checked once per value
        assert "account_id" in encoded.encoded
    assert not plain.encoded
    assert (plain.bad == encoded.bad).all()
    assert len(plain.issues) == len(encoded.issues)
    for ours, theirs in zip(plain.issues, encoded.issues, strict=True):
        assert ours.equals(theirs)
    for name in table.column_names:
        assert plain.text[name].equals(encoded.text[name])
        assert (plain.missing[name] == encoded.missing[name]).all()


def test_a_set_rule_over_distinct_values_refuses_the_cells_outside_the_set():
    spec, suite = INBOX_FILES["transactions"], load_suite("transactions")
    sides = ["BUY", "SELL", "BUY", "HOLD", None, "", "HOLD", "buy"]
    n = len(sides)
    columns = {c.name: pa.array([""] * n, pa.string()) for c in spec.columns}
    columns["side"] = pa.array(sides, pa.string()).dictionary_encode()
    check = parse_table(spec, pa.table(columns))
    run_suite(check, suite, NIGHT)
    assert "side" in check.encoded
    refused = [
        (r, v)
        for issues in check.issues
        for r, c, rule, v in zip(
            issues["row"], issues["column"], issues["rule"], issues["value"], strict=True
        )
        if c == "side" and rule != "not_null"
    ]
    assert refused == [(4, "HOLD"), (7, "HOLD"), (8, "buy")]


#: Key cells: few distinct values so keys repeat; null for a blank cell (never a key).
KEY = st.sampled_from(["A1", "A2", "AAPL", "MSFT", None])


@SETTINGS
@given(keys=st.lists(st.tuples(KEY, KEY, KEY), min_size=1, max_size=30))
def test_a_repeated_key_refuses_every_row_holding_it_and_no_other(keys):
    """GX's rule: every row whose key cells are all present and equal to another such row's."""
    spec = INBOX_FILES["lots"]
    (rule,) = [e for e in load_suite("lots").expectations if e.type in WHOLE_FILE]
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE staged (_row BIGINT, account_id VARCHAR, symbol VARCHAR, lot_id VARCHAR)"
    )
    con.executemany(
        "INSERT INTO staged VALUES (?, ?, ?, ?)", [(i + 1, *k) for i, k in enumerate(keys)]
    )
    found = con.execute(
        f'SELECT "row", value, account_id FROM ({duplicate_key_sql(spec, rule, "staged")}) '
        'ORDER BY "row"'
    ).fetchall()
    present = [k for k in keys if None not in k]
    expected = [
        (i + 1, "|".join(k), k[0])
        for i, k in enumerate(keys)
        if None not in k and present.count(k) > 1
    ]
    assert found == expected


@SETTINGS
@given(account_ids=CELLS, symbols=CELLS)
def test_a_dictionary_encoded_column_stages_exactly_the_rows_and_issues_its_cells_stage(
    account_ids, symbols
):
    """Blank cells stage as null, the others as written, whether DuckDB gets them encoded or not."""
    table = _lots(account_ids, symbols)
    assert _staged(table) == _staged(_encoded(table))


def _staged(table: pa.Table) -> tuple[list, list]:
    with staging_area(ValidationSettings(), in_memory=True) as staging:
        staging.stage_file(INBOX_FILES["lots"], load_suite("lots"), iter([table]), NIGHT)
        rows = staging.con.execute("SELECT * FROM staging.lots ORDER BY _row").fetchall()
        issues = staging.con.execute("SELECT * FROM staging.issues ORDER BY seq").fetchall()
    return rows, issues
