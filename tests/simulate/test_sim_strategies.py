"""The baselines' rules, on a handful of securities: what the threshold harvester sells and buys."""

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.ledger import ReliefMethod
from sma.rebalance import LotArrays, ShardInputs
from sma.simulate._strategies import replacement_choice, rules_orders, threshold_orders

SECTORS = np.array(["Energy", "Energy", "Energy", "Utilities"])
GROUP = np.array([0, 1, 1, 2])  # securities 1 and 2 are share classes of one company
PRICES = np.array([80.0, 50.0, 50.0, 30.0])


def shard(loss_sale_blocked=None, buy_blocked=None, account_type="TAXABLE") -> ShardInputs:
    m, n = 1, SECTORS.size
    no = np.zeros((m, n), bool)
    return ShardInputs(
        account_ids=np.array(["A"]),
        household_ids=np.array(["H"]),
        account_type=np.array([account_type]),
        tlh_enabled=np.array([True]),
        st_rate=np.array([0.4]),
        lt_rate=np.array([0.2]),
        max_tracking_error=np.array([0.01]),
        gain_budget_remaining=np.array([np.inf]),
        min_trade_value=np.array([0.0]),
        cash_target=np.array([0.0]),
        cash=np.array([0.0]),
        cash_flow=np.array([0.0]),
        symbols=np.array(["AAA", "BBB", "BBB.B", "CCC"]),
        sectors=SECTORS,
        identical_group=GROUP,
        prices=PRICES,
        target=np.full((m, n), 0.25),
        buy_blocked=no if buy_blocked is None else buy_blocked,
        loss_sale_blocked=no if loss_sale_blocked is None else loss_sale_blocked,
        no_sell=no,
        exclude=no,
        lot_account=np.array([0, 0]),
        lot_security=np.array([0, 3]),
        lot_ids=np.array(["L1", "L2"]),
        lot_qty=np.array([10.0, 10.0]),
        lot_basis=np.array([1000.0, 310.0]),
        lot_long_term=np.array([False, False]),
    )


LOTS = LotArrays(
    np.array([0, 0]),
    np.array([0, 3]),
    np.array(["L1", "L2"]),
    np.array([10.0, 10.0]),
    np.array([1000.0, 310.0]),
    np.array(["2024-01-02", "2024-01-02"], dtype="datetime64[D]"),
)
CORR = np.array([[1, 0.6, 0.9, 0.1], [0.6, 1, 1, 0.1], [0.9, 1, 1, 0.1], [0.1, 0.1, 0.1, 1]])


def test_replacements_are_same_sector_other_groups_best_correlated_first():
    ranked = replacement_choice(CORR, SECTORS, GROUP)
    assert ranked[0].tolist()[:2] == [2, 1] and ranked[0][2] == -1
    assert (ranked[1][:1] == [0]).all() and ranked[3][0] == -1


def test_lot_down_more_than_threshold_is_sold_and_replaced_by_the_best_correlated_name():
    orders = threshold_orders(shard(), LOTS, replacement_choice(CORR, SECTORS, GROUP), 0.10, 0.0)
    sells, buys = orders[orders["side"] == "SELL"], orders[orders["side"] == "BUY"]
    assert sells["lot_id"].tolist() == ["L1"]  # down 20 %; L2 down 3 % stays
    assert buys["security"].tolist() == [2] and buys["quantity"].tolist() == [16.0]  # 800 USD / 50


def test_a_position_bought_within_30_days_is_not_harvested():
    """IRS Pub. 550: a loss sale with a purchase in the 30 days before is washed; the baseline
    waits."""
    blocked = np.array([[True, False, False, False]])
    assert threshold_orders(
        shard(loss_sale_blocked=blocked), LOTS, replacement_choice(CORR, SECTORS, GROUP), 0.10, 0.0
    ).empty


def test_a_wash_blocked_replacement_is_skipped_for_the_next_best():
    blocked = np.array([[False, False, True, False]])
    orders = threshold_orders(
        shard(buy_blocked=blocked), LOTS, replacement_choice(CORR, SECTORS, GROUP), 0.10, 0.0
    )
    assert orders.loc[orders["side"] == "BUY", "security"].tolist() == [1]


def test_an_ira_never_harvests():
    """PRODUCT.md: IRA and ROTH accounts pay no tax and never harvest."""
    assert threshold_orders(
        shard(account_type="IRA"), LOTS, replacement_choice(CORR, SECTORS, GROUP), 0.10, 0.0
    ).empty


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(-20_000, 20_000))
def test_rules_never_oversell_never_buy_a_blocked_name_and_keep_cash_non_negative(seed, flow):
    """Invariants of the rules-based indexer, on random holdings, targets and blocks."""
    rng = np.random.default_rng(seed)
    n = SECTORS.size
    shares = np.floor(rng.uniform(0, 200, (1, n)))
    target = rng.dirichlet(np.ones(n))[None] * 0.98
    blocked = rng.random((1, n)) < 0.3
    loss_blocked = rng.random((1, n)) < 0.3
    base = shard(loss_sale_blocked=loss_blocked, buy_blocked=blocked)
    s = replace(
        base,
        target=target,
        cash=np.array([rng.uniform(0, 5_000)]),
        cash_flow=np.array([flow]),
        cash_target=np.array([0.02]),
    )
    orders = rules_orders(s, shares, shares * PRICES * 0.9, ReliefMethod.FIFO, 0.05, 0.005)
    sells, buys = orders[orders["side"] == "SELL"], orders[orders["side"] == "BUY"]
    assert (sells["quantity"].to_numpy() <= shares[0, sells["security"]]).all()
    assert not blocked[0, buys["security"]].any() and not loss_blocked[0, sells["security"]].any()
    cash = (
        s.cash[0]
        + flow
        + (sells["quantity"] * PRICES[sells["security"]]).sum()
        - (buys["quantity"] * PRICES[buys["security"]]).sum()
    )
    assert buys.empty or cash >= -1e-6
