"""Blocks in force: every (account, security) the engine may not buy, sell or sell at a loss
tonight, and why.

For the PM and for pre-trade compliance (PRODUCT.md, "Pre-trade compliance": no buy of a restricted
or wash-blocked security): restrictions (EXCLUDE, NO_BUY, NO_SELL) and the household's wash-sale
blocks (IRS Publication 550, "Wash Sales"), each with the first day it no longer applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.accounts import RestrictionMasks, Universe
from sma.ledger import wash_sale_block_until
from sma.rebalance._inputs import ShardInputs

#: One row per block: ``kind`` BUY_BLOCKED, SELL_BLOCKED or LOSS_SALE_BLOCKED; ``until`` the first
#: day a wash-sale block no longer applies (None for restrictions).
BLOCKED_COLUMNS = ["account_id", "symbol", "kind", "why", "until"]


def blocks_in_force(
    inputs: ShardInputs, masks: RestrictionMasks, universe: Universe, wash_blocks: pd.DataFrame
) -> pd.DataFrame:
    """Every (account, security) with a block tonight (``BLOCKED_COLUMNS``).

    Parameters
    ----------
    inputs : ShardInputs -- tonight's engine inputs (``day_inputs``): wash-sale blocks are the
        buy blocks that no restriction explains, and the loss-sale blocks
    masks : RestrictionMasks -- (m, n) the accounts' restrictions
    universe : Universe -- the securities of ``inputs``, with their identical groups (str)
    wash_blocks : ``sma.ledger.wash_sale_blocks`` rows (the trade behind each block: its latest
    date)

    Returns
    -------
    DataFrame, restrictions first, then wash sales. A wash-sale block caused by a trade on day d
    lasts through d + 30 days (``sma.ledger.wash_sale_block_until``).
    """
    ids, symbols, households = inputs.account_ids, universe.symbols, inputs.household_ids
    wash_buy = inputs.buy_blocked & ~masks.buy_restricted
    parts = []
    for mask, kind, why in (
        (masks.exclude, "BUY_BLOCKED", "EXCLUDE restriction"),
        (masks.no_buy, "BUY_BLOCKED", "NO_BUY restriction"),
        (masks.no_sell, "BUY_BLOCKED", "NO_SELL restriction"),
        (wash_buy, "BUY_BLOCKED", "wash sale: the household sold it at a loss in the last 30 days"),
        (masks.no_sell, "SELL_BLOCKED", "NO_SELL restriction"),
        (
            inputs.loss_sale_blocked,
            "LOSS_SALE_BLOCKED",
            "wash sale: the household bought it in the last 30 days",
        ),
    ):
        a, j = np.nonzero(mask)
        parts.append(
            pd.DataFrame(
                {
                    "account_id": ids[a],
                    "symbol": symbols[j],
                    "kind": kind,
                    "why": why,
                    "household_id": households[a],
                    "identical_group": universe.identical_group[j],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    last = wash_blocks.assign(
        last_loss=pd.to_datetime(wash_blocks["last_loss_sale_date"]),
        last_buy=pd.to_datetime(wash_blocks["last_buy_date"]),
    )[["household_id", "identical_group", "last_loss", "last_buy"]]
    out = out.merge(last, on=["household_id", "identical_group"], how="left")
    wash = out["why"].str.startswith("wash sale")
    caused_by = np.where(out["kind"] == "LOSS_SALE_BLOCKED", out["last_buy"], out["last_loss"])
    until = wash_sale_block_until(pd.to_datetime(caused_by).to_numpy())
    out["until"] = pd.Series(pd.to_datetime(until)).dt.date.where(wash, None)
    return out[BLOCKED_COLUMNS]
