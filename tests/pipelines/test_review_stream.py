"""The review step reads the night's trades in batches (issue 8: 22 million orders at 100,000
accounts): it keeps only the listed accounts' trades, yet trades by reason and the trade count of
every account cover the whole night (PRODUCT.md, "The nightly run", step 8: the run review page)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.night import _review
from pipelines.night._nightly import run_night
from pipelines.night._review import TRADE_COLUMNS, read_lot_gains, read_night_trades, review_data
from pipelines.night._run import Night
from pipelines.settings import Settings
from sma.reporting import lot_gain_sums, render_review_page
from sma.reporting._reasons import trades_by_reason
from tests.nightly_env import AS_OF

# Big nights read in batches: more than a minute in all.
pytestmark = pytest.mark.slow

LIST_LIMIT = 3


@pytest.fixture(scope="module")
def big_night(tiny_inbox, tmp_path_factory) -> Night:
    """Eight accounts, of which the page lists three: a big night in miniature."""
    root = tmp_path_factory.mktemp("review-stream")
    settings = Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
        night={"workers": 1, "accounts_per_shard": 3, "review_list_limit": LIST_LIMIT},
    )
    run_night(AS_OF, tiny_inbox, settings, workers=1, progress=False)
    return Night(AS_OF, tiny_inbox, settings)


def every_trade(night: Night) -> pd.DataFrame:
    return pq.read_table(
        night.run_dir / "proposal" / "trades.parquet", columns=list(TRADE_COLUMNS)
    ).to_pandas()


def test_a_big_nights_review_keeps_the_listed_accounts_trades_and_sums_every_accounts(
    big_night, monkeypatch
):
    monkeypatch.setattr(
        _review, "TRADE_BATCH_ROWS", 7
    )  # an account's trades fall in several batches
    data = review_data(big_night)
    whole = every_trade(big_night)
    assert len(data.listed) == LIST_LIMIT and whole["account_id"].nunique() > LIST_LIMIT
    assert set(data.trades["account_id"]) <= data.listed
    pd.testing.assert_frame_equal(
        data.trades.reset_index(drop=True),
        whole[whole["account_id"].isin(data.listed)].reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        data.trades_by_reason(), trades_by_reason(whole), check_exact=True
    )
    assert data.trades_per_account().to_dict() == whole.groupby("account_id").size().to_dict()
    html = render_review_page(data)
    assert f"{LIST_LIMIT} of {len(data.decisions)} accounts listed" in html
    accounts = int(trades_by_reason(whole)["accounts"].max())
    assert accounts > LIST_LIMIT and f'data-value="{float(accounts)!r}">{accounts}<' in html


@pytest.mark.parametrize("batch_rows", [1, 5, 64, 1_000_000])
def test_trades_read_in_batches_of_any_size_are_the_trades_read_whole(big_night, batch_rows):
    path = big_night.run_dir / "proposal" / "trades.parquet"
    whole = every_trade(big_night)
    keep = set(whole["account_id"].drop_duplicates().iloc[[0, 2]])
    kept = read_night_trades(path, keep, batch_rows)
    pd.testing.assert_frame_equal(
        kept.kept, whole[whole["account_id"].isin(keep)].reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(kept.by_reason, trades_by_reason(whole), check_exact=True)
    counts = whole.groupby("account_id").size()
    assert kept.counts.set_index("account_id")["trades"].to_dict() == counts.to_dict()
    everything = read_night_trades(path, None, batch_rows)
    pd.testing.assert_frame_equal(everything.kept, whole)


def test_a_night_without_trades_reads_as_empty_frames(tmp_path):
    schema = pa.schema(
        [
            (c, pa.float64() if c in ("quantity", "price", "notional") else pa.string())
            for c in TRADE_COLUMNS
        ]
    )
    pq.write_table(schema.empty_table(), tmp_path / "trades.parquet")
    none = read_night_trades(tmp_path / "trades.parquet", {"ACC-1"})
    assert none.kept.empty and list(none.kept.columns) == list(TRADE_COLUMNS)
    assert (
        none.by_reason.empty
        and none.counts.empty
        and list(none.counts.columns) == ["account_id", "trades"]
    )


@pytest.mark.parametrize("batch_rows", [1, 3, 1_000_000])
def test_lot_gains_read_in_batches_of_any_size_are_the_lot_gains_read_whole(big_night, batch_rows):
    path = big_night.run_dir / "proposal" / "lot_sells.parquet"
    whole = pq.read_table(path).to_pandas()
    assert len(whole) > 3
    pd.testing.assert_frame_equal(read_lot_gains(path, batch_rows), lot_gain_sums(whole), atol=1e-9)


def test_the_sector_chart_of_a_big_nights_drill_down_sums_every_holding_not_the_listed_ones(
    big_night,
):
    data = review_data(big_night)
    every = pq.read_table(big_night.run_dir / "proposal" / "holdings.parquet").to_pandas()
    drilled = sorted(set(data.holdings["account_id"]))
    assert drilled and len(data.holdings) < len(every[every["account_id"].isin(drilled)])
    sums = (
        every[every["account_id"].isin(drilled)]
        .groupby(["account_id", "sector"])["weight_after"]
        .sum()
    )
    shown = data.sector_weights().set_index(["account_id", "sector"])["weight_after"]
    pd.testing.assert_series_equal(shown.sort_index(), sums.sort_index(), check_names=False)
