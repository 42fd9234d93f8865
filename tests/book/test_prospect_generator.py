"""The generated prospect of the demo: a concentrated position at a large gain and a fund
outside the universe (issue 21, "Done when")."""

from datetime import date

from sma.book import OUTSIDE_FUND, generate_prospect
from sma.simulate import generated_market
from tests.simulate.small_universe import SMALL_UNIVERSE


def test_a_prospect_has_a_concentrated_low_basis_position_and_an_outside_fund():
    path = generated_market(3, date(2025, 1, 1), 80, universe_params=SMALL_UNIVERSE)
    t = 70
    p = generate_prospect(3, path.symbols, path.closes[t], path.index_weights(t)[0], path.dates[t])
    price = dict(zip(p.holdings["symbol"], p.holdings["price"]))
    value = p.lots["quantity"] * p.lots["symbol"].map(price)
    total = value.sum() + p.cash
    big = p.lots.iloc[0]
    assert 0.39 < value.iloc[0] / total < 0.41
    assert big["cost_basis"] < 0.2 * value.iloc[0]
    assert big["symbol"] in set(path.symbols)
    assert OUTSIDE_FUND[0] in set(p.lots["symbol"]) and OUTSIDE_FUND[0] not in set(path.symbols)
    again = generate_prospect(
        3, path.symbols, path.closes[t], path.index_weights(t)[0], path.dates[t]
    )
    assert again.lots.equals(p.lots)
