"""Tonight's tax cost and gain budgets on the review page (issue 15, item 3), each figure worked by
hand from the rule: a lot sold at a gain is taxed at the account's rate for its term (IRS
Publication 550, "Capital Gains Tax Rates"); IRA and ROTH sales are not taxable (IRS Publication
590-B); realized net gains this year may not exceed the gain budget (PRODUCT.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sma.ledger import money
from sma.reporting import lot_gain_sums, tax_figures, tax_totals
from sma.reporting._format import percent
from sma.reporting._review_page import axis
from tests.example_counts import property_examples

ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["T1", "T2", "IRA1", "T3"],
        "account_type": ["TAXABLE", "TAXABLE", "IRA", "TAXABLE"],
        "st_tax_rate": [0.37, 0.24, 0.0, 0.32],
        "lt_tax_rate": [0.20, 0.15, 0.0, 0.15],
        "gain_budget": [5_000.0, np.nan, 5_000.0, 1_000.0],
        "realized_ytd": [3_000.0, 800.0, 0.0, 900.0],
    }
)
LOT_SELLS = pd.DataFrame(
    {
        "account_id": ["T1", "T1", "T1", "T2", "IRA1", "T3"],
        "term": ["SHORT", "LONG", "LONG", "LONG", "LONG", "SHORT"],
        "realized_gain": [1_000.0, 2_000.0, -500.0, 400.0, 9_000.0, 250.0],
    }
)


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return tax_figures(ACCOUNTS, lot_gain_sums(LOT_SELLS)).set_index(ACCOUNTS["account_id"])


def test_tax_cost_is_each_gain_lot_times_its_terms_rate_and_losses_cost_nothing(figures):
    # T1: 1,000 short-term x 37% + 2,000 long-term x 20%; the 500 long-term loss is tax saved, not
    # cost.
    assert figures.loc["T1", "tax_cost"] == pytest.approx(1_000 * 0.37 + 2_000 * 0.20)
    assert figures.loc["T1", ["gains_st", "gains_lt", "net_st", "net_lt"]].tolist() == [
        1_000,
        2_000,
        1_000,
        1_500,
    ]
    assert figures.loc["T2", "tax_cost"] == pytest.approx(400 * 0.15)


def test_an_ira_sale_costs_no_tax_and_has_no_budget_whatever_its_gain(figures):
    assert figures.loc["IRA1", "tax_cost"] == 0.0 and figures.loc["IRA1", "net_lt"] == 9_000
    assert np.isnan(
        figures.loc["IRA1", ["gain_budget", "budget_used", "budget_left"]].astype(float)
    ).all()


def test_budget_used_is_ytd_plus_tonights_net_gain_and_left_is_the_rest(figures):
    assert figures.loc["T1", "budget_used"] == pytest.approx(3_000 + 1_000 + 1_500)
    assert figures.loc["T1", "budget_left"] == pytest.approx(
        5_000 - 5_500
    )  # overspent shows negative
    assert figures.loc["T3", "budget_left"] == pytest.approx(1_000 - 900 - 250)
    assert np.isnan(figures.loc["T2", "budget_left"])  # no budget, nothing left to show


def test_totals_count_taxable_accounts_only_and_report_ira_gains_apart(figures):
    decisions = pd.concat(
        [ACCOUNTS[["account_id", "account_type"]], figures.reset_index(drop=True)], axis=1
    )
    t = tax_totals(decisions.assign(est_tax_saved=0.0))
    assert t["gains_realized_lt"] == pytest.approx(1_500 + 400) and t["untaxed_net"] == 9_000
    assert t["tax_cost"] == pytest.approx(370 + 400 + 60 + 250 * 0.32)
    assert (t["budgeted"], t["gain_budget"], t["over_budget"]) == (2, 6_000.0, 2)
    assert t["budget_left"] == pytest.approx(-500 - 150)


@property_examples(
    40,
    300,
    given(
        st.lists(
            st.tuples(
                st.sampled_from(["TAXABLE", "IRA"]),
                # each account's figures in cents, as the page books them
                st.integers(-(10**9), 10**9),
                st.integers(-(10**9), 10**9),
                st.integers(0, 10**9),
            ),
            min_size=1,
            max_size=300,
        )
    ),
)
def test_each_money_total_is_the_exact_sum_of_the_cents_shown(rows):
    """A total adds the accounts' figures as shown, to the cent: ``headline.json`` and the page's
    ``data-value`` carry it as written ("265111.1", never a float sum's "265111.10000000003"),
    checked against Python's exact decimal sum of the same cents (a second path)."""
    from decimal import Decimal

    types = [r[0] for r in rows]
    st_, lt_, cost = (np.array([r[i] for r in rows]) / 100 for i in (1, 2, 3))
    decisions = pd.DataFrame(
        {
            "account_type": types,
            "net_st": st_,
            "net_lt": lt_,
            "tax_cost": cost,
            "gain_budget": cost,
            "budget_used": st_,
            "budget_left": cost - st_,
            "est_tax_saved": 0.0,
            **{c: 0.0 for c in ("gains_st", "gains_lt", "losses_st", "losses_lt", "realized_ytd")},
        }
    )
    t = tax_totals(decisions)

    def exact(cents):
        return Decimal(sum(cents)) / 100

    taxable = [r for r in rows if r[0] == "TAXABLE"]
    expected = {
        "gains_realized_st": exact(r[1] for r in taxable),
        "gains_realized_lt": exact(r[2] for r in taxable),
        "untaxed_net": exact(r[1] + r[2] for r in rows if r[0] != "TAXABLE"),
        "tax_cost": exact(r[3] for r in rows),
        "budget_left": exact(r[3] - r[1] for r in rows),
    }
    for key, total in expected.items():
        assert Decimal(repr(t[key])) == total, key


def test_lot_sums_of_parts_add_up_to_the_sums_of_the_whole():
    whole = lot_gain_sums(LOT_SELLS)
    parts = pd.concat([lot_gain_sums(LOT_SELLS.iloc[:2]), lot_gain_sums(LOT_SELLS.iloc[2:])])
    pd.testing.assert_frame_equal(parts.groupby(level=0, sort=True).sum(), whole)


@pytest.mark.parametrize(
    ("x", "text"), [(-0.4, "$0"), (-0.0, "$0"), (-0.5, "$0"), (-0.6, "-$1"), (-1234.4, "-$1,234")]
)
def test_an_amount_that_rounds_to_zero_dollars_shows_no_minus_sign(x, text):
    assert money(x, cents=False) == text


def test_an_amount_that_rounds_to_zero_cents_shows_no_minus_sign():
    assert money(-0.004) == "$0.00" and money(-0.006) == "-$0.01"


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (-0.00004, "0.00%"),
        (0.00004, "0.00%"),
        (0.0, "0.00%"),
        (-0.00006, "-0.01%"),
        (0.0123, "+1.23%"),
    ],
)
def test_a_difference_that_rounds_to_zero_percent_shows_no_sign(x, text):
    """A statement's sector table read "-0.00%" for Materials at 3.13% against 3.14% of the index
    (a -0.004% difference): a figure that shows as zero has no sign, as an amount of $0 has none."""
    assert percent(x) == text


@pytest.mark.parametrize(
    ("top", "labels"),
    [
        (0.0123, ["0.00%", "0.25%", "0.50%", "0.75%", "1.00%", "1.25%"]),  # was "0% 0% 0% 1% 1% 1%"
        (0.009, ["0.0%", "0.2%", "0.4%", "0.6%", "0.8%", "1.0%"]),
        (0.04, ["0%", "1%", "2%", "3%", "4%", "5%"]),
        (0.3, ["0%", "10%", "20%", "30%", "40%", "50%"]),
    ],
)
def test_axis_tick_labels_differ_from_one_tick_to_the_next(top, labels):
    end, step, places = axis(top)
    ticks = [f"{v * 100:.{places}f}%" for v in np.arange(6) * step]
    assert end >= top and ticks == labels and len(set(ticks)) == len(ticks)


def sums_grouped_by_the_ids(lot_sells: pd.DataFrame) -> pd.DataFrame:
    """The rule as first written: the four sums grouped by the account ids themselves."""
    gain = lot_sells["realized_gain"].to_numpy(dtype=float)
    long_term = (lot_sells["term"].astype(str).str.upper() == "LONG").to_numpy()
    parts = pd.DataFrame(
        {
            "net_st": np.where(long_term, 0.0, gain),
            "net_lt": np.where(long_term, gain, 0.0),
            "gains_st": np.where(~long_term & (gain > 0), gain, 0.0),
            "gains_lt": np.where(long_term & (gain > 0), gain, 0.0),
        },
        index=lot_sells["account_id"].astype(str).to_numpy(),
    )
    return parts.groupby(level=0, sort=True).sum().rename_axis("account_id")


@property_examples(
    40,
    300,
    given(
        st.lists(
            st.tuples(
                st.sampled_from(["A10", "A9", "B1", "a1", None]),
                st.sampled_from(["LONG", "SHORT", "long", None]),
                st.floats(-1e7, 1e7, allow_nan=False) | st.sampled_from([0.1, 0.2, 0.3, -0.0]),
            ),
            max_size=40,
        ),
        st.booleans(),
    ),
)
def test_lot_sums_by_account_rank_are_the_sums_grouped_by_the_ids_to_the_bit(rows, arrow):
    """Issue 23: grouped by each id's rank among the sorted ids instead of by the ids, the sums,
    their order and the index are the same (the same rows meet in the same order), on text held
    as Python objects or by Arrow, with ids missing or not."""
    lot_sells = pd.DataFrame(rows, columns=["account_id", "term", "realized_gain"])
    if arrow:
        lot_sells = lot_sells.astype({"account_id": "str", "term": "str"})
    pd.testing.assert_frame_equal(
        lot_gain_sums(lot_sells), sums_grouped_by_the_ids(lot_sells), check_exact=True
    )
