"""The inbox ``corporate_actions`` file writes its numbers as ``sma ledger replay`` does: a decimal
or ``N/D`` (shared/CORPORATE_ACTIONS.md, "Exact ratios": ``ratio``, ``basis_fraction`` and every
per-share amount are exact rationals; "Engines must parse both forms exactly"). The night reaches
the ledger with the rational the file wrote, from CSV text, Parquet text or a Parquet double; a
number that is neither (``3/0``, ``abc``) or not above 0 is refused with file, row, column and
rule, and nothing of the action is loaded."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from inbox_builder import AS_OF, clean_inbox, folder_state, night, write_inbox

from pipelines.corporate_actions import lots_after_corporate_actions
from pipelines.ingest import ingest
from pipelines.settings import Settings, ValidationSettings
from pipelines.store import open_store
from pipelines.validate import validate_inbox


def _spinoff(ratio: str, lots: tuple[str, str] = ("10", "5")) -> dict[str, pd.DataFrame]:
    """The clean inbox with A1's AAPL lots L1 and L2 of ``lots`` shares spinning off JNJ at
    ``ratio`` JNJ per AAPL tonight, cash in lieu of fractions at 9 USD; the custodian shows the
    whole JNJ shares received."""
    frames = clean_inbox()
    frames["lots"].loc[[0, 1], "quantity"] = list(lots)  # A1's L1 and L2
    actions = frames["corporate_actions"]
    row = {c: "" for c in actions.columns} | {
        "symbol": "AAPL",
        "ex_date": AS_OF.isoformat(),
        "kind": "SPINOFF",
        "ratio": ratio,
        "new_symbol": "JNJ",
        "basis_fraction": "1/5",
        "cash_in_lieu_price": "9",
    }
    frames["corporate_actions"] = pd.concat([actions, pd.DataFrame([row])], ignore_index=True)
    return frames


def _positions(frames, jnj: int) -> None:
    positions = frames["positions"]
    aapl = sum(int(q) for q in frames["lots"].query("symbol == 'AAPL'")["quantity"])
    positions.loc[positions["symbol"] == "AAPL", "quantity"] = str(aapl)
    frames["positions"] = pd.concat(
        [positions, pd.DataFrame([["A1", "JNJ", str(jnj)]], columns=positions.columns)],
        ignore_index=True,
    )


def _night(root: Path, frames, fmt: str = "csv") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Ingest ``frames`` as tonight's inbox into a fresh store; the lots after tonight's actions,
    the realized rows they book (cents) and tonight's issues."""
    write_inbox(frames, root / "inbox", fmt)
    settings = Settings(store={"path": root / "store.duckdb"}, runs={"dir": root / "runs"})
    result = ingest(root / "inbox", AS_OF, settings)
    with open_store(settings.store.path, read_only=True) as con:
        lots, realized = lots_after_corporate_actions(con, AS_OF)
    return lots.sort_values(["symbol", "lot_id"], ignore_index=True), realized, result.issues


def _parquet_with_double_ratio(root: Path, ratio: float) -> None:
    """Rewrite tonight's ``corporate_actions.parquet`` with ``ratio`` a double column (the last
    row's ``ratio``)."""
    path = night(root / "inbox") / "corporate_actions.parquet"
    table = pq.read_table(path)
    ratios = [float(v) for v in table["ratio"].to_pylist()[:-1]] + [ratio]  # the splits, then ours
    index = table.column_names.index("ratio")
    pq.write_table(table.set_column(index, "ratio", pa.array(ratios, pa.float64())), path)


def test_a_ratio_written_3_2_and_one_written_1_5_give_identical_lots(tmp_path):
    """Lots of 10 and 5 AAPL receive 15 and 7.5 JNJ; the half share is paid in lieu."""
    nights = {}
    for written in ("3/2", "1.5"):
        frames = _spinoff(written)
        _positions(frames, 22)
        nights[written] = _night(tmp_path / written.replace("/", "_"), frames)
    (lots, realized, issues), (lots_d, realized_d, _) = nights["3/2"], nights["1.5"]
    assert issues.empty, issues.to_string()
    pd.testing.assert_frame_equal(lots, lots_d)
    pd.testing.assert_frame_equal(realized, realized_d)
    jnj = lots.query("account_id == 'A1' and symbol == 'JNJ'")
    assert jnj["quantity"].tolist() == [15.0, 7.0]
    assert realized["quantity"].tolist() == [0.5]


@pytest.mark.parametrize("stored", ["text", "double"])
def test_a_parquet_inbox_reads_its_ratio_as_the_csv_does(tmp_path, stored):
    """A Parquet inbox may store the ratio as text (``3/2``) or as a double (1.5)."""
    frames = _spinoff("3/2")
    _positions(frames, 22)
    csv_lots, csv_realized, _ = _night(tmp_path / "csv", frames)
    write_inbox(frames, tmp_path / "parquet" / "inbox", "parquet")
    if stored == "double":
        _parquet_with_double_ratio(tmp_path / "parquet", 1.5)
    lots, realized, issues = _night(tmp_path / "parquet", frames, "parquet")
    assert issues.empty, issues.to_string()
    pd.testing.assert_frame_equal(lots, csv_lots)
    pd.testing.assert_frame_equal(realized, csv_realized)


def test_a_ratio_written_n_d_reaches_the_ledger_exactly(tmp_path):
    """1/3 has no finite decimal: lots of 9 and 6 AAPL receive exactly 3 and 2 JNJ, so no
    fraction is left to pay in lieu (0.3333333333333333 x 9 would leave 2.9999999999999997)."""
    frames = _spinoff("1/3", lots=("9", "6"))
    _positions(frames, 5)
    lots, realized, issues = _night(tmp_path, frames)
    assert issues.empty, issues.to_string()
    assert lots.query("account_id == 'A1' and symbol == 'JNJ'")["quantity"].tolist() == [3.0, 2.0]
    assert realized.empty


@pytest.mark.parametrize(
    ("ratio", "rule"),
    [  # the first of each rule in the fast group, every one with the slow group
        ("3/0", "number_format"),
        pytest.param("abc", "number_format", marks=pytest.mark.slow),
        pytest.param("1,5", "number_format", marks=pytest.mark.slow),
        ("0", "positive"),
        pytest.param("0/7", "positive", marks=pytest.mark.slow),
        pytest.param("-3/2", "positive", marks=pytest.mark.slow),
        ("1" + "0" * 400 + "/3", "finite"),  # beyond a double, as 1e400 is
    ],
)
@pytest.mark.parametrize("fmt", ["csv", pytest.param("parquet", marks=pytest.mark.slow)])
def test_a_bad_ratio_is_refused_by_file_row_column_and_rule_and_nothing_is_written(
    tmp_path, ratio, rule, fmt
):
    frames = _spinoff(ratio)
    write_inbox(frames, tmp_path, fmt)
    before = folder_state(tmp_path)
    result = validate_inbox(tmp_path, AS_OF, ValidationSettings(), with_frames=True)
    assert folder_state(tmp_path) == before
    found = result.issues[result.issues["file"] == "corporate_actions"]
    assert found[["row", "column", "rule"]].values.tolist() == [[3, "ratio", rule]]
    assert found["value"].iloc[0][:40] == ratio[:40]  # as written (a long one shortened)
    assert "SPINOFF" not in set(result.frames["corporate_actions"]["kind"])


def test_a_refused_ratio_leaves_the_lots_untouched_tonight(tmp_path):
    """The row is quarantined: the store holds no part of the action and the lots stay AAPL."""
    frames = _spinoff("3/0")
    lots, realized, issues = _night(tmp_path, frames)
    assert ("corporate_actions", 3, "ratio", "number_format") in {
        (r.file, r.row, r.column, r.rule) for r in issues.itertuples()
    }
    assert "JNJ" not in set(lots.query("account_id == 'A1'")["symbol"])
    assert realized.empty
