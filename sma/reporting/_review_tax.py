"""Tonight's tax cost beside tonight's tax saved, and each account's gain budget, for the review
page.

Tax cost: every lot sold at a gain costs its gain times the account's rate for the lot's term
(short or long; IRS Publication 550, "Capital Gains Tax Rates"). It is the per-lot tax cost the
optimiser weighs (PRODUCT.md, "The per-account decision") and the mirror of ``est_tax_saved``
(every lot sold at a loss, loss times rate): tax cost minus tax saved is tonight's net estimate.
Only TAXABLE accounts pay tax: sales inside an IRA or ROTH realize nothing taxable (IRS
Publication 590-B), so they count in neither the tax cost nor the taxable gains realized.

Gain budget: net gains realized in a calendar year may not exceed the account's budget
(PRODUCT.md). ``budget_used`` = realized so far this year (the store's ledger, before tonight) +
tonight's proposed net gain; ``budget_left`` = budget - used (negative when overspent). Accounts
without a budget (blank in the inbox, or not TAXABLE) show none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.ledger import usd_array_to_cents
from sma.reporting._frames import require_columns

#: The lot sells the tax figures are summed from (``realized_gain`` USD after the lot's basis).
LOT_GAIN_COLUMNS = ("account_id", "term", "realized_gain")
#: Per account: net gain proposed tonight per term, and the gains of lots sold at a gain per term
#: (USD).
GAIN_SUM_COLUMNS = ("net_st", "net_lt", "gains_st", "gains_lt")
#: What the tax figures need of each account (rates as fractions, budget and YTD in USD).
ACCOUNT_TAX_COLUMNS = (
    "account_id",
    "account_type",
    "st_tax_rate",
    "lt_tax_rate",
    "gain_budget",
    "realized_ytd",
)
#: The tax figures of each account, as the review page shows them (USD; NaN where no budget).
TAX_COLUMNS = (
    *GAIN_SUM_COLUMNS,
    "tax_cost",
    "gain_budget",
    "realized_ytd",
    "budget_used",
    "budget_left",
)
TAXABLE = "TAXABLE"


def lot_gain_sums(lot_sells: pd.DataFrame) -> pd.DataFrame:
    """``GAIN_SUM_COLUMNS`` per account (index ``account_id``, sorted) from lot sells
    (``LOT_GAIN_COLUMNS``).

    Sums add: the sums of two parts of the lot sells, added per account, are the sums of the whole.
    """
    require_columns("lot_sells", lot_sells, LOT_GAIN_COLUMNS)
    gain = lot_sells["realized_gain"].to_numpy(dtype=float)
    long_term = (lot_sells["term"].astype(str).str.upper() == "LONG").to_numpy()
    parts = pd.DataFrame(
        {
            "net_st": np.where(long_term, 0.0, gain),
            "net_lt": np.where(long_term, gain, 0.0),
            "gains_st": np.where(~long_term & (gain > 0), gain, 0.0),
            "gains_lt": np.where(long_term & (gain > 0), gain, 0.0),
        }
    )
    account = lot_sells["account_id"].astype(str)
    code, ids = pd.factorize(account, sort=True)
    if not len(code) or (code < 0).any():  # none, or one without an account (in no group)
        return parts.set_axis(account.to_numpy()).groupby(level=0).sum().rename_axis("account_id")
    # Grouped by each account's rank among the sorted ids: the same groups, rows and order as
    # grouping by the ids (so the same sums, to the bit), without hashing millions of them as
    # Python strings (issue 23: a 100,000-account night sells 42 M lots).
    sums = parts.groupby(code, sort=True).sum()
    sums.index = pd.Index(ids[sums.index.to_numpy()], name="account_id")
    return sums


def tax_figures(accounts: pd.DataFrame, sums: pd.DataFrame) -> pd.DataFrame:
    """``TAX_COLUMNS`` for every row of ``accounts`` (``ACCOUNT_TAX_COLUMNS``), in its order.

    Parameters
    ----------
    accounts : DataFrame
        One row per account: ``account_type`` (TAXABLE, IRA, ROTH), ``st_tax_rate``,
        ``lt_tax_rate`` fractions, ``gain_budget`` USD per year (NaN: none), ``realized_ytd`` USD
        net gains realized this calendar year before tonight.
    sums : DataFrame
        ``lot_gain_sums`` of tonight's proposed lot sells (accounts without sells absent).
    """
    require_columns("accounts", accounts, ACCOUNT_TAX_COLUMNS)
    ids = accounts["account_id"].astype(str)
    out = sums.reindex(ids.to_numpy()).fillna(0.0).reset_index(drop=True)[list(GAIN_SUM_COLUMNS)]
    taxable = (accounts["account_type"].astype(str).str.upper() == TAXABLE).to_numpy()
    st_rate = pd.to_numeric(accounts["st_tax_rate"], errors="coerce").fillna(0.0).to_numpy(float)
    lt_rate = pd.to_numeric(accounts["lt_tax_rate"], errors="coerce").fillna(0.0).to_numpy(float)
    out["tax_cost"] = np.where(taxable, out["gains_st"] * st_rate + out["gains_lt"] * lt_rate, 0.0)
    budget = pd.to_numeric(accounts["gain_budget"], errors="coerce").to_numpy(float)
    budget = np.where(taxable & np.isfinite(budget), budget, np.nan)
    ytd = pd.to_numeric(accounts["realized_ytd"], errors="coerce").fillna(0.0).to_numpy(float)
    out["gain_budget"] = budget
    out["realized_ytd"] = np.where(taxable, ytd, np.nan)
    used = ytd + out["net_st"].to_numpy() + out["net_lt"].to_numpy()
    out["budget_used"] = np.where(np.isfinite(budget), used, np.nan)
    out["budget_left"] = budget - out["budget_used"].to_numpy()
    # Booked per account in cents, as the decision records book tax saved: totals add the cents
    # shown.
    return out[list(TAX_COLUMNS)].round(2)


def tax_totals(decisions: pd.DataFrame) -> dict[str, float]:
    """The night's tax figures for the headline, over every account of ``decisions`` (USD).

    ``gains_realized_st``/``_lt`` are the TAXABLE accounts' net gains per term; ``untaxed_net`` the
    IRA and ROTH accounts' net gains, which no tax is due on. Budget totals are over accounts
    with a budget; ``over_budget`` counts those whose ``budget_left`` is negative.
    """
    taxable = (decisions["account_type"].astype(str).str.upper() == TAXABLE).to_numpy()
    col = {c: decisions[c].to_numpy(dtype=float) for c in (*TAX_COLUMNS, "est_tax_saved")}
    has_budget = np.isfinite(col["gain_budget"])
    untaxed = np.concatenate([col["net_st"][~taxable], col["net_lt"][~taxable]])
    return {
        "gains_realized_st": cents_total(col["net_st"][taxable]),
        "gains_realized_lt": cents_total(col["net_lt"][taxable]),
        "untaxed_net": cents_total(untaxed),
        "tax_cost": cents_total(col["tax_cost"]),
        "budgeted": int(has_budget.sum()),
        "gain_budget": cents_total(col["gain_budget"][has_budget]),
        "budget_used": cents_total(col["budget_used"][has_budget]),
        "budget_left": cents_total(col["budget_left"][has_budget]),
        "over_budget": int((col["budget_left"][has_budget] < -0.005).sum()),
    }


def cents_total(usd: np.ndarray) -> float:
    """The sum of amounts in USD, each taken to the cent (``sma.ledger``'s rule), added in integer
    cents: a total of the cents shown, with no float residue ("265111.1", not
    "265111.10000000003", in ``headline.json`` and the page's ``data-value``)."""
    return int(usd_array_to_cents(usd).sum()) / 100
