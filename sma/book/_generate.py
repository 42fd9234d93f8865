"""``generate_book``: a complete, realistic, fictional inbox for one as-of date.

The market files come first; the account files follow in parts of whole households, each part
drawn from its own random stream (``book_tables``), so a large book can be written part by part
with bounded memory and still be the same book as ``generate_book`` returns in one piece.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa

from sma.book._accounts import AccountDraw, draw_accounts
from sma.book._activity import cash_balances, cash_flows, gift_requests, recent_trades
from sma.book._corporate import CorporateActionDraw, action_cash, draw_corporate_actions
from sma.book._frames import (
    contract_table,
    dates,
    empty_table,
    lot_ids,
    numbers,
    sectors,
    sequence_ids,
    strings,
    table_from_frame,
    to_frame,
)
from sma.book._holdings import LotDraw, draw_lots
from sma.book._params import BookError, BookParams
from sma.book._restrictions import (
    RestrictionDraw,
    TiltDraw,
    draw_restrictions,
    draw_tilts,
    excluded_pairs,
)
from sma.book._uma import (
    SleeveDraw,
    draw_sleeves,
    implementation_column,
    models_table,
    sleeves_table,
)
from sma.inbox import INBOX_FILES
from sma.ledger import apply_corporate_actions
from sma.market import (
    TRADING_DAYS,
    PriceHistory,
    Universe,
    benchmark_matrix,
    benchmarks_frame,
    business_days_ending,
    generate_universe,
    simulate_prices,
)

#: The files that do not depend on the accounts; the others come part by part.
MARKET_FILES = ("securities", "prices", "benchmarks", "corporate_actions", "models")


def _check(n_accounts: int, as_of: date, params: BookParams) -> None:
    if not isinstance(n_accounts, (int, np.integer)) or n_accounts < 0:
        raise BookError(f"n_accounts must be a whole number >= 0, not {n_accounts!r}")
    if not np.is_busday(np.datetime64(as_of, "D")):
        raise BookError(f"as-of date {as_of} is not a business day (Monday to Friday)")
    if params.price_days < params.transaction_days:
        raise BookError(
            f"price_days {params.price_days} must cover the "
            f"{params.transaction_days}-day transaction window"
        )
    if params.history_years < 1:
        raise BookError(f"history_years must be >= 1, not {params.history_years}")
    if params.accounts_per_part < 1:
        raise BookError(f"accounts_per_part must be >= 1, not {params.accounts_per_part}")
    if not 0.0 <= params.uma_share <= 1.0:
        raise BookError(f"uma_share must be a fraction from 0 to 1, not {params.uma_share}")
    if params.uma_share > 0 and min(params.max_sleeves, len(params.models)) < 2:
        raise BookError("a UMA account has 2 or more model sleeves: max_sleeves and models >= 2")


@dataclass(frozen=True)
class BookMarket:
    """The market under a generated book.

    Attributes
    ----------
    universe : Universe -- market caps and prices as of the as-of date
    history : PriceHistory -- all simulated closes (back ``history_years``), ending on the as-of
    date;
        the prices file holds the last ``price_days`` of them
    bench_weights : ndarray of shape (n_benchmarks, n_securities) -- ``params.benchmarks`` weights
    actions : CorporateActionDraw -- corporate actions going ex on the as-of date; ``history``
        holds the closes before them (the prices file shows tonight's closes after them)
    """

    universe: Universe
    history: PriceHistory
    bench_weights: np.ndarray
    actions: CorporateActionDraw = field(default_factory=CorporateActionDraw)


def book_market(seed: int, as_of: date, params: BookParams = BookParams()) -> BookMarket:
    """The universe, closes and benchmark weights ``generate_book`` uses for this seed and date.

    To continue the path past the as-of date (a simulator), start a new one from tonight's prices:
    ``simulate_prices(market.universe, as_of, n_days, other_seed)`` begins at these closes.
    """
    universe = generate_universe(seed, params.universe)
    n_history = max(params.price_days, params.history_years * TRADING_DAYS + 1)
    start = business_days_ending(as_of, n_history)[0].astype(object)
    history = simulate_prices(universe, start, n_history, seed, params.market)
    # Index weights are tonight's caps: a stock that fell for ten years weighs little now.
    universe = universe.at_prices(history.closes[-1])
    # Their own stream: the universe and closes are the same whatever the actions' rates.
    actions = draw_corporate_actions(
        np.random.default_rng([seed, 7]),
        universe.securities_frame(),
        universe.in_index & (universe.identical_group == ""),
        history.closes,
        np.datetime64(as_of, "D"),
        params.corporate_actions,
    )
    return BookMarket(universe, history, benchmark_matrix(universe, params.benchmarks), actions)


def _market_tables(market: BookMarket, params: BookParams) -> dict[str, pa.Table]:
    history = market.history
    first = len(history.dates) - params.price_days
    n_days, n_sec = history.closes[first:].shape
    prices = contract_table(
        "prices",
        {
            "date": dates(np.repeat(history.dates[first:], n_sec)),
            "symbol": strings(history.symbols, np.tile(np.arange(n_sec), n_days)),
            "close": history.closes[first:].ravel(),
            "volume": history.volumes[first:].ravel(),
        },
    )
    models = models_table(
        market.universe,
        market.history,
        params.models,
        params.model_versions,
        params.model_version_days,
    )
    drawn = market.actions
    if drawn.actions.empty:
        return {
            "securities": table_from_frame("securities", market.universe.securities_frame()),
            "prices": prices,
            "benchmarks": table_from_frame(
                "benchmarks", benchmarks_frame(market.universe, params.benchmarks)
            ),
            "corporate_actions": empty_table("corporate_actions"),
            "models": models,
        }
    securities = pd.concat([market.universe.securities_frame(), drawn.securities])
    return {
        "securities": table_from_frame("securities", securities.sort_values("symbol")),
        "prices": table_from_frame("prices", _prices_after(to_frame(prices), drawn, first)),
        "benchmarks": table_from_frame(
            "benchmarks", _index_after(benchmarks_frame(market.universe, params.benchmarks), drawn)
        ),
        "corporate_actions": table_from_frame("corporate_actions", drawn.actions),
        "models": models,
    }


def _prices_after(prices: pd.DataFrame, drawn: CorporateActionDraw, first: int) -> pd.DataFrame:
    """Tonight's closes after the actions, and the closes of the securities they hand out."""
    tonight = prices["date"] == prices["date"].max()
    moved = prices["symbol"].map(drawn.tonight)
    prices.loc[tonight & moved.notna(), "close"] = moved[tonight & moved.notna()]
    days = np.sort(prices["date"].unique())
    new = drawn.closes.iloc[first:].set_axis(days).rename_axis("date")
    added = new.reset_index().melt("date", var_name="symbol", value_name="close")
    added["volume"] = prices["volume"].median()
    return pd.concat([prices, added[list(prices.columns)]], ignore_index=True)


def _index_after(benchmarks: pd.DataFrame, drawn: CorporateActionDraw) -> pd.DataFrame:
    """The indexes as of tonight: merged-away and worthless names out, renamed ones renamed,
    weights renormalised (the index provider reweights the remaining members the same day)."""
    kept = benchmarks[~benchmarks["symbol"].isin(drawn.leaving)]
    kept = kept.assign(symbol=kept["symbol"].replace(drawn.renamed))
    total = kept.groupby("benchmark_id")["weight"].transform("sum")
    return kept.assign(weight=kept["weight"] / total).reset_index(drop=True)


def part_bounds(household: np.ndarray, per_part: int) -> list[tuple[int, int]]:
    """Account ranges ``[lo, hi)`` of about ``per_part`` accounts that never split a household."""
    n = len(household)
    starts = np.flatnonzero(np.r_[True, household[1:] != household[:-1]]) if n else np.zeros(0)
    at = np.searchsorted(starts, np.arange(per_part, n, per_part))
    cuts = np.where(at < len(starts), starts[np.minimum(at, len(starts) - 1)], n)
    bounds = np.unique(np.concatenate([[0], cuts, [n]])).astype(int).tolist()
    return list(pairwise(bounds)) if len(bounds) > 1 else [(0, 0)]


@dataclass(frozen=True)
class _Book:
    """Everything drawn for all accounts at once (cheap: a row per account or restriction)."""

    accounts: AccountDraw
    restrictions: RestrictionDraw
    tilts: TiltDraw
    excluded: tuple[np.ndarray, np.ndarray]
    account_ids: pa.Array
    household_ids: pa.Array
    sleeves: SleeveDraw


def _draw_book(n_accounts: int, seed: int, market: BookMarket, params: BookParams) -> _Book:
    universe = market.universe
    accounts = draw_accounts(
        np.random.default_rng([seed, 3]),
        n_accounts,
        len(market.history.dates),
        len(universe),
        params,
    )
    rng = np.random.default_rng([seed, 4])
    restrictions = draw_restrictions(rng, accounts, universe, params)
    tilts = draw_tilts(rng, accounts, universe, params)
    n_households = int(accounts.household.max(initial=-1)) + 1
    # Issue 19: a stream of its own, so the manager-traded book of a seed is unchanged.
    sleeves = draw_sleeves(
        np.random.default_rng([seed, 19]),
        accounts.cash_target,
        len(params.models),
        params.uma_share,
        params.max_sleeves,
    )
    return _Book(
        accounts=accounts,
        restrictions=restrictions,
        tilts=tilts,
        excluded=excluded_pairs(restrictions, universe),
        account_ids=strings(sequence_ids("A", n_accounts), np.arange(n_accounts)),
        household_ids=strings(sequence_ids("H", n_households), accounts.household),
        sleeves=sleeves,
    )


def _accounts_table(book: _Book, lo: int, hi: int, market: BookMarket, params: BookParams):
    accounts = book.accounts.part(lo, hi)
    return contract_table(
        "accounts",
        {
            "account_id": book.account_ids.slice(lo, hi - lo),
            "household_id": book.household_ids.slice(lo, hi - lo),
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
            "inception_date": dates(market.history.dates[accounts.inception]),
            "fractional_shares": accounts.fractional_shares,
            "implementation": implementation_column(book.sleeves, lo, hi),
        },
    )


def _restriction_tables(book: _Book, lo: int, hi: int, symbols: np.ndarray):
    r = book.restrictions
    mine = (r.account >= lo) & (r.account < hi)
    restrictions = contract_table(
        "restrictions",
        {
            "account_id": book.account_ids.take(r.account[mine]),
            "kind": r.kind[mine].tolist(),
            "symbol": strings(symbols, np.maximum(r.symbol[mine], 0), r.symbol[mine] >= 0),
            "sector": sectors(r.sector[mine]),
            "esg_tag": [t or None for t in r.tag[mine]],
        },
    )
    t = book.tilts
    mine = (t.account >= lo) & (t.account < hi)
    tilts = contract_table(
        "tilts",
        {
            "account_id": book.account_ids.take(t.account[mine]),
            "sector": sectors(t.sector[mine]),
            "symbol": strings(symbols, np.maximum(t.symbol[mine], 0), t.symbol[mine] >= 0),
            "multiplier": t.multiplier[mine],
        },
    )
    return restrictions, tilts


def _lot_tables(lots: LotDraw, account_ids: pa.Array, symbols: np.ndarray):
    """The lots, and the custodian's positions: the lots' shares summed per (account, symbol)."""
    lot_account_ids = account_ids.take(lots.account)
    lot_table = contract_table(
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
    )
    new_position = np.r_[
        True, (lots.account[1:] != lots.account[:-1]) | (lots.symbol[1:] != lots.symbol[:-1])
    ]
    starts = np.flatnonzero(new_position[: len(lots)])
    quantity = np.add.reduceat(lots.quantity, starts) if len(lots) else np.zeros(0)
    positions = contract_table(
        "positions",
        {
            "account_id": account_ids.take(lots.account[starts]),
            "symbol": strings(symbols, lots.symbol[starts]),
            "quantity": quantity,
        },
    )
    return lot_table, positions


def _after_actions(
    lot_table: pa.Table, book: _Book, lo: int, hi: int, cash: np.ndarray, drawn: CorporateActionDraw
) -> tuple[pa.Table, np.ndarray]:
    """The custodian's view after tonight's actions: positions equal to the lots as the ledger
    leaves them (the night reconciles the two) and the cash the actions paid."""
    lots = to_frame(lot_table)
    accounts = pd.DataFrame(
        {
            "account_id": book.account_ids.slice(lo, hi - lo).to_pylist(),
            "household_id": book.household_ids.slice(lo, hi - lo).to_pylist(),
            "account_type": book.accounts.part(lo, hi).account_type,
        }
    )
    ex_date = pd.Timestamp(drawn.actions["ex_date"].iloc[0]).date()
    after, _ = apply_corporate_actions(lots, drawn.actions, ex_date, accounts)
    positions = after.groupby(["account_id", "symbol"], as_index=False, sort=True)["quantity"].sum()
    paid = action_cash(lots, drawn.actions).reindex(accounts["account_id"]).fillna(0.0)
    return table_from_frame("positions", positions), np.round(cash + paid.to_numpy(), 2)


def _part_tables(
    part: int, lo: int, hi: int, seed: int, book: _Book, market: BookMarket, p: BookParams
):
    """The account files of accounts ``lo`` to ``hi - 1``, drawn from the part's own streams."""
    accounts = book.accounts.part(lo, hi)
    account_ids = book.account_ids.slice(lo, hi - lo)
    symbols = market.universe.symbol
    excl_account, excl_symbol = book.excluded
    mine = (excl_account >= lo) & (excl_account < hi)
    history = market.history
    lots = draw_lots(
        np.random.default_rng([seed, 5, part]),
        accounts,
        market.bench_weights,
        (excl_account[mine] - lo, excl_symbol[mine]),
        history.dates,
        history.closes,
        p,
    )
    rng = np.random.default_rng([seed, 6, part])
    universe = market.universe
    identical = np.where(universe.twin_of >= 0, universe.twin_of, np.arange(len(universe)))
    trades = recent_trades(rng, lots, accounts, history.dates, history.closes, identical, p)
    cash = cash_balances(rng, accounts)
    flow_account, flow_amount, flow_date = cash_flows(rng, accounts, history.dates, p)
    lot_table, positions = _lot_tables(lots, account_ids, symbols)
    if not market.actions.actions.empty:
        positions, cash = _after_actions(lot_table, book, lo, hi, cash, market.actions)
    restrictions, tilts = _restriction_tables(book, lo, hi, symbols)
    # its own stream, so the gifts change no other draw of the book
    gift_account, gift_amount, gift_date, charity = gift_requests(
        np.random.default_rng([seed, 9, part]), accounts, history.dates[-1], part == 0
    )
    return {
        "accounts": _accounts_table(book, lo, hi, market, p),
        "restrictions": restrictions,
        "tilts": tilts,
        "lots": lot_table,
        "cash": contract_table("cash", {"account_id": account_ids, "amount": cash}),
        "cash_flows": contract_table(
            "cash_flows",
            {
                "account_id": account_ids.take(flow_account),
                "amount": flow_amount,
                "requested_date": dates(flow_date),
            },
        ),
        "transactions": contract_table(
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
        "positions": positions,
        "gift_requests": contract_table(
            "gift_requests",
            {
                "request_id": [f"GIFT-{a}" for a in account_ids.take(gift_account).to_pylist()],
                "account_id": account_ids.take(gift_account),
                "amount": gift_amount,
                "date": dates(gift_date),
                "charity": charity.tolist(),
            },
        ),
        "sleeves": sleeves_table(book.sleeves, lo, hi, book.account_ids, p.models),
    }


def book_tables(
    n_accounts: int, seed: int, as_of: date, params: BookParams = BookParams()
) -> Iterator[dict[str, pa.Table]]:
    """The book as Arrow tables: first the market files, then the account files part by part.

    Each part holds whole households (about ``params.accounts_per_part`` accounts) and every
    account file; concatenating the parts file by file gives ``generate_book``'s frames.

    Raises
    ------
    BookError
        ``n_accounts`` negative, or ``as_of`` not a weekday.
    """
    _check(n_accounts, as_of, params)
    market = book_market(seed, as_of, params)
    yield _market_tables(market, params)
    book = _draw_book(n_accounts, seed, market, params)
    for part, (lo, hi) in enumerate(part_bounds(book.accounts.household, params.accounts_per_part)):
        yield _part_tables(part, lo, hi, seed, book, market, params)


def generate_book(
    n_accounts: int, seed: int, as_of: date, params: BookParams = BookParams()
) -> dict[str, pd.DataFrame]:
    """Generate a complete, realistic, fictional inbox for ``as_of``; same seed, same frames.

    About 500 large caps in the 11 GICS sectors (with share-class pairs and ESG tags),
    cap-weighted benchmarks, ``params.price_days`` business days of closes from a factor model,
    households of 1-4 accounts (TAXABLE, IRA, ROTH) of $50k-$20M funded with cash, a lump sum,
    monthly contributions or a low-basis legacy stock; restrictions and tilts on some; pending
    cash flows; the last 31 days of transactions; corporate actions going ex tonight at the
    realistic yearly rates of ``params.corporate_actions`` (mergers, spin-offs, ticker changes,
    returns of capital; new securities with closes); custodian positions equal to the lots'
    shares after tonight's actions, cash including what they paid;
    outside managers' models (``params.models``, a version a quarter) and about
    ``params.uma_share`` of the accounts implemented as UMAs, with 2-4 model sleeves and a cash
    sleeve (issue 19).

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
        are strings, dates ``datetime64``, amounts ``float64`` (money rounded to cents), nulls
        NaN/NaT.

    Raises
    ------
    BookError
        ``n_accounts`` negative, or ``as_of`` not a weekday.
    """
    parts: dict[str, list[pa.Table]] = {name: [] for name in INBOX_FILES}
    for tables in book_tables(n_accounts, seed, as_of, params):
        for name, table in tables.items():
            parts[name].append(table)
    return {name: to_frame(pa.concat_tables(parts[name])) for name in INBOX_FILES}
