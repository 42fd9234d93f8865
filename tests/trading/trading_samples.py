"""A small hand-made proposal for the trading tests, readable at a glance.

Run 2026-11-25, three accounts in two households:
  A1 (TAXABLE, H1) buys 10 AAPL and sells 5 XOM from lots L1 (2) and L2 (3)
  A2 (IRA, H1)     buys 30 AAPL
  A3 (TAXABLE, H2) sells 7 XOM from lot L9
  A4 (TAXABLE, H2) buys 4 MSFT but was held out by the night
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from sma.trading import Blotter, build_blotter

RUN = "2026-11-25"


def trades() -> pd.DataFrame:
    t = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A1", "A3", "A4"],
            "household_id": ["H1", "H1", "H1", "H2", "H2"],
            "account_type": ["TAXABLE", "IRA", "TAXABLE", "TAXABLE", "TAXABLE"],
            "symbol": ["AAPL", "AAPL", "XOM", "XOM", "MSFT"],
            "side": ["BUY", "BUY", "SELL", "SELL", "BUY"],
            "quantity": [10.0, 30.0, 5.0, 7.0, 4.0],
            "price": [200.0, 200.0, 100.0, 100.0, 400.0],
            "reason": ["REBALANCE", "CASH_INVEST", "HARVEST", "REBALANCE", "REBALANCE"],
        }
    )
    t.insert(0, "run_id", RUN)
    t.insert(1, "as_of_date", date(2026, 11, 25))
    t["notional"] = t["quantity"] * t["price"]
    return t


def lot_sells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A3"],
            "symbol": ["XOM", "XOM", "XOM"],
            "lot_id": ["L1", "L2", "L9"],
            "quantity": [2.0, 3.0, 7.0],
        }
    )


def exceptions() -> pd.DataFrame:
    return pd.DataFrame({"account_id": ["A4"], "reason": ["position break"]})


def blotter() -> Blotter:
    return build_blotter(trades(), lot_sells(), exceptions())


def fills(*rows: tuple, first_exec: int = 1) -> pd.DataFrame:
    """Fill rows as (order_id, account_id, symbol, side, quantity, price, lot_id), one broker
    execution each: exec ids X<first_exec>, X<first_exec + 1>, ... (so the same call twice is a
    replay)."""
    frame = pd.DataFrame(
        list(rows),
        columns=["order_id", "account_id", "symbol", "side", "quantity", "price", "lot_id"],
    )
    frame.insert(0, "exec_id", [f"X{first_exec + i}" for i in range(len(frame))])
    return frame


BUY_AAPL = f"{RUN}-BUY-AAPL"
SELL_XOM = f"{RUN}-SELL-XOM"
