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
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from sma.inbox import CASH_MODEL_ID
from sma.uma._attribution import sleeve_targets
from sma.uma._codes import MISSING, arrow_text, close_of, same_rows, sum_by
from sma.uma._overlay import TRANSFER_COLUMNS, SleeveBooking, TransferKind

#: The frame of sleeves still out of band after :func:`keep_in_band`, one row per sleeve.
BAND_COLUMNS = ["account_id", "sleeve_id", "drift", "drift_band", "reason"]

_EPS = 1e-12
_LOT_KEY = ["account_id", "lot_id", "symbol"]  # what names a lot


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
    lots = booking.lot_sleeves.reset_index(drop=True)  # one label a row: a row's label its place
    left = _shares_left(lots, attribution, booking.lot_sells)
    lots = lots.assign(left=np.clip(left, 0.0, None))
    lots["value"] = lots["left"] * close_of(lots["symbol"], closes)
    buys = booking.trades[booking.trades["side"] == "BUY"]
    moved, reasons = [], []
    codes = _ShardCodes(sleeves, lots, goals, buys)
    sleeve_after = lots["sleeve_id"].to_numpy(object).copy()
    lot_ids, left, value = (
        lots["lot_id"].astype(str).to_numpy(object),
        lots["left"].to_numpy(float),
        lots["value"].to_numpy(float),
    )
    weight, notional = goals["weight"].to_numpy(float), buys["notional"].to_numpy(float)
    for account, mine, (at_lots, at_goals, at_buys) in codes.sleeves_by_account():
        book = _Band(
            mine,
            (lot_ids[at_lots], codes.lot_symbol[at_lots], codes.lot_sleeve[at_lots]),
            (left[at_lots], value[at_lots]),
            (codes.goal_symbol[at_goals], codes.goal_sleeve[at_goals], weight[at_goals]),
            (codes.buy_symbol[at_buys], codes.buy_sleeve[at_buys], notional[at_buys]),
            codes.symbols,
            float(account_value.get(account, 0.0)),
            float(cash_after.get(account, 0.0)),
        )
        moved.extend((account, *row) for row in book.move())
        sleeve_after[at_lots] = book.ids[book.sleeve]
        why = book.reasons()
        if len(why[0]):
            reasons.append((account, *why))
    lots["sleeve_id"] = pd.Series(sleeve_after, index=lots.index, dtype=lots["sleeve_id"].dtype)
    band = [_band_transfers(moved)] if moved else []
    transfers = pd.concat([booking.transfers, *band], ignore_index=True)
    out = _band_reasons(reasons)
    after = SleeveBooking(
        booking.trades,
        transfers[TRANSFER_COLUMNS],
        lots[booking.lot_sleeves.columns],
        booking.lot_sells,
    )
    out = out[BAND_COLUMNS].sort_values(["account_id", "sleeve_id"], kind="stable")
    return after, out.reset_index(drop=True)


def _band_transfers(moved: list[tuple]) -> pd.DataFrame:
    """The BAND transfers, ``TRANSFER_COLUMNS``, from rows (account_id, lot_id, symbol, quantity,
    value, from_sleeve, to_sleeve)."""
    columns = list(zip(*moved))
    return pd.DataFrame(
        {
            "account_id": list(columns[0]),
            "lot_id": list(columns[1]),
            "symbol": list(columns[2]),
            "quantity": list(columns[3]),
            "value": list(columns[4]),
            "from_sleeve": list(columns[5]),
            "to_sleeve": list(columns[6]),
            "kind": str(TransferKind.BAND),
        }
    )[TRANSFER_COLUMNS]


def _band_reasons(reasons: list[tuple]) -> pd.DataFrame:
    """:data:`BAND_COLUMNS` from each account's (account_id, sleeve ids, drifts, bands, reasons)."""
    if not reasons:
        return _empty_band()
    return pd.DataFrame(
        {
            "sleeve_id": np.concatenate([r[1] for r in reasons]),
            "drift": np.concatenate([r[2] for r in reasons]),
            "drift_band": np.concatenate([r[3] for r in reasons]),
            "reason": [why for r in reasons for why in r[4]],
            "account_id": [r[0] for r in reasons for _ in r[4]],
        }
    )


def _shares_left(
    lots: pd.DataFrame, attribution: pd.DataFrame, lot_sells: pd.DataFrame
) -> np.ndarray:
    """Each lot's shares in ``attribution`` (0 if not there) less the shares ``lot_sells`` sold of
    it (summed as pandas' group sum adds them), float64 of shape (n_lots,), shares; lots, the
    attribution and the sells matched on (account_id, lot_id, symbol) as one Arrow text key each
    (a missing id matches a missing id, as an Index of joined keys did)."""
    key, sold_key = _lot_key(lots), _lot_key(lot_sells)
    quantity = lot_sells["quantity"].to_numpy(float)
    if key.null_count == 0 and same_rows(lots, attribution, _LOT_KEY):
        # the booking's lots are the attribution's rows (as booked): one hash of lots and sells
        code = _key_codes(pc.dictionary_encode(pa.concat_arrays([key, sold_key])))
        n = len(key)
        if np.array_equal(code[:n], np.arange(n)):  # no lot's key repeated
            sold = np.zeros(n)
            sums = sum_by(np.where(code[n:] < n, code[n:], MISSING), quantity)
            sold[sums.index.to_numpy()] = sums.to_numpy(float)
            return attribution["quantity"].to_numpy(float) - sold
    held = _unique(_lot_key(attribution))
    shares = np.append(attribution["quantity"].to_numpy(float), 0.0)  # -1 reads the 0
    sold = pc.dictionary_encode(sold_key)  # a code per lot sold, null: an id missing
    sums = sum_by(_key_codes(sold), quantity).to_numpy(float)
    return shares[_index_in(key, held)] - np.append(sums, 0.0)[_index_in(key, sold.dictionary)]


def _key_codes(encoded: pa.DictionaryArray) -> np.ndarray:
    """Each key's code in its dictionary encoding (the place of its first row among the distinct
    keys), int64 of shape (n_keys,), :data:`MISSING` for a missing key."""
    return pc.fill_null(encoded.indices, MISSING).to_numpy().astype(np.int64)


def _lot_key(frame: pd.DataFrame) -> pa.Array:
    """One text key per (account_id, lot_id, symbol) row, null where an id is missing (ids never
    hold NUL: the inbox's id_pattern)."""
    return _text_key(frame, _LOT_KEY)


def _text_key(frame: pd.DataFrame, columns: list[str]) -> pa.Array:
    """The ``columns`` of each row joined in one Arrow text, shape (n_rows,), null where any is
    missing (:func:`sma.uma._codes.joined_key`'s keys, hashed by Arrow)."""
    parts = [arrow_text(frame[c].astype(str)) for c in columns]
    return pc.binary_join_element_wise(*parts, pa.scalar("\x00", pa.large_string()))


def _unique(key: pa.Array) -> pa.Array:
    """``key``, if no two of its keys are equal (two missing ones are): what is looked up in it
    must find one row (pandas' InvalidIndexError otherwise, as ``Index.get_indexer`` raised)."""
    if pc.count_distinct(key, mode="all").as_py() != len(key):
        raise pd.errors.InvalidIndexError(
            "Reindexing only valid with uniquely valued Index objects"
        )
    return key


def _index_in(key: pa.Array, known: pa.Array) -> np.ndarray:
    """Where each of ``key`` stands in ``known``, int64 of shape (n_keys,), -1 if not there."""
    at = pc.index_in(key, value_set=known.cast(pa.large_string()))
    return pc.fill_null(at, -1).to_numpy().astype(np.int64)


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


class _ShardCodes:
    """The shard's symbols as codes into ``symbols`` (sorted) and sleeves as their place among
    their account's sleeves (the sleeves frame's order; -1: not a sleeve of the account), for the
    lots, the goals and the buys (n_rows,) int; computed once, not per account."""

    def __init__(self, sleeves, lots, goals, buys):
        self._frames = frames = (lots, goals, buys)
        # each frame's symbols as text as ``to_numpy(str)`` renders them, one per distinct symbol
        found = [pd.factorize(f["symbol"], use_na_sentinel=False) for f in frames]
        named = [pd.Index(uniques).to_numpy(str) for _, uniques in found]
        self.symbols = np.unique(np.concatenate(named).astype(str))
        self.lot_symbol, self.goal_symbol, self.buy_symbol = (
            np.searchsorted(self.symbols, n)[code] for (code, _), n in zip(found, named)
        )
        self._sleeves = sleeves
        place = sleeves.groupby("account_id", sort=False).cumcount().to_numpy()
        known = _unique(_text_key(sleeves, ["account_id", "sleeve_id"]))
        self.lot_sleeve, self.goal_sleeve, self.buy_sleeve = (
            _place(_index_in(_text_key(f, ["account_id", "sleeve_id"]), known), place)
            for f in frames
        )

    def sleeves_by_account(self):
        """(account_id, its sleeves: ids, target, band, cash (n_sleeves,), its rows of the lots,
        the goals and the buys) in account order."""
        frame = self._sleeves
        # the columns once, each account's rows taken from them (not a sub-frame an account)
        ids = frame["sleeve_id"].astype(str).to_numpy()
        target, band = frame["target_weight"].to_numpy(float), frame["drift_band"].to_numpy(float)
        cash = (frame["model_id"] == CASH_MODEL_ID).to_numpy()
        by_account = sorted(frame.groupby("account_id").indices.items())
        accounts = pa.array([account for account, _ in by_account], pa.large_string())
        rows_of = [_rows_by_account(f["account_id"], accounts) for f in self._frames]
        for i, (account, rows) in enumerate(by_account):
            mine = [order[start[i] : start[i + 1]] for order, start in rows_of]
            yield account, (ids[rows], target[rows], band[rows], cash[rows]), mine


def _rows_by_account(account: pd.Series, accounts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A frame's rows put by account: (rows (n_rows,), starts (n_accounts + 1,)) int64, account
    ``i``'s rows (ascending) ``rows[starts[i]:starts[i + 1]]``; a row of no account of
    ``accounts`` (sorted, distinct, none missing) in none."""
    code = _index_in(pa.array(account.astype(str), from_pandas=True), accounts)
    code[code < 0] = len(accounts)
    order = np.argsort(code, kind="stable")
    return order, np.searchsorted(code[order], np.arange(len(accounts) + 1))


def _place(found: np.ndarray, place: np.ndarray) -> np.ndarray:
    """The place among its account's sleeves of each row's sleeve (``found``: its row in the
    sleeves frame, -1 none), -1 where it is none of them (as ``Index.get_indexer`` says)."""
    return np.append(place, -1)[found]  # -1 reads the -1


class _Band:
    """One account's sleeves after tonight's booking: ``ids``, ``target``, ``band``, ``cash``
    (n_sleeves,); its lots' ``symbol`` (row of ``goal``), ``value`` (what is left after tonight's
    sells, USD) and ``sleeve`` (n_lots,); ``held`` and ``goal`` (n_symbols, n_sleeves), USD; the
    sleeves' ``value`` after tonight (lots, buys, their share of cash) over ``total``.

    Built from the shard's codes (:class:`_ShardCodes`): ``lots`` (lot ids, symbol codes, sleeve
    places), ``sizes`` (shares left, value left USD), ``goals`` (symbol codes, sleeve places,
    weights of the account), ``buys`` (symbol codes, sleeve places, notionals USD), all of this
    account's rows in the frames' order; ``symbols`` the shard's symbols the codes point into."""

    def __init__(self, sleeves, lots, sizes, goals, buys, symbols, account_value, cash_after):
        self.ids, self.target, self.band, self.cash = sleeves
        self.lot_ids, lot_symbol, self.sleeve = lots
        self.left, self.lot_value = sizes
        goal_symbol, goal_sleeve, weight = goals
        buy_symbol, buy_sleeve, notional = buys
        own = np.unique(np.concatenate([lot_symbol, goal_symbol, buy_symbol]))
        self.symbols = symbols[own]
        self.symbol = np.searchsorted(own, lot_symbol)
        self.sleeve = self.sleeve.copy()
        shape = (own.size, self.ids.size)
        self.goal, self.held = np.zeros(shape), np.zeros(shape)
        np.add.at(
            self.goal, (np.searchsorted(own, goal_symbol), goal_sleeve), weight * account_value
        )
        np.add.at(self.held, (self.symbol, self.sleeve), self.lot_value)
        np.add.at(self.held, (np.searchsorted(own, buy_symbol), buy_sleeve), notional)
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

    def move(self) -> list[tuple]:
        """Make the module's moves; the BAND transfers as rows of ``TRANSFER_COLUMNS`` from lot_id
        to to_sleeve (no account_id, value or kind)."""
        made = band_moves(
            self.lot_value,
            self.sleeve,
            self.symbol,
            self.value,
            (self.target, self.band, self.cash),
            float(self.total),
            (self.held, self.goal),
            4 * self.lot_ids.size + 1,
        )
        return [
            (
                self.lot_ids[k],
                self.symbols[self.symbol[k]],
                float(self.left[k]),
                float(round(self.lot_value[k], 2)),
                str(self.ids[a]),
                str(self.ids[b]),
            )
            for k, a, b in made.tolist()
        ]

    def reasons(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Why each sleeve still out of band is: its ids, drifts, bands and reasons."""
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
        return self.ids[out], drift[out], self.band[out], why


@njit(cache=True)
def band_moves(lot_value, sleeve, symbol, value, sleeves, total, usd, most):
    """The module's moves, one after another until no move helps or every sleeve is in band (at
    most ``most``): the (lot, giving sleeve, receiving sleeve) of each, int64 (n_moves, 3), in the
    order made; ``sleeve``, ``value`` and ``held`` moved with them, in place. The loop
    ``_Band.move`` ran in Python around :func:`best_band_move` (a call and ~10 array calls a move,
    issue 23), the same numbers: the drifts and how far they are outside their bands as numpy
    computed them, their sum as numpy's pairwise sum adds them.

    Parameters
    ----------
    lot_value : (n_lots,) float, USD left of each lot; sleeve, symbol : (n_lots,) int, its sleeve
        and its row of ``held`` and ``goal``.
    value : (n_sleeves,) float, each sleeve's value after tonight, USD.
    sleeves : (target, band (n_sleeves,) float, cash (n_sleeves,) bool)
    total : float, the account's value, USD.
    usd : (held, goal), (n_symbols, n_sleeves) float, USD per symbol and sleeve.
    most : int, the most moves to make.
    """
    target, band, cash = sleeves
    held = usd[0]
    made = np.empty((most, 3), np.int64)
    n = 0
    beyond = np.empty(value.size)
    while n < most:
        if total <= 0:  # an account worth nothing: no move (a NaN goes on, as ``<=`` says)
            break
        drift = value / total - target
        for s in range(value.size):
            beyond[s] = _clipped(abs(drift[s]) - band[s])
        if _numpy_sum(beyond) <= _EPS:  # every sleeve in band
            break
        k, to = best_band_move(lot_value, sleeve, symbol, drift, beyond, (band, cash), total, usd)
        if k < 0:
            break
        src, j, v = sleeve[k], symbol[k], lot_value[k]
        made[n, 0], made[n, 1], made[n, 2] = k, src, to
        n += 1
        sleeve[k] = to
        value[src] -= v
        value[to] += v
        held[j, src] -= v
        held[j, to] += v
    return made[:n]


@njit(cache=True)
def _clipped(x):
    """``np.clip(x, 0.0, None)`` of one number: NaN stays NaN, -0.0 becomes 0.0."""
    if x != x:
        return x
    return x if x > 0.0 else 0.0


@njit(cache=True)
def _numpy_sum(x):
    """``x.sum()`` of a float (n,) array as numpy adds it: from 0.0, numpy's pairwise sum
    (``pairwise_sum``: blocks of at most 128 numbers, a longer run split in two halves, the
    halves' sums added), the halves walked on a stack (a recursive kernel does not cache)."""
    lo, n = np.zeros(64, np.int64), np.zeros(64, np.int64)
    stage, left = np.zeros(64, np.int64), np.zeros(64)
    lo[0], n[0] = 0, x.size
    top, total = 0, 0.0
    while top >= 0:
        if n[top] <= 128 or stage[top] == 2:
            done = _block(x, lo[top], n[top]) if n[top] <= 128 else left[top]
            top -= 1
            if top < 0:
                total = done
            elif stage[top] == 1:  # the first half's sum: now the second half
                left[top] = done
                half = _half(n[top])
                lo[top + 1], n[top + 1], stage[top + 1] = lo[top] + half, n[top] - half, 0
                stage[top] = 2
                top += 1
            else:  # the second half's sum: the whole run's is the two added
                left[top] += done
        else:
            half = _half(n[top])
            lo[top + 1], n[top + 1], stage[top + 1] = lo[top], half, 0
            stage[top] = 1
            top += 1
    return 0.0 + total


@njit(cache=True)
def _half(n):
    """Where numpy's pairwise sum splits a run of ``n`` numbers (a multiple of 8)."""
    half = n // 2
    return half - half % 8


@njit(cache=True)
def _block(x, lo, n):
    """numpy's sum of at most 128 numbers ``x[lo:lo + n]``: one by one under 8, else eight
    running sums added in pairs, then the rest one by one."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += x[i]
        return res
    r = x[lo : lo + 8].copy()
    i = 8
    while i < n - n % 8:
        for m in range(8):
            r[m] += x[lo + i + m]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += x[lo + i]
        i += 1
    return res


@njit(cache=True)
def best_band_move(lot_value, sleeve, symbol, drift, beyond, sleeves, total, usd):
    """The lot and receiving sleeve of the best BAND move that helps (the module's order), or
    (-1, -1): each lot still held by a sleeve over its target, to each invested sleeve under its
    own, the numbers of the array expressions it replaced (``tests/uma/numpy_band_move.py``) one
    pair at a time (a compiled loop: as numpy, ~30 array calls a move were most of a shard's
    drift bands, issue 23).

    A move of a lot worth ``w`` (a fraction of ``total``) from ``src`` to ``to`` must bring neither
    sleeve past its target by more than it was off (``w <= 2 * drift`` each way) and lower the
    drift beyond the bands (``gain < 0``); the best has the highest tier (the giver holds the
    symbol beyond its model, the receiver's model holds it), then the largest fall; of equal
    scores the first lot, then the first sleeve (as ``np.argmax`` takes them).

    Parameters
    ----------
    lot_value : (n_lots,) float, USD left of each lot; sleeve, symbol : (n_lots,) int, its sleeve
        and its row of ``held`` and ``goal``.
    drift, beyond : (n_sleeves,) float, each sleeve's drift and how far it is outside its band.
    sleeves : (band (n_sleeves,) float, cash (n_sleeves,) bool)
    total : float, the account's value, USD.
    usd : (held, goal), (n_symbols, n_sleeves) float, USD per symbol and sleeve.
    """
    band, cash = sleeves
    held, goal = usd
    best, best_lot, best_to = -np.inf, -1, -1
    for k in range(lot_value.size):
        src = sleeve[k]
        if not (lot_value[k] > 0 and drift[src] > 0):
            continue
        w = lot_value[k] / total
        d_src = drift[src]
        j = symbol[k]
        beyond_give = 1 if held[j, src] > goal[j, src] + _EPS else 0
        for to in range(drift.size):
            if cash[to] or not drift[to] < 0 or src == to:
                continue
            d_to = drift[to]
            if not (w <= 2 * d_src + _EPS and w <= -2 * d_to + _EPS):
                continue
            gain = (
                _outside(d_src - w, band[src])
                + _outside(d_to + w, band[to])
                - beyond[src]
                - beyond[to]
            )
            if not gain < -_EPS:
                continue
            tier = beyond_give + (1 if goal[j, to] > 0 else 0)
            score = tier * 10.0 - gain  # tier first: gain is below 1
            if score > best:
                best, best_lot, best_to = score, k, to
    return best_lot, best_to


@njit(cache=True)
def _outside(drift, band):
    """``_beyond`` of one sleeve: how far ``drift`` is outside ``band``."""
    far = abs(drift) - band
    return 0.0 if far < 0.0 else far  # as np.clip: a NaN stays NaN
