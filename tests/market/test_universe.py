"""The securities universe and its benchmarks (issue 2: about 500 names, 11 GICS sectors, share
classes, ESG tags)."""

import re

import numpy as np
import pytest

from sma.inbox import GICS_SECTORS, SYMBOL_PATTERN
from sma.market import (
    STANDARD_BENCHMARKS,
    BenchmarkDefinition,
    benchmark_weights,
    benchmarks_frame,
    generate_universe,
)


@pytest.fixture(scope="module")
def universe():
    return generate_universe(3)


def test_universe_is_about_500_fictional_names_in_the_11_gics_sectors(universe):
    assert 500 <= len(universe) <= 530
    assert set(np.asarray(GICS_SECTORS)[universe.sector]) == set(GICS_SECTORS)
    assert len(set(universe.symbol)) == len(universe) and len(set(universe.name)) == len(universe)
    assert all(re.fullmatch(SYMBOL_PATTERN, s) for s in universe.symbol)
    assert list(universe.symbol) == sorted(universe.symbol)


def test_share_classes_form_substantially_identical_pairs(universe):
    """PRODUCT.md: securities that are substantially identical for wash sales share an
    identical_group."""
    twins = np.flatnonzero(universe.twin_of >= 0)
    assert len(twins) >= 3
    first = universe.twin_of[twins]
    assert (universe.identical_group[twins] == universe.identical_group[first]).all()
    assert (universe.identical_group[twins] != "").all()
    assert (universe.sector[twins] == universe.sector[first]).all()
    _, counts = np.unique(
        universe.identical_group[universe.identical_group != ""], return_counts=True
    )
    assert (counts == 2).all()


def test_esg_tags_follow_the_industries(universe):
    energy = universe.sector == GICS_SECTORS.index("Energy")
    assert universe.has_tag("fossil_fuels")[energy].all()
    tobacco = universe.industry == "Tobacco"
    assert universe.has_tag("tobacco")[tobacco].all()


def test_the_large_cap_index_is_cap_weighted_over_its_members(universe):
    weights = benchmark_weights(universe, STANDARD_BENCHMARKS[0])
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert (weights[~universe.in_index] == 0).all() and (weights[universe.in_index] > 0).all()
    members = universe.in_index
    np.testing.assert_allclose(
        weights[members], universe.market_cap[members] / universe.market_cap[members].sum()
    )
    assert 0.04 < weights.max() < 0.10  # like the largest weights of real large-cap indexes


def test_screened_benchmarks_drop_their_sector_and_tags_and_renormalise(universe):
    no_energy = benchmark_weights(universe, BenchmarkDefinition("X", excluded_sectors=("Energy",)))
    assert (no_energy[universe.sector == GICS_SECTORS.index("Energy")] == 0).all()
    assert no_energy.sum() == pytest.approx(1.0)
    no_tobacco = benchmark_weights(universe, BenchmarkDefinition("Y", excluded_tags=("tobacco",)))
    assert (no_tobacco[universe.has_tag("tobacco")] == 0).all()


def test_benchmarks_frame_has_one_row_per_member_and_weights_summing_to_one(universe):
    frame = benchmarks_frame(universe)
    assert list(frame.columns) == ["benchmark_id", "symbol", "weight"]
    assert np.allclose(frame.groupby("benchmark_id")["weight"].sum(), 1.0, atol=1e-9)
    assert (frame["weight"] > 0).all()
    assert set(frame["benchmark_id"]) == {b.benchmark_id for b in STANDARD_BENCHMARKS}


def test_the_universe_is_deterministic_for_a_seed():
    a, b, c = generate_universe(8), generate_universe(8), generate_universe(9)
    assert (a.symbol == b.symbol).all() and np.array_equal(a.market_cap, b.market_cap)
    assert set(a.symbol) != set(c.symbol)
