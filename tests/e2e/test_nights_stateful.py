"""Several nights in a row, driven by hypothesis: prices move, splits go ex, clients add and take
cash, restrictions arrive, the night decides, the desk fills all or part of the blotter, and the
ledger's lots and cash become the next night's inbox.

After every step, exactly (whole cents, share counts): shares per account and symbol = before
(split-adjusted) + bought - sold; total basis = before + cost of buys - basis relieved + wash-sale
loss carried into lots; cash = before + proceeds - cost + cash flows; every lot the proposal sells
exists and is not oversold; no lot appears or disappears except through a fill; a split multiplies
quantities by its ratio and keeps basis and dates (PRODUCT.md, "Non-functional": nothing is lost;
"Tax rules": splits; "The nightly run", step 9: fills relieve exactly the lots instructed).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pipelines.blotter import approve, load_users, release
from pipelines.book import write_inbox
from pipelines.fills_booking import book_fills_file
from pipelines.night import run_night
from pipelines.settings import Settings
from pipelines.store import open_store
from tests.e2e import small_book
from tests.e2e.test_fills_cli import fills_from_exports

FIRST_DAY = date(2026, 11, 2)
USERS = load_users(Path(__file__).parents[2] / "config" / "users.toml")
KEY = ["account_id", "symbol"]
LOT = ["account_id", "lot_id"]
WASH_PART = r"(-w\d+)+$"  # the ledger's id for the part of a lot that a wash sale split off


def cents(usd) -> int:
    """USD to whole cents, half away from zero, read as written (``1.005`` is 101 cents)."""
    return int((Decimal(repr(float(usd))) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def notional_cents(quantity: float, price: float) -> int:
    return int(
        (Decimal(repr(float(quantity))) * Decimal(repr(float(price))) * 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )


def next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def shares_by_position(lots: pd.DataFrame) -> dict[tuple[str, str], float]:
    return lots.groupby(KEY)["quantity"].sum().to_dict()


@dataclass
class Pending:
    """A night that ran and whose blotter may still be filled."""

    as_of: date
    run_dir: Path
    lots: pd.DataFrame  # the inbox lots with tonight's splits applied (what the fills start from)
    cash: pd.DataFrame  # the inbox cash, before tonight's cash flows are booked
    flows: dict[str, int]  # cents per account requested tonight, booked by the custodian overnight


class Nights(RuleBasedStateMachine):
    """The book as inbox frames; each rule is one thing that happens between or during nights.

    The day's events and the night wait for the desk's answer to the last night (fills of all, part
    or none of its blotter), as in production: fills come in the morning after a night.
    """

    @initialize(seed=st.integers(0, 10_000))
    def open_book(self, seed: int) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sma-nights-"))
        self.settings = Settings(
            store={"path": self.root / "store.duckdb"},
            storage={"uri": str(self.root / "storage")},
            runs={"dir": self.root / "runs"},
            night={"workers": 1, "accounts_per_shard": 3},
        )
        self.frames = small_book.initial_book(seed, FIRST_DAY)
        self.today = FIRST_DAY  # the last day with closes
        self.last_night: date | None = None
        self.splits: dict[str, float] = {}  # symbol -> ratio, going ex on the next night
        self.flows: dict[str, int] = {}  # account -> cents requested for the next night
        self.pending: Pending | None = None
        # The independent account of what must be there, kept from the events alone.
        self.expected_shares = shares_by_position(self.frames["lots"])
        self.expected_cash = {
            a: cents(v)
            for a, v in zip(self.frames["cash"]["account_id"], self.frames["cash"]["amount"])
        }
        self.expected_basis = sum(cents(v) for v in self.frames["lots"]["cost_basis"])

    def teardown(self) -> None:
        if hasattr(self, "root"):
            shutil.rmtree(self.root, ignore_errors=True)

    # ---------------------------------------------------------------- things that happen

    @precondition(lambda self: self.pending is None)
    @rule(seed=st.integers(0, 2**31 - 1), volatility=st.sampled_from([0.005, 0.02, 0.08]))
    def a_new_trading_day_of_prices(self, seed: int, volatility: float) -> None:
        self._new_day(seed, volatility)

    @precondition(lambda self: self.pending is None)
    @rule(symbol=st.sampled_from(small_book.SYMBOLS), ratio=st.sampled_from([2.0, 3.0, 4.0]))
    def a_split_is_announced_for_the_next_night(self, symbol: str, ratio: float) -> None:
        self.splits[symbol] = self.splits.get(symbol, 1.0) * ratio

    @precondition(lambda self: self.pending is None)
    @rule(
        account=st.sampled_from([a[0] for a in small_book.ACCOUNTS]),
        amount=st.one_of(st.integers(100, 5_000), st.integers(-1_500, -100)),
    )
    def a_client_asks_for_a_contribution_or_withdrawal(self, account: str, amount: int) -> None:
        self.flows[account] = self.flows.get(account, 0) + amount * 100

    @precondition(lambda self: self.pending is None)
    @rule(
        account=st.sampled_from([a[0] for a in small_book.ACCOUNTS]),
        kind=st.sampled_from(["EXCLUDE", "NO_BUY"]),
        symbol=st.sampled_from(small_book.SYMBOLS),
    )
    def a_new_restriction(self, account: str, kind: str, symbol: str) -> None:
        r = self.frames["restrictions"]
        if ((r["account_id"] == account) & (r["symbol"] == symbol)).any():
            return  # one restriction per account and symbol keeps the contract's rows unambiguous
        row = pd.DataFrame(
            [
                {
                    "account_id": account,
                    "kind": kind,
                    "symbol": symbol,
                    "sector": None,
                    "esg_tag": None,
                }
            ]
        )
        self.frames["restrictions"] = pd.concat([r, row], ignore_index=True)[
            small_book.columns("restrictions")
        ]

    @precondition(lambda self: self.pending is None)
    @rule(seed=st.integers(0, 2**31 - 1))
    def run_the_night(self, seed: int) -> None:
        if self.last_night is not None and self.today <= self.last_night:
            self._new_day(seed, 0.01)
        as_of = self.today
        self._apply_split_to_prices()
        lots_before = self.frames["lots"].copy()
        split_lots = self._split(lots_before)
        inbox_flows = pd.DataFrame(
            {
                "account_id": list(self.flows),
                "amount": [v / 100 for v in self.flows.values()],
                "requested_date": as_of,
            },
        )
        frames = {
            **self.frames,
            "positions": small_book.positions_of(split_lots),
            "cash_flows": inbox_flows[small_book.columns("cash_flows")],
            "corporate_actions": pd.DataFrame(
                {
                    "symbol": list(self.splits),
                    "ex_date": as_of,
                    "kind": "SPLIT",
                    "ratio": list(self.splits.values()),
                },
            ).reindex(columns=small_book.columns("corporate_actions")),
        }
        write_inbox(frames, self.root / "inbox", as_of, "csv")
        run_night(as_of, self.root / "inbox", self.settings, workers=1, progress=False)
        run_dir = Path(self.settings.runs.dir) / as_of.isoformat()
        self._check_proposal(run_dir, split_lots)

        # Overnight the custodian books the split and the cash flows; fills may follow.
        for (account, symbol), qty in list(self.expected_shares.items()):
            self.expected_shares[(account, symbol)] = qty * self.splits.get(symbol, 1.0)
        for account, amount in self.flows.items():
            self.expected_cash[account] += amount
        self.pending = Pending(
            as_of, run_dir, split_lots, self.frames["cash"].copy(), dict(self.flows)
        )
        self.frames["lots"] = split_lots
        self.frames["cash"] = self._cash_plus_flows(self.frames["cash"], self.flows)
        self.splits, self.flows, self.last_night = {}, {}, as_of

    @precondition(lambda self: self.pending is not None)
    @rule(seed=st.integers(0, 2**31 - 1), share=st.sampled_from([1.0, 0.5, 0.0]))
    def approve_release_and_load_the_fills(self, seed: int, share: float) -> None:
        """The desk fills every order, a random half of the fills, or none (the blotter is never
        released)."""
        night, self.pending = self.pending, None
        trades = pd.read_parquet(night.run_dir / "proposal" / "trades.parquet")
        if trades.empty or share == 0.0:
            return
        approve(night.run_dir, "pm-alice", USERS)
        release(night.run_dir, "trader-tom", USERS)
        fills = fills_from_exports(night.run_dir)
        if share < 1.0:
            keep = np.random.default_rng(seed).random(len(fills)) < share
            fills = fills[keep].reset_index(drop=True)
        if fills.empty:
            return
        fills_file = self.root / f"fills-{night.as_of}.csv"
        fills.to_csv(fills_file, index=False)
        carried_before = self._carried_cents()
        book_fills_file(
            fills_file, night.as_of.isoformat(), self.settings, trade_date=night.as_of, user="ops"
        )
        lots, cash, realized = self._ledger(night.as_of)
        carried = self._carried_cents() - carried_before
        self._check_fills(night, fills, lots, cash, realized, carried)

        signed = fills["quantity"] * fills["side"].map({"BUY": 1.0, "SELL": -1.0})
        for (account, symbol), qty in (
            signed.groupby([fills["account_id"], fills["symbol"]]).sum().items()
        ):
            self.expected_shares[(account, symbol)] = (
                self.expected_shares.get((account, symbol), 0.0) + qty
            )
        for f in fills.itertuples():
            move = notional_cents(f.quantity, f.price)
            self.expected_cash[f.account_id] += move if f.side == "SELL" else -move
            self.expected_basis += move if f.side == "BUY" else 0
        self.expected_basis += carried - int(realized["relieved"].sum())

        self.frames["lots"] = lots[small_book.columns("lots")]
        self.frames["cash"] = self._cash_plus_flows(cash, night.flows)
        self.frames["transactions"] = self._transactions(night.as_of, fills, realized)

    # ---------------------------------------------------------------- invariants

    @invariant()
    def shares_cash_and_basis_are_conserved(self) -> None:
        if not hasattr(self, "frames"):
            return
        lots = self.frames["lots"]
        held = {k: v for k, v in shares_by_position(lots).items() if v}
        expected = {k: v for k, v in self.expected_shares.items() if v}
        assert held == expected
        assert (lots["quantity"] > 0).all(), "a lot with no shares is still open"
        assert not lots.duplicated(LOT).any()
        cash = {
            a: cents(v)
            for a, v in zip(self.frames["cash"]["account_id"], self.frames["cash"]["amount"])
        }
        assert cash == self.expected_cash
        assert sum(cents(v) for v in lots["cost_basis"]) == self.expected_basis

    # ---------------------------------------------------------------- checks of one step

    def _check_proposal(self, run_dir: Path, split_lots: pd.DataFrame) -> None:
        """Every lot the proposal sells exists (after tonight's splits) and is not oversold; sells
        are
        the lots' sum; nothing restricted is bought; the inbox is clean and its lots, split tonight,
        agree with the custodian's positions, so no account is held."""
        proposal = run_dir / "proposal"
        lot_sells = pd.read_parquet(proposal / "lot_sells.parquet")
        trades = pd.read_parquet(proposal / "trades.parquet")
        exceptions = pd.read_parquet(proposal / "exceptions.parquet")
        held = exceptions[exceptions["kind"].isin(["BAD_INPUT", "RECONCILIATION"])]
        assert held.empty, f"a clean inbox held accounts:\n{held.to_string()}"

        sold = lot_sells.groupby(LOT + ["symbol"], as_index=False)["quantity"].sum()
        open_lots = split_lots.set_index(LOT)
        missing = sold[~sold.set_index(LOT).index.isin(open_lots.index)]
        assert missing.empty, f"lot_sells name lots that are not open:\n{missing}"
        have = open_lots.loc[list(zip(sold["account_id"], sold["lot_id"]))]
        assert (have["symbol"].to_numpy() == sold["symbol"].to_numpy()).all()
        assert (sold["quantity"].to_numpy() <= have["quantity"].to_numpy()).all(), (
            "a lot is oversold"
        )
        assert (sold["quantity"] > 0).all()

        sells = trades[trades["side"] == "SELL"].groupby(KEY)["quantity"].sum()
        assert sells.to_dict() == lot_sells.groupby(KEY)["quantity"].sum().to_dict()
        buys = trades[trades["side"] == "BUY"][KEY]
        r = self.frames["restrictions"]
        blocked = buys.merge(r[r["kind"].isin(["EXCLUDE", "NO_BUY"])], on=KEY)
        assert blocked.empty, f"restricted securities bought:\n{blocked}"

    def _check_fills(
        self,
        night: Pending,
        fills: pd.DataFrame,
        lots: pd.DataFrame,
        cash: pd.DataFrame,
        realized: pd.DataFrame,
        carried: int,
    ) -> None:
        """The ledger after the fills against the lots, cash and fills it started from, exactly.

        ``carried`` is the wash-sale loss the fills carried into lots, in cents: from tonight's
        sales and from earlier nights' loss sales that tonight's buys washed (those rows are
        amended in place, so they are not among tonight's ``realized``)."""
        before = night.lots.assign(basis=[cents(v) for v in night.lots["cost_basis"]]).set_index(
            LOT
        )
        sells, buys = fills[fills["side"] == "SELL"], fills[fills["side"] == "BUY"]

        # Shares per position: before + bought - sold.
        signed = fills["quantity"] * fills["side"].map({"BUY": 1.0, "SELL": -1.0})
        moved = signed.groupby([fills["account_id"], fills["symbol"]]).sum()
        expected = night.lots.groupby(KEY)["quantity"].sum().add(moved, fill_value=0.0)
        assert {k: v for k, v in expected.items() if v} == shares_by_position(lots)

        # Lots: an old lot keeps its shares less what was sold from it, and goes only when all is
        # sold;
        # new lots come only from buys, one per buy fill, with the buy's shares. A lot bought within
        # 30
        # days of a loss sale may be split by the wash sale into itself and "<lot_id>-w<n>" parts
        # carrying the disallowed loss (PRODUCT.md, "partial replacement washes only the replaced
        # share count"): such a family counts as its lot.
        family = (
            lots.assign(lot_id=lots["lot_id"].str.replace(WASH_PART, "", regex=True))
            .groupby(LOT)
            .agg(
                quantity=("quantity", "sum"),
                basis=("cost_basis", lambda b: sum(cents(v) for v in b)),
                acquired=("acquired_date", lambda d: set(map(str, d))),
            )
        )
        sold = sells.groupby(["account_id", "lot_id"])["quantity"].sum()
        left = before["quantity"].sub(sold.reindex(before.index, fill_value=0.0))
        assert (left >= 0).all(), "a fill sold more than its lot"
        assert set(left[left > 0].index) == set(family.index) & set(before.index), (
            "a lot vanished or was not closed"
        )
        assert np.array_equal(
            family.loc[left[left > 0].index, "quantity"].to_numpy(), left[left > 0].to_numpy()
        )
        new = family.loc[~family.index.isin(before.index)]
        assert len(new) == len(buys), "lots appeared that no buy opened"
        assert sorted(new["quantity"]) == sorted(buys["quantity"])
        kept = family.index.intersection(before.index)
        assert all(
            acq == {str(d)}
            for acq, d in zip(family.loc[kept, "acquired"], before.loc[kept, "acquired_date"])
        )

        # Realized rows: exactly the lots instructed, at the fill's proceeds.
        got = realized.groupby(["account_id", "lot_id"])["quantity"].sum()
        assert got.sort_index().equals(sold.sort_index().astype(float))
        assert realized["proceeds"].sum() == sum(
            notional_cents(q, p) for q, p in zip(sells["quantity"], sells["price"])
        )
        assert (realized["carried"] >= 0).all() and (
            realized["carried"] <= realized["disallowed"]
        ).all()

        # Basis: an old lot keeps its basis less what was relieved (plus any wash-sale loss carried
        # in);
        # a lot sold out leaves no basis behind; the total is exact.
        relieved = realized.groupby(["account_id", "lot_id"])["relieved"].sum()
        floor = before["basis"].sub(relieved.reindex(before.index, fill_value=0))
        assert (family.loc[kept, "basis"] >= floor.loc[kept]).all()
        if carried == 0:  # no wash sale: every lot kept keeps its basis to the cent
            assert (family.loc[kept, "basis"] == floor.loc[kept]).all()
        fully_sold = left[left == 0].index
        assert (relieved.reindex(fully_sold) == before.loc[fully_sold, "basis"]).all(), (
            "a lot sold out left basis behind"
        )
        cost = sum(notional_cents(q, p) for q, p in zip(buys["quantity"], buys["price"]))
        assert int(family["basis"].sum()) == (
            int(before["basis"].sum()) + cost - int(realized["relieved"].sum()) + carried
        )

        # Cash per account: before + proceeds - cost, to the cent (cash flows are the custodian's,
        # booked apart).
        flow = {a: 0 for a in night.cash["account_id"]}
        for f in fills.itertuples():
            flow[f.account_id] += notional_cents(f.quantity, f.price) * (
                1 if f.side == "SELL" else -1
            )
        expected_cash = {
            a: cents(v) + flow[a] for a, v in zip(night.cash["account_id"], night.cash["amount"])
        }
        assert {a: cents(v) for a, v in zip(cash["account_id"], cash["amount"])} == expected_cash

    # ---------------------------------------------------------------- the book's state

    def _new_day(self, seed: int, volatility: float) -> None:
        prices = self.frames["prices"]
        last = prices[prices["date"] == self.today].set_index("symbol")["close"]
        moves = np.random.default_rng(seed).normal(0.0, volatility, len(last))
        self.today = next_business_day(self.today)
        day = pd.DataFrame(
            {
                "date": self.today,
                "symbol": last.index,
                "close": np.maximum(np.round(last.to_numpy() * np.exp(moves), 2), 0.5),
                "volume": 5_000_000.0,
            }
        )
        self.frames["prices"] = pd.concat([prices, day[prices.columns]], ignore_index=True)

    def _apply_split_to_prices(self) -> None:
        """Closes come split-adjusted: the whole history of a splitting symbol is restated."""
        prices = self.frames["prices"]
        ratio = prices["symbol"].map(self.splits).fillna(1.0)
        self.frames["prices"] = prices.assign(
            close=np.maximum(np.round(prices["close"] / ratio, 2), 0.01)
        )

    def _split(self, lots: pd.DataFrame) -> pd.DataFrame:
        return lots.assign(quantity=lots["quantity"] * lots["symbol"].map(self.splits).fillna(1.0))

    @staticmethod
    def _cash_plus_flows(cash: pd.DataFrame, flows: dict[str, int]) -> pd.DataFrame:
        amount = [
            (cents(v) + flows.get(a, 0)) / 100 for a, v in zip(cash["account_id"], cash["amount"])
        ]
        return pd.DataFrame({"account_id": cash["account_id"].to_numpy(), "amount": amount})

    def _carried_cents(self) -> int:
        """Wash-sale loss carried into lots by every sale in the store so far, in cents."""
        with open_store(self.settings.store.path, read_only=True) as con:
            return int(
                con.execute(
                    "SELECT coalesce(sum(CAST(round((wash_sale_disallowed - "
                    "permanently_disallowed) * 100) AS BIGINT)), 0) FROM realized_gains"
                ).fetchone()[0]
            )

    def _ledger(self, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The store's lots, cash and realized gains for the run, money in USD (lots, cash) or cents
        (realized)."""
        with open_store(self.settings.store.path, read_only=True) as con:
            lots = con.execute(
                "SELECT account_id, lot_id, symbol, quantity, CAST(cost_basis AS DOUBLE) AS "
                "cost_basis, acquired_date, "
                "adjusted_acquired_date FROM ledger_lots WHERE as_of_date = ? ORDER BY "
                "account_id, lot_id",
                [as_of],
            ).df()
            cash = con.execute(
                "SELECT account_id, CAST(amount AS DOUBLE) AS amount FROM ledger_cash WHERE "
                "as_of_date = ? "
                "ORDER BY account_id",
                [as_of],
            ).df()
            realized = con.execute(
                "SELECT fill_id, account_id, symbol, lot_id, quantity, CAST(round(proceeds * "
                "100) AS BIGINT) AS proceeds, "
                "CAST(round(cost_basis * 100) AS BIGINT) AS relieved, "
                "CAST(round(wash_sale_disallowed * 100) AS BIGINT) AS disallowed, "
                "CAST(round((wash_sale_disallowed - permanently_disallowed) * 100) AS BIGINT) "
                "AS carried, "
                "CAST(gain AS DOUBLE) AS gain FROM realized_gains WHERE as_of_date = ?",
                [as_of],
            ).df()
        for col in ("acquired_date", "adjusted_acquired_date"):
            lots[col] = pd.to_datetime(lots[col]).dt.date
        return lots, cash, realized

    def _transactions(
        self, as_of: date, fills: pd.DataFrame, realized: pd.DataFrame
    ) -> pd.DataFrame:
        """Tonight's fills join the trade history the engine reads for wash sales (last 31 days
        kept)."""
        gain = realized.groupby(["account_id", "symbol", "lot_id"])["gain"].sum()
        rows = fills.assign(
            trade_date=as_of,
            realized_gain=[
                gain.get((f.account_id, f.symbol, f.lot_id)) if f.side == "SELL" else None
                for f in fills.itertuples()
            ],
        )
        rows = rows.groupby(
            ["account_id", "trade_date", "symbol", "side", "price"], as_index=False, dropna=False
        ).agg(
            quantity=("quantity", "sum"),
            realized_gain=("realized_gain", lambda g: g.sum(min_count=1)),
        )
        old = self.frames["transactions"]
        both = (
            pd.concat([old, rows[small_book.columns("transactions")]], ignore_index=True)
            if len(old)
            else rows
        )
        recent = pd.to_datetime(both["trade_date"]).dt.date >= as_of - timedelta(days=31)
        return both[recent][small_book.columns("transactions")].reset_index(drop=True)


def _one_night(tmp_path: Path, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Run one night of ``frames`` on FIRST_DAY; its exceptions."""
    config = Settings(
        store={"path": tmp_path / "store.duckdb"},
        storage={"uri": str(tmp_path / "storage")},
        runs={"dir": tmp_path / "runs"},
        night={"workers": 1, "accounts_per_shard": 3},
    )
    write_inbox(frames, tmp_path / "inbox", FIRST_DAY, "csv")
    run_night(FIRST_DAY, tmp_path / "inbox", config, workers=1, progress=False)
    return pd.read_parquet(
        tmp_path / "runs" / FIRST_DAY.isoformat() / "proposal" / "exceptions.parquet"
    )


def _blocked_in_household_h1_until(tmp_path: Path, symbol: str, until: date) -> None:
    """The night's proposal blocks buying ``symbol`` in household H1's accounts (A1 and A2), not
    in A3's H2, until ``until``."""
    blocks = pd.read_parquet(
        tmp_path / "runs" / FIRST_DAY.isoformat() / "proposal" / "blocks.parquet"
    )
    buy_blocked = blocks[(blocks["symbol"] == symbol) & (blocks["kind"] == "BUY_BLOCKED")]
    assert set(buy_blocked["account_id"]) == {"A1", "A2"}
    assert set(pd.to_datetime(buy_blocked["until"]).dt.date) == {until}


@pytest.mark.slow
def test_a_split_going_ex_tonight_holds_no_account_whose_custodian_shows_the_split(tmp_path):
    """Prepare applies tonight's splits, then reconciles lots with the custodian's positions
    (PRODUCT.md, "The nightly run", step 3; "Tax rules": a split multiplies lot quantities by the
    ratio): on the ex-date the custodian already shows the new share count, which is no break."""
    frames = small_book.initial_book(7, FIRST_DAY)
    symbol = (
        frames["lots"].groupby("symbol")["account_id"].nunique().idxmin()
    )  # the other accounts still trade
    ratio = pd.Series({symbol: 2.0})
    split = frames["lots"].assign(
        quantity=frames["lots"]["quantity"] * frames["lots"]["symbol"].map(ratio).fillna(1.0)
    )
    frames["positions"] = small_book.positions_of(split)
    frames["corporate_actions"] = pd.DataFrame(
        [{"symbol": symbol, "ex_date": FIRST_DAY, "kind": "SPLIT", "ratio": 2.0}]
    )
    frames["prices"] = frames["prices"].assign(
        close=np.round(
            frames["prices"]["close"] / frames["prices"]["symbol"].map(ratio).fillna(1.0), 2
        )
    )
    exceptions = _one_night(tmp_path, frames)
    assert exceptions[exceptions["kind"].isin(["BAD_INPUT", "RECONCILIATION"])].empty, (
        exceptions.to_string()
    )


@pytest.mark.slow
def test_a_night_with_every_account_held_lists_them_for_the_pm_instead_of_failing(tmp_path):
    """A break holds the account and the rest of the book still runs (PRODUCT.md, "The nightly
    run", steps 1 and 3): when every account is held, the night ends with nothing to trade and every
    account listed as an exception."""
    frames = small_book.initial_book(7, FIRST_DAY)
    frames["positions"] = frames["positions"].assign(quantity=frames["positions"]["quantity"] + 1.0)
    exceptions = _one_night(tmp_path, frames)
    assert set(exceptions["account_id"]) == {a[0] for a in small_book.ACCOUNTS}


@pytest.mark.slow
def test_a_loss_lot_inside_a_sale_that_nets_a_gain_still_blocks_the_buy_back(tmp_path):
    """The custodian's transaction nets a sale's lots: a loss lot sold with a larger gain lot reads
    as one sale at a gain. Wash sales go share by share (IRS Publication 550, "Wash Sales"), so the
    loss lot's shares would be washed by a buy within 30 days; the night reads each lot's loss from
    the ledger's realized gains and blocks the buy back in the whole household (PRODUCT.md, "Tax
    rules": the engine never buys what the household sold at a loss in the last 30 days)."""
    frames = small_book.initial_book(7, FIRST_DAY)
    sold_on = FIRST_DAY - timedelta(days=5)
    symbol = sorted(set(small_book.SYMBOLS) - set(frames["lots"]["symbol"]))[0]
    sale = {"account_id": "A1", "trade_date": sold_on, "symbol": symbol, "side": "SELL"}
    frames["transactions"] = pd.concat(
        [
            frames["transactions"],
            pd.DataFrame([{**sale, "quantity": 30.0, "price": 100.0, "realized_gain": 12.0}]),
        ],
        ignore_index=True,
    )
    with open_store(tmp_path / "store.duckdb") as con:
        for lot, qty, basis in ((f"A1-{symbol}-0", 10.0, 1040.0), (f"A1-{symbol}-1", 20.0, 1948.0)):
            con.execute(
                "INSERT INTO realized_gains VALUES (?, 'F1', 'A1', ?, ?, ?, ?, ?, ?, 0, 0, NULL, ?,"
                " 'LONG', '2024-01-02', '2024-01-02')",
                [sold_on, symbol, lot, sold_on, qty, qty * 100.0, basis, qty * 100.0 - basis],
            )
    _one_night(tmp_path, frames)
    _blocked_in_household_h1_until(tmp_path, symbol, sold_on + timedelta(days=31))


@pytest.mark.slow
def test_a_loss_sale_before_a_ticker_change_blocks_buying_the_new_ticker(tmp_path):
    """A SYMBOL_CHANGE is the same security under a new ticker (CORPORATE_ACTIONS.md), so buying
    the new ticker within 30 days of a loss sale of the old one is a wash sale (IRS Publication
    550, "Wash Sales"). Our ledger booked A1's harvest of OLDCO 10 days ago; an earlier night's
    inbox renamed OLDCO 4 days ago to a ticker tonight's securities list. Tonight the household
    may not buy it (the night used to block OLDCO only, which no longer trades)."""
    frames = small_book.initial_book(7, FIRST_DAY)
    sold_on, renamed_on = FIRST_DAY - timedelta(days=10), FIRST_DAY - timedelta(days=4)
    symbol = sorted(set(small_book.SYMBOLS) - set(frames["lots"]["symbol"]))[0]
    with open_store(tmp_path / "store.duckdb") as con:
        con.execute(
            "INSERT INTO realized_gains VALUES (?, 'F1', 'A1', 'OLDCO', 'A1-OLDCO-0', ?, 30, 3000,"
            " 3450, 0, 0, NULL, -450, 'SHORT', '2026-06-01', '2026-06-01')",
            [sold_on, sold_on],
        )
        con.execute(
            "INSERT INTO inbox_corporate_actions (as_of_date, symbol, ex_date, kind, new_symbol) "
            "VALUES (?, 'OLDCO', ?, 'SYMBOL_CHANGE', ?)",
            [renamed_on, renamed_on, symbol],
        )
    _one_night(tmp_path, frames)
    _blocked_in_household_h1_until(tmp_path, symbol, sold_on + timedelta(days=31))


# No shrinking: a night takes seconds, and a failing sequence is printed step by step as found.
Nights.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=10,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestSeveralNightsConserveSharesBasisAndCashAndAccountForEveryLot = pytest.mark.slow(Nights.TestCase)
