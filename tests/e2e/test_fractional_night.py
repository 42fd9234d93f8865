"""Fractional shares end to end (issue 17): accounts whose inbox row sets ``fractional_shares``
go through a whole night -- the engine's orders to 0.001 share, compliance and the output
contracts, the blotter and its exports, a PM's approval and a trader's release -- and their
fills book fractional lots, while the book's whole-share accounts trade whole shares."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.e2e.test_fills_cli import fills_from_exports, release_a_night
from tests.nightly_env import AS_OF, sma


@pytest.fixture(scope="module")
def fractional_inbox(tmp_path_factory) -> Path:
    """The tiny book of the other nights, with about half its accounts fractional."""
    from pipelines.book import write_inbox
    from sma.book import BookParams, generate_book

    inbox = tmp_path_factory.mktemp("book") / "inbox"
    params = BookParams(price_days=300, fractional_share=0.5, fractional_below_usd=1e12)
    write_inbox(generate_book(8, 3, AS_OF, params), inbox, AS_OF, "csv")
    return inbox


def test_a_fractional_account_trades_and_books_fractions_through_a_night(
    fractional_inbox, tmp_path, os_users
):
    env, run = release_a_night(fractional_inbox, tmp_path)
    accounts = pd.read_csv(fractional_inbox / AS_OF.isoformat() / "accounts.csv")
    fractional = set(
        accounts.loc[
            accounts["fractional_shares"].astype(str).str.lower().isin(["true", "1"]),
            "account_id",
        ]
    )
    assert 0 < len(fractional) < len(accounts)
    exports = run / "blotter" / "exports"
    alloc = pd.read_csv(exports / "allocations.csv")
    mine = alloc[alloc["account_id"].isin(fractional)]
    assert (mine["quantity"] != mine["quantity"].round()).any()
    assert (mine["quantity"] == mine["quantity"].round(3)).all()
    others = alloc[~alloc["account_id"].isin(fractional)]
    assert len(others) and (others["quantity"] == others["quantity"].round()).all()
    desk = pd.read_csv(exports / "desk.csv", dtype=str)
    decimals = desk["quantity"].str.partition(".")[2].str.len()
    assert (decimals <= 3).all() and (decimals > 0).any()  # 0.3, never 0.30000000000000004

    fills_from_exports(run).to_csv(tmp_path / "fills.csv", index=False)
    done = sma(["fills", "load", str(tmp_path / "fills.csv")], env, tmp_path)
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True) as con:
        lots = con.execute(
            "SELECT account_id, quantity FROM ledger_lots WHERE as_of_date = ?", [AS_OF]
        ).df()
    booked = lots[lots["account_id"].isin(fractional)]["quantity"]
    assert (booked != booked.round()).any()
    whole = lots[~lots["account_id"].isin(fractional)]["quantity"]
    assert (whole == whole.round()).all()
