"""What a run shows, per account and simulated year, and over the whole run.

Conventions (stated in the report):

- Returns are time-weighted: day t's return is ``(V_t - F_t) / V_{t-1} - 1`` (F = external flows).
- Taxes are paid, or refunds received, outside the account at each year's last close: the after-tax
  return of that day is ``(V_t - F_t - tax) / V_{t-1} - 1``. Tax alpha = after-tax return minus
  pre-tax return (a strategy that realizes nothing has tax alpha 0; one that realizes gains, less).
- With liquidation: on the last day every open lot is also sold and its tax paid (netting with the
  carryforward, losses saving tax as the held-away assumption says).
- Tracking error: annualised standard deviation of the account's daily return minus its benchmark's.
- Turnover: sales over the year's mean account value. Losses harvested: cumulative losses the
  strategy realized by its own sales (after wash-sale add-backs) over the initial value; a loss a
  corporate action realized (a cash merger below basis, worthless stock) was nobody's choice and is
  no harvest, though its tax counts.
- Wash-sale violations: the strategy's own sales whose loss a purchase within 30 days disallowed
  (IRC section 1091). A row a corporate action realized (cash in lieu of a fraction, a cash merger)
  whose loss was disallowed so was no sale of the strategy's: counted apart, as wash sales by
  corporate actions.
- Gain-budget breaches: account-years in which, on some day, the strategy's own sales realized more
  net gain than the budget had left (the year's earlier rows and the day's corporate actions
  counted first, the engine's own rule), by more than a dollar. An account-year whose net realized
  gains ended more than a dollar over the budget without such a day was put over by corporate
  actions (a cash merger, cash in lieu) after its budget was spent: counted apart, as gain budgets
  exceeded by corporate actions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.ledger import is_long_term
from sma.simulate._loop import PathRun
from sma.simulate._params import HeldAwayGains
from sma.simulate._taxes import year_tax

TRADING_DAYS = 252
#: The conventions above, for the report.
CONVENTIONS = __doc__
YEAR_COLUMNS = [
    "strategy",
    "vintage",
    "account_id",
    "profile",
    "year",
    "pre_tax_return",
    "after_tax_return",
    "tax_alpha",
    "tax_paid",
    "losses_harvested_pct",
    "tracking_error",
    "turnover",
    "wash_sale_violations",
    "wash_sales_by_actions",
    "gain_budget_breaches",
    "gain_budget_exceeded_by_actions",
    "loss_carryforward",
    "end_value",
]
#: Each account's whole-run figures, the summary's columns after its keys (strategy, vintage,
#: account, profile, years); the report averages them by strategy and profile.
SUMMARY_FIGURES = [
    "pre_tax_return",
    "after_tax_return",
    "tax_alpha",
    "tax_alpha_liquidated",
    "losses_harvested_pct",
    "tracking_error",
    "turnover",
    "wash_sale_violations",
    "wash_sales_by_actions",
    "gain_budget_breaches",
    "gain_budget_exceeded_by_actions",
    "loss_carryforward",
]
#: The summary figures that count events (rows, account-years); the others are returns, ratios
#: and dollars.
COUNT_FIGURES = [
    "wash_sale_violations",
    "wash_sales_by_actions",
    "gain_budget_breaches",
    "gain_budget_exceeded_by_actions",
]
SUMMARY_COLUMNS = ["strategy", "vintage", "account_id", "profile", "years", *SUMMARY_FIGURES]


def _annual(growth: np.ndarray, years: float) -> np.ndarray:
    return np.sign(growth) * np.abs(growth) ** (1.0 / years) - 1.0


def _liquidation_tax(
    run: PathRun,
    closes_last: np.ndarray,
    symbols: np.ndarray,
    ids: np.ndarray,
    carry_st,
    carry_lt,
    st_rate,
    lt_rate,
    held_away,
) -> np.ndarray:
    lots = run.open_lots
    a = pd.Index(ids).get_indexer(lots["account_id"].astype(str))
    j = pd.Index(symbols).get_indexer(lots["symbol"].astype(str))
    gain = (
        lots["quantity"].to_numpy(float) * closes_last[j]
        - lots["cost_basis_cents"].to_numpy(float) / 100
    )
    lt = is_long_term(
        lots["adjusted_acquired_date"].to_numpy().astype("datetime64[D]"), run.dates[-1]
    )
    st_g, lt_g = np.zeros(ids.size), np.zeros(ids.size)
    np.add.at(st_g, a[~lt], gain[~lt])
    np.add.at(lt_g, a[lt], gain[lt])
    return year_tax(st_g, lt_g, carry_st, carry_lt, st_rate, lt_rate, held_away)[0]


def _spent_past_budget(
    acc: np.ndarray, day: np.ndarray, gain: np.ndarray, by_action: np.ndarray, budget: np.ndarray
) -> np.ndarray:
    """Whether each account's own sales, on some day of one year's realized rows, realized more net
    gain than its budget had left: the budget less the net gains of the year's earlier days and of
    the day's corporate actions (booked before the day's decision, as the engine sees them:
    ``sma.ledger.gain_budget_remaining``, never below zero), by more than a dollar.

    Parameters
    ----------
    acc : ndarray of int, shape (r,) -- each row's account (0..m-1)
    day : ndarray of datetime64[D], shape (r,) -- its sale date
    gain : ndarray of shape (r,) -- its net realized gain, USD
    by_action : ndarray of bool, shape (r,) -- booked by a corporate action, not a sale
    budget : ndarray of shape (m,) -- each account's yearly gain budget, USD (nan: none)

    Returns
    -------
    ndarray of bool, shape (m,)
    """
    spent = np.zeros(budget.size, bool)
    if acc.size == 0:
        return spent
    rows = pd.DataFrame(
        {
            "acc": acc,
            "day": day,
            "own": np.where(by_action, 0.0, gain),
            "action": np.where(by_action, gain, 0.0),
        }
    )
    days = rows.groupby(["acc", "day"], sort=True)[["own", "action"]].sum().reset_index()
    days["after"] = (days["own"] + days["action"]).groupby(days["acc"]).cumsum()
    before_own = days["after"].to_numpy() - days["own"].to_numpy()
    a = days["acc"].to_numpy()
    left = np.clip(budget[a] - before_own, 0.0, None)
    over = days["own"].to_numpy() > np.nan_to_num(left, nan=np.inf) + 1.0
    spent[a[over]] = True
    return spent


def run_metrics(
    run: PathRun,
    vintage: int,
    accounts: pd.DataFrame,
    profile: np.ndarray,
    index_levels: np.ndarray,
    closes_last: np.ndarray,
    symbols: np.ndarray,
    held_away: HeldAwayGains,
    initial_value: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-year rows (``YEAR_COLUMNS``) and whole-run rows (``SUMMARY_COLUMNS``) of one run.

    ``index_levels`` is (T,) per account's benchmark: shape (T, m). ``initial_value`` (m,) USD.
    """
    ids = accounts["account_id"].to_numpy(str)
    m, T = ids.size, run.dates.size
    st_rate, lt_rate = (
        accounts["st_tax_rate"].to_numpy(float),
        accounts["lt_tax_rate"].to_numpy(float),
    )
    budget = pd.to_numeric(accounts["gain_budget"], errors="coerce").to_numpy(float)
    prev = np.vstack([initial_value, run.value[:-1]])
    alive = prev > 1.0  # an emptied account has no return
    safe = np.where(alive, prev, 1.0)
    r = np.where(alive, (run.value - run.flow) / safe - 1.0, 0.0)
    b = np.vstack([np.ones((1, m)), index_levels[1:] / index_levels[:-1]]) - 1.0
    year = run.dates.astype("datetime64[Y]").astype(int) + 1970
    real = run.realized
    r_acc = pd.Index(ids).get_indexer(real["account_id"].astype(str))
    r_day = pd.to_datetime(real["sale_date"]).to_numpy("datetime64[D]")
    r_year = r_day.astype("datetime64[Y]").astype(int) + 1970
    gain = real["gain_cents"].to_numpy(float) / 100
    long = real["term"].astype(str).to_numpy() == "LONG"
    by_action = np.zeros(len(real), bool)
    by_action[: run.realized_by_actions.size] = run.realized_by_actions
    harvest = (gain < 0) & ~by_action
    washed = (real["wash_sale_disallowed_cents"].to_numpy() > 0) | (
        real["permanently_disallowed_cents"].to_numpy() > 0
    )
    washed_by_action, washed = washed & by_action, washed & ~by_action
    tr = run.trades
    t_acc = pd.Index(ids).get_indexer(tr["account_id"].astype(str))
    t_year = pd.to_datetime(tr["trade_date"]).dt.year.to_numpy()
    sold = np.where(
        tr["side"].astype(str).to_numpy() == "SELL",
        (tr["quantity"] * tr["price"]).to_numpy(float),
        0.0,
    )
    carry_st, carry_lt = np.zeros(m), np.zeros(m)
    harvested = np.zeros(m)
    tax_growth, growth = np.ones(m), np.ones(m)
    rows, te_all, turn_all, breach_all = [], [], [], np.zeros(m, int)
    exceeded_all = np.zeros(m, int)
    washed_all, by_actions_all = np.zeros(m, int), np.zeros(m, int)
    years = np.unique(year)
    for y in years:
        d = year == y
        in_y = r_year == y
        st_g, lt_g = np.zeros(m), np.zeros(m)
        np.add.at(st_g, r_acc[in_y & ~long], gain[in_y & ~long])
        np.add.at(lt_g, r_acc[in_y & long], gain[in_y & long])
        np.add.at(harvested, r_acc[in_y & harvest], -gain[in_y & harvest])
        tax, carry_st, carry_lt = year_tax(
            st_g, lt_g, carry_st, carry_lt, st_rate, lt_rate, held_away
        )
        last = np.flatnonzero(d)[-1]
        r_at = r[d].copy()
        r_at[-1] -= tax / safe[last]
        pre, post = np.prod(1 + r[d], axis=0), np.prod(1 + r_at, axis=0)
        growth, tax_growth = growth * pre, tax_growth * post
        te = (
            np.std(r[d] - b[d], axis=0, ddof=1) * np.sqrt(TRADING_DAYS)
            if d.sum() > 1
            else np.zeros(m)
        )
        turn = np.zeros(m)
        np.add.at(turn, t_acc[t_year == y], sold[t_year == y])
        turn /= np.maximum(run.value[d].mean(axis=0), 1.0)
        w = np.bincount(r_acc[in_y & washed], minlength=m)
        w_actions = np.bincount(r_acc[in_y & washed_by_action], minlength=m)
        over = (st_g + lt_g) > np.nan_to_num(budget, nan=np.inf) + 1.0
        spent = _spent_past_budget(r_acc[in_y], r_day[in_y], gain[in_y], by_action[in_y], budget)
        breach, exceeded = spent.astype(int), (over & ~spent).astype(int)
        exceeded_all += exceeded
        te_all.append(te)
        turn_all.append(turn)
        washed_all += w
        by_actions_all += w_actions
        breach_all += breach
        rows.append(
            pd.DataFrame(
                {
                    "strategy": str(run.strategy),
                    "vintage": vintage,
                    "account_id": ids,
                    "profile": profile.astype(str),
                    "year": int(y),
                    "pre_tax_return": pre - 1,
                    "after_tax_return": post - 1,
                    "tax_alpha": post - pre,
                    "tax_paid": tax,
                    "losses_harvested_pct": harvested / initial_value,
                    "tracking_error": te,
                    "turnover": turn,
                    "wash_sale_violations": w,
                    "wash_sales_by_actions": w_actions,
                    "gain_budget_breaches": breach,
                    "gain_budget_exceeded_by_actions": exceeded,
                    "loss_carryforward": 0.0 - (carry_st + carry_lt),  # never -0
                    "end_value": run.value[last],
                }
            )
        )
    n_years = T / TRADING_DAYS
    liq = _liquidation_tax(
        run, closes_last, symbols, ids, carry_st, carry_lt, st_rate, lt_rate, held_away
    )
    liq_growth = tax_growth * (1.0 - liq / np.where(run.value[-1] > 0, run.value[-1], 1.0))
    pre_a, post_a = _annual(growth, n_years), _annual(tax_growth, n_years)
    summary = pd.DataFrame(
        {
            "strategy": str(run.strategy),
            "vintage": vintage,
            "account_id": ids,
            "profile": profile.astype(str),
            "years": len(years),
            "pre_tax_return": pre_a,
            "after_tax_return": post_a,
            "tax_alpha": post_a - pre_a,
            "tax_alpha_liquidated": _annual(liq_growth, n_years) - pre_a,
            "losses_harvested_pct": harvested / initial_value,
            "tracking_error": np.mean(te_all, axis=0),
            "turnover": np.mean(turn_all, axis=0),
            "wash_sale_violations": washed_all,
            "wash_sales_by_actions": by_actions_all,
            "gain_budget_breaches": breach_all,
            "gain_budget_exceeded_by_actions": exceeded_all,
            "loss_carryforward": 0.0 - (carry_st + carry_lt),  # never -0
        }
    )
    return pd.concat(rows, ignore_index=True)[YEAR_COLUMNS], summary[SUMMARY_COLUMNS]
