"""Speed and quality of the per-account optimiser (issues 4, 17, 23).

Speed: one core (one BLAS thread), 500 names, 40 factors, 1, 5 and 20 lots per position, CPU time
of this thread everywhere (``time.thread_time``). Per account: ``decide_account()`` (what the night
pays per triggered account: build, solves, risk-aversion escalation, side search, rounding,
records), the interior point's own time within it, and ``decide()`` over the whole shard divided by
its accounts (screen and frames included). Beside it, in the same run on the first
``--baseline-accounts``: the engine's two steps without the side search (build + ``solve_account``
with ``sign_search_solves=0``) against the same two convex solves through cvxpy + Clarabel (model
building included) and through Clarabel called directly on the same sparse data (the factor model
as equality rows).
Percentiles are printed only where there are enough accounts for them (p99 needs 100). Each row
also prints the interior point's iterations per account (median) and the load average (1 minute)
before and after it: on a shared machine read ratios between runs of the same load, not
milliseconds. ``decide_account()`` builds its two frames per account (~1-2 ms each at 20 lots);
``decide()`` builds them once for the shard.

Quality (``--quality``): on small instances (12 names), the two-step method and the weak
relax-and-net heuristic against exhaustive search over the buy/sell side of every contested
identical group.

    .venv/bin/python benchmarks/bench_engine.py [--accounts 100] [--baseline-accounts 20]
        [--quality 200] [--no-cvxpy] [--phases LOTS]
    .venv/bin/python benchmarks/bench_engine.py --night NIGHT INBOX [--shards 3]

``--phases LOTS``: only where ``decide_account()`` spends its CPU time at LOTS lots a position, per
phase and per solve (``PhaseClock``). ``--night NIGHT INBOX [--shards 3]``: the same table for
``decide()`` on the first shards of a prepared night (real generated accounts, where the name
search runs: the synthetic ones hold every name).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, as the brief measures it

import argparse  # noqa: E402
import itertools  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine_problems import synthetic_model, synthetic_shard  # noqa: E402

import sma.rebalance._decide as decide_module  # noqa: E402
import sma.rebalance._qp as qp_module  # noqa: E402
import sma.rebalance._sign_search as search_module  # noqa: E402
import sma.rebalance._signs as signs_module  # noqa: E402
import sma.rebalance._tradable as tradable_module  # noqa: E402
from sma.rebalance import (  # noqa: E402
    EngineParams,
    SignMethod,
    build_problem,
    contested_groups,
    decide,
    decide_account,
    keep_for_sides,
    screen_accounts,
    solve_account,
    solve_trade_qp,
)


def cvxpy_solve(qp, keep=None) -> np.ndarray:
    """The same convex problem through cvxpy + Clarabel; returns v over all variables."""
    import cvxpy as cp
    import scipy.sparse as sp

    keep = np.ones(qp.asset.size, bool) if keep is None else keep
    sub = qp.restrict(keep)
    nv, n = sub.asset.size, sub.d.size
    a = sp.csr_matrix((sub.sign, (sub.asset, np.arange(nv))), shape=(n, nv))
    v = cp.Variable(nv)
    z = a @ v
    objective = (
        0.5 * cp.sum_squares(cp.multiply(np.sqrt(sub.d), z))
        + 0.5 * cp.sum_squares(sub.B.T @ z)
        + sub.p @ z
        + sub.cost @ v
    )
    problem = cp.Problem(cp.Minimize(objective), [v >= 0, v <= sub.upper, sub.G @ v <= sub.h])
    problem.solve(solver=cp.CLARABEL)
    full = np.zeros(qp.asset.size)
    full[keep] = np.clip(v.value, 0, sub.upper)
    return full


def clarabel_direct(qp, keep=None) -> np.ndarray:
    """The same convex problem given to Clarabel directly, without a modelling layer: variables
    ``[v, z, y]`` with ``z = A v`` and ``y = B'z`` as equality rows, so the quadratic is diagonal
    (``diag(0, d, 1)``) and every matrix sparse. Returns v over all variables."""
    import clarabel
    import scipy.sparse as sp

    keep = np.ones(qp.asset.size, bool) if keep is None else keep
    sub = qp.restrict(keep)
    nv, (n, k) = sub.asset.size, sub.B.shape
    a = sp.csr_matrix((sub.sign, (sub.asset, np.arange(nv))), shape=(n, nv))
    quad = sp.diags(np.concatenate([np.zeros(nv), sub.d, np.ones(k)]), format="csc")
    rows = sp.vstack(
        [
            sp.hstack([-a, sp.identity(n), sp.csr_matrix((n, k))]),
            sp.hstack([sp.csr_matrix((k, nv)), -sp.csr_matrix(sub.B.T), sp.identity(k)]),
            sp.hstack([-sp.identity(nv), sp.csr_matrix((nv, n + k))]),
            sp.hstack([sp.identity(nv), sp.csr_matrix((nv, n + k))]),
            sp.hstack([sp.csr_matrix(sub.G), sp.csr_matrix((sub.h.size, n + k))]),
        ]
    ).tocsc()
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    solution = clarabel.DefaultSolver(
        quad,
        np.concatenate([sub.cost, sub.p, np.zeros(k)]),
        rows,
        np.concatenate([np.zeros(n + k + nv), sub.upper, sub.h]),
        [clarabel.ZeroConeT(n + k), clarabel.NonnegativeConeT(2 * nv + sub.h.size)],
        settings,
    ).solve()
    full = np.zeros(qp.asset.size)
    full[keep] = np.clip(np.asarray(solution.x[:nv]), 0, sub.upper)
    return full


def baseline_two_step(problem, keep):
    """The engine's two convex solves (the relaxation, then the final problem with the engine's
    sides, so both end on the same convex problem and the objectives compare solver accuracy)
    through cvxpy and through Clarabel directly: (final v, cvxpy s, direct s), CPU seconds of this
    thread (Clarabel's own ``solve_time`` is wall time, so it is not printed beside them)."""
    t0 = time.thread_time()
    cvxpy_solve(problem.qp)
    final = cvxpy_solve(problem.qp, keep)
    t1 = time.thread_time()
    clarabel_direct(problem.qp)
    clarabel_direct(problem.qp, keep)
    return final, t1 - t0, time.thread_time() - t1


_DEFAULT = EngineParams()
_TWO_STEP = EngineParams(sign_search_solves=0)


def pct(x, q):
    return float(np.percentile(x, q))


def spread(ms) -> str:
    """p50 / p90 / p99 of ``ms``; the tail only where there are enough samples for it (p90 needs
    10, p99 100; below that the maximum, named as such)."""
    ms = np.asarray(ms)
    parts = [f"p50 {pct(ms, 50):6.1f}"]
    parts.append(f"p90 {pct(ms, 90):6.1f}" if ms.size >= 10 else f"max {ms.max():6.1f}")
    if ms.size >= 100:
        parts.append(f"p99 {pct(ms, 99):6.1f}")
    elif ms.size >= 10:
        parts.append(f"max {ms.max():6.1f}")
    return " ".join(parts)


class SolverClock:
    """CPU time spent inside the interior point (every solve of every step), per account."""

    def __init__(self):
        self.seconds, self.solves = 0.0, 0
        self._inner = qp_module._interior_point

    def __enter__(self):
        def timed(*args):
            t0 = time.thread_time()
            result = self._inner(*args)
            self.seconds += time.thread_time() - t0
            self.solves += 1
            return result

        qp_module._interior_point = timed
        return self

    def __exit__(self, *exc):
        qp_module._interior_point = self._inner

    def take(self) -> tuple[float, int]:
        out = (self.seconds, self.solves)
        self.seconds, self.solves = 0.0, 0
        return out


class PhaseClock:
    """Where ``decide_account()`` spends its time: CPU time of this thread in each phase, its own
    time only (a phase called inside another is not counted twice), and each interior-point solve
    charged to the phase that called it, with its variables and iterations. Wraps the engine's
    module functions while in use (a profile, not a product feature)."""

    PHASES = (
        (decide_module, "build_problem", "build_problem"),
        (decide_module, "lot_buckets", "lot buckets"),
        (decide_module, "forecast_tracking_error", "forecast"),
        (decide_module, "solve_account", "two steps (its solves: the relaxation)"),
        (signs_module, "solve_screened", "screened solve"),
        (signs_module, "improve_sides", "side search"),
        (search_module, "_fixed_at_start", "loose lot solve"),
        (decide_module, "tradable", "tradable"),
        (tradable_module, "round_to_whole_shares", "rounding"),
        (tradable_module, "_searched", "name search"),
        (decide_module, "_explain", "explain"),
        (decide_module, "_frame", "frames"),
    )

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.sizes: dict[str, list[tuple[int, int]]] = {}
        self._stack: list[list] = []
        self._saved: list[tuple] = []

    def _charge(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def _wrap(self, inner, label: str, solve: bool = False):
        def timed(*args, **kwargs):
            now = time.thread_time()
            if self._stack:
                self._charge(self._stack[-1][0], now - self._stack[-1][1])
            name = f"solve: {self._stack[-1][0] if self._stack else '?'}" if solve else label
            self._stack.append([name, now])
            self.calls[name] = self.calls.get(name, 0) + 1
            try:
                result = inner(*args, **kwargs)
                if solve:
                    self.sizes.setdefault(name, []).append((args[0].asset.size, result.iterations))
                return result
            finally:
                now = time.thread_time()
                name, start = self._stack.pop()
                self._charge(name, now - start)
                if self._stack:
                    self._stack[-1][1] = now

        return timed

    def __enter__(self):
        wraps = [(m, f, label, False) for m, f, label in self.PHASES]
        wraps.append((qp_module, "_interior_point", "", True))
        for module, function, label, solve in wraps:
            inner = getattr(module, function)
            self._saved.append((module, function, inner))
            setattr(module, function, self._wrap(inner, label, solve))
        return self

    def __exit__(self, *exc):
        for module, function, inner in reversed(self._saved):
            setattr(module, function, inner)
        self._saved.clear()

    def account(self, fn, *args, rest: str = "the rest of decide_account()"):
        """Run ``fn(*args)`` as one account (or one shard: ``fn`` is ``decide``); the time outside
        every phase is ``rest``."""
        self._stack.append([rest, time.thread_time()])
        self.calls[rest] = self.calls.get(rest, 0) + 1
        try:
            return fn(*args)
        finally:
            name, start = self._stack.pop()
            self._charge(name, time.thread_time() - start)

    def table(self, accounts: int) -> str:
        rows = [f"{'phase (own time; solves by caller)':44s} ms/acct  calls/acct  vars  iterations"]
        for name in sorted(self.seconds, key=lambda n: -self.seconds[n]):
            sizes = np.array(self.sizes.get(name, [(0, 0)]))
            extra = (
                f"{np.median(sizes[:, 0]):6.0f} {sizes[:, 1].mean():9.1f}"
                if name in self.sizes
                else ""
            )
            rows.append(
                f"{name:44s} {self.seconds[name] / accounts * 1e3:7.2f} "
                f"{self.calls.get(name, 0) / accounts:10.2f}  {extra}"
            )
        rows.append(f"{'sum':44s} {sum(self.seconds.values()) / accounts * 1e3:7.2f}")
        return "\n".join(rows)


def phases(accounts: int, lots: int, seed: int) -> None:
    """Where ``decide_account()`` spends its time at ``lots`` lots a position (``PhaseClock``)."""
    model, sectors = synthetic_model(500, 40, seed)
    params = EngineParams()
    shard = synthetic_shard(model, sectors, accounts, lots, seed + lots)
    screen = screen_accounts(shard, model, params)
    _load_compiled(shard, model, params, screen)
    load = os.getloadavg()[0]
    with PhaseClock() as clock:
        for a in range(shard.m):
            clock.account(decide_account, shard, a, model, params, screen)
    print(
        f"# phases: {lots} lots a position, {shard.m} accounts, CPU ms of this thread per account, "
        f"load {load:.1f}-{os.getloadavg()[0]:.1f}"
    )
    print(clock.table(shard.m))


class _Decided(Exception):
    """Raised once a night shard's ``decide()`` is timed: its decide step writes nothing."""


def night_phases(night_dir: Path, inbox: Path, shards: int, as_of: str) -> None:
    """Where ``decide()`` spends its time on real accounts: the first ``shards`` shards of a
    prepared night (after ``python -m benchmarks.bench_night ... --keep``), each read as the
    night's decide step reads it and decided once under the ``PhaseClock``; nothing is written
    (the step is stopped when ``decide()`` returns). The synthetic accounts of ``--phases`` hold
    every name of their index, so the whole-share name search never runs there; on a generated
    night's accounts it is the largest phase (README "Measuring")."""
    from datetime import date

    from recorded_night import kept_night

    import pipelines.night._decide as step
    from pipelines.night._run import Night

    class Rerun(Night):
        """The kept night, its decide step run again without its markers."""

        def is_done(self, *args, **kwargs) -> bool:
            return False

        def mark_started(self, *args, **kwargs) -> None:
            return None

    night = kept_night(night_dir, inbox, date.fromisoformat(as_of), Rerun)
    keys = night.done_info("prepare")["shards"]
    decide = step.decide
    clock = PhaseClock()
    timed = {"accounts": 0, "triggered": 0, "warm": False}

    def stop_after(inputs, model, params):
        if not timed["warm"]:  # the first shard loads every compiled kernel, untimed
            decide(inputs, model, params)
            raise _Decided
        screen = screen_accounts(inputs, model, params)
        timed["accounts"] += inputs.m
        timed["triggered"] += int(screen.triggered.sum())
        with clock:
            clock.account(decide, inputs, model, params, rest="the rest of decide()")
        raise _Decided

    step.decide = stop_after
    try:
        load = os.getloadavg()[0]
        for k in [keys[0], *keys[:shards]]:
            try:
                step.decide_step(night, k)
            except _Decided:
                timed["warm"] = True
    finally:
        step.decide = decide
    n = timed["triggered"]
    print(
        f"# phases of decide() on {shards} shards of {night_dir}: {timed['accounts']} accounts, "
        f"{n} triggered; CPU ms of this thread per triggered account, load "
        f"{load:.1f}-{os.getloadavg()[0]:.1f}"
    )
    print(clock.table(n))


def _load_compiled(shard, model, params, screen) -> None:
    """Decide the first few accounts untimed: each process loads every compiled kernel once
    (numba's cache, ~0.1-0.3 s a kernel), the solver's on the first account, the name search's on
    the first that searches names, which at 1 lot a position need not be the first."""
    for a in range(min(5, shard.m)):
        decide_account(shard, a, model, params, screen)


def speed(accounts: int, baseline_accounts: int, seed: int, baseline: bool) -> None:
    model, sectors = synthetic_model(500, 40, seed)
    params = EngineParams()
    print(
        f"# speed: 500 names, 40 factors, {accounts} accounts per row (baselines on the first "
        f"{min(baseline_accounts, accounts) if baseline else 0}), one BLAS thread, CPU ms of this "
        "thread"
    )
    print(
        "lots/pos  vars | load  | decide_account() ms                | solver ms p50 (solves, "
        "iterations) | decide()/acct | two steps (no side search) p50: ours  cvxpy+clarabel  "
        "clarabel direct | ratio cvxpy / direct | rel. gap median / max"
    )
    for lots in (1, 5, 20):
        load = os.getloadavg()[0]
        shard = synthetic_shard(model, sectors, accounts, lots, seed + lots)
        screen = screen_accounts(shard, model, params)
        _load_compiled(shard, model, params, screen)
        whole, solver, solves, iterations = [], [], [], []
        with SolverClock() as clock:
            for a in range(shard.m):
                t0 = time.thread_time()
                _, _, record = decide_account(shard, a, model, params, screen)
                whole.append((time.thread_time() - t0) * 1e3)
                seconds, count = clock.take()
                solver.append(seconds * 1e3)
                solves.append(count)
                iterations.append(record["iterations"])
        # variables of the first rung's problem (the size the columns are named by)
        nvars = [
            build_problem(shard, a, model, params).qp.asset.size for a in range(min(5, shard.m))
        ]
        t0 = time.thread_time()
        decide(shard, model, params)
        per_account = (time.thread_time() - t0) * 1e3 / shard.m
        ours, base, direct, gaps = [], [], [], []
        for a in range(min(baseline_accounts, shard.m) if baseline else 0):
            t0 = time.thread_time()
            problem = build_problem(shard, a, model, _TWO_STEP)
            dec = solve_account(problem, shard.identical_group, _TWO_STEP)
            ours.append((time.thread_time() - t0) * 1e3)
            v_cvx, t_cvx, t_direct = baseline_two_step(problem, dec.keep)
            base.append(t_cvx * 1e3)
            direct.append(t_direct * 1e3)
            f_ours = problem.qp.objective(np.concatenate([dec.buys, dec.sells]))
            f_cvx = problem.qp.objective(v_cvx)
            gaps.append((f_ours - f_cvx) / abs(f_cvx + problem.te2_offset))
        row = (
            f"{lots:8d} {int(np.median(nvars)):5d} | {load:4.1f}-"
            f"{os.getloadavg()[0]:4.1f} | {spread(whole)} | "
            f"{pct(solver, 50):9.1f} ({np.median(solves):4.1f}, {np.median(iterations):5.0f}) | "
            f"{per_account:13.1f} | "
        )
        if ours:
            row += (
                f"{pct(ours, 50):19.1f} {pct(base, 50):14.1f} {pct(direct, 50):15.1f} | "
                f"{np.median(base) / np.median(ours):5.1f}x / "
                f"{np.median(direct) / np.median(ours):4.1f}x | {np.median(gaps):+.1e} / "
                f"{np.max(gaps):+.1e}"
            )
        print(row)


def end_to_end(accounts: int, seed: int) -> None:
    """What the side search costs and buys: ``decide_account()`` per account with it (engine
    default) and without it (two steps alone), in the same run."""
    model, sectors = synthetic_model(500, 40, seed)
    print(
        "# side search: decide_account() per account, CPU ms (every account triggered); "
        "two steps alone -> with the side search"
    )
    print("lots/pos  two steps ms | with the search ms | objective p50 before -> after | statuses")
    for lots in (1, 5, 20):
        shard = synthetic_shard(model, sectors, accounts, lots, seed + lots)
        screen = screen_accounts(shard, model, _DEFAULT)
        _load_compiled(shard, model, _DEFAULT, screen)
        ms, obj = {}, {}
        for label, params in (("before", _TWO_STEP), ("after", _DEFAULT)):
            times, objective, statuses = [], [], []
            for a in range(shard.m):
                t0 = time.thread_time()
                _, _, record = decide_account(shard, a, model, params, screen)
                times.append((time.thread_time() - t0) * 1e3)
                objective.append(record["objective"])
                statuses.append(record["status"])
            ms[label], obj[label] = np.array(times), np.array(objective)
        counts = {str(k): int(n) for k, n in zip(*np.unique(statuses, return_counts=True))}
        print(
            f"{lots:8d}  {spread(ms['before'])} | {spread(ms['after'])} | "
            f"{np.nanmedian(obj['before']):.5f} -> {np.nanmedian(obj['after']):.5f} | {counts}"
        )


def exhaustive(problem, groups, params):
    """Best objective over every side assignment of the contested groups (2^c convex solves)."""
    contested = contested_groups(problem, groups)
    best = np.inf
    for sides in itertools.product((False, True), repeat=contested.size):
        sell = np.array(sides, bool)
        keep = keep_for_sides(problem, groups, contested[sell], contested[~sell])
        res = solve_trade_qp(
            problem.qp.restrict(keep), params.solver_tolerance, params.solver_max_iterations
        )
        if res.status == "optimal":
            best = min(best, res.objective + problem.te2_offset)
    return best, contested.size


def quality(instances: int, seed: int) -> None:
    model, sectors = synthetic_model(12, 14, seed)
    methods = {
        "two-step, side = sign of relaxed net trade (Moehle et al.)": EngineParams(
            sign_method=SignMethod.TWO_STEP, sign_search_solves=0
        ),
        "two-step, side = cheaper removal (before the search)": EngineParams(sign_search_solves=0),
        "two-step + side search, 4 solves": EngineParams(
            sign_search_solves=4, sign_search_max_solves=4
        ),
        f"two-step + side search, engine default (4, up to {_DEFAULT.sign_search_max_solves} "
        f"within {_DEFAULT.sign_search_work:,} variable-solves)": _DEFAULT,
        "relax-and-net heuristic (no second solve)": EngineParams(
            sign_method=SignMethod.RELAX_AND_NET
        ),
    }
    rows, sizes = [], []
    for i in range(instances):
        shard = synthetic_shard(model, sectors, 1, 3, seed + 1000 + i, identical_pairs=2)
        problem = build_problem(shard, 0, model, EngineParams())
        best, c = exhaustive(problem, shard.identical_group, _TWO_STEP)
        sizes.append(c)
        scale = max(abs(best), 1e-9)
        rows.append(
            [
                (solve_account(problem, shard.identical_group, p).objective - best) / scale
                for p in methods.values()
            ]
        )
    r = np.array(rows)
    print(
        f"# quality: {instances} instances, 12 names, 3 lots each, exhaustive search over the "
        "sides of "
        f"{np.median(sizes):.0f} (max {max(sizes)}) contested groups; gap = (f - f*) / |f*|"
    )
    for j, name in enumerate(methods):
        g = r[:, j]
        print(
            f"{name:60s} median {np.median(g):.2e}  p95 {pct(g, 95):.2e}  max {g.max():.2e}  "
            f"optimal (gap <= 1e-6) in {np.mean(g <= 1e-6):.0%}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument(
        "--baseline-accounts",
        type=int,
        default=20,
        help="accounts also solved by cvxpy + Clarabel and by Clarabel directly (slow)",
    )
    ap.add_argument(
        "--quality", type=int, default=0, help="instances for the exhaustive-sign study"
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--no-cvxpy", action="store_true", help="skip the comparison with cvxpy + Clarabel (slow)"
    )
    ap.add_argument(
        "--side-search",
        action="store_true",
        help="also time decide_account() with and without the side search",
    )
    ap.add_argument(
        "--phases",
        type=int,
        default=0,
        metavar="LOTS",
        help="only print where decide_account() spends its time at LOTS lots a position",
    )
    ap.add_argument(
        "--night",
        nargs=2,
        metavar=("NIGHT", "INBOX"),
        help="with --phases: the phases of decide() on the first --shards shards of a prepared "
        "night (its folder and inbox), not on synthetic accounts",
    )
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--as-of", default="2026-11-24", help="the night's date (with --night)")
    args = ap.parse_args()
    if args.night:
        night_phases(Path(args.night[0]), Path(args.night[1]), args.shards, args.as_of)
        return
    if args.phases:
        phases(args.accounts, args.phases, args.seed)
        return
    if args.accounts:
        speed(args.accounts, args.baseline_accounts, args.seed, not args.no_cvxpy)
    if args.accounts and args.side_search:
        end_to_end(args.accounts, args.seed)
    if args.quality:
        quality(args.quality, args.seed)


if __name__ == "__main__":
    main()
