"""Client restrictions (exclusions, no-buys, no-sells) and tilts, drawn for some accounts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.book._accounts import AccountDraw
from sma.book._params import BookParams
from sma.inbox import RestrictionKind
from sma.market import ESG_TAGS, Universe

# Which kind of restriction, on which target, in what share of rows.
_RESTRICTION_MIX = (
    (RestrictionKind.EXCLUDE, "symbol", 0.35),
    (RestrictionKind.EXCLUDE, "sector", 0.12),
    (RestrictionKind.EXCLUDE, "esg_tag", 0.20),
    (RestrictionKind.NO_BUY, "symbol", 0.18),
    (RestrictionKind.NO_SELL, "symbol", 0.15),
)
_SCREENED_TAGS = ("alcohol", "controversy", "fossil_fuels", "gambling", "tobacco", "weapons")
_SCREENED_SECTORS = (3, 9, 10)  # Energy, Real Estate, Utilities: the sectors clients screen out


@dataclass(frozen=True)
class RestrictionDraw:
    """One row per restriction. Exactly one of symbol (>= 0), sector (>= 0), tag ('' = none) is set.

    ``new`` rows were added tonight: the account still holds what they restrict.
    """

    account: np.ndarray
    kind: np.ndarray
    symbol: np.ndarray
    sector: np.ndarray
    tag: np.ndarray
    new: np.ndarray


@dataclass(frozen=True)
class TiltDraw:
    """One row per tilt; exactly one of sector, symbol (>= 0) is set."""

    account: np.ndarray
    sector: np.ndarray
    symbol: np.ndarray
    multiplier: np.ndarray


def _rows_for(rng: np.random.Generator, n: int, share: float, most: int) -> np.ndarray:
    """Account index of each row: ``share`` of the accounts get 1..``most`` rows."""
    chosen = np.flatnonzero(rng.random(n) < share)
    return np.repeat(chosen, rng.integers(1, most + 1, size=len(chosen)))


def draw_restrictions(
    rng: np.random.Generator, accounts: AccountDraw, universe: Universe, p: BookParams
) -> RestrictionDraw:
    """Restrictions on about ``restriction_share`` of accounts, plus NO_SELL on some legacy
    stocks."""
    account = _rows_for(rng, len(accounts), p.restriction_share, 3)
    n = len(account)
    weights = np.array([w for _, _, w in _RESTRICTION_MIX])
    pick = rng.choice(len(_RESTRICTION_MIX), size=n, p=weights / weights.sum())
    kind = np.array([k for k, _, _ in _RESTRICTION_MIX], dtype=object)[pick]
    target = np.array([t for _, t, _ in _RESTRICTION_MIX], dtype=object)[pick]
    symbol = np.where(target == "symbol", rng.integers(len(universe), size=n), -1)
    sector = np.where(target == "sector", rng.choice(_SCREENED_SECTORS, size=n), -1)
    tag = np.where(
        target == "esg_tag", rng.choice(np.array(_SCREENED_TAGS, dtype=object), size=n), ""
    )

    legacy = np.flatnonzero((accounts.legacy_symbol >= 0) & (rng.random(len(accounts)) < 0.4))
    account = np.concatenate([account, legacy])
    kind = np.concatenate([kind, np.full(len(legacy), RestrictionKind.NO_SELL, dtype=object)])
    symbol = np.concatenate([symbol, accounts.legacy_symbol[legacy]])
    sector = np.concatenate([sector, np.full(len(legacy), -1)])
    tag = np.concatenate([tag, np.full(len(legacy), "", dtype=object)])
    new = rng.random(len(account)) < p.new_restriction_share

    # One row per (account, target): a client does not restrict the same thing twice.
    tag_code = np.array([ESG_TAGS.index(t) + 1 if t else 0 for t in tag], dtype=np.int64)
    key = np.column_stack([account, symbol, sector, tag_code])
    _, first = np.unique(key, axis=0, return_index=True)
    keep = np.sort(first)
    return RestrictionDraw(
        account[keep], kind[keep], symbol[keep], sector[keep], tag[keep], new[keep]
    )


def draw_tilts(
    rng: np.random.Generator, accounts: AccountDraw, universe: Universe, p: BookParams
) -> TiltDraw:
    """Sector or single-name tilts on about ``tilt_share`` of accounts."""
    account = _rows_for(rng, len(accounts), p.tilt_share, 2)
    n = len(account)
    by_sector = rng.random(n) < 0.6
    sector = np.where(by_sector, rng.integers(11, size=n), -1)
    symbol = np.where(by_sector, -1, rng.integers(len(universe), size=n))
    multiplier = np.where(
        by_sector, rng.choice([0.5, 0.75, 1.25, 1.5], size=n), rng.choice([0.5, 1.5, 2.0], size=n)
    )
    key = np.column_stack([account, sector, symbol])
    _, first = np.unique(key, axis=0, return_index=True)
    keep = np.sort(first)
    return TiltDraw(account[keep], sector[keep], symbol[keep], multiplier[keep])


def excluded_pairs(
    restrictions: RestrictionDraw, universe: Universe
) -> tuple[np.ndarray, np.ndarray]:
    """(account, security) pairs an account holds none of: its EXCLUDE restrictions, except new
    ones.

    Returns
    -------
    account, security : ndarrays of shape (n_pairs,), int
    """
    live = (restrictions.kind == RestrictionKind.EXCLUDE) & ~restrictions.new
    accounts, securities = (
        [restrictions.account[live & (restrictions.symbol >= 0)]],
        [restrictions.symbol[live & (restrictions.symbol >= 0)]],
    )
    by_sector = live & (restrictions.sector >= 0)
    rows, members = np.nonzero(restrictions.sector[by_sector][:, None] == universe.sector[None, :])
    accounts.append(restrictions.account[by_sector][rows])
    securities.append(members)
    for tag in _SCREENED_TAGS:
        by_tag = live & (restrictions.tag == tag)
        members = np.flatnonzero(universe.has_tag(tag))
        accounts.append(np.repeat(restrictions.account[by_tag], len(members)))
        securities.append(np.tile(members, int(by_tag.sum())))
    return np.concatenate(accounts).astype(np.int64), np.concatenate(securities).astype(np.int64)
