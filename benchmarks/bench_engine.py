"""Speed and quality of the per-account optimiser (issue 4).

Speed: one core, 500 names, 40 factors, 1, 5 and 20 lots per position. For each account, the
engine's
two-step solve (build + relaxation + sign-fixed solve) against the same two-step model written in
cvxpy and solved by Clarabel, in the same run: p50/p95/p99 ms per account, speed-up of the medians,
and the relative objective gap.

Quality (``--quality``): on small instances (12 names), the two-step method and the weak
relax-and-net heuristic against exhaustive search over the buy/sell side of every contested
identical group.

    .venv/bin/python benchmarks/bench_engine.py [--accounts 30] [--quality 200] [--no-cvxpy]
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

from sma.rebalance import (  # noqa: E402
    EngineParams,
    SignMethod,
    build_problem,
    contested_groups,
    decide_account,
    keep_for_sides,
    screen_accounts,
    solve_account,
    solve_trade_qp,
)


def cvxpy_solve(qp, keep=None):
    """The same convex problem through cvxpy + Clarabel; returns (v over all variables,
    objective)."""
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
    return full, problem.solver_stats.solve_time


def cvxpy_two_step(problem, keep):
    """The same two solves through cvxpy: the relaxation, then the final problem with the engine's
    sides
    (so both end on the same convex problem and the objectives compare solver accuracy)."""
    t0 = time.thread_time()
    _, s1 = cvxpy_solve(problem.qp)
    final, s2 = cvxpy_solve(problem.qp, keep)
    return final, time.thread_time() - t0, s1 + s2


_DEFAULT = EngineParams()
_TWO_STEP = EngineParams(sign_search_solves=0)


def pct(x, q):
    return float(np.percentile(x, q))


def speed(accounts: int, seed: int) -> None:
    model, sectors = synthetic_model(500, 40, seed)
    params = EngineParams()
    sign_rule = EngineParams(sign_method=SignMethod.TWO_STEP)
    print(
        f"# speed: 500 names, 40 factors, {accounts} accounts per row, one BLAS thread, CPU "
        "time of this thread"
    )
    print(
        "lots/pos  vars   ours p50   p95    p99 ms | cvxpy+clarabel p50 ms (clarabel alone) | "
        "speed-up p50 | rel. gap median / max | iters p50 | objective p50 (Moehle sign rule)"
    )
    for lots in (1, 5, 20):
        shard = synthetic_shard(model, sectors, accounts, lots, seed + lots)
        ours, base, base_solver, gaps, iters, nvars, objs, moehle = [], [], [], [], [], [], [], []
        for a in range(shard.m):
            t0 = time.thread_time()
            problem = build_problem(shard, a, model, params)
            dec = solve_account(problem, shard.identical_group, params)
            ours.append(time.thread_time() - t0)
            iters.append(dec.iterations)
            nvars.append(problem.qp.asset.size)
            v_ours = np.concatenate([dec.buys, dec.sells])
            v_cvx, t_cvx, t_solver = cvxpy_two_step(problem, dec.keep)
            base.append(t_cvx)
            base_solver.append(t_solver)
            f_ours = problem.qp.objective(v_ours) + problem.te2_offset
            f_cvx = problem.qp.objective(v_cvx) + problem.te2_offset
            gaps.append((f_ours - f_cvx) / abs(f_cvx))
            objs.append(f_ours)
            moehle.append(solve_account(problem, shard.identical_group, sign_rule).objective)
        ms = np.array(ours) * 1e3
        print(
            f"{lots:8d} {int(np.median(nvars)):6d} {pct(ms, 50):9.1f} {pct(ms, 95):6.1f} "
            f"{pct(ms, 99):6.1f} | "
            f"{pct(np.array(base) * 1e3, 50):10.1f} "
            f"({pct(np.array(base_solver) * 1e3, 50):6.1f}) | "
            f"{np.median(base) / np.median(ours):9.1f}x | {np.median(gaps):+.1e} / "
            f"{np.max(gaps):+.1e} | "
            f"{int(np.median(iters))} | {np.median(objs):.5f} ({np.median(moehle):.5f})"
        )


def end_to_end(accounts: int, seed: int) -> None:
    """The whole ``decide`` (screen, build, solve, round, trades and records frames) per account,
    with the side search (engine default) and without it (two steps alone), in the same run."""
    model, sectors = synthetic_model(500, 40, seed)
    print(
        "# end to end: decide_account() per account, CPU ms (every account triggered); "
        "two steps alone -> with the side search"
    )
    print(
        "lots/pos  p50 before -> after   p99 before -> after | objective p50 before -> after | "
        "statuses after"
    )
    for lots in (1, 5, 20):
        shard = synthetic_shard(model, sectors, accounts, lots, seed + lots)
        screen = screen_accounts(shard, model, _DEFAULT)
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
            f"{lots:8d} {pct(ms['before'], 50):9.1f} -> {pct(ms['after'], 50):6.1f} "
            f"{pct(ms['before'], 99):9.1f} -> {pct(ms['after'], 99):6.1f} | "
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
    ap.add_argument("--accounts", type=int, default=30)
    ap.add_argument(
        "--quality", type=int, default=0, help="instances for the exhaustive-sign study"
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--no-cvxpy", action="store_true", help="skip the comparison with cvxpy + Clarabel (slow)"
    )
    args = ap.parse_args()
    if args.accounts and not args.no_cvxpy:
        speed(args.accounts, args.seed)
    if args.accounts:
        end_to_end(args.accounts, args.seed)
    if args.quality:
        quality(args.quality, args.seed)


if __name__ == "__main__":
    main()
