"""A run's blotter in its run folder (issue 5): propose, four-eyes approval, release exactly once,
tamper detection. Run folders are hand-made: one small proposal written as the night would."""

from __future__ import annotations

import json
import multiprocessing as mp
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from pipelines.blotter import approve, cancel, home, propose, reject, release, show, verify
from pipelines.blotter._actions import TrailBroken
from sma.trading import ContentChanged, State, Users
from sma.trading._approval import AlreadyReleased, FourEyesViolation, NotPermitted, Role, WrongState

RUN = "2026-11-25"
USERS = Users(
    {
        "sma-night": frozenset({Role.NIGHT}),
        "pm": frozenset({Role.PM}),
        "pm2": frozenset({Role.PM}),
        "both": frozenset({Role.PM, Role.TRADER}),
        **{f"trader{i}": frozenset({Role.TRADER}) for i in range(64)},
    }
)


def clock(hour: int = 9):
    return lambda: datetime(2026, 11, 26, hour, 30, tzinfo=UTC)


def write_run(root: Path, buy_a1: float = 10.0) -> Path:
    """A1 (TAXABLE) buys AAPL and sells 5 XOM (lots L1, L2); A2 (IRA) buys 30 AAPL; A3 sells 7 XOM
    (L9)."""
    run_dir = root / RUN
    trades = pd.DataFrame(
        {
            "run_id": RUN,
            "as_of_date": date(2026, 11, 25),
            "account_id": ["A1", "A2", "A1", "A3"],
            "household_id": ["H1", "H1", "H1", "H2"],
            "account_type": ["TAXABLE", "IRA", "TAXABLE", "TAXABLE"],
            "symbol": ["AAPL", "AAPL", "XOM", "XOM"],
            "side": ["BUY", "BUY", "SELL", "SELL"],
            "quantity": [buy_a1, 30.0, 5.0, 7.0],
            "price": [200.0, 200.0, 100.0, 100.0],
            "reason": ["REBALANCE", "CASH_INVEST", "HARVEST", "REBALANCE"],
        }
    )
    lot_sells = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A3"],
            "symbol": ["XOM"] * 3,
            "lot_id": ["L1", "L2", "L9"],
            "quantity": [2.0, 3.0, 7.0],
        }
    )
    return write_proposal(run_dir, trades, lot_sells)


def write_proposal(run_dir: Path, trades: pd.DataFrame, lot_sells: pd.DataFrame) -> Path:
    """Write ``<run_dir>/proposal/`` as the night does; nobody held out."""
    (run_dir / "proposal").mkdir(parents=True, exist_ok=True)
    trades = trades.assign(notional=trades["quantity"] * trades["price"])
    trades.to_parquet(run_dir / "proposal" / "trades.parquet")
    lot_sells.to_parquet(run_dir / "proposal" / "lot_sells.parquet")
    pd.DataFrame({"account_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)}).to_parquet(
        run_dir / "proposal" / "exceptions.parquet"
    )
    return run_dir


def approved_run(root: Path, **kw) -> Path:
    run_dir = write_run(root)
    propose(run_dir, "sma-night", now=clock(1))
    approve(run_dir, "pm", USERS, now=clock(8), **kw)
    return run_dir


def signed_workplace(root: Path, logins: dict[str, list[str]]) -> tuple[Path, Path]:
    """(users file, keys folder): each login with its roles, a key in the folder and its public key
    listed."""
    from pipelines.identity import make_key

    keys = root / "keys"
    lines = [
        f'[users."{login}"]\nroles = {json.dumps(roles)}\npublic_key = "{make_key(keys, login)}"\n'
        for login, roles in logins.items()
    ]
    (root / "users.toml").write_text("".join(lines))
    return root / "users.toml", keys


def signed_released_run(
    root: Path, logins: dict[str, list[str]] | None = None
) -> tuple[Path, Users, Path]:
    """A run proposed by the night's login, approved by pm and released by trader1, every record
    signed; returns (run folder, users, keys folder)."""
    from pipelines.blotter import load_users
    from pipelines.identity import signer_of

    everyone = {"sma-night": ["NIGHT"], "pm": ["PM"], "trader1": ["TRADER"], **(logins or {})}
    users_file, keys = signed_workplace(root, everyone)
    users = load_users(users_file)
    run_dir = write_run(root / "runs")
    propose(run_dir, "sma-night", signer=signer_of(keys, "sma-night"), now=clock(1))
    approve(run_dir, "pm", users, signer=signer_of(keys, "pm"), now=clock(8))
    release(run_dir, "trader1", users, signer=signer_of(keys, "trader1"), now=clock(10))
    return run_dir, users, keys


def folder_bytes(run_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(run_dir)): p.read_bytes()
        for p in sorted(home(run_dir).rglob("*"))
        if p.is_file()
    }


def test_propose_writes_a_proposed_blotter_and_is_idempotent_to_the_byte(tmp_path):
    run_dir = write_run(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    first = folder_bytes(run_dir)
    propose(run_dir, "sma-night", now=clock(2))
    assert folder_bytes(run_dir) == first
    view = show(run_dir)
    assert view.state == State.PROPOSED and len(view.trail) == 1
    assert view.blotter.orders["order_id"].tolist() == [f"{RUN}-BUY-AAPL", f"{RUN}-SELL-XOM"]


def test_a_changed_proposal_replaces_a_proposed_blotter_but_never_an_approved_one(tmp_path):
    run_dir = write_run(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    write_run(tmp_path, buy_a1=12.0)
    propose(run_dir, "sma-night", now=clock(2))
    assert show(run_dir).blotter.orders["quantity"].tolist() == [42.0, 12.0]
    approve(run_dir, "pm", USERS, now=clock(3))
    write_run(tmp_path, buy_a1=14.0)
    with pytest.raises(WrongState):
        propose(run_dir, "sma-night", now=clock(4))
    assert show(run_dir).blotter.orders["quantity"].tolist() == [42.0, 12.0]


def test_approving_can_hold_single_accounts_out(tmp_path):
    run_dir = approved_run(tmp_path, hold=["A2"])
    view = show(run_dir)
    assert view.state == State.APPROVED and view.approver == "pm"
    assert set(view.blotter.allocations["account_id"]) == {"A1", "A3"}
    assert view.trail[-1]["held"] == ["A2"]


def test_every_transition_records_who_when_and_the_content_hash(tmp_path):
    run_dir = approved_run(tmp_path)
    release(run_dir, "trader1", USERS, now=clock(10))
    trail = show(run_dir).trail
    assert [(r["action"], r["user"], r["at"]) for r in trail] == [
        ("PROPOSE", "sma-night", "2026-11-26T01:30:00.000+00:00"),
        ("APPROVE", "pm", "2026-11-26T08:30:00.000+00:00"),
        ("RELEASE", "trader1", "2026-11-26T10:30:00.000+00:00"),
    ]
    assert all(len(r["content_sha256"]) == 64 for r in trail)
    assert verify(run_dir, USERS) == []


def test_the_approver_cannot_release_even_as_a_trader(tmp_path):
    """Four-eyes (issue 5): the releaser is never the approver."""
    run_dir = write_run(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    approve(run_dir, "both", USERS, now=clock(8))
    with pytest.raises(FourEyesViolation):
        release(run_dir, "both", USERS, now=clock(9))
    assert show(run_dir).state == State.APPROVED
    assert not (home(run_dir) / "exports").exists()


def test_a_pm_cannot_release_and_a_trader_cannot_approve(tmp_path):
    run_dir = write_run(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    with pytest.raises(NotPermitted):
        approve(run_dir, "trader1", USERS)
    approve(run_dir, "pm", USERS)
    with pytest.raises(NotPermitted):
        release(run_dir, "pm2", USERS)


def _race(run_dir: Path, user: str, barrier, results) -> None:
    barrier.wait()
    try:
        release(run_dir, user, USERS, now=clock(10))
        results.put((user, "released"))
    except AlreadyReleased as e:
        results.put((user, e.why))
    except Exception as e:  # reported, so a broken lock fails the test instead of hanging it
        results.put((user, repr(e)))


@pytest.mark.slow  # 64 processes of their own
def test_64_racing_release_attempts_produce_exactly_one_release_and_one_export_set(tmp_path):
    """Issue 5: concurrent release attempts produce one release; the rest are told "already
    released"."""
    run_dir = approved_run(tmp_path)
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(64), ctx.Queue()
    procs = [
        ctx.Process(target=_race, args=(run_dir, f"trader{i}", barrier, results)) for i in range(64)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=120)
    assert sorted(o for _, o in outcomes).count("released") == 1
    assert [o for _, o in outcomes if o != "released"] == ["already released"] * 63
    winner = next(u for u, o in outcomes if o == "released")
    trail = show(run_dir).trail
    assert [r["action"] for r in trail].count("RELEASE") == 1 and trail[-1]["user"] == winner
    assert [p.name for p in home(run_dir).iterdir() if "exports" in p.name] == ["exports"]
    assert verify(run_dir, USERS) == []


def test_a_released_blotter_can_never_be_changed_or_released_again(tmp_path):
    run_dir = approved_run(tmp_path)
    exports = release(run_dir, "trader1", USERS, now=clock(10))
    before = folder_bytes(run_dir)
    for action in (
        lambda: release(run_dir, "trader2", USERS),
        lambda: cancel(run_dir, "pm", USERS),
        lambda: reject(run_dir, "pm", USERS),
        lambda: approve(run_dir, "pm2", USERS),
        lambda: propose(write_run(tmp_path, buy_a1=99.0), "sma-night"),
    ):
        with pytest.raises(AlreadyReleased):
            action()
    assert folder_bytes(run_dir) == before
    assert sorted(p.name for p in exports.iterdir()) == [
        "allocations.csv",
        "desk.csv",
        "lot_instructions.csv",
        "manifest.json",
        "orders.fix",
    ]


def test_releasing_content_whose_hash_differs_from_the_approved_one_fails(tmp_path):
    """Issue 5: the approved content is what is released, or nothing is."""
    run_dir = approved_run(tmp_path)
    path = home(run_dir) / "approved" / "allocations.parquet"
    alloc = pd.read_parquet(path)
    alloc.loc[0, "quantity"] += 100
    alloc.to_parquet(path)
    with pytest.raises(ContentChanged):
        release(run_dir, "trader1", USERS)
    assert show(run_dir).state == State.APPROVED
    assert any("altered" in p.why for p in verify(run_dir))


def test_tampering_with_an_audit_row_is_detected_and_stops_every_action(tmp_path):
    """Issue 5: the audit log is hash-chained; `sma blotter verify` finds the altered row."""
    run_dir = approved_run(tmp_path)
    log = home(run_dir) / "audit.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    rows[1]["user"] = "pm2"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [p.line for p in verify(run_dir)] == [2]
    with pytest.raises(TrailBroken):
        release(run_dir, "trader1", USERS)


def test_tampering_with_a_released_export_is_detected(tmp_path):
    run_dir = approved_run(tmp_path)
    exports = release(run_dir, "trader1", USERS, now=clock(10))
    (exports / "desk.csv").write_text("order_id\nX\n")
    assert [p.why for p in verify(run_dir)] == ["export desk.csv is missing or altered"]


def test_a_rejected_blotter_cannot_be_approved_until_the_night_proposes_again(tmp_path):
    run_dir = write_run(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    reject(run_dir, "pm", USERS, note="prices look stale")
    with pytest.raises(WrongState):
        approve(run_dir, "pm2", USERS)
    write_run(tmp_path, buy_a1=11.0)
    propose(run_dir, "sma-night")
    approve(run_dir, "pm2", USERS)
    assert show(run_dir).state == State.APPROVED


def test_release_exports_are_the_same_bytes_for_the_same_release_time(tmp_path):
    a = approved_run(tmp_path / "a")
    b = approved_run(tmp_path / "b")
    ea, eb = (
        release(a, "trader1", USERS, now=clock(10)),
        release(b, "trader1", USERS, now=clock(10)),
    )
    assert {p.name: p.read_bytes() for p in ea.iterdir()} == {
        p.name: p.read_bytes() for p in eb.iterdir()
    }


def test_a_release_that_dies_before_its_record_leaves_the_blotter_approved_and_no_exports(
    tmp_path, monkeypatch
):
    """Issue 14 (3): the release record is the commit point and the exports come after it."""
    from pipelines.blotter import _folder

    run_dir = approved_run(tmp_path)
    real_append = _folder.append_record

    def die(*args):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(_folder, "append_record", die)
    with pytest.raises(KeyboardInterrupt):
        release(run_dir, "trader1", USERS, now=clock(10))
    assert show(run_dir).state == State.APPROVED
    assert not (home(run_dir) / "exports").exists()
    assert verify(run_dir, USERS) == []
    monkeypatch.setattr(_folder, "append_record", real_append)
    release(run_dir, "trader2", USERS, now=clock(11))
    assert verify(run_dir, USERS) == []
    manifest = json.loads((home(run_dir) / "exports" / "manifest.json").read_text())
    assert manifest["release_record_sha256"] == show(run_dir).trail[-1]["hash"]


def test_a_release_that_dies_after_its_record_is_finished_by_the_next_release_with_its_own_time(
    tmp_path, monkeypatch
):
    """Issue 14 (3): a retry reproduces the exports byte for byte: same order ids, same timestamps,
    one release record, still in the name of the trader who released."""
    from pipelines.blotter import _folder

    clean = approved_run(tmp_path / "clean")
    expected = {
        p.name: p.read_bytes() for p in release(clean, "trader1", USERS, now=clock(10)).iterdir()
    }
    run_dir = approved_run(tmp_path / "killed")
    real_write = _folder.write_exports

    def die(*args):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(_folder, "write_exports", die)
    with pytest.raises(KeyboardInterrupt):
        release(run_dir, "trader1", USERS, now=clock(10))
    assert show(run_dir).state == State.RELEASED and not (home(run_dir) / "exports").exists()
    assert any("run `sma blotter release` again" in p.why for p in verify(run_dir, USERS))
    monkeypatch.setattr(_folder, "write_exports", real_write)
    with pytest.raises(NotPermitted):  # finishing sends the orders: only a releaser may
        release(run_dir, "pm2", USERS, now=clock(11))
    assert not (home(run_dir) / "exports").exists()
    exports = release(run_dir, "trader2", USERS, now=clock(11))
    assert {p.name: p.read_bytes() for p in exports.iterdir()} == expected
    trail = show(run_dir).trail
    assert [r["action"] for r in trail].count("RELEASE") == 1 and trail[-1]["user"] == "trader1"
    assert verify(run_dir, USERS) == []
    with pytest.raises(AlreadyReleased):
        release(run_dir, "trader2", USERS, now=clock(12))


def test_a_forced_rerun_cancels_a_proposed_blotter_first_so_a_racing_approval_is_refused(tmp_path):
    """Issue 16 (2): the night's login cancels its PROPOSED blotter under the run's lock before a
    forced rerun replaces it; a PM answering at that moment is refused, not given stale trades."""
    from pipelines.blotter import withdraw_for_rerun

    run_dir = write_run(tmp_path)
    propose(run_dir, "sma-night", now=clock(1))
    record = withdraw_for_rerun(run_dir, "sma-night", now=clock(2))
    assert (record["action"], record["state"], record["user"]) == (
        "CANCEL",
        "CANCELLED",
        "sma-night",
    )
    with pytest.raises(WrongState):
        approve(run_dir, "pm", USERS, now=clock(3))
    propose(run_dir, "sma-night", now=clock(4))  # the rerun's proposal, same content: recorded anew
    assert [r["action"] for r in show(run_dir).trail] == ["PROPOSE", "CANCEL", "PROPOSE"]
    assert verify(run_dir, USERS) == []


@pytest.mark.parametrize("released", [False, True])
def test_a_forced_rerun_of_an_approved_or_released_blotter_is_refused_up_front_saying_what_to_do(
    tmp_path, released
):
    from pipelines.blotter import RerunRefused, withdraw_for_rerun

    run_dir = approved_run(tmp_path)
    if released:
        release(run_dir, "trader1", USERS, now=clock(10))
    before = (run_dir / "blotter" / "audit.jsonl").read_bytes()
    with pytest.raises(
        RerunRefused, match="sma blotter cancel" if not released else "never be replaced"
    ):
        withdraw_for_rerun(run_dir, "sma-night")
    assert (run_dir / "blotter" / "audit.jsonl").read_bytes() == before


def test_a_forced_rerun_of_a_night_without_a_blotter_has_nothing_to_withdraw(tmp_path):
    from pipelines.blotter import withdraw_for_rerun

    assert withdraw_for_rerun(write_run(tmp_path), "sma-night") is None
