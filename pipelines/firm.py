"""``sma firm``: the whole firm on one page (issue 21, "Firm view"), read from the store with SQL.

Every figure on the page comes from one of the queries below, run as written against the store
(and, for the latest night's lock-up and holdings, its run folder's Parquet files through DuckDB's
``read_parquet``). The page names each figure's query and lists their SQL in an appendix, so a PM
or an auditor can rerun any number by hand. Parameters: ``$d`` the as-of date, ``$run`` the
latest night on or before it (``runs.as_of_date``), ``$lockup`` and ``$holdings`` that night's
``proposal/lockup.parquet`` and ``proposal/holdings.parquet``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from pipelines._atomic import write_atomically
from pipelines.errors import PipelineError
from pipelines.settings import Settings
from pipelines.store import open_store
from sma.reporting import FirmPage, render_firm_page

#: The nights the exceptions and held accounts are counted over.
NIGHTS = 30
#: Accounts and securities listed as the largest tracking-error contributors.
TOP = 10

LATEST_RUN = """
SELECT as_of_date, run_id, accounts, accounts_traded, accounts_held, orders, notional
FROM runs WHERE as_of_date <= $d ORDER BY as_of_date DESC LIMIT 1
"""

# Gains realized this calendar year, per taxable account against its gain budget (the budget of
# the latest inbox on or before the date; net gains: losses offset gains, as the engine counts).
BUDGET_BY_ACCOUNT = """
WITH acc AS (
  SELECT account_id, client_name, CAST(gain_budget AS DOUBLE) AS gain_budget
  FROM inbox_accounts
  WHERE as_of_date = (SELECT max(as_of_date) FROM inbox_accounts WHERE as_of_date <= $d)
    AND account_type = 'TAXABLE'),
ytd AS (
  SELECT account_id, CAST(sum(gain) AS DOUBLE) AS realized_ytd FROM realized_gains
  WHERE sale_date BETWEEN date_trunc('year', $d) AND $d GROUP BY account_id)
SELECT acc.account_id, client_name, gain_budget, coalesce(realized_ytd, 0) AS realized_ytd,
       CASE WHEN gain_budget > 0 THEN coalesce(realized_ytd, 0) / gain_budget END AS used_share
FROM acc LEFT JOIN ytd USING (account_id)
ORDER BY used_share DESC NULLS LAST, account_id
"""

BUDGET_TOTALS = f"""
SELECT count(*) AS taxable_accounts,
       count(gain_budget) AS accounts_with_budget,
       coalesce(sum(gain_budget), 0) AS total_budget,
       coalesce(sum(realized_ytd) FILTER (gain_budget IS NOT NULL), 0) AS realized_within_budgets,
       coalesce(sum(realized_ytd), 0) AS realized_ytd,
       count(*) FILTER (used_share >= 0.9) AS accounts_over_90pct
FROM ({BUDGET_BY_ACCOUNT})
"""

LOCKED_UP = """
SELECT account_id, account_value, appreciated_share, harvest_potential, harvest_potential_share,
       te_after, max_tracking_error, gain_budget_left
FROM read_parquet($lockup) WHERE locked_up
ORDER BY te_after / max_tracking_error DESC, account_id
"""

LOCKUP_TOTALS = """
SELECT count(*) AS accounts, count(*) FILTER (locked_up) AS locked_up,
       coalesce(sum(appreciated_value) / nullif(sum(account_value), 0), 0) AS appreciated_share,
       coalesce(sum(harvest_potential), 0) AS harvest_potential,
       coalesce(sum(harvest_potential) / nullif(sum(account_value), 0), 0) AS harvest_share
FROM read_parquet($lockup)
"""

TE_ACCOUNTS = f"""
SELECT account_id, status, te_before, te_after, max_tracking_error, account_value
FROM run_decisions WHERE as_of_date = $run AND te_after IS NOT NULL AND NOT isnan(te_after)
ORDER BY te_after DESC, account_id LIMIT {TOP}
"""

# A security's part in the firm's tracking error, read as USD off target after the night: each
# account's |weight after - target| times its value, summed over accounts.
TE_SECURITIES = f"""
SELECT h.symbol, any_value(h.sector) AS sector, count(*) AS accounts,
       sum(abs(h.weight_after - h.target_weight) * d.account_value) AS usd_off_target,
       sum((h.weight_after - h.target_weight) * d.account_value) AS usd_over_target
FROM read_parquet($holdings) h JOIN run_decisions d
  ON d.account_id = h.account_id AND d.as_of_date = $run
GROUP BY h.symbol ORDER BY usd_off_target DESC, h.symbol LIMIT {TOP}
"""

LAST_NIGHTS = f"""
SELECT as_of_date FROM runs WHERE as_of_date <= $d ORDER BY as_of_date DESC LIMIT {NIGHTS}
"""

EXCEPTIONS_BY_NIGHT = f"""
SELECT as_of_date, kind, count(*) AS accounts FROM run_exceptions
WHERE as_of_date IN ({LAST_NIGHTS}) GROUP BY as_of_date, kind ORDER BY as_of_date DESC, kind
"""

HELD_BY_NIGHT = f"""
SELECT r.as_of_date, r.accounts, r.accounts_held,
       (SELECT count(*) FROM held_accounts h WHERE h.as_of_date = r.as_of_date) AS held_at_load
FROM runs r WHERE r.as_of_date IN ({LAST_NIGHTS}) ORDER BY r.as_of_date DESC
"""

HARVEST_BY_MONTH = """
SELECT strftime(as_of_date, '%Y-%m') AS month, count(DISTINCT as_of_date) AS nights,
       count(*) FILTER (losses_harvested > 0) AS account_nights_harvesting,
       sum(losses_harvested) AS losses_harvested, sum(est_tax_saved) AS est_tax_saved
FROM run_decisions
WHERE as_of_date BETWEEN date_trunc('year', $d) AND $d AND status IN ('TRADED', 'FLAGGED')
GROUP BY month ORDER BY month
"""

REALIZED_BY_MONTH = """
SELECT strftime(sale_date, '%Y-%m') AS month,
       CAST(sum(gain) FILTER (term = 'SHORT') AS DOUBLE) AS net_st,
       CAST(sum(gain) FILTER (term = 'LONG') AS DOUBLE) AS net_lt,
       CAST(sum(-gain) FILTER (gain < 0) AS DOUBLE) AS losses_booked,
       CAST(sum(wash_sale_disallowed) AS DOUBLE) AS wash_disallowed
FROM realized_gains WHERE sale_date BETWEEN date_trunc('year', $d) AND $d
GROUP BY month ORDER BY month
"""

#: Every query of the page, by the name the page shows beside its figures.
QUERIES = {
    "LATEST_RUN": LATEST_RUN,
    "BUDGET_TOTALS": BUDGET_TOTALS,
    "BUDGET_BY_ACCOUNT": BUDGET_BY_ACCOUNT,
    "LOCKUP_TOTALS": LOCKUP_TOTALS,
    "LOCKED_UP": LOCKED_UP,
    "TE_ACCOUNTS": TE_ACCOUNTS,
    "TE_SECURITIES": TE_SECURITIES,
    "EXCEPTIONS_BY_NIGHT": EXCEPTIONS_BY_NIGHT,
    "HELD_BY_NIGHT": HELD_BY_NIGHT,
    "HARVEST_BY_MONTH": HARVEST_BY_MONTH,
    "REALIZED_BY_MONTH": REALIZED_BY_MONTH,
}
_NEEDS = {"LOCKUP_TOTALS": "lockup", "LOCKED_UP": "lockup", "TE_SECURITIES": "holdings"}


class FirmViewError(PipelineError):
    """The firm view cannot be drawn for the date: no store, or no night on or before it."""


def firm_page(settings: Settings, as_of: date) -> FirmPage:
    """Run every query of ``QUERIES`` for ``as_of``; the page's data.

    Raises :class:`FirmViewError` when the store does not exist or holds no night on or before
    ``as_of``.
    """
    store = Path(settings.store.path)
    if not store.exists():
        raise FirmViewError(f"no store at {store}: run a night first (sma nightly --date D)")
    with open_store(store, read_only=True) as con:
        latest = con.execute(LATEST_RUN, {"d": as_of}).df()
        if latest.empty:
            raise FirmViewError(
                f"the store {store} holds no night on or before {as_of.isoformat()}: "
                "run one (sma nightly) or pick a later --date"
            )
        run = latest["as_of_date"].iloc[0]
        proposal = Path(settings.runs.dir) / str(latest["run_id"].iloc[0]) / "proposal"
        files = {"lockup": proposal / "lockup.parquet", "holdings": proposal / "holdings.parquet"}
        results: dict[str, pd.DataFrame | None] = {"LATEST_RUN": latest}
        for name, sql in QUERIES.items():
            if name == "LATEST_RUN":
                continue
            params: dict[str, object] = {}
            for key, value in (("d", as_of), ("run", run)):
                if f"${key}" in sql:
                    params[key] = value
            need = _NEEDS.get(name)
            if need is not None:
                if not files[need].exists():
                    results[name] = None  # a run folder from before the monitor, or removed
                    continue
                params[need] = str(files[need])
            results[name] = con.execute(sql, params).df()
    return FirmPage(as_of=as_of, results=results, queries=QUERIES, run_folder=str(proposal.parent))


def write_firm_view(settings: Settings, as_of: date, out: Path | None = None) -> Path:
    """Write the firm view of ``as_of`` as one HTML file (default ``<runs dir>/firm-<date>.html``);
    returns its path."""
    page = render_firm_page(firm_page(settings, as_of))
    path = out or Path(settings.runs.dir) / f"firm-{as_of.isoformat()}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, page.encode("utf-8"))
    return path
