"""Households and their accounts: types, sizes, funding, tax rates and mandate settings, as
arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.book._names import client_names
from sma.book._params import BookParams, Funding
from sma.inbox import AccountType
from sma.market import TRADING_DAYS


@dataclass(frozen=True)
class AccountDraw:
    """One row per account, in account order (households contiguous).

    Attributes
    ----------
    household, person : ndarray of shape (n,), int -- household code; which partner owns it (0/1)
    account_type, funding, client_name : ndarray of shape (n,), str
    value : ndarray of shape (n,), USD -- the account's size, cash included
    inception : ndarray of shape (n,), int -- business-day index into the simulated history
    benchmark : ndarray of shape (n,), int -- index into ``BookParams.benchmarks``
    tlh_enabled : ndarray of shape (n,), bool
    st_tax_rate, lt_tax_rate, max_tracking_error, cash_target : ndarray of shape (n,), fractions
    gain_budget : ndarray of shape (n,), USD per year, NaN = none
    min_trade_value : ndarray of shape (n,), USD
    n_names : ndarray of shape (n,), int -- index names to hold
    heavy : ndarray of shape (n,), bool -- positions carry 50+ lots
    legacy_symbol : ndarray of shape (n,), int -- security index of the legacy stock, -1 = none
    fractional_shares : ndarray of shape (n,), bool -- the account allows fractional shares
    """

    household: np.ndarray
    person: np.ndarray
    account_type: np.ndarray
    funding: np.ndarray
    client_name: np.ndarray
    value: np.ndarray
    inception: np.ndarray
    benchmark: np.ndarray
    tlh_enabled: np.ndarray
    st_tax_rate: np.ndarray
    lt_tax_rate: np.ndarray
    max_tracking_error: np.ndarray
    gain_budget: np.ndarray
    min_trade_value: np.ndarray
    cash_target: np.ndarray
    n_names: np.ndarray
    heavy: np.ndarray
    legacy_symbol: np.ndarray
    fractional_shares: np.ndarray

    def __len__(self) -> int:
        return len(self.household)

    def part(self, lo: int, hi: int) -> AccountDraw:
        """Accounts ``lo`` to ``hi - 1``."""
        return AccountDraw(*(getattr(self, f)[lo:hi] for f in self.__dataclass_fields__))

    @property
    def taxable(self) -> np.ndarray:
        return self.account_type == AccountType.TAXABLE


def _households(
    rng: np.random.Generator, n: int, sizes: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Household code and rank within the household of each account."""
    size = rng.choice(
        np.arange(1, len(sizes) + 1), size=max(n, 1), p=np.asarray(sizes) / sum(sizes)
    )
    ends = np.cumsum(size)
    household = np.searchsorted(ends, np.arange(n), side="right")
    starts = ends - size
    return household, np.arange(n) - starts[household]


def _tax_rates(rng: np.random.Generator, taxable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Federal bracket + state + net investment income tax, short- and long-term; 0 outside
    taxable."""
    n = len(taxable)
    federal = rng.choice([0.24, 0.32, 0.35, 0.37], size=n, p=[0.25, 0.3, 0.2, 0.25])
    state = np.round(rng.choice([0.0, 0.05, 0.0925, 0.133], size=n, p=[0.3, 0.4, 0.15, 0.15]), 4)
    niit = np.where(federal >= 0.32, 0.038, 0.0)
    long_term = np.where(federal >= 0.37, 0.20, 0.15)
    st = np.where(taxable, np.round(federal + state + niit, 4), 0.0)
    lt = np.where(taxable, np.round(long_term + state + niit, 4), 0.0)
    return st, lt


def draw_accounts(
    rng: np.random.Generator, n: int, n_history: int, n_securities: int, p: BookParams
) -> AccountDraw:
    """Draw ``n`` accounts in households of 1-4 (deterministic for the generator's state)."""
    household, rank = _households(rng, n, p.household_sizes)
    person = np.where(rank == 0, 0, rank % 2)
    first = rng.choice(list(AccountType), size=n, p=[0.85, 0.10, 0.05])
    other = rng.choice(list(AccountType), size=n, p=[0.3, 0.4, 0.3])
    account_type = np.where(rank == 0, first, other).astype(object)
    taxable = account_type == AccountType.TAXABLE

    value = np.exp(rng.normal(np.log(p.median_value), p.value_sigma, n))
    value = np.clip(value, p.min_value, p.max_value)
    kinds, shares = zip(*p.funding_shares)
    funding = rng.choice(np.array(kinds, dtype=object), size=n, p=np.asarray(shares) / sum(shares))
    funding[(funding == Funding.LEGACY) & ~taxable] = Funding.LUMP_SUM
    heavy = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(funding != Funding.CASH)
    n_heavy = min(round(n * p.heavy_lot_share), len(candidates))
    heavy[rng.choice(candidates, size=n_heavy, replace=False)] = True
    funding[heavy] = Funding.MONTHLY
    value[heavy] = np.maximum(value[heavy], 3_000_000.0)
    value = np.round(value, 2)

    last = n_history - 1
    oldest = min(p.history_years * TRADING_DAYS, last)
    inception = last - rng.integers(min(60, oldest), oldest + 1, size=n)
    inception[funding == Funding.CASH] = last - rng.integers(
        0, 5, size=int((funding == Funding.CASH).sum())
    )
    legacy = funding == Funding.LEGACY
    inception[legacy] = last - rng.integers(
        20, min(3 * TRADING_DAYS, oldest) + 1, size=int(legacy.sum())
    )
    inception = np.maximum(inception, 0)
    legacy_symbol = np.where(legacy, rng.integers(n_securities, size=n), -1)

    st, lt = _tax_rates(rng, taxable)
    budget_draw = rng.random(n)
    has_budget = taxable & ((budget_draw < p.gain_budget_share) | (legacy & (budget_draw < 0.7)))
    budget = np.maximum(np.round(value * rng.uniform(0.005, 0.05, n), -2), 1000.0)
    n_names = p.min_names + p.names_per_doubling * np.log2(value / p.min_value)
    # From a child stream (spawning draws nothing from ``rng``): the flag leaves every other draw
    # of the book as it was.
    fractional = (value < p.fractional_below_usd) & (rng.spawn(1)[0].random(n) < p.fractional_share)
    return AccountDraw(
        household=household,
        person=person,
        account_type=account_type,
        funding=funding,
        client_name=client_names(rng, household, person),
        value=value,
        inception=inception,
        benchmark=rng.choice(
            len(p.benchmark_shares),
            size=n,
            p=np.asarray(p.benchmark_shares) / sum(p.benchmark_shares),
        ),
        tlh_enabled=taxable & (rng.random(n) >= p.tlh_off_taxable_share),
        st_tax_rate=st,
        lt_tax_rate=lt,
        max_tracking_error=rng.choice([0.01, 0.015, 0.02, 0.03], size=n),
        gain_budget=np.where(has_budget, budget, np.nan),
        min_trade_value=rng.choice([25.0, 50.0, 100.0, 250.0], size=n),
        cash_target=rng.choice([0.005, 0.01, 0.02], size=n),
        n_names=np.round(n_names).astype(np.int64),
        heavy=heavy,
        legacy_symbol=legacy_symbol,
        fractional_shares=fractional,
    )
