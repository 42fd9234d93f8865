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
    mine = lots[lots["account_id"].isin(sleeves["account_id"])]
    out = mine[["account_id", "lot_id", "symbol", "quantity", "cost_basis"]].copy()
    out = out.sort_values(["account_id", "lot_id", "symbol"], kind="stable").reset_index(drop=True)
    known = sleeves[["account_id", "sleeve_id"]].astype(str)
    still = previous.astype({"account_id": str, "lot_id": str, "sleeve_id": str}).merge(known)
    kept = _lookup(out["account_id"], out["lot_id"], still)
    base = out["lot_id"].astype(str).str.replace(_WASH_PART, "", regex=True)
    parent = _lookup(out["account_id"], base, still)
    for _ in range(8):  # a split part of a split part: <lot>-w1-w1
        shorter = base.str.replace(_WASH_PART, "", regex=True)
        if shorter.equals(base):
            break
        base = shorter
        parent = parent.fillna(_lookup(out["account_id"], base, still))
    out["sleeve_id"] = kept.fillna(parent)
    out["attributed"] = np.where(
        kept.notna(), Attributed.KEPT.value, np.where(parent.notna(), Attributed.PARENT.value, "")
    )
    _place_new_lots(out, sleeves, models, closes, account_value)
    return out[ATTRIBUTION_COLUMNS]


def _lookup(accounts: pd.Series, lot_ids: pd.Series, attribution: pd.DataFrame) -> pd.Series:
    key = pd.MultiIndex.from_arrays([accounts.astype(str), lot_ids.astype(str)])
    table = attribution.drop_duplicates(["account_id", "lot_id"]).set_index(
        ["account_id", "lot_id"]
    )["sleeve_id"]
    return pd.Series(table.reindex(key).to_numpy(object), index=accounts.index)


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
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    closes: pd.Series,
    account_value: pd.Series,
) -> None:
    """Fill ``out.sleeve_id`` of lots without one, in place (the module's rule)."""
    new = out["sleeve_id"].isna()
    if not new.any():
        return
    price = out["symbol"].map(closes).astype(float).fillna(0.0)
    value = out["quantity"].astype(float) * price
    want = sleeve_targets(sleeves, models)
    want = want.assign(
        want=want["weight"] * want["account_id"].map(account_value).astype(float).fillna(0.0)
    )
    held = (
        out[~new]
        .assign(value=value[~new])
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
    in_model = _sleeves_by_symbol(want)
    todo = out[new].assign(value=value[new])
    todo = todo.sort_values(
        ["account_id", "symbol", "value", "lot_id"], ascending=[True, True, False, True]
    )
    shortfall = gap.to_dict()
    sleeve = out["sleeve_id"].to_numpy(object).copy()
    how = out["attributed"].to_numpy(object).copy()
    accounts, symbols = todo["account_id"].to_numpy(str), todo["symbol"].to_numpy(str)
    values, rows = todo["value"].to_numpy(float), todo.index.to_numpy()
    starts = np.flatnonzero(
        np.r_[True, (accounts[1:] != accounts[:-1]) | (symbols[1:] != symbols[:-1])]
    )
    for start, end in zip(starts, np.r_[starts[1:], len(todo)]):
        account, symbol = accounts[start], symbols[start]
        ids = in_model.get((account, symbol))
        if ids is None:
            sleeve[rows[start:end]] = largest[account]
            how[rows[start:end]] = Attributed.LARGEST.value
            continue
        short = np.array([shortfall.get((account, s, symbol), 0.0) for s in ids], dtype=float)
        for i in range(start, end):
            k = int(np.argmax(short))  # the first of equal shortfalls: the lowest sleeve id
            sleeve[rows[i]] = ids[k]
            short[k] -= values[i]
        how[rows[start:end]] = Attributed.UNDER_HELD.value
    out["sleeve_id"] = sleeve
    out["attributed"] = how


def _sleeves_by_symbol(want: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(account_id, symbol) -> the ids of the account's sleeves whose model holds the symbol,
    sorted (one sort of the whole frame, then a slice per pair)."""
    ordered = want[["account_id", "symbol", "sleeve_id"]].astype(str)
    ordered = ordered.sort_values(["account_id", "symbol", "sleeve_id"], kind="stable")
    accounts = ordered["account_id"].to_numpy(object)
    symbols = ordered["symbol"].to_numpy(object)
    ids = ordered["sleeve_id"].to_numpy(object)
    starts = np.flatnonzero(
        np.r_[True, (accounts[1:] != accounts[:-1]) | (symbols[1:] != symbols[:-1])]
    )
    ends = np.r_[starts[1:], len(ids)]
    return {(accounts[i], symbols[i]): ids[i:j] for i, j in zip(starts, ends)}
