"""The lock-up monitor and the firm view end to end (issue 21): two nights of a small book in which
one account is locked up -- nearly all of it in lots bought at a third of tonight's price, a zero
gain budget and a tight tracking-error limit -- then ``sma firm``.

The lock-up figures are recomputed from the store's inbox snapshot and the run's wash-sale blocks
by plain SQL that shares no code with ``sma.lockup`` (the rules it states: a position is
appreciated when its unrealized gain is above the threshold of its basis; harvest potential is the
unrealized loss of the loss lots of a taxable, harvesting account, less those a wash sale blocks,
PRODUCT.md "Tax rules"); the firm view's figures are checked against SQL of their own.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.book import write_inbox
from pipelines.firm import QUERIES, write_firm_view
from pipelines.night import run_night
from pipelines.settings import Settings
from tests.e2e import small_book
from tests.nightly_env import sma, workplace

NIGHTS = (date(2026, 11, 2), date(2026, 11, 3))
LOCKED, FREE = "A3", "A1"
GAIN_THRESHOLD = 0.5


def book(day: date) -> dict[str, pd.DataFrame]:
    frames = small_book.initial_book(7, day)
    # One price history for both nights: the second night's inbox restates no close of the first.
    prices = small_book.price_history(7, NIGHTS[-1])
    frames["prices"] = prices[prices["date"] <= day].reset_index(drop=True)
    accounts = frames["accounts"]
    accounts["gain_budget"] = accounts["account_id"].map({LOCKED: 0.0})
    accounts["max_tracking_error"] = accounts["account_id"].map({LOCKED: 0.005}).fillna(0.03)
    lots = frames["lots"]
    mine = lots["account_id"] == LOCKED
    lots.loc[mine, "cost_basis"] = (lots.loc[mine, "cost_basis"] * 0.3).round(2)
    frames["tilts"] = pd.DataFrame(
        {"account_id": [LOCKED], "sector": ["Financials"], "symbol": [None], "multiplier": [1.5]}
    )
    return frames


@pytest.fixture(scope="module")
def firm(tmp_path_factory):
    root = tmp_path_factory.mktemp("firm")
    env = workplace(root)
    settings = Settings(
        store={"path": root / "store.duckdb"},
        storage={"uri": str(root / "storage")},
        runs={"dir": root / "runs"},
        night={"workers": 1, "accounts_per_shard": 3},
    )
    for day in NIGHTS:
        inbox = root / "inbox" / day.isoformat()
        write_inbox(book(day), inbox, day, "csv")
        run_night(day, inbox, settings, workers=1, progress=False)
    out = root / "firm.html"
    done = sma(["firm", "--date", NIGHTS[-1].isoformat(), "--out", str(out)], env, root)
    assert done.returncode == 0, done.stderr
    # The same page in this process (what the command does), byte for byte: a deterministic view.
    again = write_firm_view(settings, NIGHTS[-1], root / "again.html")
    assert again.read_bytes() == out.read_bytes()
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as con:
        yield root, env, con, out.read_text(encoding="utf-8")


#: Per account on the night $d: value, value in appreciated positions, and losses to harvest,
#: wash-blocked or not, from the inbox snapshot and the night's blocks file.
LOCKUP_SQL = """
WITH px AS (SELECT symbol, close FROM inbox_prices WHERE date = $d),
lots AS (SELECT l.account_id, l.symbol, l.quantity * px.close AS value,
                CAST(l.cost_basis AS DOUBLE) AS basis
         FROM inbox_lots l JOIN px USING (symbol) WHERE l.as_of_date = $d),
pos AS (SELECT account_id, symbol, sum(value) AS value, sum(basis) AS basis
        FROM lots GROUP BY ALL),
blocked AS (SELECT DISTINCT account_id, symbol FROM read_parquet($blocks)
            WHERE kind = 'LOSS_SALE_BLOCKED'),
acc AS (SELECT account_id, account_type = 'TAXABLE' AND tlh_enabled AS harvests
        FROM inbox_accounts WHERE as_of_date = $d),
cash AS (SELECT account_id, CAST(amount AS DOUBLE) AS cash FROM inbox_cash WHERE as_of_date = $d)
SELECT acc.account_id,
  (SELECT sum(value) FROM pos WHERE pos.account_id = acc.account_id) + cash.cash AS account_value,
  coalesce((SELECT sum(value) FROM pos WHERE pos.account_id = acc.account_id
            AND value - basis > $x * basis), 0) AS appreciated_value,
  coalesce((SELECT sum(basis - value) FROM lots WHERE lots.account_id = acc.account_id
            AND value < basis AND acc.harvests AND (account_id, symbol) NOT IN
            (SELECT (account_id, symbol) FROM blocked)), 0) AS harvest_potential
FROM acc JOIN cash USING (account_id) ORDER BY acc.account_id
"""


def run_folder(root: Path, day: date) -> Path:
    return root / "runs" / day.isoformat()


def test_lockup_figures_match_an_independent_query_of_the_store(firm):
    root, _, con, _ = firm
    for day in NIGHTS:
        proposal = run_folder(root, day) / "proposal"
        expected = con.execute(
            LOCKUP_SQL,
            {"d": day, "blocks": str(proposal / "blocks.parquet"), "x": GAIN_THRESHOLD},
        ).df()
        figures = pd.read_parquet(proposal / "lockup.parquet").set_index("account_id")
        expected = expected.set_index("account_id").loc[figures.index]
        for column in ("account_value", "appreciated_value", "harvest_potential"):
            pd.testing.assert_series_equal(
                figures[column], expected[column], check_names=False, atol=0.01, rtol=0
            )


def test_the_locked_up_account_is_listed_and_the_free_one_is_not(firm):
    root, _, _, page = firm
    figures = pd.read_parquet(run_folder(root, NIGHTS[-1]) / "proposal" / "lockup.parquet")
    assert set(figures.loc[figures["locked_up"], "account_id"]) == {LOCKED}
    review = (run_folder(root, NIGHTS[-1]) / "review.html").read_text(encoding="utf-8")
    for html in (review, page):
        section = html[html.index('<section id="lockup"') :]
        section = section[: section.index("</section>")]
        assert f"<td>{LOCKED}</td>" in section and f"<td>{FREE}</td>" not in section


def test_the_locked_up_accounts_remedies_come_from_the_engine(firm):
    root, _, _, _ = firm
    remedies = pd.read_parquet(
        run_folder(root, NIGHTS[-1]) / "proposal" / "lockup_remedies.parquet"
    )
    assert set(remedies["account_id"]) == {LOCKED}
    # The tilted account's remedies: cash, gifted lots, no budget, no tilts (a zero budget is not
    # widened).
    assert set(remedies["remedy"]) == {"ADD_CASH", "GIFT_LOTS", "NO_BUDGET", "NO_TILTS"}
    lifted = remedies.set_index("remedy").loc["NO_BUDGET"]
    assert lifted["te_after"] < lifted["max_tracking_error"] and lifted["realized_lt"] > 0


def figure(page: str, query: str) -> str:
    """The headline card of ``query``: its value."""
    card = re.search(
        rf'data-query="{query}"><div class="label">[^<]*</div>'
        r'<div class="value">([^<]*)</div>',
        page,
    )
    assert card, query
    return card.group(1)


def test_firm_view_figures_match_the_store(firm):
    _, _, con, page = firm
    d = {"d": NIGHTS[-1]}
    locked = con.execute("SELECT count(*) FROM inbox_accounts WHERE as_of_date = $d", d).fetchone()
    assert figure(page, "LOCKUP_TOTALS") == f"1 of {locked[0]}"
    exceptions = con.execute("SELECT count(*) FROM run_exceptions WHERE as_of_date <= $d", d)
    assert figure(page, "EXCEPTIONS_BY_NIGHT") == f"{exceptions.fetchone()[0]:,}"
    harvested = con.execute("SELECT sum(losses_harvested) FROM runs WHERE as_of_date <= $d", d)
    assert figure(page, "HARVEST_BY_MONTH") == f"${harvested.fetchone()[0]:,.0f}"
    assert figure(page, "LATEST_RUN") == NIGHTS[-1].isoformat()
    worst = con.execute(
        "SELECT account_id, te_after FROM run_decisions WHERE as_of_date = $d "
        "ORDER BY te_after DESC LIMIT 1",
        d,
    ).fetchone()
    te = page[page.index('data-query="TE_ACCOUNTS"') :]
    assert te.index(f"<td>{worst[0]}</td>") < te.index("</tr>", te.index("<tbody>"))
    assert f"{worst[1]:.2%}" in te[: te.index("</table>")]


def test_every_query_the_page_names_is_printed_in_its_appendix(firm):
    _, _, _, page = firm
    named = set(re.findall(r'title="query ([A-Z_]+)"', page))
    assert named <= set(QUERIES) and len(named) == len(QUERIES)
    for name, sql in QUERIES.items():
        assert f'id="q-{name}"' in page
        assert sql.strip().splitlines()[0].replace("'", "&#x27;") in page


def test_a_date_before_any_night_and_a_missing_store_are_clear_errors(firm, tmp_path):
    root, env, _, _ = firm
    before = sma(["firm", "--date", "2026-10-01"], env, root)
    assert before.returncode == 1
    assert "holds no night on or before 2026-10-01" in before.stderr
    empty = workplace(tmp_path / "empty")
    missing = sma(["firm", "--date", NIGHTS[-1].isoformat()], empty, tmp_path)
    assert missing.returncode == 1 and "no store at" in missing.stderr
    assert "Traceback" not in before.stderr + missing.stderr


def test_the_command_in_process_writes_the_same_page(firm, monkeypatch, tmp_path):
    import typer
    from typer.testing import CliRunner

    from pipelines.cli import _firm

    root, _, _, page = firm
    app = typer.Typer()
    _firm.register(app)
    monkeypatch.setenv("SMA_CONFIG", str(root / "sma.toml"))
    out = tmp_path / "firm.html"
    result = CliRunner().invoke(app, ["--date", NIGHTS[-1].isoformat(), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Firm view: {out.resolve()}" in result.output
    assert out.read_text(encoding="utf-8") == page
