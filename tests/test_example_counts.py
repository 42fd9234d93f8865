"""``coverage_paused`` (``tests/example_counts.py``): a property test's full example count runs
untraced in ``make test``, and every measurement traces again after it, also when the test fails."""

from __future__ import annotations

import sys

import pytest
from coverage import Coverage

from tests.example_counts import coverage_paused


@pytest.fixture
def two_measurements():
    """Two measurements, one started inside the other, as in an xdist worker of ``make test``
    (on top of whatever pytest-cov already runs here)."""
    outer, inner = (Coverage(data_file=None, config_file=False) for _ in range(2))
    for measuring in (outer, inner):  # they measure nothing of ours: no warning that they did not
        measuring.set_option("run:disable_warnings", ["no-data-collected"])
    outer.start()
    inner.start()
    yield outer, inner
    for measuring in (inner, outer):
        measuring.stop()


def test_no_measurement_traces_inside_the_block_and_each_traces_again_after_it(two_measurements):
    outer, inner = two_measurements
    with coverage_paused():
        assert Coverage.current() is None
        assert sys.gettrace() is None
    assert Coverage.current() is inner
    assert sys.gettrace() is not None


def test_a_failing_test_inside_the_block_still_restarts_the_measurements(two_measurements):
    _, inner = two_measurements
    with pytest.raises(AssertionError), coverage_paused():
        raise AssertionError("a property found a counterexample")
    assert Coverage.current() is inner
    assert sys.gettrace() is not None
