"""The blotter's allocations and lot instructions on integer codes (``sma.trading._block_codes``)
give what the pandas rules on the text ids give (issue 23: the blotter of a 100,000-account night).

The second path here is the pandas version kept in ``_blotter`` (``_allocations_by_text``,
``_lot_instructions_by_text``): the one every proposal took before, and the one a malformed
proposal still takes, for its error. Each test builds the blotter both ways and wants the same
frames, to the bit and dtype, or the same error.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from trading_samples import RUN, exceptions, lot_sells, trades

from sma.trading import ProposalError, build_blotter
from sma.trading._block_codes import allocations_by_code, lot_instructions_by_code
from sma.trading._blotter import SORT_KEYS, _in_order
from tests.example_counts import property_examples

#: Symbols whose text order differs from a naive one: a prefix, '-' and '.' inside, a digit after
#: '-' (the block order id puts '-' after the symbol).
SYMBOLS = ["A", "AB", "BRK", "BRK-0", "BRK-B", "BRK.B", "XOM"]
#: Ids whose text order is not their numeric order.
ACCOUNTS = ["A1", "A10", "A2", "A9", "B1"]
FAULTS = [
    None,
    "lot without its sell",
    "sell without lots",
    "lots off by a share",
    "lot listed twice",
    "unsafe lot id",
    "unsafe symbol",
    "missing account",
    "ids that are numbers",
    "missing lot quantity",
]


def blotter_both_ways(t: pd.DataFrame, ls: pd.DataFrame, exc: pd.DataFrame):
    """The blotter (or its error) by integer codes, and by the pandas rules alone."""

    def build():
        try:
            return build_blotter(t.copy(), ls.copy(), exc)
        except ProposalError as e:
            return f"ProposalError: {e}"

    by_code = build()
    with (
        mock.patch("sma.trading._blotter.allocations_by_code", return_value=None),
        mock.patch("sma.trading._blotter.lot_instructions_by_code", return_value=None),
    ):
        by_text = build()
    return by_code, by_text


def assert_same(by_code, by_text) -> None:
    if isinstance(by_text, str) or isinstance(by_code, str):
        assert by_code == by_text
        return
    for name, frame in by_text.frames().items():
        pd.testing.assert_frame_equal(by_code.frames()[name], frame, check_exact=True)


@st.composite
def proposals(draw):
    """A proposal of a few accounts: whole or fractional shares, several reasons, every SELL's
    lots (1-3 lots, ids in no particular order) summing to it, then one fault or none."""
    n = draw(st.integers(1, 30))
    symbols = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=7, unique=True))
    fractional = draw(st.booleans())
    quantity = (
        st.sampled_from([0.1, 0.2, 0.3, 0.7, 1.001, 2.5, 1e-3])
        if fractional
        else st.integers(1, 5_000).map(float)
    )
    t = pd.DataFrame(
        {
            "run_id": RUN,
            "as_of_date": pd.Timestamp(RUN),
            "account_id": draw(st.lists(st.sampled_from(ACCOUNTS), min_size=n, max_size=n)),
            "household_id": "H",
            "account_type": "TAXABLE",
            "symbol": draw(st.lists(st.sampled_from(symbols), min_size=n, max_size=n)),
            "side": draw(st.lists(st.sampled_from(["BUY", "SELL"]), min_size=n, max_size=n)),
            "quantity": draw(st.lists(quantity, min_size=n, max_size=n)),
            "price": 10.0,
            "reason": draw(
                st.lists(st.sampled_from(["REBALANCE", "HARVEST"]), min_size=n, max_size=n)
            ),
            "fractional_shares": fractional,
        }
    )
    t["notional"] = t["quantity"] * t["price"]
    rows, number = [], draw(st.permutations(range(3 * n)))
    for i, sell in enumerate(t[t["side"] == "SELL"].itertuples()):
        parts = draw(st.integers(1, 3))
        shares = [sell.quantity / parts] * parts if fractional else _split(sell.quantity, parts)
        for k, q in enumerate(shares):
            rows.append((sell.account_id, sell.symbol, f"L{number[3 * i + k]}", q))
    ls = pd.DataFrame(rows, columns=["account_id", "symbol", "lot_id", "quantity"])
    ls = ls.sample(frac=1.0, random_state=draw(st.integers(0, 2**16))).reset_index(drop=True)
    return _with_fault(t, ls, draw(st.sampled_from(FAULTS)))


def _split(total: float, parts: int) -> list[float]:
    whole = [float(total // parts)] * parts
    whole[0] += total - sum(whole)
    return [q for q in whole if q > 0] or [total]


def _with_fault(t: pd.DataFrame, ls: pd.DataFrame, fault: str | None):
    if fault == "lot without its sell":
        ls = pd.concat([ls, pd.DataFrame([["B1", "ZZZ", "L999", 1.0]], columns=ls.columns)])
    elif fault == "sell without lots" and len(ls):
        ls = ls.iloc[1:]
    elif fault == "lots off by a share" and len(ls):
        ls = ls.assign(quantity=ls["quantity"] + np.eye(1, len(ls))[0])
    elif fault == "lot listed twice" and len(ls):
        ls = pd.concat([ls, ls.iloc[[0]]], ignore_index=True)
    elif fault == "unsafe lot id" and len(ls):
        ls = ls.assign(lot_id=["../L" if i == 0 else v for i, v in enumerate(ls["lot_id"])])
    elif fault == "unsafe symbol":
        t = t.assign(symbol=t["symbol"].replace({"AB": "A B"}))
        ls = ls.assign(symbol=ls["symbol"].replace({"AB": "A B"}))
    elif fault == "missing account" and len(ls):
        ls = ls.assign(account_id=[None, *ls["account_id"].iloc[1:]])
    elif fault == "ids that are numbers" and len(ls):
        ls = ls.assign(lot_id=range(len(ls)))
    elif fault == "missing lot quantity" and len(ls):
        ls = ls.assign(quantity=[np.nan, *ls["quantity"].iloc[1:]])
    return t, ls


@property_examples(40, 300, given(proposals()))
def test_the_blotter_by_integer_codes_is_the_blotter_of_the_pandas_rules(p):
    """Same frames to the bit (ids, numbering, ratios, lot quantities, dtypes), or the same error
    naming the same row, on well-formed proposals and on each fault the rules refuse."""
    assert_same(*blotter_both_ways(*p, exceptions().iloc[:0]))


def test_the_sample_proposal_is_built_by_integer_codes_as_by_the_pandas_rules():
    assert_same(*blotter_both_ways(trades(), lot_sells(), exceptions()))


def test_a_block_is_totalled_as_pandas_totals_it():
    """pandas adds a group with a compensated sum: 0.1 + 0.2 + 0.3 is 0.6, not the
    0.6000000000000001 of adding in turn, and each ratio is of that total."""
    t = pd.concat([trades().iloc[[0]]] * 3, ignore_index=True).assign(
        account_id=["A1", "A2", "A9"], quantity=[0.1, 0.2, 0.3], fractional_shares=True
    )
    by_code, by_text = blotter_both_ways(t, lot_sells().iloc[:0], exceptions())
    assert_same(by_code, by_text)
    assert by_code.orders["quantity"].tolist() == [0.6]
    assert by_code.allocations["ratio"].tolist() == [0.1 / 0.6, 0.2 / 0.6, 0.3 / 0.6]


def test_an_account_trading_a_security_for_two_reasons_is_left_to_the_pandas_rules():
    """Its reasons are joined into one allocation: the integer-code way declines the proposal."""
    t = pd.concat(
        [trades(), trades().iloc[[0]].assign(quantity=5.0, reason="CASH_INVEST")], ignore_index=True
    )
    t = t.astype({"side": str, "symbol": str, "account_id": str})
    assert allocations_by_code(t, RUN) is None
    assert_same(*blotter_both_ways(t, lot_sells(), exceptions()))


@pytest.mark.parametrize(
    "fault", [f for f in FAULTS if f not in (None, "unsafe symbol", "missing lot quantity")]
)
def test_a_lot_sell_the_integer_codes_cannot_take_is_left_to_the_pandas_rules(fault):
    """Each fault but numbers for lot ids is refused there, naming its row; numbers become text."""
    t, ls = _with_fault(trades(), lot_sells(), fault)
    t = t.astype({"side": str, "symbol": str, "account_id": str})
    alloc = allocations_by_code(t[t["account_id"] != "A4"], RUN)
    assert alloc is not None
    assert lot_instructions_by_code(alloc, ls) is None
    assert_same(*blotter_both_ways(t, ls, exceptions()))


def test_allocations_and_lot_instructions_come_out_in_blotter_order():
    """Block order ids differ after a common prefix only in side and symbol, and allocations are
    numbered in account order: building in (side, symbol, account) order leaves nothing to sort."""
    n = 40
    rng = np.random.default_rng(5)
    t = pd.DataFrame(
        {
            "run_id": RUN,
            "as_of_date": pd.Timestamp(RUN),
            "account_id": [ACCOUNTS[i % 5] for i in range(n)],
            "household_id": "H",
            "account_type": "TAXABLE",
            "symbol": [SYMBOLS[(i // 5) % 7] for i in range(n)],
            "side": "SELL",
            "quantity": rng.integers(1, 50, n).astype(float),
            "price": 10.0,
            "reason": "REBALANCE",
        }
    ).sample(frac=1.0, random_state=1)
    t = t.drop_duplicates(["account_id", "symbol"])
    ls = t[["account_id", "symbol", "quantity"]].assign(lot_id=[f"L{i}" for i in range(len(t))])
    alloc = allocations_by_code(t.astype({"side": str, "symbol": str, "account_id": str}), RUN)
    assert alloc is not None
    lots = lot_instructions_by_code(alloc, ls)
    assert lots is not None
    for frame, name in ((alloc, "allocations"), (lots, "lot_instructions")):
        keys = SORT_KEYS[name]
        table = pa.Table.from_pandas(frame[keys], preserve_index=False)
        order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys]).to_numpy()
        assert (order == np.arange(len(frame))).all()
        assert _in_order(table)


@property_examples(
    40,
    300,
    given(
        st.lists(
            st.tuples(st.sampled_from(["A", "AB", "B", "A-"]), st.sampled_from(["1", "10", "2"])),
            max_size=12,
        )
    ),
)
def test_rows_are_in_order_exactly_when_a_stable_sort_leaves_them_where_they_are(rows):
    table = pa.table(
        {
            "first": pa.array([a for a, _ in rows], pa.large_string()),
            "second": pa.array([b for _, b in rows], pa.large_string()),
        }
    )
    keys = [("first", "ascending"), ("second", "ascending")]
    order = pc.sort_indices(table, sort_keys=keys).to_numpy()
    assert _in_order(table) == bool((order == np.arange(len(rows))).all())


def test_a_missing_key_is_never_taken_as_in_order():
    table = pa.table({"first": pa.array(["A", None], pa.large_string())})
    assert not _in_order(table)
