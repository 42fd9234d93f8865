"""Accounts and lots as the engine's arrays: what the night and the simulator both hand to
``day_inputs``.

``AccountArrays`` is what stays fixed while accounts are decided day after day (their settings,
restriction masks, tilts, benchmark row), expanded once over the universe; ``LotArrays`` is the
open lots of one day. The night builds both from the inbox frames (``shard_from_frames``), the
simulator once per run and from its ledger each day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sma.accounts import RestrictionMasks, Universe, restriction_masks, tilt_multipliers
from sma.rebalance._inputs import ShardInputError

_EMPTY_RULES = pd.DataFrame(
    columns=["account_id", "kind", "symbol", "sector", "esg_tag", "multiplier"]
)


def _codes(values: pd.Series, index: np.ndarray, what: str, where: str) -> np.ndarray:
    """Position of each of ``values`` in ``index``, (k,) int; an unknown one raises
    ``ShardInputError`` by name.

    Arrow's hash lookup on the text as read: pandas' ``Index.get_indexer`` turned a shard's
    350,000 lots' ids into Python objects first, 10x slower (issue 23); the same positions."""
    text = pa.array(values.astype(str), from_pandas=True).cast(pa.large_string())
    known = pa.array(np.asarray(index).astype(str), pa.large_string())
    pos = pc.index_in(text, value_set=known).fill_null(-1).to_numpy(zero_copy_only=False)
    pos = pos.astype(np.int64)
    if (pos < 0).any():
        bad = values.astype(str).to_numpy()[pos < 0][0]
        raise ShardInputError(f"{where}: unknown {what} {bad!r}")
    return pos


@dataclass(frozen=True)
class AccountArrays:
    """The accounts being decided, in row order, expanded once over the universe.

    frame : DataFrame -- the inbox ``accounts`` rows, in row order
    universe : Universe -- the securities, in the risk model's order (n,)
    benchmark_row : ndarray of shape (m,), int -- each account's row of the index weights
    (``benchmark_ids``)
    masks : RestrictionMasks -- (m, n) EXCLUDE, NO_BUY, NO_SELL
    tilts : ndarray of shape (m, n) -- target multipliers
    group_code : ndarray of shape (n,), int -- identical group code (same code = substantially
    identical)
    households : ndarray of shape (h,), str -- the accounts' household ids, sorted
    household_code : ndarray of shape (m,), int -- each account's row of ``households``
    benchmark_changed, restriction_changed : ndarray of shape (m,), bool -- changed tonight
    """

    frame: pd.DataFrame
    universe: Universe
    benchmark_row: np.ndarray
    masks: RestrictionMasks
    tilts: np.ndarray
    group_code: np.ndarray
    households: np.ndarray
    household_code: np.ndarray
    benchmark_changed: np.ndarray
    restriction_changed: np.ndarray

    @property
    def ids(self) -> np.ndarray:
        return self.frame["account_id"].to_numpy(str)

    @property
    def m(self) -> int:
        return len(self.frame)

    def column(self, name: str, dtype=float) -> np.ndarray:
        return self.frame[name].to_numpy(dtype)


def account_arrays(
    accounts: pd.DataFrame,
    restrictions: pd.DataFrame | None,
    tilts: pd.DataFrame | None,
    securities: pd.DataFrame,
    benchmark_ids: np.ndarray,
    benchmark_changed: Iterable[str] = (),
    restriction_changed: Iterable[str] = (),
) -> AccountArrays:
    """Expand ``accounts`` with their restrictions and tilts over ``securities``, once.

    Parameters
    ----------
    accounts, restrictions, tilts : inbox frames (restrictions and tilts may be None: none)
    securities : DataFrame -- symbol, sector, identical_group, esg_tags, one row per security in
    universe order
    benchmark_ids : ndarray of shape (B,), str -- the rows of the index weights ``day_inputs`` gets
    benchmark_changed, restriction_changed : account ids whose benchmark / restrictions changed
    tonight

    Raises
    ------
    ShardInputError
        An account's benchmark is not among ``benchmark_ids``.
    """
    accounts = accounts.reset_index(drop=True)
    universe = Universe.from_frame(securities)
    ids = accounts["account_id"].astype(str).to_numpy()
    row = _codes(
        accounts["benchmark_id"], np.asarray(benchmark_ids, dtype=str), "benchmark_id", "accounts"
    )
    households, household_code = np.unique(
        accounts["household_id"].astype(str).to_numpy(), return_inverse=True
    )
    return AccountArrays(
        frame=accounts,
        universe=universe,
        benchmark_row=row,
        masks=restriction_masks(
            _EMPTY_RULES if restrictions is None else restrictions, ids, universe
        ),
        tilts=tilt_multipliers(_EMPTY_RULES if tilts is None else tilts, ids, universe),
        group_code=np.unique(universe.identical_group, return_inverse=True)[1],
        households=households,
        household_code=household_code.reshape(-1),
        benchmark_changed=np.isin(ids, list(benchmark_changed)),
        restriction_changed=np.isin(ids, list(restriction_changed)),
    )


@dataclass(frozen=True)
class LotArrays:
    """Open lots on a day, arrays of shape (L,).

    account : int (row of ``AccountArrays``); security : int (column of the universe); lot_id : str;
    quantity : shares; basis : USD total (wash-sale adjustments included); holding_start :
    datetime64[D], the day the holding period counts from (``adjusted_acquired_date``).
    """

    account: np.ndarray
    security: np.ndarray
    lot_id: np.ndarray
    quantity: np.ndarray
    basis: np.ndarray
    holding_start: np.ndarray

    @classmethod
    def from_open_lots(
        cls, lots: pd.DataFrame, account_ids: np.ndarray, universe: Universe
    ) -> LotArrays:
        """From ``Ledger.open_lots()`` (basis in cents, adjusted_acquired_date always set)."""
        return cls(
            pd.Index(account_ids).get_indexer(lots["account_id"].astype(str)),
            universe.index_of(lots["symbol"].astype(str)),
            lots["lot_id"].to_numpy(str),
            lots["quantity"].to_numpy(float),
            lots["cost_basis_cents"].to_numpy(np.int64) / 100.0,
            lots["adjusted_acquired_date"].to_numpy().astype("datetime64[D]"),
        )

    @classmethod
    def from_frame(
        cls, lots: pd.DataFrame, account_ids: np.ndarray, symbols: np.ndarray
    ) -> LotArrays:
        """From the inbox ``lots`` (basis in USD; a blank adjusted_acquired_date is the
        acquired_date).

        Raises ``ShardInputError`` naming a lot's unknown account or symbol.
        """
        start = (
            lots["adjusted_acquired_date"].fillna(lots["acquired_date"])
            if "adjusted_acquired_date" in lots
            else lots["acquired_date"]
        )
        return cls(
            _codes(lots["account_id"], account_ids, "account", "lots"),
            _codes(lots["symbol"], symbols, "symbol", "lots"),
            lots["lot_id"].astype(str).to_numpy(),
            lots["quantity"].to_numpy(float),
            lots["cost_basis"].to_numpy(float),
            pd.to_datetime(start).to_numpy().astype("datetime64[D]"),
        )
