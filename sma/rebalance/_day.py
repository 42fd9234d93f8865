"""``day_inputs``: the engine's ``ShardInputs`` for one day -- the one builder of the night and the
simulator.

The night (``pipelines/night/_decide.py`` through ``shard_from_frames``) and the simulator
(``sma.simulate``, every decision day) both call it, so a simulated night sees exactly what a real
one would: the same personalised targets, restriction and wash-sale masks, holding periods and
gain budget left.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.accounts import personalised_targets
from sma.inbox import AccountType, Implementation
from sma.ledger import gain_budget_remaining, is_long_term
from sma.rebalance._arrays import AccountArrays, LotArrays
from sma.rebalance._inputs import ShardInputs


def wash_masks(blocks: pd.DataFrame | None, acc: AccountArrays) -> tuple[np.ndarray, np.ndarray]:
    """(m, n) buying blocked and loss sale blocked, from ``sma.ledger.wash_sale_blocks`` rows.

    A block of a household and identical group applies to every account of the household and
    every security of the group (IRS Publication 550, "Wash Sales"; Rev. Rul. 2008-5).
    """
    m, n = acc.m, acc.group_code.size
    if blocks is None or not len(blocks):
        return np.zeros((m, n), bool), np.zeros((m, n), bool)
    groups = np.unique(acc.universe.identical_group)
    hb = pd.Index(acc.households).get_indexer(blocks["household_id"].astype(str))
    gb = pd.Index(groups).get_indexer(blocks["identical_group"].astype(str))
    keep = (hb >= 0) & (gb >= 0)
    out = []
    for col in ("buy_blocked", "loss_sale_blocked"):
        grid = np.zeros((acc.households.size, groups.size), bool)
        flag = blocks[col].to_numpy(bool) & keep
        grid[hb[flag], gb[flag]] = True
        out.append(grid[acc.household_code][:, acc.group_code])
    return out[0], out[1]


def day_inputs(
    acc: AccountArrays,
    day: np.datetime64 | str,
    prices: np.ndarray,
    index_weights: np.ndarray,
    lots: LotArrays,
    cash: np.ndarray,
    cash_flow: np.ndarray,
    realized_ytd: np.ndarray,
    wash_blocks: pd.DataFrame | None,
) -> ShardInputs:
    """The engine's inputs for the accounts of ``acc`` on ``day``.

    Parameters
    ----------
    acc : AccountArrays -- the accounts, expanded once (``account_arrays``)
    day : the trade date being decided
    prices : ndarray of shape (n,), USD per share at the day's close
    index_weights : ndarray of shape (B, n) -- each benchmark's weights (rows as
    ``acc.benchmark_row``)
    lots : LotArrays -- the open lots, (L,)
    cash : ndarray of shape (m,), USD held; cash_flow : ndarray of shape (m,), USD due today (+ in,
    - out)
    realized_ytd : ndarray of shape (m,), USD of net gains realized this calendar year
        (``sma.ledger.realized_this_year``)
    wash_blocks : ``sma.ledger.wash_sale_blocks`` rows of the accounts' households on ``day``, or
    None

    Returns
    -------
    ShardInputs -- targets from ``sma.accounts.personalised_targets`` on today's holdings;
    buy_blocked = restrictions | wash-sale buy block; holding periods from
    ``sma.ledger.is_long_term``; gain budget left from ``sma.ledger.gain_budget_remaining``.
    """
    m, n = acc.m, acc.group_code.size
    held = (
        np.bincount(
            lots.account * n + lots.security, lots.quantity * prices[lots.security], minlength=m * n
        )
        .astype(float, copy=False)
        .reshape(m, n)
    )  # no lots: int zeros
    value = held.sum(axis=1) + cash + cash_flow
    held_w = np.divide(held, value[:, None], out=np.zeros_like(held), where=value[:, None] > 0)
    cash_target = acc.column("cash_target")
    target = personalised_targets(
        np.asarray(index_weights, float)[acc.benchmark_row],
        acc.masks.exclude,
        acc.tilts,
        held_w,
        acc.masks.no_sell,
        cash_target,
    )
    wash_buy, wash_loss = wash_masks(wash_blocks, acc)
    f = acc.frame
    account_type = f["account_type"].astype(str).str.upper().to_numpy()
    budget = pd.to_numeric(f["gain_budget"], errors="coerce").to_numpy(float)
    return ShardInputs(
        account_ids=acc.ids,
        household_ids=f["household_id"].astype(str).to_numpy(),
        account_type=account_type,
        tlh_enabled=f["tlh_enabled"].astype(bool).to_numpy(),
        st_rate=acc.column("st_tax_rate"),
        lt_rate=acc.column("lt_tax_rate"),
        max_tracking_error=acc.column("max_tracking_error"),
        gain_budget_remaining=gain_budget_remaining(
            budget, realized_ytd, account_type == AccountType.TAXABLE
        ),
        min_trade_value=acc.column("min_trade_value"),
        cash_target=cash_target,
        cash=np.array(cash, float),
        cash_flow=np.array(cash_flow, float),
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
        # numpy accepts a datetime64 here; its stubs list only str and date
        lot_long_term=is_long_term(lots.holding_start, np.datetime64(day, "D")),  # pyright: ignore
        benchmark_changed=acc.benchmark_changed,
        restriction_changed=acc.restriction_changed,
        fractional_shares=fractional_accounts(f),
        uma=uma_accounts(f),
    )


def fractional_accounts(accounts: pd.DataFrame) -> np.ndarray:
    """Which accounts may trade fractional shares, shape (m,) bool: the inbox's optional
    ``fractional_shares`` column, false where the column is absent or the cell blank."""
    if "fractional_shares" not in accounts.columns:
        return np.zeros(len(accounts), dtype=bool)
    return accounts["fractional_shares"].astype("boolean").fillna(False).to_numpy(bool)


def uma_accounts(accounts: pd.DataFrame) -> np.ndarray:
    """Which accounts are unified managed accounts, shape (m,) bool: the inbox's optional
    ``implementation`` column is UMA (issue 19); blank or absent = manager-traded."""
    if "implementation" not in accounts.columns:
        return np.zeros(len(accounts), dtype=bool)
    return (
        accounts["implementation"]
        .fillna("")
        .astype(str)
        .str.upper()
        .eq(Implementation.UMA)
        .to_numpy(bool)
    )
