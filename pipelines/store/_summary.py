"""Headline figures of a stored snapshot: what operations and a PM want to see at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from sma.ledger import money


@dataclass(frozen=True)
class BookSummary:
    as_of: date
    accounts: int
    households: int
    accounts_by_type: dict[str, int]
    lots: int
    positions: int
    market_value: float  # USD, lots at the as-of close
    cash: float  # USD
    unrealized_gains: float  # USD, sum over lots with a gain
    unrealized_losses: float  # USD, sum over lots with a loss (negative)
    rows_quarantined: int
    accounts_held: int

    @property
    def aum(self) -> float:
        return self.market_value + self.cash


def book_summary(con: duckdb.DuckDBPyConnection, as_of: date) -> BookSummary:
    """Summarise the snapshot of ``as_of``; lots are valued at the last close on or before it."""
    snap = con.execute(
        "SELECT rows_quarantined, accounts_held FROM snapshots WHERE as_of_date = ?", [as_of]
    ).fetchone()
    if snap is None:
        raise LookupError(f"no snapshot for {as_of} in the store")
    accounts, households = con.execute(
        "SELECT count(*), count(DISTINCT household_id) FROM inbox_accounts WHERE as_of_date = ?",
        [as_of],
    ).fetchone()
    by_type = dict(
        con.execute(
            "SELECT account_type, count(*) FROM inbox_accounts WHERE as_of_date = ? "
            "GROUP BY 1 ORDER BY 1",
            [as_of],
        ).fetchall()
    )
    lots, positions, value, gains, losses = con.execute(
        """
        WITH close AS (
            SELECT symbol, arg_max(close, date) AS close
            FROM inbox_prices WHERE date <= ? GROUP BY symbol
        ), lot AS (
            SELECT l.account_id, l.symbol, l.quantity * c.close AS value,
                   l.quantity * c.close - CAST(l.cost_basis AS DOUBLE) AS gain
            FROM inbox_lots l JOIN close c USING (symbol)
            WHERE l.as_of_date = ?
        )
        SELECT count(*), count(DISTINCT (account_id, symbol)), coalesce(sum(value), 0),
               coalesce(sum(gain) FILTER (WHERE gain > 0), 0),
               coalesce(sum(gain) FILTER (WHERE gain < 0), 0)
        FROM lot
        """,
        [as_of, as_of],
    ).fetchone()
    cash = con.execute(
        "SELECT coalesce(sum(CAST(amount AS DOUBLE)), 0) FROM inbox_cash WHERE as_of_date = ?",
        [as_of],
    ).fetchone()[0]
    return BookSummary(
        as_of=as_of,
        accounts=accounts,
        households=households,
        accounts_by_type=by_type,
        lots=lots,
        positions=positions,
        market_value=float(value),
        cash=float(cash),
        unrealized_gains=float(gains),
        unrealized_losses=float(losses),
        rows_quarantined=snap[0],
        accounts_held=snap[1],
    )


def render_book_summary(s: BookSummary) -> str:
    """The book as ``make demo`` prints it; amounts in whole dollars, right-aligned, the sign before
    the dollar sign ("-$2,694,427")."""

    def usd(x: float) -> str:
        return money(x, cents=False)

    types = ", ".join(f"{n} {t}" for t, n in s.accounts_by_type.items())
    return "\n".join(
        [
            f"Book as of {s.as_of}",
            f"  accounts            {s.accounts:>14,}   ({types})",
            f"  households          {s.households:>14,}",
            f"  AUM                 {usd(s.aum):>14}   (securities {usd(s.market_value)}, cash "
            f"{usd(s.cash)})",
            f"  lots                {s.lots:>14,}   in {s.positions:,} positions",
            f"  unrealized gains    {usd(s.unrealized_gains):>14}",
            f"  unrealized losses   {usd(s.unrealized_losses):>14}",
            f"  quarantined rows    {s.rows_quarantined:>14,}",
            f"  accounts held out   {s.accounts_held:>14,}",
        ]
    )
