"""The simulated accounts of one vintage: lump sum, monthly contributions, withdrawals, in-kind
transition.

Each account is its own household and tracks the market path's first benchmark. Frames follow the
inbox contract (``sma.inbox.INBOX_FILES``), so the same day loop runs them and a generated book.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.inbox import INBOX_FILES, AccountType
from sma.simulate._market import MarketPath
from sma.simulate._params import Profile, SimulationParams


@dataclass(frozen=True)
class SimAccounts:
    """Inbox frames of the accounts of one vintage, and each account's profile (m,)."""

    accounts: pd.DataFrame
    lots: pd.DataFrame
    cash: np.ndarray
    cash_flows: pd.DataFrame
    profile: np.ndarray

    @staticmethod
    def empty(name: str) -> pd.DataFrame:
        return pd.DataFrame(columns=list(INBOX_FILES[name].column_names))


def _monthly_dates(dates: np.ndarray) -> np.ndarray:
    """The first path day of each month after the first."""
    month = dates.astype("datetime64[M]")
    return dates[1:][month[1:] != month[:-1]]


def concentrated_stock(market: MarketPath, seed: int) -> int:
    """The legacy stock of the transition accounts: one of the index's 20 largest names, by seed."""
    top = np.argsort(-market.weights0[0], kind="stable")[:20]
    return int(top[np.random.default_rng([seed, 91]).integers(top.size)])


def simulated_accounts(
    market: MarketPath, first: int, last: int, vintage: int, params: SimulationParams
) -> SimAccounts:
    """The accounts of vintage ``vintage`` starting on day ``first`` of ``market`` (ids
    ``V<v>-<PROFILE>-<i>``)."""
    profiles = np.repeat(np.asarray(params.profiles, dtype=object), params.accounts_per_profile)
    m = profiles.size
    ids = np.array(
        [f"V{vintage}-{p}-{i % params.accounts_per_profile + 1}" for i, p in enumerate(profiles)]
    )
    start = pd.Timestamp(market.dates[first])
    transition = profiles == Profile.TRANSITION
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "household_id": [f"H{a}" for a in ids],
            "client_name": [f"Simulated {p.lower().replace('_', ' ')}" for p in profiles],
            "account_type": AccountType.TAXABLE.value,
            "benchmark_id": market.benchmark_ids[0],
            "tlh_enabled": True,
            "st_tax_rate": params.st_tax_rate,
            "lt_tax_rate": params.lt_tax_rate,
            "max_tracking_error": params.max_tracking_error,
            "gain_budget": np.where(transition, params.transition_gain_budget, np.nan),
            "min_trade_value": params.min_trade_value,
            "cash_target": params.cash_target,
            "inception_date": start,
            "fractional_shares": params.fractional_shares,
        }
    )
    cash = np.full(m, params.initial_value)
    j = concentrated_stock(market, params.seed)
    price = market.closes[first, j]
    legacy_value = params.initial_value * params.concentrated_share
    qty = np.floor(legacy_value / price)
    lots = pd.DataFrame(
        {
            "account_id": ids[transition],
            "lot_id": [f"LEGACY-{i + 1}" for i in range(int(transition.sum()))],
            "symbol": market.symbols[j],
            "quantity": qty,
            "cost_basis": round(qty * price * params.concentrated_basis_share, 2),
            "acquired_date": start - pd.DateOffset(years=8),
            "adjusted_acquired_date": pd.NaT,
        }
    )
    cash[transition] -= qty * price
    months = _monthly_dates(market.dates[first:last])
    flows = []
    for profile, amount in (
        (Profile.MONTHLY, params.monthly_contribution),
        (Profile.WITHDRAWALS, -params.monthly_withdrawal),
    ):
        who = ids[profiles == profile]
        flows.append(
            pd.DataFrame(
                {
                    "account_id": np.repeat(who, months.size),
                    "amount": amount,
                    "requested_date": np.tile(months, who.size),
                }
            )
        )
    return SimAccounts(accounts, lots, cash, pd.concat(flows, ignore_index=True), profiles)
