"""Where a compiled (numba) kernel of the engine spends its time, by source line (issues 17 and 23).

A numba kernel is one opaque symbol to a sampling profiler, and its inlined steps (the name search
compiles as one function) are not even separate symbols. This records the calls one shard's
``decide`` makes to the kernel on a kept night and replays them in a child process, the kernel
compiled afresh there with numba's debug line table on (``NUMBA_DEBUGINFO=1``, in a cache folder of
its own, which keeps its object code); ``perf record`` is attached once it is compiled. Every sample
in the kernel's code goes to the source line the line table gives for it (``objdump -d -l``); the
lines that took most samples are printed, with the samples outside the kernel's code while it ran
(BLAS, numpy, the replay's own Python) beside them.

    python benchmarks/profile_kernel.py NIGHT INBOX sma.rebalance._sampling_steps:search_moves \
        [--shard 0] [--passes 3] [--lines 30] [--as-of 2026-11-24]

NIGHT and INBOX are a prepared night and its inbox (``python -m benchmarks.bench_night --accounts
1000 --format parquet --work DIR --keep``). Needs ``perf`` (Debian: linux-perf) and ``objdump``
(binutils); a profile, not a timing: run it on a quiet machine and read shares, not seconds. The
line table of optimised code is approximate (a loop's compare and branch may be charged to the line
of its body); lines next to each other are one hot spot.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import importlib
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from recorded_night import AS_OF, decide_again  # noqa: E402


def _copy(value):
    """The argument as it was before the call (kernels update arrays in place)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def record(night: Path, inbox: Path, target: str, shard: int, as_of: date, out: Path) -> int:
    """Run ``decide`` of the night's ``shard``-th shard again on a scratch copy, keeping the
    arguments of every call of ``target`` (``module:function``) from every engine module that
    imported it; returns the number of calls."""
    module_name, function = target.split(":")
    module = importlib.import_module(module_name)
    kernel = getattr(module, function)
    calls: list[list] = []

    def kept(*args):
        calls.append([_copy(a) for a in args])
        return kernel(*args)

    users = [module] + [
        loaded
        for name, loaded in list(sys.modules.items())
        if name.startswith("sma.") and loaded is not module
        and getattr(loaded, function, None) is kernel
    ]  # fmt: skip
    for user in users:
        setattr(user, function, kept)
    try:
        with tempfile.TemporaryDirectory(prefix="profile-kernel-") as scratch:
            decide_again(night, inbox, Path(scratch) / "night", as_of, shard)
    finally:
        for user in users:
            setattr(user, function, kernel)
    with open(out, "wb") as f:
        pickle.dump(calls, f)
    return len(calls)


def replay(target: str, calls_file: Path, passes: int, code_out: Path) -> None:
    """In the child: compile ``target`` afresh, write to ``code_out`` (a pickle) where each
    compiled function of its module was loaded and its object code (a kernel's callees run from
    their own compiled code, not from copies in the kernel's), say so, and replay the calls once
    the parent has attached perf."""
    module_name, function = target.split(":")
    module = importlib.import_module(module_name)
    kernel = getattr(module, function)
    with open(calls_file, "rb") as f:
        calls = pickle.load(f)
    kernel(*[_copy(a) for a in calls[0]])
    loaded = []
    for dispatcher in vars(module).values():
        for compiled in getattr(dispatcher, "overloads", {}).values():
            name = compiled.fndesc.llvm_func_name
            address = compiled.library.get_pointer_to_function(name)
            loaded.append((name, address, compiled.library._get_compiled_object()))
    with open(code_out, "wb") as f:
        pickle.dump(loaded, f)
    replays = [[_copy(a) for a in args] for args in calls for _ in range(passes)]
    print("compiled", flush=True)  # the parent attaches perf now: the compiling is not sampled
    sys.stdin.readline()
    for args in replays:
        kernel(*args)
    os._exit(0)  # not the teardown of the replayed arrays: perf stops with this process


class _Code:
    """One compiled function's object, as loaded: where its text starts in memory and the source
    line of each instruction (numba's debug line table, ``objdump -d -l``)."""

    def __init__(self, name: str, address: int, obj: bytes, folder: Path):
        path = folder / f"{abs(hash(name))}.o"
        path.write_bytes(obj)
        symbols = _run("objdump", "-t", str(path))
        start = next(
            int(line.split()[0], 16) for line in symbols.splitlines() if line.endswith(" " + name)
        )
        self.base = address - start  # the object's text (one section) loaded in one piece
        self.where: dict[int, tuple[str, int]] = {}
        current = None
        for text in _run("objdump", "-d", "-l", "--no-show-raw-insn", str(path)).splitlines():
            if located := re.match(r"^(/\S+):(\d+)", text):
                current = (located.group(1), int(located.group(2)))
            elif (at := re.match(r"^\s+([0-9a-f]+):\s", text)) and current:
                self.where[int(at.group(1), 16)] = current
        self.offsets = sorted(self.where)

    def line(self, ip: int) -> tuple[str, int] | None:
        """The source line of the instruction at ``ip``; None: not in this object's text."""
        offset = ip - self.base
        if not self.offsets or not 0 <= offset <= self.offsets[-1] + 16:
            return None
        return self.where[self.offsets[bisect.bisect_right(self.offsets, offset) - 1]]


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def profile(target: str, calls_file: Path, passes: int, lines: int) -> None:
    """Replay under perf in a child and print the hottest source lines of the kernel's module."""
    with tempfile.TemporaryDirectory(prefix="profile-kernel-") as tmp:
        tmp_path = Path(tmp)
        env = dict(
            os.environ,
            NUMBA_DEBUGINFO="1",
            NUMBA_CACHE_DIR=str(tmp_path / "numba"),
            OPENBLAS_NUM_THREADS="1",
        )
        data, code = tmp_path / "perf.data", tmp_path / "code.pkl"
        child = subprocess.Popen(
            [sys.executable, __file__, "--replay", target, str(calls_file), str(passes), str(code)],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert child.stdin is not None and child.stdout is not None
        if child.stdout.readline().strip() != "compiled":
            raise SystemExit(f"the replay of {target} failed (exit {child.wait()})")
        perf = subprocess.Popen(
            ["perf", "record", "-q", "-o", str(data), "-p", str(child.pid)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.0)  # perf attached
        child.stdin.write("go\n")
        child.stdin.close()
        if child.wait() != 0 or perf.wait() != 0:
            raise SystemExit(f"the replay of {target} or perf failed")
        with open(code, "rb") as f:
            codes = [_Code(name, address, obj, tmp_path) for name, address, obj in pickle.load(f)]
        samples = _run("perf", "script", "-i", str(data), "-F", "ip,dso")
    by_line: collections.Counter = collections.Counter()
    elsewhere: collections.Counter = collections.Counter()
    for text in samples.splitlines():
        ip, _, dso = text.strip().partition(" ")
        if not ip:
            continue
        found = next((at for c in codes if (at := c.line(int(ip, 16))) is not None), None)
        if found is not None:
            by_line[found] += 1
        else:
            elsewhere[Path(dso.strip().strip("()")).name or "?"] += 1
    inside = sum(by_line.values())
    if not inside:
        raise SystemExit("no samples in the kernel's code: was it called? (see the recording)")
    print(
        f"# {target}: {inside} samples in the compiled code of its module; outside it while it "
        f"was replayed (BLAS, numpy, the replay's Python): "
        + ", ".join(f"{name} {count}" for name, count in elsewhere.most_common(5))
    )
    print("| share | source line | code |")
    print("|---|---|---|")
    texts: dict[str, list[str]] = {}
    for (file, number), count in by_line.most_common(lines):
        if file not in texts:
            texts[file] = Path(file).read_text().splitlines() if Path(file).exists() else []
        code_text = texts[file][number - 1].strip() if number <= len(texts[file]) else ""
        print(f"| {100 * count / inside:.1f} % | {Path(file).name}:{number} | `{code_text[:90]}` |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--replay":
        target, calls_file, passes, code_out = sys.argv[2:6]
        replay(target, Path(calls_file), int(passes), Path(code_out))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("night", type=Path)
    parser.add_argument("inbox", type=Path)
    parser.add_argument(
        "target", help="module:function, e.g. sma.rebalance._interior_point:solve_from"
    )
    parser.add_argument("--shard", type=int, default=0)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    args = parser.parse_args()
    for tool in ("perf", "objdump"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (Debian: linux-perf, binutils)")
    with tempfile.TemporaryDirectory(prefix="profile-kernel-calls-") as tmp:
        calls = Path(tmp) / "calls.pkl"
        n = record(args.night, args.inbox, args.target, args.shard, args.as_of, calls)
        print(f"# recorded {n} calls of {args.target} in shard {args.shard}'s decide")
        profile(args.target, calls, args.passes, args.lines)


if __name__ == "__main__":
    main()
