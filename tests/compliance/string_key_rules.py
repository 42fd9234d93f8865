"""The pre-trade rules as first written, joining and grouping on the ids as text (the tree before
issue 23, ``sma/compliance/_rules.py`` at 5bc959e): the oracle the integer-code rules are checked
against (``test_compliance_codes.py``). Not used by the night."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sma.compliance import VIOLATION_COLUMNS, ComplianceLimits, ProposalBook


def _violations(rows: pd.DataFrame, rule: str, message: pd.Series | str) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "account_id": rows["account_id"].astype(str).to_numpy(),
            "symbol": rows["symbol"].astype(object).to_numpy() if "symbol" in rows else None,
            "rule": rule,
        }
    )
    out["message"] = message.to_numpy() if isinstance(message, pd.Series) else message  # pyright: ignore[reportAttributeAccessIssue]
    return out[VIOLATION_COLUMNS]


def no_order_in_held_account(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    bad = b.trades[b.trades["account_id"].isin(b.held["account_id"])]
    return _violations(bad, "order_in_held_account", "the account is held out of trading tonight")


def no_restricted_or_wash_blocked_buy(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    buys = b.trades[b.trades["side"] == "BUY"]
    bad = buys.merge(b.buy_blocked, on=["account_id", "symbol"])
    return _violations(bad, "blocked_buy", "buy of a blocked security: " + bad["why"].astype(str))


def no_sell_of_no_sell_holding(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    sells = b.trades[b.trades["side"] == "SELL"]
    bad = sells.merge(b.sell_blocked, on=["account_id", "symbol"])
    return _violations(
        bad, "blocked_sell", "sale of a holding the client keeps: " + bad["why"].astype(str)
    )


def no_lot_oversold(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    asked = b.lot_sells.groupby(["account_id", "lot_id", "symbol"], as_index=False)[
        "quantity"
    ].sum()
    held = b.lots[["account_id", "lot_id", "symbol", "quantity"]].rename(
        columns={"quantity": "held"}
    )
    m = asked.merge(held, on=["account_id", "lot_id", "symbol"], how="left")
    m["held"] = m["held"].fillna(0.0)
    bad = m[m["quantity"] > m["held"] + 1e-9]
    msg = (
        "lot "
        + bad["lot_id"].astype(str)
        + ": sells "
        + bad["quantity"].astype(str)
        + " of "
        + bad["held"].astype(str)
        + " shares held"
    )
    return _violations(bad, "lot_oversold", msg)


def sells_match_their_lots(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    if not len(b.lot_sells) and not (b.trades["side"] == "SELL").any():
        # Nothing sold (pandas cannot outer-merge two empty Arrow-string keyed frames).
        return _violations(b.trades.iloc[:0], "sell_without_lots", "")
    sells = (
        b.trades[b.trades["side"] == "SELL"]
        .groupby(["account_id", "symbol"], as_index=False)["quantity"]
        .sum()
    )
    lots = b.lot_sells.groupby(["account_id", "symbol"], as_index=False)["quantity"].sum()
    m = sells.merge(lots, on=["account_id", "symbol"], how="outer", suffixes=("_order", "_lots"))
    m = m.fillna({"quantity_order": 0.0, "quantity_lots": 0.0})
    bad = m[~np.isclose(m["quantity_order"], m["quantity_lots"], rtol=0, atol=1e-9)]
    msg = (
        "sell of "
        + bad["quantity_order"].astype(str)
        + " shares names lots for "
        + bad["quantity_lots"].astype(str)
    )
    return _violations(bad, "sell_without_lots", msg)


def no_short_position(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    held = b.lots.groupby(["account_id", "symbol"], as_index=False)["quantity"].sum()
    signed = (
        b.trades.assign(delta=np.where(b.trades["side"] == "BUY", 1.0, -1.0) * b.trades["quantity"])
        .groupby(["account_id", "symbol"], as_index=False)["delta"]
        .sum()
    )
    m = signed.merge(held, on=["account_id", "symbol"], how="left").fillna({"quantity": 0.0})
    bad = m[m["quantity"] + m["delta"] < -1e-9]
    return _violations(bad, "short_position", "the trades would leave a short position")


def no_negative_cash(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    flow = (
        b.trades.assign(flow=np.where(b.trades["side"] == "SELL", 1.0, -1.0) * b.trades["notional"])
        .groupby("account_id", as_index=False)["flow"]
        .sum()
    )
    m = flow.merge(b.cash, on="account_id", how="left").fillna({"amount": 0.0})
    after = m["amount"].astype(float) + m["flow"]
    bad = m[after < -0.005].assign(symbol=None)
    return _violations(
        bad,
        "negative_cash",
        "cash after the trades would be " + after[after < -0.005].round(2).astype(str),
    )


def no_duplicate_order(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    dup = b.trades[b.trades.duplicated(["account_id", "symbol", "side"], keep="first")]
    both = b.trades.groupby(["account_id", "symbol"])["side"].nunique()
    both = both[both > 1].reset_index()[["account_id", "symbol"]]
    return pd.concat(
        [
            _violations(
                dup,
                "duplicate_order",
                "more than one order for the same account, security and side",
            ),
            _violations(both, "duplicate_order", "both a buy and a sell of the same security"),
        ],
        ignore_index=True,
    )


def order_within_limits(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    t = b.trades
    q = t["quantity"].astype(float)
    n = t["notional"].astype(float)
    places = np.where(t["account_id"].astype(str).isin(b.fractional), b.decimals, 0)
    unit = 10.0 ** -places.astype(float)
    whole = np.abs(q / unit - np.round(q / unit)) <= 1e-6  # whole units: shares or the decimals
    # A sale of the whole position is whole whatever its size: a whole-share account may hold a
    # fraction (a merger's kept fraction, a lot a wash sale split), and selling it out is how the
    # custodian lets the account leave it.
    keys = ["account_id", "symbol"]
    held = b.lots.astype({k: str for k in keys}).groupby(keys)["quantity"].sum().rename("held")
    position = t[keys].astype(str).merge(held.reset_index(), on=keys, how="left")["held"]
    closes = (t["side"].astype(str).to_numpy() == "SELL") & (
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
                bad_q,
                "quantity_limit",
                "quantity must be whole shares (the custodian's decimals where the account allows "
                "fractional shares) or a sale of the whole position, > 0 and within the order "
                "limit",
            ),
            _violations(
                bad_n, "notional_limit", f"notional above {limits.max_order_notional:,.0f} USD"
            ),
            _violations(
                bad_v,
                "volume_limit",
                f"more than {limits.max_share_of_daily_volume:.0%} of the last day's volume",
            ),
        ],
        ignore_index=True,
    )


def price_within_collar(b: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    m = b.trades.merge(b.market[["symbol", "close"]], on="symbol", how="left")
    dev = (m["price"] - m["close"]).abs() / m["close"]
    bad = m[~np.isfinite(dev) | (dev > limits.price_collar)]
    return _violations(
        bad,
        "price_collar",
        f"price more than {limits.price_collar:.0%} from the last close, or no close",
    )


#: Every rule, in the order the PM reads them.
RULES: tuple[Callable[[ProposalBook, ComplianceLimits], pd.DataFrame], ...] = (
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
)


def check_proposal(book: ProposalBook, limits: ComplianceLimits) -> pd.DataFrame:
    """All violations of all rules, one row each, sorted by account, rule and symbol."""
    found = [rule(book, limits) for rule in RULES]
    out = (
        pd.concat([f for f in found if len(f)], ignore_index=True)
        if any(len(f) for f in found)
        else pd.DataFrame(columns=VIOLATION_COLUMNS)
    )
    return out.sort_values(
        ["account_id", "rule", "symbol"], na_position="first", kind="stable"
    ).reset_index(drop=True)
