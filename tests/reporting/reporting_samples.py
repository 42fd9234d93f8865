"""Small hand-made inputs for the report tests: one statement, one night's review data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.reporting import Period, ReviewData, StatementData

SECURITIES = pd.DataFrame(
    {
        "symbol": ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "JPM", "XOM", "JNJ", "PG", "CAT", "NEE", "LIN"],
        "name": ["Apple Inc.", "Microsoft Corp.", "NVIDIA Corp.", "Amazon.com Inc.", "Alphabet Inc. Class A",
                 "JPMorgan Chase & Co.", "Exxon Mobil Corp.", "Johnson & Johnson", "Procter & Gamble Co.",
                 "Caterpillar Inc.", "NextEra Energy Inc.", "Linde plc"],
        "sector": ["Information Technology", "Information Technology", "Information Technology",
                   "Consumer Discretionary", "Communication Services", "Financials", "Energy", "Health Care",
                   "Consumer Staples", "Industrials", "Utilities", "Materials"],
        "quantity": [160.0, 80.0, 200.0, 120.0, 135.0, 95.0, 150.0, 110.0, 100.0, 55.0, 190.0, 34.0],
        "price": [230.0, 430.0, 120.0, 185.0, 165.0, 210.0, 115.0, 155.0, 168.0, 350.0, 72.0, 460.0],
        "cost_basis": [24000.0, 28000.0, 12000.0, 23500.0, 22800.0, 16100.0, 18200.0, 17600.0, 16000.0, 16400.0,
                       15500.0, 13600.0],
    }
)


def values_series(inception: date, end: date, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily valuations from inception (funded with 180,000) and the benchmark's daily returns."""
    days = pd.bdate_range(inception, end)
    rng = np.random.default_rng(seed)
    bench = rng.normal(0.0004, 0.009, len(days))
    acct = bench + rng.normal(0.0, 0.0015, len(days))
    flows = np.zeros(len(days))
    flows[0] = 180_000.0
    flows[days.get_indexer([pd.Timestamp("2026-08-14")])[0]] = 20_000.0
    flows[days.get_indexer([pd.Timestamp("2026-02-02")])[0]] = -5_000.0
    value = np.empty(len(days))
    value[0] = flows[0]
    for t in range(1, len(days)):
        value[t] = (value[t - 1] + flows[t]) * (1.0 + acct[t])
    values = pd.DataFrame({"date": days.date, "market_value": value.round(2), "cash_flow": flows})
    benchmark = pd.DataFrame({"date": days.date[1:], "return": bench[1:]})
    return values, benchmark


def realized_rows() -> pd.DataFrame:
    """2026's realized lots: short and long, gains and losses, one washed loss (code W)."""
    return pd.DataFrame(
        {
            "symbol": ["XOM", "INTC", "INTC", "PFE", "KO", "BA"],
            "lot_id": ["L-101", "L-102", "L-103", "L-104", "L-105", "L-106"],
            "acquired_date": ["2025-03-03", "2025-11-10", "2025-11-10", "2025-03-03", "2025-03-03", "2026-05-01"],
            "sale_date": ["2026-02-02", "2026-07-14", "2026-07-14", "2026-08-20", "2026-09-15", "2026-09-22"],
            "quantity": [40.0, 100.0, 50.0, 200.0, 30.0, 10.0],
            "proceeds": [4600.0, 2100.0, 1050.0, 5000.0, 2100.0, 1900.0],
            "cost_basis": [4000.0, 3100.0, 1550.0, 6200.0, 1500.0, 2200.0],
            "wash_sale_disallowed": [0.0, 0.0, 500.0, 0.0, 0.0, 0.0],
            "adjustment_code": ["", "", "W", "", "", ""],
            "gain": [600.0, -1000.0, 0.0, -1200.0, 600.0, -300.0],
            "term": ["SHORT", "SHORT", "SHORT", "LONG", "LONG", "SHORT"],
        }
    )


def statement_data(client: str = "Jordan & Casey Rivera", account_type: str = "TAXABLE") -> StatementData:
    period = Period(date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
    values, benchmark = values_series(date(2025, 3, 3), period.end)
    holdings = SECURITIES.assign(market_value=SECURITIES["quantity"] * SECURITIES["price"])
    cash = float(values["market_value"].iloc[-1] - holdings["market_value"].sum())
    sectors = pd.DataFrame(
        {
            "sector": ["Information Technology", "Financials", "Health Care", "Consumer Discretionary",
                       "Communication Services", "Industrials", "Consumer Staples", "Energy", "Utilities",
                       "Materials", "Real Estate"],
            "weight": [0.31, 0.13, 0.10, 0.10, 0.09, 0.08, 0.06, 0.04, 0.03, 0.03, 0.03],
        }
    )
    trades = pd.DataFrame(
        {
            "trade_date": ["2026-07-14", "2026-07-14", "2026-08-17", "2026-08-20", "2026-08-20", "2026-09-22"],
            "symbol": ["INTC", "AMD", "JPM", "PFE", "JNJ", "BA"],
            "side": ["SELL", "BUY", "BUY", "SELL", "BUY", "SELL"],
            "quantity": [150.0, 20.0, 70.0, 200.0, 30.0, 10.0],
            "price": [21.0, 155.0, 205.0, 25.0, 160.0, 190.0],
            "notional": [3150.0, 3100.0, 14350.0, 5000.0, 4800.0, 1900.0],
            "reason": ["HARVEST", "REPLACE", "CASH_INVEST", "HARVEST", "REPLACE", "HARVEST"],
        }
    )
    flows = pd.DataFrame({"date": ["2026-08-14"], "amount": [20_000.0]})
    rates = (0.37, 0.20) if account_type == "TAXABLE" else (0.0, 0.0)
    return StatementData(
        client=client, account_id="ACC-0001", account_type=account_type, period=period, values=values,
        benchmark_returns=benchmark, holdings=holdings, cash=cash, benchmark_sectors=sectors, trades=trades,
        cash_flows=flows, realized=realized_rows(), st_tax_rate=rates[0], lt_tax_rate=rates[1],
        benchmark_name="S&P 500 ex tobacco",
    )
