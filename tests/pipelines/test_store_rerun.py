"""A bad row that reached the store's price history never poisons a later night: each night's load
is that night's, and a forced rerun of the night replaces it (issue 16, point 3).

The price history is shared by every night (``HISTORY_FILES``); each row records the night that
loaded it (``loaded_as_of``). Every expectation here is read back with plain SQL over the store.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.store import load_snapshot, open_store
from tests.pipelines.test_store import AS_OF, NO_ISSUES, small_inbox

NEXT = date(2026, 11, 25)


def _with_prices(rows: list[tuple[date, str, float]]) -> dict[str, pd.DataFrame]:
    frames = small_inbox()
    frames["prices"] = pd.DataFrame(
        {
            "date": [r[0] for r in rows],
            "symbol": [r[1] for r in rows],
            "close": [r[2] for r in rows],
            "volume": [None] * len(rows),
        }
    )
    return frames


GOOD = [
    (date(2026, 11, 23), "AAA", 10.0),
    (date(2026, 11, 23), "BBB", 20.0),
    (AS_OF, "AAA", 11.0),
    (AS_OF, "BBB", 19.0),
]
#: A close dated year 1: what a night loaded before the date_range rule refused it.
POISONED = [(date(1, 1, 1), "AAA", 1e9), *GOOD]


def _history(con) -> list[tuple]:
    return con.execute(
        "SELECT date, symbol, close, loaded_as_of FROM inbox_prices ORDER BY date, symbol"
    ).fetchall()


def test_a_forced_rerun_takes_back_the_bad_close_its_earlier_load_put_in_the_history(tmp_path):
    with open_store(tmp_path / "s.duckdb") as con:
        load_snapshot(con, AS_OF, _with_prices(POISONED), NO_ISSUES, {})
        assert (
            con.execute(
                "SELECT count(*) FROM inbox_prices WHERE date < DATE '1900-01-01'"
            ).fetchall()[0][0]
            == 1
        )
        load_snapshot(
            con, AS_OF, _with_prices(GOOD), NO_ISSUES, {}
        )  # the inbox fixed, the night forced
        assert (
            con.execute(
                "SELECT count(*) FROM inbox_prices WHERE date < DATE '1900-01-01'"
            ).fetchall()[0][0]
            == 0
        )
        assert _history(con) == [(d, s, c, AS_OF) for d, s, c in GOOD]


def test_a_rerun_drops_what_its_earlier_load_put_there_and_the_new_inbox_does_not_restate(tmp_path):
    with open_store(tmp_path / "s.duckdb") as con:
        load_snapshot(con, AS_OF, _with_prices(GOOD), NO_ISSUES, {})
        load_snapshot(con, AS_OF, _with_prices(GOOD[2:]), NO_ISSUES, {})
        assert _history(con) == [(d, s, c, AS_OF) for d, s, c in GOOD[2:]]


def test_rows_another_night_loaded_survive_a_rerun(tmp_path):
    """Night 25 loads only its own close; rerunning night 24 leaves it alone."""
    with open_store(tmp_path / "s.duckdb") as con:
        load_snapshot(con, AS_OF, _with_prices(POISONED), NO_ISSUES, {})
        load_snapshot(con, NEXT, _with_prices([(NEXT, "AAA", 12.0)]), NO_ISSUES, {})
        load_snapshot(con, AS_OF, _with_prices(GOOD), NO_ISSUES, {})
        assert _history(con) == [*[(d, s, c, AS_OF) for d, s, c in GOOD], (NEXT, "AAA", 12.0, NEXT)]


def test_rerunning_an_older_night_never_overwrites_a_close_a_later_night_restated(tmp_path):
    """A later inbox restating a close wins, whichever night runs last."""
    with open_store(tmp_path / "s.duckdb") as con:
        load_snapshot(con, AS_OF, _with_prices(GOOD), NO_ISSUES, {})
        load_snapshot(
            con, NEXT, _with_prices([(AS_OF, "AAA", 11.5), (NEXT, "AAA", 12.0)]), NO_ISSUES, {}
        )
        load_snapshot(con, AS_OF, _with_prices(GOOD), NO_ISSUES, {})
        assert con.execute(
            "SELECT close, loaded_as_of FROM inbox_prices WHERE date = ? AND symbol = 'AAA'",
            [AS_OF],
        ).fetchall() == [(11.5, NEXT)]
