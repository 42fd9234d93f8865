"""Commands given a run or an account that does not exist say so, exit 1 and create nothing
(issue 16, point 8)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.blotter import run_dir_for
from pipelines.store import load_snapshot, open_store
from tests.nightly_env import sma, workplace
from tests.pipelines.test_store import NO_ISSUES, small_inbox


def _tree(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_showing_the_blotter_of_a_run_that_does_not_exist_says_so_and_creates_nothing(tmp_path):
    env = workplace(tmp_path)
    (tmp_path / "runs").mkdir()
    before = _tree(tmp_path)
    done = sma(["blotter", "show", "--run", "2026-01-01"], env, tmp_path)
    assert done.returncode == 1
    assert "no such run: 2026-01-01" in done.stderr
    assert _tree(tmp_path) == before, "no runs/2026-01-01/blotter/.lock"


def test_a_run_id_with_a_trailing_newline_is_refused_and_creates_no_look_alike_folder(tmp_path):
    env = workplace(tmp_path)
    (tmp_path / "runs" / "2026-11-20").mkdir(parents=True)
    before = _tree(tmp_path)
    done = sma(["blotter", "show", "--run", "2026-11-20\n"], env, tmp_path)
    assert done.returncode == 1
    assert "is not a run id" in done.stderr
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("run_id", ["2026-11-20\n", "../2026-11-20", "2026-11-20/x", ""])
def test_a_run_id_must_match_the_id_pattern_in_full(tmp_path, run_id):
    (tmp_path / "2026-11-20").mkdir()
    with pytest.raises(ValueError, match="is not a run id"):
        run_dir_for(tmp_path, run_id)


def test_a_run_that_does_not_exist_is_no_run_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such run: 2026-01-01"):
        run_dir_for(tmp_path, "2026-01-01")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture()
def book_at_quarter_end(tmp_path):
    env = workplace(tmp_path)
    with open_store(tmp_path / "store.duckdb") as con:
        load_snapshot(con, date(2026, 9, 30), small_inbox(), NO_ISSUES, {})
    return tmp_path, env


@pytest.mark.parametrize(
    ("account", "said"),
    [
        ("../../x", "'../../x' is not an account id"),
        ("A1\n", "is not an account id"),
        ("ZZ9", "no account ZZ9 in the book for 2026-Q3"),
    ],
)
def test_statements_for_an_invalid_or_unknown_account_are_refused(
    book_at_quarter_end, account, said
):
    root, env = book_at_quarter_end
    done = sma(["statements", "--period", "2026-Q3", "--account", account], env, root)
    assert done.returncode == 1, done.stdout
    assert said in done.stderr
    assert "statement(s)" not in done.stdout
    assert not (root / "statements").exists()
