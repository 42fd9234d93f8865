"""What a share paid its holders besides its close on an ex-date (shared/CORPORATE_ACTIONS.md:
a SPINOFF gives ``ratio`` new shares per share, a RETURN_OF_CAPITAL ``amount_per_share`` in cash;
the other kinds pay nothing beside the close)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sma.ledger import PaidOutError, paid_out

CLOSES = pd.DataFrame(
    {"P": [40.0, 30.0, 31.0], "PS": [2.5, 2.5, 2.6], "R": [20.0, 19.9, 19.9]},
    index=pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-04"]),
)


def action(**fields):
    return {"ratio": np.nan, "new_symbol": None, "amount_per_share": np.nan} | fields


def test_a_spinoff_pays_its_new_shares_at_their_close_and_a_return_of_capital_its_cash():
    """P spins off 4 PS a share on March 3 (PS closes at 2.50: $10 a share of P), R returns
    $0.10 a share that day; restated on a second night, each counts once; a split and a ticker
    change pay nothing."""
    actions = pd.DataFrame(
        [
            action(
                symbol="P", ex_date=date(2026, 3, 3), kind="SPINOFF", ratio=4.0, new_symbol="PS"
            ),
            action(
                symbol="R", ex_date=date(2026, 3, 3), kind="RETURN_OF_CAPITAL", amount_per_share=0.1
            ),
            action(
                symbol="R", ex_date=date(2026, 3, 3), kind="RETURN_OF_CAPITAL", amount_per_share=0.1
            ),
            action(symbol="P", ex_date=date(2026, 3, 4), kind="SPLIT", ratio=2.0),
            action(symbol="R", ex_date=date(2026, 3, 4), kind="SYMBOL_CHANGE", new_symbol="RR"),
        ]
    )
    paid = paid_out(CLOSES, actions)
    expected = pd.DataFrame(0.0, index=CLOSES.index, columns=CLOSES.columns)
    expected.loc["2026-03-03", "P"] = 10.0
    expected.loc["2026-03-03", "R"] = 0.1
    pd.testing.assert_frame_equal(paid, expected)


def test_nothing_to_pay_is_zeros_shaped_as_the_closes():
    assert (paid_out(CLOSES, None).to_numpy() == 0).all()
    assert paid_out(CLOSES, pd.DataFrame()).shape == CLOSES.shape


def test_a_spinoff_whose_new_shares_have_no_close_that_day_is_refused_by_name():
    actions = pd.DataFrame(
        [action(symbol="P", ex_date=date(2026, 3, 3), kind="SPINOFF", ratio=4.0, new_symbol="QS")]
    )
    with pytest.raises(
        PaidOutError, match="SPINOFF of P on 2026-03-03: new_symbol QS has no close"
    ):
        paid_out(CLOSES, actions)
