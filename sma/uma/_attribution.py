"""Which sleeve of a UMA account each of its lots belongs to.

Issue 19, "Sleeves in the ledger": "Every lot of a UMA account is attributed to one sleeve".
A lot keeps the sleeve it had last night; the part of a lot split off by a wash sale
(``<lot_id>-w<n>``, :mod:`sma.ledger`) follows its parent, and a corporate action's successor keeps
its parent's lot id, so it follows too. A lot with no sleeve yet (a new UMA account, last night's
buys) goes to the sleeve whose model is most under-held in its symbol, largest lots first, each
lot lowering that sleeve's shortfall before the next is placed; a symbol in no sleeve's model (a
legacy holding) goes to the account's largest sleeve. Ties go to the first sleeve id, so the same
lots give the same attribution.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from sma.inbox import CASH_MODEL_ID
from sma.uma._codes import (
    MISSING,
    close_of,
    combined,
    joined_key,
    last_if_missing,
    mapped,
    sorted_codes,
    stable_order,
)

#: The columns of :func:`attribute_lots`' frame, in order.
ATTRIBUTION_COLUMNS = [
    "account_id",
    "lot_id",
    "symbol",
    "quantity",
    "cost_basis",
    "sleeve_id",
    "attributed",
]

_WASH_PART = r"-w\d+$"  # sma.ledger names the part of a lot a wash sale splits off <lot_id>-w<n>


class Attributed(StrEnum):
    """How a lot got its sleeve tonight."""

    KEPT = "KEPT"  # last night's sleeve
    PARENT = "PARENT"  # its parent lot's sleeve (a wash-sale split part)
    UNDER_HELD = "UNDER_HELD"  # the sleeve whose model is most under-held in its symbol
    LARGEST = "LARGEST"  # no sleeve's model holds the symbol: the largest sleeve
    TRANSFERRED = "TRANSFERRED"  # moved to another sleeve tonight without a trade (sma.uma)


def after_transfers(attribution: pd.DataFrame, transfers: pd.DataFrame) -> pd.DataFrame:
    """The attribution with tonight's transfers applied: a moved lot is in the sleeve it went to,
    ``attributed`` TRANSFERRED (what the next night keeps).

    Parameters
    ----------
    attribution : :data:`ATTRIBUTION_COLUMNS` (:func:`attribute_lots`).
    transfers : account_id, lot_id, symbol, to_sleeve (``sma.uma.TRANSFER_COLUMNS``).

    Returns
    -------
    ``attribution``'s rows and columns, in its order.
    """
    if transfers.empty:
        return attribution
    key = ["account_id", "lot_id", "symbol"]
    moved = transfers.drop_duplicates(key, keep="last").set_index(key)["to_sleeve"]
    to = moved.reindex(pd.MultiIndex.from_frame(attribution[key])).to_numpy(object)
    hit = pd.notna(to)
    return attribution.assign(
        sleeve_id=np.where(hit, to, attribution["sleeve_id"].to_numpy(object)),
        attributed=np.where(hit, Attributed.TRANSFERRED.value, attribution["attributed"]),
    )


def attribute_lots(
    lots: pd.DataFrame,
    previous: pd.DataFrame,
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    closes: pd.Series,
    account_value: pd.Series,
) -> pd.DataFrame:
    """Attribute every lot of the accounts in ``sleeves`` to one of their sleeves.

    Parameters
    ----------
    lots : frame of shape (n_lots, >= 5): account_id, lot_id, symbol, quantity (shares),
        cost_basis (USD); lots of accounts without sleeves are left out.
    previous : last night's attribution: account_id, lot_id, sleeve_id.
    sleeves : tonight's sleeves: account_id, sleeve_id, model_id, target_weight (of the account).
    models : the versions in force (:func:`sma.uma.models_in_force`): model_id, symbol, weight.
    closes : tonight's close per symbol, USD per share.
    account_value : account_id -> value (USD) the sleeves' target weights are fractions of.

    Returns
    -------
    Frame with :data:`ATTRIBUTION_COLUMNS`, one row per lot of a UMA account, sorted by
    account_id, lot_id, symbol; ``attributed`` an :class:`Attributed`.
    """
    mine = np.flatnonzero(lots["account_id"].isin(sleeves["account_id"]).to_numpy())
    key = ["account_id", "lot_id", "symbol"]
    mine = mine[stable_order(lots[key].iloc[mine], key)]
    out = lots[[*key, "quantity", "cost_basis"]].iloc[mine].reset_index(drop=True)
    known = sleeves[["account_id", "sleeve_id"]].astype(str)
    still = previous.astype({"account_id": str, "lot_id": str, "sleeve_id": str}).merge(known)
    kept, parent = _kept_and_parent(out, still)
    sleeve = kept.fillna(parent)
    how = np.where(
        kept.notna(), Attributed.KEPT.value, np.where(parent.notna(), Attributed.PARENT.value, "")
    )
    if sleeve.isna().any():  # new lots: each column written once, when all are placed
        sleeve, how = sleeve.to_numpy(object, copy=True), how.astype(object)
        _place_new_lots(out, sleeve, how, (sleeves, models), closes, account_value)
    out["sleeve_id"] = sleeve
    out["attributed"] = how
    return out[ATTRIBUTION_COLUMNS]


def _kept_and_parent(out: pd.DataFrame, still: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each lot's sleeve last night (NaN: none), and its parent lot's for a wash-sale split part
    (``still``: last night's attribution to sleeves the account still has; its first row of a
    lot counts)."""
    if still.empty:  # a new UMA book: no lot has a sleeve yet
        none = pd.Series(np.full(len(out), np.nan, dtype=object), index=out.index)
        return none, none
    table = still.drop_duplicates(["account_id", "lot_id"])
    known = pd.Index(joined_key(table["account_id"], table["lot_id"]))
    sleeve_of = np.append(table["sleeve_id"].to_numpy(object), np.nan)  # -1 reads the NaN

    def lookup(lot_ids: pd.Series) -> pd.Series:
        at = known.get_indexer(joined_key(out["account_id"], lot_ids))
        return pd.Series(sleeve_of[at], index=out.index)

    kept = lookup(out["lot_id"])
    base = out["lot_id"].astype(str).str.replace(_WASH_PART, "", regex=True)
    parent = lookup(base)
    for _ in range(8):  # a split part of a split part: <lot>-w1-w1
        shorter = base.str.replace(_WASH_PART, "", regex=True)
        if shorter.equals(base):
            break
        base = shorter
        parent = parent.fillna(lookup(base))
    return kept, parent


def sleeve_targets(sleeves: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """What each invested sleeve should hold: account_id, sleeve_id, symbol, weight (fraction of
    the account: the sleeve's target_weight x the symbol's weight in its model).

    Parameters
    ----------
    sleeves : account_id, sleeve_id, model_id, target_weight.
    models : the versions in force: model_id, symbol, weight.

    Returns
    -------
    Frame of shape (n_sleeve_symbols, 4).
    """
    invested = sleeves[sleeves["model_id"] != CASH_MODEL_ID]
    placed = invested.merge(models[["model_id", "symbol", "weight"]], on="model_id")
    placed = placed.assign(weight=placed["target_weight"] * placed["weight"])
    return placed[["account_id", "sleeve_id", "symbol", "weight"]].reset_index(drop=True)


def _place_new_lots(
    out: pd.DataFrame,
    sleeve: np.ndarray,
    how: np.ndarray,
    sleeves_and_models: tuple[pd.DataFrame, pd.DataFrame],
    closes: pd.Series,
    account_value: pd.Series,
) -> None:
    """Fill ``sleeve`` (object of shape (n_lots,), the sleeve of each of ``out``'s lots) where a
    lot has none, and ``how`` it got it, in place (the module's rule)."""
    new = pd.isna(sleeve)
    sleeves, models = sleeves_and_models
    value = out["quantity"].to_numpy(float) * close_of(out["symbol"], closes)
    want = sleeve_targets(sleeves, models)
    want = want.assign(
        want=want["weight"] * want["account_id"].map(account_value).astype(float).fillna(0.0)
    )
    held = (
        out[~new]
        .assign(sleeve_id=sleeve[~new], value=value[~new])
        .groupby(["account_id", "sleeve_id", "symbol"])["value"]
        .sum()
    )
    gap = want.set_index(["account_id", "sleeve_id", "symbol"])["want"].sub(held, fill_value=0.0)
    largest = (
        sleeves.assign(cash=sleeves["model_id"] == CASH_MODEL_ID)
        .sort_values(["account_id", "cash", "target_weight", "sleeve_id"], ascending=[1, 1, 0, 1])
        .drop_duplicates("account_id")
        .set_index("account_id")["sleeve_id"]
    )
    rows = _largest_first(out, np.flatnonzero(new), value)
    todo = out[["account_id", "symbol"]].iloc[rows]
    # Each new lot's candidates: the sleeves whose model holds its symbol, as a run of ``ids``.
    runs = _Candidates(want, todo)
    legacy = runs.count == 0  # no sleeve's model holds the symbol: the largest sleeve
    sleeve[rows[legacy]] = mapped(todo["account_id"][legacy], largest).astype(object)
    how[rows[legacy]] = Attributed.LARGEST.value
    how[rows[~legacy]] = Attributed.UNDER_HELD.value
    one = runs.count == 1  # one sleeve's model holds it: no choice to make
    sleeve[rows[one]] = runs.ids[runs.first[one]]
    several = np.flatnonzero(runs.count > 1)
    if several.size:
        short = _shortfalls(gap, want)[runs.order]  # each of ``ids``' shortfall, USD
        pick = _place_by_shortfall(runs, several, short, value[rows])
        sleeve[rows[several]] = runs.ids[runs.first[several] + pick]


def _largest_first(out: pd.DataFrame, rows: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``rows`` of ``out`` (sorted by account_id, lot_id, symbol) put in order by account,
    symbol, value descending, lot id, int64 of shape (n_rows,): ``sort_values`` of the four,
    stable, missing values last, as codes (a lot id's order is its row's within its account and
    symbol; the accounts already come in order).

    Parameters
    ----------
    value : float64 of shape (len(out),), each lot's value, USD.
    """
    code, _ = pd.factorize(out["account_id"].iloc[rows])  # numbered in their (sorted) order
    account = np.where(code < 0, code.max(initial=0) + 1, code)  # a missing id last
    (symbol,), _ = sorted_codes(out["symbol"].iloc[rows])
    usd = value[rows]
    nan = np.isnan(usd)
    down = np.where(nan, 0.0, -usd)  # descending; NaN after every number
    return rows[np.lexsort((rows, down, nan, last_if_missing(symbol), account))]


class _Candidates:
    """The sleeves whose model holds each lot's symbol in its account, sorted by sleeve id.

    Built from ``want`` (account_id, sleeve_id, symbol: :func:`sleeve_targets`) and ``lots``
    (n_lots, 2: account_id, symbol). ``ids`` (n_want,) the sleeve ids of ``want``'s rows put in
    order by account, symbol, sleeve (``order``: their rows of ``want``), a run per (account,
    symbol); ``pair`` (n_lots,) int64 each lot's (account, symbol) as one code; ``first`` and
    ``count`` (n_lots,) int64 where each lot's run starts and how long it is (0: no sleeve's model
    holds the symbol, or an id is missing)."""

    def __init__(self, want: pd.DataFrame, lots: pd.DataFrame) -> None:
        (want_account, lot_account), accounts = sorted_codes(want["account_id"], lots["account_id"])
        (want_symbol, lot_symbol), symbols = sorted_codes(want["symbol"], lots["symbol"])
        (want_sleeve,), _ = sorted_codes(want["sleeve_id"])
        # a missing id sorts last, as sort_values puts it, and is in no run
        sizes = [len(accounts) + 1, len(symbols) + 1]
        last = [np.where(c < 0, s - 1, c) for c, s in zip((want_account, want_symbol), sizes)]
        self.order = np.lexsort((last_if_missing(want_sleeve), last[1], last[0]))
        self.ids = want["sleeve_id"].astype(str).to_numpy(object)[self.order]
        pairs = combined(last, sizes)[self.order]  # a missing id's pair matches no lot's
        self.pair = combined([lot_account, lot_symbol], sizes)
        self.first = np.searchsorted(pairs, self.pair, side="left").astype(np.int64)
        self.count = np.searchsorted(pairs, self.pair, side="right") - self.first
        self.count[self.pair == MISSING] = 0
        self.first[self.count == 0] = 0


def _shortfalls(gap: pd.Series, want: pd.DataFrame) -> np.ndarray:
    """Each ``want`` row's (account_id, sleeve_id, symbol) shortfall, float64 of shape (n_want,),
    USD; 0.0 where ``gap`` has none."""
    if not gap.index.is_unique:  # a model listing a symbol twice: the last row counts
        gap = gap[~gap.index.duplicated(keep="last")]
    key = pd.MultiIndex.from_frame(want[["account_id", "sleeve_id", "symbol"]])
    return gap.reindex(key).fillna(0.0).to_numpy(float)


def _place_by_shortfall(
    runs: _Candidates, several: np.ndarray, short: np.ndarray, value: np.ndarray
) -> np.ndarray:
    """The lots with several candidate sleeves, largest first within each (account, symbol): each
    to the sleeve most short of its model, that shortfall lowered by the lot's value before the
    next (the module's rule).

    Parameters
    ----------
    runs : the new lots' candidates, the lots sorted by account, symbol, value descending, lot id.
    several : int64 of shape (n_several,), the lots (rows of ``runs``) with more than one.
    short : float64 of shape (n_want,), the shortfall of each of ``runs.ids``, USD.
    value : float64 of shape (n_lots,), each lot's value, USD.

    Returns
    -------
    int64 of shape (n_several,): each lot's sleeve as its place in its run of ``runs.ids``.
    """
    pair = runs.pair[several]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    n_lots = np.diff(np.r_[starts, several.size])
    first, span = runs.first[several[starts]], runs.count[several[starts]]
    # the groups side by side, one row each, padded by -inf: never the largest unless all are,
    # and then the first place, as np.argmax takes it
    table = np.full((starts.size, int(span.max())), -np.inf)
    group = np.repeat(np.arange(starts.size), span)
    place = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    table[group, place] = short[np.repeat(first, span) + place]
    pick = np.zeros(several.size, np.int64)
    lot_value = value[several]
    # the i-th largest lot of every group at once: each group's lots in turn, as one loop did
    for i in range(int(n_lots.max())):
        live = np.flatnonzero(n_lots > i)
        k = np.argmax(table[live], axis=1)  # the first of equal ones; NaN first
        pick[starts[live] + i] = k
        table[live, k] -= lot_value[starts[live] + i]
    return pick
