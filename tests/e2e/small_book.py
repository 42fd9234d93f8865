"""A small hand-built book for multi-night end-to-end tests: 15 securities in 3 sectors, one
benchmark over them, two households (TAXABLE + IRA, and TAXABLE) with a few lots each, and about
300 business days of closes, so one night takes a second or two.

Every frame has the inbox contract's columns (``sma.inbox.INBOX_FILES``) in contract order.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.inbox import INBOX_FILES

SECTORS = ("Information Technology", "Financials", "Health Care")
SYMBOLS = tuple(f"{p}{k}" for p in ("TEC", "FIN", "HLT") for k in range(1, 6))
BENCHMARK = "SMALL15"
PRICE_DAYS = 300
ACCOUNTS = (
    # account_id, household_id, account_type, cash (USD)
    ("A1", "H1", "TAXABLE", 4_000.0),
    ("A2", "H1", "IRA", 2_500.0),
    ("A3", "H2", "TAXABLE", 6_000.0),
)


def columns(name: str) -> list[str]:
    return list(INBOX_FILES[name].column_names)


def empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns(name)})


def price_history(seed: int, last_day: date, days: int = PRICE_DAYS) -> pd.DataFrame:
    """Closes of every symbol for ``days`` business days ending ``last_day``: a seeded random walk
    with a common and a sector factor, so the risk model has structure to find."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(end=pd.Timestamp(last_day), periods=days)
    n = len(SYMBOLS)
    sector = np.repeat(np.arange(len(SECTORS)), n // len(SECTORS))
    market = rng.normal(0.0003, 0.009, (days, 1))
    sectors = rng.normal(0.0, 0.006, (days, len(SECTORS)))[:, sector]
    own = rng.normal(0.0, 0.012, (days, n))
    start = rng.uniform(20.0, 180.0, n)
    closes = np.round(start * np.exp(np.cumsum(market + sectors + own, axis=0)), 2)
    return pd.DataFrame(
        {
            "date": np.repeat(dates.date, n),
            "symbol": np.tile(SYMBOLS, days),
            "close": closes.ravel(),
            "volume": 5_000_000.0,
        }
    )


def initial_book(seed: int, as_of: date) -> dict[str, pd.DataFrame]:
    """The book's inbox frames on ``as_of`` (closes up to and including ``as_of``)."""
    rng = np.random.default_rng(seed + 1)
    prices = price_history(seed, as_of)
    securities = pd.DataFrame(
        {
            "symbol": SYMBOLS,
            "name": [f"{s} Corp" for s in SYMBOLS],
            "sector": np.repeat(SECTORS, len(SYMBOLS) // len(SECTORS)),
            "industry": "General",
            "identical_group": None,
            "esg_tags": None,
        }
    )
    weights = rng.uniform(0.5, 1.5, len(SYMBOLS))
    benchmarks = pd.DataFrame(
        {"benchmark_id": BENCHMARK, "symbol": SYMBOLS, "weight": weights / weights.sum()}
    )
    accounts = pd.DataFrame(
        {
            "account_id": [a[0] for a in ACCOUNTS],
            "household_id": [a[1] for a in ACCOUNTS],
            "client_name": [f"Client {a[0]}" for a in ACCOUNTS],
            "account_type": [a[2] for a in ACCOUNTS],
            "benchmark_id": BENCHMARK,
            "tlh_enabled": [a[2] == "TAXABLE" for a in ACCOUNTS],
            "st_tax_rate": 0.37,
            "lt_tax_rate": 0.20,
            "max_tracking_error": 0.03,
            "gain_budget": None,
            "min_trade_value": 100.0,
            "cash_target": 0.01,
            "inception_date": date(as_of.year - 2, 1, 4),
        }
    )
    dates = np.array(sorted(prices["date"].unique()))
    by_day = prices.set_index(["date", "symbol"])["close"]
    rows = []
    for account_id, _, _, _ in ACCOUNTS:
        held = rng.choice(len(SYMBOLS), 9, replace=False)
        for i in held:
            for k in range(int(rng.integers(1, 4))):
                day = dates[int(rng.integers(0, len(dates) - 5))]
                qty = float(rng.integers(5, 60))
                rows.append(
                    {
                        "account_id": account_id,
                        "lot_id": f"{account_id}-{SYMBOLS[i]}-{k}",
                        "symbol": SYMBOLS[i],
                        "quantity": qty,
                        "cost_basis": round(qty * float(by_day[(day, SYMBOLS[i])]), 2),
                        "acquired_date": day,
                        "adjusted_acquired_date": None,
                    }
                )
    lots = pd.DataFrame(rows, columns=columns("lots"))
    # The trade history the contract asks for (the last 31 days): the buys of the recent lots.
    recent = lots[
        pd.to_datetime(lots["acquired_date"]) >= pd.Timestamp(as_of) - pd.Timedelta(days=31)
    ]
    transactions = pd.DataFrame(
        {
            "account_id": recent["account_id"],
            "trade_date": recent["acquired_date"],
            "symbol": recent["symbol"],
            "side": "BUY",
            "quantity": recent["quantity"],
            "price": [
                float(by_day[(d, s)]) for d, s in zip(recent["acquired_date"], recent["symbol"])
            ],
            "realized_gain": None,
        }
    )[columns("transactions")].reset_index(drop=True)
    cash = pd.DataFrame(
        {"account_id": [a[0] for a in ACCOUNTS], "amount": [a[3] for a in ACCOUNTS]}
    )
    return {
        "securities": securities[columns("securities")],
        "prices": prices[columns("prices")],
        "benchmarks": benchmarks,
        "accounts": accounts[[c for c in columns("accounts") if c in accounts]],
        "restrictions": empty("restrictions"),
        "lots": lots,
        "cash": cash,
        "cash_flows": empty("cash_flows"),
        "transactions": transactions,
        "positions": positions_of(lots),
        "corporate_actions": empty("corporate_actions"),
    }


def positions_of(lots: pd.DataFrame) -> pd.DataFrame:
    """The custodian's view when it agrees with the lots: shares summed per account and symbol."""
    return lots.groupby(["account_id", "symbol"], as_index=False)["quantity"].sum()[
        columns("positions")
    ]
