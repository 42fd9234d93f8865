"""How fast the ledger replays a book's year of transactions, in rows per second.

Generates a seeded synthetic book (accounts in households of two, a universe of symbols, a year of
buys, sells and a few splits) and replays it through ``sma.ledger.replay``. The baseline is a
straightforward row-by-row pure-Python replay (a dict per lot, FIFO, wash sales by scanning every
lot of the household) run on the same rows in the same process; the script prints both medians
and the ratio. Times are this process's CPU seconds, so other work on the machine does not skew
them.

    .venv/bin/python benchmarks/bench_ledger.py --accounts 10000 --trades-per-account 100
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from sma.ledger import REPLAY_TRANSACTION_COLUMNS, ReliefMethod, replay

COLUMNS = list(REPLAY_TRANSACTION_COLUMNS)


def synthetic_book(
    n_accounts: int, trades_per_account: int, n_symbols: int, wash_prone: float, seed: int
):
    """Accounts (households of two, one in ten an IRA) and a year of valid transactions, seeded.

    Most accounts trade as the nightly engine does, avoiding wash sales: the two accounts of a
    household hold different securities, and an account neither sells a security within 30 days
    of buying it nor buys it within 30 days of selling it. A ``wash_prone`` share of households
    trade freely, so their loss sales meet replacements and take the trade-by-trade path.
    """
    rng = np.random.default_rng(seed)
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i:06d}" for i in range(n_accounts)],
            "household_id": [f"H{i // 2:06d}" for i in range(n_accounts)],
            "account_type": np.where(rng.random(n_accounts) < 0.1, "IRA", "TAXABLE"),
        }
    )
    symbols = np.array([f"S{j:04d}" for j in range(n_symbols)], dtype=object)
    prices = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.02, (365, n_symbols)), axis=0))
    free = rng.random(n_accounts // 2 + 1) < wash_prone
    rows = []
    for i, account in enumerate(accounts["account_id"]):
        careful = not free[i // 2]
        days = np.sort(rng.integers(0, 365, trades_per_account))
        base = (i // 2) * 7 + (40 if careful and i % 2 else 0)
        picks = (rng.integers(0, 40, trades_per_account) + base) % n_symbols
        held: dict[int, float] = {}
        last_buy: dict[int, int] = {}
        last_sell: dict[int, int] = {}
        for k, (day, s) in enumerate(zip(days, picks)):
            price = prices[day, s]
            may_sell = held.get(s, 0.0) > 0 and (not careful or day - last_buy.get(s, -99) > 30)
            may_buy = not careful or day - last_sell.get(s, -99) > 30
            if may_sell and (rng.random() < 0.45 or not may_buy):
                quantity = float(min(held[s], rng.integers(1, 60)))
                held[s] -= quantity
                last_sell[s] = day
                rows.append(
                    (
                        account,
                        day,
                        "SELL",
                        symbols[s],
                        quantity,
                        round(quantity * price * 100),
                        "",
                        "",
                    )
                )
            elif may_buy:
                quantity = float(rng.integers(1, 60))
                held[s] = held.get(s, 0.0) + quantity
                last_buy[s] = day
                rows.append(
                    (
                        account,
                        day,
                        "BUY",
                        symbols[s],
                        quantity,
                        round(quantity * price * 100),
                        f"{account}-{k}",
                        "",
                    )
                )
    frame = pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "day",
            "action",
            "symbol",
            "quantity",
            "amount_cents",
            "lot_id",
            "lot_ids",
        ],
    )
    frame = frame.sort_values("day", kind="stable").reset_index(drop=True)
    frame.insert(0, "seq", np.arange(1, len(frame) + 1))
    frame["trade_date"] = np.datetime64("2025-01-01", "D") + frame.pop("day").to_numpy().astype(
        "timedelta64[D]"
    )
    frame["ratio"] = np.nan
    return accounts, frame[COLUMNS]


def baseline_replay(accounts: pd.DataFrame, transactions: pd.DataFrame) -> int:
    """Row by row, a dict per lot: FIFO relief and a scan of the household's lots for wash sales."""
    household = dict(zip(accounts["account_id"], accounts["household_id"]))
    lots: dict[str, list[dict]] = {}
    realized = []
    for t in transactions.itertuples(index=False):
        home = household[t.account_id]
        mine = lots.setdefault(home, [])
        day = (
            int(t.trade_date.astype("datetime64[D]").astype(np.int64))
            if hasattr(t.trade_date, "astype")
            else pd.Timestamp(t.trade_date).toordinal()
        )
        if t.action == "BUY":
            mine.append(
                {
                    "account": t.account_id,
                    "symbol": t.symbol,
                    "qty": t.quantity,
                    "basis": t.amount_cents,
                    "day": day,
                    "free": t.quantity,
                }
            )
            continue
        need, proceeds = t.quantity, t.amount_cents
        for lot in mine:
            if need <= 0:
                break
            if lot["account"] != t.account_id or lot["symbol"] != t.symbol or lot["qty"] <= 0:
                continue
            take = min(need, lot["qty"])
            basis = round(lot["basis"] * take / lot["qty"])
            piece = round(proceeds * take / t.quantity)
            lot["qty"] -= take
            lot["basis"] -= basis
            need -= take
            loss = basis - piece
            if loss > 0:
                for other in mine:
                    if (
                        other is not lot
                        and other["symbol"] == t.symbol
                        and other["qty"] > 0
                        and other["free"] > 0
                        and abs(other["day"] - day) <= 30
                    ):
                        shares = min(other["free"], take)
                        other["basis"] += round(loss * shares / take)
                        other["free"] -= shares
                        break
            realized.append((t.account_id, t.symbol, take, piece, basis))
    return len(realized)


def median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()  # CPU time: the machine may be shared with other work
        run()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--trades-per-account", type=int, default=100)
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--wash-prone", type=float, default=0.05, help="share of households trading freely"
    )
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()

    accounts, transactions = synthetic_book(
        args.accounts, args.trades_per_account, args.symbols, args.wash_prone, args.seed
    )
    rows = len(transactions)
    ledger_s = median_seconds(
        lambda: replay(accounts, None, transactions, ReliefMethod.FIFO), args.repeats
    )
    one_by_one_s = median_seconds(
        lambda: replay(accounts, None, transactions, ReliefMethod.FIFO, vectorised=False),
        args.repeats,
    )
    baseline_s = median_seconds(lambda: baseline_replay(accounts, transactions), args.repeats)
    print(
        f"rows: {rows:,} ({args.accounts:,} accounts x {args.trades_per_account} trades), "
        f"median of {args.repeats}"
    )
    print(f"sma.ledger.replay      : {ledger_s:8.3f} s  {rows / ledger_s:12,.0f} rows/s")
    print(f"  trade by trade only  : {one_by_one_s:8.3f} s  {rows / one_by_one_s:12,.0f} rows/s")
    print(f"baseline row-by-row    : {baseline_s:8.3f} s  {rows / baseline_s:12,.0f} rows/s")
    print(f"ratio (baseline/ledger): {baseline_s / ledger_s:8.2f}x")
    print(f"ratio (trade by trade/ledger): {one_by_one_s / ledger_s:8.2f}x")


if __name__ == "__main__":
    main()
