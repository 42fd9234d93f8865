"""Small hand-made inputs for the report tests: one statement, one night's review data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.reporting import Period, ReviewData, StatementData, lot_gain_sums, tax_figures

SECURITIES = pd.DataFrame(
    {
        "symbol": [
            "AAPL",
            "MSFT",
            "NVDA",
            "AMZN",
            "GOOGL",
            "JPM",
            "XOM",
            "JNJ",
            "PG",
            "CAT",
            "NEE",
            "LIN",
        ],
        "name": [
            "Apple Inc.",
            "Microsoft Corp.",
            "NVIDIA Corp.",
            "Amazon.com Inc.",
            "Alphabet Inc. Class A",
            "JPMorgan Chase & Co.",
            "Exxon Mobil Corp.",
            "Johnson & Johnson",
            "Procter & Gamble Co.",
            "Caterpillar Inc.",
            "NextEra Energy Inc.",
            "Linde plc",
        ],
        "sector": [
            "Information Technology",
            "Information Technology",
            "Information Technology",
            "Consumer Discretionary",
            "Communication Services",
            "Financials",
            "Energy",
            "Health Care",
            "Consumer Staples",
            "Industrials",
            "Utilities",
            "Materials",
        ],
        "quantity": [
            160.0,
            80.0,
            200.0,
            120.0,
            135.0,
            95.0,
            150.0,
            110.0,
            100.0,
            55.0,
            190.0,
            34.0,
        ],
        "price": [
            230.0,
            430.0,
            120.0,
            185.0,
            165.0,
            210.0,
            115.0,
            155.0,
            168.0,
            350.0,
            72.0,
            460.0,
        ],
        "cost_basis": [
            24000.0,
            28000.0,
            12000.0,
            23500.0,
            22800.0,
            16100.0,
            18200.0,
            17600.0,
            16000.0,
            16400.0,
            15500.0,
            13600.0,
        ],
        # shares of lots held more than a year at the period end: AAPL all, MSFT part, JPM none ...
        "long_term_quantity": [
            160.0,
            50.0,
            200.0,
            120.0,
            0.0,
            0.0,
            150.0,
            110.0,
            100.0,
            55.0,
            0.0,
            34.0,
        ],
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
            "acquired_date": [
                "2025-03-03",
                "2025-11-10",
                "2025-11-10",
                "2025-03-03",
                "2025-03-03",
                "2026-05-01",
            ],
            "sale_date": [
                "2026-02-02",
                "2026-07-14",
                "2026-07-14",
                "2026-08-20",
                "2026-09-15",
                "2026-09-22",
            ],
            "quantity": [40.0, 100.0, 50.0, 200.0, 30.0, 10.0],
            "proceeds": [4600.0, 2100.0, 1050.0, 5000.0, 2100.0, 1900.0],
            "cost_basis": [4000.0, 3100.0, 1550.0, 6200.0, 1500.0, 2200.0],
            "wash_sale_disallowed": [0.0, 0.0, 500.0, 0.0, 0.0, 0.0],
            "adjustment_code": ["", "", "W", "", "", ""],
            "gain": [600.0, -1000.0, 0.0, -1200.0, 600.0, -300.0],
            "term": ["SHORT", "SHORT", "SHORT", "LONG", "LONG", "SHORT"],
        }
    )


def statement_data(
    client: str = "Jordan & Casey Rivera", account_type: str = "TAXABLE"
) -> StatementData:
    period = Period(date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
    values, benchmark = values_series(date(2025, 3, 3), period.end)
    holdings = SECURITIES.assign(market_value=SECURITIES["quantity"] * SECURITIES["price"])
    cash = float(values["market_value"].iloc[-1] - holdings["market_value"].sum())
    sectors = pd.DataFrame(
        {
            "sector": [
                "Information Technology",
                "Financials",
                "Health Care",
                "Consumer Discretionary",
                "Communication Services",
                "Industrials",
                "Consumer Staples",
                "Energy",
                "Utilities",
                "Materials",
                "Real Estate",
            ],
            "weight": [0.31, 0.13, 0.10, 0.10, 0.09, 0.08, 0.06, 0.04, 0.03, 0.03, 0.03],
        }
    )
    trades = pd.DataFrame(
        {
            "trade_date": [
                "2026-07-14",
                "2026-07-14",
                "2026-08-17",
                "2026-08-20",
                "2026-08-20",
                "2026-09-22",
            ],
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
        client=client,
        account_id="ACC-0001",
        account_type=account_type,
        period=period,
        values=values,
        benchmark_returns=benchmark,
        holdings=holdings,
        cash=cash,
        benchmark_sectors=sectors,
        trades=trades,
        cash_flows=flows,
        realized=realized_rows(),
        st_tax_rate=rates[0],
        lt_tax_rate=rates[1],
        benchmark_name="S&P 500 ex tobacco",
    )


def review_data(n_accounts: int = 24, seed: int = 11) -> ReviewData:
    """A night over ``n_accounts`` accounts: most traded, some untouched, held, failed and
    flagged."""
    rng = np.random.default_rng(seed)
    ids = [f"ACC-{i:04d}" for i in range(1, n_accounts + 1)]
    status = np.array(["TRADED"] * n_accounts, dtype=object)
    status[1::6] = "NO_TRADE"
    status[3] = "HELD"
    status[5] = "FAILED"
    status[8] = "FLAGGED"
    types = np.array(["TAXABLE", "TAXABLE", "IRA", "TAXABLE", "ROTH", "TAXABLE"] * n_accounts)[
        :n_accounts
    ]
    te_before = rng.uniform(0.004, 0.03, n_accounts)
    traded = status == "TRADED"
    te_after = np.where(traded, te_before * rng.uniform(0.3, 0.7, n_accounts), te_before)
    te_after[8] = 0.031
    value = rng.uniform(150_000, 2_500_000, n_accounts).round(2)
    harvested = np.where(
        traded & (types == "TAXABLE"), rng.uniform(0, 25_000, n_accounts), 0.0
    ).round(2)
    names = [f"Client {i}" for i in range(1, n_accounts + 1)]
    names[0] = "O'Neil & Sons <script>alert(1)</script>"
    decisions = pd.DataFrame(
        {
            "account_id": ids,
            "household_id": [f"HH-{i // 2:03d}" for i in range(n_accounts)],
            "account_type": types,
            "client_name": names,
            "status": status,
            "reason": np.select(
                [status == "TRADED", status == "NO_TRADE", status == "HELD", status == "FAILED"],
                [
                    "drift and harvestable losses",
                    "within tolerance",
                    "reconciliation break",
                    "solver did not converge",
                ],
                "tracking error above limit after best trades",
            ),
            "te_before": te_before,
            "te_after": te_after,
            "max_tracking_error": np.full(n_accounts, 0.02),
            "realized_st": np.where(traded, rng.uniform(-8_000, 2_000, n_accounts), 0.0).round(2),
            "realized_lt": np.where(traded, rng.uniform(-3_000, 6_000, n_accounts), 0.0).round(2),
            "losses_harvested": harvested,
            "est_tax_saved": (harvested * 0.37).round(2),
            "turnover": np.where(traded, rng.uniform(0.005, 0.12, n_accounts), 0.0),
            "cash_before": (value * 0.03).round(2),
            "cash_after": (value * 0.01).round(2),
            "market_value": value,
        }
    )
    symbols = SECURITIES["symbol"].to_numpy()
    sectors = dict(zip(SECURITIES["symbol"], SECURITIES["sector"], strict=True))
    trade_rows, lot_rows, holding_rows = [], [], []
    reasons = ["HARVEST", "REPLACE", "REBALANCE", "CASH_INVEST"]
    for i, aid in enumerate(ids):
        target = rng.dirichlet(np.ones(len(symbols)))
        before = np.clip(target + rng.normal(0, 0.01, len(symbols)), 0, None)
        before /= before.sum()
        after = before if not traded[i] else 0.3 * before + 0.7 * target
        holding_rows.append(
            pd.DataFrame(
                {
                    "account_id": aid,
                    "symbol": symbols,
                    "sector": [sectors[s] for s in symbols],
                    "weight_before": before,
                    "weight_after": after,
                    "target_weight": target,
                }
            )
        )
        if traded[i]:
            picks = rng.choice(len(symbols), 4, replace=False)
            for k, j in enumerate(picks):
                side = "SELL" if k % 2 == 0 else "BUY"
                qty, price = float(rng.integers(5, 200)), round(float(rng.uniform(50, 400)), 2)
                trade_rows.append(
                    (aid, symbols[j], side, qty, price, round(qty * price, 2), reasons[k])
                )
                if side == "SELL":
                    basis = round(qty * price * rng.uniform(0.8, 1.3), 2)
                    lot_rows.append(
                        (
                            aid,
                            symbols[j],
                            f"L-{i}-{k}",
                            qty,
                            basis,
                            round(qty * price, 2),
                            round(qty * price - basis, 2),
                            "SHORT" if k == 0 else "LONG",
                        )
                    )
    trades = pd.DataFrame(
        trade_rows,
        columns=["account_id", "symbol", "side", "quantity", "price", "notional", "reason"],
    )
    lot_sells = pd.DataFrame(
        lot_rows,
        columns=[
            "account_id",
            "symbol",
            "lot_id",
            "quantity",
            "cost_basis",
            "proceeds",
            "gain",
            "term",
        ],
    )
    wash = pd.DataFrame(
        {
            "account_id": [ids[0], ids[0], ids[2]],
            "symbol": ["INTC", "AAPL", "PFE"],
            "kind": ["BUY_BLOCKED", "LOSS_SALE_BLOCKED", "BUY_BLOCKED"],
            "until": [date(2026, 12, 14), date(2026, 12, 3), date(2026, 12, 10)],
            "why": [
                "sold at a loss on 2026-11-13 in household HH-000 </script><b>x</b>",
                "bought on 2026-11-02 in ACC-0002",
                "sold at a loss on 2026-11-09",
            ],
        }
    )
    exceptions = pd.DataFrame(
        {
            "account_id": [ids[3], ids[5], ids[8], ids[10]],
            "kind": ["RECONCILIATION", "SOLVER", "TE_LIMIT", "COMPLIANCE"],
            "reason": [
                "custodian shows 120 AAPL, lots hold 100",
                "no solution within 200 iterations",
                "tracking error above limit after best trades",
                "buy of a restricted security: XOM (EXCLUDE)",
            ],
        }
    )
    # Rates and budgets as the inbox gives them; a budget on every third account, one of them
    # overspent.
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "account_type": types,
            "st_tax_rate": np.where(types == "TAXABLE", 0.37, 0.0),
            "lt_tax_rate": np.where(types == "TAXABLE", 0.20, 0.0),
            "gain_budget": [10_000.0 if i % 3 == 0 else np.nan for i in range(n_accounts)],
            "realized_ytd": [12_500.0 if i == 6 else 1_000.0 * (i % 4) for i in range(n_accounts)],
        }
    )
    decisions = pd.concat(
        [
            decisions,
            tax_figures(
                accounts, lot_gain_sums(lot_sells.rename(columns={"gain": "realized_gain"}))
            ),
        ],
        axis=1,
    )
    summary = {
        "run_id": "R-2026-11-24",
        "as_of": "2026-11-24",
        "accounts_screened": n_accounts,
        "accounts_triggered": int((status != "NO_TRADE").sum()),
        "accounts_traded": int(traded.sum()),
        "accounts_held": int(np.isin(status, ["HELD", "FAILED"]).sum()),
        "orders": len(trades),
        "notional": float(trades["notional"].sum()),
        "losses_harvested": float(harvested.sum()),
        "gains_realized_st": float(decisions["realized_st"].sum()),
        "gains_realized_lt": float(decisions["realized_lt"].sum()),
        "est_tax_saved": float(decisions["est_tax_saved"].sum()),
    }
    return ReviewData(
        summary,
        decisions,
        trades,
        lot_sells,
        pd.concat(holding_rows, ignore_index=True),
        wash,
        exceptions,
    )
