"""Why an account stays above its tracking-error limit or holds idle cash: the constraints that
bind, with numbers.

The PM reads these lines on the review page (PRODUCT.md: "Accounts whose tracking error would stay
above max_tracking_error after the best allowed trades are flagged to the PM"), so each names a
rule the account's mandate sets and how much of the gap it explains:

- buying blocked (NO_BUY restriction or a household wash-sale block) on underweight securities;
- selling blocked (NO_SELL, or a loss sale the household's recent purchase would wash) on overweight
  ones;
- the gain budget, when tonight's sales use what is left of it;
- the tax a sale of the overweight gain lots would cost (taxable accounts only: IRA and ROTH
  accounts weigh no tax);
- min_trade_value and whole shares, when the optimiser's trades reach the limit but the tradable
  orders do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sma.ledger import money
from sma.rebalance._inputs import ShardInputs
from sma.rebalance._problem import AccountProblem
from sma.rebalance._rounding import WholeShares


@dataclass(frozen=True)
class AfterTrades:
    """One account's weights after tonight's whole-share trades, over ``problem.assets``.

    w : ndarray (na,) — weight after trades; te : annual tracking error after trades;
    te_optimal : the optimiser's tracking error before rounding (nan when it did not run);
    cash_gap : cash after trades / value - cash target (fraction)
    """

    w: np.ndarray
    te: float
    te_optimal: float
    cash_gap: float


def _pct(x: float) -> str:
    return f"{x:.2%}"


def _shares_of(shard: ShardInputs, a: int) -> str:
    """What the account's orders are rounded to, in the PM's words."""
    return "fractional-share rounding" if shard.fractional(a) else "whole shares"


def _dropped_buys(shard: ShardInputs, a: int, ws: WholeShares) -> tuple[float, str] | None:
    wanted = ws.buy_wanted * ws.buy_price
    dropped = (wanted > 0.5 * ws.buy_price) & (ws.buy == 0)
    if not dropped.any():
        return None
    usd = float(wanted[dropped].sum())
    return usd, (
        f"min_trade_value ${shard.min_trade_value[a]:,.0f} and {_shares_of(shard, a)} drop "
        f"{int(dropped.sum())} of the "
        f"optimiser's {int((wanted > 0).sum())} buys (${usd:,.0f})"
    )


def binding_constraints(
    shard: ShardInputs,
    problem: AccountProblem,
    ws: WholeShares,
    after: AfterTrades,
    cash: bool = False,
) -> list[str]:
    """The mandate's rules that keep ``problem``'s account from its target tonight, most weight
    first.

    ``cash``: explain idle cash (only what stops buying) rather than tracking error.
    """
    a, assets, v = problem.account, problem.assets, problem.value
    gap = problem.target - after.w  # > 0: underweight
    lines: list[tuple[float, str]] = []
    blocked_buy = shard.buy_blocked[a, assets] & (gap > 0) & (problem.target > 0)
    if blocked_buy.any():
        w = float(gap[blocked_buy].sum())
        lines.append(
            (
                w,
                "buying blocked (NO_BUY or a household wash-sale block) on "
                f"{int(blocked_buy.sum())} "
                f"underweight securities, {_pct(w)} of value below target",
            )
        )
    dropped = _dropped_buys(shard, a, ws)
    if dropped is not None:
        lines.append((dropped[0] / v, dropped[1]))
    if not cash:
        lines += _sell_side(shard, problem, ws, gap)
        if (
            np.isfinite(after.te_optimal)
            and after.te_optimal <= shard.max_tracking_error[a] < after.te
        ):
            lines.append(
                (
                    np.inf,
                    f"{_shares_of(shard, a)} and min_trade_value "
                    f"${shard.min_trade_value[a]:,.0f}: the "
                    f"optimiser's trades reach {_pct(after.te_optimal)}, the tradable orders "
                    f"{_pct(after.te)}",
                )
            )
    lines.sort(key=lambda x: -x[0])
    return [text for _, text in lines]


def _sell_side(shard: ShardInputs, problem: AccountProblem, ws: WholeShares, gap: np.ndarray):
    """What stops the account selling its overweight positions: blocks, the gain budget, tax."""
    a, assets = problem.account, problem.assets
    lines: list[tuple[float, str]] = []
    lots = shard.lots_of(a)
    sec, _, no_sell, washed = _lots_held_back(shard, a)
    pos = np.full(shard.n, -1)
    pos[assets] = np.arange(assets.size)
    stuck = no_sell | washed
    over = np.zeros(assets.size, bool)
    over[pos[sec[stuck]]] = True
    over &= gap < 0
    if over.any():
        w = float(-gap[over].sum())
        lines.append(
            (
                w,
                "selling blocked (NO_SELL, or a loss sale a household purchase of the last 30 "
                "days "
                f"would wash) on {int(over.sum())} overweight securities, {_pct(w)} of value "
                "above target",
            )
        )
    if not shard.taxable[a]:
        return lines  # IRA and ROTH accounts weigh no tax and have no gain budget
    if np.isfinite(shard.gain_budget_remaining[a]):
        left = max(float(shard.gain_budget_remaining[a]), 0.0)
        used = ws.net_gain()
        if left - used < max(0.01 * left, 100.0):
            lines.append(
                (
                    np.inf,
                    f"gain budget: ${left:,.0f} left this year, ${max(used, 0.0):,.0f} used "
                    "tonight",
                )
            )
    value = shard.lot_qty[lots] * shard.prices[sec]
    gain = value - shard.lot_basis[lots]
    rate = np.where(shard.lot_long_term[lots], shard.lt_rate[a], shard.st_rate[a])
    sold_by_lot = np.zeros(shard.lot_ids.size)
    sold_by_lot[problem.lots] = ws.sell
    share_left = 1.0 - sold_by_lot[lots] / shard.lot_qty[lots]
    left_gain = (gain > 0) & ~stuck & (gap[np.maximum(pos[sec], 0)] < 0)
    tax = float((gain * rate * share_left)[left_gain].sum())
    if tax > 0:
        w = float(-gap[np.unique(pos[sec[left_gain]])].sum())
        lines.append(
            (
                w,
                f"tax: the overweight positions ({_pct(w)} of value above target) are held at a "
                "gain; "
                f"selling them would cost about ${tax:,.0f} of tax",
            )
        )
    return lines


def _lots_held_back(shard: ShardInputs, a: int):
    """Account ``a``'s lots (in ``shard.lots_of(a)`` order): their securities, their value (USD),
    and which of them NO_SELL keeps and which (not NO_SELL) a household wash-sale block keeps, as
    a loss lot bought back within 30 days — what ``build_problem`` leaves without a sell
    variable."""
    lots = shard.lots_of(a)
    sec = shard.lot_security[lots]
    lot_usd = shard.lot_qty[lots] * shard.prices[sec]
    no_sell = shard.no_sell[a, sec]
    washed = ~no_sell & (shard.lot_basis[lots] > lot_usd) & shard.loss_sale_blocked[a, sec]
    return sec, lot_usd, no_sell, washed


def cash_held_back(shard: ShardInputs, problem: AccountProblem, sellable_usd: float) -> list[str]:
    """Why sales cannot raise an account's cash target: what each rule keeps from being sold, in
    USD, largest first. ``sellable_usd``: what the lots the problem may sell raise within the gain
    budget, before whole shares and min_trade_value (``max_cash_raise`` times the value).

    - NO_SELL: every lot of a restricted security;
    - a wash-sale block: loss lots the household bought back within 30 days (IRC section 1091;
      PRODUCT.md: the engine never sells at a loss what the household bought in the last 30 days);
    - the gain budget: lots at a gain it leaves unsold (PRODUCT.md: realized net gains this year <=
      gain budget), or that it is spent already (gains realized this year, by trades or corporate
      actions, above it).
    """
    a = problem.account
    sec, lot_usd, no_sell, blocked = _lots_held_back(shard, a)
    lines: list[tuple[float, str]] = []
    if no_sell.any():
        usd = float(lot_usd[no_sell].sum())
        names = np.unique(sec[no_sell]).size
        what = "1 security" if names == 1 else f"{names} securities"
        lines.append((usd, f"NO_SELL holds {money(usd, cents=False)} ({what})"))
    if blocked.any():
        usd = float(lot_usd[blocked].sum())
        lines.append(
            (
                usd,
                f"wash-sale blocks hold {money(usd, cents=False)} of lots at a loss (bought "
                "again in the household within 30 days)",
            )
        )
    free = float(lot_usd[~no_sell & ~blocked].sum())
    kept = free - sellable_usd
    remaining = float(shard.gain_budget_remaining[a])
    if bool(shard.taxable[a]) and np.isfinite(remaining) and kept > 0.5:
        if remaining < 0:
            words = (
                f"the gain budget is overspent by {money(-remaining, cents=False)} this year, so "
                f"no sale may realize a net gain: {money(kept, cents=False)} of lots at a gain "
                "stay unsold"
            )
        else:
            words = (
                f"the gain budget ({money(remaining, cents=False)} left this year) keeps "
                f"{money(kept, cents=False)} of lots at a gain unsold"
            )
        lines.append((kept, words))
    lines.sort(key=lambda x: -x[0])
    return [text for _, text in lines]
