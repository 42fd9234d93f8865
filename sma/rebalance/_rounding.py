"""From optimal weights to whole-share orders that still satisfy every constraint.

Buys round down; gain lots round down (to the nearest share when there is no gain budget) and
loss lots round up (so rounding never adds net gain against a budget);
a sale within a millionth of a whole lot sells the lot out (fractional lots after splits).
Then, in order:

1. trades under ``min_trade_value`` (per security and side) are dropped and gain-lot sales are cut,
   largest gain first, to the gain budget — repeated until both hold (dropping a small loss sale
   raises the net gain);
2. if cash is below its target, buys are cut, largest first, and any buy left under
   ``min_trade_value`` is dropped;
3. if cash is still short, whole shares are added to sales, cheapest first (excluded names, then
   losses, then the smallest tax per dollar, then the most overweight), each security's sale at
   least ``min_trade_value`` and the net gain within the budget. A security whose sellable shares
   cannot reach ``min_trade_value`` is passed over;
4. if instead cash is above its target (buys rounded down or dropped), whole shares are bought
   one at a time where they lower the optimiser's objective most, while any does and cash lasts.

Step 3 raises any cash the account can raise within its rules; what it cannot is the shortfall,
reported in dollars (``Rounded.shortfall``).

5. A whole-share account's order for each security is whole shares, or the whole position
   (made so before steps 2-4, which then raise or invest the cash it moves, and again last).
   Lots can hold fractions of a share in such an account (a wash sale splits the replacement lot by
   the fraction a cash-in-lieu sale washed, IRS Publication 550; a kept fraction of a merger), and
   selling such a lot out beside whole shares of others would send the custodian an order for a
   fraction. The sale is topped up to the next whole share from the security's lot with the least
   gain per share that has the room (when the gain budget allows), else cut to the whole share
   below, from the lots with the most gain per share first.

An account that allows fractional shares (``ShardInputs.fractional_shares``) goes through the same
steps with the custodian's smallest fraction (``EngineParams.fractional_decimals``: 3 decimals,
0.001 share) in place of a share: every count above is of that unit, and step 4 buys as many units
at a time as lower the objective most (a one-dimensional quadratic step), so investing cash does
not take a step per thousandth of a share. The trades come back in shares, to those decimals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from sma.rebalance._inputs import ShardInputs
from sma.rebalance._leftover import buy_greedily
from sma.rebalance._params import EngineParams
from sma.rebalance._problem import AccountProblem
from sma.rebalance._sides import group_mask, isin_codes
from sma.rebalance._signs import ContinuousDecision

_SNAP = 1e-6
# Decimal places a share count is kept to where fractions are added or taken away: float noise
# (11.999999999999993) never reaches an order.
_PLACES = 9
_CENT = 0.005  # USD: cash within half a cent of its target meets it
# Shares: far above the float noise of summing a security's lots in another order, far below _SNAP.
_MARGIN = 1e-8


@dataclass
class WholeShares:
    """Shares per buy variable (nb,) and per sell variable (nl,) of a problem, with what they
    imply."""

    buy: np.ndarray
    sell: np.ndarray
    buy_price: np.ndarray
    sell_price: np.ndarray
    lot_qty: np.ndarray
    gain_per_share: np.ndarray
    buy_asset: np.ndarray
    sell_asset: np.ndarray
    buy_wanted: np.ndarray  # (nb,) the optimiser's buys in (fractional) shares

    def sold_per_asset(self, n_assets: int) -> np.ndarray:
        """USD sold per security in play, shape (na,)."""
        return sum_by_security(self.sell_asset, self.sell, self.sell_price, n_assets)

    def net_gain(self) -> float:
        return float(self.sell @ self.gain_per_share)


@dataclass(frozen=True)
class Rounded:
    """Whole-share trades and whether they meet every constraint.

    ok : cash target, gain budget, lot sizes and min_trade_value all hold
    shortfall : USD still missing to the cash target (0 when met)
    """

    shares: WholeShares
    ok: bool
    shortfall: float


def _shares(
    problem: AccountProblem, decision: ContinuousDecision, shard: ShardInputs, unit: float = 1.0
) -> WholeShares:
    """The optimiser's answer in whole ``unit`` (a share, or the custodian's smallest fraction of
    one): quantities are counted and prices quoted per unit."""
    v = problem.value
    buy_price = shard.prices[problem.assets[problem.buy_asset]]
    if unit != 1.0:  # (times one is the price itself: skipped for whole shares)
        buy_price = buy_price * unit
    wanted = decision.buys * v / buy_price
    buy = np.floor(wanted + _SNAP)
    sell, sell_price, qty, gain_per_share = round_lots(
        np.ascontiguousarray(decision.sells, dtype=float),
        float(v),
        shard.prices,
        shard.lot_security,
        shard.lot_qty,
        shard.lot_basis,
        problem.lots,
        problem.lot_gain,
        float(unit),
        # Without a gain budget (tax-deferred, or none set) a gain lot rounds to the nearest share:
        # with shares of a few thousand dollars, rounding 0.9 of one down would drop the sale.
        not np.isfinite(problem.budget),
    )
    return WholeShares(
        buy,
        sell,
        buy_price,
        sell_price,
        qty,
        gain_per_share,
        problem.buy_asset,
        # each lot's security in play: the problem's own sell variables' (``build_problem``)
        problem.qp.asset[problem.n_buys :].copy(),
        wanted,
    )


# numpy's error model: a lot of zero shares or price divides to inf or nan, as numpy's did
@njit(cache=True, error_model="numpy")
def round_lots(sells, value, prices, security, lot_qty, lot_basis, lots, lot_gain, unit, nearest):
    """The lot sales of ``_shares`` in one pass over the lots (compiled: a dozen numpy calls over
    every lot took most of a rounding's time at thousands of lots), the same operations on each lot
    in the same order, so the same numbers to the bit. A loss lot rounds up; a gain lot down, or to
    the nearest unit when ``nearest``; a sale within a millionth of the lot sells it out.

    Parameters
    ----------
    sells : ndarray of shape (nl,) — the optimiser's sales, weights
    value : float — account value, USD
    prices, security, lot_qty, lot_basis : the shard's arrays (securities' prices; each lot's
        security, shares and basis in USD)
    lots : ndarray of shape (nl,), int — the lot of each sale
    lot_gain : ndarray of shape (nl,) — gain per weight sold (< 0: a loss lot)
    unit : float — shares a unit (1, or the custodian's smallest fraction)
    nearest : bool

    Returns
    -------
    sell, sell_price, qty, gain_per_share : ndarrays of shape (nl,) — units sold, USD a unit,
    units held, gain a unit
    """
    nl = lots.size
    sell, sell_price = np.empty(nl), np.empty(nl)
    qty, gain_per_share = np.empty(nl), np.empty(nl)
    for i in range(nl):
        lot = lots[i]
        price = prices[security[lot]] * unit
        held = lot_qty[lot] / unit
        s = _minimum(sells[i] * value / price, held)
        if lot_gain[i] < 0:
            rounded = np.ceil(s - _SNAP)
        elif nearest:
            rounded = np.floor(s + 0.5)
        else:
            rounded = np.floor(s + _SNAP)
        if s >= held - _SNAP * _maximum(held, 1.0):
            rounded = held
        else:
            rounded = _minimum(rounded, np.floor(held))
        sell[i] = _maximum(rounded, 0.0)
        sell_price[i], qty[i] = price, held
        gain_per_share[i] = price - lot_basis[lot] / held
    return sell, sell_price, qty, gain_per_share


@njit(cache=True)
def _minimum(a, b):
    """``np.minimum`` of two numbers: a NaN wins, and of two equal (0.0 and -0.0) the second."""
    return a if a < b or a != a else b


@njit(cache=True)
def _maximum(a, b):
    """``np.maximum`` of two numbers: a NaN wins, and of two equal (0.0 and -0.0) the second."""
    return a if a > b or a != a else b


def share_unit(shard: ShardInputs, a: int, params: EngineParams) -> float:
    """The smallest quantity account ``a`` trades: one share, or for an account that allows
    fractional shares the custodian's smallest fraction (``10 ** -params.fractional_decimals``)."""
    return 10.0**-params.fractional_decimals if shard.fractional(a) else 1.0


def _in_shares(
    ws: WholeShares, problem: AccountProblem, shard: ShardInputs, unit: float, decimals: int
) -> WholeShares:
    """Trades counted in units of ``unit`` share (``_shares``) back in shares, to ``decimals``
    places (no float noise such as 0.30000000000000004); a lot sold out sells exactly its
    quantity. Prices and lot quantities are the shard's own, not scaled back and forth."""
    nb, nl = problem.n_buys, problem.qp.asset.size - problem.n_buys
    no_trade = ContinuousDecision(np.zeros(nb), np.zeros(nl), "optimal", np.nan, 0, 0)
    in_shares = _shares(problem, no_trade, shard)
    sold_out = (ws.sell > 0) & (ws.sell >= ws.lot_qty - _SNAP)
    in_shares.buy = np.round(ws.buy * unit, decimals)
    in_shares.sell = np.where(sold_out, in_shares.lot_qty, np.round(ws.sell * unit, decimals))
    in_shares.buy_wanted = ws.buy_wanted * unit
    return in_shares


def trade_weights(ws: WholeShares, value: float) -> np.ndarray:
    """The whole-share trades as the problem's variables (buys first, then lot sales), in
    weights."""
    return np.concatenate([ws.buy * ws.buy_price, ws.sell * ws.sell_price]) / value


def cash_after(ws: WholeShares, cash_now: float, tc: float) -> float:
    return float(cash_now - (1 + tc) * ws.buy @ ws.buy_price + (1 - tc) * ws.sell @ ws.sell_price)


def _drop_small(ws: WholeShares, min_value: float, n_assets: int) -> bool:
    """Drop buys and per-security sales under ``min_value``; whether anything was dropped."""
    small_buy = (ws.buy > 0) & (ws.buy * ws.buy_price < min_value)
    sold = ws.sold_per_asset(n_assets)
    small_sell = (ws.sell > 0) & (sold[ws.sell_asset] < min_value)
    ws.buy[small_buy] = 0.0
    ws.sell[small_sell] = 0.0
    return bool(small_buy.any() or small_sell.any())


def _cut_gains(ws: WholeShares, budget: float) -> bool:
    """Cut gain-lot sales, largest gain first, until the net gain is within ``budget``."""
    excess = ws.net_gain() - budget
    if excess <= 1e-9:
        return False
    gain = ws.sell * ws.gain_per_share
    order = np.argsort(-gain, kind="stable")
    order = order[gain[order] > 0]
    before = np.concatenate([[0.0], np.cumsum(gain[order])[:-1]])
    ws.sell[order[before < excess]] = 0.0
    return True


def _cut_buys(ws: WholeShares, deficit: float, tc: float, min_value: float) -> None:
    """Cut buys, largest first, by ``deficit`` USD; a buy left under ``min_value`` is dropped."""
    unit = ws.buy_price * (1 + tc)
    cost = ws.buy * unit
    order = np.argsort(-cost, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(cost[order])[:-1]])
    cut = np.clip(deficit - before, 0.0, cost[order])
    ws.buy[order] -= np.minimum(np.ceil(cut / unit[order] - _SNAP), ws.buy[order])
    ws.buy[(ws.buy > 0) & (ws.buy * ws.buy_price < min_value)] = 0.0


def sell_order(ws: WholeShares, problem: AccountProblem, excluded: np.ndarray) -> np.ndarray:
    """Sell variables in the order cash is raised from them: excluded names, losses by size, then
    the smallest tax per dollar, then the most overweight position (shape (nl,) of indices)."""
    tax_per_dollar = problem.lot_rate * ws.gain_per_share / ws.sell_price
    overweight = (problem.w0 - problem.target)[ws.sell_asset]
    loss = ws.gain_per_share / ws.sell_price
    return np.lexsort(
        (-overweight, np.where(loss < 0, loss, tax_per_dollar), ~excluded[ws.sell_asset])
    )


def _add_sells(
    ws: WholeShares,
    order: np.ndarray,
    deficit: float,
    budget: float,
    min_value: float,
    tc: float,
    n_assets: int,
) -> float:
    """Add whole shares to sales in ``order`` until ``deficit`` USD is raised; returns what is still
    missing.

    Each security's sale ends at least ``min_value`` (a lot tops it up to that) and the net gain
    stays within ``budget``; a security that cannot reach ``min_value`` within the budget is passed
    over: the pass starts again without it. Its additions are not merely undone, since a loss it
    sold may have made the budget room that a later gain sale of the pass spent (a simulated
    transition account sold one share at a $1.93 gain with $0.34 of budget left, beside a loss
    sale too small for min_trade_value that was then undone).
    """
    while True:
        added, deficit_left, short = _sells_in_order(
            ws, order, deficit, budget, min_value, tc, n_assets
        )
        if not short.any():
            break
        # a security is short only where a lot of ``order`` was added to: each pass has fewer
        order = order[~short[ws.sell_asset[order]]]
    ws.sell += added
    return max(deficit_left, 0.0)


def _sells_in_order(
    ws: WholeShares,
    order: np.ndarray,
    deficit: float,
    budget: float,
    min_value: float,
    tc: float,
    n_assets: int,
) -> tuple[np.ndarray, float, np.ndarray]:
    """One pass of ``_add_sells``: the shares added to each lot (``ws`` is not changed), the
    deficit left, and the securities (na,) bool whose additions left their sale under
    ``min_value``."""
    sold = ws.sold_per_asset(n_assets)
    room = budget - ws.net_gain()
    added = np.zeros_like(ws.sell)
    for i in order:
        if deficit <= _CENT:
            break
        j, price, gps = ws.sell_asset[i], ws.sell_price[i], ws.gain_per_share[i]
        left = ws.lot_qty[i] - ws.sell[i] - added[i]
        left = (
            np.floor(left + _SNAP) if left >= 1.0 else left
        )  # under a share: the lot's last fraction, sold out
        if gps > 0 and np.isfinite(room):
            left = min(left, np.floor(room / gps + _SNAP) if room > 0 else 0.0)
        if left <= 0:
            continue
        unit = price * (1 - tc)
        take = float(
            max(np.ceil(deficit / unit - _SNAP), np.ceil((min_value - sold[j]) / price - _SNAP))
        )
        take = float(left) if left < 1.0 else float(min(take, left))
        added[i] += take
        sold[j] += take * price
        deficit -= float(take * unit)
        room -= take * gps
    short = (sold < min_value - 1e-9) & (np.bincount(ws.sell_asset, added, minlength=n_assets) > 0)
    return added, deficit, short


def _invest_leftover(
    ws: WholeShares,
    problem: AccountProblem,
    spare: float,
    tc: float,
    min_value: float,
    group: np.ndarray,
    coarse: bool = False,
) -> None:
    """Spend cash that rounding left above the target, a whole share at a time, on the buy that
    lowers the objective most (tracking error and trading cost, the optimiser's own terms), while
    one still does and ``spare`` USD lasts. A first buy of a security is at least ``min_value``;
    no buy goes past its upper bound; nothing is bought that the account sells tonight, nor an
    identical group it sells at a loss (``group``: (na,) identical group of each security in play).
    Greedy descent over the factor model: O(n k) a step. ``coarse`` (units far smaller than a
    share, ``share_unit``): each step buys as many units as lower its buy's objective most, and
    the descent stops after a few steps per name."""
    qp, value, nb = problem.qp, problem.value, problem.n_buys
    if nb == 0:
        return
    z = qp.net_trade(trade_weights(ws, value))
    grad = qp.d * z + qp.B @ (qp.B.T @ z) + qp.p
    asset = qp.asset[:nb]
    most = np.floor(qp.upper[:nb] * value / ws.buy_price + _SNAP)
    unit = ws.buy_price * (1 + tc)
    first = np.maximum(np.ceil(min_value / ws.buy_price - _SNAP), 1.0)
    selling = ws.sell > 0
    barred = isin_codes(asset, ws.sell_asset[selling]) | isin_codes(
        group[asset], group[ws.sell_asset[selling & (ws.gain_per_share < 0)]]
    )
    most[barred] = ws.buy[barred]
    steps = 4 * nb + 100 if coarse else -1
    buy_greedily(
        ws.buy,
        # read only in the loop: no copies
        np.ascontiguousarray(ws.buy_price, dtype=float),
        np.ascontiguousarray(unit, dtype=float),
        np.ascontiguousarray(first, dtype=float),
        np.ascontiguousarray(most, dtype=float),
        np.ascontiguousarray(qp.cost[:nb], dtype=float),
        problem.buy_curvature,
        np.ascontiguousarray(asset, dtype=np.int64),
        np.ascontiguousarray(grad, dtype=float),
        np.ascontiguousarray(qp.d, dtype=float),
        np.ascontiguousarray(qp.B, dtype=float),
        float(value),
        float(spare),
        int(steps),
        bool(coarse),
    )


def _no_buy_beside_a_loss_sale(ws: WholeShares, group: np.ndarray) -> None:
    """Drop every buy in an identical group the account sells at a loss tonight: the purchase would
    wash the loss (IRS Publication 550, "Wash Sales"). The sign rule keeps them apart in the
    continuous answer of the default method; a heuristic sign method (RELAX_AND_NET) nets per
    security, not per group, so the rule is enforced here for every method. Only cash is added."""
    losses = group[ws.sell_asset[(ws.sell > 0) & (ws.gain_per_share < 0)]]
    ws.buy[isin_codes(group[ws.buy_asset], losses)] = 0.0


def round_to_whole_shares(
    problem: AccountProblem, decision: ContinuousDecision, shard: ShardInputs, params: EngineParams
) -> Rounded:
    """Whole-share trades (for a fractional-shares account, trades to the custodian's decimals)
    that meet the gain budget and min_trade_value, and the cash target when the account can raise
    it; otherwise the dollars still missing."""
    a, tc, na = problem.account, params.trading_cost, problem.assets.size
    unit = share_unit(shard, a, params)
    ws = _shares(problem, decision, shard, unit)
    group = shard.identical_group[problem.assets]  # (na,) identical group of each security in play
    _no_buy_beside_a_loss_sale(ws, group)
    cash_now = float(shard.cash[a] + shard.cash_flow[a])
    target_cash = float(shard.cash_target[a] * problem.value)
    budget = problem.budget * problem.value
    min_value = float(shard.min_trade_value[a])
    changed = True
    while changed:  # dropping a small loss sale raises the net gain: repeat until both hold
        changed = _drop_small(ws, min_value, na) | _cut_gains(ws, budget)
    if unit == 1.0:  # orders whole before the cash steps, so they raise or invest what it moves
        whole_orders(ws, shard, problem, budget)
    deficit = target_cash - cash_after(ws, cash_now, tc)
    if deficit > _CENT:
        _cut_buys(ws, deficit, tc, min_value)
        deficit = target_cash - cash_after(ws, cash_now, tc)
    if deficit > _CENT:
        order = sell_order(ws, problem, shard.exclude[a][problem.assets])
        # No loss sale of an identical group the account buys tonight (the wash-sale sign rule).
        bought = isin_codes(group[ws.sell_asset], group[ws.buy_asset[ws.buy > 0]])
        order = order[~(bought & (ws.gain_per_share < 0))[order]]
        _add_sells(ws, order, deficit, budget, min_value, tc, na)
    elif deficit < -_CENT:
        _invest_leftover(ws, problem, -deficit, tc, min_value, group, unit < 1)
    if unit == 1.0:
        whole_orders(ws, shard, problem, budget)
    cash = cash_after(ws, cash_now, tc)  # the trades are final: the deficit and the check share it
    deficit = target_cash - cash
    ok = meets_constraints(ws, cash_now, target_cash, budget, min_value, na, tc, cash)
    if unit < 1:
        ws = _in_shares(ws, problem, shard, unit, params.fractional_decimals)
    return Rounded(ws, ok, max(deficit, 0.0) if deficit > _CENT else 0.0)


def whole_orders(
    ws: WholeShares,
    shard: ShardInputs,
    problem: AccountProblem,
    budget: float,
) -> None:
    """Step 5: each security's sale in whole shares or the whole position (see the module)."""
    if _sales_whole(ws, problem.assets.size):
        return  # most calls: nothing for the steps below to look at
    lots = shard.lots_of(problem.account)
    held_qty, held_security = shard.lot_qty[lots], shard.lot_security[lots]
    asset_of = problem.assets[ws.sell_asset]
    candidates = _maybe_fractional_sales(ws, asset_of, held_qty, held_security)
    if candidates.size == 0:
        return  # most calls: every sale is whole shares or the whole position already
    group = shard.identical_group
    bought = isin_codes(group[asset_of], group[problem.assets[ws.buy_asset[ws.buy > 0]]])
    for sec in candidates:
        mine = np.flatnonzero(asset_of == sec)
        sold = float(ws.sell[mine].sum())
        held = float(held_qty[held_security == sec].sum())
        whole = np.floor(sold + _SNAP)
        if sold >= held - _SNAP or sold - whole <= _SNAP:
            continue  # the whole position, or whole shares already
        room = ws.lot_qty[mine] - ws.sell[mine]
        # Never top up with a loss lot of a group bought tonight (a wash sale, Publication 550).
        usable = ~(bought[mine] & (ws.gain_per_share[mine] < 0))
        if whole + 1.0 >= held - _SNAP:  # the next whole share is the whole position
            add = room
            # only when what may be sold is the whole position (no lot of it barred from sale)
            fits = bool(usable[room > _SNAP].all()) and sold + room.sum() >= held - _SNAP
        else:
            order = np.argsort(ws.gain_per_share[mine], kind="stable")
            ok = order[(room[order] >= whole + 1.0 - sold - _SNAP) & usable[order]]
            add = np.zeros(mine.size)
            if ok.size:
                add[ok[0]] = whole + 1.0 - sold
            fits = bool(ok.size)
        if fits and ws.net_gain() + float(add @ ws.gain_per_share[mine]) <= budget + 1e-6:
            ws.sell[mine] = np.minimum(np.round(ws.sell[mine] + add, _PLACES), ws.lot_qty[mine])
            if whole + 1.0 < held - _SNAP:
                _settle(ws, mine, whole + 1.0)
            continue
        cut = sold - whole
        for lot in mine[np.argsort(-ws.gain_per_share[mine], kind="stable")]:
            take = min(cut, float(ws.sell[lot]))
            ws.sell[lot] = max(round(float(ws.sell[lot]) - take, _PLACES), 0.0)
            cut -= take
            if cut <= _SNAP:
                break
        _settle(ws, mine, whole)


def _settle(ws: WholeShares, mine: np.ndarray, shares: float) -> None:
    """Make the lots' sales of one security add up to ``shares`` to the last of their
    ``_PLACES`` decimals: each lot's sale is rounded to them on its own, so three of them could
    sum to 143.999999999 (an order of that many shares). The difference, a few units of the last
    decimal, goes to the first lot sold that has room for it."""
    off = round(shares - float(ws.sell[mine].sum()), _PLACES)
    if off == 0.0 or abs(off) > _SNAP:
        return
    for lot in mine:
        moved = round(float(ws.sell[lot]) + off, _PLACES)
        if ws.sell[lot] > 0 and 0.0 < moved <= ws.lot_qty[lot]:
            ws.sell[lot] = moved
            return


def _sales_whole(ws: WholeShares, n_assets: int) -> bool:
    """Whether every security's sale is clearly whole shares (``_maybe_fractional_sales``'s second
    test, on the same sums): then that function has nothing for ``whole_orders``, whatever is held,
    and the holdings need not be gathered."""
    return _all_whole(sum_by_security(ws.sell_asset, ws.sell, None, n_assets))


@njit(cache=True)
def _all_whole(sold):
    """Whether every security's shares sold ``sold`` are clearly whole (``_sales_whole``)."""
    for x in sold:
        fraction = x - np.floor(x + _SNAP)
        if not (fraction > -_SNAP + _MARGIN and fraction <= _SNAP - _MARGIN):
            return False
    return True


@njit(cache=True)
def sum_by_security(security, shares, price, n):
    """``np.bincount(security, shares * price, minlength=n)`` (``price`` None: ``shares`` alone),
    to the bit: each lot's amount added to its security's in the lots' order, without the
    temporaries and dispatch of numpy's (a rounding sums its sales a dozen times).

    Parameters
    ----------
    security : ndarray of shape (nl,), int in 0..n-1
    shares, price : ndarray of shape (nl,)
    n : int

    Returns
    -------
    ndarray of shape (n,)
    """
    out = np.zeros(n)
    for i in range(security.size):
        j = security[i]
        if j < 0 or j >= n:
            raise IndexError("security out of range")
        out[j] += shares[i] if price is None else shares[i] * price[i]
    return out


def _maybe_fractional_sales(
    ws: WholeShares, asset_of: np.ndarray, held_qty: np.ndarray, held_security: np.ndarray
) -> np.ndarray:
    """The securities sold (ascending) whose sale may be neither whole shares nor the whole
    position, for ``whole_orders`` to look at one by one; the others it would pass over. Sums per
    security by ``bincount`` differ from the loop's own in the last bits, so a security within
    ``_MARGIN`` of either test stays in, and the loop decides it as before."""
    sold_secs = np.flatnonzero(group_mask(asset_of[ws.sell > 0], int(asset_of.max(initial=-1)) + 1))
    if sold_secs.size == 0:
        return sold_secs
    size = int(max(asset_of.max(), held_security.max(initial=0))) + 1
    sold = np.bincount(asset_of, ws.sell, minlength=size)[sold_secs]
    held = np.bincount(held_security, held_qty, minlength=size)[sold_secs]
    fraction = sold - np.floor(sold + _SNAP)
    clearly_passed = (sold >= held - _SNAP + _MARGIN) | (
        (fraction > -_SNAP + _MARGIN) & (fraction <= _SNAP - _MARGIN)
    )
    return sold_secs[~clearly_passed]


def meets_constraints(
    ws, cash_now, target_cash, budget, min_value, n_assets, tc, cash: float | None = None
) -> bool:
    """Whether ``ws`` meets the cash target, the gain budget, the lots' sizes and min_trade_value.
    ``cash``: ``cash_after(ws, cash_now, tc)`` when the caller has it already."""
    return not rules_broken(ws, cash_now, target_cash, budget, min_value, n_assets, tc, cash)


def rules_broken(
    ws, cash_now, target_cash, budget, min_value, n_assets, tc, cash: float | None = None
) -> list[str]:
    """The rules of ``meets_constraints`` that ``ws`` breaks, of "cash target", "gain budget",
    "lot size" and "min_trade_value" (empty: it meets them all)."""
    sold = ws.sold_per_asset(n_assets)
    bought = ws.buy * ws.buy_price
    cash = cash_after(ws, cash_now, tc) if cash is None else cash
    broken = {
        "cash target": not cash >= target_cash - _CENT,
        "gain budget": not ws.net_gain() <= budget + 1e-6,
        "lot size": not np.all(ws.sell <= ws.lot_qty + 1e-9),
        "min_trade_value": not (
            np.all((bought == 0) | (bought >= min_value))
            and np.all((sold == 0) | (sold >= min_value))
        ),
    }
    return [rule for rule, yes in broken.items() if yes]
