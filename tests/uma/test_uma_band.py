"""Every sleeve ends the night inside its drift band (issue 19, "The overlay decision": "each
sleeve tracks its model within its drift band"). The account is decided once against its sleeves'
blend, so a sleeve out of band is first a question of which sleeve its lots are booked to: whole
lots move from sleeves over their target to sleeves under it without a trade (a BAND transfer,
recorded like RELIEF and NETTING; "may transfer lots between sleeves without a trade ...
(recorded)"), and a sleeve that no such move brings in is named with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sma.rebalance import LOT_SELL_COLUMNS, TRADE_COLUMNS
from sma.uma import (
    TransferKind,
    attribute_lots,
    book_to_sleeves,
    keep_in_band,
    sleeve_records,
)
from tests.example_counts import property_examples

PRICE = 100.0
SYMBOLS = ["AAA", "BBB", "CCC", "DDD"]
CLOSES = pd.Series(PRICE, index=SYMBOLS)
#: A follows {AAA, BBB}, B {BBB, CCC}, half each; CASH holds the account's cash.
MODELS = pd.DataFrame(
    {
        "model_id": ["MA", "MA", "MB", "MB"],
        "symbol": ["AAA", "BBB", "BBB", "CCC"],
        "weight": 0.5,
    }
)


def _sleeves(targets: dict[str, float], band: float = 0.05) -> pd.DataFrame:
    models = {"A": "MA", "B": "MB", "CASH": "CASH"}
    return pd.DataFrame(
        {
            "account_id": "U1",
            "sleeve_id": list(targets),
            "model_id": [models[s] for s in targets],
            "target_weight": list(targets.values()),
            "drift_band": [0.02 if s == "CASH" else band for s in targets],
        }
    )


def _lots(rows: list[tuple[str, str, float, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(lot_id, symbol, value USD, last night's sleeve) -> tonight's lots and last night's
    attribution."""
    lots = pd.DataFrame(
        {
            "account_id": "U1",
            "lot_id": [r[0] for r in rows],
            "symbol": [r[1] for r in rows],
            "quantity": [r[2] / PRICE for r in rows],
            "cost_basis": [0.8 * r[2] for r in rows],
        }
    )
    last = pd.DataFrame(
        {"account_id": "U1", "lot_id": [r[0] for r in rows], "sleeve_id": [r[3] for r in rows]}
    )
    return lots, last


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _taxable_u1(cash_before: float, cash_after: float) -> pd.DataFrame:
    """The one account U1: taxable, its rates and its cash before and after tonight."""
    return pd.DataFrame(
        {
            "account_id": ["U1"],
            "account_type": "TAXABLE",
            "st_tax_rate": 0.37,
            "lt_tax_rate": 0.2,
            "cash_before": cash_before,
            "cash_after": cash_after,
        }
    )


def _untraded_night(sleeves: pd.DataFrame, lots: pd.DataFrame, last: pd.DataFrame, cash: float):
    """A night the account does not trade: its lots kept in last night's sleeves, booked, then
    brought in band."""
    value = pd.Series({"U1": lots["quantity"].sum() * PRICE + cash})
    attribution = attribute_lots(lots, last, sleeves, MODELS, CLOSES, value)
    trades, sells = _empty(TRADE_COLUMNS), _empty(LOT_SELL_COLUMNS)
    booking = book_to_sleeves(
        attribution, trades, sells, sleeves, MODELS, CLOSES, value, pd.Series({"U1": 0.0})
    )
    after, out = keep_in_band(
        attribution, booking, sleeves, MODELS, CLOSES, value, pd.Series({"U1": cash})
    )
    accounts = _taxable_u1(cash, cash)
    records = sleeve_records(attribution, after, sleeves, MODELS, CLOSES, accounts, out)
    return booking, after, out, records.set_index("sleeve_id")


def test_a_sleeve_over_its_band_hands_a_lot_its_model_holds_beyond_to_the_sleeve_under():
    # A holds 6,500 of 10,000 (drift +15%), B 3,500 (-15%), bands 5%. Both models hold BBB and A
    # holds more BBB than its model asks: one BBB lot of 1,500 moves to B, both end on target.
    sleeves = _sleeves({"A": 0.5, "B": 0.5})
    lots, last = _lots(
        [
            ("L1", "AAA", 2_500.0, "A"),
            ("L2", "BBB", 1_500.0, "A"),
            ("L3", "BBB", 1_500.0, "A"),
            ("L4", "AAA", 1_000.0, "A"),
            ("L5", "CCC", 2_500.0, "B"),
            ("L6", "BBB", 1_000.0, "B"),
        ]
    )
    booking, after, out, records = _untraded_night(sleeves, lots, last, 0.0)
    assert booking.transfers.empty  # the booking alone leaves A and B out of band
    band = after.transfers
    assert len(band) == 1
    move = band.iloc[0]
    assert (move["kind"], move["symbol"], move["from_sleeve"], move["to_sleeve"]) == (
        str(TransferKind.BAND),
        "BBB",
        "A",
        "B",
    )
    assert move["quantity"] == 15.0 and move["value"] == 1_500.0
    assert after.lot_sleeves.set_index("lot_id").loc[move["lot_id"], "sleeve_id"] == "B"
    assert out.empty
    assert records["within_band_after"].all()
    assert records["drift_after"].abs().max() < 1e-12
    assert (records["band_reason"] == "").all()
    assert records.loc["B", "transferred_in"] == 1_500.0


def test_the_cash_sleeve_and_an_account_off_its_targets_are_named_with_why():
    # 4,000 of 10,000 in cash against a 10% cash sleeve: both invested sleeves are under their
    # targets and no lot can fill them; only a trade can.
    sleeves = _sleeves({"A": 0.5, "B": 0.4, "CASH": 0.1})
    lots, last = _lots([("L1", "AAA", 3_000.0, "A"), ("L2", "CCC", 3_000.0, "B")])
    _, after, out, records = _untraded_night(sleeves, lots, last, 4_000.0)
    assert after.transfers.empty
    why = out.set_index("sleeve_id")
    assert sorted(why.index) == ["A", "B", "CASH"]
    assert abs(why.loc["CASH", "drift"] - 0.3) < 1e-12
    assert "only a trade moves cash" in why.loc["CASH", "reason"]
    assert "cash 40.00% against 10.00%" in why.loc["A", "reason"]
    assert "only a trade" in why.loc["B", "reason"]
    assert (records.loc[~records["within_band_after"], "band_reason"] != "").all()
    assert records.loc["A", "band_reason"] == why.loc["A", "reason"]


def test_a_lot_too_large_to_move_whole_stays_and_is_named():
    # A's only lot is 70% of the account: moving it would leave A further from its target (-35%)
    # than it is (+20%). The ledger splits a lot only for a wash sale, so A stays out of band.
    sleeves = _sleeves({"A": 0.5, "B": 0.5})
    lots, last = _lots([("L1", "AAA", 7_000.0, "A"), ("L2", "CCC", 3_000.0, "B")])
    _, after, out, _ = _untraded_night(sleeves, lots, last, 0.0)
    assert after.transfers.empty
    assert sorted(out["sleeve_id"]) == ["A", "B"]
    assert out["reason"].str.contains("no whole lot").all()


def test_an_account_worth_nothing_has_every_sleeve_named():
    sleeves = _sleeves({"A": 0.5, "B": 0.5})
    lots, last = _lots([])
    _, after, out, records = _untraded_night(sleeves, lots, last, 0.0)
    assert after.transfers.empty
    assert sorted(out["sleeve_id"]) == ["A", "B"]
    assert out["reason"].str.contains("holds nothing").all()
    assert (records["band_reason"] == out.set_index("sleeve_id")["reason"]).all()


@st.composite
def _account(draw):
    """One UMA account: two or three invested sleeves and maybe a cash sleeve, 1-12 lots in
    random sleeves, some sold tonight in whole or in half, some buys, some cash."""
    n = draw(st.integers(2, 3))
    names = ["A", "B", "C"][:n]
    with_cash = draw(st.booleans())
    raw = draw(st.lists(st.floats(0.05, 1.0), min_size=n + with_cash, max_size=n + with_cash))
    targets = np.array(raw) / sum(raw)
    sleeves = pd.DataFrame(
        {
            "account_id": "U1",
            "sleeve_id": names + (["CASH"] if with_cash else []),
            "model_id": ["MA", "MB", "MA"][:n] + (["CASH"] if with_cash else []),
            "target_weight": targets,
            "drift_band": draw(
                st.lists(st.sampled_from([0.0, 0.02, 0.05]), min_size=len(raw), max_size=len(raw))
            ),
        }
    )
    k = draw(st.integers(1, 12))
    lots = pd.DataFrame(
        {
            "account_id": "U1",
            "lot_id": [f"L{i}" for i in range(k)],
            "symbol": draw(st.lists(st.sampled_from(SYMBOLS), min_size=k, max_size=k)),
            "quantity": draw(st.lists(st.integers(1, 200), min_size=k, max_size=k)),
            "cost_basis": draw(st.lists(st.integers(50, 30_000), min_size=k, max_size=k)),
        }
    ).astype({"quantity": float, "cost_basis": float})
    last = lots[["account_id", "lot_id"]].assign(
        sleeve_id=draw(st.lists(st.sampled_from(names), min_size=k, max_size=k))
    )
    sold = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=k, max_size=k)))
    sells = lots.assign(quantity=lots["quantity"] * sold)[sold > 0]
    lot_sells = pd.DataFrame(
        {
            "account_id": "U1",
            "symbol": sells["symbol"],
            "lot_id": sells["lot_id"],
            "quantity": sells["quantity"],
            "proceeds": sells["quantity"] * PRICE,
            "realized_gain": 0.0,
            "term": "LONG",
            "reason": "REBALANCE",
        }
    )[LOT_SELL_COLUMNS]
    by_symbol = lot_sells.groupby("symbol")["quantity"].sum()
    bought = draw(st.lists(st.sampled_from(SYMBOLS), max_size=2, unique=True))
    bought = [s for s in bought if s not in by_symbol.index]
    buy_qty = draw(st.lists(st.integers(1, 100), min_size=len(bought), max_size=len(bought)))
    trades = pd.DataFrame(
        {
            "account_id": "U1",
            "symbol": list(by_symbol.index) + bought,
            "side": ["SELL"] * len(by_symbol) + ["BUY"] * len(bought),
            "quantity": list(by_symbol.to_numpy(float)) + [float(q) for q in buy_qty],
            "price": PRICE,
            "reason": "REBALANCE",
        }
    )
    trades["notional"] = trades["quantity"] * PRICE
    trades = trades.astype({"symbol": str, "side": str, "quantity": float, "price": float})
    lot_sells = lot_sells.astype({"symbol": str, "lot_id": str, "quantity": float})
    cash = float(draw(st.integers(0, 20_000)))
    cash_after = (
        cash
        + float(lot_sells["proceeds"].sum())
        - float(trades.loc[trades["side"] == "BUY", "notional"].sum())
    )
    return sleeves, lots, last, trades[TRADE_COLUMNS], lot_sells, cash, max(cash_after, 0.0)


def _booked(account):
    """A drawn account attributed to its sleeves and its trades booked to them: sleeves, lots,
    account value, attribution, booking, and the cash before and after the trades."""
    sleeves, lots, last, trades, lot_sells, cash, cash_after = account
    value = pd.Series({"U1": float((lots["quantity"] * PRICE).sum()) + cash})
    attribution = attribute_lots(lots, last, sleeves, MODELS, CLOSES, value)
    booking = book_to_sleeves(
        attribution, trades, lot_sells, sleeves, MODELS, CLOSES, value, pd.Series({"U1": 0.0})
    )
    return sleeves, lots, value, attribution, booking, cash, cash_after


@property_examples(10, 150, given(_account()))
def test_band_moves_conserve_shares_and_basis_and_take_no_sleeve_further_from_target(account):
    sleeves, lots, value, attribution, booking, cash, cash_after = _booked(account)
    after, out = keep_in_band(
        attribution, booking, sleeves, MODELS, CLOSES, value, pd.Series({"U1": cash_after})
    )
    # every lot still in exactly one of the account's sleeves: shares and basis per account kept
    moved = after.lot_sleeves.merge(attribution[["lot_id", "quantity", "cost_basis"]])
    assert sorted(moved["lot_id"]) == sorted(lots["lot_id"])
    assert moved["sleeve_id"].isin(sleeves["sleeve_id"]).all()
    assert moved["quantity"].sum() == lots["quantity"].sum()
    assert moved["cost_basis"].sum() == lots["cost_basis"].sum()
    # the BAND transfers, applied to the booking's attribution, give the new attribution
    band = after.transfers[after.transfers["kind"] == str(TransferKind.BAND)]
    replay = booking.lot_sleeves.set_index("lot_id")["sleeve_id"].copy()
    for t in band.itertuples(index=False):
        assert replay[t.lot_id] == t.from_sleeve
        replay[t.lot_id] = t.to_sleeve
    assert replay.to_dict() == after.lot_sleeves.set_index("lot_id")["sleeve_id"].to_dict()
    assert after.trades.equals(booking.trades) and after.lot_sells.equals(booking.lot_sells)
    # no sleeve ends further from its target than the booking left it
    accounts = _taxable_u1(cash, cash_after)
    was = sleeve_records(attribution, booking, sleeves, MODELS, CLOSES, accounts)
    now = sleeve_records(attribution, after, sleeves, MODELS, CLOSES, accounts, out)
    assert (now["drift_after"].abs() <= was["drift_after"].abs() + 1e-9).all()
    # a sleeve still out of band is named with a reason, and only such a sleeve
    outside = now.loc[~now["within_band_after"], "sleeve_id"]
    assert sorted(out["sleeve_id"]) == sorted(outside)
    assert (now.loc[~now["within_band_after"], "band_reason"].str.len() > 0).all()
    assert (now.loc[now["within_band_after"], "band_reason"] == "").all()


def _sleeves_drawn(draw, n_symbols: int, n_sleeves: int):
    """Each sleeve's band and whether it holds cash, and the dollars held and wanted per symbol and
    sleeve, (n_symbols, n_sleeves): what both random accounts below draw alike."""
    band = np.array(
        draw(st.lists(st.sampled_from([0.0, 0.02, 0.05]), min_size=n_sleeves, max_size=n_sleeves))
    )
    cash = np.array(draw(st.lists(st.booleans(), min_size=n_sleeves, max_size=n_sleeves)))
    usd = st.lists(
        st.sampled_from([0.0, 500.0, 3_000.0]),
        min_size=n_symbols * n_sleeves,
        max_size=n_symbols * n_sleeves,
    )
    held = np.array(draw(usd)).reshape(n_symbols, n_sleeves)
    goal = np.array(draw(usd)).reshape(n_symbols, n_sleeves)
    return band, cash, held, goal


@st.composite
def _band_state(draw):
    """One account's sleeves and lots as ``_Band`` holds them, with ties and empty sides drawn
    often: lots of equal value, sleeves exactly on target, no cash sleeve, a symbol held by no
    model."""
    n_sleeves = draw(st.integers(1, 5))
    n_lots = draw(st.integers(0, 12))
    n_symbols = draw(st.integers(1, 4))
    grid = st.sampled_from([0.0, 1_000.0, 2_500.0, 5_000.0, 12_345.67])
    lot_value = np.array(draw(st.lists(grid, min_size=n_lots, max_size=n_lots)))
    sleeve = np.array(
        draw(st.lists(st.integers(0, n_sleeves - 1), min_size=n_lots, max_size=n_lots)), np.int64
    )
    symbol = np.array(
        draw(st.lists(st.integers(0, n_symbols - 1), min_size=n_lots, max_size=n_lots)), np.int64
    )
    drift = np.array(
        draw(
            st.lists(
                st.sampled_from([0.2, -0.2, 0.08, -0.08, -0.01, 0.0, 0.01]),
                min_size=n_sleeves,
                max_size=n_sleeves,
            )
        )
    )
    band, cash, held, goal = _sleeves_drawn(draw, n_symbols, n_sleeves)
    total = draw(st.sampled_from([100_000.0, 250_000.0, 20_000.0, 0.0]))
    return lot_value, sleeve, symbol, drift, band, cash, total, held, goal


@property_examples(50, 2_000, given(_band_state()))
def test_the_compiled_band_move_is_the_numpy_search_it_replaced(state):
    """``best_band_move`` (compiled, and its Python reading) picks the lot and sleeve the numpy
    search picked, ties included (the first lot, then the first sleeve, as ``np.argmax``)."""
    from sma.uma._band import _beyond, best_band_move
    from tests.uma.numpy_band_move import numpy_best_move

    lot_value, sleeve, symbol, drift, band, cash, total, held, goal = state
    want = numpy_best_move(lot_value, sleeve, symbol, drift, band, cash, total, held, goal)
    beyond = _beyond(drift, band)
    for kernel in (best_band_move, best_band_move.py_func):
        if total <= 0 or beyond.sum() <= 1e-12:  # ``_Band._best_move`` stops before the kernel
            assert want is None
            continue
        k, to = kernel(lot_value, sleeve, symbol, drift, beyond, (band, cash), total, (held, goal))
        assert (None if k < 0 else (int(k), int(to))) == want


def test_the_compiled_band_move_agrees_on_random_accounts_far_off_their_targets():
    """3,000 random accounts whose sleeves sit well outside their bands (most have a move): the
    compiled search and its Python reading pick what the numpy search picked, every time."""
    from sma.uma._band import _beyond, best_band_move
    from tests.uma.numpy_band_move import numpy_best_move

    rng = np.random.default_rng(19)
    moves = 0
    for _ in range(3_000):
        n_sleeves, n_lots, n_symbols = rng.integers(2, 6), rng.integers(1, 16), rng.integers(1, 5)
        lot_value = rng.choice([0.0, 1_000.0, 2_000.0, 5_000.0, 7_777.77], n_lots)
        sleeve = rng.integers(0, n_sleeves, n_lots)
        symbol = rng.integers(0, n_symbols, n_lots)
        drift = np.round(rng.normal(0.0, 0.1, n_sleeves), 2)
        band = rng.choice([0.0, 0.02, 0.05], n_sleeves)
        cash = rng.random(n_sleeves) < 0.2
        held = rng.choice([0.0, 800.0, 4_000.0], (n_symbols, n_sleeves))
        goal = rng.choice([0.0, 800.0, 4_000.0], (n_symbols, n_sleeves))
        total = 100_000.0
        want = numpy_best_move(lot_value, sleeve, symbol, drift, band, cash, total, held, goal)
        moves += want is not None
        beyond = _beyond(drift, band)
        if beyond.sum() <= 1e-12:
            assert want is None
            continue
        for kernel in (best_band_move, best_band_move.py_func):
            k, to = kernel(
                lot_value, sleeve, symbol, drift, beyond, (band, cash), total, (held, goal)
            )
            assert (None if k < 0 else (int(k), int(to))) == want
    assert moves > 1_500  # the comparison is mostly of real moves, not of "none"


def _in_two_pieces(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` concatenated from its two halves: its text columns held by Arrow in two chunks,
    as a frame read or built from parts holds them."""
    half = len(frame) // 2
    return pd.concat([frame.iloc[:half], frame.iloc[half:]])


@property_examples(10, 100, given(_account()))
def test_the_bands_are_the_same_whether_the_lots_and_sells_come_in_one_piece_or_several(account):
    sleeves, lots, value, attribution, booking, cash, cash_after = _booked(account)
    pieces = type(booking)(
        _in_two_pieces(booking.trades),
        booking.transfers,
        _in_two_pieces(booking.lot_sleeves),
        _in_two_pieces(pd.concat([booking.lot_sells, booking.lot_sells.iloc[:0]])),
    )
    after = pd.Series({"U1": cash_after})
    want = keep_in_band(attribution, booking, sleeves, MODELS, CLOSES, value, after)
    got = keep_in_band(_in_two_pieces(attribution), pieces, sleeves, MODELS, CLOSES, value, after)
    for mine, theirs in zip(got, want, strict=True):
        if isinstance(theirs, pd.DataFrame):
            pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
    for name in ("trades", "transfers", "lot_sleeves", "lot_sells"):
        pd.testing.assert_frame_equal(
            getattr(got[0], name).reset_index(drop=True),
            getattr(want[0], name).reset_index(drop=True),
            check_exact=True,
        )


@st.composite
def _moving_account(draw):
    """One account as ``_Band`` holds it before its moves: sleeves' values off their targets by
    drawn amounts, lots of repeated values, sometimes a lot in no sleeve of the account (-1, the
    last column), an account worth nothing."""
    n_sleeves = draw(st.integers(1, 5))
    n_lots = draw(st.integers(0, 12))
    n_symbols = draw(st.integers(1, 4))
    grid = st.sampled_from([0.0, 1_000.0, 2_500.0, 5_000.0, 12_345.67])
    lot_value = np.array(draw(st.lists(grid, min_size=n_lots, max_size=n_lots)))
    sleeve = np.array(
        draw(st.lists(st.integers(-1, n_sleeves - 1), min_size=n_lots, max_size=n_lots)), np.int64
    )
    symbol = np.array(
        draw(st.lists(st.integers(0, n_symbols - 1), min_size=n_lots, max_size=n_lots)), np.int64
    )
    raw = draw(st.lists(st.floats(0.05, 1.0), min_size=n_sleeves, max_size=n_sleeves))
    target = np.array(raw) / sum(raw)
    band, cash, held, goal = _sleeves_drawn(draw, n_symbols, n_sleeves)
    value = np.zeros(n_sleeves)
    np.add.at(value, sleeve, lot_value)
    value += np.array(draw(st.lists(grid, min_size=n_sleeves, max_size=n_sleeves)))
    total = draw(st.sampled_from([float(value.sum()), float(value.sum()) + 5_000.0, 0.0]))
    return lot_value, sleeve, symbol, value, target, band, cash, total, held, goal


def _moves_both_ways(account):
    """The moves of the Python loop around the numpy search, and of ``band_moves`` compiled and
    as Python, each on its own copy of the account: (moves, sleeves, values, held) each."""
    from sma.uma._band import band_moves
    from tests.uma.numpy_band_move import numpy_moves

    lot_value, sleeve, symbol, value, target, band, cash, total, held, goal = account
    most = 4 * lot_value.size + 1
    sleeves, values, held_usd = sleeve.copy(), value.copy(), held.copy()
    spec = numpy_moves(
        lot_value, sleeves, symbol, values, target, band, cash, total, held_usd, goal, most
    )
    runs = [(spec, [sleeves, values, held_usd])]
    for kernel in (band_moves, band_moves.py_func):
        sleeves, values, held_usd = sleeve.copy(), value.copy(), held.copy()
        made = kernel(
            lot_value, sleeves, symbol, values, (target, band, cash), total, (held_usd, goal), most
        )
        runs.append(([(int(k), int(a), int(b)) for k, a, b in made], [sleeves, values, held_usd]))
    return runs


@property_examples(50, 2_000, given(_moving_account()))
def test_the_compiled_band_moves_are_the_python_loop_they_replaced(account):
    """``band_moves`` (compiled, and its Python reading) makes the moves the Python loop around
    the numpy search made, in the same order, and leaves every sleeve, value and holding the same
    to the bit."""
    (want, want_state), *got = _moves_both_ways(account)
    for moves, state in got:
        assert moves == want
        assert all(a.tobytes() == b.tobytes() for a, b in zip(state, want_state, strict=True))


def test_the_compiled_band_moves_agree_on_random_accounts_far_off_their_targets():
    """2,000 random accounts whose sleeves sit far from their targets (most move several lots):
    the compiled loop and its Python reading make the Python loop's moves, to the bit."""
    rng = np.random.default_rng(23)
    moves = 0
    for _ in range(2_000):
        n_sleeves, n_lots, n_symbols = rng.integers(2, 6), rng.integers(1, 25), rng.integers(1, 5)
        lot_value = rng.choice([0.0, 1_000.0, 2_000.0, 5_000.0, 7_777.77], n_lots)
        sleeve = rng.integers(0, n_sleeves, n_lots)
        value = np.bincount(sleeve, lot_value, minlength=n_sleeves) + rng.choice(
            [0.0, 3e3], n_sleeves
        )
        target = rng.dirichlet(np.ones(n_sleeves))
        band = rng.choice([0.0, 0.02, 0.05], n_sleeves)
        cash = rng.random(n_sleeves) < 0.2
        held = rng.choice([0.0, 800.0, 4_000.0], (n_symbols, n_sleeves))
        goal = rng.choice([0.0, 800.0, 4_000.0], (n_symbols, n_sleeves))
        account = (lot_value, sleeve, rng.integers(0, n_symbols, n_lots), value, target, band)
        (want, want_state), *got = _moves_both_ways((*account, cash, value.sum(), held, goal))
        moves += len(want)
        for made, state in got:
            assert made == want
            assert all(a.tobytes() == b.tobytes() for a, b in zip(state, want_state, strict=True))
    assert moves > 4_000  # mostly accounts that move, several lots each


def test_the_compiled_sum_adds_as_numpy_does():
    """The sum the compiled loop compares with the band is numpy's ``sum`` to the bit, for short
    arrays (added one by one) and long ones (numpy's pairwise blocks), -0.0 and NaN included."""
    from sma.uma._band import _numpy_sum

    rng = np.random.default_rng(7)
    for n in [*range(0, 40), 127, 128, 129, 255, 256, 257, 1_000]:
        for _ in range(20):
            x = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 12, n)
            if n and rng.random() < 0.1:
                x[rng.integers(0, n)] = rng.choice([-0.0, np.nan])
            if rng.random() < 0.05:
                x[:] = -0.0
            assert np.float64(_numpy_sum(x)).tobytes() == np.float64(x.sum()).tobytes()
