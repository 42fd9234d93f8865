"""Step 6 of a night: check every shard's proposal before anything can trade.

Pre-trade compliance (``sma.compliance``) and the output contracts run in each shard task, right
after the shard is decided (:func:`check_shard`); this step gathers what they found. An account
with any violation is held out with its reasons and the rest of the book proceeds. The checked
proposal, the decision records and the exceptions land in the run folder as the blotter's input.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines._faults import crash_point
from pipelines.night import _files
from pipelines.night._contracts import output_contract_issues
from pipelines.night._gifts import DELIVERY_COLUMNS
from pipelines.night._run import Night
from pipelines.store import open_store
from sma.compliance import VIOLATION_COLUMNS, ProposalBook, check_proposal, check_run_totals
from sma.lockup import LOCKUP_COLUMNS, REMEDY_COLUMNS
from sma.rebalance import (
    HOLDING_KINDS,
    LOT_SELL_COLUMNS,
    RECORD_COLUMNS,
    TRADE_COLUMNS,
    DecisionStatus,
    ExceptionKind,
    fractional_accounts,
)
from sma.uma import (
    ATTRIBUTION_COLUMNS,
    OVERLAY_SAVINGS_COLUMNS,
    SLEEVE_RECORD_COLUMNS,
    SLEEVE_TRADE_COLUMNS,
    TRANSFER_COLUMNS,
    after_transfers,
)

EXCEPTION_COLUMNS = ["account_id", "kind", "reason"]


def flagged_exceptions(records: pd.DataFrame) -> pd.DataFrame:
    """The exceptions the engine wrote into its decision records (``sma.rebalance.ExceptionKind``):
    SOLVER, CASH, TE_LIMIT, IDLE_CASH, BELOW_MINIMUM, one row per account, with the record's
    reason."""
    kinds = records["exception"].fillna("").astype(str)
    flagged = records[kinds != ""]
    return pd.DataFrame(
        {
            "account_id": flagged["account_id"],
            "kind": kinds[kinds != ""],
            "reason": flagged["reason"].astype(str),
        }
    )


_TEXT_COLUMNS = {
    "account_id",
    "symbol",
    "side",
    "reason",
    "lot_id",
    "term",
    "status",
    "exception",
    "triggers",
    "kind",
    "remedy",
    "what",
    "why",
    "until",
    "sector",
    "solver_status",
    "rule",
    "message",
    "sleeve_id",
    "attributed",
    "from_sleeve",
    "to_sleeve",
    "model_id",
    "file",
    "column",
    "value",
}


def _empty(columns: list[str]) -> pd.DataFrame:
    """No rows, but numbers typed as numbers, so the checks' arithmetic works on a quiet night."""
    return pd.DataFrame(
        {c: pd.Series(dtype=object if c in _TEXT_COLUMNS else "float64") for c in columns}
    )


def _gather(night: Night, shards: list[int], name: str, columns: list[str]) -> pd.DataFrame:
    parts = [
        _files.read_parquet(night.uri("decisions", f"{k:04d}", f"{name}.parquet")) for k in shards
    ]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else _empty(columns)


def proposal_trades(night: Night, trades: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """The engine's trades as the proposal carries them: with run, household and account type,
    and whether the account trades fractional shares (the blotter's whole-share rule reads it)."""
    info = accounts.set_index("account_id")[["household_id", "account_type"]]
    fractional = pd.Series(fractional_accounts(accounts), index=info.index)
    return trades.assign(
        run_id=night.run_id,
        as_of_date=night.as_of,
        household_id=trades["account_id"].map(info["household_id"]),
        account_type=trades["account_id"].map(info["account_type"]),
        fractional_shares=trades["account_id"].map(fractional).fillna(False).astype(bool),
    )[
        [
            "run_id",
            "as_of_date",
            "account_id",
            "household_id",
            "account_type",
            *TRADE_COLUMNS[1:],
            "fractional_shares",
        ]
    ]


class _ProposalColumns:
    """:func:`proposal_trades` over Arrow tables, for the gather: each account's household, type
    and fractional flag looked up once per night, by position, never through pandas."""

    def __init__(self, night: Night, accounts: pd.DataFrame):
        self.night = night
        self.accounts = accounts
        self.ids = _text(accounts["account_id"].astype(str))
        self.household = _text(accounts["household_id"])
        self.account_type = _text(accounts["account_type"])
        self.fractional = pa.array(fractional_accounts(accounts), pa.bool_())

    def __call__(self, trades: pa.Table) -> pa.Table:
        if not trades.num_rows:  # the types a quiet shard's file always had
            return _files._table(proposal_trades(self.night, trades.to_pandas(), self.accounts))
        at = pc.index_in(trades["account_id"], value_set=self.ids)
        n = trades.num_rows
        columns = {
            "run_id": pa.array([self.night.run_id] * n, pa.string()),
            "as_of_date": pa.array([self.night.as_of] * n, pa.date32()),
            "account_id": trades["account_id"],
            "household_id": self.household.take(at),
            "account_type": self.account_type.take(at),
            **{c: trades[c] for c in TRADE_COLUMNS[1:]},
            "fractional_shares": pc.fill_null(self.fractional.take(at), False),
        }
        return pa.table(columns)


def _text(column: pd.Series) -> pa.Array:
    return pa.array(column.to_numpy(object), pa.string(), from_pandas=True)


def _without(table: pa.Table, accounts: set[str]) -> pa.Table:
    """``table``'s rows of every account but ``accounts`` (held out tonight), in their order."""
    if not accounts or not table.num_rows:
        return table
    out = pc.is_in(table["account_id"], value_set=pa.array(sorted(accounts), pa.string()))
    return table.filter(pc.invert(out)) if pc.any(out).as_py() else table


def _as_float(table: pa.Table, columns: tuple[str, ...]) -> pa.Table:
    """A shard without rows may have stored its empty number columns as text."""
    for c in columns:
        table = table.set_column(
            table.schema.get_field_index(c), c, pc.cast(table[c], pa.float64())
        )
    return table


#: The lot sells' number columns, and the order the proposal lists them in.
LOT_SELL_NUMBERS = ("quantity", "proceeds", "realized_gain")
LOT_SELL_ORDER = ["account_id", "symbol", "lot_id"]


def _in_order(table: pa.Table, keys: list[str]) -> bool:
    """Whether ``table``'s rows are in the ascending order of ``keys`` already, so that
    ``_files.sorted_table`` (a stable sort) would give it back as it is; a key with a missing
    value never counts as in order."""
    n = table.num_rows
    if any(table[k].null_count for k in keys):
        return False
    if n < 2:
        return True
    after = equal = None  # per pair of neighbours: the second is after the first, or level, so far
    for k in keys:
        column = table[k].combine_chunks()
        first, second = column.slice(0, n - 1), column.slice(1)
        less, same = pc.less(first, second), pc.equal(first, second)
        if after is None:
            after, equal = less, same
        else:
            after, equal = pc.or_(after, pc.and_(equal, less)), pc.and_(equal, same)
    return bool(pc.all(pc.or_(after, equal)).as_py())


def _total(values: pa.ChunkedArray | pa.Array) -> float:
    """The sum pandas gives (NaN skipped, the same order and pairwise summation)."""
    return float(pd.Series(values.to_numpy(zero_copy_only=False), dtype="float64").sum())


def _fractional_ids(accounts: pd.DataFrame) -> frozenset[str]:
    return frozenset(accounts["account_id"].astype(str)[fractional_accounts(accounts)])


def check_shard(
    night: Night,
    accounts: pd.DataFrame,
    lots: pd.DataFrame,
    market: pd.DataFrame,
    trades: pd.DataFrame,
    lot_sells: pd.DataFrame,
    blocks: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pre-trade compliance and the output contracts over one shard's proposal.

    Every rule looks at one account at a time, so checking shard by shard finds exactly what
    checking the whole night at once would. Returns the violations and the contract issues.
    """
    if accounts.empty:  # every account of the shard is held: nothing was proposed
        return _empty(VIOLATION_COLUMNS), _empty(
            ["file", "row", "column", "rule", "value", "message", "account_id"]
        )
    violations = check_proposal(
        ProposalBook(
            trades=trades,
            lot_sells=lot_sells,
            lots=lots,
            cash=accounts.assign(amount=accounts["cash"] + accounts["cash_flow"])[
                ["account_id", "amount"]
            ],
            held=_empty(EXCEPTION_COLUMNS),
            buy_blocked=blocks[blocks["kind"] == "BUY_BLOCKED"][["account_id", "symbol", "why"]],
            sell_blocked=blocks[blocks["kind"] == "SELL_BLOCKED"][["account_id", "symbol", "why"]],
            market=market[["symbol", "close", "volume"]],
            fractional=_fractional_ids(accounts),
            decimals=night.settings.engine.fractional_decimals,
            # the gain budget each account had left tonight, as the engine was given it
            budgets=accounts[["account_id", "gain_budget_remaining"]].rename(
                columns={"gain_budget_remaining": "left"}
            ),
        ),
        night.settings.compliance_limits(),
    )
    broken = output_contract_issues(
        proposal_trades(night, trades, accounts), lot_sells, night.as_of
    )
    return violations, broken.astype({"row": "float64"}) if len(broken) else broken


def _contract_exceptions(broken: pd.DataFrame) -> pd.DataFrame:
    if not len(broken):
        return _empty(EXCEPTION_COLUMNS)
    why = broken.groupby("account_id").apply(
        lambda f: (
            "output contract broken: "
            + "; ".join(f"{r.file} {r.column}: {r.rule}" for r in f.head(3).itertuples())
        ),
        include_groups=False,
    )
    return pd.DataFrame(
        {"account_id": why.index, "kind": str(ExceptionKind.COMPLIANCE), "reason": why.to_numpy()}
    )


def with_held_accounts(
    records: pd.DataFrame, accounts: pd.DataFrame, exceptions: pd.DataFrame
) -> pd.DataFrame:
    """One record per account of the night: accounts held out (an exception whose kind holds out)
    get status HELD, that exception and its reason; accounts held before they were decided (bad
    input, reconciliation) get a record of their own. Every count of statuses then agrees."""
    holding = exceptions[exceptions["kind"].astype(str).isin(HOLDING_KINDS)]
    first = holding.drop_duplicates("account_id").set_index("account_id")
    missing = accounts.loc[~accounts["account_id"].isin(records["account_id"]), ["account_id"]]
    if len(missing):
        blank = _empty(RECORD_COLUMNS)
        added = pd.DataFrame(
            {c: pd.Series([None] * len(missing), dtype=blank[c].dtype) for c in RECORD_COLUMNS}
        )
        added["account_id"] = missing["account_id"].to_numpy()
        added["max_tracking_error"] = (
            missing["account_id"]
            .map(accounts.set_index("account_id")["max_tracking_error"])
            .to_numpy(float)
        )
        added[["iterations", "sign_conflicts"]] = 0
        added["solver_status"] = "not_run"
        records = pd.concat([records, added], ignore_index=True) if len(records) else added
    held = records["account_id"].isin(first.index)
    records = records.copy()
    records.loc[held, "status"] = str(DecisionStatus.HELD)
    records.loc[held, "exception"] = records.loc[held, "account_id"].map(first["kind"]).astype(str)
    records.loc[held, "reason"] = records.loc[held, "account_id"].map(first["reason"]).astype(str)
    records["exception"] = records["exception"].fillna("")
    return records.sort_values("account_id", kind="stable").reset_index(drop=True)


def _decisions(night: Night, shards: list[int], name: str) -> list[str]:
    return [night.uri("decisions", f"{k:04d}", f"{name}.parquet") for k in shards]


class _Tally:
    """The night's totals, added up shard by shard as the checked proposal is written."""

    def __init__(self, taxable: set[str]):
        self.orders, self.notional, self.traded = 0, 0.0, set()
        # one value set for the night: sorting ~60 k ids again for each of 400 shards took 7 s
        self.taxable = pa.array(sorted(taxable), pa.string())
        self.gains = {"SHORT": 0.0, "LONG": 0.0}  # taxable accounts only: what is taxed
        self.untaxed = 0.0  # IRA and ROTH sales: realized, never taxed

    def trades(self, part: pa.Table) -> None:
        self.orders += part.num_rows
        self.notional += _total(part["notional"])
        self.traded |= set(pc.unique(part["account_id"]).to_pylist())

    def lot_sell_gains(self, part: pa.Table) -> tuple[dict[str, float], float]:
        """A part's lot sells' gains: taxed per term, and untaxed."""
        taxed = pc.is_in(part["account_id"], value_set=self.taxable)
        gain = part["realized_gain"]
        per_term = {}
        for term in self.gains:
            picked = pc.and_(taxed, pc.fill_null(pc.equal(part["term"], term), False))
            per_term[term] = _total(gain.filter(picked))
        return per_term, _total(gain.filter(pc.invert(taxed)))

    def add_lot_sell_gains(self, gains: tuple[dict[str, float], float]) -> None:
        per_term, untaxed = gains
        for term, total in per_term.items():
            self.gains[term] += total
        self.untaxed += untaxed


def _recent_nights(night: Night) -> pd.DataFrame:
    with open_store(night.settings.store.path, read_only=True) as con:
        return con.execute(
            "SELECT orders, notional FROM runs WHERE as_of_date < ? ORDER BY as_of_date DESC "
            "LIMIT ?",
            [night.as_of, night.settings.compliance.run_history_nights],
        ).df()


def _write_sleeves(night: Night, shards: list[int], proposal, out_of_trading: set) -> None:
    """Issue 19: the UMA accounts' sleeves into the proposal -- ``sleeve_trades`` and
    ``sleeve_transfers`` of the accounts still trading (as ``trades``), ``sleeves`` (the decision
    record per sleeve) and ``lot_sleeves``, every UMA lot's sleeve after the transfers that stand
    (the store's ``uma_lot_sleeves``, kept by the next night)."""
    transfers = _gather(night, shards, "sleeve_transfers", TRANSFER_COLUMNS)
    transfers = transfers[~transfers["account_id"].isin(out_of_trading)]
    _files.write_parquet(
        str(proposal / "sleeve_transfers.parquet"), transfers, "check:sleeve_transfers"
    )

    def kept(part: pa.Table) -> pa.Table:
        return _without(part, out_of_trading)

    # Each account's transfers, found by position: matching a shard's lots against all the night's
    # moving ids built a hash table of ~1 M ids again for each of 400 shards (50 s at 100,000).
    of_account = transfers.groupby(transfers["account_id"].astype(str), sort=False).indices

    def moved(part: pa.Table) -> pa.Table:
        # Only a lot its account's transfers name can move: the rest of the shard's lots stay as
        # they are, and never go through pandas.
        part = part.combine_chunks()
        here = [of_account[a] for a in pc.unique(part["account_id"]).to_pylist() if a in of_account]
        if not here:
            return part
        theirs = transfers.iloc[np.sort(np.concatenate(here))]
        rows = pc.and_(
            *(
                pc.is_in(part[c], value_set=pa.array(theirs[c].astype(str).unique(), pa.string()))
                for c in ("account_id", "lot_id")
            )
        ).combine_chunks()
        if not pc.any(rows).as_py():
            return part
        before = part.filter(rows)
        lots = before.to_pandas()
        mine = theirs[theirs["account_id"].isin(lots["account_id"].unique())]
        after = _files._table(after_transfers(lots, mine))
        # A transfer changes a lot's sleeve, not its shares or basis: only the columns it changed
        # are replaced.
        for c in part.column_names:
            new = after[c].cast(part[c].type).combine_chunks()
            if not new.equals(before[c].combine_chunks()):
                old = part[c].combine_chunks()
                i = part.schema.get_field_index(c)
                part = part.set_column(i, c, pc.replace_with_mask(old, rows, new))
        return part

    def unmoved(part: pa.Table) -> bool:
        """Whether ``moved`` gives ``part`` back as it is: no account of it has a transfer."""
        return not any(a in of_account for a in pc.unique(part["account_id"]).to_pylist())

    def all_kept(part: pa.Table) -> bool:
        """Whether ``kept`` gives ``part`` back as it is: no account of it is held tonight."""
        return _without(part, out_of_trading).num_rows == part.num_rows

    for name, columns, transform, unchanged in (
        ("sleeve_trades", SLEEVE_TRADE_COLUMNS, kept, all_kept),
        ("sleeves", SLEEVE_RECORD_COLUMNS, None, None),
        ("overlay_savings", OVERLAY_SAVINGS_COLUMNS, kept, all_kept),
        ("lot_sleeves", ATTRIBUTION_COLUMNS, moved, unmoved),
    ):
        _files.concat_parquet(
            _decisions(night, shards, name),
            str(proposal / f"{name}.parquet"),
            f"check:{name}",
            transform,
            empty=_empty(columns),
            unchanged=unchanged,
        )
        crash_point(f"check:after-{name}")


def _savings_line(proposal) -> dict:
    """Issue 19, what the overlay saved: the UMA accounts' totals of ``overlay_savings``."""
    saved = pd.read_parquet(proposal / "overlay_savings.parquet")
    total = lambda column: round(float(saved[column].astype(float).sum()), 2)  # noqa: E731
    return {
        "accounts": int(len(saved)),
        "orders_netted_away": int(
            saved["trades_independent"].astype(int).sum()
            - saved["trades_overlay"].astype(int).sum()
        ),
        "notional_netted_away": total("netted_away"),
        "gains_not_realized": round(
            sum(total(f"gain_{t}_independent") - total(f"gain_{t}_overlay") for t in ("st", "lt")),
            2,
        ),
        "tax_saved": total("tax_saved"),
        "wash_sales_avoided": int(
            saved["wash_sales_independent"].astype(int).sum()
            - saved["wash_sales_overlay"].astype(int).sum()
        ),
    }


def _typed_deliveries(deliveries: pd.DataFrame) -> pd.DataFrame:
    """The night's deliveries with their numbers as numbers and dates as dates, in request and
    lot order, so the file reads the same on a quiet night and a busy one."""
    out = deliveries.astype(
        {
            **{c: str for c in ("request_id", "account_id", "lot_id", "symbol", "charity")},
            **{
                c: float
                for c in ("quantity", "price", "cost_basis", "market_value", "unrealized_gain")
            },
        }
    )
    for c in ("acquired_date", "adjusted_acquired_date"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
    return out.sort_values(["account_id", "request_id", "symbol", "lot_id"], kind="stable")[
        DELIVERY_COLUMNS
    ].reset_index(drop=True)


def _write_small(night: Night, shards: list[int], proposal, frames: tuple) -> None:
    """The proposal's frames already in memory (exceptions, violations, records, deliveries), and
    the per-position files copied shard by shard without being decoded (blocks, holdings,
    lock-up)."""
    exceptions, violations, records, deliveries = frames
    for name, frame in (
        ("exceptions", exceptions),
        ("violations", violations),
        ("records", records),
        ("deliveries", _typed_deliveries(deliveries)),
    ):
        _files.write_parquet(str(proposal / f"{name}.parquet"), frame, f"check:{name}")
        crash_point(f"check:after-{name}")
    for name, columns in (
        ("blocks", ["account_id", "symbol", "kind", "why", "until"]),
        (
            "holdings",
            ["account_id", "symbol", "sector", "weight_before", "weight_after", "target_weight"],
        ),
        ("lockup", list(LOCKUP_COLUMNS)),
        ("lockup_remedies", list(REMEDY_COLUMNS)),
    ):
        _files.concat_parquet(
            _decisions(night, shards, name),
            str(proposal / f"{name}.parquet"),
            f"check:{name}",
            empty=_empty(columns),
        )
        crash_point(f"check:after-{name}")


def check_step(night: Night) -> dict:
    """Hold out every account a check failed and write ``<run_dir>/proposal/``; returns the headline
    numbers.

    The shards checked their own proposals (:func:`check_shard`); this step gathers what they
    found, removes the failing accounts' orders, checks the run's totals against recent nights and
    writes the proposal. The large per-position frames (blocks, holdings) are copied shard by
    shard, never gathered in memory.
    """
    if night.is_done("check"):
        return night.done_info("check")
    shards = night.done_info("prepare")["shards"]
    accounts = _files.read_parquet(night.uri("prepared", "accounts.parquet"))
    held = pd.concat(
        [
            _files.read_parquet(night.uri("prepared", "held.parquet")),
            _gather(night, shards, "held", EXCEPTION_COLUMNS),
        ],
        ignore_index=True,
    )
    records = _gather(night, shards, "records", RECORD_COLUMNS)
    violations = (
        _gather(night, shards, "violations", VIOLATION_COLUMNS)
        .sort_values(["account_id", "rule", "symbol"], na_position="first", kind="stable")
        .reset_index(drop=True)
    )
    failing = violations.groupby("account_id")["message"].apply(lambda m: "; ".join(m.head(3)))
    compliance = pd.DataFrame(
        {
            "account_id": failing.index,
            "kind": str(ExceptionKind.COMPLIANCE),
            "reason": "pre-trade check failed: " + failing.to_numpy(),
        }
    )
    out_of_trading = set(held["account_id"]) | set(compliance["account_id"])
    broken = _gather(
        night,
        shards,
        "contract_issues",
        ["file", "row", "column", "rule", "value", "message", "account_id"],
    )
    contract = _contract_exceptions(broken[~broken["account_id"].isin(out_of_trading)])
    out_of_trading |= set(contract["account_id"])
    # Issue 21: a held account gives nothing tonight (its request stays due for a later night).
    deliveries = _gather(night, shards, "gifts", DELIVERY_COLUMNS)
    deliveries = deliveries[~deliveries["account_id"].isin(out_of_trading)]
    gift_short = _gather(night, shards, "gift_exceptions", EXCEPTION_COLUMNS)
    gift_short = gift_short[~gift_short["account_id"].isin(out_of_trading)]
    exceptions = pd.concat(
        [held[EXCEPTION_COLUMNS], compliance, flagged_exceptions(records), contract, gift_short],
        ignore_index=True,
    )

    exceptions = exceptions.sort_values(["account_id", "kind"], kind="stable").reset_index(
        drop=True
    )
    screened = len(records)
    records = with_held_accounts(records, accounts, exceptions)
    proposal = night.run_dir / "proposal"
    taxable = set(accounts.loc[accounts["account_type"] == "TAXABLE", "account_id"])
    tally = _Tally(taxable)

    with_accounts = _ProposalColumns(night, accounts)

    def checked_trades(part: pa.Table) -> pa.Table:
        part = _as_float(part, ("quantity", "price", "notional"))
        part = with_accounts(_without(part, out_of_trading))
        tally.trades(part)
        return _files.sorted_table(part, ["account_id", "side", "symbol"])

    def checked_lot_sells(part: pa.Table) -> pa.Table:
        part = _without(_as_float(part, LOT_SELL_NUMBERS), out_of_trading)
        return _files.sorted_table(part, LOT_SELL_ORDER)

    def lot_sells_as_they_are(part: pa.Table) -> bool:
        # A shard writes its lot sells in their final order and types: a shard whose accounts all
        # trade tonight is joined by its bytes (at 10,000 accounts decoding, sorting and
        # compressing 4 M lot sells again took 5 s; issue 23).
        return (
            all(part.schema.field(c).type == pa.float64() for c in LOT_SELL_NUMBERS)
            and _without(part, out_of_trading).num_rows == part.num_rows
            and _in_order(part, LOT_SELL_ORDER)
        )

    def gathered(name: str, transform, columns: list[str], unchanged=None, seen=None) -> list:
        # Orders and lot sells go shard by shard, in shard order, each shard's sorted by account.
        answers = _files.concat_parquet(
            _decisions(night, shards, name),
            str(proposal / f"{name}.parquet"),
            f"check:{name}",
            transform,
            empty=transform(_files._table(_empty(columns))).to_pandas(),
            unchanged=unchanged,
            seen=seen,
        )
        crash_point(f"check:after-{name}")
        return answers

    def gathered_lot_sells() -> None:
        # each part's gains added up in the parts' order, as they are written
        for gains in gathered(
            "lot_sells",
            checked_lot_sells,
            LOT_SELL_COLUMNS,
            lot_sells_as_they_are,
            tally.lot_sell_gains,
        ):
            tally.add_lot_sell_gains(gains)

    # The three large outputs are written side by side (Arrow reads, sorts, encodes and compresses
    # without holding the GIL; each file is atomic, and each part's totals are its own: trades add
    # to the orders, lot sells to the gains) while this thread writes the small ones.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="check") as pool:
        large = [
            pool.submit(gathered, "trades", checked_trades, TRADE_COLUMNS),
            pool.submit(gathered_lot_sells),
            pool.submit(_write_sleeves, night, shards, proposal, out_of_trading),
        ]
        _write_small(night, shards, proposal, (exceptions, violations, records, deliveries))
        for part in large:
            part.result()
    totals = check_run_totals(
        tally.orders, tally.notional, _recent_nights(night), night.settings.compliance_limits()
    )
    summary = {
        "run_id": night.run_id,
        "as_of": night.as_of.isoformat(),
        "accounts": int(len(accounts)),
        "accounts_screened": int(screened),
        "accounts_triggered": int(records["triggers"].fillna("").str.startswith("triggers").sum()),
        "accounts_traded": len(tally.traded),
        "accounts_held": int(len(out_of_trading)),
        "orders": tally.orders,
        "notional": round(tally.notional, 2),
        "losses_harvested": round(
            float(
                records.loc[~records["account_id"].isin(out_of_trading), "losses_harvested"].sum()
            ),
            2,
        ),
        "gains_realized_st": round(tally.gains["SHORT"], 2),
        "gains_realized_lt": round(tally.gains["LONG"], 2),
        "gains_realized_untaxed": round(tally.untaxed, 2),
        "est_tax_saved": round(
            float(records.loc[~records["account_id"].isin(out_of_trading), "est_tax_saved"].sum()),
            2,
        ),
        "run_total_flags": totals,
        # One count per status and per exception kind, from the files the store and the page read.
        "statuses": {str(k): int((records["status"] == str(k)).sum()) for k in DecisionStatus},
        "exceptions": {str(k): int((exceptions["kind"] == str(k)).sum()) for k in ExceptionKind},
        "risk_model": night.done_info("prepare").get("risk_model", ""),
        # Issue 19: models whose version changed tonight, their symbol changes and followers
        # (model_changes.parquet in the run folder).
        "model_changes": night.done_info("prepare").get(
            "model_changes", {"models": 0, "symbols": 0, "accounts": 0}
        ),
        "overlay_savings": _savings_line(proposal),
        "gifts": {
            "lots": int(len(deliveries)),
            "requests": int(deliveries["request_id"].nunique()),
            "market_value": round(float(deliveries["market_value"].astype(float).sum()), 2),
            "unrealized_gain": round(float(deliveries["unrealized_gain"].astype(float).sum()), 2),
        },
    }
    _files.write_json(str(night.run_dir / "summary.json"), summary, "check:summary")
    night.mark_done("check", info=summary)
    return summary
