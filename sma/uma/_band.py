"""Every sleeve ends the night inside its drift band, or the PM is told why not.

Issue 19, "The overlay decision": "each sleeve tracks its model within its drift band". The
account is decided once, to its sleeves' blend, so what the account holds is near what its sleeves
together should hold; a sleeve out of band is mostly a question of which sleeve its lots are
booked to. After tonight's booking (:func:`sma.uma.book_to_sleeves`), whole lots move without a
trade (a BAND transfer) from sleeves over their target weight to sleeves under it:

- a move is made only if it lowers the account's total drift beyond the bands (the sum over
  sleeves of ``max(|drift| - drift_band, 0)``) and neither sleeve ends further from its target
  than it was -- so no sleeve ever ends further from its target than the booking left it;
- among the moves that help, a lot of a symbol the receiver's model holds and the giver holds
  beyond its model comes first, then the move that lowers the drift beyond the bands most;
- moves repeat until every sleeve is in band or no move helps.

A lot is never split: the ledger's only split of a lot is a wash sale's (``<lot_id>-w<n>``,
:mod:`sma.ledger`), which the custodian's lots carry, so a BAND move takes the whole of what is
left of a lot after tonight's sells. A cash sleeve holds the account's cash, no lot, and only a
trade changes it. A sleeve still out of band gets a reason (:data:`BAND_COLUMNS`): its cash, an
account whose invested sleeves together are off their targets by more than the band (only a
trade fixes that), or lots too large to move whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.inbox import CASH_MODEL_ID
from sma.uma._attribution import sleeve_targets
from sma.uma._by_account import by_account
from sma.uma._overlay import TRANSFER_COLUMNS, SleeveBooking, TransferKind

#: The frame of sleeves still out of band after :func:`keep_in_band`, one row per sleeve.
BAND_COLUMNS = ["account_id", "sleeve_id", "drift", "drift_band", "reason"]

_EPS = 1e-12


def keep_in_band(
    attribution: pd.DataFrame,
    booking: SleeveBooking,
    sleeves: pd.DataFrame,
    models: pd.DataFrame,
    closes: pd.Series,
    account_value: pd.Series,
    cash_after: pd.Series,
) -> tuple[SleeveBooking, pd.DataFrame]:
    """Move whole lots between sleeves until every sleeve is inside its drift band (the module's
    rule), and say why for each sleeve that cannot be.

    Parameters
    ----------
    attribution : tonight's lots with their sleeves and shares (:func:`sma.uma.attribute_lots`).
    booking : tonight's decision booked to sleeves (:func:`sma.uma.book_to_sleeves`).
    sleeves : account_id, sleeve_id, model_id, target_weight, drift_band (fractions).
    models : the versions in force: model_id, symbol, weight.
    closes : tonight's close per symbol, USD per share.
    account_value : account_id -> value before tonight's trades, USD (what the models' goals are
        fractions of).
    cash_after : account_id -> the account's cash after tonight's trades, USD.

    Returns
    -------
    booking : ``booking`` with the BAND transfers appended to its transfers and its
        ``lot_sleeves`` moved; trades and lot sells unchanged.
    out_of_band : :data:`BAND_COLUMNS`, the sleeves still out of band (drift a fraction of the
        account after tonight), sorted by account_id, sleeve_id.
    """
    goals = sleeve_targets(sleeves, models)
    quantity = attribution.set_index(["account_id", "lot_id", "symbol"])["quantity"]
    sold = booking.lot_sells.groupby(["account_id", "lot_id", "symbol"])["quantity"].sum()
    lots = booking.lot_sleeves.copy()
    key = pd.MultiIndex.from_frame(lots[["account_id", "lot_id", "symbol"]])
    left = quantity.reindex(key).fillna(0.0).to_numpy(float) - sold.reindex(key).fillna(
        0.0
    ).to_numpy(float)
    lots["left"] = np.clip(left, 0.0, None)
    lots["value"] = lots["left"] * lots["symbol"].map(closes).astype(float).fillna(0.0)
    buys = booking.trades[booking.trades["side"] == "BUY"]
    moved, reasons = [], []
    names = sorted(set(sleeves["account_id"]))
    lots = lots.reset_index(drop=True)  # one label a row: an account's rows are set by label
    buys_of, goals_of = by_account(buys, names), by_account(goals, names)
    lots_of = by_account(lots, names)  # each account's rows change only in its own turn below
    for account, mine in sleeves.groupby("account_id", sort=True):
        held = lots_of(account)
        book = _Band(
            mine.reset_index(drop=True),
            held,
            buys_of(account),
            goals_of(account),
            float(account_value.get(account, 0.0)),
            float(cash_after.get(account, 0.0)),
        )
        transfers = book.move()
        lots.loc[held.index, "sleeve_id"] = book.ids[book.sleeve]
        moved.append(transfers.assign(account_id=account))
        reasons.append(book.reasons().assign(account_id=account))
    transfers = pd.concat(
        [booking.transfers, *[m[TRANSFER_COLUMNS] for m in moved if len(m)]], ignore_index=True
    )
    out = pd.concat([r for r in reasons if len(r)] or [_empty_band()], ignore_index=True)
    after = SleeveBooking(
        booking.trades,
        transfers[TRANSFER_COLUMNS],
        lots[booking.lot_sleeves.columns],
        booking.lot_sells,
    )
    out = out[BAND_COLUMNS].sort_values(["account_id", "sleeve_id"], kind="stable")
    return after, out.reset_index(drop=True)


def _empty_band() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": pd.Series(dtype=object),
            "sleeve_id": pd.Series(dtype=object),
            "drift": pd.Series(dtype=float),
            "drift_band": pd.Series(dtype=float),
            "reason": pd.Series(dtype=object),
        }
    )


def _beyond(drift: np.ndarray, band: np.ndarray) -> np.ndarray:
    """How far each drift is outside its band, fractions of the account."""
    return np.clip(np.abs(drift) - band, 0.0, None)


class _Band:
    """One account's sleeves after tonight's booking: ``ids``, ``target``, ``band``, ``cash``
    (n_sleeves,); its lots' ``symbol`` (row of ``goal``), ``value`` (what is left after tonight's
    sells, USD) and ``sleeve`` (n_lots,); ``held`` and ``goal`` (n_symbols, n_sleeves), USD; the
    sleeves' ``value`` after tonight (lots, buys, their share of cash) over ``total``."""

    def __init__(self, sleeves, lots, buys, goals, account_value, cash_after):
        self.ids = sleeves["sleeve_id"].astype(str).to_numpy()
        self.target = sleeves["target_weight"].to_numpy(float)
        self.band = sleeves["drift_band"].to_numpy(float)
        self.cash = (sleeves["model_id"] == CASH_MODEL_ID).to_numpy()
        self.lot_ids = lots["lot_id"].astype(str).to_numpy()
        symbols = np.unique(
            np.concatenate(
                [lots["symbol"].to_numpy(str), goals["symbol"].to_numpy(str), buys["symbol"]]
            ).astype(str)
        )
        self.symbols = symbols
        self.symbol = np.searchsorted(symbols, lots["symbol"].to_numpy(str))
        self.left = lots["left"].to_numpy(float)
        self.lot_value = lots["value"].to_numpy(float)
        position = pd.Index(self.ids)
        self.sleeve = position.get_indexer(lots["sleeve_id"].astype(str))
        shape = (symbols.size, self.ids.size)
        self.goal, self.held = np.zeros(shape), np.zeros(shape)
        np.add.at(
            self.goal,
            (
                np.searchsorted(symbols, goals["symbol"].to_numpy(str)),
                position.get_indexer(goals["sleeve_id"].astype(str)),
            ),
            goals["weight"].to_numpy(float) * account_value,
        )
        np.add.at(self.held, (self.symbol, self.sleeve), self.lot_value)
        np.add.at(
            self.held,
            (
                np.searchsorted(symbols, buys["symbol"].to_numpy(str)),
                position.get_indexer(buys["sleeve_id"].astype(str)),
            ),
            buys["notional"].to_numpy(float),
        )
        cash_weight = np.where(self.cash, self.target, 0.0)
        share = cash_weight / cash_weight.sum() if cash_weight.sum() > 0 else cash_weight
        self.cash_after = cash_after
        self.value = self.held.sum(axis=0) + share * cash_after
        # the cash of an account without a cash sleeve is in its value and in no sleeve
        self.total = self.value.sum() + (0.0 if self.cash.any() else cash_after)

    def drift(self) -> np.ndarray:
        if self.total <= 0:  # an account worth nothing: every sleeve weighs 0
            return -self.target
        return self.value / self.total - self.target

    def move(self) -> pd.DataFrame:
        """Make the module's moves; the BAND transfers, ``TRANSFER_COLUMNS`` but account_id."""
        rows = []
        for _ in range(4 * self.lot_ids.size + 1):
            best = self._best_move()
            if best is None:
                break
            k, to = best
            src, j, v = self.sleeve[k], self.symbol[k], self.lot_value[k]
            rows.append((self.lot_ids[k], self.symbols[j], self.left[k], round(v, 2), src, to))
            self.sleeve[k] = to
            self.value[src] -= v
            self.value[to] += v
            self.held[j, src] -= v
            self.held[j, to] += v
        return pd.DataFrame(
            {
                "lot_id": [r[0] for r in rows],
                "symbol": [r[1] for r in rows],
                "quantity": [float(r[2]) for r in rows],
                "value": [float(r[3]) for r in rows],
                "from_sleeve": [str(self.ids[r[4]]) for r in rows],
                "to_sleeve": [str(self.ids[r[5]]) for r in rows],
                "kind": str(TransferKind.BAND),
            },
            columns=[c for c in TRANSFER_COLUMNS if c != "account_id"],
        )

    def _best_move(self) -> tuple[int, int] | None:
        """The lot and receiving sleeve of the best move that helps (the module's order)."""
        drift = self.drift()
        beyond = _beyond(drift, self.band)
        if self.total <= 0 or beyond.sum() <= _EPS:
            return None
        lots = np.flatnonzero((self.lot_value > 0) & (drift[self.sleeve] > 0))
        receivers = np.flatnonzero(~self.cash & (drift < 0))
        if not lots.size or not receivers.size:
            return None
        src = self.sleeve[lots]
        w = self.lot_value[lots, None] / self.total  # (n_candidates, 1)
        d_src, d_to = drift[src][:, None], drift[receivers][None, :]
        closer = (w <= 2 * d_src + _EPS) & (w <= -2 * d_to + _EPS)
        gain = (
            _beyond(d_src - w, self.band[src][:, None])
            + _beyond(d_to + w, self.band[receivers][None, :])
            - beyond[src][:, None]
            - beyond[receivers][None, :]
        )
        j = self.symbol[lots]
        tier = (self.held[j, src] > self.goal[j, src] + _EPS)[:, None].astype(int) + (
            self.goal[j][:, receivers] > 0
        ).astype(int)
        helps = closer & (gain < -_EPS) & (src[:, None] != receivers[None, :])
        if not helps.any():
            return None
        score = np.where(helps, tier * 10.0 - gain, -np.inf)  # tier first: gain is below 1
        i, r = np.unravel_index(int(np.argmax(score)), score.shape)
        return int(lots[i]), int(receivers[r])

    def reasons(self) -> pd.DataFrame:
        """Why each sleeve still out of band is: ``BAND_COLUMNS`` but account_id."""
        drift = self.drift()
        out = np.flatnonzero(_beyond(drift, self.band) > _EPS)
        invested = ~self.cash
        cash_weight = self.cash_after / self.total if self.total > 0 else 0.0
        cash_target = float(self.target[self.cash].sum())
        why = []
        for s in out:
            if self.total <= 0:
                why.append("the account holds nothing tonight: no lot to move, no cash")
                continue
            if self.cash[s]:
                why.append(
                    f"cash is {cash_weight:.2%} of the account after tonight against the cash "
                    f"sleeve's target {self.target[s]:.2%}: only a trade moves cash"
                )
                continue
            others = invested & (np.arange(self.ids.size) != s)
            side = drift[others] if drift[s] < 0 else -drift[others]
            room = float(np.clip(side, 0.0, None).sum())
            if room < abs(drift[s]) - self.band[s] - _EPS:
                what = "beyond their targets" if drift[s] < 0 else "short of their targets"
                why.append(
                    f"the account's other invested sleeves are only {room:.2%} of the account "
                    f"{what} (cash {cash_weight:.2%} against {cash_target:.2%}): the account "
                    "itself is off its sleeves' targets by more than the band; only a trade "
                    "brings this sleeve in"
                )
                continue
            why.append(
                "no whole lot moves without taking a sleeve further from its target than it is "
                "(a lot is not split without a trade)"
            )
        return pd.DataFrame(
            {
                "sleeve_id": self.ids[out],
                "drift": drift[out],
                "drift_band": self.band[out],
                "reason": why,
            }
        )
