"""Client restrictions and tilts as (accounts x securities) masks and multipliers.

A restriction row names one symbol, one sector or one ESG tag (PRODUCT.md, inbox ``restrictions``);
it is expanded here, once, over the whole universe, so the engine only sees boolean matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.errors import SmaError
from sma.inbox import RestrictionKind


class RestrictionError(SmaError, ValueError):
    """A restriction or tilt row that cannot be applied; names the account, row and why."""


@dataclass(frozen=True)
class Universe:
    """The securities every array is indexed by.

    symbols : ndarray of shape (n,), str
    sectors : ndarray of shape (n,), str (GICS sector)
    identical_group : ndarray of shape (n,), str (substantially identical set; itself when blank)
    esg_tags : tuple of n frozensets of str
    """

    symbols: np.ndarray
    sectors: np.ndarray
    identical_group: np.ndarray
    esg_tags: tuple[frozenset[str], ...]

    @classmethod
    def from_frame(cls, securities: pd.DataFrame) -> Universe:
        """From the inbox ``securities`` frame (symbol, sector, identical_group, esg_tags)."""
        sym = securities["symbol"].astype(str).to_numpy()
        group = securities.get("identical_group", pd.Series([None] * len(sym)))
        group = np.where(group.isna() | (group.astype(str) == ""), sym, group.astype(str))
        tags = securities.get("esg_tags", pd.Series([None] * len(sym)))
        esg = tuple(
            frozenset(t.strip() for t in str(v).split(";") if t.strip())
            if isinstance(v, str)
            else frozenset()
            for v in tags
        )
        return cls(
            sym, securities["sector"].astype(str).to_numpy(), np.asarray(group, dtype=str), esg
        )

    def index_of(self, symbols: np.ndarray | pd.Series) -> np.ndarray:
        """Positions of symbols in the universe; -1 where unknown."""
        pos = pd.Index(self.symbols).get_indexer(np.asarray(symbols, dtype=str))
        return pos


@dataclass(frozen=True)
class RestrictionMasks:
    """Per account and security: EXCLUDE (hold none), NO_BUY, NO_SELL. Arrays of shape (m, n),
    bool."""

    exclude: np.ndarray
    no_buy: np.ndarray
    no_sell: np.ndarray

    @property
    def buy_restricted(self) -> np.ndarray:
        return self.exclude | self.no_buy | self.no_sell


def _row_matches(universe: Universe, restrictions: pd.DataFrame) -> np.ndarray:
    """(r, n) bool: which securities each restriction row names."""
    r = len(restrictions)
    out = np.zeros((r, universe.symbols.size), dtype=bool)
    for col in ("symbol", "sector", "esg_tag"):
        if col not in restrictions:
            restrictions = restrictions.assign(**{col: None})
    sym = restrictions["symbol"]
    has_sym = sym.notna() & (sym.astype(str) != "")
    pos = universe.index_of(sym[has_sym].astype(str))
    rows = np.flatnonzero(has_sym.to_numpy())
    out[rows[pos >= 0], pos[pos >= 0]] = True
    sec = restrictions["sector"]
    has_sec = (sec.notna() & (sec.astype(str) != "")).to_numpy()
    out[has_sec] |= universe.sectors[None, :] == sec[has_sec].astype(str).to_numpy()[:, None]
    tag = restrictions["esg_tag"]
    has_tag = (tag.notna() & (tag.astype(str) != "")).to_numpy()
    if has_tag.any():
        tag_names = tag[has_tag].astype(str).to_numpy()
        vocab, inv = np.unique(tag_names, return_inverse=True)
        holds = np.array([[v in tags for tags in universe.esg_tags] for v in vocab]).reshape(
            vocab.size, -1
        )
        out[has_tag] |= holds[inv]
    named = has_sym.to_numpy().astype(int) + has_sec.astype(int) + has_tag.astype(int)
    bad = np.flatnonzero(named != 1)
    if bad.size:
        row = restrictions.iloc[bad[0]]
        raise RestrictionError(
            f"restrictions row {bad[0]} (account {row['account_id']}): exactly one of symbol, "
            "sector, esg_tag"
        )
    return out


def restriction_masks(
    restrictions: pd.DataFrame, account_ids: np.ndarray, universe: Universe
) -> RestrictionMasks:
    """Expand restriction rows into (accounts x securities) masks.

    Parameters
    ----------
    restrictions : frame with account_id, kind, and one of symbol, sector, esg_tag per row
    account_ids : ndarray of shape (m,), str — the accounts of this shard, in order
    universe : Universe

    Returns
    -------
    RestrictionMasks
        Rows for accounts outside ``account_ids`` are ignored.
    """
    m, n = account_ids.size, universe.symbols.size
    masks = {k: np.zeros((m, n), dtype=bool) for k in RestrictionKind}
    if len(restrictions):
        acc = pd.Index(account_ids).get_indexer(restrictions["account_id"].astype(str))
        keep = acc >= 0
        rows = restrictions[keep].reset_index(drop=True)
        matches = _row_matches(universe, rows)
        kinds = rows["kind"].astype(str).to_numpy()
        unknown = sorted(set(kinds) - set(RestrictionKind))
        if unknown:
            raise RestrictionError(f"unknown restriction kind {unknown[0]!r}")
        for kind in RestrictionKind:
            sel = kinds == kind
            np.logical_or.at(masks[kind], acc[keep][sel], matches[sel])
    return RestrictionMasks(
        masks[RestrictionKind.EXCLUDE],
        masks[RestrictionKind.NO_BUY],
        masks[RestrictionKind.NO_SELL],
    )


def tilt_multipliers(
    tilts: pd.DataFrame, account_ids: np.ndarray, universe: Universe
) -> np.ndarray:
    """(m, n) multipliers of target weight: 1 everywhere, times every tilt naming the security.

    A symbol tilt and a sector tilt on the same security multiply.
    """
    m, n = account_ids.size, universe.symbols.size
    out = np.ones((m, n))
    if not len(tilts):
        return out
    if (tilts["multiplier"].to_numpy(float) < 0).any():
        raise RestrictionError("tilt multipliers must be >= 0")
    acc = pd.Index(account_ids).get_indexer(tilts["account_id"].astype(str))
    keep = acc >= 0
    rows = tilts[keep].assign(esg_tag=None).reset_index(drop=True)
    for col in ("symbol", "sector"):
        if col not in rows:
            rows[col] = None
    matches = _row_matches(universe, rows)
    factor = np.where(matches, rows["multiplier"].to_numpy(float)[:, None], 1.0)
    np.multiply.at(out, acc[keep], factor)
    return out
