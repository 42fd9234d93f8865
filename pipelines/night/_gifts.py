"""Charitable gifts in a night (issue 21): which requests are due, and the lots each shard gives.

Prepare reads the requests due tonight (dated on or before the night, not delivered on an earlier
night) and hands each shard its own. The shard step chooses the lots (``sma.ledger.
choose_gift_lots``) after the lots are reconciled and before the engine decides, and takes them
out of the account (``without_gifts``): the engine sees the account without them and refills it
-- no sale, no realized gain, no cash. The check step keeps the deliveries of the accounts that
still trade (a held account gives nothing tonight; its request stays due), and the record step
writes them to ``gifts_delivered``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sma.accounts import Universe, restriction_masks
from sma.ledger import GIFT_LOT_COLUMNS, choose_gift_lots, without_gifts
from sma.rebalance import ExceptionKind, fractional_accounts

#: What the shard writes per lot delivered (``proposal/deliveries.parquet``, the store's
#: ``gifts_delivered`` without its date).
DELIVERY_COLUMNS = [
    *GIFT_LOT_COLUMNS[:5],
    "price",
    *GIFT_LOT_COLUMNS[5:],
    "acquired_date",
    "adjusted_acquired_date",
]

#: The requests a night reads: due tonight and not delivered by an earlier night.
REQUEST_COLUMNS = ["request_id", "account_id", "amount", "date", "charity"]


def due_gift_requests(con, as_of: date) -> pd.DataFrame:
    """Tonight's gift requests dated on or before ``as_of`` that no earlier night delivered.

    A rerun of the same night finds its own deliveries under its own date, so it delivers the
    same requests again (replacing its rows); a later night never delivers them twice.
    """
    return con.execute(
        """SELECT request_id, account_id, CAST(amount AS DOUBLE) AS amount, date, charity
           FROM inbox_gift_requests
           WHERE as_of_date = ? AND date <= ?
             AND request_id NOT IN (SELECT request_id FROM gifts_delivered WHERE as_of_date < ?)
           ORDER BY date, request_id""",
        [as_of, as_of, as_of],
    ).df()


def _sell_barred(restrictions: pd.DataFrame, accounts: pd.DataFrame, market: pd.DataFrame):
    """(account_id, symbol) pairs the account's NO_SELL restrictions keep in the account."""
    ids = accounts["account_id"].astype(str).to_numpy()
    universe = Universe.from_frame(market)
    masks = restriction_masks(restrictions, ids, universe)
    a, j = np.nonzero(masks.no_sell)
    return pd.DataFrame({"account_id": ids[a], "symbol": universe.symbols[j]})


def deliver_gifts(
    requests: pd.DataFrame,
    accounts: pd.DataFrame,
    lots: pd.DataFrame,
    market: pd.DataFrame,
    restrictions: pd.DataFrame,
    as_of: date,
    fractional_decimals: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One shard's gifts: the lots left for the engine, the lots delivered
    (``DELIVERY_COLUMNS``) and the GIFT_SHORT exceptions (``account_id, kind, reason``).

    Only requests of the accounts decided tonight (``accounts``) are served.
    """
    requests = requests[requests["account_id"].isin(accounts["account_id"])]
    empty = pd.DataFrame(columns=["account_id", "kind", "reason"])
    if not len(requests):
        return lots, pd.DataFrame(columns=DELIVERY_COLUMNS), empty
    decimals = pd.Series(
        np.where(fractional_accounts(accounts), fractional_decimals, 0),
        index=accounts["account_id"].astype(str),
    )
    close = market.set_index("symbol")["close"]
    # only the requesting accounts' lots can be given (a shard holds a few gifts, 300k lots)
    giving = lots[lots["account_id"].isin(requests["account_id"])]
    choice = choose_gift_lots(
        requests,
        giving,
        close,
        np.datetime64(as_of, "D"),
        sell_barred=_sell_barred(restrictions, accounts, market),
        share_decimals=decimals,
        min_value=accounts.set_index(accounts["account_id"].astype(str))["min_trade_value"].astype(
            float
        ),
    )
    dates = giving.astype({"lot_id": str, "symbol": str, "account_id": str})[
        ["account_id", "symbol", "lot_id", "acquired_date", "adjusted_acquired_date"]
    ]
    delivered = choice.lots.merge(dates, on=["account_id", "symbol", "lot_id"], how="left")
    # One type for both (a day each): the lots may carry dates as objects, strings or datetimes,
    # and the adjusted date is blank where no wash sale moved it.
    acquired = pd.to_datetime(delivered["acquired_date"])
    adjusted = pd.to_datetime(delivered["adjusted_acquired_date"]).fillna(acquired)
    delivered["acquired_date"] = acquired.dt.date
    delivered["adjusted_acquired_date"] = adjusted.dt.date
    delivered["price"] = delivered["symbol"].map(close).astype(float)
    short = choice.short
    exceptions = pd.DataFrame(
        {
            "account_id": short["account_id"],
            "kind": str(ExceptionKind.GIFT_SHORT),
            "reason": [
                f"gift {r.request_id}: ${r.amount:,.2f} asked, ${r.delivered_value:,.2f} of "
                f"appreciated long-term lots delivered, ${r.shortfall:,.2f} short (no other lot "
                "is long-term, at a gain and free to leave the account)"
                for r in short.itertuples(index=False)
            ],
        }
    )
    return (
        without_gifts(lots, choice.lots),
        delivered[DELIVERY_COLUMNS],
        exceptions if len(exceptions) else empty,
    )
