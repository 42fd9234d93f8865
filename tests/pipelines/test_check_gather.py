"""The check step gathers the shards' files in Arrow (issue 23), and the proposal holds exactly the
rows the shards decided (PRODUCT.md, "The nightly run", step 6: a failing account is held out):
shard by shard in shard order, the held-out accounts' orders, lot sells, sleeve trades and savings
left out, each shard's orders sorted by account, side and symbol and its lot sells by account,
symbol and lot; lots a transfer moved in their new sleeve. The expected files are built here the
plain way, in pandas, from the shards' own files."""

from __future__ import annotations

import os

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.night import _files
from pipelines.night._check import check_step, proposal_trades
from pipelines.night._nightly import run_night
from pipelines.night._run import Night
from pipelines.settings import Settings
from sma.uma import after_transfers
from tests.nightly_env import AS_OF

# A whole night of eight accounts, then its check step again.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def night(tiny_inbox, tmp_path_factory) -> Night:
    """The night of the tiny book, checked again with one trading account failing a rule."""
    root = tmp_path_factory.mktemp("check-gather")
    settings = Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
        night={"workers": 1, "accounts_per_shard": 3},
    )
    run_night(AS_OF, tiny_inbox, settings, workers=1, progress=False)
    night = Night(AS_OF, tiny_inbox, settings)
    shard = night.done_info("prepare")["shards"][0]
    failing = _shard(night, shard, "trades")["account_id"].iloc[0]
    violation = pd.DataFrame(
        {"account_id": [failing], "symbol": ["XOM"], "rule": ["price_collar"], "message": ["x"]}
    )
    _files.write_parquet(night.uri("decisions", f"{shard:04d}", "violations.parquet"), violation)
    os.remove(night._marker("check", None))
    check_step(night)
    return night


def _shard(night: Night, shard: int, name: str) -> pd.DataFrame:
    return _files.read_parquet(night.uri("decisions", f"{shard:04d}", f"{name}.parquet"))


def _proposal(night: Night, name: str) -> pd.DataFrame:
    return pq.read_table(night.run_dir / "proposal" / f"{name}.parquet").to_pandas()


def _expected(night: Night, name: str, each) -> pd.DataFrame:
    parts = [each(_shard(night, k, name)) for k in night.done_info("prepare")["shards"]]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _held_out(night: Night) -> set[str]:
    exceptions = _proposal(night, "exceptions")
    return set(exceptions.loc[exceptions["kind"] == "COMPLIANCE", "account_id"])


def test_the_failing_account_is_held_out(night):
    assert len(_held_out(night)) == 1


def test_orders_are_the_shards_orders_of_accounts_still_trading_each_shard_sorted(night):
    accounts = _files.read_parquet(night.uri("prepared", "accounts.parquet"))
    out = _held_out(night)

    def checked(part: pd.DataFrame) -> pd.DataFrame:
        part = proposal_trades(night, part[~part["account_id"].isin(out)], accounts)
        return part.sort_values(["account_id", "side", "symbol"], kind="stable")

    expected = _expected(night, "trades", checked)
    got = _proposal(night, "trades")
    assert len(got) and not got["account_id"].isin(out).any()
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_dtype=False)
    assert got["as_of_date"].astype(str).unique().tolist() == [AS_OF.isoformat()]


def test_lot_sells_are_the_shards_lot_sells_of_accounts_still_trading_each_shard_sorted(night):
    out = _held_out(night)
    expected = _expected(
        night,
        "lot_sells",
        lambda part: part[~part["account_id"].isin(out)].sort_values(
            ["account_id", "symbol", "lot_id"], kind="stable"
        ),
    )
    pd.testing.assert_frame_equal(_proposal(night, "lot_sells"), expected, check_dtype=False)


@pytest.mark.parametrize("name", ["holdings", "blocks", "sleeves", "lockup"])
def test_files_copied_whole_hold_every_shards_rows_in_shard_order(night, name):
    pd.testing.assert_frame_equal(
        _proposal(night, name), _expected(night, name, lambda part: part), check_dtype=False
    )


@pytest.mark.parametrize("name", ["sleeve_trades", "overlay_savings"])
def test_sleeve_files_leave_out_the_held_accounts(night, name):
    out = _held_out(night)
    expected = _expected(night, name, lambda part: part[~part["account_id"].isin(out)])
    pd.testing.assert_frame_equal(
        _proposal(night, name), expected.reset_index(drop=True), check_dtype=False
    )


def test_lots_a_transfer_moved_are_in_their_new_sleeve_and_the_rest_as_attributed(night):
    transfers = _proposal(night, "sleeve_transfers")
    assert len(transfers), "the tiny night moves lots between sleeves"
    expected = _expected(night, "lot_sleeves", lambda part: after_transfers(part, transfers))
    pd.testing.assert_frame_equal(
        _proposal(night, "lot_sleeves"), expected.reset_index(drop=True), check_dtype=False
    )
