"""Step 3 of a night: prepare what every shard needs, from the store's snapshot.

Estimates tonight's risk model, works out wash-sale blocks per household and the gains already
realized this year (from the store's ledger, ``realized_gains``), and splits the accounts into
shards that never split a household (wash sales reach across a household's accounts). Each shard
gets its own files -- accounts, lots, custodian
positions, restrictions, tilts, wash-sale blocks -- so a shard task reads only its part of the
book; the day's corporate actions and the reconciliation of lots against the custodian are applied
by the shard step (:mod:`._decide`). Everything is written as Parquet under the night's exchange
folder (and what tonight's model versions changed, to the run folder); nothing is written to
the store. The book's lots never pass through this process's memory.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines._faults import crash_point
from pipelines.corporate_actions import CORPORATE_ACTION_FILL_ID
from pipelines.night import _files
from pipelines.night._gifts import due_gift_requests
from pipelines.night._model_changes import (
    followers_of_changes,
    read_uma_inbox,
    write_model_changes,
)
from pipelines.night._run import Night
from pipelines.store import open_store
from sma.inbox import AccountType
from sma.ledger import (
    apply_splits,
    cents_to_usd,
    gain_budget_remaining,
    realized_this_year,
    recent_lot_purchases,
    tax_year_start,
    under_current_symbols,
    wash_sale_blocks,
    wash_sale_window_start,
)
from sma.rebalance import ExceptionKind
from sma.risk import (
    RiskModel,
    RiskModelError,
    estimate_risk_model,
    returns_from_prices,
    risk_model_from_frames,
)
from sma.uma import models_in_force, uma_targets

#: The snapshot's tables prepare reads whole; the book's lots and positions go to the shards
#: without being read here (:func:`_write_book_by_shard`).
SNAPSHOT_FILES = (
    "securities",
    "benchmarks",
    "accounts",
    "restrictions",
    "tilts",
    "cash",
    "cash_flows",
    "corporate_actions",
)


def read_snapshot(con, as_of) -> dict[str, pd.DataFrame]:
    out = {}
    for name in SNAPSHOT_FILES:
        frame = con.execute(
            f"SELECT * EXCLUDE (as_of_date) FROM inbox_{name} WHERE as_of_date = ?", [as_of]
        ).df()
        out[name] = frame
    return out


def _closes(prices: pd.DataFrame, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    wide = prices.pivot(index="date", columns="symbol", values="close").sort_index()
    wide = wide.reindex(columns=symbols).ffill().bfill()
    return wide.index.to_numpy(), wide.to_numpy(float)


#: ``realized_gains.fill_id`` of rows the simulator booked (``pipelines.history.record_history``).
SIMULATED_FILL_ID = "simulated"


def _realized_this_year(con, as_of) -> pd.DataFrame:
    """Net realized gains per account so far this calendar year, from the store's ledger
    (``realized_gains``).

    The ledger is the one source of realized gains: fills booked by ``sma fills load``, the
    simulated history and the corporate actions the ingest booked. Like the simulated history,
    tonight's corporate actions have happened (on their ex date): they count through tonight,
    where tonight's own fills do not. DuckDB sums the DECIMAL gains exactly per account, run and sale date;
    ``sma.ledger.realized_this_year`` decides which count (not tonight's own fills) and adds
    them up in integer cents, so the figure is exact and the same on every read.
    """
    rows = con.execute(
        """
        SELECT account_id, as_of_date, sale_date, fill_id IN (?, ?) AS simulated,
               CAST(sum(gain) * 100 AS BIGINT) AS gain_cents
        FROM realized_gains WHERE sale_date BETWEEN ? AND ?
        GROUP BY ALL ORDER BY ALL
        """,
        [
            SIMULATED_FILL_ID,
            CORPORATE_ACTION_FILL_ID,
            tax_year_start(as_of).astype(object),
            as_of,
        ],
    ).df()
    ytd = realized_this_year(rows, as_of)
    return pd.DataFrame(
        {
            "account_id": ytd.index.to_numpy(str),
            "realized_ytd": cents_to_usd(ytd.to_numpy(np.int64)),
        }
    )


def _changed_since_last_night(con, as_of) -> pd.DataFrame:
    """Accounts whose benchmark or restrictions differ from the previous stored night's."""
    return con.execute(
        """
        WITH prev AS (SELECT max(as_of_date) AS d FROM snapshots WHERE as_of_date < ?),
        bench AS (
            SELECT a.account_id FROM inbox_accounts a JOIN inbox_accounts p USING (account_id)
            WHERE a.as_of_date = ? AND p.as_of_date = (SELECT d FROM prev) AND a.benchmark_id <> p.benchmark_id
        ),
        cur AS (SELECT account_id, kind, symbol, sector, esg_tag FROM inbox_restrictions WHERE as_of_date = ?),
        old AS (SELECT account_id, kind, symbol, sector, esg_tag FROM inbox_restrictions
                WHERE as_of_date = (SELECT d FROM prev)),
        restr AS (
            SELECT account_id FROM (SELECT * FROM cur EXCEPT SELECT * FROM old)
            WHERE (SELECT d FROM prev) IS NOT NULL
        )
        SELECT account_id, bool_or(b) AS benchmark_changed, bool_or(r) AS restriction_changed FROM (
            SELECT account_id, true AS b, false AS r FROM bench
            UNION ALL SELECT account_id, false, true FROM restr
        ) GROUP BY account_id
        """,
        [as_of, as_of, as_of],
    ).df()


#: A vendor's risk model, when the inbox has one: ``<inbox>/<date>/risk_model/`` holding
#: exposures (symbol, factor, exposure), factor_covariance (factor_1, factor_2, covariance, annual)
#: and specific_risk (symbol, specific_risk, annual volatility), as CSV or Parquet.
VENDOR_MODEL_FOLDER = "risk_model"
_VENDOR_FILES = ("exposures", "factor_covariance", "specific_risk")


def vendor_risk_model(folder: Path, symbols: np.ndarray) -> tuple[RiskModel | None, str]:
    """The vendor's model from ``folder`` and where tonight's model comes from, in words.

    No folder: ``(None, "estimated")``. A model that does not fit the universe is not used: the
    night estimates its own and says why, for the PM.
    """
    if not folder.is_dir():
        return None, "estimated from tonight's price history"
    try:
        frames = {}
        for name in _VENDOR_FILES:
            found = [
                folder / f"{name}.{ext}"
                for ext in ("csv", "parquet")
                if (folder / f"{name}.{ext}").exists()
            ]
            if not found:
                raise RiskModelError(f"{folder / name}.csv is missing")
            frames[name] = (
                pd.read_parquet(found[0])
                if found[0].suffix == ".parquet"
                else pd.read_csv(found[0])
            )
        model = risk_model_from_frames(
            frames["exposures"], frames["factor_covariance"], frames["specific_risk"], symbols
        )
    except (RiskModelError, KeyError, ValueError) as err:
        return None, (
            f"estimated from tonight's price history: the vendor model in {folder} was refused "
            f"({err})"
        )
    return model, f"vendor model from {folder}"


def _assign_shards(accounts: pd.DataFrame, per_shard: int) -> pd.Series:
    """Shard number per account: households in id order, filled up to ``per_shard`` accounts."""
    sizes = accounts.groupby("household_id").size().sort_index()
    filled = (sizes.cumsum() - sizes) // max(per_shard, 1)
    shard_of_household = pd.Series(
        pd.factorize(filled)[0], index=sizes.index
    )  # numbered 0, 1, 2, ...
    return accounts["household_id"].map(shard_of_household).astype(int)


def _booked_loss_sales(con, as_of: date, household_of: pd.Series) -> pd.DataFrame:
    """The loss sales our ledger booked inside the wash-sale window, one SELL row per lot sold at a
    loss (the columns of the transactions read for them), for the household's wash-sale blocks.

    A custodian's transaction nets the lots of one sale: selling a gain lot and a loss lot of a
    symbol together reads as one sale at a gain. The wash-sale rule applies share by share (IRS
    Publication 550, "Wash Sales"), so the loss lot's shares are washed by a buy within 30 days all
    the same; the ledger's ``realized_gains`` keeps each lot's loss, and the engine must not buy the
    symbol back (PRODUCT.md, "Tax rules": the engine never buys what the household sold at a loss
    in the last 30 days). Sales of accounts not in tonight's book are left out.
    """
    rows = con.execute(
        """SELECT account_id, sale_date AS trade_date, symbol, quantity,
                  CAST(proceeds - cost_basis AS DOUBLE) AS realized_gain
           FROM realized_gains
           WHERE sale_date >= ? AND sale_date <= ? AND proceeds < cost_basis
           ORDER BY sale_date, account_id, symbol, lot_id""",
        [wash_sale_window_start(as_of).astype(object), as_of],
    ).df()
    rows = rows[rows["account_id"].isin(household_of.index)]
    return pd.DataFrame(
        {
            "account_id": rows["account_id"].to_numpy(object),
            "household_id": rows["account_id"].map(household_of).to_numpy(object),
            "trade_date": pd.to_datetime(rows["trade_date"]).to_numpy(),
            "symbol": rows["symbol"].to_numpy(object),
            "side": "SELL",
            "quantity": rows["quantity"].to_numpy(float),
            "price": np.nan,
            "realized_gain": rows["realized_gain"].to_numpy(float),
        }
    )


def prepare_step(night: Night) -> list[int]:
    """Prepare the night; returns the shard numbers to decide.

    The book's big tables (lots, positions) never pass through this process's memory: DuckDB
    writes them straight from the store into one Parquet file per shard. Splits and the
    reconciliation against the custodian are applied per shard when the shard is decided.
    """
    if night.is_done("prepare"):
        return night.done_info("prepare")["shards"]
    s = night.settings
    with open_store(s.store.path, read_only=True) as con:
        snap = read_snapshot(con, night.as_of)
        prices = con.execute(
            "SELECT date, symbol, close, volume FROM inbox_prices WHERE date <= ? ORDER BY "
            "date, symbol",
            [night.as_of],
        ).df()
        window_start = wash_sale_window_start(night.as_of).astype(object)
        transactions = con.execute(
            """SELECT DISTINCT t.account_id, a.household_id, t.trade_date, t.symbol, t.side, t.quantity, t.price,
                      CAST(t.realized_gain AS DOUBLE) AS realized_gain
               FROM inbox_transactions t JOIN inbox_accounts a
                 ON a.account_id = t.account_id AND a.as_of_date = t.as_of_date
               WHERE t.as_of_date <= ? AND t.trade_date >= ?""",
            [night.as_of, window_start],
        ).df()
        # Tickers changed since the window opened: a trade of the old ticker blocks the new one
        # (the same security, CORPORATE_ACTIONS.md), from every night's inbox that listed it.
        symbol_changes = con.execute(
            """SELECT DISTINCT symbol, new_symbol, ex_date, account_id
               FROM inbox_corporate_actions
               WHERE kind = 'SYMBOL_CHANGE' AND new_symbol IS NOT NULL
                 AND as_of_date <= ? AND ex_date > ? AND ex_date <= ?
               ORDER BY ex_date, symbol, new_symbol, account_id""",
            [night.as_of, window_start, night.as_of],
        ).df()
        recent_lots = con.execute(
            """SELECT account_id, symbol, quantity, acquired_date FROM inbox_lots
               WHERE as_of_date = ? AND acquired_date >= ?""",
            [night.as_of, window_start],
        ).df()
        realized = _realized_this_year(con, night.as_of)
        changed = _changed_since_last_night(con, night.as_of)
        changed_models = write_model_changes(con, night)
        held = con.execute(
            "SELECT account_id, ? AS kind, reason FROM held_accounts WHERE as_of_date = ?",
            [str(ExceptionKind.BAD_INPUT), night.as_of],
        ).df()
        # Issue 19: a UMA account is decided against its sleeves' blended models, not the
        # benchmark_id of its inbox row; one it cannot place tonight is held out (MODEL_MISSING).
        models, sleeves = read_uma_inbox(con, night.as_of)
        lot_sleeves = _last_lot_sleeves(con, night.as_of)
        gift_requests = due_gift_requests(con, night.as_of)
        uma = uma_targets(snap["accounts"], sleeves, models, night.as_of)
        snap["accounts"] = uma.accounts
        snap["benchmarks"] = pd.concat([snap["benchmarks"], uma.benchmarks], ignore_index=True)
        held = pd.concat(
            [held, uma.held[~uma.held["account_id"].isin(held["account_id"])]],
            ignore_index=True,
        )
        changed = _with_model_changes(changed, followers_of_changes(night))

        household_of = snap["accounts"].set_index("account_id")["household_id"]
        lot_losses = _booked_loss_sales(con, night.as_of, household_of)
        accounts = _prepared_accounts(
            snap, realized, changed, held, night.as_of, s.night.accounts_per_shard
        )
        # Held accounts go to their shards too: they are reconciled there, never decided.
        shards = sorted(int(k) for k in accounts["shard"].unique())
        # The book's lots and positions are written from the store on a cursor of their own while
        # this thread prepares the rest (DuckDB and the Parquet writer run without the GIL; this
        # thread reads nothing more from the store).
        with (
            con.cursor() as cursor,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare-book") as pool,
        ):
            book = pool.submit(
                _write_book_by_shard, cursor, night, accounts[["account_id", "shard"]], shards
            )
            securities = snap["securities"].sort_values("symbol").reset_index(drop=True)
            symbols = securities["symbol"].to_numpy(str)
            _, splits = apply_splits(recent_lots.iloc[:0], snap["corporate_actions"], night.as_of)
            dates, closes = _closes(prices[prices["symbol"].isin(symbols)], symbols)
            model, risk_source = vendor_risk_model(
                night.inbox / night.as_of.isoformat() / VENDOR_MODEL_FOLDER, symbols
            )
            if model is None:
                closes_hist = closes[-(s.risk.history_days + 1) :]
                model = estimate_risk_model(
                    returns_from_prices(closes_hist),
                    symbols,
                    securities["sector"].to_numpy(str),
                    s.risk_model_params(),
                )
            last = prices[pd.to_datetime(prices["date"]).dt.date == night.as_of].set_index("symbol")
            market = securities[["symbol", "sector", "identical_group", "esg_tags"]].assign(
                close=closes[-1], volume=last["volume"].reindex(symbols).to_numpy(float)
            )
            group_of = dict(
                zip(
                    symbols,
                    market["identical_group"]
                    .fillna(pd.Series(symbols))
                    .where(market["identical_group"].notna(), symbols),
                )
            )
            bought = recent_lot_purchases(recent_lots, household_of, night.as_of)
            recent = pd.concat(
                [frame for frame in (transactions, bought, lot_losses) if len(frame)]
                or [transactions],
                ignore_index=True,
            )
            recent = under_current_symbols(recent, symbol_changes, night.as_of)
            blocks = wash_sale_blocks(recent, group_of, np.datetime64(night.as_of, "D"))

            write = _files.write_parquet
            write(night.uri("prepared", "market.parquet"), market, "prepare:market")
            write(
                night.uri("prepared", "risk_exposures.parquet"),
                pd.DataFrame(model.exposures, columns=model.factors).assign(symbol=model.symbols),
            )
            write(
                night.uri("prepared", "risk_factor_cov.parquet"),
                pd.DataFrame(model.factor_cov, columns=model.factors).assign(factor=model.factors),
            )
            write(
                night.uri("prepared", "risk_specific.parquet"),
                pd.DataFrame({"symbol": model.symbols, "specific_var": model.specific_var}),
            )
            write(night.uri("prepared", "uma_models.parquet"), models_in_force(models, night.as_of))
            write(night.uri("prepared", "corporate_actions.parquet"), snap["corporate_actions"])
            write(night.uri("prepared", "wash_blocks.parquet"), blocks)
            write(night.uri("prepared", "held.parquet"), held.reset_index(drop=True))
            write(night.uri("prepared", "splits.parquet"), splits.reset_index(drop=True))
            write(night.uri("prepared", "accounts.parquet"), accounts)
            crash_point("prepare:after-common-files")

            account_shard = accounts.set_index("account_id")["shard"]
            household_shard = accounts.drop_duplicates("household_id").set_index("household_id")[
                "shard"
            ]
            benchmarks = _benchmarks_by_shard(snap["benchmarks"], accounts)
            for name, frame in (
                ("accounts", accounts),
                ("benchmarks", benchmarks),
                ("restrictions", snap["restrictions"]),
                ("tilts", snap["tilts"]),
                ("wash_blocks", blocks),
                ("sleeves", sleeves),
                ("lot_sleeves_before", lot_sleeves),
                ("gift_requests", gift_requests),
            ):
                if name == "benchmarks":
                    key = frame.pop("shard")
                elif name == "wash_blocks":
                    key = frame["household_id"].map(household_shard)
                else:
                    key = frame["account_id"].map(account_shard)
                parts = dict(tuple(frame.groupby(key)))
                for k in shards:
                    part = parts.get(k, frame.iloc[:0])
                    write(
                        night.uri("shards", f"{k:04d}", f"{name}.parquet"),
                        part.reset_index(drop=True),
                    )
            book.result()
    night.mark_done(
        "prepare",
        info={"shards": shards, "risk_model": risk_source, "model_changes": changed_models},
    )
    return shards


def _benchmarks_by_shard(benchmarks: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """``benchmarks`` with a ``shard`` column: each benchmark's rows once per shard with an
    account that follows it, in their order.

    A shard reads only its accounts' benchmarks. The night's benchmarks grow with the book (every
    UMA account has its own blended one, ~46 rows), so a shard that read them all would read and
    pivot the whole book's: at 100,000 accounts that was 34 % of the shard tasks' time.
    """
    followers = accounts[["benchmark_id", "shard"]].drop_duplicates()
    return benchmarks.merge(followers, on="benchmark_id", how="inner", sort=False)


def _last_lot_sleeves(con, as_of) -> pd.DataFrame:
    """Each UMA account's lot attribution from the latest night before ``as_of`` that made one
    (issue 19: a lot keeps its sleeve), so a night the account was held out loses none."""
    return con.execute(
        """SELECT account_id, lot_id, sleeve_id FROM uma_lot_sleeves u
           WHERE as_of_date = (SELECT max(as_of_date) FROM uma_lot_sleeves v
                               WHERE v.account_id = u.account_id AND v.as_of_date < ?)
           ORDER BY account_id, lot_id, symbol""",
        [as_of],
    ).df()


def _with_model_changes(changed: pd.DataFrame, followers: set[str]) -> pd.DataFrame:
    """``changed`` with the accounts following a model that changed tonight marked as if their
    benchmark changed: a model change is a trigger (PRODUCT.md, "Screen")."""
    if not followers:
        return changed
    extra = pd.DataFrame(
        {
            "account_id": sorted(followers),
            "benchmark_changed": True,
            "restriction_changed": False,
        }
    )
    both = pd.concat([changed, extra], ignore_index=True)
    return both.groupby("account_id", as_index=False)[
        ["benchmark_changed", "restriction_changed"]
    ].any()


def _prepared_accounts(snap, realized, changed, held, as_of, per_shard: int) -> pd.DataFrame:
    """Tonight's accounts with cash, cash flows due, gains realized this year, changes and shard."""
    accounts = (
        snap["accounts"]
        .merge(snap["cash"], on="account_id", how="left")
        .rename(columns={"amount": "cash"})
    )
    flows = snap["cash_flows"]
    flows = flows[pd.to_datetime(flows["requested_date"]).dt.date <= as_of]
    accounts = (
        accounts.merge(
            flows.groupby("account_id", as_index=False)["amount"]
            .sum()
            .rename(columns={"amount": "cash_flow"}),
            on="account_id",
            how="left",
        )
        .merge(realized, on="account_id", how="left")
        .merge(changed, on="account_id", how="left")
    )
    accounts = accounts.fillna(
        {
            "cash": 0.0,
            "cash_flow": 0.0,
            "realized_ytd": 0.0,
            "benchmark_changed": False,
            "restriction_changed": False,
        }
    )
    for col in ("cash", "cash_flow", "gain_budget", "min_trade_value"):
        accounts[col] = accounts[col].astype(float)
    accounts["gain_budget_remaining"] = gain_budget_remaining(
        accounts["gain_budget"].to_numpy(float),
        accounts["realized_ytd"].to_numpy(float),
        accounts["account_type"].astype(str).str.upper().to_numpy() == AccountType.TAXABLE,
    )
    accounts = accounts.sort_values(["household_id", "account_id"]).reset_index(drop=True)
    accounts["held"] = accounts["account_id"].isin(held["account_id"])
    accounts["shard"] = _assign_shards(accounts, per_shard)
    return accounts


#: The book's big tables, written per shard by DuckDB without passing through Python.
_BOOK_TABLES = {
    "lots": "account_id, lot_id, symbol, quantity, CAST(cost_basis AS DOUBLE) AS cost_basis, "
    "acquired_date, "
    "adjusted_acquired_date",
    "positions": "account_id, symbol, quantity",
}


def _write_book_by_shard(con, night: Night, shard_of: pd.DataFrame, shards: list[int]) -> None:
    """``shards/<k>/lots.parquet`` and ``positions.parquet`` for every shard, straight from the
    store.

    DuckDB streams tonight's rows in shard order (sorting on disk past ``prepare_memory_limit``);
    each shard's rows are written to a local scratch file as they pass, and each file is then moved
    (or uploaded) to its final name, so no partial file stands under a final name. Rows inside a
    file are in no particular order: the shard step sorts them.

    DuckDB's own partitioned write (``COPY ... PARTITION_BY``) was twice as slow at 100,000
    accounts (400 shards, 137 M lots: 101 s against 51 s) within the same memory limit: it keeps
    every partition's writer open and, held to the limit, flushes them in small pieces.
    """
    con.execute(f"SET memory_limit = '{night.settings.night.prepare_memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.register("shard_of", shard_of)
    with tempfile.TemporaryDirectory(prefix="sma-prepare-") as scratch:
        for name, columns in _BOOK_TABLES.items():
            rows = con.sql(
                f"SELECT t.shard, {columns} FROM inbox_{name} JOIN shard_of t USING (account_id) "
                "WHERE as_of_date = ? ORDER BY t.shard",
                params=[night.as_of],
            ).to_arrow_reader(_BOOK_BATCH_ROWS)
            written = _write_in_shard_order(rows, Path(scratch) / name)
            empty = rows.schema.remove(0).empty_table().to_pandas()
            for k in shards:
                uri = night.uri("shards", f"{k:04d}", f"{name}.parquet")
                if k in written:
                    _files.put_file(written[k], uri)
                else:  # a shard whose accounts hold nothing (cash only)
                    _files.write_parquet(uri, empty)
            crash_point(f"prepare:after-{name}")
    con.unregister("shard_of")


#: Rows a batch of the book's stream from DuckDB holds (the memory held besides DuckDB's own).
_BOOK_BATCH_ROWS = 1 << 20


def _write_in_shard_order(rows: pa.RecordBatchReader, folder: Path) -> dict[int, Path]:
    """Write the batches of ``rows``, ordered by their first column (the shard), as one local
    Parquet file per shard under ``folder``, without that column; returns each shard's file."""
    folder.mkdir()
    written: dict[int, Path] = {}
    writer, current = None, None
    schema = rows.schema.remove(0)
    for batch in rows:
        shard = batch.column(0).to_numpy()
        body = pa.RecordBatch.from_arrays(batch.columns[1:], schema=schema)
        cuts = np.flatnonzero(shard[1:] != shard[:-1]) + 1
        for start, end in zip(np.r_[0, cuts], np.r_[cuts, len(shard)], strict=True):
            k = int(shard[start])
            if k != current:
                if writer is not None:
                    writer.close()
                if k in written:
                    raise ValueError(f"the book's rows came out of shard order at shard {k}")
                written[k] = folder / f"{k}.parquet"
                writer = pq.ParquetWriter(
                    written[k], schema, compression="zstd", store_schema=False
                )
                current = k
            writer.write_batch(body.slice(start, end - start))
    if writer is not None:
        writer.close()
    return written
