"""Pre-trade compliance (PRODUCT.md, "Pre-trade compliance"): every rule catches its failing case,
in every kind of account, and a clean proposal passes untouched."""

from __future__ import annotations

import pandas as pd
import pytest

from sma.compliance import ComplianceLimits, ProposalBook, check_proposal, check_run_totals
from tests.example_counts import fast_few

ACCOUNT_TYPES = ["TAXABLE", "IRA", "ROTH"]


def clean_book(account: str) -> ProposalBook:
    """One account sells 10 XOM from lot L1 and buys 5 CVX; nothing is blocked."""
    return ProposalBook(
        trades=pd.DataFrame(
            {
                "account_id": [account, account],
                "symbol": ["XOM", "CVX"],
                "side": ["SELL", "BUY"],
                "quantity": [10.0, 5.0],
                "price": [100.0, 150.0],
                "notional": [1000.0, 750.0],
            }
        ),
        lot_sells=pd.DataFrame(
            {"account_id": [account], "symbol": ["XOM"], "lot_id": ["L1"], "quantity": [10.0]}
        ),
        lots=pd.DataFrame(
            {
                "account_id": [account, account],
                "lot_id": ["L1", "L2"],
                "symbol": ["XOM", "XOM"],
                "quantity": [10.0, 4.0],
                "cost_basis": [800.0, 480.0],  # L1: $80 a share, so the sale gains $200
            }
        ),
        cash=pd.DataFrame({"account_id": [account], "amount": [0.0]}),
        held=pd.DataFrame({"account_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)}),
        buy_blocked=pd.DataFrame(
            {"account_id": [account], "symbol": ["AAPL"], "why": ["NO_BUY restriction"]}
        ),
        sell_blocked=pd.DataFrame(
            {"account_id": [account], "symbol": ["MSFT"], "why": ["NO_SELL restriction"]}
        ),
        market=pd.DataFrame(
            {
                "symbol": ["XOM", "CVX", "AAPL", "MSFT"],
                "close": [100.0, 150.0, 200.0, 300.0],
                "volume": [1e6, 1e6, 1e6, None],
            }
        ),
        budgets=pd.DataFrame({"account_id": [account], "left": [1_000.0]}),
    )


def with_trades(book: ProposalBook, **changes) -> ProposalBook:
    return ProposalBook(**{**book.__dict__, **changes})


def rules_broken(book: ProposalBook) -> set[str]:
    return set(check_proposal(book)["rule"])


@pytest.mark.parametrize("account", [f"ACC-{t}" for t in ACCOUNT_TYPES])
def test_a_clean_proposal_passes_every_rule(account):
    assert check_proposal(clean_book(account)).empty


def _order_in_held_account(b: ProposalBook, a: str) -> ProposalBook:
    return with_trades(
        b, held=pd.DataFrame({"account_id": [a], "reason": ["reconciliation break"]})
    )


def _restricted_buy(b, a):
    t = b.trades.copy()
    t.loc[1, ["symbol", "price", "notional"]] = ["AAPL", 200.0, 1000.0]
    return with_trades(b, trades=t)


def _wash_blocked_buy(b, a):
    blocked = pd.concat(
        [
            b.buy_blocked,
            pd.DataFrame(
                {
                    "account_id": [a],
                    "symbol": ["CVX"],
                    "why": ["wash sale: household sold CVX at a loss on 2026-11-10"],
                }
            ),
        ]
    )
    return with_trades(b, buy_blocked=blocked)


def _sale_of_no_sell(b, a):
    t = b.trades.copy()
    t.loc[0, ["symbol", "price", "notional"]] = ["MSFT", 300.0, 3000.0]
    ls = b.lot_sells.assign(symbol="MSFT")
    lots = pd.concat(
        [
            b.lots,
            pd.DataFrame(
                {"account_id": [a], "lot_id": ["L1"], "symbol": ["MSFT"], "quantity": [10.0]}
            ),
        ]
    )
    return with_trades(b, trades=t, lot_sells=ls, lots=lots)


def _lot_oversold(b, a):
    t = b.trades.copy()
    t.loc[0, ["quantity", "notional"]] = [12.0, 1200.0]
    return with_trades(b, trades=t, lot_sells=b.lot_sells.assign(quantity=12.0))


def _sell_without_lots(b, a):
    return with_trades(b, lot_sells=b.lot_sells.assign(quantity=6.0))


def _short(b, a):
    t = b.trades.copy()
    t.loc[0, ["quantity", "notional"]] = [20.0, 2000.0]
    ls = pd.DataFrame(
        {
            "account_id": [a, a],
            "symbol": ["XOM", "XOM"],
            "lot_id": ["L1", "L9"],
            "quantity": [10.0, 10.0],
        }
    )
    return with_trades(b, trades=t, lot_sells=ls)


def _negative_cash(b, a):
    t = b.trades.copy()
    t.loc[1, ["quantity", "notional"]] = [10.0, 1500.0]
    return with_trades(b, trades=t)


def _duplicate(b, a):
    return with_trades(
        b,
        trades=pd.concat([b.trades, b.trades.iloc[[1]]], ignore_index=True),
        cash=b.cash.assign(amount=1e6),
    )


def _quantity_limit(b, a):
    t = b.trades.copy()
    t.loc[1, ["quantity", "notional"]] = [5.5, 825.0]
    return with_trades(b, trades=t)


def _notional_limit(b, a):
    t = b.trades.copy()
    t.loc[1, ["quantity", "notional"]] = [200_000.0, 30_000_000.0]
    return with_trades(b, trades=t, cash=b.cash.assign(amount=1e9))


def _volume_limit(b, a):
    return with_trades(b, market=b.market.assign(volume=[1e6, 50.0, 1e6, None]))


def _price_collar(b, a):
    t = b.trades.copy()
    t.loc[1, ["price", "notional"]] = [180.0, 900.0]
    return with_trades(b, trades=t, cash=b.cash.assign(amount=1e6))


def _gain_budget(b, a):
    return with_trades(b, budgets=b.budgets.assign(left=150.0))


BREAKS = {
    "order_in_held_account": _order_in_held_account,
    "blocked_buy": _restricted_buy,
    "blocked_buy ": _wash_blocked_buy,
    "blocked_sell": _sale_of_no_sell,
    "lot_oversold": _lot_oversold,
    "sell_without_lots": _sell_without_lots,
    "short_position": _short,
    "negative_cash": _negative_cash,
    "duplicate_order": _duplicate,
    "quantity_limit": _quantity_limit,
    "notional_limit": _notional_limit,
    "volume_limit": _volume_limit,
    "price_collar": _price_collar,
    "gain_budget": _gain_budget,
}


# Each rule in every account type with the slow group; in the fast group each rule once, the
# account types taken in turn.
RULE_CASES = [(rule, kind) for rule in BREAKS for kind in ACCOUNT_TYPES]


@pytest.mark.parametrize(
    ("rule", "account_type"),
    fast_few(
        RULE_CASES,
        [f"{rule}-{kind}" for rule, kind in RULE_CASES],
        {i * len(ACCOUNT_TYPES) + i % len(ACCOUNT_TYPES) for i in range(len(BREAKS))},
    ),
)
def test_each_rule_catches_its_failing_case_in_every_account_type(rule, account_type):
    account = f"ACC-{account_type}"
    found = check_proposal(BREAKS[rule](clean_book(account), account))
    assert rule.strip() in set(found["rule"])
    assert set(found["account_id"]) == {account}


def test_run_totals_far_above_recent_nights_are_flagged_for_the_pm():
    recent = pd.DataFrame({"orders": [100, 120, 110], "notional": [1e6, 1.2e6, 0.9e6]})
    assert check_run_totals(115, 1.1e6, recent) == []
    reasons = check_run_totals(1000, 9e6, recent, ComplianceLimits())
    assert len(reasons) == 2 and "notional" in reasons[0]
    assert check_run_totals(10_000, 1e12, recent.iloc[0:0]) == []


def test_run_totals_are_held_against_only_the_newest_run_history_nights():
    # Newest first: two busy recent nights, then a long quiet past the limit leaves out.
    recent = pd.DataFrame({"orders": [1000, 1000] + [10] * 10, "notional": [9e6, 9e6] + [1e4] * 10})
    assert check_run_totals(1000, 9e6, recent, ComplianceLimits(run_history_nights=2)) == []
    assert len(check_run_totals(1000, 9e6, recent, ComplianceLimits(run_history_nights=12))) == 2


def _fractional_sale(book: ProposalBook, quantity: float) -> ProposalBook:
    """The clean book's sale of lot L1 as ``quantity`` shares (lot sell and trade alike)."""
    t, ls = book.trades.copy(), book.lot_sells.copy()
    t.loc[0, ["quantity", "notional"]] = [quantity, quantity * 100.0]
    ls.loc[0, "quantity"] = quantity
    return with_trades(book, trades=t, lot_sells=ls)


@pytest.mark.parametrize("account", ACCOUNT_TYPES)
def test_a_fractional_shares_account_may_trade_to_the_custodians_decimals_and_no_finer(account):
    """Issue 17: an account whose inbox row sets fractional_shares trades to the custodian's
    decimals (0.001 share by default); a whole-share account still trades whole shares."""
    fractional = with_trades(clean_book(account), fractional=frozenset({account}))
    assert rules_broken(_fractional_sale(fractional, 9.875)) == set()
    assert rules_broken(_fractional_sale(fractional, 9.8755)) == {"quantity_limit"}
    assert rules_broken(_fractional_sale(clean_book(account), 9.875)) == {"quantity_limit"}
    two = with_trades(fractional, decimals=2)
    assert rules_broken(_fractional_sale(two, 9.875)) == {"quantity_limit"}


@pytest.mark.parametrize("account", ACCOUNT_TYPES)
def test_a_whole_share_account_may_sell_out_a_fractional_position_and_only_the_whole_of_it(account):
    """A whole-share account can hold a fraction of a share (a merger's kept fraction, the part of
    a lot a wash sale split off: CORPORATE_ACTIONS.md, "Cash in lieu"; IRS Publication 550). Selling
    the whole position is a valid order; selling a fraction that leaves shares behind is not."""
    book = clean_book(account)
    lots = book.lots.assign(quantity=[10.0, 4.4144])  # XOM held: 14.4144 shares
    t = book.trades.copy()
    t.loc[0, ["quantity", "notional"]] = [14.4144, 1441.44]
    sells = pd.DataFrame(
        {
            "account_id": [account, account],
            "symbol": ["XOM", "XOM"],
            "lot_id": ["L1", "L2"],
            "quantity": [10.0, 4.4144],
        }
    )
    sold_out = with_trades(book, lots=lots, trades=t, lot_sells=sells)
    assert rules_broken(sold_out) == set()
    part = t.copy()
    part.loc[0, ["quantity", "notional"]] = [10.4144, 1041.44]
    partial = sells.assign(quantity=[10.0, 0.4144])
    assert rules_broken(with_trades(sold_out, trades=part, lot_sells=partial)) == {"quantity_limit"}


def _budget_left(left: float, basis: float = 800.0) -> ProposalBook:
    """The clean book's sale of 10 XOM at $100 from lot L1 of cost basis ``basis``, with ``left``
    USD of the gain budget left this year."""
    book = clean_book("ACC-TAXABLE")
    return with_trades(
        book,
        lots=book.lots.assign(cost_basis=[basis, 480.0]),
        budgets=book.budgets.assign(left=left),
    )


def test_sales_may_realize_the_gain_budget_left_to_the_cent_and_no_more():
    """PRODUCT.md, the per-account decision: realized net gains this year <= the gain budget. The
    $200 gain of selling lot L1 fits $200.00 left, and $199.99 (a cent for rounding), not
    $199.98."""
    assert rules_broken(_budget_left(200.0)) == set()
    assert rules_broken(_budget_left(199.99)) == set()
    found = check_proposal(_budget_left(199.98))
    assert found[["account_id", "symbol", "rule"]].values.tolist() == [
        ["ACC-TAXABLE", None, "gain_budget"]
    ]
    assert found["message"].iloc[0] == (
        "tonight's sales realize a net gain of $200.00; the gain budget has $199.98 left this year"
    )


def test_an_overspent_gain_budget_allows_losses_and_no_net_gain():
    """A budget already overspent (corporate actions can do that) leaves no room: a harvest is
    still fine, a sale at a gain is not."""
    assert rules_broken(_budget_left(-50.0, basis=1_200.0)) == set()  # a $200 loss
    found = check_proposal(_budget_left(-50.0))
    assert found["message"].iloc[0] == (
        "tonight's sales realize a net gain of $200.00; the gain budget has $0.00 left this year "
        "(overspent)"
    )


def test_the_net_gain_is_the_accounts_over_all_its_lot_sells():
    """A loss on one lot pays for a gain on another, as the budget counts them (net realized)."""
    book = _budget_left(50.0)
    two = with_trades(
        book,
        trades=book.trades.assign(quantity=[14.0, 5.0], notional=[1400.0, 750.0]),
        lot_sells=pd.DataFrame(
            {
                "account_id": ["ACC-TAXABLE"] * 2,
                "symbol": ["XOM"] * 2,
                "lot_id": ["L1", "L2"],
                "quantity": [10.0, 4.0],
            }
        ),
        lots=book.lots.assign(cost_basis=[800.0, 560.0]),  # +$200 and -$160: $40 net
        cash=book.cash.assign(amount=1e6),
    )
    assert rules_broken(two) == set()
    assert rules_broken(with_trades(two, budgets=two.budgets.assign(left=39.0))) == {"gain_budget"}


def test_no_budget_means_no_limit():
    """An account without a budget (blank in the inbox, or an IRA: ``left`` inf), or missing from
    the budgets, may realize any gain."""
    assert rules_broken(_budget_left(float("inf"))) == set()
    book = _budget_left(0.0)
    assert rules_broken(with_trades(book, budgets=book.budgets.iloc[:0])) == set()
