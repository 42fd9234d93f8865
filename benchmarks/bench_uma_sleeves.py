"""The UMA sleeve bookkeeping of a shard task (``sma.uma``, issues 19 and 23) on the calls of a real
night: CPU time of each of the five functions the shard task calls (``attribute_lots``,
``book_to_sleeves``, ``keep_in_band``, ``sleeve_records``, ``overlay_savings``), the current code
against ``sma.uma`` at a baseline git ref, run in the same process on the same recorded calls, and
whether every result is the recorded one to the bit (frames equal with their dtypes, index and row
order).

Inputs come from a night, in two steps (the machine is shared: say so beside the figures):

    # 1. record the five calls of one shard's decide: NIGHT is a prepared night (store, storage
    #    and runs of ``pipelines.night`` after ingest and prepare, e.g. from
    #    ``python -m benchmarks.bench_night --accounts 1000 --format parquet --work DIR --keep``),
    #    copied to SCRATCH before its decide runs again
    python benchmarks/bench_uma_sleeves.py record NIGHT INBOX SCRATCH calls.pkl [--shard 0]
    # 2. replay them
    python benchmarks/bench_uma_sleeves.py replay calls.pkl [--baseline-ref c4e1c99] [--passes 3]

Without a command it goes the whole way on a 1,000-account night of its own. One BLAS thread, as
the night's workers run.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import importlib  # noqa: E402
import io  # noqa: E402
import pickle  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
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

from recorded_night import decide_again, record_replay_parser, run  # noqa: E402

#: The shard task's calls, in the order it makes them (``pipelines.night._decide``).
FUNCTIONS = (
    "attribute_lots",
    "book_to_sleeves",
    "keep_in_band",
    "sleeve_records",
    "overlay_savings",
)


def record(night_dir: Path, inbox: Path, scratch: Path, out: Path, shard: int, as_of: date) -> None:
    """Run one shard's decide on a copy of a prepared night, keeping each call's arguments and
    result."""
    import pipelines.night._decide as shard_task

    calls = {}

    def keeping(name: str, inner):
        def kept(*args, **kwargs):
            result = inner(*args, **kwargs)
            calls[name] = (args, kwargs, result)
            return result

        return kept

    for name in FUNCTIONS:
        setattr(shard_task, name, keeping(name, getattr(shard_task, name)))
    k = decide_again(night_dir, inbox, scratch, as_of, shard)
    with open(out, "wb") as f:
        pickle.dump(calls, f)
    uma = calls["attribute_lots"][0][2]["account_id"].nunique() if calls else 0
    print(f"recorded {len(calls)} calls of shard {k} ({uma} UMA accounts)")


def _baseline(ref: str, into: Path) -> types.ModuleType:
    """``sma.uma`` as it was at ``ref``, imported as the package ``baseline_uma`` (its own modules
    renamed; the rest of ``sma`` is the current tree's)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "sma/uma"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            data = tar.extractfile(member)
            assert data is not None
            text = data.read().decode().replace("sma.uma", "baseline_uma")
            target = into / "baseline_uma" / Path(member.name).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    sys.path.insert(0, str(into))
    return importlib.import_module("baseline_uma")


def _same(got, want) -> bool:
    """Frames (also inside tuples and dataclasses) equal to the bit, with dtypes and order."""
    if isinstance(want, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(got, want, check_exact=True)
        except AssertionError:
            return False
        return True
    if isinstance(want, tuple):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if hasattr(want, "__dataclass_fields__"):
        return all(_same(getattr(got, f), getattr(want, f)) for f in want.__dataclass_fields__)
    return bool(got == want)


def replay(path: Path, ref: str, passes: int) -> None:
    import sma.uma as current

    with open(path, "rb") as f:
        calls = pickle.load(f)
    with tempfile.TemporaryDirectory(prefix="bench-uma-") as tmp:
        runs = {"baseline " + ref: _baseline(ref, Path(tmp)), "current": current}
        times = {(fn, run): [] for fn in calls for run in runs}
        same = dict.fromkeys(times, True)
        for _ in range(passes):  # alternate, so a change of load falls on both
            for fn, (args, kwargs, want) in calls.items():
                for run, package in runs.items():
                    start = time.process_time()
                    got = getattr(package, fn)(*args, **kwargs)
                    times[fn, run].append(time.process_time() - start)
                    same[fn, run] &= _same(got, want)
    uma = calls["attribute_lots"][0][2]["account_id"].nunique()
    print(f"{len(calls)} calls, {uma} UMA accounts; load average {os.getloadavg()[0]:.2f}")
    names = list(runs)
    print(f"| function | {names[0]}: CPU s | current: CPU s | ratio | same results |")
    print("|---|---|---|---|---|")
    total = dict.fromkeys(names, 0.0)
    for fn in calls:
        med = {run: float(np.median(times[fn, run])) for run in names}
        for run in names:
            total[run] += med[run]
        print(
            f"| {fn} | {med[names[0]]:.3f} | {med['current']:.3f} | "
            f"{med['current'] / med[names[0]]:.2f} | "
            f"{'yes' if all(same[fn, run] for run in names) else 'NO'} |"
        )
    print(
        f"| all five | {total[names[0]]:.3f} | {total['current']:.3f} | "
        f"{total['current'] / total[names[0]]:.2f} | |"
    )


def main() -> None:
    parser, rec = record_replay_parser(__doc__.splitlines()[0], "c4e1c99")
    rec.add_argument("--shard", type=int, default=0, help="which of the night's shards (0: first)")
    args = parser.parse_args()
    shard = getattr(args, "shard", 0)
    run(
        args,
        lambda night, inbox, scratch, out, as_of: record(night, inbox, scratch, out, shard, as_of),
        replay,
    )


if __name__ == "__main__":
    main()
