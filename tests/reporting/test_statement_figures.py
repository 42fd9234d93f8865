"""Golden figures of the client statement, recomputed here from the sample's inputs by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from reporting_samples import realized_rows, statement_data

from sma.reporting._figures import (
    holdings_appendix,
    realized_summary,
    sector_weights,
    statement_figures,
)


def test_realized_year_to_date_splits_short_and_long_term_gains_and_losses():
    """Short-term: held one year or less (IRS Publication 550). Sample 2026 rows:
    ST gains 600 (XOM), ST losses 1,000 (INTC) + 300 (BA), the washed INTC lot counts 0;
    LT gains 600 (KO), LT losses 1,200 (PFE)."""
    r = realized_summary(realized_rows(), date(2026, 1, 1), date(2026, 9, 30))
    assert (r.st_gains, r.st_losses, r.lt_gains, r.lt_losses) == (600.0, 1300.0, 600.0, 1200.0)
    assert (r.st_net, r.lt_net, r.net) == (-700.0, -600.0, -1300.0)
    assert r.wash_sale_disallowed == 500.0


def test_realized_for_the_period_counts_only_sales_dated_inside_it():
    r = realized_summary(realized_rows(), date(2026, 7, 1), date(2026, 9, 30))
    assert (r.st_gains, r.st_losses) == (0.0, 1300.0)


def test_holdings_appendix_lists_every_position_with_its_unrealized_gain_and_term():
    """Term at the period end (IRS Publication 550, ch. 4): all shares long-term -> Long, none ->
    Short,
    some -> Mixed. Sample: AAPL all 160 long, MSFT 50 of 80 long, JPM none."""
    data = statement_data()
    a = holdings_appendix(data.holdings, 100_000.0).set_index("symbol")
    assert len(a) == len(data.holdings)
    assert (a.loc["AAPL", "term"], a.loc["MSFT", "term"], a.loc["JPM", "term"]) == (
        "LONG",
        "MIXED",
        "SHORT",
    )
    assert a.loc["AAPL", "unrealized_gain"] == 160 * 230.0 - 24000.0


def test_sector_weights_are_over_securities_and_cash_and_sum_to_one():
    holdings = pd.DataFrame(
        {"sector": ["Energy", "Energy", "Utilities"], "market_value": [300.0, 100.0, 500.0]}
    )
    bench = pd.DataFrame(
        {"sector": ["Energy", "Utilities", "Financials"], "weight": [0.5, 0.3, 0.2]}
    )
    w = sector_weights(holdings, 100.0, bench).set_index("sector")
    assert w.loc["Energy", "account_weight"] == pytest.approx(0.4)
    assert w.loc["Utilities", "account_weight"] == pytest.approx(0.5)
    assert w.loc["Cash", "account_weight"] == pytest.approx(0.1)
    assert w.loc["Financials", "account_weight"] == 0.0
    assert w.loc["Financials", "difference"] == pytest.approx(-0.2)
    assert w["account_weight"].sum() == pytest.approx(1.0)
    assert list(w.index)[-1] == "Cash"


def test_statement_figures_reconcile_with_the_inputs():
    """Every statement figure traced to its inputs: the golden numbers of the sample account."""
    data = statement_data()
    f = statement_figures(data)
    # value: the last valuation; it equals holdings plus cash
    assert f.change.value_end == pytest.approx(data.values["market_value"].iloc[-1])
    assert f.change.value_end == pytest.approx(data.holdings["market_value"].sum() + data.cash)
    # change: start + flows + gain = end, and the period's flows are the 20,000 contribution
    c = f.change
    assert c.net_flows == 20_000.0
    assert c.value_start + c.net_flows + c.investment_gain == pytest.approx(c.value_end)
    # period TWR recomputed from the daily series: V_t / (V_{t-1} + CF_t), Jul 1 .. Sep 30
    v = data.values.assign(date=pd.to_datetime(data.values["date"]))
    g = v["market_value"] / (v["market_value"].shift(1) + v["cash_flow"])
    inq3 = (v["date"] >= "2026-07-01") & (v["date"] <= "2026-09-30")
    assert f.period.account == pytest.approx(float(np.prod(g[inq3])) - 1.0)
    b = data.benchmark_returns.assign(date=pd.to_datetime(data.benchmark_returns["date"]))
    bq3 = (b["date"] >= "2026-07-01") & (b["date"] <= "2026-09-30")
    assert f.period.benchmark == pytest.approx(float(np.prod(1 + b.loc[bq3, "return"])) - 1.0)
    assert f.since_inception.account == pytest.approx(float(np.prod(g.iloc[1:])) - 1.0)
    # taxes
    # losses netted (Pub. 550): ST -700, LT -600, a net loss of 1,300 under the $3,000 offset
    # (IRC 1211(b)); tax saved on the 600 + 600 of gains plus the offset at the ST rate
    assert f.loss_value.value == pytest.approx(600 * 0.37 + 600 * 0.20 + 1300 * 0.37)
    assert f.loss_value.carryforward == 0.0
    assert f.unrealized.gain == pytest.approx(
        (data.holdings["market_value"] - data.holdings["cost_basis"]).sum()
    )
    assert f.top["symbol"].iloc[0] == "AAPL"
    # the period's trades by reason: 3 harvests, 2 replacements, 1 cash investment
    assert dict(zip(f.reasons["reason"], f.reasons["trades"], strict=True)) == {
        "HARVEST": 3,
        "REPLACE": 2,
        "CASH_INVEST": 1,
    }
    assert (f.contributions, f.withdrawals) == (20_000.0, 0.0)


def test_since_inception_is_named_so_only_when_the_valuations_reach_back_to_the_accounts_inception():
    """Issue 15: an account opened in 2021 whose daily values begin in 2025 must not print
    "Since inception" from 2025; it says from when its valuations begin, and the cover says when
    it opened."""
    data = statement_data()
    first = pd.Timestamp(data.values["date"].iloc[0]).date()
    assert statement_figures(data).since_inception.label == "Since inception"
    older = replace(data, inception=date(2021, 6, 1))
    assert statement_figures(older).since_inception.label == "Since first valuation"
    assert (
        statement_figures(replace(data, inception=first)).since_inception.label == "Since inception"
    )


@pytest.mark.parametrize(
    ("account", "benchmark", "words"),
    [
        (-0.0446, -0.0408, "your account lost 4.46% (time-weighted), against -4.08% for its"),
        (0.0123, 0.0, "your account gained 1.23% (time-weighted), against 0.00% for its"),
        (-0.00004, 0.00004, "your account returned 0.00% (time-weighted), against 0.00% for its"),
    ],
)
def test_the_covers_sentence_reads_the_return_as_the_table_prints_it(account, benchmark, words):
    """The cover's "This period in brief": the verb follows the figure as printed, so a return of
    -0.004% is not "lost 0.00%", and a benchmark that shows as zero has no sign."""
    from sma.reporting._narrative import in_brief

    f = statement_figures(statement_data())
    f = replace(f, period=replace(f.period, account=account, benchmark=benchmark))
    assert words in in_brief(f, "TAXABLE", "2026-Q3")
