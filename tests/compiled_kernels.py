"""Compile the engine's numba kernels once, in the process that starts the test workers.

``make test`` runs the tests in two xdist workers on a fresh clone, where numba's cache
(``sma/rebalance/__pycache__``) is empty: each worker compiled every kernel itself, about 40 s of
CPU each, longer under coverage's tracer. Compiled first by ``python -m tests.compiled_kernels``
(``tests/conftest.py``, before the workers start; a process of its own, so coverage does not trace
numba's compiler), they load the kernels from the cache (about 2 s) (issue 18).
"""

from __future__ import annotations


def compile_kernels() -> None:
    """Decide one small account funded with cash (the whole-share name search, the leftover
    investing and the interior point) and one random QP (the solve that can stop at a bound)."""
    import numpy as np

    import sma.rebalance._interior_point as ip
    from sma.rebalance import decide
    from tests.rebalance.test_interior_point import arguments
    from tests.rebalance.test_qp import random_qp
    from tests.rebalance.test_whole_share_sampling import account, index_universe

    symbols, prices, weights, model = index_universe(60, seed=17)
    decide(account(symbols, prices, weights, cash=50_000.0), model)
    qp = random_qp(1)
    ip.interior_point(*arguments(qp))
    ip.solve_from(*arguments(qp), np.inf, np.empty(0), 0)


if __name__ == "__main__":
    compile_kernels()
