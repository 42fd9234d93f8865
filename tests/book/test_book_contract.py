"""The generated book keeps the inbox contract (PRODUCT.md, "Inbox contract";
sma/inbox/_spec.py)."""

from datetime import date

import numpy as np
import pandas as pd

from sma.inbox import (
    FORMULA_PREFIXES,
    GICS_SECTORS,
    ID_PATTERN,
    INBOX_FILES,
    SYMBOL_PATTERN,
    ColumnKind,
)

AS_OF = date(2026, 11, 24)  # the as-of date of the ``book`` fixture (conftest.py)


def test_every_inbox_file_is_generated_with_the_contract_columns_in_order(book):
    """Contract: each file has exactly the columns of INBOX_FILES, in FileSpec.column_names
    order."""
    assert list(book) == list(INBOX_FILES)
    for name, spec in INBOX_FILES.items():
        assert tuple(book[name].columns) == spec.column_names, name


def test_ids_and_symbols_match_their_patterns(book):
    """Contract: ids match ID_PATTERN (safe in file names), tickers match SYMBOL_PATTERN."""
    for name, spec in INBOX_FILES.items():
        for column in spec.columns:
            values = book[name][column.name].dropna().astype(str)
            if column.kind is ColumnKind.ID:
                assert values.str.fullmatch(ID_PATTERN[1:-1]).all(), (name, column.name)
            if column.kind is ColumnKind.SYMBOL:
                assert values.str.fullmatch(SYMBOL_PATTERN[1:-1]).all(), (name, column.name)


def test_no_text_cell_can_start_a_spreadsheet_formula(book):
    """Contract: no text cell starts with = + - @ tab or CR (OWASP CSV injection)."""
    for name, frame in book.items():
        for column in frame.columns:
            if frame[column].dtype == "str":
                starts = frame[column].dropna().str[:1]
                assert not starts.isin(FORMULA_PREFIXES).any(), (name, column)


def test_enums_are_valid(book):
    """Contract: enum columns hold only their listed values."""
    for name, spec in INBOX_FILES.items():
        for column in spec.columns:
            if column.kind is ColumnKind.ENUM:
                assert book[name][column.name].dropna().isin(column.enum).all(), (name, column.name)


def test_every_symbol_is_in_the_security_master(book):
    """Contract: every symbol of every file is in securities."""
    master = set(book["securities"]["symbol"])
    for name, spec in INBOX_FILES.items():
        if "symbol" in spec.column_names and name != "securities":
            assert set(book[name]["symbol"].dropna()) <= master, name


def test_universe_has_about_500_names_in_all_11_sectors_with_share_class_pairs(book):
    """Issue 2: about 500 fictional securities in the 11 GICS sectors, some substantially identical
    pairs."""
    securities = book["securities"]
    assert 480 <= len(securities) <= 560
    assert set(securities["sector"]) == set(GICS_SECTORS)
    groups = securities["identical_group"].dropna().value_counts()
    assert len(groups) >= 3 and (groups == 2).all()
    for _, pair in securities.dropna(subset=["identical_group"]).groupby("identical_group"):
        assert pair["sector"].nunique() == 1
    assert securities["esg_tags"].notna().sum() > 20


def test_benchmark_weights_sum_to_one_and_a_sector_screened_variant_exists(book):
    """Contract: the weights of each benchmark sum to 1; issue 2: a sector-screened variant."""
    bench = book["benchmarks"].merge(book["securities"][["symbol", "sector"]], on="symbol")
    sums = bench.groupby("benchmark_id")["weight"].sum()
    assert np.allclose(sums, 1.0, atol=1e-9)
    assert bench.groupby("benchmark_id").size()["LC500"] >= 500
    assert "Energy" not in set(bench.loc[bench["benchmark_id"] == "LC500_EX_ENERGY", "sector"])
    assert set(book["accounts"]["benchmark_id"]) <= set(bench["benchmark_id"])


def test_prices_are_positive_finite_and_include_the_as_of_date_for_every_symbol(book):
    """Contract: closes > 0 and finite; the history includes the as-of date; business days only."""
    prices = book["prices"]
    assert np.isfinite(prices["close"]).all() and (prices["close"] > 0).all()
    last = prices[prices["date"] == pd.Timestamp(AS_OF)]
    assert set(last["symbol"]) == set(book["securities"]["symbol"])
    assert (prices["date"].dt.day_of_week < 5).all()
    assert not prices.duplicated(["date", "symbol"]).any()


def test_households_have_one_to_four_accounts_and_every_account_type(book):
    """Issue 2: households of 1-4 accounts (TAXABLE, IRA, ROTH) sharing one household_id."""
    accounts = book["accounts"]
    sizes = accounts.groupby("household_id").size()
    assert sizes.between(1, 4).all() and sizes.max() > 1
    assert set(accounts["account_type"]) == {"TAXABLE", "IRA", "ROTH"}
    assert accounts["account_id"].is_unique


def test_retirement_accounts_pay_no_tax_and_never_harvest(book):
    """PRODUCT.md, tax rules: IRA and ROTH accounts pay no tax and never harvest."""
    accounts = book["accounts"]
    retirement = accounts[accounts["account_type"] != "TAXABLE"]
    assert not retirement["tlh_enabled"].any()
    assert (retirement[["st_tax_rate", "lt_tax_rate"]] == 0).all().all()
    taxable = accounts[accounts["account_type"] == "TAXABLE"]
    assert (taxable["st_tax_rate"] > taxable["lt_tax_rate"]).all()
    assert accounts[["st_tax_rate", "lt_tax_rate"]].stack().between(0, 1).all()


def test_account_settings_are_in_range_and_some_accounts_have_a_gain_budget(book):
    """Contract: cash_target in [0, 1), positive minimum trade and tracking error; issue 2: gain
    budgets on some."""
    accounts = book["accounts"]
    assert accounts["cash_target"].between(0, 1, inclusive="left").all()
    assert (accounts["min_trade_value"] > 0).all() and (accounts["max_tracking_error"] > 0).all()
    assert accounts["gain_budget"].notna().any() and accounts["gain_budget"].isna().any()
    assert (accounts["gain_budget"].dropna() > 0).all()
    assert (accounts["inception_date"] <= pd.Timestamp(AS_OF)).all()


def test_restrictions_and_tilts_name_exactly_one_target(book):
    """Contract: exactly one of symbol, sector, esg_tag per restriction; of sector, symbol per
    tilt."""
    restrictions, tilts = book["restrictions"], book["tilts"]
    assert len(restrictions) > 0 and len(tilts) > 0
    assert (restrictions[["symbol", "sector", "esg_tag"]].notna().sum(axis=1) == 1).all()
    assert (tilts[["sector", "symbol"]].notna().sum(axis=1) == 1).all()
    assert (tilts["multiplier"] > 0).all()


def test_lots_are_whole_shares_with_cent_basis_never_after_the_as_of_date(book):
    """Contract: quantity > 0, cost_basis >= 0 in cents, no lot acquired after the as-of date, ids
    unique."""
    lots = book["lots"]
    assert (lots["quantity"] > 0).all() and (lots["quantity"] == lots["quantity"].round()).all()
    assert (lots["cost_basis"] >= 0).all()
    assert np.allclose(lots["cost_basis"], lots["cost_basis"].round(2), rtol=0, atol=1e-9)
    assert (lots["acquired_date"] <= pd.Timestamp(AS_OF)).all()
    assert not lots.duplicated(["account_id", "lot_id"]).any()


def test_wash_sale_adjusted_lots_count_their_holding_period_from_an_earlier_date():
    """IRS Publication 550, Wash Sales: the replacement's holding period includes the sold shares'.

    A book large enough to contain some: every adjusted date is before its acquired date.
    """
    from sma.book import BookParams, generate_book

    lots = generate_book(
        60, 5, AS_OF, BookParams(price_days=260, history_years=3, wash_adjusted_share=0.05)
    )["lots"]
    adjusted = lots.dropna(subset=["adjusted_acquired_date"])
    assert len(adjusted) > 0
    assert (adjusted["adjusted_acquired_date"] < adjusted["acquired_date"]).all()


def test_cash_only_accounts_are_newly_funded_and_hold_nothing(book):
    """Issue 2: some accounts are newly funded with cash only."""
    accounts = book["accounts"].set_index("account_id")
    holders = set(book["lots"]["account_id"])
    cash_only = [a for a in accounts.index if a not in holders]
    assert cash_only
    cash = book["cash"].set_index("account_id")["amount"]
    assert (cash[cash_only] >= 50_000).all()
    assert set(book["cash"]["account_id"]) == set(accounts.index)


def test_account_values_span_fifty_thousand_to_twenty_million(book):
    """Issue 2: accounts of $50k to $20M; a legacy stock makes some positions concentrated."""
    closes = book["prices"][book["prices"]["date"] == pd.Timestamp(AS_OF)].set_index("symbol")[
        "close"
    ]
    positions = book["positions"].assign(value=lambda f: f["quantity"] * f["symbol"].map(closes))
    value = (
        positions.groupby("account_id")["value"]
        .sum()
        .add(book["cash"].set_index("account_id")["amount"], fill_value=0.0)
    )
    assert value.min() >= 40_000 and value.max() <= 21_000_000
    largest_share = positions.groupby("account_id")["value"].max() / value
    assert (largest_share > 0.15).any()


def test_positions_reconcile_with_the_lots(book):
    """Contract: lots per (account, symbol) sum to the custodian's positions."""
    from_lots = book["lots"].groupby(["account_id", "symbol"])["quantity"].sum()
    positions = book["positions"].set_index(["account_id", "symbol"])["quantity"]
    pd.testing.assert_series_equal(
        from_lots.sort_index(), positions.sort_index(), check_names=False
    )


def test_transactions_cover_the_last_31_days_and_every_recent_buy_is_a_lot(book):
    """Contract: transactions within the 31 days up to the as-of date; a BUY there is a lot acquired
    that day."""
    trades, lots = book["transactions"], book["lots"]
    start = pd.Timestamp(AS_OF) - pd.Timedelta(days=30)
    assert trades["trade_date"].between(start, pd.Timestamp(AS_OF)).all()
    assert set(trades["side"]) == {"BUY", "SELL"}
    key = ["account_id", "symbol", "trade_date"]
    buys = trades[trades["side"] == "BUY"].groupby(key)["quantity"].sum()
    recent = lots[lots["acquired_date"] >= start].rename(columns={"acquired_date": "trade_date"})
    pd.testing.assert_series_equal(
        buys.sort_index(), recent.groupby(key)["quantity"].sum().sort_index(), check_names=False
    )
    sells = trades[trades["side"] == "SELL"]
    assert (
        sells["realized_gain"].notna().all()
        and trades.loc[trades["side"] == "BUY", "realized_gain"].isna().all()
    )
    assert (trades["quantity"] > 0).all() and (trades["price"] > 0).all()


def test_no_recent_sale_is_a_wash_sale_the_book_does_not_record(book):
    """IRS Publication 550, Wash Sales: no sale where the household bought the same or a
    substantially identical security (one identical_group) within 30 days."""
    accounts = book["accounts"][["account_id", "household_id"]]
    securities = book["securities"]
    group = dict(
        zip(securities["symbol"], securities["identical_group"].fillna(securities["symbol"]))
    )
    trades = (
        book["transactions"]
        .merge(accounts, on="account_id")
        .assign(group=lambda f: f["symbol"].map(group))
    )
    lots = (
        book["lots"].merge(accounts, on="account_id").assign(group=lambda f: f["symbol"].map(group))
    )
    sales = trades[trades["side"] == "SELL"]
    assert len(sales) > 0
    for sale in sales.itertuples():
        window = (lots["acquired_date"] - sale.trade_date).abs() <= pd.Timedelta(days=30)
        same = (lots["household_id"] == sale.household_id) & (lots["group"] == sale.group)
        assert not (window & same).any(), sale


def test_typical_positions_hold_several_lots_and_accounts_hold_hundreds_of_names(book):
    """Issue 2 (nightly benchmark): about 300-500 names per account, typically 3-10 lots per
    position."""
    lots_per_position = book["lots"].groupby(["account_id", "symbol"]).size()
    assert 2.5 <= lots_per_position.mean() <= 10
    names = book["positions"].groupby("account_id").size()
    assert names.median() >= 150 and names.max() <= 520


def test_client_names_are_fictional_text(book):
    """Issue 2: client names are fictional, deterministic from the seed: a given and a family
    name."""
    names = book["accounts"]["client_name"]
    assert names.str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").all()


def test_the_book_market_is_the_one_under_the_prices_file_and_can_be_continued(book, book_params):
    """A simulator continues the book's market past the as-of date from tonight's closes."""
    from sma.book import book_market
    from sma.market import simulate_prices

    market = book_market(11, AS_OF, book_params)
    tonight = book["prices"][book["prices"]["date"] == pd.Timestamp(AS_OF)]
    np.testing.assert_array_equal(tonight["close"].to_numpy(), market.history.closes[-1])
    onward = simulate_prices(market.universe, AS_OF, 5, seed=99)
    np.testing.assert_allclose(onward.closes[0], market.history.closes[-1])
    assert str(onward.dates[0]) == str(AS_OF)
