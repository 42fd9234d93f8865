"""A prospect's files are checked where they are read: a missing file or column, a quantity the
lots do not hold, a budget that is not dollars -- each named (``ProposalInputError``)."""

import pandas as pd
import pytest

from pipelines.proposals import ProposalInputError, parse_budgets, read_prospect

LOTS = "symbol,quantity,cost_basis,acquired_date\nAAA,10,500,2015-01-02\nFUND,5,400,2019-03-01\n"


def test_budgets_read_dollars_and_none_as_no_limit():
    assert parse_budgets("0, 25_000,100000,none,Unlimited") == (
        0.0,
        25_000.0,
        100_000.0,
        float("inf"),
        float("inf"),
    )


@pytest.mark.parametrize("text", ["", "ten", "-5"])
def test_a_budget_that_is_not_dollars_is_refused(text):
    with pytest.raises(ProposalInputError, match="--budgets"):
        parse_budgets(text)


def test_lots_and_holdings_are_read_from_csv_or_parquet(tmp_path):
    (tmp_path / "lots.csv").write_text(LOTS)
    pd.DataFrame({"symbol": ["FUND"], "price": [90.0], "quantity": [5.0]}).to_parquet(
        tmp_path / "holdings.parquet"
    )
    lots, holdings = read_prospect(tmp_path / "lots.csv", tmp_path / "holdings.parquet")
    assert list(lots["symbol"]) == ["AAA", "FUND"] and holdings["price"].iloc[0] == 90.0
    _, none = read_prospect(tmp_path / "lots.csv", None)
    assert list(none.columns) == ["symbol", "name", "price"] and not len(none)


@pytest.mark.parametrize(
    ("lots", "holdings", "message"),
    [
        (None, None, "no such file"),
        ("symbol,quantity\nAAA,1\n", None, "missing column"),
        (LOTS, "symbol,name\nFUND,A fund\n", "symbol and price"),
        (LOTS, "symbol,price,quantity\nFUND,90,6\n", "quantity of FUND is 6"),
    ],
)
def test_a_prospect_file_that_cannot_be_used_is_named(tmp_path, lots, holdings, message):
    if lots is not None:
        (tmp_path / "lots.csv").write_text(lots)
    if holdings is not None:
        (tmp_path / "holdings.csv").write_text(holdings)
    with pytest.raises(ProposalInputError, match=message):
        read_prospect(tmp_path / "lots.csv", tmp_path / "holdings.csv" if holdings else None)
