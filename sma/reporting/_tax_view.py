"""What the year's harvested losses are worth in tax, stated so a client can check it.

The losses are netted as Schedule D nets them (IRS Publication 550, ch. 4, "Figuring Your Net
Gain or Loss"): short-term gains and losses net to a short-term figure, long-term to a
long-term figure, and a net loss in one offsets a net gain in the other. What is left as a net
capital loss offsets ordinary income up to $3,000 a year (IRC 1211(b); $1,500 married filing
separately), short-term losses first, and the rest carries forward to later years keeping its
character (IRC 1212(b)). The value of the losses this year is the tax on this account's gains
without them minus the tax with them, plus the ordinary-income offset at the short-term rate;
a carryforward is shown as an amount, not a value, because it is worth something only against
gains not yet realized.

The rates are the account's own (federal bracket + state + net investment income tax, as the
engine prices every trade with them). Only this account's gains are netted: gains and losses
elsewhere on the client's return change the figure, which the statement says.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Net capital loss deductible against ordinary income per year, USD (IRC 1211(b)(1)).
ORDINARY_LOSS_LIMIT = 3_000.0


@dataclass(frozen=True)
class LossValue:
    """The year's harvested losses in tax, USD (losses and carryforwards as positive amounts)."""

    tax_without_losses: float  # on this account's realized gains, as if no loss had been realized
    tax_with_losses: float  # on the net gains after netting
    ordinary_offset: float  # net capital loss set against ordinary income this year
    ordinary_offset_value: float  # ... at the short-term (ordinary income) rate
    carryforward_st: float
    carryforward_lt: float

    @property
    def value(self) -> float:
        """Tax this year's losses save this year: on gains netted away plus the ordinary offset."""
        return self.tax_without_losses - self.tax_with_losses + self.ordinary_offset_value

    @property
    def carryforward(self) -> float:
        return self.carryforward_st + self.carryforward_lt


def loss_tax_value(
    st_gains: float,
    st_losses: float,
    lt_gains: float,
    lt_losses: float,
    st_rate: float,
    lt_rate: float,
    limit: float = ORDINARY_LOSS_LIMIT,
) -> LossValue:
    """Net the year's realized gains and losses (Pub. 550 ch. 4) and value the losses.

    Parameters
    ----------
    st_gains, st_losses, lt_gains, lt_losses : float
        The year's realized gains and losses after wash-sale adjustments, USD, all >= 0.
    st_rate, lt_rate : float
        Combined marginal rates (fractions); 0 for an IRA or Roth IRA (no tax, nothing to value).
    limit : float
        The ordinary-income offset allowed per year (IRC 1211(b)).
    """
    st_net, lt_net = st_gains - st_losses, lt_gains - lt_losses
    without = st_gains * st_rate + lt_gains * lt_rate
    if st_net >= 0 and lt_net >= 0:
        return LossValue(without, st_net * st_rate + lt_net * lt_rate, 0.0, 0.0, 0.0, 0.0)
    if st_net < 0 <= lt_net or lt_net < 0 <= st_net:  # one term's net loss offsets the other's gain
        net = st_net + lt_net
        if net >= 0:
            return LossValue(
                without, net * (lt_rate if lt_net > 0 else st_rate), 0.0, 0.0, 0.0, 0.0
            )
        loss_st, loss_lt = (-net, 0.0) if st_net < 0 else (0.0, -net)
    else:
        loss_st, loss_lt = -st_net, -lt_net
    offset = min(limit, loss_st + loss_lt)
    from_st = min(offset, loss_st)  # short-term losses offset ordinary income first (IRC 1212(b))
    return LossValue(
        without, 0.0, offset, offset * st_rate, loss_st - from_st, loss_lt - (offset - from_st)
    )
