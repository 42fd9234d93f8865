"""Charitable gifts of appreciated securities: which lots go to the charity.

A client who gives appreciated stock held more than one year deducts its fair market value and
never realizes the gain (IRS Publication 526, "Giving Property That Has Increased in Value";
IRC 170(e)(1)(A) cuts the deduction to the basis for property whose sale would give ordinary
income or short-term gain). So the lots a gift should carry are the long-term lots with the most
gain per dollar of value: each dollar given then avoids the most tax. A short-term lot is never
given (its deduction is only its basis, Pub. 526), nor a lot at a loss or at no gain (selling it and
giving the cash keeps the loss, Pub. 526 "Property that has decreased in value"). Long-term is the
ledger's one rule: held more than one year from the day after ``adjusted_acquired_date``, the
wash-sale carry-over included (IRS Publication 550, ch. 4; ``is_long_term``).

Restrictions: a NO_SELL security is one the client keeps as is, so its lots are never given
(delivering them away moves them out of the account as surely as a sale). An EXCLUDE security may
be given: the client wants it out of the account and a gift takes it out without a realized gain,
so its lots compete on gain per dollar like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.ledger._holding import is_long_term
from sma.ledger._money import (
    cents_to_usd,
    notional_cents,
    share_of_cents,
    usd_array_to_cents,
    usd_to_cents,
)

#: One row per lot (or part of a lot) delivered: what ``choose_gift_lots`` returns.
GIFT_LOT_COLUMNS = [
    "request_id",
    "account_id",
    "lot_id",
    "symbol",
    "quantity",
    "cost_basis",
    "market_value",
    "unrealized_gain",
    "charity",
]

#: One row per request the eligible lots could not cover.
GIFT_SHORT_COLUMNS = ["request_id", "account_id", "amount", "delivered_value", "shortfall"]


@dataclass(frozen=True)
class GiftChoice:
    """The lots chosen for a night's gift requests.

    lots : DataFrame with ``GIFT_LOT_COLUMNS``
        One row per lot delivered, in request order then best lot first. ``quantity`` in shares
        (whole for a whole-share account), ``cost_basis`` the basis of the shares delivered (USD,
        pro rata when part of a lot goes), ``market_value`` = quantity x the night's close (USD),
        ``unrealized_gain`` = market_value - cost_basis, > 0 (the gain the client avoids
        realizing).
    short : DataFrame with ``GIFT_SHORT_COLUMNS``
        One row per request whose eligible lots ran out before its amount: what was asked, what
        was delivered, and the shortfall (USD).
    """

    lots: pd.DataFrame
    short: pd.DataFrame


def _eligible(
    lots: pd.DataFrame,
    price: np.ndarray,
    as_of: np.datetime64,
    sell_barred: pd.DataFrame | None,
) -> np.ndarray:
    """(n_lots,) bool: long-term, at a gain, priced and not barred from sale."""
    start = lots["adjusted_acquired_date"] if "adjusted_acquired_date" in lots else None
    acquired = pd.to_datetime(lots["acquired_date"]) if "acquired_date" in lots else None
    if start is None:
        start = acquired
    else:
        start = pd.to_datetime(start)
        if acquired is not None:
            start = start.fillna(acquired)
    holding = pd.to_datetime(start).to_numpy().astype("datetime64[D]")
    qty = lots["quantity"].to_numpy(float)
    basis = lots["cost_basis"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        gain = qty * price - basis
    ok = ~np.isnat(holding) & np.isfinite(price) & (price > 0) & (qty > 0) & (gain > 0)
    ok &= is_long_term(holding, as_of) & (holding <= as_of)
    if sell_barred is not None and len(sell_barred):
        barred = pd.MultiIndex.from_frame(
            sell_barred[["account_id", "symbol"]].astype(str)
        ).unique()
        pairs = pd.MultiIndex.from_arrays(
            [lots["account_id"].astype(str), lots["symbol"].astype(str)]
        )
        ok &= ~pairs.isin(barred)
    return ok


def _take(
    amount: float, price: np.ndarray, available: np.ndarray, step: np.ndarray
) -> tuple[np.ndarray, bool]:
    """Shares to take from each candidate lot (best first) to come closest to ``amount``.

    Greedy in the lots' order: from each, the most shares (in ``step``s) that do not pass what is
    left. Then, while something is left and shares remain, one more step of the best lot that
    still has one, when that comes closer to the amount than stopping (so the gift passes the
    amount by less than one share's price). Returns the quantities and whether the lots ran out
    before the amount (a shortfall).
    """
    available = np.floor(available / step + 1e-9) * step
    take = np.zeros_like(available)
    left = amount
    for i in range(available.size):
        if left <= 0:
            break
        steps = np.floor(left / (price[i] * step[i]) + 1e-9)
        q = min(available[i], steps * step[i])
        take[i] = round(q, 9)
        left -= q * price[i]
    rest = available - take
    has_step = rest >= step - 1e-12
    if left > 1e-9 and has_step.any():
        i = int(np.flatnonzero(has_step)[0])
        if price[i] * step[i] - left < left:
            take[i] += step[i]
            left -= price[i] * step[i]
        return take, False
    # Whatever a lot keeps is less than one step: every eligible share is given.
    return take, bool(left > 0.005)


def choose_gift_lots(
    requests: pd.DataFrame,
    lots: pd.DataFrame,
    prices: Mapping[str, float] | pd.Series,
    as_of: np.datetime64 | str,
    *,
    sell_barred: pd.DataFrame | None = None,
    share_decimals: Mapping[str, int] | pd.Series | None = None,
    min_value: Mapping[str, float] | pd.Series | None = None,
) -> GiftChoice:
    """The lots each gift request delivers: most appreciated long-term lots first.

    Rules (module docstring for their sources): only long-term lots (IRS Pub. 550, held more than
    one year from the day after ``adjusted_acquired_date``) at a gain (Pub. 526, IRC 170(e)), never
    a lot of a NO_SELL security; ordered by unrealized gain per dollar of value (1 - basis/value),
    the highest first, ties by lot_id. The value given comes as close to the amount as the
    account's share decimals allow, passing it by less than one share's price. Several requests of
    one account draw on the same lots in request order. No lot is delivered for less than the
    account's ``min_value`` (its minimum trade): topping a gift up with 0.001 share of three
    securities, or one share of a barely appreciated lot, is a delivery instruction per sliver
    for the custodian and the charity; the gift then comes in under its amount by those slivers.

    Parameters
    ----------
    requests : DataFrame
        ``request_id, account_id, amount`` (USD, > 0), ``charity``; the requests to deliver now,
        in the order they are served.
    lots : DataFrame
        Open lots: ``account_id, lot_id, symbol, quantity`` (shares), ``cost_basis`` (USD, total),
        ``adjusted_acquired_date`` (the holding period's start; blank = ``acquired_date``).
    prices : mapping or Series symbol -> close (USD per share) on ``as_of``
        A lot without a price is not given.
    as_of : date the gift is delivered
    sell_barred : DataFrame of ``account_id, symbol``, optional
        Securities the account's restrictions bar from sale (NO_SELL): never given.
    share_decimals : mapping or Series account_id -> decimals of a share the account trades,
        optional
        0 (or missing) = whole shares; 3 = thousandths of a share for a fractional account.
    min_value : mapping or Series account_id -> USD, optional
        The least value delivered from one lot (the account's minimum trade); missing = 0.

    Returns
    -------
    GiftChoice
        The lots delivered and the requests that fell short.
    """
    day = np.datetime64(as_of, "D")  # pyright: ignore[reportArgumentType, reportCallIssue]
    close = pd.Series(prices, dtype=float)
    lots = lots.reset_index(drop=True)
    price = lots["symbol"].astype(str).map(close).to_numpy(float)
    ok = _eligible(lots, price, day, sell_barred)
    qty = lots["quantity"].to_numpy(float)
    basis = lots["cost_basis"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_dollar = np.where(ok, 1.0 - basis / (qty * price), -np.inf)
    decimals = pd.Series(share_decimals if share_decimals is not None else {}, dtype=float)
    least = pd.Series(min_value if min_value is not None else {}, dtype=float)
    left = qty.copy()
    basis_left = usd_array_to_cents(basis)
    rows: list[pd.DataFrame] = []
    short: list[dict] = []
    account = lots["account_id"].astype(str).to_numpy()
    for req in requests.itertuples(index=False):
        acc = str(req.account_id)  # pyright: ignore[reportAttributeAccessIssue]
        amount = float(req.amount)  # pyright: ignore[reportAttributeAccessIssue, reportArgumentType]
        mine = np.flatnonzero(ok & (account == acc) & (left > 0))
        order = mine[np.lexsort((lots["lot_id"].astype(str).to_numpy()[mine], -per_dollar[mine]))]
        d = decimals.get(acc, 0.0)
        step = np.full(order.size, 10.0 ** -int(0 if pd.isna(d) else d))
        take, ran_out = _take(amount, price[order], left[order], step)
        floor = least.get(acc, 0.0)
        given = (take > 0) & (take * price[order] >= (0.0 if pd.isna(floor) else floor) - 1e-9)
        idx, q = order[given], take[given]
        # The basis goes with the shares, pro rata to what the lot still holds, in cents; a lot
        # given to its last share gives all its basis left, so two gifts from one lot never give
        # a cent more (or less) than it had.
        # Money in integer cents by the ledger's one rule (``sma.ledger._money``, half up).
        whole = q >= left[idx] - 1e-9
        cost = np.where(
            whole, basis_left[idx], share_of_cents(basis_left[idx], q, np.maximum(left[idx], 1e-12))
        )
        value = notional_cents(q, price[idx])
        # At a gain in the cents the client sees: a sliver (0.001 share worth 1 cent with 1 cent
        # of basis) delivers no appreciation (Pub. 526), only an instruction; it stays.
        gains = value > cost
        idx, q, cost, value = idx[gains], q[gains], cost[gains], value[gains]
        left[idx] -= q
        basis_left[idx] -= cost
        rows.append(
            pd.DataFrame(
                {
                    "request_id": str(req.request_id),  # pyright: ignore[reportAttributeAccessIssue]
                    "account_id": acc,
                    "lot_id": lots["lot_id"].astype(str).to_numpy()[idx],
                    "symbol": lots["symbol"].astype(str).to_numpy()[idx],
                    "quantity": q,
                    "cost_basis": cents_to_usd(cost),
                    "market_value": cents_to_usd(value),
                    "unrealized_gain": cents_to_usd(value - cost),
                    "charity": str(req.charity),  # pyright: ignore[reportAttributeAccessIssue]
                },
                columns=GIFT_LOT_COLUMNS,
            )
        )
        if ran_out:
            short.append(
                {
                    "request_id": str(req.request_id),  # pyright: ignore[reportAttributeAccessIssue]
                    "account_id": acc,
                    "amount": amount,
                    "delivered_value": int(value.sum()) / 100,
                    "shortfall": (usd_to_cents(amount) - int(value.sum())) / 100,
                }
            )
    chosen = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=GIFT_LOT_COLUMNS)
    return GiftChoice(chosen, pd.DataFrame(short, columns=GIFT_SHORT_COLUMNS))


def without_gifts(lots: pd.DataFrame, delivered: pd.DataFrame) -> pd.DataFrame:
    """The lots left once the ``delivered`` shares have gone to the charity.

    A gift is no sale (IRS Pub. 526): nothing is realized, the shares and their basis simply leave
    the account. A lot given whole goes; a lot given in part keeps the rest of its shares and the
    rest of its basis (its basis less the delivered rows' ``cost_basis``, so shares and basis are
    conserved to the cent: before = after + delivered). Dates are kept.

    Parameters
    ----------
    lots : DataFrame
        ``account_id, lot_id, symbol, quantity`` (shares), ``cost_basis`` (USD), any other columns.
    delivered : DataFrame
        ``account_id, lot_id, symbol, quantity, cost_basis`` (``GiftChoice.lots`` or the store's
        delivered rows); several rows of one lot add up.

    Returns
    -------
    DataFrame
        ``lots`` in their order with quantities and bases reduced; lots with no share left
        dropped.
    """
    if not len(delivered):
        return lots
    key = ["account_id", "symbol", "lot_id"]
    given = (
        delivered.astype({k: str for k in key})
        .groupby(key, as_index=False)[["quantity", "cost_basis"]]
        .sum()
        .rename(columns={"quantity": "_q", "cost_basis": "_b"})
    )
    out = lots.astype({k: str for k in key})
    # Only the giving accounts' lots can match a delivered row: join those, not all of a shard's
    # lots (a few gifts against some 300k lots; the join of them all was most of a shard's gifts).
    rows = np.flatnonzero(out["account_id"].isin(given["account_id"]).to_numpy())
    matched = out.iloc[rows][key].merge(given, on=key, how="left")  # keeps the rows' order
    q, b = np.zeros(len(out)), np.zeros(len(out))
    q[rows] = matched["_q"].fillna(0.0).to_numpy(float)
    b[rows] = matched["_b"].fillna(0.0).to_numpy(float)
    left = np.round(out["quantity"].to_numpy(float) - q, 9)
    out["quantity"] = left
    out["cost_basis"] = cents_to_usd(
        usd_array_to_cents(out["cost_basis"].to_numpy(float)) - usd_array_to_cents(b)
    )
    return out[left > 0].reset_index(drop=True)
