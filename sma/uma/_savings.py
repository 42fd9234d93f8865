"""What the overlay saved: tonight's decision against each sleeve traded on its own.

Issue 19, "What the overlay saved": "For each UMA account the night also computes (without trading
it) what implementing each sleeve on its own would have traded, and reports the difference: trades
netted away, gains not realized, wash sales avoided."

The counterfactual (never traded) is a simple, documented rule, applied on the nights the overlay
trades the account or moves its lots between sleeves (the same trigger, so the two compare like for
like):

1. **Each sleeve alone to its own model.** A sleeve's goal in a symbol is its target weight x its
   model's weight x the account's value (:func:`sma.uma.sleeve_targets`); it holds its own lots
   (:func:`sma.uma.attribute_lots`). Where it holds more than its goal by at least the account's
   ``min_trade_value`` it sells the excess shares from its own lots, oldest first (FIFO, by the
   holding-period date); where it holds less by that much it buys the shortfall. The cash sleeve
   does not trade; buys are not limited by cash (the sleeves' sells and the cash sleeve fund them).
2. **No cross-sleeve netting**: a sleeve selling X and another buying X both trade.
3. **No household wash coordination.** A wash sale is counted (PRODUCT.md, "Tax rules": a loss
   sale and a purchase of a substantially identical security within 30 days) for each sleeve's
   sale of a group at a loss that a sibling sleeve's buy of the group tonight, or the household's
   purchase in the window (the night's ``loss_sale_blocked``), would wash; and for each buy of a
   group the household sold at a loss in the window (``buy_blocked``). The overlay's own trades are
   counted by the same rule.

Gains are realized at tonight's close against each lot's basis; a lot held more than a year is
long term. Tax is the gain at the account's short- or long-term rate (a loss is a negative tax;
nothing in an IRA or Roth).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.inbox import CASH_MODEL_ID, AccountType
from sma.uma._attribution import sleeve_targets
from sma.uma._by_account import by_account

OVERLAY_SAVINGS_COLUMNS = [
    "account_id",
    "trades_independent",
    "trades_overlay",
    "traded_independent",
    "traded_overlay",
    "netted_away",
    "gain_st_independent",
    "gain_lt_independent",
    "gain_st_overlay",
    "gain_lt_overlay",
    "tax_independent",
    "tax_overlay",
    "tax_saved",
    "wash_sales_independent",
    "wash_sales_overlay",
]

_LONG_TERM_DAYS = 365


def overlay_savings(
    attribution: pd.DataFrame,
    lots: pd.DataFrame,
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    closes: pd.Series,
    accounts: pd.DataFrame,
    trades: pd.DataFrame,
    lot_sells: pd.DataFrame,
    transfers: pd.DataFrame,
    wash_blocks: pd.DataFrame,
    as_of: date,
    group_of: pd.Series | None = None,
) -> pd.DataFrame:
    """Tonight's overlay trades against the sleeves traded independently (the module's rule).

    Parameters
    ----------
    attribution : tonight's lots with their sleeves (:func:`sma.uma.attribute_lots`).
    lots : the same lots with ``acquired_date`` and ``adjusted_acquired_date`` (holding period).
    sleeves : account_id, sleeve_id, model_id, target_weight.
    models : the versions in force: model_id, symbol, weight.
    closes : tonight's close per symbol, USD per share.
    accounts : indexed by account_id: household_id, account_type, st_tax_rate, lt_tax_rate,
        min_trade_value (USD) and value (before tonight's trades, USD).
    trades : the engine's trades (``sma.rebalance.TRADE_COLUMNS``).
    lot_sells : the engine's lot sells (``sma.rebalance.LOT_SELL_COLUMNS``).
    transfers : the lots moved between sleeves tonight (``sma.uma.TRANSFER_COLUMNS``).
    wash_blocks : household_id, identical_group, buy_blocked, loss_sale_blocked (the night's).
    as_of : tonight's date.
    group_of : symbol -> identical group; None or a missing symbol: the symbol itself.

    Returns
    -------
    Frame with :data:`OVERLAY_SAVINGS_COLUMNS`, one row per UMA account the overlay trades
    or moves lots of tonight, sorted by account_id. Money in USD; ``netted_away`` and
    ``tax_saved`` are independent minus overlay.
    """
    acted = set(trades["account_id"]) | set(transfers["account_id"])
    trading = sorted(set(sleeves["account_id"]) & acted)
    if not trading:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OVERLAY_SAVINGS_COLUMNS})
    group = _grouper(group_of)
    price = closes.astype(float)
    buys, sells = _independent(attribution, lots, sleeves, models, price, accounts, trading, as_of)
    rows = []
    buys_of, sells_of = by_account(buys, trading), by_account(sells, trading)
    trades_of, lot_sells_of = by_account(trades, trading), by_account(lot_sells, trading)
    for account in trading:
        info = accounts.loc[account]
        blocks = wash_blocks[wash_blocks["household_id"] == info["household_id"]]
        mine_buys, mine_sells = buys_of(account), sells_of(account)
        done = trades_of(account)
        done_sells = lot_sells_of(account)
        ind = _gains(mine_sells["realized_gain"], mine_sells["term"], info)
        ovl = _gains(done_sells["realized_gain"], done_sells["term"], info)
        independent_orders = len(mine_buys) + len(
            mine_sells.drop_duplicates(["sleeve_id", "symbol"])
        )
        traded_ind = float(mine_buys["notional"].sum() + mine_sells["proceeds"].sum())
        traded_ovl = float(done["notional"].astype(float).sum())
        rows.append(
            {
                "account_id": account,
                "trades_independent": independent_orders,
                "trades_overlay": len(done),
                "traded_independent": traded_ind,
                "traded_overlay": traded_ovl,
                "netted_away": traded_ind - traded_ovl,
                "gain_st_independent": ind[0],
                "gain_lt_independent": ind[1],
                "gain_st_overlay": ovl[0],
                "gain_lt_overlay": ovl[1],
                "tax_independent": ind[2],
                "tax_overlay": ovl[2],
                "tax_saved": ind[2] - ovl[2],
                "wash_sales_independent": _wash_sales(mine_sells, mine_buys, blocks, group),
                # the account is one "sleeve" here: any buy of a group washes its loss sale
                "wash_sales_overlay": _wash_sales(
                    done_sells.assign(sleeve_id="sold"),
                    done[done["side"] == "BUY"].assign(sleeve_id="bought"),
                    blocks,
                    group,
                ),
            }
        )
    return pd.DataFrame(rows, columns=OVERLAY_SAVINGS_COLUMNS)


def _grouper(group_of: pd.Series | None):
    def group(symbols: pd.Series) -> pd.Series:
        if group_of is None:
            return symbols.astype(str)
        mapped = symbols.map(group_of)
        return mapped.where(mapped.notna() & (mapped.astype(str) != ""), symbols).astype(str)

    return group


def _independent(attribution, lots, sleeves, models, price, accounts, trading, as_of):
    """The sleeves' own trades: (buys: account_id, sleeve_id, symbol, quantity, notional;
    lot sells: account_id, sleeve_id, symbol, lot_id, quantity, proceeds, realized_gain, term)."""
    mine = sleeves[sleeves["account_id"].isin(trading) & (sleeves["model_id"] != CASH_MODEL_ID)]
    value = accounts["value"].astype(float)
    want = sleeve_targets(mine, models)
    want = want.assign(goal=want["weight"] * want["account_id"].map(value).astype(float))
    keys = ["account_id", "sleeve_id", "symbol"]
    own = ["account_id", "lot_id", "symbol", "quantity", "cost_basis", "sleeve_id"]
    held_lots = attribution.loc[attribution["account_id"].isin(trading), own].merge(
        lots[["account_id", "lot_id", "symbol", "acquired_date", "adjusted_acquired_date"]],
        on=["account_id", "lot_id", "symbol"],
        how="left",
    )
    held_lots = held_lots.assign(
        close=held_lots["symbol"].map(price).astype(float).fillna(0.0),
        since=pd.to_datetime(
            held_lots["adjusted_acquired_date"].where(
                held_lots["adjusted_acquired_date"].notna(), held_lots["acquired_date"]
            )
        ),
    )
    held = (held_lots["quantity"] * held_lots["close"]).groupby([held_lots[k] for k in keys]).sum()
    goal = want.groupby(keys)["goal"].sum()
    gap = goal.sub(held, fill_value=0.0).rename("gap").reset_index()
    gap = gap.merge(mine[["account_id", "sleeve_id"]], on=["account_id", "sleeve_id"])
    floor = np.maximum(gap["account_id"].map(accounts["min_trade_value"]).astype(float), 1e-9)
    close = gap["symbol"].map(price).astype(float)
    buys = gap[(gap["gap"] >= floor) & (close > 0)]
    buys = buys.assign(
        quantity=buys["gap"] / buys["symbol"].map(price).astype(float), notional=buys["gap"]
    )[["account_id", "sleeve_id", "symbol", "quantity", "notional"]]
    over = gap[gap["gap"] <= -floor]
    to_sell = pd.Series(
        (-over["gap"] / over["symbol"].map(price).astype(float)).to_numpy(),
        index=pd.MultiIndex.from_frame(over[keys]),
    )
    fifo = held_lots.sort_values(keys + ["since", "lot_id"], kind="stable")
    fifo = fifo[pd.MultiIndex.from_frame(fifo[keys]).isin(to_sell.index)]
    wanted = to_sell.reindex(pd.MultiIndex.from_frame(fifo[keys])).to_numpy(float)
    before = fifo.groupby(keys)["quantity"].cumsum().to_numpy(float) - fifo["quantity"].to_numpy(
        float
    )
    sold = np.clip(wanted - before, 0.0, fifo["quantity"].to_numpy(float))
    per_share = fifo["cost_basis"].to_numpy(float) / fifo["quantity"].to_numpy(float)
    held_days = (pd.Timestamp(as_of) - fifo["since"]).dt.days.to_numpy()
    sells = fifo[keys + ["lot_id"]].assign(
        quantity=sold,
        proceeds=sold * fifo["close"].to_numpy(float),
        realized_gain=sold * (fifo["close"].to_numpy(float) - per_share),
        term=np.where(held_days > _LONG_TERM_DAYS, "LONG", "SHORT"),
    )
    return buys.reset_index(drop=True), sells[sold > 1e-12].reset_index(drop=True)


def _gains(gain: pd.Series, term: pd.Series, info: pd.Series) -> tuple[float, float, float]:
    """(short-term gain, long-term gain, tax on them) of sells in one account, USD."""
    long = term.astype(str).to_numpy() == "LONG"
    values = gain.astype(float).to_numpy()
    st, lt = float(values[~long].sum()), float(values[long].sum())
    taxable = str(info["account_type"]).upper() == AccountType.TAXABLE
    tax = st * float(info["st_tax_rate"]) + lt * float(info["lt_tax_rate"]) if taxable else 0.0
    return st, lt, tax


def _wash_sales(sells: pd.DataFrame, buys: pd.DataFrame, blocks: pd.DataFrame, group) -> int:
    """Loss sales (per sleeve and group) a sibling sleeve's buy tonight or the household's
    purchase in the window washes, plus buys (per sleeve and group) of a group the household
    sold at a loss in the window."""
    bought_recently = set(blocks.loc[blocks["loss_sale_blocked"].astype(bool), "identical_group"])
    lost_recently = set(blocks.loc[blocks["buy_blocked"].astype(bool), "identical_group"])
    losses = sells[sells["realized_gain"].astype(float) < 0]
    loss_keys = set(zip(losses["sleeve_id"], group(losses["symbol"])))
    buy_keys = set(zip(buys["sleeve_id"], group(buys["symbol"])))
    washed = {
        (sleeve, g)
        for sleeve, g in loss_keys
        if g in bought_recently
        or any(b_sleeve != sleeve and b_g == g for b_sleeve, b_g in buy_keys)
    }
    return len(washed) + sum(1 for _, g in buy_keys if g in lost_recently)
