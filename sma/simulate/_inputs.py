"""The engine's arrays on a simulated day: a pure twin of the nightly pipeline's ``shard_inputs``.

What never changes over a simulation (restriction masks, tilts, each account's benchmark row) is
expanded once into ``AccountArrays``; ``engine_inputs`` adds the day's lots, cash, prices, index
weights and wash-sale blocks (``sma.ledger.wash_sale_blocks``), exactly as
``pipelines/night/_decide.py`` does for a night.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.accounts import RestrictionMasks, Universe, personalised_targets, restriction_masks, tilt_multipliers
from sma.ledger import is_long_term
from sma.rebalance import ShardInputs


@dataclass(frozen=True)
class AccountArrays:
    """The accounts of a simulation, in row order, as arrays of shape (m,) and masks of shape (m, n)."""

    frame: pd.DataFrame  # the inbox ``accounts`` frame, in row order
    universe: Universe
    benchmark_row: np.ndarray  # (m,) row of ``MarketPath.benchmark_ids``
    masks: RestrictionMasks
    tilts: np.ndarray  # (m, n) target multipliers
    gain_budget: np.ndarray  # (m,) USD per calendar year, inf = none
    group_code: np.ndarray  # (n,) integer identical group

    @property
    def ids(self) -> np.ndarray:
        return self.frame["account_id"].to_numpy(str)

    @property
    def m(self) -> int:
        return len(self.frame)

    def column(self, name: str, dtype=float) -> np.ndarray:
        return self.frame[name].to_numpy(dtype)


def account_arrays(accounts: pd.DataFrame, restrictions: pd.DataFrame, tilts: pd.DataFrame,
                   securities: pd.DataFrame, benchmark_ids: np.ndarray) -> AccountArrays:
    """Expand the accounts, their restrictions and tilts once, over the path's securities."""
    accounts = accounts.reset_index(drop=True)
    universe = Universe.from_frame(securities)
    ids = accounts["account_id"].to_numpy(str)
    row = pd.Index(benchmark_ids).get_indexer(accounts["benchmark_id"].astype(str))
    if (row < 0).any():
        bad = accounts["benchmark_id"].iloc[int(np.argmax(row < 0))]
        raise ValueError(f"accounts: benchmark {bad!r} is not on the market path")
    budget = pd.to_numeric(accounts["gain_budget"], errors="coerce").to_numpy(float)
    return AccountArrays(
        frame=accounts,
        universe=universe,
        benchmark_row=row,
        masks=restriction_masks(restrictions, ids, universe),
        tilts=tilt_multipliers(tilts, ids, universe),
        gain_budget=np.where(np.isnan(budget), np.inf, budget),
        group_code=np.unique(universe.identical_group, return_inverse=True)[1],
    )


def wash_masks(blocks: pd.DataFrame, household_ids: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m, n) masks from ``wash_sale_blocks`` rows: buying blocked, loss sale blocked."""
    m, n = household_ids.size, groups.size
    if not len(blocks):
        return np.zeros((m, n), bool), np.zeros((m, n), bool)
    h, g = pd.Index(np.unique(household_ids)), pd.Index(np.unique(groups))
    hb = h.get_indexer(blocks["household_id"].astype(str))
    gb = g.get_indexer(blocks["identical_group"].astype(str))
    keep = (hb >= 0) & (gb >= 0)
    buy, loss = np.zeros((h.size, g.size), bool), np.zeros((h.size, g.size), bool)
    buy[hb[keep], gb[keep]] = blocks["buy_blocked"].to_numpy(bool)[keep]
    loss[hb[keep], gb[keep]] = blocks["loss_sale_blocked"].to_numpy(bool)[keep]
    rows, cols = h.get_indexer(household_ids), g.get_indexer(groups)
    return buy[rows][:, cols], loss[rows][:, cols]


@dataclass(frozen=True)
class LotArrays:
    """Open lots on a day, arrays of shape (L,): account row, security column, id, shares, basis (USD),
    holding-period start (datetime64[D])."""

    account: np.ndarray
    security: np.ndarray
    lot_id: np.ndarray
    quantity: np.ndarray
    basis: np.ndarray
    holding_start: np.ndarray

    @classmethod
    def from_open_lots(cls, lots: pd.DataFrame, account_ids: np.ndarray, universe: Universe) -> LotArrays:
        """From ``Ledger.open_lots()`` (cents)."""
        return cls(
            pd.Index(account_ids).get_indexer(lots["account_id"].astype(str)),
            universe.index_of(lots["symbol"].astype(str)),
            lots["lot_id"].to_numpy(str),
            lots["quantity"].to_numpy(float),
            lots["cost_basis_cents"].to_numpy(np.int64) / 100.0,
            lots["adjusted_acquired_date"].to_numpy().astype("datetime64[D]"),
        )


def targets(acc: AccountArrays, index_weights: np.ndarray, shares: np.ndarray, prices: np.ndarray,
            cash: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Personalised target weights of every account today: (m, n)."""
    held = shares * prices
    total = held.sum(axis=1) + cash + flow
    held_w = np.divide(held, total[:, None], out=np.zeros_like(held), where=total[:, None] > 0)
    return personalised_targets(index_weights[acc.benchmark_row], acc.masks.exclude, acc.tilts, held_w,
                                acc.masks.no_sell, acc.column("cash_target"))


def engine_inputs(acc: AccountArrays, day: np.datetime64, prices: np.ndarray, target: np.ndarray,
                  lots: LotArrays, cash: np.ndarray, flow: np.ndarray, realized_ytd: np.ndarray,
                  wash_buy: np.ndarray, wash_loss: np.ndarray) -> ShardInputs:
    """The engine's ``ShardInputs`` for every account of the simulation on ``day``."""
    f = acc.frame
    return ShardInputs(
        account_ids=acc.ids,
        household_ids=f["household_id"].to_numpy(str),
        account_type=f["account_type"].to_numpy(str),
        tlh_enabled=f["tlh_enabled"].to_numpy(bool),
        st_rate=acc.column("st_tax_rate"),
        lt_rate=acc.column("lt_tax_rate"),
        max_tracking_error=acc.column("max_tracking_error"),
        gain_budget_remaining=acc.gain_budget - realized_ytd,
        min_trade_value=acc.column("min_trade_value"),
        cash_target=acc.column("cash_target"),
        cash=cash,
        cash_flow=flow,
        symbols=acc.universe.symbols,
        sectors=acc.universe.sectors,
        identical_group=acc.group_code,
        prices=prices,
        target=target,
        buy_blocked=acc.masks.buy_restricted | wash_buy,
        loss_sale_blocked=wash_loss,
        no_sell=acc.masks.no_sell,
        exclude=acc.masks.exclude,
        lot_account=lots.account,
        lot_security=lots.security,
        lot_ids=lots.lot_id,
        lot_qty=lots.quantity,
        lot_basis=lots.basis,
        lot_long_term=is_long_term(lots.holding_start, day),
        benchmark_changed=np.zeros(acc.m, bool),
        restriction_changed=np.zeros(acc.m, bool),
    )
