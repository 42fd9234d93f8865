"""Page one of a proposal: the prospect at a glance and the implementation we suggest.

The seed's questions (PRODUCT.md) -- portfolio size and complexity, legacy positions, funding,
number of accounts -- answered from the lots and prices alone, and the implementation (a
manager-traded SMA or a model-delivered UMA, issue 19) chosen against the firm's minimums
(``[engine] sma_minimum_usd``, ``uma_minimum_usd``), with the reason in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sma.inbox import Implementation

#: A single position above this share of value is a concentrated position.
CONCENTRATED_SHARE = 0.10


@dataclass(frozen=True)
class ProspectProfile:
    """The answers of page one. Money in USD, shares as fractions of ``value``.

    positions : DataFrame -- symbol, quantity, value, cost_basis, unrealized_gain, share,
        in_universe; largest first
    """

    value: float
    cash: float
    in_kind: float
    accounts: int
    lots: int
    positions: pd.DataFrame
    unrealized_gain: float
    short_term_lots: int
    complexity: str
    implementation: Implementation | None
    why: str

    @property
    def largest(self) -> pd.Series:
        """The largest position's row."""
        return self.positions.iloc[0]

    @property
    def outside(self) -> pd.DataFrame:
        """Positions the firm's universe does not have."""
        return self.positions[~self.positions["in_universe"]]


def _complexity(positions: pd.DataFrame, lots: int, accounts: int) -> str:
    """Simple, moderate or complex, and what makes it so."""
    reasons = []
    concentrated = positions[positions["share"] > CONCENTRATED_SHARE]
    if len(concentrated):
        reasons.append(f"{len(concentrated)} concentrated position(s)")
    if (~positions["in_universe"]).any():
        reasons.append(f"{int((~positions['in_universe']).sum())} holding(s) outside our universe")
    if accounts > 1:
        reasons.append(f"{accounts} accounts")
    if lots > 50:
        reasons.append(f"{lots} tax lots")
    level = "simple" if not reasons else "moderate" if len(reasons) == 1 else "complex"
    return level + (f": {', '.join(reasons)}" if reasons else "")


def suggested_implementation(
    value: float, sma_minimum: float, uma_minimum: float, outside_share: float
) -> tuple[Implementation | None, str]:
    """A manager-traded SMA when the account reaches the firm's SMA minimum, a model-delivered
    UMA when it reaches only the UMA minimum, neither below both; with the reason in plain words.

    Parameters
    ----------
    value : float -- USD the account would be funded with
    sma_minimum, uma_minimum : float -- the firm's minimums, USD
    outside_share : float -- share of value held in funds and stocks outside our universe
    """
    if value >= sma_minimum:
        why = (
            f"At ${value:,.0f} the account is above our ${sma_minimum:,.0f} minimum for a "
            "manager-traded SMA: we hold the index's stocks directly, so we can choose which tax "
            "lots to sell, spread the gains of the legacy positions over the years within the "
            "budget you choose, and harvest losses along the way."
        )
        if outside_share > 0.25:
            why += (
                " A large part is in outside funds: if you want to keep an outside manager's "
                "strategy, a UMA could hold it as a sleeve beside our index."
            )
        return Implementation.MANAGER_TRADED, why
    if value >= uma_minimum:
        return Implementation.UMA, (
            f"At ${value:,.0f} the account is below our ${sma_minimum:,.0f} minimum for a "
            f"manager-traded SMA but above the ${uma_minimum:,.0f} UMA minimum: a model-delivered "
            "UMA follows managers' models as sleeves and still tax-manages the account as one."
        )
    return None, (
        f"At ${value:,.0f} the account is below both our minimums (${uma_minimum:,.0f} for a UMA, "
        f"${sma_minimum:,.0f} for an SMA): a broad index fund would serve it at lower cost."
    )


def prospect_profile(
    lots: pd.DataFrame,
    cash: float,
    prices: pd.Series,
    universe: set[str],
    day: np.datetime64,
    sma_minimum: float,
    uma_minimum: float,
) -> ProspectProfile:
    """Page one's answers for a prospect's lots and cash.

    Parameters
    ----------
    lots : DataFrame -- symbol, quantity, cost_basis (USD), acquired_date; account_id optional
    cash : float -- USD
    prices : Series -- USD per share by symbol, every lot's symbol
    universe : set of str -- the symbols the firm trades
    day : datetime64[D] -- the day valued (short-term: held one year or less, IRC section 1222)
    sma_minimum, uma_minimum : float -- the firm's minimums, USD
    """
    value = lots["quantity"].to_numpy(float) * prices.reindex(lots["symbol"]).to_numpy(float)
    frame = pd.DataFrame(
        {
            "symbol": lots["symbol"].astype(str).to_numpy(),
            "quantity": lots["quantity"].to_numpy(float),
            "value": value,
            "cost_basis": lots["cost_basis"].to_numpy(float),
        }
    )
    positions = frame.groupby("symbol", as_index=False)[["quantity", "value", "cost_basis"]].sum()
    in_kind = float(positions["value"].sum())
    total = in_kind + float(cash)
    positions["unrealized_gain"] = positions["value"] - positions["cost_basis"]
    positions["share"] = positions["value"] / max(total, 1.0)
    positions["in_universe"] = positions["symbol"].isin(universe)
    positions = positions.sort_values(["value", "symbol"], ascending=[False, True])
    positions = positions.reset_index(drop=True)
    accounts = int(lots["account_id"].nunique()) if "account_id" in lots else 1
    held_since = pd.to_datetime(lots["acquired_date"]).to_numpy().astype("datetime64[D]")
    one_year = np.datetime64(pd.Timestamp(day) - pd.DateOffset(years=1), "D")
    outside_share = float(positions.loc[~positions["in_universe"], "share"].sum())
    implementation, why = suggested_implementation(total, sma_minimum, uma_minimum, outside_share)
    return ProspectProfile(
        value=total,
        cash=float(cash),
        in_kind=in_kind,
        accounts=max(accounts, 1),
        lots=len(lots),
        positions=positions,
        unrealized_gain=float(positions["unrealized_gain"].sum()),
        short_term_lots=int((held_since >= one_year).sum()),
        complexity=_complexity(positions, len(lots), accounts),
        implementation=implementation,
        why=why,
    )
