"""A prospect's files are checked where they are read, by the inbox's reader and contracts
(pipelines.validate.read_input_file: issue 18, one implementation of input reading): a missing
file or column, a bad cell, a quantity the lots do not hold, a budget that is not dollars -- each
named with its file, row, column and rule (``ProposalInputError``)."""

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
        ("symbol,quantity\nAAA,1\n", None, "required column 'cost_basis' is missing"),
        (LOTS, "symbol,name\nFUND,A fund\n", "required column 'price' is missing"),
        (LOTS, "symbol,price\nFUND,0\n", "price of FUND must be > 0"),
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


def test_a_bad_cell_of_a_prospect_file_is_named_by_file_row_column_and_rule(tmp_path):
    """The lots suite's rules (data_contracts/suites/lots.json) hold for a prospect's lots too."""
    (tmp_path / "prospect.csv").write_text(LOTS + "BBB,ten,100,2020-01-02\nCCC,-3,100,2020-01-02\n")
    with pytest.raises(ProposalInputError) as refused:
        read_prospect(tmp_path / "prospect.csv", None)
    lines = str(refused.value).splitlines()
    assert any(
        line.split()[:4] == ["prospect.csv", "3", "quantity", "number_format"] for line in lines
    ), lines
    assert any(
        line.split()[:4] == ["prospect.csv", "4", "quantity", "positive"] for line in lines
    ), lines


def test_an_absent_optional_column_is_left_out_and_a_blank_lot_id_is_allowed(tmp_path):
    (tmp_path / "lots.csv").write_text(
        "symbol,quantity,cost_basis,acquired_date,lot_id\nAAA,10,500,2015-01-02,\n"
    )
    lots, _ = read_prospect(tmp_path / "lots.csv", None)
    assert "account_id" not in lots and lots["lot_id"].isna().all()
    assert lots["acquired_date"].dtype.kind == "M" and lots["quantity"].iloc[0] == 10.0
