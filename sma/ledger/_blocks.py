"""Wash-sale blocks for the nightly engine: what a household must not buy or sell at a loss.

The engine avoids wash sales instead of booking them (PRODUCT.md, "Tax rules"): it never buys what
the household sold at a loss in the last 30 days, and never sells at a loss what the household
bought in the last 30 days, in any of its accounts (IRS Publication 550, "Wash Sales"; for IRA
and ROTH purchases, Rev. Rul. 2008-5). Substantially identical securities share an identical group.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

#: The window is inclusive: 30 calendar days before through 30 days after a loss sale.
WASH_SALE_WINDOW_DAYS = 30

#: What ``recent_lot_purchases`` returns: the ``transactions`` columns ``wash_sale_blocks`` reads.
PURCHASE_COLUMNS = [
    "account_id",
    "household_id",
    "trade_date",
    "symbol",
    "side",
    "quantity",
    "price",
    "realized_gain",
]


def wash_sale_window_start(as_of: np.datetime64 | str | date) -> np.datetime64:
    """The earliest trade date that can still block a trade on ``as_of``: ``as_of`` - 30 days.

    The window is inclusive (IRS Publication 550, "Wash Sales": 30 days before or after the sale),
    so a trade on this day still blocks; one a day earlier no longer does. Readers of trades and
    lots for the wash-sale blocks keep those on or after this date.
    """
    return np.datetime64(as_of, "D") - np.timedelta64(WASH_SALE_WINDOW_DAYS, "D")  # pyright: ignore[reportArgumentType, reportCallIssue]


def wash_sale_block_until(caused_by: np.ndarray) -> np.ndarray:
    """The first day a wash-sale block caused by a trade on ``caused_by`` no longer applies.

    Parameters
    ----------
    caused_by : ndarray of shape (k,), datetime64 -- the latest loss sale or buy behind each block
    (NaT = none)

    Returns
    -------
    ndarray of shape (k,), datetime64[D]: ``caused_by`` + 31 days (the inclusive 30-day window, IRS
    Pub. 550).
    """
    day = np.asarray(caused_by, dtype="datetime64[D]")
    return day + np.timedelta64(WASH_SALE_WINDOW_DAYS + 1, "D")


def recent_lot_purchases(
    lots: pd.DataFrame, household_of: pd.Series, as_of: np.datetime64 | str
) -> pd.DataFrame:
    """The lots acquired inside the wash-sale window, as the household's buys
    (``PURCHASE_COLUMNS``).

    A lot acquired in the last 30 days is a purchase even when no transaction records it (a
    starting book, a transactions file that misses it): a loss sale of that security now would be
    washed by it (IRS Publication 550, "Wash Sales"), in any account of the household.

    Parameters
    ----------
    lots : DataFrame -- ``account_id, symbol, quantity, acquired_date`` (the trade date), one row
    per lot
    household_of : Series of household_id indexed by account_id
    as_of : date of the trades being decided; lots acquired after it are not purchases yet

    Returns
    -------
    DataFrame of shape (k, 8): one BUY row per lot acquired in ``[as_of - 30 days, as_of]``, price
    and realized_gain NaN, in the lots' order.
    """
    acquired = pd.to_datetime(lots["acquired_date"]).to_numpy().astype("datetime64[D]")
    day = np.datetime64(as_of, "D")  # pyright: ignore[reportArgumentType, reportCallIssue]
    recent = lots[(acquired >= wash_sale_window_start(day)) & (acquired <= day)]
    account = recent["account_id"].astype(str)
    return pd.DataFrame(
        {
            "account_id": account.to_numpy(object),
            "household_id": account.map(household_of).to_numpy(object),
            "trade_date": pd.to_datetime(recent["acquired_date"]).to_numpy(),
            "symbol": recent["symbol"].to_numpy(object),
            "side": "BUY",
            "quantity": recent["quantity"].to_numpy(float),
            "price": np.nan,
            "realized_gain": np.nan,
        },
        columns=PURCHASE_COLUMNS,
    )


BLOCK_COLUMNS = [
    "household_id",
    "identical_group",
    "buy_blocked",
    "loss_sale_blocked",
    "last_loss_sale_date",
    "last_buy_date",
]


#: What ``under_current_symbols`` reads of the corporate actions: each SYMBOL_CHANGE's old and new
#: symbol, its ex date and the account it is limited to (blank: every account).
SYMBOL_CHANGE_COLUMNS = ["symbol", "new_symbol", "ex_date", "account_id"]


def under_current_symbols(
    transactions: pd.DataFrame, symbol_changes: pd.DataFrame, as_of: np.datetime64 | str | date
) -> pd.DataFrame:
    """The trades with each symbol renamed since the trade under the name it trades as on
    ``as_of``, for ``wash_sale_blocks``.

    A SYMBOL_CHANGE is the same security under a new ticker (CORPORATE_ACTIONS.md), so a loss sale
    of the old ticker is washed by a buy of the new one within 30 days, and a buy of the old ticker
    washes a loss sale of the new one (IRS Publication 550, "Wash Sales"). Blocks keyed by the old
    ticker would let the engine buy back, under its new name, a security it harvested days before.

    Parameters
    ----------
    transactions : DataFrame
        ``wash_sale_blocks``' trades (``account_id``, ``trade_date``, ``symbol``, ...).
    symbol_changes : DataFrame
        ``SYMBOL_CHANGE_COLUMNS``: one row per SYMBOL_CHANGE. A trade of ``symbol`` dated before
        ``ex_date`` (the old ticker's trades; a ticker later reused by another issuer keeps its
        later trades) takes ``new_symbol`` when ``ex_date`` is on or before ``as_of``, in the
        account named, or in every account when ``account_id`` is blank. Changes apply in ex-date
        order, so a ticker renamed twice ends under its last name.
    as_of : date
        The night being decided: later changes have not happened yet.

    Returns
    -------
    DataFrame
        ``transactions`` with ``symbol`` renamed (the same frame when nothing is renamed).
    """
    day = np.datetime64(as_of, "D")  # pyright: ignore[reportArgumentType, reportCallIssue]
    if not len(transactions) or not len(symbol_changes):
        return transactions
    changes = symbol_changes.assign(
        ex_date=pd.to_datetime(symbol_changes["ex_date"]).to_numpy().astype("datetime64[D]")
    )
    changes = changes[changes["ex_date"] <= day].sort_values("ex_date", kind="stable")
    if not len(changes):
        return transactions
    dates = pd.to_datetime(transactions["trade_date"]).to_numpy().astype("datetime64[D]")
    symbols = transactions["symbol"].astype(object).to_numpy(copy=True)
    for change in changes.itertuples(index=False):
        renamed = (symbols == change.symbol) & (dates < change.ex_date)
        if isinstance(change.account_id, str) and change.account_id.strip():
            renamed &= (transactions["account_id"] == change.account_id).to_numpy()
        symbols[renamed] = change.new_symbol
    return transactions.assign(symbol=symbols)


def identical_groups(
    symbols: pd.Series | np.ndarray, identical_group: Mapping[str, str] | pd.Series | None
) -> np.ndarray:
    """Each symbol's identical group; a symbol without one (blank or unknown) is its own group.

    Parameters
    ----------
    symbols : array-like of str, shape (n,)
    identical_group : mapping symbol -> group, or a Series indexed by symbol; None = every symbol
    alone.

    Returns
    -------
    ndarray of object (str), shape (n,)
    """
    # Each distinct symbol looked up once: a night's 750,000 recent trades name ~500 symbols.
    values = symbols if isinstance(symbols, pd.Series) else np.asarray(symbols, dtype=object)
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    sym = pd.Series(np.asarray(distinct, dtype=object))
    if identical_group is None:
        return sym.to_numpy(dtype=object)[codes]
    mapping = (
        identical_group
        if isinstance(identical_group, pd.Series)
        else pd.Series(dict(identical_group), dtype=object)
    )
    mapping = mapping[mapping.notna() & (mapping.astype(str).str.strip() != "")]  # pyright: ignore[reportAttributeAccessIssue]
    groups = sym.map(mapping).to_numpy(dtype=object).copy()
    alone = pd.isna(groups)
    groups[alone] = sym.to_numpy(dtype=object)[alone]
    return groups.astype(str).astype(object)[codes]


def wash_sale_blocks(
    transactions: pd.DataFrame,
    identical_group: Mapping[str, str] | pd.Series | None,
    as_of: np.datetime64 | str,
) -> pd.DataFrame:
    """Per household and identical group: is buying blocked, is a loss sale blocked, on ``as_of``.

    Parameters
    ----------
    transactions : DataFrame
        Recent trades of every account: ``account_id, household_id, trade_date, symbol, side
        (BUY/SELL), quantity, price, realized_gain`` (USD, sells only; negative = a loss).
        At least those on or after ``wash_sale_window_start(as_of)``; their order does not matter.
    identical_group : mapping symbol -> identical group, or None
        Blank or missing means the symbol is its own group.
    as_of : date
        The trade date of the trades being decided. Trades dated after it are ignored.

    Returns
    -------
    DataFrame with columns ``BLOCK_COLUMNS``, one row per (household_id, identical_group) that
    traded in the window, sorted:

    - ``buy_blocked``: a sale at a loss in ``[as_of - 30 days, as_of]`` in any account of the
    household
      (a buy now would be a replacement, IRS Pub. 550 "Wash Sales").
    - ``loss_sale_blocked``: a buy in ``[as_of - 30 days, as_of]`` in any account of the household
      (a loss sale now would be washed by it).
    - ``last_loss_sale_date`` / ``last_buy_date``: the latest such trade, NaT if none.
    """
    day = np.datetime64(as_of, "D")  # pyright: ignore[reportArgumentType, reportCallIssue]
    start = wash_sale_window_start(day)
    dates = pd.to_datetime(transactions["trade_date"]).to_numpy().astype("datetime64[D]")
    in_window = (dates >= start) & (dates <= day)
    side_code, sides = pd.factorize(transactions["side"].astype(str))
    side = np.asarray(pd.Series(sides).str.upper(), dtype=object)[side_code]
    gain = pd.to_numeric(transactions.get("realized_gain"), errors="coerce")
    gain = np.zeros(len(transactions)) if gain is None else np.asarray(gain, dtype=float)
    loss_sale = in_window & (side == "SELL") & (np.nan_to_num(gain, nan=0.0) < 0)
    buy = in_window & (side == "BUY")
    kept = loss_sale | buy
    # Grouped on integer codes numbered in sorted order (so sorted as the ids are), the ids put
    # back once per group: grouping 750,000 trades on two text columns cost 4x more (issue 23).
    household_ids = transactions["household_id"].astype(str)
    household, households = pd.factorize(household_ids[kept].to_numpy(), sort=True)
    group, groups = pd.factorize(
        identical_groups(transactions["symbol"][kept], identical_group), sort=True
    )
    # The ids' columns are text ("str") as pandas infers them from a whole column with text in it,
    # plain objects otherwise (an empty answer keeps the type it always had).
    text = {
        "household_id": bool(household_ids.notna().any()),
        "identical_group": len(transactions) > 0
        and (identical_group is not None or bool(transactions["symbol"].notna().any())),
    }
    frame = pd.DataFrame(
        {
            "household_id": household,
            "identical_group": group,
            "loss_sale_date": np.where(loss_sale, dates, np.datetime64("NaT", "D"))[kept],
            "buy_date": np.where(buy, dates, np.datetime64("NaT", "D"))[kept],
        }
    )[(household >= 0) & (group >= 0)]  # a missing id is no group (pandas drops missing keys)
    grouped = frame.groupby(["household_id", "identical_group"], sort=True)
    out = grouped.agg(
        last_loss_sale_date=("loss_sale_date", "max"), last_buy_date=("buy_date", "max")
    ).reset_index()
    for column, ids in (("household_id", households), ("identical_group", groups)):
        named = np.asarray(ids, dtype=object)[out[column].to_numpy()]
        out[column] = pd.Series(named, dtype="str" if text[column] else object)
    out["buy_blocked"] = out["last_loss_sale_date"].notna()
    out["loss_sale_blocked"] = out["last_buy_date"].notna()
    return out[BLOCK_COLUMNS].reset_index(drop=True)
