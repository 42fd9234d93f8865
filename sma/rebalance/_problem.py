"""One account's decision as a convex problem (Moehle et al. 2021, sections 2-3), in weights.

Variables: a buy per security in the target that may be bought, and a sell per lot that may be
sold. Objective: ``risk_aversion * (w - w*)' Sigma (w - w*)`` (factor model) + per-lot tax
(rate x gain; losses are a benefit when the account is taxable and harvests) + trading cost -
``exclusion_penalty`` per unit of EXCLUDE holdings sold. Constraints: lots never oversold (bounds),
no blocked buys or sales (variables left out), cash after trades >= target (one row), net realized
gains <= the remaining gain budget (one row).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from sma.rebalance._inputs import ShardInputs
from sma.rebalance._params import EngineParams
from sma.rebalance._qp import TradeQP
from sma.risk import RiskModel


@dataclass(frozen=True)
class AccountProblem:
    """A built problem and what maps its variables back to securities and lots.

    value : float — account value V (USD); every weight is USD / V
    assets : ndarray (na,), int — securities in play (held or targeted), positions in the universe
    w0, target : ndarray (na,) — weights now and target weights of those securities
    buy_asset : ndarray (nb,), int — position in ``assets`` of each buy variable
    lots : ndarray (nl,), int — lot index (into ShardInputs lot arrays) of each sell variable
    lot_gain : ndarray (nl,) — gain per unit of weight sold (fraction of value)
    lot_rate : ndarray (nl,) — tax rate of each lot's gain
    kappa : float — cash room: buys - sells (after costs) may add up to this weight
    budget : float — remaining gain budget as a weight (inf = none)
    qp : TradeQP — variables ordered buys first, then lot sells
    risk : RiskModel — the risk model restricted to ``assets`` (for the tracking error of an answer)
    """

    account: int
    value: float
    assets: np.ndarray
    w0: np.ndarray
    target: np.ndarray
    buy_asset: np.ndarray
    lots: np.ndarray
    lot_gain: np.ndarray
    lot_rate: np.ndarray
    kappa: float
    budget: float
    te2_offset: float
    qp: TradeQP
    risk: RiskModel

    @property
    def n_buys(self) -> int:
        return self.buy_asset.size

    def loss_lot(self) -> np.ndarray:
        return self.lot_gain < 0

    @cached_property
    def buy_curvature(self) -> np.ndarray:
        """The objective's curvature in each buy variable, shape (nb,): ``d_j + B_j B_j'`` of its
        security, the Hessian's diagonal. Taken once a problem: rounding invests leftover cash
        with it each time it rounds an answer of the problem (read only)."""
        qp = self.qp
        asset = qp.asset[: self.n_buys]
        return qp.d[asset] + np.einsum("ij,ij->i", qp.B[asset], qp.B[asset])


def build_problem(
    shard: ShardInputs, a: int, model: RiskModel, params: EngineParams
) -> AccountProblem:
    """Build account ``a``'s problem. ``model.symbols`` must equal ``shard.symbols``."""
    lots = shard.lots_of(a)
    sec = shard.lot_security[lots]
    lot_value = shard.lot_qty[lots] * shard.prices[sec]
    value = float(lot_value.sum() + shard.cash[a] + shard.cash_flow[a])
    if not value > 0:
        raise ValueError(
            f"account {shard.account_ids[a]}: value after cash flows is {value:,.2f} USD, not "
            "positive"
        )
    held = np.bincount(sec, lot_value, minlength=shard.n) / value
    tgt = shard.target[a]
    assets = np.flatnonzero((held > 0) | (tgt > 0))
    pos = np.full(shard.n, -1)
    pos[assets] = np.arange(assets.size)
    w0, target = held[assets], tgt[assets]
    gamma, tc = params.risk_aversion, params.trading_cost
    active = w0 - target
    sub = model.subset(assets)
    sig_active = sub.covariance_times(active)
    d = 2.0 * gamma * sub.specific_var
    B = np.sqrt(2.0 * gamma) * sub.loadings
    p = 2.0 * gamma * sig_active

    buyable = (target > 0) & ~shard.buy_blocked[a][assets]
    buy_asset = np.flatnonzero(buyable)
    buy_upper = np.maximum(target[buy_asset] - w0[buy_asset], 0.0) + params.max_overweight

    gain = (lot_value - shard.lot_basis[lots]) / lot_value
    taxable = bool(shard.taxable[a])
    rate = np.where(shard.lot_long_term[lots], shard.lt_rate[a], shard.st_rate[a]) * taxable
    loss = gain < 0
    sellable = ~shard.no_sell[a][sec] & ~(loss & shard.loss_sale_blocked[a][sec])
    harvest_value = rate if shard.tlh_enabled[a] else np.zeros_like(rate)
    tax_per_weight = np.where(loss, harvest_value, rate) * gain
    penalty = params.exclusion_penalty * shard.exclude[a][sec]
    keep = np.flatnonzero(sellable)
    lot_cost = tc + tax_per_weight[keep] - penalty[keep]

    nb, nl = buy_asset.size, keep.size
    kappa = float((shard.cash[a] + shard.cash_flow[a]) / value - shard.cash_target[a])
    rows = [np.concatenate([np.full(nb, 1.0 + tc), np.full(nl, -(1.0 - tc))])]
    h = [kappa]
    budget = np.inf
    # Only gain lots can break the budget; without one the row would be 0 <= budget, always true.
    if taxable and np.isfinite(shard.gain_budget_remaining[a]) and np.any(gain[keep] > 0):
        budget = max(float(shard.gain_budget_remaining[a]), 0.0) / value
        rows.append(np.concatenate([np.zeros(nb), gain[keep]]))
        h.append(budget)
    qp = TradeQP(
        asset=np.concatenate([buy_asset, pos[sec[keep]]]),
        sign=np.concatenate([np.ones(nb), -np.ones(nl)]),
        upper=np.concatenate([buy_upper, lot_value[keep] / value]),
        cost=np.concatenate([np.full(nb, tc), lot_cost]),
        d=d,
        B=B,
        p=p,
        G=np.vstack(rows),
        h=np.asarray(h),
    )
    te2 = float(active @ sig_active)
    return AccountProblem(
        a,
        value,
        assets,
        w0,
        target,
        buy_asset,
        lots[keep],
        gain[keep],
        rate[keep],
        kappa,
        budget,
        gamma * te2,
        qp,
        sub,
    )


def scale_risk_aversion(problem: AccountProblem, factor: float) -> AccountProblem:
    """``problem`` with its risk aversion multiplied by ``factor`` (> 0): only the risk terms of the
    objective scale (``d``, ``p`` and the offset by ``factor``, ``B`` by its square root), so this
    is :func:`build_problem` at the new risk aversion without building again (the same numbers to
    the last bit when ``factor`` is a power of 4, as the escalation's default of 4 is)."""
    qp = problem.qp
    scaled = replace(qp, d=qp.d * factor, B=qp.B * np.sqrt(factor), p=qp.p * factor)
    return replace(problem, qp=scaled, te2_offset=problem.te2_offset * factor)
