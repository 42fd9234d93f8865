"""Blotter speed: aggregate a night's trades into blocks and allocations, hash, export, match fills.

Prints the median of several repeats for each step, and the ratio of ``build_blotter`` against a
plain per-trade Python aggregation run in the same process (the baseline a columnar build must
beat). Usage: ``python benchmarks/bench_blotter.py [--accounts N] [--trades-per-account K]``.

``--proposal RUN_DIR --baseline-ref REF`` proposes the blotter of a kept night's checked proposal
(``RUN_DIR/proposal``, e.g. ``bench_night --keep``'s ``runs/<date>``) with the code at git ``REF``
and with this tree, alternately, each in a fresh process (``--passes`` times): the median wall and
CPU seconds of each, their ratio, and whether the four files each wrote are byte-identical.

``--night N`` instead proposes a whole night's blotter for N accounts from proposal files, as the
night does (``pipelines.blotter.propose``, part by part), against building it at once in memory
(``build_blotter`` + ``content_hash`` on the whole proposal, the old way), each in a fresh process:
wall seconds and peak memory of each, and their ratios.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sma.trading import (
    allocations_csv,
    build_blotter,
    content_hash,
    desk_csv,
    empty_booked,
    fix_messages,
    match_fills,
)


def book(n_accounts: int, per_account: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = n_accounts * per_account
    symbols = np.array([f"S{i:03d}" for i in range(500)])
    accounts = np.repeat([f"A{i:06d}" for i in range(n_accounts)], per_account)
    sym = np.concatenate(
        [rng.choice(symbols, per_account, replace=False) for _ in range(n_accounts)]
    )
    side = np.where(rng.random(n) < 0.5, "BUY", "SELL")
    trades = pd.DataFrame(
        {
            "run_id": "2026-11-25",
            "as_of_date": date(2026, 11, 25),
            "account_id": accounts,
            "household_id": accounts,
            "account_type": "TAXABLE",
            "symbol": sym,
            "side": side,
            "quantity": rng.integers(1, 500, n).astype(float),
            "price": 100.0,
            "reason": "REBALANCE",
        }
    )
    trades["notional"] = trades["quantity"] * 100.0
    sells = trades[trades["side"] == "SELL"]
    lot_sells = pd.DataFrame(
        {
            "account_id": sells["account_id"],
            "symbol": sells["symbol"],
            "lot_id": [f"L{i}" for i in range(len(sells))],
            "quantity": sells["quantity"],
        }
    )
    return trades, lot_sells


def baseline_aggregate(trades: pd.DataFrame) -> dict:
    """Per-trade Python loop: what a row-by-row blotter would do."""
    blocks: dict[tuple[str, str], dict[str, float]] = {}
    for account, symbol, side, qty in zip(
        trades["account_id"], trades["symbol"], trades["side"], trades["quantity"]
    ):
        alloc = blocks.setdefault((symbol, side), {})
        alloc[account] = alloc.get(account, 0.0) + qty
    return {k: {a: q / sum(v.values()) for a, q in v.items()} for k, v in blocks.items()}


def simplefix_messages(blotter, at: datetime) -> list[bytes]:
    """The same NewOrderSingle messages built field by field with a general FIX library
    (baseline)."""
    import simplefix

    out = []
    for order_id, g in blotter.allocations.groupby("order_id", sort=True):
        m = simplefix.FixMessage()
        m.append_pair(8, "FIX.4.4", header=True)
        m.append_pair(35, "D", header=True)
        m.append_pair(11, order_id)
        m.append_pair(78, len(g))
        for aid, acct, q in zip(g["allocation_id"], g["account_id"], g["quantity"]):
            m.append_pair(79, acct)
            m.append_pair(467, aid)
            m.append_pair(80, int(q))
        out.append(m.encode())
    return out


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _propose_night(run_dir: str, way: str, rows_per_part: int) -> tuple[float, float]:
    """In a fresh process: (wall seconds, peak MB) of one way of proposing the night in
    ``run_dir``."""
    start = time.perf_counter()
    if way == "parts":
        from pipelines.blotter import propose

        propose(Path(run_dir), "sma-night", rows_per_part=rows_per_part)
    else:
        src = Path(run_dir) / "proposal"
        whole = build_blotter(
            pd.read_parquet(src / "trades.parquet"),
            pd.read_parquet(src / "lot_sells.parquet"),
            pd.read_parquet(src / "exceptions.parquet"),
        )
        content_hash(whole)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def night(n_accounts: int, per_account: int, rows_per_part: int) -> None:
    trades, lot_sells = book(n_accounts, per_account)
    with tempfile.TemporaryDirectory(prefix="bench-blotter-") as tmp:
        src = Path(tmp) / "2026-11-25" / "proposal"
        src.mkdir(parents=True)
        trades.to_parquet(src / "trades.parquet")
        lot_sells.to_parquet(src / "lot_sells.parquet")
        pd.DataFrame(
            {
                "account_id": pd.Series(dtype=str),
                "kind": pd.Series(dtype=str),
                "reason": pd.Series(dtype=str),
            }
        ).to_parquet(src / "exceptions.parquet")
        print(f"{n_accounts:,} accounts: {len(trades):,} trades, {len(lot_sells):,} lot sells")
        del trades, lot_sells
        results = {}
        with mp.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
            for way in ("whole", "parts"):
                results[way] = pool.apply(_propose_night, (str(src.parent), way, rows_per_part))
                print(
                    f"  {way:<6} {results[way][0]:7.1f} s   peak {results[way][1]:8,.0f} MB",
                    flush=True,
                )
        (tw, mw), (tp, mp_) = results["whole"], results["parts"]
        print(
            f"  parts / whole: time {tp / tw:.2f}x, peak memory {mp_ / mw:.2f}x "
            f"(parts of {rows_per_part:,} rows; the parts also write the files)"
        )


#: Proposes one night in a fresh process of the tree on its path; prints wall and CPU seconds.
_PROPOSE = """
import json, sys, time
from pathlib import Path
from pipelines.blotter import propose
wall, cpu = time.perf_counter(), time.process_time()
propose(Path(sys.argv[1]), "sma-night")
print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu]))
"""
_FILES = ("orders", "allocations", "lot_instructions", "deliveries")


def replay(run_dir: Path, ref: str, passes: int) -> None:
    """The blotter of ``run_dir``'s proposal by the tree at ``ref`` and by this one, alternately."""
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="bench-blotter-") as tmp:
        trees = {ref: Path(tmp) / "baseline", "now": here}
        trees[ref].mkdir()
        archive = subprocess.run(
            ["git", "-C", str(here), "archive", ref], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(trees[ref])], input=archive, check=True)
        runs = {}
        for way in trees:
            runs[way] = Path(tmp) / way.replace("/", "_") / run_dir.name
            runs[way].mkdir(parents=True)
            (runs[way] / "proposal").symlink_to((run_dir / "proposal").resolve())
        times: dict[str, list[tuple[float, float]]] = {way: [] for way in trees}
        for k in range(passes):
            for way, tree in trees.items():
                blotter = runs[way] / "blotter"
                subprocess.run(["rm", "-rf", str(blotter)], check=True)
                env = {**os.environ, "PYTHONPATH": str(tree)}
                out = subprocess.run(
                    [sys.executable, "-c", _PROPOSE, str(runs[way])],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=tree,
                    env=env,
                ).stdout
                times[way].append(tuple(json.loads(out.strip().splitlines()[-1])))
                wall, cpu = times[way][-1]
                print(f"  pass {k + 1} {way:<12} wall {wall:7.1f} s  CPU {cpu:7.1f} s", flush=True)
        same = all(_bytes(runs[ref], name) == _bytes(runs["now"], name) for name in _FILES)
        print(f"{run_dir}: propose, medians of {passes} passes (load {os.getloadavg()[0]:.1f})")
        med = {w: [statistics.median(t[i] for t in times[w]) for i in (0, 1)] for w in trees}
        for way in trees:
            print(f"  {way:<12} wall {med[way][0]:7.1f} s  CPU {med[way][1]:7.1f} s")
        print(
            f"  now / {ref}: wall {med['now'][0] / med[ref][0]:.2f}, "
            f"CPU {med['now'][1] / med[ref][1]:.2f}; files byte-identical: {same}"
        )


def _bytes(run: Path, name: str) -> bytes | None:
    path = run / "blotter" / "proposed" / f"{name}.parquet"
    return path.read_bytes() if path.exists() else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--trades-per-account", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--night", type=int, default=None, help="propose a night of this many accounts"
    )
    parser.add_argument("--rows-per-part", type=int, default=1_000_000)
    parser.add_argument("--proposal", type=Path, default=None, help="a kept night's run folder")
    parser.add_argument("--baseline-ref", default="dfbb786")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    if args.proposal:
        replay(args.proposal, args.baseline_ref, args.passes)
        return
    if args.night:
        night(args.night, args.trades_per_account, args.rows_per_part)
        return
    trades, lot_sells = book(args.accounts, args.trades_per_account)
    held = pd.DataFrame({"account_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})
    blotter = build_blotter(trades, lot_sells, held)
    alloc = blotter.allocations
    reference = alloc["order_id"].map(blotter.orders.set_index("order_id")["reference_price"])
    fills = pd.DataFrame(
        {
            "exec_id": [f"X{n}" for n in range(len(alloc))],
            "order_id": alloc["order_id"],
            "account_id": alloc["account_id"],
            "symbol": alloc["symbol"],
            "side": alloc["side"],
            "quantity": alloc["quantity"],
            "price": reference * 1.005,
            "lot_id": None,
        }
    )
    fills = fills[fills["side"] == "BUY"]
    steps = {
        "baseline per-trade loop": lambda: baseline_aggregate(trades),
        "build_blotter": lambda: build_blotter(trades, lot_sells, held),
        "content_hash": lambda: content_hash(blotter),
        "desk_csv + fix_messages": lambda: (
            desk_csv(blotter),
            fix_messages(blotter, datetime(2026, 11, 26, tzinfo=UTC)),
        ),
        "NewOrderSingles via simplefix": lambda: simplefix_messages(
            blotter, datetime(2026, 11, 26, tzinfo=UTC)
        ),
        "allocations_csv": lambda: allocations_csv(blotter),
        "match_fills (buys)": lambda: match_fills(fills, blotter, empty_booked()),
    }
    print(
        f"{len(trades)} trades, {len(blotter.orders)} block orders, {len(alloc)} allocations; "
        f"median of {args.repeat}"
    )
    medians = {name: median_seconds(fn, args.repeat) for name, fn in steps.items()}
    base = medians["baseline per-trade loop"]
    for name, seconds in medians.items():
        print(f"  {name:<26} {seconds * 1000:9.1f} ms   ratio to baseline {seconds / base:6.2f}")


if __name__ == "__main__":
    main()
