"""The ledger: buys open lots, sells relieve them, splits rescale them, wash sales move losses,
corporate actions convert, divide and close them.

Booking follows a custodian's 1099-B / Form 8949: every lot piece a sale relieves is one realized
row with proceeds, adjusted basis, the disallowed loss (code W) and the gain after adding it back.
Wash sales are matched across every account of a household by the conventions of PRODUCT.md
("Wash-sale matching conventions"), implemented in ``sma.ledger._wash``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sma.inbox import AccountType
from sma.ledger._blocks import identical_groups
from sma.ledger._corporate import CorporateAction, CorporateActionBook
from sma.ledger._errors import (
    DuplicateLotError,
    InvalidTradeError,
    OversellError,
    UnknownAccountError,
    UnknownLotError,
)
from sma.ledger._holding import is_long_term, long_term_day
from sma.ledger._money import share_of_cents, share_of_cents_one
from sma.ledger._relief import ReliefMethod, relief_order
from sma.ledger._store import SHARE_EPSILON, lot_columns, realized_columns
from sma.ledger._wash import WashMatcher

#: Columns of the opening lots a ledger starts from (``Ledger.add_lots``, ``replay``).
OPENING_LOT_COLUMNS = (
    "account_id",
    "lot_id",
    "symbol",
    "quantity",
    "cost_basis_cents",
    "acquired_date",
    "adjusted_acquired_date",
)


def _group_names(identical_group: Mapping[str, str] | pd.Series | None) -> dict[str, str]:
    """symbol -> identical group, for symbols that have one (blank means the symbol itself)."""
    if identical_group is None:
        return {}
    symbols = np.array(list(identical_group.keys()), dtype=object)
    return dict(zip(symbols.tolist(), identical_groups(symbols, identical_group).tolist()))


def day_number(date) -> int:
    """A trade date as days since 1970-01-01."""
    return int(np.datetime64(date, "D").astype(np.int64))


class Ledger:
    """Every lot of a set of households, and every piece a sale relieved.

    Parameters
    ----------
    accounts : DataFrame
        ``account_id, household_id, account_type`` (TAXABLE, IRA, ROTH).
    identical_group : mapping symbol -> identical group, optional
        Substantially identical securities for wash sales; a symbol not in it is its own group.

    Notes
    -----
    The ledger is mutable while trades are booked, in the order they happened; what it hands out
    (``open_lots()``, ``realized()``) are new frames. Money is integer cents throughout.
    """

    def __init__(
        self, accounts: pd.DataFrame, identical_group: Mapping[str, str] | pd.Series | None = None
    ):
        ids = accounts["account_id"].astype(str).to_numpy()
        self._account_ids = ids
        self._account_code = {a: i for i, a in enumerate(ids)}
        if len(self._account_code) != len(ids):
            raise ValueError("accounts: account_id must be unique")
        households = pd.factorize(accounts["household_id"].astype(str))[0]
        self._household = households.astype(np.int64)
        kinds = accounts["account_type"].astype(str).str.upper().to_numpy()
        self._taxable = kinds == AccountType.TAXABLE.value
        self._identical_group = _group_names(identical_group)
        self._symbols: list[str] = []
        self._symbol_code: dict[str, int] = {}
        self._group_code: list[int] = []
        self._groups: dict[str, int] = {}
        self.lots = lot_columns()
        self.realized_rows = realized_columns()
        self._open: dict[tuple[int, int], list[int]] = {}
        self._family: dict[tuple[int, str], list[int]] = {}
        self._sales = 0
        self._wash = WashMatcher(self)
        self._corporate = CorporateActionBook(self)

    # -- codes ---------------------------------------------------------------------------------
    def account(self, account_id: str) -> int:
        code = self._account_code.get(account_id)
        if code is None:
            raise UnknownAccountError(account_id, "", "the account is not in the accounts given")
        return code

    def symbol(self, symbol: str) -> int:
        code = self._symbol_code.get(symbol)
        if code is None:
            code = len(self._symbols)
            self._symbols.append(symbol)
            self._symbol_code[symbol] = code
            group = self._identical_group.get(symbol, symbol)
            self._group_code.append(self._groups.setdefault(group, len(self._groups)))
        return code

    def wash_key(self, account: int, symbol: int) -> tuple[int, int]:
        """Where replacements are looked for: the household and the identical group."""
        return int(self._household[account]), self._group_code[symbol]

    @property
    def sales_booked(self) -> int:
        """How many sales (trades and corporate actions with realized rows) were booked."""
        return self._sales

    def is_taxable(self, account: int) -> bool:
        return bool(self._taxable[account])

    # -- lots ----------------------------------------------------------------------------------
    def open_lot(
        self,
        account: int,
        symbol: int,
        lot_id: str,
        quantity: float,
        basis: int,
        acquired: int,
        adjusted: int,
        replaceable: float,
        purchase: int | None = None,
        wash_adjustment: int = 0,
        opening: bool = False,
    ) -> int:
        """Add one lot; returns its position. ``purchase`` None means a purchase of its own.
        ``opening``: a lot carried in, identified by (account, symbol, lot id) -- after a spin-off
        the parent's id names a lot of each security; a buy may not reuse an id at all."""
        family = self._family.get((account, lot_id), [])
        if family and not (opening and all(self.lots.symbol[p] != symbol for p in family)):
            raise DuplicateLotError(
                self._account_ids[account],
                self._symbols[symbol],
                f"lot {lot_id} is already in the account",
            )
        position = self.lots.n
        self.lots.append(
            account=account,
            symbol=symbol,
            lot_id=lot_id,
            quantity=quantity,
            basis=basis,
            acquired=acquired,
            adjusted=adjusted,
            wash_adjustment=wash_adjustment,
            replaceable=replaceable,
            purchase=position if purchase is None else purchase,
            epoch_basis=basis,
            epoch_quantity=quantity,
            epoch_taken=0.0,
        )
        self._family[(account, lot_id)] = [*family, position]
        if purchase is not None and purchase != position:
            self._family[(account, self.lots.lot_id[purchase])].append(position)
        self._open.setdefault((account, symbol), []).append(position)
        if replaceable > 0:
            self._wash.track(position)
        return position

    def add_lots(self, lots: pd.DataFrame) -> None:
        """Opening lots: ``account_id, lot_id, symbol, quantity, cost_basis_cents, acquired_date,
        adjusted_acquired_date`` (NaT = acquired). A lot whose holding period was already carried
        over by a wash sale has absorbed its loss and cannot replace another."""
        acquired = pd.to_datetime(lots["acquired_date"]).to_numpy().astype("datetime64[D]")
        adjusted = pd.to_datetime(lots["adjusted_acquired_date"]).to_numpy().astype("datetime64[D]")
        adjusted = np.where(np.isnat(adjusted), acquired, adjusted)
        quantity = lots["quantity"].to_numpy(dtype=np.float64)
        basis = lots["cost_basis_cents"].to_numpy(dtype=np.int64)
        replaceable = np.where(adjusted == acquired, quantity, 0.0)
        for i, (account_id, lot_id, symbol) in enumerate(
            zip(
                lots["account_id"].astype(str),
                lots["lot_id"].astype(str),
                lots["symbol"].astype(str),
            )
        ):
            self._check_trade(account_id, symbol, quantity[i], basis[i])
            self.open_lot(
                self.account(account_id),
                self.symbol(symbol),
                lot_id,
                float(quantity[i]),
                int(basis[i]),
                int(acquired[i].astype(np.int64)),
                int(adjusted[i].astype(np.int64)),
                float(replaceable[i]),
                opening=True,
            )

    def add_recent_sales(self, realized: pd.DataFrame) -> None:
        """Loss sales booked on earlier days (``realized()`` rows of the last 30 days), so that a
        buy
        booked now can still replace their unreplaced shares (IRS Pub. 550: 30 days after the sale).

        They are not reported again by ``realized()``; ``amended_sales()`` lists those a new buy
        washed.
        """
        if not len(realized):
            return
        account = np.array(
            [self.account(a) for a in realized["account_id"].astype(str)], dtype=np.int32
        )
        symbol = np.array([self.symbol(s) for s in realized["symbol"].astype(str)], dtype=np.int32)
        proceeds = realized["proceeds_cents"].to_numpy(dtype=np.int64)
        basis = realized["cost_basis_cents"].to_numpy(dtype=np.int64)
        disallowed = realized["wash_sale_disallowed_cents"].to_numpy(dtype=np.int64)
        quantity = realized["quantity"].to_numpy(dtype=np.float64)
        loss = np.where(self._taxable[account], np.maximum(basis - proceeds, 0), 0)
        loss_shares = np.where(loss > 0, quantity, 0.0)
        replaced = np.where(
            loss > 0, quantity * np.minimum(disallowed / np.maximum(loss, 1), 1.0), 0.0
        )
        sale_date = pd.to_datetime(realized["sale_date"]).to_numpy().astype("datetime64[D]")
        rows = self.realized_rows.extend(
            len(realized),
            account=account,
            symbol=symbol,
            lot=-1,
            lot_id=realized["lot_id"].astype(str).to_numpy(dtype=object),
            sale_date=sale_date.astype(np.int64),
            quantity=quantity,
            proceeds=proceeds,
            basis=basis,
            disallowed=disallowed,
            permanent=realized["permanently_disallowed_cents"].to_numpy(dtype=np.int64),
            long_term=realized["term"].astype(str).to_numpy() == "LONG",
            acquired=pd.to_datetime(realized["acquired_date"])
            .to_numpy()
            .astype("datetime64[D]")
            .astype(np.int64),
            adjusted=pd.to_datetime(realized["adjusted_acquired_date"])
            .to_numpy()
            .astype("datetime64[D]")
            .astype(np.int64),
            loss_shares=loss_shares,
            replaced=replaced,
            sale=-1,
            prior=True,
        )
        self._prior_disallowed = dict(zip(rows.tolist(), disallowed.tolist()))
        self._wash.add_pending(rows[loss_shares - replaced > SHARE_EPSILON])

    def amended_sales(self) -> pd.DataFrame:
        """Earlier days' sales (from ``add_recent_sales``) whose loss a buy booked now washed: their
        rows as they now stand, ``realized()`` columns -- the custodian's amended code W."""
        prior = getattr(self, "_prior_disallowed", {})
        changed = [
            row for row, before in prior.items() if self.realized_rows.disallowed[row] != before
        ]
        return self._realized_frame(np.array(changed, dtype=np.int64))

    def _check_trade(self, account_id: str, symbol: str, quantity: float, cents: int) -> None:
        if not (np.isfinite(quantity) and quantity > 0):
            raise InvalidTradeError(
                account_id, symbol, f"quantity {quantity} is not a positive number of shares"
            )
        if cents < 0:
            raise InvalidTradeError(account_id, symbol, f"amount {cents / 100:.2f} USD is negative")

    # -- trades --------------------------------------------------------------------------------
    def buy(
        self,
        account_id: str,
        symbol: str,
        lot_id: str,
        quantity: float,
        cost_cents: int,
        trade_date,
    ) -> int:
        """Open a lot for a purchase; it then replaces earlier loss sales of the household that are
        still unmatched and within 30 days (IRS Pub. 550, "Wash Sales"). Returns the lot's
        position."""
        self._check_trade(account_id, symbol, quantity, cost_cents)
        account, code = self.account(account_id), self.symbol(symbol)
        day = day_number(trade_date)
        position = self.open_lot(
            account, code, lot_id, float(quantity), int(cost_cents), day, day, float(quantity)
        )
        self._wash.replace_pending_losses(position)
        return position

    def sell(
        self,
        account_id: str,
        symbol: str,
        quantity: float,
        proceeds_cents: int,
        trade_date,
        method: ReliefMethod = ReliefMethod.FIFO,
        lot_ids: Sequence[str] = (),
    ) -> np.ndarray:
        """Relieve ``quantity`` shares, by ``method`` or from the named lots (SPECIFIC, in the order
        named); book one realized row per lot piece and wash its loss against the household's
        replacement purchases. Returns the positions of the realized rows."""
        self._check_trade(account_id, symbol, quantity, proceeds_cents)
        account, code = self.account(account_id), self.symbol(symbol)
        if ReliefMethod(method) is ReliefMethod.SPECIFIC and not lot_ids:
            raise UnknownLotError(
                account_id, symbol, "a specific-lot sale names the lots it relieves"
            )
        day = day_number(trade_date)
        lots = (
            self._named_lots(account, code, lot_ids)
            if lot_ids
            else np.array(self._open.get((account, code), []), dtype=np.int64)
        )
        L = self.lots
        held = float(L.quantity[lots].sum())
        if quantity > held + SHARE_EPSILON:
            where = f"lots {';'.join(lot_ids)} hold" if lot_ids else "the account holds"
            raise OversellError(
                account_id, symbol, f"sale of {quantity:g} shares but {where} {held:g}"
            )
        if not lot_ids:
            per_share = L.basis[lots] / L.quantity[lots] / 100.0
            long_term = is_long_term(
                L.adjusted[lots].astype("datetime64[D]"), np.datetime64(day, "D")
            )
            order = relief_order(
                ReliefMethod(method),
                L.acquired[lots].astype("datetime64[D]"),
                lots,
                per_share,
                proceeds_cents / quantity / 100.0,
                long_term,
            )
            lots = lots[order]
        rows = self._relieve(account, code, lots, float(quantity), int(proceeds_cents), day)
        self._sales += 1
        if self.is_taxable(account):
            self._wash.wash_losses(rows)
        return rows

    def _named_lots(self, account: int, symbol: int, lot_ids: Sequence[str]) -> np.ndarray:
        chosen: list[int] = []
        for lot_id in lot_ids:
            family = self._family.get((account, lot_id))
            if family is None:
                raise UnknownLotError(
                    self._account_ids[account],
                    self._symbols[symbol],
                    f"lot {lot_id} is not in the account",
                )
            # after a spin-off one lot id names a lot of the parent and one of the new security
            same = [p for p in family if self.lots.symbol[p] == symbol]
            if not same:
                raise UnknownLotError(
                    self._account_ids[account],
                    self._symbols[symbol],
                    f"lot {lot_id} holds another security",
                )
            chosen.extend(
                p for p in same if self.lots.quantity[p] > SHARE_EPSILON and p not in chosen
            )
        return np.array(chosen, dtype=np.int64)

    def _relieve(
        self, account: int, symbol: int, lots: np.ndarray, quantity: float, proceeds: int, day: int
    ) -> np.ndarray:
        if len(lots) == 1:
            rows = self._relieve_one(account, symbol, int(lots[0]), quantity, proceeds, day)
            if rows is not None:
                return rows
        L = self.lots
        held = L.quantity[lots]
        before = np.cumsum(held) - held
        take = np.minimum(held, np.maximum(quantity - before, 0.0))
        take = np.where(
            held - take <= SHARE_EPSILON, held, take
        )  # a remainder of dust closes the lot
        used = take > 0
        lots, take, held = lots[used], take[used], held[used]
        whole = take >= held
        taken = L.epoch_taken[lots] + take
        remaining_basis = L.epoch_basis[lots] - share_of_cents(
            L.epoch_basis[lots], taken, L.epoch_quantity[lots]
        )
        basis = np.where(whole, L.basis[lots], L.basis[lots] - remaining_basis)
        cumulative = share_of_cents(proceeds, np.cumsum(take), take.sum())
        cumulative[-1] = proceeds
        piece_proceeds = np.diff(cumulative, prepend=0)
        L.quantity[lots] = np.where(whole, 0.0, held - take)
        L.basis[lots] -= basis
        L.epoch_taken[lots] = taken
        L.replaceable[lots] = np.minimum(L.replaceable[lots], L.quantity[lots])
        if whole.any():
            closed = set(lots[whole].tolist())
            self._open[(account, symbol)] = [
                p for p in self._open[(account, symbol)] if p not in closed
            ]
        loss = (piece_proceeds < basis) & self.is_taxable(account)
        long_term = is_long_term(L.adjusted[lots].astype("datetime64[D]"), np.datetime64(day, "D"))
        pieces = self._pieces(account, symbol, lots, day, take, piece_proceeds, basis, long_term)
        return self.realized_rows.extend(len(lots), **pieces, loss_shares=np.where(loss, take, 0.0))

    def _pieces(self, account, symbol, lots, day, take, proceeds, basis, long_term) -> dict:
        """The realized rows' columns of the lot pieces a sale relieved (``lots``: positions, or
        one position), but the loss shares."""
        L = self.lots
        return dict(
            account=account,
            symbol=symbol,
            lot=lots,
            lot_id=L.lot_id[lots],
            sale_date=day,
            quantity=take,
            proceeds=proceeds,
            basis=basis,
            disallowed=0,
            permanent=0,
            long_term=long_term,
            acquired=L.acquired[lots],
            adjusted=L.adjusted[lots],
            replaced=0.0,
            sale=self._sales,
        )

    def _relieve_one(
        self, account: int, symbol: int, lot: int, quantity: float, proceeds: int, day: int
    ) -> np.ndarray | None:
        """``_relieve`` of a sale from one lot (a specific-lot sale's usual case), step by step
        the same float64 and int64 operations on Python numbers instead of one-element arrays:
        the same lots and rows to the bit (``tests/ledger/test_relieve_one.py``), a fraction of
        the time. None, before anything is changed, where the arrays' edge cases (nothing taken, a
        partial sale of a lot of no epoch shares, a date Python's calendar cannot hold) are theirs
        to handle."""
        L = self.lots
        held = float(L.quantity[lot])
        if not (held > 0 and quantity > 0):
            return None
        take = min(held, quantity)
        if held - take <= SHARE_EPSILON:  # a remainder of dust closes the lot
            take = held
        whole = take >= held
        taken = float(L.epoch_taken[lot]) + take
        lot_basis = int(L.basis[lot])
        try:  # nothing is changed yet: a case Python numbers cannot take goes to the arrays
            long_term = day >= long_term_day(int(L.adjusted[lot]))
            if whole:
                basis = lot_basis
            else:
                epoch_basis, epoch_quantity = int(L.epoch_basis[lot]), float(L.epoch_quantity[lot])
                remaining = epoch_basis - share_of_cents_one(epoch_basis, taken, epoch_quantity)
                basis = lot_basis - remaining
        except (OverflowError, ValueError, ZeroDivisionError):
            return None
        left = 0.0 if whole else held - take
        L.quantity[lot] = left
        L.basis[lot] = lot_basis - basis
        L.epoch_taken[lot] = taken
        L.replaceable[lot] = min(float(L.replaceable[lot]), left)
        if whole:
            self._open[(account, symbol)] = [p for p in self._open[(account, symbol)] if p != lot]
        loss = proceeds < basis and self.is_taxable(account)
        pieces = self._pieces(account, symbol, lot, day, take, proceeds, basis, long_term)
        row = self.realized_rows.append(**pieces, loss_shares=take if loss else 0.0)
        return np.array([row], dtype=np.int64)

    def split(self, symbol: str, ratio: float, account_id: str | None = None) -> int:
        """Multiply open lots' shares by ``ratio`` (new shares per old), keeping each lot's basis
        and
        dates; stock dividends are splits too. ``account_id`` None: every account. Returns lots
        changed."""
        if not (np.isfinite(ratio) and ratio > 0):
            raise InvalidTradeError(
                account_id or "*", symbol, f"split ratio {ratio} is not positive"
            )
        code = self.symbol(symbol)
        L = self.lots
        mask = (L.view("symbol") == code) & (L.view("quantity") > 0)
        if account_id is not None:
            mask &= L.view("account") == self.account(account_id)
        for column in (L.quantity, L.replaceable, L.epoch_quantity, L.epoch_taken):
            column[: L.n][mask] *= ratio
        self._wash.rescale_pending(
            code, ratio, None if account_id is None else self.account(account_id)
        )
        return int(mask.sum())

    def corporate_action(self, action: CorporateAction) -> np.ndarray:
        """Apply a corporate action to every open lot of its symbol (``sma.ledger._corporate``;
        the contract ``shared/CORPORATE_ACTIONS.md``). Returns the realized rows it booked."""
        return self._corporate.apply(action)

    def receive_lot(self, parent: int, symbol: int, quantity: float, basis: int) -> int:
        """Open the lot a spin-off hands out for lot ``parent``: same account, lot id and dates,
        no purchase (it never replaces a loss, 26 U.S.C. 1091(a)). Returns its position."""
        L = self.lots
        account, lot_id = int(L.account[parent]), L.lot_id[parent]
        position = L.append(
            account=account,
            symbol=symbol,
            lot_id=lot_id,
            quantity=quantity,
            basis=basis,
            acquired=L.acquired[parent],
            adjusted=L.adjusted[parent],
            wash_adjustment=0,
            replaceable=0.0,
            purchase=L.n,
            epoch_basis=basis,
            epoch_quantity=quantity,
            epoch_taken=0.0,
        )
        self._family.setdefault((account, lot_id), []).append(position)
        self._open.setdefault((account, symbol), []).append(position)
        return position

    def convert_lot(
        self, lot: int, symbol: int, quantity: float, basis: int, received: bool
    ) -> None:
        """Lot ``lot`` becomes ``quantity`` shares of ``symbol`` at ``basis`` cents, dates kept.
        ``received``: shares of a merger, never a replacement; otherwise the same security under
        a new ticker, which replaces as before (its holding period and capacity kept)."""
        L = self.lots
        account, old = int(L.account[lot]), int(L.symbol[lot])
        self._open[(account, old)] = [p for p in self._open[(account, old)] if p != lot]
        self._open.setdefault((account, symbol), []).append(lot)
        L.symbol[lot], L.quantity[lot], L.basis[lot] = symbol, quantity, basis
        L.replaceable[lot] = 0.0 if received else min(float(L.replaceable[lot]), quantity)
        L.set_epoch(lot)
        if L.replaceable[lot] > 0:
            self._wash.track(lot)

    def close_lot(self, lot: int) -> None:
        """Lot ``lot`` has no shares left (sold in a cash merger, worthless, all cash in lieu)."""
        L = self.lots
        account, symbol = int(L.account[lot]), int(L.symbol[lot])
        L.quantity[lot], L.basis[lot], L.replaceable[lot] = 0.0, 0, 0.0
        L.set_epoch(lot)
        self._open[(account, symbol)] = [p for p in self._open[(account, symbol)] if p != lot]

    # -- outputs -------------------------------------------------------------------------------
    def open_lots(self) -> pd.DataFrame:
        """Open lots: ``account_id, lot_id, symbol, quantity, cost_basis_cents, acquired_date,
        adjusted_acquired_date, wash_sale_adjustment_cents``, in the order they were opened."""
        L = self.lots
        keep = np.flatnonzero(L.view("quantity") > 0)
        return pd.DataFrame(
            {
                "account_id": self._account_ids[L.account[keep]],
                "lot_id": L.lot_id[keep],
                "symbol": np.array(self._symbols, dtype=object)[L.symbol[keep]]
                if len(keep)
                else np.array([], dtype=object),
                "quantity": L.quantity[keep],
                "cost_basis_cents": L.basis[keep],
                "acquired_date": L.acquired[keep].astype("datetime64[D]"),
                "adjusted_acquired_date": L.adjusted[keep].astype("datetime64[D]"),
                "wash_sale_adjustment_cents": L.wash_adjustment[keep],
            }
        )

    def realized(self) -> pd.DataFrame:
        """Realized rows booked by this ledger, as on Form 8949, in booking order (see
        ``_realized_frame``)."""
        return self._realized_frame(np.flatnonzero(~self.realized_rows.view("prior")))

    def realized_at(self, rows: np.ndarray) -> pd.DataFrame:
        """The realized rows at ``rows`` (what ``sell`` returned), as they stand now: a later buy
        within 30 days may still wash them."""
        return self._realized_frame(np.asarray(rows, dtype=np.int64))

    def _realized_frame(self, rows: np.ndarray) -> pd.DataFrame:
        """Realized rows as on Form 8949, in booking order: ``account_id, symbol, lot_id, sale_date,
        quantity, proceeds_cents, cost_basis_cents, wash_sale_disallowed_cents,
        permanently_disallowed_cents, adjustment_code ('W' or ''), gain_cents, term (SHORT/LONG),
        acquired_date, adjusted_acquired_date``. gain = proceeds - cost basis + disallowed loss."""
        R = self.realized_rows

        def pick(name: str) -> np.ndarray:
            return getattr(R, name)[rows]

        disallowed, proceeds, basis = pick("disallowed"), pick("proceeds"), pick("basis")
        symbols = np.array(self._symbols, dtype=object)
        return pd.DataFrame(
            {
                "account_id": self._account_ids[pick("account")],
                "symbol": symbols[pick("symbol")] if len(rows) else np.array([], dtype=object),
                "lot_id": pick("lot_id"),
                "sale_date": pick("sale_date").astype("datetime64[D]"),
                "quantity": pick("quantity"),
                "proceeds_cents": proceeds,
                "cost_basis_cents": basis,
                "wash_sale_disallowed_cents": disallowed,
                "permanently_disallowed_cents": pick("permanent"),
                "adjustment_code": np.where(disallowed > 0, "W", "").astype(object),
                "gain_cents": proceeds - basis + disallowed,
                "term": np.where(pick("long_term"), "LONG", "SHORT").astype(object),
                "acquired_date": pick("acquired").astype("datetime64[D]"),
                "adjusted_acquired_date": pick("adjusted").astype("datetime64[D]"),
            }
        )
