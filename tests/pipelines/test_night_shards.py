"""The night streams the book shard by shard (issue 8: "the book does not fit in memory: stream
shards"): every lot goes to exactly one shard, shares and basis are conserved on the way, and
checking shard by shard finds what checking the whole night at once finds."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.night import _files
from pipelines.night._nightly import ingest_night
from pipelines.night._prepare import _benchmarks_by_shard, _write_in_shard_order, prepare_step
from pipelines.night._run import Night
from pipelines.settings import Settings
from pipelines.store import open_store
from sma.compliance import ComplianceLimits, ProposalBook, check_proposal
from sma.uma import uma_benchmark_id
from tests.nightly_env import AS_OF


@pytest.fixture(scope="module")
def prepared(tiny_inbox, tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    settings = Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
        night={"accounts_per_shard": 3},
    )
    night = Night(AS_OF, tiny_inbox, settings)
    ingest_night(night)
    return night, prepare_step(night)


def _shard_files(night: Night, shards: list[int], name: str) -> pd.DataFrame:
    return pd.concat(
        [_files.read_parquet(night.uri("shards", f"{k:04d}", f"{name}.parquet")) for k in shards],
        ignore_index=True,
    )


def test_every_lot_of_the_snapshot_lands_in_exactly_one_shard_with_its_shares_and_basis(prepared):
    night, shards = prepared
    assert len(shards) > 1
    with open_store(night.settings.store.path, read_only=True) as con:
        stored = con.execute(
            "SELECT account_id, lot_id, symbol, quantity, CAST(cost_basis AS DOUBLE) AS cost_basis "
            "FROM inbox_lots WHERE as_of_date = ?",
            [AS_OF],
        ).df()
    sharded = _shard_files(night, shards, "lots")
    key = ["account_id", "lot_id"]
    assert not sharded.duplicated(key).any()
    both = stored.merge(sharded, on=key, how="outer", suffixes=("_store", "_shard"), indicator=True)
    assert (both["_merge"] == "both").all()
    assert (both["quantity_store"] == both["quantity_shard"]).all()
    assert (both["cost_basis_store"] == both["cost_basis_shard"]).all()
    assert sharded["quantity"].sum() == stored["quantity"].sum()
    assert sharded["cost_basis"].sum() == pytest.approx(stored["cost_basis"].sum(), abs=1e-6)


def test_a_household_and_its_lots_and_positions_stay_in_one_shard(prepared):
    night, shards = prepared
    accounts = _shard_files(night, shards, "accounts")
    assert accounts.groupby("household_id")["shard"].nunique().max() == 1
    for name in ("lots", "positions"):
        for k in shards:
            part = _files.read_parquet(night.uri("shards", f"{k:04d}", f"{name}.parquet"))
            mine = accounts.loc[accounts["shard"] == k, "account_id"]
            assert part["account_id"].isin(mine).all()


def test_a_shard_is_given_the_benchmarks_its_accounts_follow_and_no_others(prepared):
    """Issue 23: a shard reads only its accounts' benchmarks (the night's grow with the book: each
    UMA account has its own), each as the store holds it -- checked here by plain SQL."""
    night, shards = prepared
    with open_store(night.settings.store.path, read_only=True) as con:
        stored = con.execute(
            "SELECT benchmark_id, symbol, weight FROM inbox_benchmarks WHERE as_of_date = ? "
            "ORDER BY benchmark_id, symbol",
            [AS_OF],
        ).df()
    personal_seen = []
    for k in shards:
        accounts = _files.read_parquet(night.uri("shards", f"{k:04d}", "accounts.parquet"))
        mine = _files.read_parquet(night.uri("shards", f"{k:04d}", "benchmarks.parquet"))
        assert set(mine["benchmark_id"]) == set(accounts["benchmark_id"])
        # an index benchmark, as the inbox gave it
        index = mine[mine["benchmark_id"].isin(stored["benchmark_id"])]
        expected = stored[stored["benchmark_id"].isin(index["benchmark_id"])]
        pd.testing.assert_frame_equal(
            index.sort_values(["benchmark_id", "symbol"]).reset_index(drop=True),
            expected.reset_index(drop=True),
            check_dtype=False,
            check_exact=True,
        )
        # a UMA account's own blended benchmark: whole, in its account's shard only
        personal = mine[~mine["benchmark_id"].isin(stored["benchmark_id"])]
        sums = personal.groupby("benchmark_id")["weight"].sum()
        assert sums.to_numpy() == pytest.approx(1.0, abs=1e-9)
        assert set(sums.index) <= {uma_benchmark_id(a) for a in accounts["account_id"]}
        personal_seen += list(sums.index)
    assert personal_seen, "the tiny book has UMA accounts"
    assert len(personal_seen) == len(set(personal_seen))


def test_a_benchmark_followed_in_two_shards_goes_whole_to_each_and_a_personal_one_to_one():
    benchmarks = pd.DataFrame(
        {
            "benchmark_id": ["LC", "LC", "UMA-A3", "UMA-A3", "SC"],
            "symbol": ["AAA", "BBB", "AAA", "CCC", "DDD"],
            "weight": [0.6, 0.4, 0.5, 0.5, 1.0],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4"],
            "benchmark_id": ["LC", "LC", "UMA-A3", "LC"],
            "shard": [0, 1, 1, 1],
        }
    )
    got = _benchmarks_by_shard(benchmarks, accounts)
    by_shard = {k: part.drop(columns="shard").values.tolist() for k, part in got.groupby("shard")}
    assert by_shard == {
        0: [["LC", "AAA", 0.6], ["LC", "BBB", 0.4]],
        1: [["LC", "AAA", 0.6], ["LC", "BBB", 0.4], ["UMA-A3", "AAA", 0.5], ["UMA-A3", "CCC", 0.5]],
    }


def _stream(batches: list[dict]) -> pa.RecordBatchReader:
    schema = pa.schema([("shard", pa.int64()), ("account_id", pa.string()), ("qty", pa.float64())])
    return pa.RecordBatchReader.from_batches(
        schema, [pa.RecordBatch.from_pydict(b, schema=schema) for b in batches]
    )


def test_the_book_streamed_in_shard_order_is_cut_into_one_file_per_shard(tmp_path):
    """Shard 1's rows span two batches and shard 2 has none: every row lands once, in its
    shard's file, without the shard column."""
    written = _write_in_shard_order(
        _stream(
            [
                {"shard": [0, 0, 1], "account_id": ["A", "A", "B"], "qty": [1.0, 2.0, 3.0]},
                {"shard": [1, 3], "account_id": ["C", "D"], "qty": [4.0, 5.0]},
            ]
        ),
        tmp_path / "lots",
    )
    got = {k: pq.read_table(path).to_pydict() for k, path in written.items()}
    assert got == {
        0: {"account_id": ["A", "A"], "qty": [1.0, 2.0]},
        1: {"account_id": ["B", "C"], "qty": [3.0, 4.0]},
        3: {"account_id": ["D"], "qty": [5.0]},
    }


def test_a_book_stream_out_of_shard_order_is_refused_not_split_wrongly(tmp_path):
    with pytest.raises(ValueError, match="out of shard order at shard 0"):
        _write_in_shard_order(
            _stream([{"shard": [0, 1, 0], "account_id": ["A", "B", "C"], "qty": [1.0] * 3}]),
            tmp_path / "lots",
        )


def _proposal(accounts: list[str]) -> ProposalBook:
    """Two accounts: A1 sells more of a lot than it holds; A2 buys a blocked name at a bad price."""
    trades = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A2"],
            "symbol": ["AAA", "BBB", "CCC"],
            "side": ["SELL", "BUY", "BUY"],
            "quantity": [50.0, 10.0, 5.0],
            "price": [10.0, 20.0, 99.0],
            "notional": [500.0, 200.0, 495.0],
            "reason": ["HARVEST", "REPLACE", "REBALANCE"],
        }
    )
    lot_sells = pd.DataFrame(
        {
            "account_id": ["A1"],
            "symbol": ["AAA"],
            "lot_id": ["L1"],
            "quantity": [50.0],
            "proceeds": [500.0],
            "realized_gain": [-100.0],
            "term": ["SHORT"],
            "reason": ["HARVEST"],
        }
    )
    lots = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "lot_id": ["L1", "L2"],
            "symbol": ["AAA", "BBB"],
            "quantity": [40.0, 1.0],
        }
    )
    keep = lambda f: f[f["account_id"].isin(accounts)]  # noqa: E731
    return ProposalBook(
        trades=keep(trades),
        lot_sells=keep(lot_sells),
        lots=keep(lots),
        cash=keep(pd.DataFrame({"account_id": ["A1", "A2"], "amount": [1000.0, 1000.0]})),
        held=pd.DataFrame(
            {
                "account_id": pd.Series(dtype=str),
                "kind": pd.Series(dtype=str),
                "reason": pd.Series(dtype=str),
            }
        ),
        buy_blocked=keep(
            pd.DataFrame({"account_id": ["A2"], "symbol": ["BBB"], "why": ["NO_BUY restriction"]})
        ),
        sell_blocked=pd.DataFrame(
            {
                "account_id": pd.Series(dtype=str),
                "symbol": pd.Series(dtype=str),
                "why": pd.Series(dtype=str),
            }
        ),
        market=pd.DataFrame(
            {
                "symbol": ["AAA", "BBB", "CCC"],
                "close": [10.0, 20.0, 50.0],
                "volume": [1e6, 1e6, 1e6],
            }
        ),
    )


def test_checking_shard_by_shard_finds_what_checking_the_whole_night_finds():
    """Every pre-trade rule (PRODUCT.md, "Pre-trade compliance") looks at one account at a time."""
    whole = check_proposal(_proposal(["A1", "A2"]), ComplianceLimits())
    by_shard = pd.concat(
        [check_proposal(_proposal([a]), ComplianceLimits()) for a in ("A1", "A2")],
        ignore_index=True,
    )
    assert whole[["account_id", "rule"]].values.tolist() == [
        ["A1", "lot_oversold"],
        ["A1", "short_position"],
        ["A2", "blocked_buy"],
        ["A2", "price_collar"],
    ]
    pd.testing.assert_frame_equal(
        whole.sort_values(["account_id", "rule", "symbol"]).reset_index(drop=True),
        by_shard.sort_values(["account_id", "rule", "symbol"]).reset_index(drop=True),
    )


def test_shard_files_are_joined_one_at_a_time_into_one_typed_file(tmp_path):
    empty = pd.DataFrame({"account_id": pd.Series(dtype=object), "kind": pd.Series(dtype=object)})
    parts = [
        empty,
        pd.DataFrame({"account_id": ["A1", "A2"], "kind": ["BUY_BLOCKED", "SELL_BLOCKED"]}),
        pd.DataFrame({"account_id": ["A3"], "kind": ["BUY_BLOCKED"]}),
    ]
    uris = []
    for i, part in enumerate(parts):
        uris.append(str(tmp_path / f"{i}.parquet"))
        _files.write_parquet(uris[-1], part)
    _files.concat_parquet(uris, str(tmp_path / "all.parquet"))
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.column("kind").type == "string"
    assert table.to_pandas()["account_id"].tolist() == ["A1", "A2", "A3"]
    assert not list(tmp_path.glob(".tmp-*"))


def test_the_shard_check_holds_sales_past_the_gain_budget_the_engine_was_given(prepared):
    """The night's pre-trade check reads each account's gain budget left from the shard's accounts
    (``gain_budget_remaining``, the engine's input) and each sold lot's basis from the shard's
    lots: a sale at a gain beyond it is a ``gain_budget`` violation (an account with a
    violation is held out of the blotter), the same sale with the budget to pay for it is not."""
    from pipelines.night._check import check_shard

    night, shards = prepared
    k = f"{shards[0]:04d}"
    accounts = _files.read_parquet(night.uri("shards", k, "accounts.parquet"))
    lots = _files.read_parquet(night.uri("shards", k, "lots.parquet"))
    market = _files.read_parquet(night.uri("prepared", "market.parquet"))
    close = market.set_index("symbol")["close"].astype(float)
    price = lots["symbol"].map(close)
    gain = lots["quantity"] * price - lots["cost_basis"].astype(float)
    lot = lots[(gain > 1.0) & lots["account_id"].isin(accounts["account_id"])].iloc[0]
    account, symbol, quantity = lot["account_id"], lot["symbol"], float(lot["quantity"])
    realized = float(gain[lot.name])
    trades = pd.DataFrame(
        {
            "account_id": [account],
            "symbol": [symbol],
            "side": ["SELL"],
            "quantity": [quantity],
            "price": [close[symbol]],
            "notional": [quantity * close[symbol]],
            "reason": ["REBALANCE"],
        }
    )
    lot_sells = pd.DataFrame(
        {
            "account_id": [account],
            "symbol": [symbol],
            "lot_id": [lot["lot_id"]],
            "quantity": [quantity],
            "proceeds": [quantity * close[symbol]],
            "realized_gain": [realized],
            "term": ["LONG"],
            "reason": ["REBALANCE"],
        }
    )
    blocks = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("account_id", "symbol", "kind", "why")}
    )

    def rules(left: float) -> list[str]:
        budgets = accounts.assign(
            gain_budget_remaining=accounts["gain_budget_remaining"].where(
                accounts["account_id"] != account, left
            )
        )
        found, _ = check_shard(night, budgets, lots, market, trades, lot_sells, blocks)
        return found.loc[found["account_id"] == account, "rule"].tolist()

    assert rules(realized + 1.0) == []
    assert rules(realized - 1.0) == ["gain_budget"]
