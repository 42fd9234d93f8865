"""``generate_book``: a complete, realistic, fictional inbox for one as-of date."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.book._accounts import AccountDraw, draw_accounts
from sma.book._activity import cash_balances, cash_flows, recent_trades
from sma.book._frames import (
    contract_frame,
    dates,
    empty_frame,
    lot_ids,
    numbers,
    sectors,
    sequence_ids,
    strings,
)
from sma.book._holdings import LotDraw, draw_lots
from sma.book._params import BookError, BookParams
from sma.book._restrictions import draw_restrictions, draw_tilts, excluded_pairs
from sma.inbox import INBOX_FILES
from sma.market import (
    TRADING_DAYS,
    PriceHistory,
    benchmark_matrix,
    benchmarks_frame,
    business_days_ending,
    generate_universe,
    simulate_prices,
)


def _check(n_accounts: int, as_of: date, params: BookParams) -> None:
    if not isinstance(n_accounts, (int, np.integer)) or n_accounts < 0:
        raise BookError(f"n_accounts must be a whole number >= 0, not {n_accounts!r}")
    if not np.is_busday(np.datetime64(as_of, "D")):
        raise BookError(f"as-of date {as_of} is not a business day (Monday to Friday)")
    if params.price_days < params.transaction_days:
        raise BookError(
            f"price_days {params.price_days} must cover the {params.transaction_days}-day transaction window"
        )


def _prices_frame(history: PriceHistory, first: int) -> pd.DataFrame:
    n_days, n_sec = history.closes[first:].shape
    return contract_frame(
        "prices",
        {
            "date": dates(np.repeat(history.dates[first:], n_sec)),
            "symbol": strings(history.symbols, np.tile(np.arange(n_sec), n_days)),
            "close": history.closes[first:].ravel(),
            "volume": history.volumes[first:].ravel(),
        },
    )


def _accounts_frame(
    accounts: AccountDraw, account_ids, history: PriceHistory, params: BookParams
) -> pd.DataFrame:
    return contract_frame(
        "accounts",
        {
            "account_id": account_ids,
            "household_id": strings(
                sequence_ids("H", int(accounts.household.max(initial=-1)) + 1), accounts.household
            ),
            "client_name": accounts.client_name.tolist(),
            "account_type": accounts.account_type.tolist(),
            "benchmark_id": strings(
                [b.benchmark_id for b in params.benchmarks], accounts.benchmark
            ),
            "tlh_enabled": accounts.tlh_enabled,
            "st_tax_rate": accounts.st_tax_rate,
            "lt_tax_rate": accounts.lt_tax_rate,
            "max_tracking_error": accounts.max_tracking_error,
            "gain_budget": numbers(accounts.gain_budget),
            "min_trade_value": accounts.min_trade_value,
            "cash_target": accounts.cash_target,
            "inception_date": dates(history.dates[accounts.inception]),
        },
    )


def _positions_frame(lots: LotDraw, account_ids, symbols) -> pd.DataFrame:
    """The custodian's positions: the lots' shares summed per (account, symbol)."""
    starts = (
        np.flatnonzero(
            np.r_[
                True,
                (lots.account[1:] != lots.account[:-1]) | (lots.symbol[1:] != lots.symbol[:-1]),
            ]
        )
        if len(lots)
        else np.zeros(0, np.int64)
    )
    quantity = np.add.reduceat(lots.quantity, starts) if len(lots) else np.zeros(0)
    return contract_frame(
        "positions",
        {
            "account_id": account_ids.take(lots.account[starts]),
            "symbol": strings(symbols, lots.symbol[starts]),
            "quantity": quantity,
        },
    )


def generate_book(
    n_accounts: int, seed: int, as_of: date, params: BookParams = BookParams()
) -> dict[str, pd.DataFrame]:
    """Generate a complete, realistic, fictional inbox for ``as_of``; the same seed gives the same frames.

    About 500 large caps in the 11 GICS sectors (with share-class pairs and ESG tags), cap-weighted
    benchmarks, ``params.price_days`` business days of closes from a factor model, households of
    1-4 accounts (TAXABLE, IRA, ROTH) of $50k-$20M funded with cash, a lump sum, monthly
    contributions or a low-basis legacy stock; restrictions and tilts on some; pending cash flows;
    the last 31 days of transactions; custodian positions equal to the lots' shares.

    Parameters
    ----------
    n_accounts : int
        Accounts to generate (0 gives the market files and empty account files).
    seed : int
    as_of : date
        The night's date; must be a weekday.
    params : BookParams

    Returns
    -------
    dict of str -> DataFrame
        One frame per file of ``sma.inbox.INBOX_FILES``, columns in contract order. Text columns
        are strings, dates ``datetime64``, amounts ``float64`` (money rounded to cents), nulls NaN/NaT.

    Raises
    ------
    BookError
        ``n_accounts`` negative, or ``as_of`` not a weekday.
    """
    _check(n_accounts, as_of, params)
    universe = generate_universe(seed, params.universe)
    n_history = max(params.price_days, params.history_years * TRADING_DAYS + 1)
    start = business_days_ending(as_of, n_history)[0].astype(object)
    history = simulate_prices(universe, start, n_history, seed, params.market)
    # Index weights are tonight's caps: a stock that fell ten years long weighs little now.
    universe = universe.at_prices(history.closes[-1])
    bench_weights = benchmark_matrix(universe, params.benchmarks)

    accounts = draw_accounts(
        np.random.default_rng([seed, 3]), n_accounts, n_history, len(universe), params
    )
    restriction_rng = np.random.default_rng([seed, 4])
    restrictions = draw_restrictions(restriction_rng, accounts, universe, params)
    tilts = draw_tilts(restriction_rng, accounts, universe, params)
    lots = draw_lots(
        np.random.default_rng([seed, 5]),
        accounts,
        bench_weights,
        excluded_pairs(restrictions, universe),
        history.dates,
        history.closes,
        params,
    )
    activity_rng = np.random.default_rng([seed, 6])
    trades = recent_trades(activity_rng, lots, accounts, history.dates, history.closes, params)
    cash = cash_balances(activity_rng, accounts)
    flow_account, flow_amount, flow_date = cash_flows(activity_rng, accounts, history.dates, params)

    account_ids = strings(sequence_ids("A", n_accounts), np.arange(n_accounts))
    lot_account_ids = account_ids.take(lots.account)
    symbols = universe.symbol
    frames = {
        "securities": universe.securities_frame(),
        "prices": _prices_frame(history, n_history - params.price_days),
        "benchmarks": benchmarks_frame(universe, params.benchmarks),
        "accounts": _accounts_frame(accounts, account_ids, history, params),
        "restrictions": contract_frame(
            "restrictions",
            {
                "account_id": account_ids.take(restrictions.account),
                "kind": restrictions.kind.tolist(),
                "symbol": strings(
                    symbols, np.maximum(restrictions.symbol, 0), restrictions.symbol >= 0
                ),
                "sector": sectors(restrictions.sector),
                "esg_tag": [t or None for t in restrictions.tag],
            },
        ),
        "tilts": contract_frame(
            "tilts",
            {
                "account_id": account_ids.take(tilts.account),
                "sector": sectors(tilts.sector),
                "symbol": strings(symbols, np.maximum(tilts.symbol, 0), tilts.symbol >= 0),
                "multiplier": tilts.multiplier,
            },
        ),
        "lots": contract_frame(
            "lots",
            {
                "account_id": lot_account_ids,
                "lot_id": lot_ids(lot_account_ids, lots.account),
                "symbol": strings(symbols, lots.symbol),
                "quantity": lots.quantity,
                "cost_basis": lots.cost_basis,
                "acquired_date": dates(lots.acquired),
                "adjusted_acquired_date": dates(lots.adjusted),
            },
        ),
        "cash": contract_frame("cash", {"account_id": account_ids, "amount": cash}),
        "cash_flows": contract_frame(
            "cash_flows",
            {
                "account_id": account_ids.take(flow_account),
                "amount": flow_amount,
                "requested_date": dates(flow_date),
            },
        ),
        "transactions": contract_frame(
            "transactions",
            {
                "account_id": account_ids.take(trades.account),
                "trade_date": dates(trades.trade_date),
                "symbol": strings(symbols, trades.symbol),
                "side": trades.side.tolist(),
                "quantity": trades.quantity,
                "price": trades.price,
                "realized_gain": numbers(trades.realized_gain),
            },
        ),
        "positions": _positions_frame(lots, account_ids, symbols),
        "corporate_actions": empty_frame("corporate_actions"),
    }
    return {name: frames[name] for name in INBOX_FILES}
