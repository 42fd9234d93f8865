"""A big night's blotter goes through memory a part at a time (issue 8: 100,000 accounts propose
some 22 million orders). Built in parts of whole block orders, approved and released in batches,
it must be the blotter built, held out and exported at once, to the byte."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_blotter_run import USERS, clock, write_proposal

from pipelines.blotter import (
    _folder,
    approve,
    export_files,
    home,
    propose,
    read_blotter,
    release,
    show,
)
from pipelines.blotter._parts import plan_parts, proposal_parts
from sma.trading import FixSession, ProposalError, build_blotter, content_hash
from sma.trading._blotter import hold_out

RUN = "2026-11-25"
SYMBOLS = ["A", "AAPL", "BF-B", "BRK.B", "MSFT", "XOM", "ZTS"]


def wide_proposal(seed: int = 3, accounts: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every account buys or sells a random handful of symbols; each sell comes from 1-3 lots."""
    rng = np.random.default_rng(seed)
    rows, lots = [], []
    for a in range(accounts):
        for symbol in rng.choice(SYMBOLS, size=rng.integers(1, 5), replace=False):
            side = "SELL" if rng.random() < 0.5 else "BUY"
            qty = float(rng.integers(1, 500))
            rows.append(
                (
                    f"A{a:03d}",
                    f"H{a // 2:03d}",
                    "IRA" if a % 5 == 0 else "TAXABLE",
                    symbol,
                    side,
                    qty,
                    float(rng.integers(10, 400)),
                    "HARVEST" if side == "SELL" else "REBALANCE",
                )
            )
            if side == "SELL":
                cuts = np.sort(
                    rng.choice(
                        np.arange(1, qty), size=min(int(qty) - 1, rng.integers(0, 3)), replace=False
                    )
                )
                for i, q in enumerate(np.diff([0.0, *cuts, qty])):
                    lots.append((f"A{a:03d}", symbol, f"L{a:03d}-{symbol}-{i}", float(q)))
    trades = pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "household_id",
            "account_type",
            "symbol",
            "side",
            "quantity",
            "price",
            "reason",
        ],
    )
    trades.insert(0, "run_id", RUN)
    trades.insert(1, "as_of_date", date(2026, 11, 25))
    lot_sells = pd.DataFrame(lots, columns=["account_id", "symbol", "lot_id", "quantity"])
    return trades.sample(frac=1.0, random_state=seed).reset_index(drop=True), lot_sells


def whole_blotter(run_dir: Path):
    src = run_dir / "proposal"
    return build_blotter(
        pd.read_parquet(src / "trades.parquet"),
        pd.read_parquet(src / "lot_sells.parquet"),
        pd.read_parquet(src / "exceptions.parquet"),
    )


def assert_same_blotter(a, b):
    for (name, x), y in zip(a.frames().items(), b.frames().values()):
        pd.testing.assert_frame_equal(
            x.reset_index(drop=True), y.reset_index(drop=True), check_dtype=False, obj=name
        )


def test_parts_hold_whole_block_orders_in_block_order():
    counts = pd.Series({"BUY-A": 5, "SELL-A": 1, "BUY-MSFT": 2, "BUY-BRK.B": 9, "SELL-ZTS": 3})
    part = plan_parts(counts, rows_per_part=6)
    assert part.index.tolist() == ["BUY-A", "BUY-BRK.B", "BUY-MSFT", "SELL-A", "SELL-ZTS"]
    assert part.tolist() == [
        0,
        1,
        2,
        2,
        2,
    ]  # a block larger than a part (BRK.B, 9 rows) is a part of its own


@pytest.mark.parametrize(
    "rows_per_part",
    [
        1,
        pytest.param(7, marks=pytest.mark.slow),
        pytest.param(60, marks=pytest.mark.slow),
        1_000_000,
    ],
)
def test_a_blotter_built_in_parts_is_the_blotter_built_at_once(tmp_path, rows_per_part):
    """Every part holds every trade and lot sell of its blocks, so numbering, sizing and the lot
    checks see whole blocks; the files and the recorded hash equal those of the whole."""
    run_dir = write_proposal(tmp_path / RUN, *wide_proposal())
    propose(run_dir, "sma-night", now=clock(1), rows_per_part=rows_per_part)
    whole = whole_blotter(run_dir)
    assert_same_blotter(read_blotter(home(run_dir) / "proposed"), whole)
    assert show(run_dir).trail[-1]["content_sha256"] == content_hash(whole)
    assert _folder.content_digest(home(run_dir) / "proposed") == content_hash(whole)
    assert not list(home(run_dir).glob(".parts-*")) and not list(
        (home(run_dir) / "proposed").glob(".tmp-*")
    )


def test_the_proposal_in_parts_conserves_every_trade_and_lot_sell(tmp_path):
    """Nothing is lost (PRODUCT.md): the parts together are the proposal, row for row."""
    trades, lot_sells = wide_proposal(seed=5)
    run_dir = write_proposal(tmp_path / RUN, trades, lot_sells)
    parts = list(proposal_parts(run_dir / "proposal", rows_per_part=5, scratch=tmp_path))
    assert len(parts) > 3
    got_t = (
        pd.concat([t for t, _ in parts])
        .sort_values(["account_id", "symbol"])
        .reset_index(drop=True)
    )
    got_l = pd.concat([ls for _, ls in parts]).sort_values(["lot_id"]).reset_index(drop=True)
    want_t = pd.read_parquet(run_dir / "proposal" / "trades.parquet").sort_values(
        ["account_id", "symbol"]
    )
    pd.testing.assert_frame_equal(got_t, want_t.reset_index(drop=True))
    pd.testing.assert_frame_equal(got_l, lot_sells.sort_values("lot_id").reset_index(drop=True))
    assert got_t["quantity"].sum() == trades["quantity"].sum()


def test_lot_sells_of_a_symbol_nothing_sells_are_reported_from_their_own_part(tmp_path):
    trades, lot_sells = wide_proposal()
    stray = pd.DataFrame(
        {"account_id": ["A001"], "symbol": ["ZZZ"], "lot_id": ["L-stray"], "quantity": [3.0]}
    )
    run_dir = write_proposal(
        tmp_path / RUN, trades, pd.concat([lot_sells, stray], ignore_index=True)
    )
    with pytest.raises(ProposalError, match="A001.*ZZZ"):
        propose(run_dir, "sma-night", now=clock(1), rows_per_part=10)
    assert not (home(run_dir) / "proposed" / "orders.parquet").exists()
    # The next part was being read while this one was built: nothing of it is left behind.
    assert not list(home(run_dir).glob(".parts-*"))


def test_a_reader_that_stops_early_leaves_no_part_file(tmp_path):
    """Parts are read one ahead of the caller: one that stops after the first part (an error in
    it) leaves no part file and no folder of them behind."""
    run_dir = write_proposal(tmp_path / RUN, *wide_proposal())
    parts = proposal_parts(run_dir / "proposal", rows_per_part=10, scratch=tmp_path / "scratch")
    (tmp_path / "scratch").mkdir()
    first_trades, _ = next(parts)
    assert len(first_trades)
    parts.close()
    assert not list((tmp_path / "scratch").iterdir())


@pytest.mark.slow
def test_approve_and_release_a_batch_at_a_time_give_the_files_made_at_once(tmp_path, monkeypatch):
    """Hold-out and the exports read the blotter in batches that cut through block orders: the
    approved files, their hash and every exported byte are those of the blotter held in memory."""
    monkeypatch.setattr(_folder, "BATCH_ROWS", 4)
    run_dir = write_proposal(tmp_path / RUN, *wide_proposal())
    propose(run_dir, "sma-night", now=clock(1), rows_per_part=9)
    held = ["A003", "A017", "A028"]
    record = approve(run_dir, "pm", USERS, hold=held, now=clock(8))
    approved = hold_out(whole_blotter(run_dir), held)
    assert_same_blotter(read_blotter(home(run_dir) / "approved"), approved)
    assert record["content_sha256"] == content_hash(approved)
    exports = release(run_dir, "trader1", USERS, now=clock(9))
    at = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    want = export_files(approved, show(run_dir).trail[-1], at, FixSession())
    assert {p.name: p.read_bytes() for p in exports.iterdir()} == want


def test_a_night_with_nothing_to_trade_proposes_an_empty_blotter_that_can_be_approved_and_released(
    tmp_path,
):
    trades, lot_sells = wide_proposal()
    run_dir = write_proposal(tmp_path / RUN, trades.iloc[:0], lot_sells.iloc[:0])
    propose(run_dir, "sma-night", now=clock(1), rows_per_part=5)
    empty = read_blotter(home(run_dir) / "proposed")
    assert [len(f) for f in empty.frames().values()] == [0, 0, 0]
    assert list(empty.allocations.columns) == list(whole_blotter(run_dir).allocations.columns)
    assert show(run_dir).trail[-1]["content_sha256"] == content_hash(whole_blotter(run_dir))
    approve(run_dir, "pm", USERS, now=clock(8))
    exports = release(run_dir, "trader1", USERS, now=clock(9))
    assert (exports / "orders.fix").read_bytes() == b""
    assert (exports / "allocations.csv").read_text().splitlines() == [
        "allocation_id,order_id,account_id,symbol,side,quantity,ratio"
    ]


def test_a_write_that_fails_behind_the_builder_fails_the_proposal_and_leaves_no_file(
    tmp_path, monkeypatch
):
    """The files are encoded on a thread of their own while the next part is built: a failure
    there (a full disk) still stops propose, records nothing and leaves no temporary file."""
    run_dir = write_proposal(tmp_path / RUN, *wide_proposal())
    written = []

    def disk_full_on_the_third(self, name, table):
        written.append(name)
        if len(written) == 3:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(_folder.BlotterWriter, "_write", disk_full_on_the_third)
    with pytest.raises(OSError, match="No space left"):
        propose(run_dir, "sma-night", now=clock(1), rows_per_part=50)
    assert len(written) > 3  # the builder went on while the thread wrote
    assert not (home(run_dir) / "audit.jsonl").exists() or not show(run_dir).trail
    assert not list((home(run_dir) / "proposed").glob("*"))


def test_no_more_than_writes_behind_appends_wait_for_the_writer(tmp_path, monkeypatch):
    """Memory stays bounded: the builder waits for the writer once ``WRITES_BEHIND`` appends
    are queued (a night's parts are a million rows each)."""
    waiting = []
    writer = _folder.BlotterWriter(tmp_path / "proposed")
    real = _folder.BlotterWriter._write

    def count_then_write(self, name, table):
        waiting.append(len(self._writing))
        real(self, name, table)

    monkeypatch.setattr(_folder.BlotterWriter, "_write", count_then_write)
    with writer:
        blotter = build_blotter(*wide_proposal(), pd.DataFrame(columns=["account_id", "reason"]))
        for _ in range(5):
            writer.append_blotter(blotter)
        digest = writer.close()
    assert len(waiting) == 15 and max(waiting) <= _folder.WRITES_BEHIND
    assert digest == content_hash_of_repeats(blotter, 5)


def content_hash_of_repeats(blotter, times: int) -> str:
    from sma.trading import ContentDigest

    digest = ContentDigest()
    for name, frame in blotter.frames().items():
        for _ in range(times):
            digest.update(name, frame)
    return digest.hexdigest()
