"""Why we trade: the engine's reason codes, their words for a client, and trades summed by reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.rebalance import TradeReason

#: The reason codes in the order reports list them.
TRADE_REASONS: tuple[str, ...] = tuple(TradeReason)

#: Why we trade, in a client's words, per reason code (PRODUCT.md, "The nightly run", step 5).
REASON_WORDS: dict[str, str] = {
    TradeReason.HARVEST: "sold holdings that were worth less than you paid, to realise losses that can offset "
    "taxable gains",
    TradeReason.REPLACE: "bought similar, but not substantially identical, securities so that your money stayed "
    "invested while the harvested ones cannot be bought back",
    TradeReason.REBALANCE: "brought the portfolio back in line with your personalised benchmark",
    TradeReason.CASH_INVEST: "invested cash that was waiting in the account",
    TradeReason.CASH_RAISE: "sold to raise the cash needed for withdrawals or your cash reserve",
    TradeReason.RESTRICTION: "sold or avoided securities that your instructions exclude",
    TradeReason.TRANSITION: "moved earlier holdings toward the portfolio we manage, as fast as your yearly gain "
    "budget allows",
}


def trades_by_reason(trades: pd.DataFrame) -> pd.DataFrame:
    """Trades summed per reason, in ``TRADE_REASONS`` order (unknown codes last, by name).

    Parameters
    ----------
    trades : DataFrame
        ``side`` (BUY/SELL), ``notional`` (USD), ``reason``; with ``account_id`` the number of
        accounts per reason is counted too.

    Returns
    -------
    DataFrame
        ``reason, trades, accounts, buys, sells, bought, sold`` (counts and USD notionals).
    """
    side = trades["side"].astype(str).str.upper().to_numpy()
    notional = trades["notional"].to_numpy(dtype=float)
    accounts = trades["account_id"].astype(str).to_numpy() if "account_id" in trades else np.full(len(trades), "")
    frame = pd.DataFrame({
        "reason": trades["reason"].astype(str).to_numpy(),
        "account_id": accounts,
        "buys": (side == "BUY").astype(int),
        "sells": (side == "SELL").astype(int),
        "bought": np.where(side == "BUY", notional, 0.0),
        "sold": np.where(side == "SELL", notional, 0.0),
    })
    out = frame.groupby("reason").agg(
        trades=("account_id", "size"), accounts=("account_id", "nunique"), buys=("buys", "sum"),
        sells=("sells", "sum"), bought=("bought", "sum"), sold=("sold", "sum"),
    ).reset_index()
    rank = {r: i for i, r in enumerate(TRADE_REASONS)}
    out["_rank"] = out["reason"].map(rank).fillna(len(rank))
    return out.sort_values(["_rank", "reason"]).drop(columns="_rank").reset_index(drop=True)
