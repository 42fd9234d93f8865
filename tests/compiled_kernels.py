"""Compile the engine's numba kernels once, in the process that starts the test workers.

``make test`` runs the tests in two xdist workers on a fresh clone, where numba's cache
(``sma/rebalance/__pycache__``) is empty: each worker compiled every kernel itself, about 40 s of
CPU each, longer under coverage's tracer. Compiled first by ``python -m tests.compiled_kernels
solver`` and ``... search`` side by side (``tests/conftest.py``, before the workers start;
processes of their own, so coverage does not trace numba's compiler), the workers load the
kernels from the cache (about 2 s) (issue 18).
"""

from __future__ import annotations

import sys


def compile_solver() -> None:
    """The interior point: a random QP solved whole, and once stopping at a bound."""
    import numpy as np

    import sma.rebalance._interior_point as ip
    from tests.rebalance.test_interior_point import arguments
    from tests.rebalance.test_qp import random_qp

    qp = random_qp(1)
    ip.interior_point(*arguments(qp))
    ip.solve_from(*arguments(qp), np.inf, np.empty(0), 0)


def compile_search() -> None:
    """The whole-share name search on a small account funded with cash, then that account
    decided: the leftover investing, and the interior point from the cache (the solver's process
    has written it by then, or this one compiles what is missing)."""
    from sma.rebalance import decide
    from sma.rebalance._sampling_steps import best_pair, hessian_scale
    from tests.rebalance.test_compiled_search_steps import CENT, _pairing_instance, _search_both
    from tests.rebalance.test_whole_share_sampling import account, index_universe

    symbols, prices, weights, model = index_universe(60, seed=17)
    _search_both(account(symbols, prices, weights, cash=50_000.0), model, 100)
    *moves, Q, spendable = _pairing_instance(0)  # the pairing's own test calls it with these types
    best_pair(*moves, Q, hessian_scale(Q), spendable, CENT)
    decide(account(symbols, prices, weights, cash=50_000.0), model)
    compile_band()


def compile_band() -> None:
    """The drift bands' moves and their search (``sma.uma``), with the types ``_Band`` gives
    them."""
    import numpy as np

    from sma.uma._band import band_moves, best_band_move

    two = np.array([0.1, -0.1])
    best_band_move(
        np.array([1.0]),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        two,
        two,
        (np.zeros(2), np.zeros(2, bool)),
        10.0,
        (np.zeros((1, 2)), np.zeros((1, 2))),
    )
    band_moves(
        np.array([1.0]),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.array([10.0, 0.0]),
        (np.array([0.5, 0.5]), np.zeros(2), np.zeros(2, bool)),
        10.0,
        (np.zeros((1, 2)), np.zeros((1, 2))),
        5,
    )


if __name__ == "__main__":
    {"solver": compile_solver, "search": compile_search}[sys.argv[1]]()
