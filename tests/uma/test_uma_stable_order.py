"""The UMA bookkeeping orders a shard's lots by Arrow's stable sort
(``sma.uma._codes.stable_order``) instead of pandas' multi-column sort (issue 23: pandas factorized
every text column first). The order must be pandas' own, row for row: text by its characters,
numbers as numbers (either way), missing values last, ties in their original order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sma.uma._codes import stable_order
from tests.example_counts import property_examples

_TEXT = st.one_of(
    st.none(), st.sampled_from(["A1", "A10", "A2", "a1", "B", "", "Z-9", "é", "Ω7", "A1 "])
)
_NUMBER = st.sampled_from([0.0, -0.0, 1.5, -2.0, 1e9, float("nan"), 7.25])


@st.composite
def _frame_and_keys(draw):
    n = draw(st.integers(0, 40))
    frame = pd.DataFrame(
        {
            "account_id": pd.Series(draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype="str"),
            "lot_id": pd.Series(draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype="str"),
            "value": np.array(draw(st.lists(_NUMBER, min_size=n, max_size=n)), dtype=float),
            "row": np.arange(n),
        }
    )
    keys = draw(st.permutations(["account_id", "lot_id", "value"]))[: draw(st.integers(1, 3))]
    ascending = draw(st.lists(st.booleans(), min_size=len(keys), max_size=len(keys)))
    return frame, list(keys), ascending


@property_examples(100, 2_000, given(_frame_and_keys()))
def test_stable_order_is_pandas_multi_column_sort_row_for_row(case):
    frame, keys, ascending = case
    want = frame.sort_values(keys, ascending=ascending, kind="stable")["row"].to_numpy()
    got = frame.iloc[stable_order(frame, keys, ascending)]["row"].to_numpy()
    np.testing.assert_array_equal(got, want)


def test_the_shard_sorts_of_the_attribution_are_pandas_order():
    """The two orders ``attribute_lots`` takes (by account, lot, symbol; and by account, symbol,
    value descending, lot) on 20,000 lots with repeated keys: pandas' order exactly."""
    rng = np.random.default_rng(23)
    n = 20_000
    frame = pd.DataFrame(
        {
            "account_id": pd.Series(rng.choice([f"U{i:05d}" for i in range(60)], n), dtype="str"),
            "lot_id": pd.Series(rng.choice([f"L{i}" for i in range(3_000)], n), dtype="str"),
            "symbol": pd.Series(rng.choice(["AAPL", "MSFT", "BRK.B", "GOOG"], n), dtype="str"),
            "value": rng.choice([0.0, 100.0, 250.5, 1_000.0], n),
            "row": np.arange(n),
        }
    )
    for keys, ascending in (
        (["account_id", "lot_id", "symbol"], [True, True, True]),
        (["account_id", "symbol", "value", "lot_id"], [True, True, False, True]),
    ):
        want = frame.sort_values(keys, ascending=ascending, kind="stable")["row"].to_numpy()
        got = frame.iloc[stable_order(frame, keys, ascending)]["row"].to_numpy()
        np.testing.assert_array_equal(got, want)


@property_examples(100, 2_000, given(st.lists(_TEXT, max_size=30), st.lists(_TEXT, max_size=30)))
def test_lot_ids_ranked_by_arrow_are_their_places_among_the_sorted_distinct_ids(held, sold):
    """The booking orders lots by their ids' ranks (``_overlay_layout._lot_codes``), now Arrow's
    dense rank of the text: each id's place among the distinct ids of both columns sorted, a
    missing id after every other, as pandas' factorize and argsort numbered them."""
    from sma.uma._overlay_layout import _lot_codes

    held_ids, sold_ids = pd.Series(held, dtype="str"), pd.Series(sold, dtype="str")
    both = pd.concat([held_ids, sold_ids], ignore_index=True)
    codes, uniques = pd.factorize(both)
    rank = np.empty(len(uniques) + 1, dtype=np.int64)
    rank[np.asarray(uniques.argsort())] = np.arange(len(uniques))
    rank[-1] = len(uniques)
    got = np.concatenate(_lot_codes(held_ids, sold_ids))
    np.testing.assert_array_equal(got, rank[codes])
    # the same ranks when pandas holds the ids in pieces (a frame concatenated from parts)
    pieces = pd.concat([held_ids.iloc[:1], held_ids.iloc[1:]])
    np.testing.assert_array_equal(np.concatenate(_lot_codes(pieces, sold_ids)), rank[codes])


@st.composite
def _sorted_lots(draw):
    """Lots sorted as ``attribute_lots`` sorts them (account, lot id, symbol), with a value each
    and some of them new: repeated ids and values, missing ids, NaN and -0.0 values."""
    n = draw(st.integers(0, 40))
    account = st.sampled_from(["U1", "U2", "U10", "é"])
    lots = pd.DataFrame(
        {
            "account_id": pd.Series(draw(st.lists(account, min_size=n, max_size=n)), dtype="str"),
            "lot_id": pd.Series(draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype="str"),
            "symbol": pd.Series(draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype="str"),
        }
    )
    lots = lots.iloc[stable_order(lots, ["account_id", "lot_id", "symbol"])]
    lots = lots.reset_index(drop=True)
    value = np.array(draw(st.lists(_NUMBER, min_size=n, max_size=n)), dtype=float)
    new = np.flatnonzero(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return lots, new, value


@property_examples(100, 2_000, given(_sorted_lots()))
def test_new_lots_are_put_largest_first_in_pandas_order(case):
    """The new lots' order ``attribute_lots`` places them in (``_largest_first``, codes and
    np.lexsort): pandas' stable sort by account, symbol, value descending and lot id, row for
    row."""
    from sma.uma._attribution import _largest_first

    lots, new, value = case
    todo = lots.iloc[new].assign(value=value[new])
    want = todo.sort_values(
        ["account_id", "symbol", "value", "lot_id"],
        ascending=[True, True, False, True],
        kind="stable",
    ).index.to_numpy()
    np.testing.assert_array_equal(_largest_first(lots, new, value), want)
