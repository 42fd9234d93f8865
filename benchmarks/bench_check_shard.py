"""The per-shard pre-trade check of a night's shard tasks (``pipelines.night._check.check_shard``:
``sma.compliance.check_proposal`` and the output data contracts, issue 23) on the calls of a real
night: CPU time of the current code against the check at a baseline git ref, run in the same
process on the same recorded calls, and whether every result is the recorded one to the bit
(violations and contract issues, with their dtypes, index and row order).

Each recorded call is also replayed broken (``--broken``, on by default): a few of its orders and
lot sells changed so that every rule and several contract rules fire, so the comparison covers
violation rows and contract issues, which a real night holds only rarely; there the baseline's
result is the one to match.

Inputs come from a night, in two steps (the machine is shared: say so beside the figures):

    # 1. record the check of some of a prepared night's shards (NIGHT as for bench_uma_sleeves),
    #    copied to SCRATCH once before their decide runs again
    python benchmarks/bench_check_shard.py record NIGHT INBOX SCRATCH calls.pkl [--shards 0 6]
    # 2. replay them
    python benchmarks/bench_check_shard.py replay calls.pkl [--baseline-ref d08d0a7] [--passes 5]

Without a command it goes the whole way on a 1,000-account night of its own. One BLAS thread, as
the night's workers run.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import importlib  # noqa: E402
import pickle  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from recorded_night import kept_night, record_replay_parser, run, source_at  # noqa: E402

#: The files of the check, as the baseline's modules: path at the ref -> module name here.
BASELINE_FILES = {
    "sma/compliance/__init__.py": "baseline_compliance",
    "sma/compliance/_book.py": "baseline_compliance._book",
    "sma/compliance/_outputs.py": "baseline_compliance._outputs",
    "sma/compliance/_rules.py": "baseline_compliance._rules",
    "pipelines/night/_contracts.py": "baseline_contracts",
    "pipelines/night/_check.py": "baseline_check",
}
#: Imports of those files, renamed to their baseline modules (longest first).
RENAMED = (
    ("pipelines.night._contracts", "baseline_contracts"),
    ("sma.compliance", "baseline_compliance"),
)


def record(
    night_dir: Path, inbox: Path, scratch: Path, out: Path, shards: list[int], as_of: date
) -> None:
    """Run the decide of some shards of a copy of a prepared night, keeping each check's arguments
    and results."""
    import pipelines.night._decide as shard_task

    calls = []
    inner = shard_task.check_shard

    def kept(*args):
        result = inner(*args)
        calls.append((args, result))
        return result

    shard_task.check_shard = kept
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(night_dir, scratch)
    night = kept_night(scratch, inbox, as_of)
    every = night.done_info("prepare")["shards"]
    for i in shards:
        Path(night._marker("decide", every[i])).unlink(missing_ok=True)
        shard_task.decide_step(night, every[i])
    with open(out, "wb") as f:
        pickle.dump(calls, f)
    for args, (violations, broken) in calls:
        print(
            f"recorded a shard of {len(args[1])} accounts, {len(args[2])} lots, "
            f"{len(args[4])} orders, {len(args[5])} lot sells: {len(violations)} violations, "
            f"{len(broken)} contract issues"
        )


def _baseline(ref: str, into: Path) -> types.ModuleType:
    """``check_shard`` and ``sma.compliance`` as they were at ``ref``, imported as ``baseline_*``
    modules (the rest of the repository is the current tree's)."""
    for path, module in BASELINE_FILES.items():
        text = source_at(ref, path)
        for old, new in RENAMED:
            text = text.replace(old, new)
        # the output contracts are read from the current tree's data_contracts/
        text = text.replace("Path(__file__).resolve().parents[2]", f"Path({str(ROOT)!r})")
        parts = module.split(".")
        target = into.joinpath(*parts[:-1], parts[-1] + ".py")
        if path.endswith("__init__.py"):
            target = into / module / "__init__.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    sys.path.insert(0, str(into))
    return importlib.import_module("baseline_check")


def broken_copy(args: tuple) -> tuple:
    """``args`` of a recorded check with some orders and lot sells of accounts across the shard
    broken, so that every compliance rule a shard checks and several contract rules fire."""
    night, accounts, lots, market, trades, lot_sells, blocks = args
    trades = trades.reset_index(drop=True)
    lot_sells = lot_sells.reset_index(drop=True)
    buys = np.flatnonzero(trades["side"].to_numpy() == "BUY")
    sells = np.flatnonzero(trades["side"].to_numpy() == "SELL")
    if len(buys) < 8 or len(sells) < 8 or len(lot_sells) < 8:
        return night, accounts, lots, market, trades, lot_sells, blocks
    buy = buys[np.arange(8) * len(buys) // 8]
    sell = sells[np.arange(8) * len(sells) // 8 + 1]
    q = trades.columns.get_loc("quantity")
    trades.iloc[sell[0], q] += 0.5  # not whole shares, and more than its lots
    trades.iloc[buy[0], trades.columns.get_loc("price")] *= 1.5  # off the close
    trades.iloc[buy[1], q] = -3.0  # a negative quantity
    trades.iloc[buy[2], trades.columns.get_loc("symbol")] = "ZZZZ"  # no close, no holding
    trades.iloc[buy[3], q] *= 1e7  # more than the day's volume
    trades.iloc[buy[4], trades.columns.get_loc("notional")] = 1e12  # over the limit, no cash
    trades.iloc[buy[5], q] = np.nan
    trades.iloc[sell[1], q] *= 100  # short, and more than its lots
    trades.iloc[sell[2], trades.columns.get_loc("side")] = "HOLD"
    trades.iloc[sell[3], trades.columns.get_loc("reason")] = ""
    flipped = trades.iloc[[sell[4]]].assign(side="BUY")  # a buy and a sell of one security
    trades = pd.concat([trades, flipped, trades.iloc[[buy[6]]]], ignore_index=True)
    at = np.arange(8) * len(lot_sells) // 8
    lot_sells.iloc[at[0], lot_sells.columns.get_loc("quantity")] *= 1e6  # oversold
    lot_sells.iloc[at[1], lot_sells.columns.get_loc("lot_id")] = "L-not-held"
    lot_sells.iloc[at[2], lot_sells.columns.get_loc("term")] = "MEDIUM"
    lot_sells = pd.concat([lot_sells, lot_sells.iloc[[at[3]]]], ignore_index=True)
    extra = pd.DataFrame(
        {
            "account_id": trades["account_id"].iloc[[buy[7], sell[5]]].to_numpy(),
            "symbol": trades["symbol"].iloc[[buy[7], sell[5]]].to_numpy(),
            "kind": ["BUY_BLOCKED", "SELL_BLOCKED"],
            "why": ["EXCLUDE restriction", "NO_SELL"],
        }
    )
    blocks = pd.concat([blocks, extra.reindex(columns=blocks.columns)], ignore_index=True)
    return night, accounts, lots, market, trades, lot_sells, blocks


def _same(got: tuple, want: tuple) -> bool:
    try:
        for g, w in zip(got, want, strict=True):
            pd.testing.assert_frame_equal(g, w, check_exact=True)
    except AssertionError:
        return False
    return True


def replay(path: Path, ref: str, passes: int, broken: bool = True) -> None:
    from pipelines.night._check import check_shard

    with open(path, "rb") as f:
        calls = pickle.load(f)
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        baseline = _baseline(ref, Path(tmp))
        runs = {"baseline " + ref: baseline.check_shard, "current": check_shard}
        cases = [(f"shard {i}", args, want) for i, (args, want) in enumerate(calls)]
        if broken:
            for i, (args, _) in enumerate(calls):
                bad = broken_copy(args)
                cases.append((f"shard {i} broken", bad, baseline.check_shard(*bad)))
        times = {(case, name): [] for case, _, _ in cases for name in runs}
        same = dict.fromkeys(times, True)
        for k in range(passes):  # alternate, so a change of load falls on both
            for case, args, want in cases:
                for name, check in list(runs.items())[:: 1 if k % 2 else -1]:
                    start = time.process_time()
                    got = check(*args)
                    times[case, name].append(time.process_time() - start)
                    same[case, name] &= _same(got, want)
    print(f"{len(calls)} recorded checks, {passes} passes; load average {os.getloadavg()[0]:.2f}")
    names = list(runs)
    print(f"| call | {names[0]}: CPU s | current: CPU s | ratio | found | same results |")
    print("|---|---|---|---|---|---|")
    total = dict.fromkeys(names, 0.0)
    for case, _, want in cases:
        med = {name: float(np.median(times[case, name])) for name in names}
        if "broken" not in case:
            for name in names:
                total[name] += med[name]
        print(
            f"| {case} | {med[names[0]]:.4f} | {med['current']:.4f} | "
            f"{med['current'] / med[names[0]]:.2f} | {len(want[0])} violations, "
            f"{len(want[1])} issues | "
            f"{'yes' if all(same[case, name] for name in names) else 'NO'} |"
        )
    print(
        f"| recorded, all | {total[names[0]]:.4f} | {total['current']:.4f} | "
        f"{total['current'] / total[names[0]]:.2f} | | |"
    )
    if not all(same.values()):
        raise SystemExit("results differ")


def main() -> None:
    parser, rec = record_replay_parser(__doc__.splitlines()[0], "d08d0a7")
    rec.add_argument(
        "--shards", type=int, nargs="+", default=[0], help="which of the night's shards (0: first)"
    )
    args = parser.parse_args()
    shards = getattr(args, "shards", [0])
    run(
        args,
        lambda night, inbox, scratch, out, as_of: record(night, inbox, scratch, out, shards, as_of),
        replay,
    )


if __name__ == "__main__":
    main()
