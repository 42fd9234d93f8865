"""Invariants of any replay (PRODUCT.md "Non-functional": every share and every dollar of basis is
conserved, the same inputs give the same outputs; "Tax rules": gains are never washed), checked on
random histories of a small book with splits, spin-offs and stock mergers; the array path agrees
with trade-by-trade booking; the replay refuses an oversell or a reused lot id by its row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sma.ledger import REPLAY_TRANSACTION_COLUMNS, ReliefMethod, ReplayRowError, replay
from tests.example_counts import property_examples

BOOK = pd.DataFrame(
    {
        "account_id": ["A", "B", "C", "I", "D", "E"],
        "household_id": ["H1", "H1", "H2", "H2", "H3", "H4"],
        "account_type": ["TAXABLE", "TAXABLE", "TAXABLE", "IRA", "TAXABLE", "ROTH"],
    }
)
GROUPS = {"S4": "S45", "S5": "S45"}  # S4 and S5 are substantially identical
OPENING = pd.DataFrame(
    {
        "account_id": ["A", "C", "C"],
        "lot_id": ["O1", "O2", "O3"],
        "symbol": ["S0", "S1", "S1"],
        "quantity": [30.0, 20.0, 5.5],
        "cost_basis_cents": [300_000, 50_000, 55_000],
        "acquired_date": np.array(
            ["2023-05-01", "2024-02-29", "2024-07-01"], dtype="datetime64[D]"
        ),
        "adjusted_acquired_date": np.array(["2023-01-15", "NaT", "NaT"], dtype="datetime64[D]"),
    }
)
COLUMNS = list(REPLAY_TRANSACTION_COLUMNS)

step = st.tuples(
    st.sampled_from(["BUY"] * 4 + ["SELL"] * 4 + ["SPLIT", "SPINOFF", "MERGER_STOCK"]),
    st.integers(0, 5),  # account
    st.integers(0, 5),  # symbol
    st.integers(1, 40),  # shares (a sell takes at most what is held)
    st.integers(100, 20_000),  # price, cents per share
    st.integers(0, 45),  # days since the previous trade
    st.sampled_from([2.0, 1.5, 0.5]),  # split ratio
    st.sampled_from([False] * 5 + [True]),  # a sell names its lots
)


def history(steps) -> tuple[pd.DataFrame, dict[tuple[str, str], float], int]:
    """Transactions from the drawn steps (sells never exceed what is held), the shares each
    account should end with per symbol, and the cost of every lot bought or opened, in cents."""
    lots = {("A", "S0"): ["O1"], ("C", "S1"): ["O2", "O3"]}
    shares = {("A", "S0"): 30.0, ("C", "S1"): 25.5}
    cost = int(OPENING["cost_basis_cents"].sum())
    rows, day = [], np.datetime64("2025-01-02", "D")
    touched: set[str] = set()  # symbols whose lots a corporate action moved: sells use the method
    for i, (action, a, s, n, price, gap, ratio, named) in enumerate(steps):
        account, symbol, day = BOOK["account_id"][a], f"S{s}", day + np.timedelta64(gap, "D")
        row = dict(
            zip(COLUMNS, (i + 1, account, day, action, symbol, float(n), n * price, "", "", np.nan))
        )
        if action == "BUY":
            row["lot_id"] = f"T{i + 1}"
            lots.setdefault((account, symbol), []).append(row["lot_id"])
            shares[(account, symbol)] = shares.get((account, symbol), 0.0) + n
            cost += n * price
        elif action == "SELL":
            have = shares.get((account, symbol), 0.0)
            if have <= 0:
                continue
            row["quantity"] = float(min(n, np.floor(have))) if have >= 1 else have
            row["amount_cents"] = round(row["quantity"] * price)
            named = named and symbol not in touched
            row["lot_ids"] = ";".join(lots[(account, symbol)]) if named else ""
            shares[(account, symbol)] = have - row["quantity"]
        elif action == "SPLIT":
            row.update(account_id="", ratio=ratio)
            for key in shares:
                if key[1] == symbol:
                    shares[key] *= ratio
        else:  # a spin-off or stock merger into the next symbol (basis moves, none leaves)
            if not any(k[1] == symbol and v > 0 for k, v in shares.items()):
                continue  # an action names a symbol the book holds
            new = f"S{(s + 1) % 6}"
            row.update(account_id="", ratio=ratio, new_symbol=new, basis_fraction=0.3)
            touched.update((symbol, new))
            for key in [k for k in shares if k[1] == symbol]:
                received = shares[key] * ratio
                shares[(key[0], new)] = shares.get((key[0], new), 0.0) + received
                if action == "MERGER_STOCK":
                    shares[key] = 0.0
        rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, "new_symbol", "basis_fraction"]), shares, cost


@property_examples(
    12,
    60,
    given(
        st.lists(step, min_size=1, max_size=40),
        st.sampled_from([m for m in ReliefMethod if m is not ReliefMethod.SPECIFIC]),
    ),
    suppress_health_check=[HealthCheck.too_slow],
)
def test_replay_conserves_shares_and_basis_and_never_washes_a_gain(steps, method):
    """Shares conserved; basis conserved: purchase cost + disallowed losses carried into bases =
    realized basis + open basis (Pub. 550 "Wash Sales": the loss moves into the new basis; Rev. Rul.
    2008-5: a loss replaced in an IRA moves nowhere); a gain is never washed (Pub. 550)."""
    transactions, held, cost = history(steps)
    result = replay(BOOK, OPENING, transactions, method, GROUPS)
    realized, open_lots = result.realized, result.open_lots

    shares = open_lots.groupby(["account_id", "symbol"])["quantity"].sum().to_dict()
    for key, quantity in held.items():
        assert shares.get(key, 0.0) == pytest.approx(quantity, abs=1e-6)

    carried = int(
        (realized["wash_sale_disallowed_cents"] - realized["permanently_disallowed_cents"]).sum()
    )
    assert cost + carried == int(realized["cost_basis_cents"].sum()) + int(
        open_lots["cost_basis_cents"].sum()
    )

    gains = realized["proceeds_cents"] >= realized["cost_basis_cents"]
    assert (realized.loc[gains, "wash_sale_disallowed_cents"] == 0).all()
    losses = (realized["cost_basis_cents"] - realized["proceeds_cents"]).clip(lower=0)
    assert (realized["wash_sale_disallowed_cents"] <= losses).all()
    assert (
        realized["permanently_disallowed_cents"] <= realized["wash_sale_disallowed_cents"]
    ).all()
    assert (open_lots["adjusted_acquired_date"] <= open_lots["acquired_date"]).all()
    assert (open_lots["quantity"] > 0).all()


@settings(max_examples=15, deadline=None)
@given(st.lists(step, min_size=1, max_size=30))
def test_replay_is_deterministic_whatever_the_row_order_of_the_file(steps):
    """PRODUCT.md "Non-functional" and "Interfaces": applied in seq order, same inputs, same
    outputs."""
    transactions, _, _ = history(steps)
    first = replay(BOOK, OPENING, transactions, ReliefMethod.HIFO, GROUPS)
    shuffled = transactions.sample(frac=1.0, random_state=7)
    second = replay(BOOK, OPENING, shuffled, ReliefMethod.HIFO, GROUPS)
    pd.testing.assert_frame_equal(first.realized, second.realized)
    pd.testing.assert_frame_equal(first.open_lots, second.open_lots)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=40))
def test_fifo_with_arrays_books_exactly_what_trade_by_trade_booking_books(steps):
    """The array path for wash-free households is a speed-up, not a second set of rules: same
    Form 8949 rows and the same open lots, to the cent, as booking every trade one by one."""
    transactions, _, _ = history(steps)
    fast = replay(BOOK, OPENING, transactions, ReliefMethod.FIFO, GROUPS)
    reference = replay(BOOK, OPENING, transactions, ReliefMethod.FIFO, GROUPS, vectorised=False)
    pd.testing.assert_frame_equal(fast.realized, reference.realized)
    pd.testing.assert_frame_equal(fast.open_lots, reference.open_lots)


def two_rows(second: dict) -> pd.DataFrame:
    """A buy of 10 S0 by D (lot T1), then ``second``."""
    first = dict(
        zip(
            COLUMNS,
            (1, "D", np.datetime64("2025-01-02", "D"), "BUY", "S0", 10.0, 10_000, "T1", "", np.nan),
        )
    )
    return pd.DataFrame(
        [first, {**first, "seq": 2, "trade_date": np.datetime64("2025-02-01", "D"), **second}]
    )


@pytest.mark.parametrize("vectorised", [True, False])
def test_oversell_is_refused_naming_the_row(vectorised):
    """PRODUCT.md "Interfaces": a sale of more than is held is rejected with the row named."""
    transactions = two_rows(
        {"action": "SELL", "quantity": 11.0, "amount_cents": 11_000, "lot_id": ""}
    )
    with pytest.raises(ReplayRowError) as caught:
        replay(BOOK, None, transactions, ReliefMethod.FIFO, vectorised=vectorised)
    assert (caught.value.row, caught.value.seq, caught.value.column) == (2, 2, "quantity")


def test_a_lot_id_used_twice_in_an_account_is_refused_naming_the_second_buy():
    """PRODUCT.md "Inbox contract": lots are keyed by (account_id, lot_id); a buy may not reuse
    one."""
    transactions = two_rows({"symbol": "S1"})
    with pytest.raises(ReplayRowError) as caught:
        replay(BOOK, None, transactions, ReliefMethod.FIFO)
    assert (caught.value.seq, caught.value.column) == (2, "lot_id")
