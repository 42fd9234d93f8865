"""``sma statements --period 2026-Q3``: one PDF statement (and a Form 8949 report) per account.

Every figure comes from the store: daily values for returns, the inbox snapshot of the period's
last day for holdings and cash, the benchmark from prices and its weights on every date the store
has them (``inbox_benchmarks``: chained daily, drifting between those dates), trades from the
history and the nights, realized gains from the ledger's rows. A period whose last day has no
snapshot is refused: a statement never shows holdings it cannot trace to lots. The firm's name,
address, logo and disclosures come from ``[statements]`` in the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.errors import PipelineError
from pipelines.settings import Settings, StatementSettings
from pipelines.store import open_store
from sma.inbox import ID_PATTERN
from sma.ledger import is_long_term, paid_out
from sma.reporting import (
    Firm,
    Period,
    StatementData,
    benchmark_daily_returns,
    corporate_action_activity,
    sleeve_performance,
)
from sma.uma import attribute_lots, models_in_force


class StatementError(PipelineError):
    """Statements cannot be written for this period; the message says why."""


def parse_period(label: str) -> Period:
    """``2026-Q3`` (a quarter) or ``2026-09`` (a month)."""
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", label):
        year, q = int(m[1]), int(m[2])
        start = date(year, 3 * q - 2, 1)
    elif m := re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", label):
        year, q, start = int(m[1]), None, date(int(m[1]), int(m[2]), 1)
    else:
        raise StatementError(f"period {label!r} is not a quarter (2026-Q3) or a month (2026-09)")
    months = 3 if q else 1
    end = (pd.Timestamp(start) + pd.DateOffset(months=months) - pd.Timedelta(days=1)).date()
    return Period(start, end, label)


@dataclass(frozen=True)
class _Book:
    snapshot: date
    accounts: pd.DataFrame
    lots: pd.DataFrame
    cash: pd.DataFrame
    securities: pd.DataFrame
    closes: pd.DataFrame  # date x symbol
    benchmarks: (
        pd.DataFrame
    )  # as_of_date, benchmark_id, symbol, weight: every date up to the snapshot
    # the SPINOFF and RETURN_OF_CAPITAL rows up to the snapshot (``_paid``), once per run
    distributions: pd.DataFrame | None = None
    # date x symbol: what benchmark members paid their holders besides their close
    paid: pd.DataFrame | None = None


def _paid(closes: pd.DataFrame, distributions: pd.DataFrame | None, symbols) -> pd.DataFrame:
    """What ``symbols`` paid their holders besides their close (``sma.ledger.paid_out``): only
    theirs, so a spin-off elsewhere whose new shares the store cannot price stops no statement."""
    if distributions is None:
        return paid_out(closes, None)
    named = distributions["symbol"].astype(str).isin(set(map(str, symbols)))
    return paid_out(closes, distributions[named])


def _read(con, period: Period) -> _Book:
    snap = con.execute(
        "SELECT max(as_of_date) FROM snapshots WHERE as_of_date <= ? AND as_of_date >= ?",
        [period.end, period.end - pd.Timedelta(days=6)],
    ).fetchone()[0]
    if snap is None:
        raise StatementError(
            f"no snapshot of the book at the end of {period.label} ({period.end}): statements "
            "need the holdings "
            "of the period's last business day"
        )
    q = lambda sql: con.execute(sql, [snap]).df()  # noqa: E731
    prices = con.execute(
        "SELECT date, symbol, close FROM inbox_prices WHERE date <= ? ORDER BY date", [snap]
    ).df()
    closes = prices.pivot(index="date", columns="symbol", values="close").sort_index()
    benchmarks = q(
        "SELECT as_of_date, benchmark_id, symbol, weight FROM inbox_benchmarks WHERE "
        "as_of_date <= ? "
        "ORDER BY as_of_date, benchmark_id, symbol"
    )
    # Returns measured on closes count what was paid out (a benchmark's, a sleeve's, a model's).
    distributions = q(
        "SELECT DISTINCT symbol, ex_date, kind, ratio, new_symbol, amount_per_share "
        "FROM inbox_corporate_actions WHERE ex_date <= ? AND kind IN ('SPINOFF', "
        "'RETURN_OF_CAPITAL')"
    )
    return _Book(
        snap,
        q("SELECT * FROM inbox_accounts WHERE as_of_date = ?"),
        q(
            "SELECT account_id, lot_id, symbol, quantity, "
            "CAST(cost_basis AS DOUBLE) AS cost_basis, "
            "coalesce(adjusted_acquired_date, acquired_date) AS holding_start FROM inbox_lots "
            "WHERE as_of_date = ?"
        ),
        q(
            "SELECT account_id, CAST(amount AS DOUBLE) AS amount FROM inbox_cash WHERE "
            "as_of_date = ?"
        ),
        q("SELECT symbol, name, sector FROM inbox_securities WHERE as_of_date = ?"),
        closes,
        benchmarks,
        distributions,
        _paid(closes, distributions, benchmarks["symbol"].unique()),
    )


def _benchmark_returns(book: _Book, benchmark_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily returns of the benchmark held as its provider holds it, and its sector weights at the
    snapshot.

    Its weights on each date the store has them are a rebalance at that day's close; in between
    they drift with prices (``sma.reporting.benchmark_daily_returns``); a spin-off's new shares
    and a return of capital go back into it on their ex-date (``sma.ledger.paid_out``).
    """
    dated = book.benchmarks[book.benchmarks["benchmark_id"] == benchmark_id]
    if dated.empty:
        raise StatementError(
            f"benchmark {benchmark_id} has no weights in the store up to {book.snapshot}"
        )
    daily = benchmark_daily_returns(
        book.closes, dated[["as_of_date", "symbol", "weight"]], book.paid
    )
    w = dated[dated["as_of_date"] == dated["as_of_date"].max()].set_index("symbol")["weight"]
    sectors = w.groupby(book.securities.set_index("symbol")["sector"].reindex(w.index)).sum()
    return daily, pd.DataFrame(
        {"sector": sectors.index, "weight": sectors.to_numpy() / sectors.sum()}
    )


def _positions(lots: pd.DataFrame, on: date) -> pd.DataFrame:
    """Lots summed per symbol, with the shares held more than a year on ``on`` (IRS Pub. 550)."""
    start = pd.to_datetime(lots["holding_start"]).to_numpy().astype("datetime64[D]")
    long_term = (
        is_long_term(start, np.datetime64(on, "D")) if len(lots) else np.zeros(0, dtype=bool)
    )
    lots = lots.assign(
        long_term_quantity=np.where(long_term, lots["quantity"].to_numpy(dtype=float), 0.0)
    )
    return lots.groupby("symbol", as_index=False)[
        ["quantity", "cost_basis", "long_term_quantity"]
    ].sum()


def firm_of(settings: StatementSettings) -> Firm:
    """The firm as statements print it, its logo read from the settings' path."""
    logo = Path(settings.logo).expanduser().read_bytes() if settings.logo else None
    return Firm(settings.firm_name, tuple(settings.firm_address), tuple(settings.disclosures), logo)


def _uma_sleeves(con, period: Period, book: _Book, acc: str, cash: float) -> pd.DataFrame | None:
    """Issue 19: a UMA account's sleeve table (``sma.reporting.sleeve_performance``) from the
    store's lot attribution (``uma_lot_sleeves``, with each night's shares from ``inbox_lots``),
    its sleeves at the snapshot and every model version; None for an account without sleeves."""
    sleeves = con.execute(
        "SELECT sleeve_id, model_id, target_weight FROM inbox_sleeves WHERE as_of_date = ? "
        "AND account_id = ? ORDER BY target_weight DESC, sleeve_id",
        [book.snapshot, acc],
    ).df()
    if sleeves.empty:
        return None
    lot_sleeves = con.execute(
        "SELECT s.as_of_date, s.lot_id, s.symbol, l.quantity, s.sleeve_id FROM uma_lot_sleeves s "
        "JOIN inbox_lots l ON l.as_of_date = s.as_of_date AND l.account_id = s.account_id "
        "AND l.lot_id = s.lot_id WHERE s.account_id = ? AND s.as_of_date <= ? "
        "ORDER BY s.as_of_date, s.lot_id",
        [acc, period.end],
    ).df()
    models = con.execute(
        "SELECT DISTINCT provider_id, model_id, effective_date, symbol, weight FROM inbox_models "
        "WHERE effective_date <= ?",  # the versions in force in the period, whenever delivered
        [period.end],
    ).df()
    if lot_sleeves.empty:  # no night recorded the sleeves by the period's end: attribute them now
        lot_sleeves = _attributed_at_snapshot(book, acc, sleeves, models, cash)
    named = set(lot_sleeves["symbol"].astype(str)) | set(models["symbol"].astype(str))
    paid = _paid(book.closes, book.distributions, named)
    return sleeve_performance(
        lot_sleeves, book.closes, sleeves, models, cash, period.start, period.end, paid
    )


def _attributed_at_snapshot(
    book: _Book, acc: str, sleeves: pd.DataFrame, models: pd.DataFrame, cash: float
) -> pd.DataFrame:
    """The account's lots at the period's snapshot in sleeves by the night's own rule for lots
    without one (``sma.uma.attribute_lots``): an account whose sleeves no night has recorded yet
    (the demo's simulated history, an account just moved to UMA) shows its sleeves' values at the
    period's end instead of nothing; its sleeve returns stay blank, having no nights behind them."""
    lots = book.lots[book.lots["account_id"].astype(str) == acc]
    closes = book.closes.loc[: pd.Timestamp(book.snapshot)]
    if lots.empty or closes.empty:
        return pd.DataFrame(columns=["as_of_date", "lot_id", "symbol", "quantity", "sleeve_id"])
    close = closes.iloc[-1]
    value = float((lots["quantity"] * lots["symbol"].map(close).astype(float)).sum()) + cash
    attributed = attribute_lots(
        lots,
        pd.DataFrame(columns=["account_id", "lot_id", "sleeve_id"]),
        sleeves.assign(account_id=acc),
        models_in_force(models, book.snapshot),
        close,
        pd.Series({acc: value}),
    )
    return attributed.assign(as_of_date=book.snapshot)[
        ["as_of_date", "lot_id", "symbol", "quantity", "sleeve_id"]
    ]


def _overlay_saved(runs_dir: Path | None, period: Period, acc: str) -> dict | None:
    """What the overlay saved the account over the period's nights, summed from each night's
    ``proposal/overlay_savings.parquet`` (run folders only: the store keeps none); None when no
    night of the period has the file."""
    if runs_dir is None:
        return None
    parts = []
    for folder in sorted(Path(runs_dir).glob("????-??-??")):
        try:
            night = date.fromisoformat(folder.name)
        except ValueError:
            continue
        path = folder / "proposal" / "overlay_savings.parquet"
        if period.start <= night <= period.end and path.exists():
            saved = pd.read_parquet(path)
            parts.append(saved[saved["account_id"] == acc].assign(night=night))
    if not parts:
        return None
    rows = pd.concat(parts, ignore_index=True)
    total = lambda column: float(rows[column].astype(float).sum())  # noqa: E731
    gains = lambda who: total(f"gain_st_{who}") + total(f"gain_lt_{who}")  # noqa: E731
    return {
        "nights": len(parts),
        "orders_netted_away": int(total("trades_independent") - total("trades_overlay")),
        "notional_netted_away": total("netted_away"),
        "gains_not_realized": gains("independent") - gains("overlay"),
        "tax_saved": total("tax_saved"),
        "wash_sales_avoided": int(total("wash_sales_independent") - total("wash_sales_overlay")),
    }


def statement_data(
    con,
    period: Period,
    book: _Book,
    account: pd.Series,
    firm: Firm | None = None,
    runs_dir: Path | None = None,
) -> StatementData:
    acc = account["account_id"]
    values = con.execute(
        "SELECT date, market_value + cash AS market_value, cash_flow FROM account_values "
        "WHERE account_id = ? AND date <= ? ORDER BY date",
        [acc, period.end],
    ).df()
    if values.empty:
        raise StatementError(f"account {acc} has no daily values up to {period.end}")
    last_close = book.closes.loc[: pd.Timestamp(book.snapshot)].iloc[-1]
    lots = book.lots[book.lots["account_id"] == acc]
    held = _positions(lots, book.snapshot)
    held = held.merge(book.securities, on="symbol", how="left").assign(
        price=lambda f: f["symbol"].map(last_close)
    )
    held["market_value"] = held["quantity"] * held["price"]
    trades = con.execute(
        "SELECT trade_date, symbol, side, quantity, price, quantity * price AS notional, reason "
        "FROM history_trades "
        "WHERE account_id = ? AND trade_date BETWEEN ? AND ? ORDER BY trade_date, side, symbol",
        [acc, period.start, period.end],
    ).df()
    flows = values[
        (pd.to_datetime(values["date"]).dt.date >= period.start) & (values["cash_flow"] != 0)
    ]
    realized = con.execute(
        "SELECT symbol, lot_id, acquired_date, sale_date, quantity, CAST(proceeds AS DOUBLE) AS "
        "proceeds, "
        "CAST(cost_basis AS DOUBLE) AS cost_basis, CAST(wash_sale_disallowed AS DOUBLE) AS "
        "wash_sale_disallowed, "
        "adjustment_code, CAST(gain AS DOUBLE) AS gain, term FROM realized_gains "
        "WHERE account_id = ? AND sale_date BETWEEN ? AND ? ORDER BY sale_date, lot_id",
        [acc, period.year_start, period.end],
    ).df()
    actions = con.execute(
        "SELECT DISTINCT * EXCLUDE (as_of_date) FROM inbox_corporate_actions "
        "WHERE ex_date BETWEEN ? AND ?",
        [period.start, period.end],
    ).df()
    symbols = set(held["symbol"]) | set(trades["symbol"]) | set(realized["symbol"])
    bench, sectors = _benchmark_returns(book, account["benchmark_id"])
    cash = book.cash.loc[book.cash["account_id"] == acc, "amount"]
    taxable = account["account_type"] == "TAXABLE"
    return StatementData(
        client=str(account["client_name"]),
        account_id=acc,
        account_type=str(account["account_type"]),
        period=period,
        values=values,
        benchmark_returns=bench,
        holdings=held[
            [
                "symbol",
                "name",
                "sector",
                "quantity",
                "price",
                "market_value",
                "cost_basis",
                "long_term_quantity",
            ]
        ],
        cash=float(cash.iloc[0]) if len(cash) else 0.0,
        benchmark_sectors=sectors,
        trades=trades,
        cash_flows=pd.DataFrame({"date": flows["date"], "amount": flows["cash_flow"]}),
        realized=realized.fillna({"adjustment_code": ""}),
        corporate_actions=corporate_action_activity(actions, symbols, period.start, period.end),
        st_tax_rate=float(account["st_tax_rate"]) if taxable else 0.0,
        lt_tax_rate=float(account["lt_tax_rate"]) if taxable else 0.0,
        benchmark_name=str(account["benchmark_id"]),
        inception=pd.Timestamp(account["inception_date"]).date()
        if pd.notna(account.get("inception_date"))
        else None,
        firm=firm or Firm(),
        sleeves=_uma_sleeves(con, period, book, acc, float(cash.iloc[0]) if len(cash) else 0.0),
        overlay_savings=_overlay_saved(runs_dir, period, acc),
        gifts=_gifts(con, period, acc),
    )


def _gifts(con, period: Period, acc: str) -> pd.DataFrame:
    """The account's charitable gifts delivered in the period (issue 21), one row per lot."""
    return con.execute(
        "SELECT as_of_date AS date, request_id, charity, symbol, quantity, "
        "CAST(market_value AS DOUBLE) AS market_value, "
        "CAST(unrealized_gain AS DOUBLE) AS unrealized_gain FROM gifts_delivered "
        "WHERE account_id = ? AND as_of_date BETWEEN ? AND ? ORDER BY as_of_date, request_id, "
        "symbol, lot_id",
        [acc, period.start, period.end],
    ).df()


def write_statements(
    period_label: str,
    settings: Settings,
    out: Path | None = None,
    accounts: list[str] | None = None,
    on_account=lambda account_id: None,
) -> list[Path]:
    """Write one statement PDF and one Form 8949 report per account; returns the PDF paths."""
    from pipelines.reports import write_form_8949, write_statement

    period = parse_period(period_label)
    folder = Path(out) if out else Path(settings.runs.dir).parent / "statements" / period.label
    written = []
    firm = firm_of(settings.statements)
    with open_store(settings.store.path, read_only=True) as con:
        book = _read(con, period)
        _check_accounts(accounts, set(book.accounts["account_id"]), period)
        chosen = (
            book.accounts
            if accounts is None
            else book.accounts[book.accounts["account_id"].isin(accounts)]
        )
        for _, account in chosen.sort_values("account_id").iterrows():
            data = statement_data(con, period, book, account, firm, Path(settings.runs.dir))
            written.append(write_statement(data, folder))
            if account["account_type"] == "TAXABLE":
                write_form_8949(
                    data.realized.assign(account_id=data.account_id),
                    data.client,
                    data.account_id,
                    period.end.year,
                    folder / "form8949",
                    firm.name,
                )
            on_account(account["account_id"])
    return written


def _check_accounts(accounts: list[str] | None, known: set[str], period) -> None:
    """Refuse an ``--account`` that is no account id (``../../x``) or not in the book."""
    for account_id in accounts or ():
        if not re.fullmatch(ID_PATTERN, account_id):
            raise StatementError(
                f"{account_id!r} is not an account id (letters, digits, '.', '_', '-')"
            )
        if account_id not in known:
            raise StatementError(f"no account {account_id} in the book for {period.label}")


def write_statement_slice(period_label: str, part: int, parts: int) -> int:
    """Statements for every ``parts``-th account starting at ``part`` (for parallel tasks); returns
    how many."""
    from pipelines.settings import load_settings

    settings = load_settings()
    with open_store(settings.store.path, read_only=True) as con:
        book = _read(con, parse_period(period_label))
    ids = sorted(book.accounts["account_id"])[part::parts]
    return len(write_statements(period_label, settings, accounts=ids)) if ids else 0


__all__ = [
    "StatementError",
    "parse_period",
    "statement_data",
    "write_statement_slice",
    "write_statements",
]
