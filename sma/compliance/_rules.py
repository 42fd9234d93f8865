"""Pre-trade compliance: every rule an order must pass before it can be released.

Each rule is one small function over the whole proposal at once (columnar, no loop per order)
that returns its violations as rows ``account_id, symbol, rule, message``. ``check_proposal``
numbers the book's ids once (:func:`sma.compliance._book.code_book`) and runs them all on the
integer codes; an account with any violation is held out of tonight's blotter (PRODUCT.md,
"Pre-trade compliance").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.compliance._book import CodedBook, ProposalBook, code_book

VIOLATION_COLUMNS = ["account_id", "symbol", "rule", "message"]


@dataclass(frozen=True)
class ComplianceLimits:
    """Hard limits on single orders and on the night; documented defaults."""

    max_order_shares: float = 5_000_000.0
    max_order_notional: float = 25_000_000.0  # USD per account order
    price_collar: float = 0.10  # an order's price may differ from the last close by at most 10 %
    max_share_of_daily_volume: float = 0.05  # one account's order vs the symbol's last volume
    run_notional_multiple: float = 5.0  # tonight's notional vs the median of recent nights
    run_orders_multiple: float = 5.0  # tonight's order count vs the median of recent nights
    run_history_nights: int = (
        20  # the recent nights whose medians tonight's totals are held against
    )


def _violations(
    b: CodedBook, rows: pd.DataFrame, rule: str, message: pd.Series | str
) -> pd.DataFrame:
    coded = "symbol" in rows and pd.api.types.is_integer_dtype(rows["symbol"])
    return pd.DataFrame(
        {
            "account_id": b.named("account_id", rows["account_id"]),
            "symbol": b.named("symbol", rows["symbol"]) if coded else None,
            "rule": rule,
            "message": message if isinstance(message, str) else message.to_numpy(),
        }
    )


def _blocked(b: CodedBook, orders: pd.DataFrame, blocked: pd.DataFrame) -> pd.DataFrame:
    """Each order with every block on its account and security (an order blocked twice: twice)."""
    why = blocked.drop(columns=["account_id", "symbol"]).assign(position=b.position(blocked))
    return orders.assign(position=b.position(orders)).merge(why, on="position")


def no_order_in_held_account(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    bad = b.trades[b.trades["account_id"].isin(b.held["account_id"])]
    return _violations(
        b, bad, "order_in_held_account", "the account is held out of trading tonight"
    )


def no_restricted_or_wash_blocked_buy(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    buys = b.trades[b.trades["side"] == "BUY"]
    bad = _blocked(b, buys, b.buy_blocked)
    return _violations(
        b, bad, "blocked_buy", "buy of a blocked security: " + bad["why"].astype(str)
    )


def no_sell_of_no_sell_holding(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    sells = b.trades[b.trades["side"] == "SELL"]
    bad = _blocked(b, sells, b.sell_blocked)
    return _violations(
        b, bad, "blocked_sell", "sale of a holding the client keeps: " + bad["why"].astype(str)
    )


def no_lot_oversold(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    asked = b.lot_sells["quantity"].groupby(b.lot(b.lot_sells)).sum()
    held = pd.DataFrame({"lot": b.lot(b.lots), "held": b.lots["quantity"].to_numpy()})
    m = pd.DataFrame({"lot": asked.index, "quantity": asked.to_numpy()})
    m = m.merge(held, on="lot", how="left")
    m["held"] = m["held"].fillna(0.0)
    bad = m[m["quantity"] > m["held"] + 1e-9]
    bad = pd.concat([b.lots_of(bad["lot"]).set_axis(bad.index), bad], axis=1)
    msg = (
        "lot "
        + pd.Series(b.named("lot_id", bad["lot_id"]), index=bad.index, dtype=str)
        + ": sells "
        + bad["quantity"].astype(str)
        + " of "
        + bad["held"].astype(str)
        + " shares held"
    )
    return _violations(b, bad, "lot_oversold", msg)


def sells_match_their_lots(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    if not len(b.lot_sells) and not (b.trades["side"] == "SELL").any():
        # Nothing sold (pandas cannot outer-merge two empty Arrow-string keyed frames).
        return _violations(b, b.trades.iloc[:0], "sell_without_lots", "")
    sold = b.trades[b.trades["side"] == "SELL"]
    m = pd.concat(
        [
            sold["quantity"].groupby(b.position(sold)).sum().rename("quantity_order"),
            b.lot_sells["quantity"].groupby(b.position(b.lot_sells)).sum().rename("quantity_lots"),
        ],
        axis=1,
    ).sort_index()  # every position either side names, in the order of the ids
    m = m.fillna({"quantity_order": 0.0, "quantity_lots": 0.0})
    m = pd.concat([b.positions(m.index).set_axis(m.index), m], axis=1)
    bad = m[~np.isclose(m["quantity_order"], m["quantity_lots"], rtol=0, atol=1e-9)]
    msg = (
        "sell of "
        + bad["quantity_order"].astype(str)
        + " shares names lots for "
        + bad["quantity_lots"].astype(str)
    )
    return _violations(b, bad, "sell_without_lots", msg)


def no_short_position(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    held = b.shares_held
    delta = np.where(b.trades["side"] == "BUY", 1.0, -1.0) * b.trades["quantity"]
    signed = delta.groupby(b.position(b.trades)).sum()
    m = b.positions(signed.index).assign(
        delta=signed.to_numpy(), quantity=held.reindex(signed.index).fillna(0.0).to_numpy()
    )
    bad = m[m["quantity"] + m["delta"] < -1e-9]
    return _violations(b, bad, "short_position", "the trades would leave a short position")


def no_negative_cash(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    flow = (
        b.trades.assign(flow=np.where(b.trades["side"] == "SELL", 1.0, -1.0) * b.trades["notional"])
        .groupby("account_id", as_index=False)["flow"]
        .sum()
    )
    m = flow.merge(b.cash, on="account_id", how="left").fillna({"amount": 0.0})
    after = m["amount"].astype(float) + m["flow"]
    bad = m[after < -0.005].assign(symbol=None)
    return _violations(
        b,
        bad,
        "negative_cash",
        "cash after the trades would be " + after[after < -0.005].round(2).astype(str),
    )


def no_duplicate_order(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    dup = b.trades[b.trades.duplicated(["account_id", "symbol", "side"], keep="first")]
    both = b.trades["side"].groupby(b.position(b.trades)).nunique()
    both = b.positions(both.index[both.to_numpy() > 1])
    return pd.concat(
        [
            _violations(
                b,
                dup,
                "duplicate_order",
                "more than one order for the same account, security and side",
            ),
            _violations(b, both, "duplicate_order", "both a buy and a sell of the same security"),
        ],
        ignore_index=True,
    )


def order_within_limits(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    t = b.trades
    q = t["quantity"].astype(float)
    n = t["notional"].astype(float)
    places = np.where(b.fractional[t["account_id"].to_numpy()], b.decimals, 0)
    unit = 10.0 ** -places.astype(float)
    whole = np.abs(q / unit - np.round(q / unit)) <= 1e-6  # whole units: shares or the decimals
    # A sale of the whole position is whole whatever its size: a whole-share account may hold a
    # fraction (a merger's kept fraction, a lot a wash sale split), and selling it out is how the
    # custodian lets the account leave it.
    position = b.shares_held.reindex(b.position(t))
    closes = (t["side"] == "SELL").to_numpy(dtype=bool, na_value=False) & (
        np.abs(q.to_numpy() - position.to_numpy(dtype=float)) <= 1e-6
    )
    whole = whole | closes
    bad_q = t[~np.isfinite(q) | (q <= 0) | (q > limits.max_order_shares) | ~whole]
    bad_n = t[~np.isfinite(n) | (n > limits.max_order_notional)]
    vol = t.merge(b.market[["symbol", "volume"]], on="symbol", how="left")
    share = vol["quantity"] / vol["volume"]
    bad_v = vol[np.isfinite(share) & (share > limits.max_share_of_daily_volume)]
    return pd.concat(
        [
            _violations(
                b,
                bad_q,
                "quantity_limit",
                "quantity must be whole shares (the custodian's decimals where the account allows "
                "fractional shares) or a sale of the whole position, > 0 and within the order "
                "limit",
            ),
            _violations(
                b, bad_n, "notional_limit", f"notional above {limits.max_order_notional:,.0f} USD"
            ),
            _violations(
                b,
                bad_v,
                "volume_limit",
                f"more than {limits.max_share_of_daily_volume:.0%} of the last day's volume",
            ),
        ],
        ignore_index=True,
    )


def price_within_collar(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    m = b.trades.merge(b.market[["symbol", "close"]], on="symbol", how="left")
    dev = (m["price"] - m["close"]).abs() / m["close"]
    bad = m[~np.isfinite(dev) | (dev > limits.price_collar)]
    return _violations(
        b,
        bad,
        "price_collar",
        f"price more than {limits.price_collar:.0%} from the last close, or no close",
    )


def sales_within_gain_budget(b: CodedBook, limits: ComplianceLimits) -> pd.DataFrame:
    """Tonight's lot sells of an account realize at most the net gain its budget has left this
    year (PRODUCT.md, the per-account decision: "realized net gains this year <= gain budget"),
    a cent allowed for rounding; an overspent budget allows no net gain at all. The gain is read
    again here, not taken from the engine's ``realized_gain``: each lot sell's shares at its
    order's price, less the lot's cost basis for those shares."""
    ls = b.lot_sells
    if not len(ls) or not len(b.budgets) or "cost_basis" not in b.lots:
        return _violations(b, b.trades.iloc[:0], "gain_budget", "")
    lots = pd.DataFrame(
        {
            "key": b.lot(b.lots),
            "held": b.lots["quantity"].to_numpy(float),
            "basis": b.lots["cost_basis"].to_numpy(float),
        }
    )
    sells = b.trades[b.trades["side"] == "SELL"]
    price = pd.Series(sells["price"].to_numpy(float), index=b.position(sells))
    price = price[~price.index.duplicated()]  # a second sell order is duplicate_order's
    sold = pd.DataFrame(
        {
            "account_id": ls["account_id"].to_numpy(np.int64),
            "key": b.lot(ls),
            "quantity": ls["quantity"].to_numpy(float),
            "price": price.reindex(b.position(ls)).to_numpy(),
        }
    ).merge(lots, on="key", how="left")
    gain = sold["quantity"] * (sold["price"] - sold["basis"] / sold["held"])
    net = gain.groupby(sold["account_id"]).sum()  # a lot no rule can price counts nothing
    left = pd.Series(
        b.budgets["left"].to_numpy(float), index=b.budgets["account_id"].to_numpy(np.int64)
    )
    left = left[~left.index.duplicated()].reindex(net.index).to_numpy()
    allowed = np.maximum(np.nan_to_num(left, nan=np.inf), 0.0)
    over = net.to_numpy() > allowed + 0.01
    bad = pd.DataFrame({"account_id": net.index[over]})
    words = [
        f"tonight's sales realize a net gain of ${g:,.2f}; the gain budget has ${max(a, 0.0):,.2f} "
        f"left this year{' (overspent)' if a < 0 else ''}"
        for g, a in zip(net.to_numpy()[over], left[over], strict=True)
    ]
    return _violations(b, bad, "gain_budget", pd.Series(words, dtype=object))


#: Every rule, in the order the PM reads them.
RULES: tuple[Callable[[CodedBook, ComplianceLimits], pd.DataFrame], ...] = (
    no_order_in_held_account,
    no_restricted_or_wash_blocked_buy,
    no_sell_of_no_sell_holding,
    no_lot_oversold,
    sells_match_their_lots,
    no_short_position,
    no_negative_cash,
    no_duplicate_order,
    order_within_limits,
    price_within_collar,
    sales_within_gain_budget,
)


def check_proposal(
    book: ProposalBook, limits: ComplianceLimits = ComplianceLimits()
) -> pd.DataFrame:
    """All violations of all rules, one row each, sorted by account, rule and symbol.

    Parameters
    ----------
    book : the proposal and the book it was decided on (a shard or the whole night: every rule
        looks at one account at a time).
    limits : the hard limits on orders.

    Returns
    -------
    Frame with :data:`VIOLATION_COLUMNS`, ids as text.
    """
    coded = code_book(book)
    found = [rule(coded, limits) for rule in RULES]
    out = (
        pd.concat([f for f in found if len(f)], ignore_index=True)
        if any(len(f) for f in found)
        else pd.DataFrame(columns=VIOLATION_COLUMNS)
    )
    return out.sort_values(
        ["account_id", "rule", "symbol"], na_position="first", kind="stable"
    ).reset_index(drop=True)


def check_run_totals(
    orders: int,
    notional: float,
    recent: pd.DataFrame,
    limits: ComplianceLimits = ComplianceLimits(),
) -> list[str]:
    """Tonight's totals against recent nights (``recent``: orders, notional per night, newest
    first).

    Only the newest ``limits.run_history_nights`` count: the medians follow the book as it grows.
    Returns the reasons the run is out of bounds (empty when within bounds or no history).
    A PM may override them; the override is recorded with the approval.
    """
    recent = recent.head(limits.run_history_nights)
    if recent.empty:
        return []
    reasons = []
    med_n = float(np.median(recent["notional"]))
    med_o = float(np.median(recent["orders"]))
    if med_n > 0 and notional > limits.run_notional_multiple * med_n:
        reasons.append(
            f"notional {notional:,.0f} USD is over {limits.run_notional_multiple:g}× the recent "
            f"median {med_n:,.0f}"
        )
    if med_o > 0 and orders > limits.run_orders_multiple * med_o:
        reasons.append(
            f"{orders} orders is over {limits.run_orders_multiple:g}× the recent median "
            f"{med_o:,.0f}"
        )
    return reasons
