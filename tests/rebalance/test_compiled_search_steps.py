"""Two inner steps of rounding made faster without changing a trade (issue 23; issue 17's decide
time): the whole-share name search (``_sampling``), compiled (``_sampling_steps``), makes the moves
the numpy search made (``tests/rebalance/numpy_name_search.py``), and its pairing of swaps is the
numpy expression it replaced; the pass of ``whole_orders`` over each sold security (step 5 of
``_rounding``) skips only securities whose sale its own test would pass over: whole shares, or the
whole position."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from numba import njit

import sma.rebalance._sampling as sampling
import sma.rebalance._sampling_steps as steps
from sma.rebalance import EngineParams, build_problem
from sma.rebalance._rounding import (
    _SNAP,
    WholeShares,
    _maybe_fractional_sales,
    round_to_whole_shares,
)
from sma.rebalance._sampling import choose_names
from sma.rebalance._sampling_steps import best_pair, hessian_scale
from sma.rebalance._signs import ContinuousDecision
from tests.example_counts import fast_and_full, property_examples
from tests.rebalance.numpy_name_search import numpy_choose_names
from tests.rebalance.test_whole_share_sampling import account, index_universe, small_accounts

CENT = 0.005


def _numpy_pairing(rc, rcash, rdz, rj, rgroup, rloss, bc, bcash, bdz, bj, bgroup, Q, spendable):
    """The pairing as it was written in numpy (sma/rebalance/_sampling.py at 1048466,
    ``_Search._best_swap``): the specification the compiled pass must keep."""
    total = rc[:, None] + bc[None, :] + rdz[:, None] * bdz[None, :] * Q[np.ix_(rj, bj)]
    same = rj[:, None] == bj[None, :]
    short = spendable + rcash[:, None] - bcash[None, :] < -CENT
    total[same | short] = np.inf
    total[rloss[:, None] & (rgroup[:, None] == bgroup[None, :])] = np.inf
    r, c = np.unravel_index(int(np.argmin(total)), total.shape)
    return (float(total[r, c]), int(r), int(c)) if np.isfinite(total[r, c]) else None


def _pairing_instance(seed: int):
    """Random raising moves and buys over 60 securities in 20 identical groups; some changes tied
    (rounded to a coarse grid) and some pairs the cash does not cover."""
    rng = np.random.default_rng(seed)
    n, m, s = 60, int(rng.integers(1, 40)), int(rng.integers(1, 40))
    B = rng.normal(0, 0.2, (n, 5))
    Q = B @ B.T
    group = rng.integers(0, 20, n)
    rj, bj = rng.integers(0, n, m), rng.integers(0, n, s)
    tied = rng.random() < 0.5
    rc = rng.normal(0, 1e-4, m)
    bc = rng.normal(0, 1e-4, s)
    if tied:
        rc, bc = np.round(rc, 4), np.round(bc, 4)
    return (
        rc,
        rng.uniform(0, 2_000, m),
        -rng.uniform(0, 1e-3, m),
        rj,
        group[rj],
        rng.random(m) < 0.4,
        bc,
        rng.uniform(0, 3_000, s),
        rng.uniform(0, 1e-3, s) * (0 if tied else 1),
        bj,
        group[bj],
        Q,
        float(rng.uniform(-500, 1_500)),
    )


def _pairs_as_numpy(args) -> None:
    """``best_pair`` on a pairing instance (``_pairing_instance``'s layout) picks the numpy
    pairing's swap, to the bit, or none where it finds none."""
    expected = _numpy_pairing(*args)
    *moves, Q, spendable = args
    total, r, c = best_pair(*moves, Q, hessian_scale(Q), spendable, CENT)
    if expected is None:
        assert (r, c) == (-1, -1) and total == np.inf
    else:
        assert (float(total), int(r), int(c)) == expected  # to the bit


@pytest.mark.parametrize("seed", range(40))
def test_compiled_pairing_picks_the_swap_the_numpy_pairing_picked(seed):
    _pairs_as_numpy(_pairing_instance(seed))


@pytest.mark.parametrize("seed", range(40))
def test_a_ceiling_keeps_the_swap_below_it_and_finds_none_at_it(seed):
    """The search asks only for a swap that beats its best single move and its threshold: below
    that ceiling the numpy pairing's swap, at it none."""
    args = _pairing_instance(seed)
    expected = _numpy_pairing(*args)
    *moves, Q, spendable = args
    if expected is None:
        return
    scale = hessian_scale(Q)
    at = best_pair(*moves, Q, scale, spendable, CENT, expected[0])
    above = best_pair(*moves, Q, scale, spendable, CENT, np.nextafter(expected[0], np.inf))
    assert at == (np.inf, -1, -1)
    assert (float(above[0]), int(above[1]), int(above[2])) == expected


@pytest.mark.parametrize("seed", range(60))
def test_buys_in_bands_of_cash_leave_no_pair_the_cash_covers(seed):
    """The pairing passes over the buys in bands of cash (a power of two each) and stops at the
    first band a row's cash does not cover: the swap is still the numpy pairing's, with buys'
    cash from cents to $100k, exact powers of two (a band's edge), zero, negative and cash that
    covers a buy only within the cent of tolerance."""
    args = list(_pairing_instance(seed))
    rng = np.random.default_rng(1_000 + seed)
    s, rcash = args[7].size, args[1]
    bcash = 10.0 ** rng.uniform(-2, 5, s)
    edge = rng.random(s)
    bcash[edge < 0.2] = 2.0 ** rng.integers(-3, 16, s)[edge < 0.2]
    bcash[(edge >= 0.2) & (edge < 0.25)] = 0.0
    bcash[(edge >= 0.25) & (edge < 0.3)] = -rng.uniform(0, 100, s)[(edge >= 0.25) & (edge < 0.3)]
    near = (edge >= 0.3) & (edge < 0.4)  # a row's cash plus spendable, give or take a cent
    bcash[near] = (
        rcash[rng.integers(0, rcash.size, s)][near]
        + args[-1]
        + rng.choice([-CENT, 0.0, CENT, np.nextafter(CENT, 1.0)], s)[near]
    )
    args[7] = bcash
    args[6] = np.where(near, args[6] - 1e-3, args[6])  # the buys at the edge of cover the best
    _pairs_as_numpy(args)


def test_a_buy_the_cash_covers_within_a_cent_is_paired_alone_in_its_band():
    """$100 raised buys a share of $100.004 (a cent's tolerance), the cheapest of its band."""
    Q = np.eye(4) * 1e-6
    total, r, c = best_pair(
        np.array([-1.0]), np.array([100.0]), np.array([-0.1]), np.array([0]), np.array([0]),
        np.array([False]), np.array([-1.0, -0.5, -0.4]), np.array([100.004, 120.0, 3.0]),
        np.array([0.1, 0.1, 0.1]), np.array([1, 2, 3]), np.array([1, 2, 3]), Q, hessian_scale(Q),
        0.0, CENT,
    )  # fmt: skip
    assert (r, c) == (0, 0)


@pytest.mark.parametrize("seed", range(10))
def test_the_scales_bound_every_cross_term_of_a_gram_matrix(seed):
    """The pairing leaves pairs by ``|Q[i, j]| <= scale[i] * scale[j]`` (Cauchy-Schwarz): it must
    hold of ``B B'`` as floats compute it, rows of any size, zero rows and parallel rows too."""
    rng = np.random.default_rng(seed)
    B = rng.normal(0, 1, (300, 19)) * 10.0 ** rng.uniform(-6, 3, (300, 1))
    B[:5] = 0.0
    B[5:40] = B[40:75] * rng.uniform(-3, 3, (35, 1))  # parallel rows: the bound is tight
    Q = B @ B.T
    scale = hessian_scale(Q)
    assert (np.abs(Q) <= np.outer(scale, scale)).all()


def test_no_pair_is_allowed_when_every_buy_is_of_the_security_raised():
    Q = np.eye(3)
    one = np.array([1])
    total, r, c = best_pair.py_func(
        np.array([-1.0]), np.array([100.0]), np.array([-0.1]), one, one, np.array([False]),
        np.array([-1.0]), np.array([50.0]), np.array([0.1]), one, one, Q, np.ones(3), 0.0, CENT,
    )  # fmt: skip
    assert (total, r, c) == (np.inf, -1, -1)


def test_a_loss_sale_is_not_paired_with_a_buy_of_its_identical_group():
    """The wash-sale sign rule (IRS Publication 550, "Wash Sales"): no loss sale beside a buy of a
    substantially identical security the same night."""
    Q = np.zeros((3, 3))
    args = dict(
        raise_change=np.array([-1.0]), raise_cash=np.array([100.0]), raise_dz=np.array([-0.1]),
        raise_security=np.array([0]), raise_group=np.array([7]),
        buy_change=np.array([-2.0, -1.0]), buy_cash=np.array([50.0, 50.0]),
        buy_dz=np.array([0.1, 0.1]), buy_security=np.array([1, 2]), buy_group=np.array([7, 8]),
        Q=Q, q_scale=np.zeros(3), spendable=0.0, cent=CENT,
    )  # fmt: skip
    assert best_pair(raise_loss=np.array([False]), **args)[2] == 0
    assert best_pair(raise_loss=np.array([True]), **args)[2] == 1


def _copy(ws: WholeShares) -> WholeShares:
    return replace(ws, buy=ws.buy.copy(), sell=ws.sell.copy())


def _search_both(shard, model, moves: int):
    """The rounded no-trade start of the shard's account, searched by the compiled and by the
    numpy search: (compiled trades and moves, numpy trades and moves)."""
    params = EngineParams()
    problem = build_problem(shard, 0, model, params)
    nb, nl = problem.n_buys, problem.lots.size
    start = round_to_whole_shares(
        problem, ContinuousDecision(np.zeros(nb), np.zeros(nl), "optimal", 0.0, 0, 0), shard, params
    )
    args = (
        problem,
        float(shard.cash[0]),
        float(shard.cash_target[0] * problem.value),
        problem.budget * problem.value,
        float(shard.min_trade_value[0]),
        params.trading_cost,
        shard.identical_group[problem.assets],
        moves,
    )
    compiled, spec = _copy(start.shares), _copy(start.shares)
    return (compiled, choose_names(compiled, *args)), (spec, numpy_choose_names(spec, *args))


@pytest.mark.slow
def test_a_50k_account_funded_with_cash_gets_the_moves_the_numpy_search_made():
    """A first night from $50k cash over 300 names: a first buy of many names, then swaps."""
    symbols, prices, weights, model = index_universe(300, seed=17)
    (compiled, made), (spec, made_spec) = _search_both(
        account(symbols, prices, weights, cash=50_000.0), model, 1000
    )
    assert made == made_spec > 50
    np.testing.assert_array_equal(compiled.buy, spec.buy)
    np.testing.assert_array_equal(compiled.sell, spec.sell)


@property_examples(6, 60, given(kw=small_accounts()), suppress_health_check=[HealthCheck.too_slow])
def test_the_compiled_name_search_makes_the_moves_the_numpy_search_made(kw):
    """On small accounts with lots at gains and losses, restrictions, wash-sale blocks, a gain
    budget, identical pairs, cash or a withdrawal: the same trades, to the bit."""
    symbols, prices, weights = kw.pop("symbols"), kw.pop("prices"), kw.pop("weights")
    _, _, _, model = index_universe(40, seed=0)
    (compiled, made), (spec, made_spec) = _search_both(
        account(symbols, prices, weights, **kw), model, 400
    )
    assert made == made_spec
    np.testing.assert_array_equal(compiled.buy, spec.buy)
    np.testing.assert_array_equal(compiled.sell, spec.sell)


@pytest.fixture
def python_search(monkeypatch):
    """The compiled search as plain Python: what numba compiles, run line by line."""
    for name, kernel in list(vars(steps).items()):
        if hasattr(kernel, "py_func"):
            monkeypatch.setattr(steps, name, kernel.py_func)
    monkeypatch.setattr(sampling, "search_moves", steps.search_moves)


@fast_and_full(3, 15)
def test_the_compiled_search_is_its_python_reading(examples, python_search):
    """The fixture's Python reading of the search makes the numpy search's moves (what coverage
    sees of the compiled steps)."""
    settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )(given(kw=small_accounts())(_python_reading_moves))()


def _python_reading_moves(kw):
    symbols, prices, weights = kw.pop("symbols"), kw.pop("prices"), kw.pop("weights")
    _, _, _, model = index_universe(40, seed=0)
    (python, made), (spec, made_spec) = _search_both(
        account(symbols, prices, weights, **kw), model, 400
    )
    assert made == made_spec
    np.testing.assert_array_equal(python.buy, spec.buy)
    np.testing.assert_array_equal(python.sell, spec.sell)


def _sales(seed: int) -> tuple[WholeShares, np.ndarray, np.ndarray, np.ndarray]:
    """Sales of 1-6 lots in each of 80 securities: whole shares, whole positions, fractions, and
    sums within a few float ulps of either test's edge."""
    rng = np.random.default_rng(seed)
    n_sec = 80
    per = rng.integers(1, 7, n_sec)
    asset = np.repeat(np.arange(n_sec), per)
    qty = np.round(rng.uniform(0.2, 40, asset.size), int(rng.integers(0, 4)))
    sell = np.where(rng.random(asset.size) < 0.7, np.floor(qty * rng.random(asset.size)), 0.0)
    kind = rng.integers(0, 5, n_sec)
    for sec in range(n_sec):
        mine = np.flatnonzero(asset == sec)
        if kind[sec] == 1:  # the whole position, one lot a float hair short
            sell[mine] = qty[mine]
            sell[mine[0]] -= rng.choice([0.0, 1e-12, _SNAP, 2 * _SNAP])
        elif kind[sec] == 2:  # a fraction of a share
            sell[mine[0]] = min(qty[mine[0]], sell[mine[0]] + rng.uniform(0, 1))
        elif kind[sec] == 3:  # whole shares give or take float noise and the snap
            sell[mine[0]] += rng.choice([1e-13, -1e-13, _SNAP, -_SNAP, 1.1 * _SNAP, -1.1 * _SNAP])
    sell = np.clip(sell, 0.0, qty)
    n = asset.size
    ws = WholeShares(
        buy=np.zeros(0), sell=sell, buy_price=np.zeros(0), sell_price=np.full(n, 10.0),
        lot_qty=qty, gain_per_share=rng.normal(0, 5, n), buy_asset=np.zeros(0, int),
        sell_asset=asset, buy_wanted=np.zeros(0),
    )  # fmt: skip
    return ws, asset, qty, asset


@pytest.mark.parametrize("seed", range(30))
def test_whole_orders_passes_over_only_sales_that_are_whole_shares_or_the_whole_position(seed):
    """Step 5 of rounding looks at every security the loop would change; the ones it skips are,
    by the loop's own sums, the whole position or whole shares."""
    ws, asset_of, held_qty, held_security = _sales(seed)
    looked_at = set(_maybe_fractional_sales(ws, asset_of, held_qty, held_security).tolist())
    changed_by_loop = 0
    for sec in np.unique(asset_of[ws.sell > 0]):
        sold = float(ws.sell[np.flatnonzero(asset_of == sec)].sum())
        held = float(held_qty[held_security == sec].sum())
        passed_over = sold >= held - _SNAP or sold - np.floor(sold + _SNAP) <= _SNAP
        if not passed_over:
            changed_by_loop += 1
            assert sec in looked_at
    assert changed_by_loop > 0, "the instance must have sales the loop changes"
    assert len(looked_at) < np.unique(asset_of[ws.sell > 0]).size, "and sales it passes over"


def test_no_sale_leaves_nothing_to_look_at():
    ws, asset_of, held_qty, held_security = _sales(0)
    ws.sell[:] = 0.0
    assert _maybe_fractional_sales(ws, asset_of, held_qty, held_security).size == 0


@pytest.mark.parametrize("reading", ["compiled", "python"])
def test_the_moves_paired_are_the_128_best_and_of_ties_at_the_cut_the_first(reading):
    """The order kept from move to move (any order before: the last move's) gives the 128 lowest
    finite changes, lowest first, of equal changes the first."""
    keep = steps._keep_best if reading == "compiled" else steps._keep_best.py_func
    best = steps._best if reading == "compiled" else steps._best.py_func
    rng = np.random.default_rng(3)

    def paired(change):
        order, keys = rng.permutation(change.size), np.empty(change.size)
        keep(order, keys, change)
        return best(order, keys)

    change = rng.normal(size=400)
    change[rng.random(400) < 0.2] = np.inf
    change[rng.random(400) < 0.05] = np.nan
    finite = np.flatnonzero(np.isfinite(change))
    expected = finite[np.argsort(change[finite], kind="stable")[:128]]
    np.testing.assert_array_equal(paired(change), expected)
    tied = np.where(np.arange(400) % 2 == 0, 0.0, 1.0)  # 200 tied at the lowest value
    np.testing.assert_array_equal(paired(tied), np.arange(0, 256, 2))
    assert paired(np.array([np.inf, 2.0, 1.0])).tolist() == [2, 1]


def test_the_order_kept_from_move_to_move_gives_the_128_best_of_each_move():
    """Changes that drift a little each move, some not allowed (inf) and some tied: the order kept
    from the last move gives what sorting each move afresh would."""
    rng = np.random.default_rng(5)
    drift = rng.normal(size=300)
    order, keys = np.arange(300), np.empty(300)
    for _ in range(60):
        drift += rng.normal(0, 0.05, 300)
        change = np.round(drift, 2)
        change[rng.random(300) < 0.1] = np.inf
        steps._keep_best(order, keys, change)
        finite = np.flatnonzero(np.isfinite(change))
        expected = finite[np.argsort(change[finite], kind="stable")[:128]]
        np.testing.assert_array_equal(steps._best(order, keys), expected)


@pytest.mark.parametrize("seed", range(10))
def test_the_lots_of_each_security_are_the_stable_sort_of_their_securities(seed):
    """A sale's move recomputes USD sold of its security over its lots in lot order: the counting
    sort gives the lots in the order a stable argsort does."""
    rng = np.random.default_rng(seed)
    na = int(rng.integers(1, 50))
    sell_j = rng.integers(0, na, int(rng.integers(0, 400)))
    order, start = steps._lots_of(sell_j, na)
    np.testing.assert_array_equal(order, np.argsort(sell_j, kind="stable"))
    np.testing.assert_array_equal(
        start, np.concatenate([[0], np.cumsum(np.bincount(sell_j, minlength=na))])
    )


@pytest.mark.parametrize("seed", range(10))
def test_cash_is_the_dot_product_of_the_numpy_search_to_the_bit(seed):
    """Cash bought and sold, ``np.dot((1 + tc) * shares, price)`` as the search compiled it, from
    products kept in place."""
    compiled = njit(lambda shares, rate, price: np.dot(rate * shares, price))
    rng = np.random.default_rng(seed)
    n, tc = int(rng.integers(0, 3_000)), float(rng.uniform(0, 0.01))
    shares = np.round(rng.exponential(20, n), int(rng.integers(0, 4)))
    price = rng.uniform(1, 3_000, n)
    for rate in (1 + tc, 1 - tc):
        got = steps._scaled_dot(shares, rate, price, np.empty(n))
        assert got == compiled(shares, rate, price)
