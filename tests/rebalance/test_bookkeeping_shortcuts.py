"""Shortcuts of the engine's bookkeeping around the solver (table lookups and early returns in
place of sorts and full passes) hold to the plain numpy they replaced, bit for bit, on seeded
random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from sma.rebalance._decide import _in_sectors
from sma.rebalance._records import TRADE_REASONS, buy_reasons, sell_reasons
from sma.rebalance._rounding import (
    WholeShares,
    _maybe_fractional_sales,
    _sales_whole,
    round_lots,
    sum_by_security,
)
from sma.rebalance._sides import _rate_codes, group_mask
from sma.rebalance._sign_search import _least_reduced_cost, _side_idle

_SECTORS = np.array(["Energy", "Financials", "Health Care", "Utilities", "Materials"], dtype=object)


@pytest.mark.parametrize("seed", range(5))
def test_buys_replace_exactly_the_sectors_np_isin_finds_harvested(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        sectors = _SECTORS[rng.integers(0, _SECTORS.size, rng.integers(0, 60))]
        harvested = sectors[rng.random(sectors.size) < 0.2]
        expected = np.isin(sectors, np.unique(harvested))
        np.testing.assert_array_equal(_in_sectors(sectors, harvested), expected)


def test_sector_names_that_are_not_strings_are_left_to_np_isin():
    sectors = np.array(["Energy", None, "Utilities", 3], dtype=object)
    harvested = np.array([3, 4], dtype=object)
    np.testing.assert_array_equal(_in_sectors(sectors, harvested), [False, False, False, True])


@pytest.mark.parametrize("seed", range(5))
def test_lot_tax_rates_rank_as_np_unique_ranks_them(seed):
    rng = np.random.default_rng(seed)
    choices = [
        np.array([0.37]),
        np.array([0.37, 0.2]),
        np.array([0.0]),
        np.array([0.37, 0.2, 0.1]),
        np.array([np.nan, 0.2]),
        np.array([-0.0, 0.0, 0.2]),
    ]
    for rates in choices:
        for size in (0, 1, 7, 200):
            rate = rates[rng.integers(0, rates.size, size)]
            code, n_rates = _rate_codes(rate)
            _, expected = np.unique(rate, return_inverse=True)
            np.testing.assert_array_equal(code, expected)
            assert n_rates == (int(expected.max()) + 1 if size else 1)


@pytest.mark.parametrize("seed", range(5))
def test_sales_called_whole_leave_whole_orders_nothing_to_look_at(seed):
    rng = np.random.default_rng(seed)
    for _ in range(300):
        na, nl = int(rng.integers(1, 8)), int(rng.integers(1, 25))
        assets = np.sort(rng.choice(40, na, replace=False))
        sell_asset = rng.integers(0, na, nl)
        qty = rng.integers(1, 50, nl) + np.where(rng.random(nl) < 0.2, 0.4144, 0.0)
        noise = rng.choice([0.0, 0.0, 1e-7, -1e-7, 1e-9, -1e-9, 0.5, 0.4144], nl)
        sell = np.clip(np.floor(qty * rng.random(nl)) + noise, 0.0, qty)
        sell[rng.random(nl) < 0.3] = 0.0
        ws = WholeShares(
            np.zeros(0), sell, np.zeros(0), np.ones(nl), qty, np.zeros(nl),
            np.zeros(0, np.int64), sell_asset, np.zeros(0),
        )  # fmt: skip
        looked_at = _maybe_fractional_sales(ws, assets[sell_asset], qty, assets[sell_asset])
        if _sales_whole(ws, na):
            assert looked_at.size == 0


@pytest.mark.parametrize("seed", range(3))
def test_trade_reasons_are_the_first_rule_that_holds_as_np_select_picks_it(seed):
    rng = np.random.default_rng(seed)
    code = {reason: i for i, reason in enumerate(TRADE_REASONS)}
    for _ in range(500):
        n = int(rng.integers(0, 30))
        excluded, legacy = rng.random(n) < 0.2, rng.random(n) < 0.2
        realized, harvests, raising = rng.normal(0, 1, n), rng.random() < 0.5, rng.random() < 0.5
        expected = np.select(
            [excluded, harvests & (realized < 0), legacy, np.full(n, raising)],
            [code["RESTRICTION"], code["HARVEST"], code["TRANSITION"], code["CASH_RAISE"]],
            code["REBALANCE"],
        )
        np.testing.assert_array_equal(
            sell_reasons(excluded, realized, harvests, legacy, raising), expected
        )
        replaces, investing = rng.random(n) < 0.3, rng.random() < 0.5
        expected = np.select(
            [replaces, np.full(n, investing)],
            [code["REPLACE"], code["CASH_INVEST"]],
            code["REBALANCE"],
        )
        np.testing.assert_array_equal(buy_reasons(replaces, investing), expected)


def _numpy_round_lots(sells, value, prices, security, lot_qty, lot_basis, lots, lot_gain, unit,
                      nearest):  # fmt: skip
    """The lot sales as ``_shares`` computed them in numpy (sma/rebalance/_rounding.py at d82e994):
    the specification ``round_lots`` keeps."""
    sell_price = prices[security[lots]] * unit
    qty = lot_qty[lots] / unit
    s = np.minimum(sells * value / sell_price, qty)
    gain_rounded = np.floor(s + 0.5) if nearest else np.floor(s + 1e-6)
    rounded = np.where(lot_gain < 0, np.ceil(s - 1e-6), gain_rounded)
    sell = np.where(s >= qty - 1e-6 * np.maximum(qty, 1.0), qty, np.minimum(rounded, np.floor(qty)))
    return np.maximum(sell, 0.0), sell_price, qty, sell_price - lot_basis[lots] / qty


@pytest.mark.parametrize("unit", [1.0, 0.001])
@pytest.mark.parametrize("seed", range(6))
def test_compiled_lot_rounding_is_the_numpy_rounding_to_the_bit(seed, unit):
    rng = np.random.default_rng(seed)
    n_sec, n_lots, nl = 30, 200, 120
    prices = rng.uniform(5, 500, n_sec)
    prices[rng.integers(0, n_sec, 2)] = [np.nan, 0.0]
    security = rng.integers(0, n_sec, n_lots)
    lot_qty = np.where(
        rng.random(n_lots) < 0.2, rng.uniform(0, 3, n_lots), rng.integers(1, 300, n_lots)
    )
    lot_qty[rng.integers(0, n_lots, 3)] = [0.0, 1e-9, 0.4144]
    lot_basis = lot_qty * rng.uniform(5, 500, n_lots)
    lots = rng.choice(n_lots, nl, replace=False)
    value = 2e6
    full = lot_qty[lots] * prices[security[lots]] / value
    sells = full * rng.choice([0.0, -0.0, 0.3, 0.999999, 1.0, 1.0000001, 0.5], nl)
    sells[rng.integers(0, nl, 4)] = [np.nan, -1e-12, 1e-300, np.inf]
    lot_gain = rng.normal(0, 0.2, nl)
    lot_gain[rng.integers(0, nl, 2)] = [0.0, -0.0]
    for nearest in (False, True):
        args = (sells, value, prices, security, lot_qty, lot_basis, lots, lot_gain, unit, nearest)
        with np.errstate(divide="ignore", invalid="ignore"):  # the zero shares and prices
            expected_all = _numpy_round_lots(*args)
        for got, expected in zip(round_lots(*args), expected_all, strict=True):
            np.testing.assert_array_equal(got, expected)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("seed", range(5))
def test_sums_by_security_are_np_bincounts_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    for size in (0, 1, 9, 1000):
        security = rng.integers(0, 17, size)
        shares = rng.choice([0.0, -0.0, 0.4144, 11.5856, 1e-9, 3.0], size) * rng.integers(
            1, 9, size
        )
        price = rng.uniform(1, 900, size)
        for n in (17, 40):
            np.testing.assert_array_equal(
                sum_by_security(security, shares, price, n),
                np.bincount(security, shares * price, minlength=n),
            )
            np.testing.assert_array_equal(
                sum_by_security(security, shares, None, n),
                np.bincount(security, shares, minlength=n),
            )


@pytest.mark.parametrize("seed", range(5))
def test_least_reduced_cost_of_each_other_side_is_np_minimum_at_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    for size in (0, 1, 30, 500):
        keep, sided = rng.random(size) < 0.5, rng.random(size) < 0.7
        group_of_var = rng.integers(0, 12, size)
        contested = np.flatnonzero(rng.random(12) < 0.5)
        slot = np.full(12, -1)
        slot[contested] = np.arange(contested.size)
        reduced = rng.choice([-1e-3, -0.0, 0.0, 2e-4, -5e-10, np.nan], size) * rng.random(size)
        other_side = ~keep & sided
        at = slot[group_of_var[other_side]]
        expected = np.zeros(contested.size)
        with np.errstate(invalid="ignore"):  # the NaN reduced costs
            np.minimum.at(expected, at[at >= 0], reduced[other_side][at >= 0])
        got = _least_reduced_cost(keep, sided, group_of_var, slot, reduced, contested.size)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("seed", range(3))
def test_idle_sides_are_the_groups_whose_kept_side_trades_nothing(seed):
    rng = np.random.default_rng(seed)
    for size in (0, 1, 40, 600):
        v = rng.choice([0.0, 1e-12, 1e-9, 3e-3, np.nan], size)
        keep, sided = rng.random(size) < 0.6, rng.random(size) < 0.7
        group_of_var = rng.integers(0, 15, size)
        contested = np.flatnonzero(rng.random(15) < 0.5)
        trading = keep & sided & (v > 1e-10)
        expected = ~group_mask(group_of_var[trading], 15)[contested]
        got = _side_idle(v, keep, sided, group_of_var, contested, 1e-10, 15)
        np.testing.assert_array_equal(got, expected)
