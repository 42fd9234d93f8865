"""Corporate actions beyond splits, lot by lot (the contract: ``shared/CORPORATE_ACTIONS.md``).

Sources: 26 U.S.C. 1091(a) (received shares are not purchases), 1223(1) (the holding period
carries), 301(c) (return of capital), 356(a)/(c) and 358(a) (boot in a reorganisation, basis of
what is received), 165(g)(1) (worthless stock, 31 December); Rev. Rul. 66-365 (cash in lieu of a
fraction is a sale), 68-23 (boot is measured lot by lot); IRS Pub. 550, "Nondividend distributions".

Every ratio and per-share amount is an exact rational (``fractions.Fraction``); a lot's shares
times a ratio is exact, and money is rounded once, to whole cents, where it is booked. Where a
basis is divided (a spin-off, cash in lieu) one part is rounded and the other is the remainder,
so the parts add up to the basis to the cent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from sma.inbox import CorporateActionKind
from sma.ledger._errors import InvalidTradeError
from sma.ledger._holding import is_long_term
from sma.ledger._store import SHARE_EPSILON

if TYPE_CHECKING:
    from sma.ledger._ledger import Ledger

Kind = CorporateActionKind

#: The fields each action needs (beyond seq, date, action and symbol); ``cash_in_lieu_price`` is
#: optional wherever new shares are received.
REQUIRED_FIELDS: dict[CorporateActionKind, tuple[str, ...]] = {
    Kind.SPLIT: ("ratio",),
    Kind.SPINOFF: ("new_symbol", "ratio", "basis_fraction"),
    Kind.MERGER_STOCK: ("new_symbol", "ratio"),
    Kind.MERGER_CASH: ("price_per_share",),
    Kind.MERGER_MIXED: ("new_symbol", "ratio", "cash_per_share", "new_share_price"),
    Kind.SYMBOL_CHANGE: ("new_symbol",),
    Kind.RETURN_OF_CAPITAL: ("amount_per_share",),
    Kind.WORTHLESS: (),
}


#: What an exact number may be written as: a decimal (ASCII digits; an exponent of at most three
#: digits, so no cell makes a number of a billion digits) or N/D.
_EXACT_TEXT = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?|[+-]?[0-9]+/[0-9]+"
)
#: A double is read back as N/D, D at most this, when it is the double nearest N/D: a ratio written
#: ``1/3`` and stored as a double (the store's columns are doubles) comes back as one third.
STORED_DENOMINATOR_LIMIT = 10**6


def exact(value: object) -> Fraction:
    """An exact rational from a decimal (``"0.2794"``), a fraction (``"1/3"``) or a number.

    Parameters
    ----------
    value : str, int, float, Decimal or Fraction
        Text is read as written. A float that is the nearest double to a fraction N/D with D at
        most ``STORED_DENOMINATOR_LIMIT`` is read as that fraction (``1/3`` stored as a double
        is one third, ``0.1`` one tenth), any other by its shortest decimal.

    Raises
    ------
    ValueError
        Not a finite number (``"3/0"``, ``"abc"``, NaN).
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        written = Fraction(repr(float(value)))
        nearest = written.limit_denominator(STORED_DENOMINATOR_LIMIT)
        return nearest if float(nearest) == value else written
    text = str(value).strip()
    if _EXACT_TEXT.fullmatch(text) is None or re.fullmatch(r"[+-]?[0-9]+/0+", text):
        raise ValueError(f"not an exact number (decimal or N/D): {value!r}")
    return Fraction(text)


@dataclass(frozen=True)
class CorporateAction:
    """One corporate action, with the fields of its kind (``REQUIRED_FIELDS``); money in USD.

    ``account_id`` None applies it to every account holding ``symbol``; ``date`` is the ex date
    (the identifiable event for WORTHLESS).
    """

    kind: CorporateActionKind
    symbol: str
    date: np.ndarray | np.datetime64 | str
    account_id: str | None = None
    new_symbol: str | None = None
    ratio: Fraction | None = None
    basis_fraction: Fraction | None = None
    cash_per_share: Fraction | None = None
    new_share_price: Fraction | None = None
    amount_per_share: Fraction | None = None
    price_per_share: Fraction | None = None
    cash_in_lieu_price: Fraction | None = None

    @classmethod
    def from_row(
        cls, kind: str, symbol: str, date, row: Mapping[str, object], price: str = "price_per_share"
    ) -> CorporateAction:
        """An action from one row of a file or frame: blank (None, NaN, "") = not given; numbers
        read exactly (``exact``); ``price`` names the column of MERGER_CASH's cash per share."""

        def blank(value) -> bool:
            return value is None or value == "" or (isinstance(value, float) and math.isnan(value))

        def text(name: str) -> str | None:
            value = row.get(name)
            return None if blank(value) else str(value)

        def number(name: str) -> Fraction | None:
            value = row.get(name)
            return None if blank(value) else exact(value)

        numbers = ("ratio", "basis_fraction", "cash_per_share", "new_share_price")
        return cls(
            CorporateActionKind(kind),
            symbol,
            np.asarray(date, dtype="datetime64[D]"),
            account_id=text("account_id"),
            new_symbol=text("new_symbol"),
            **{name: number(name) for name in numbers},
            amount_per_share=number("amount_per_share"),
            price_per_share=number(price),
            cash_in_lieu_price=number("cash_in_lieu_price"),
        )

    def problems(self) -> list[tuple[str, str]]:
        """What makes the action unbookable, as (field, why); empty when it can be booked."""
        out = [
            (name, f"{self.kind} needs {name}")
            for name in REQUIRED_FIELDS[Kind(self.kind)]
            if getattr(self, name) in (None, "")
        ]
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Fraction) and value < 0:
                out.append((f.name, f"{f.name} {value} is negative"))
        if self.ratio is not None and self.ratio <= 0:
            out.append(("ratio", f"ratio {self.ratio} is not positive"))
        if self.basis_fraction is not None and not 0 < self.basis_fraction < 1:
            out.append(("basis_fraction", f"basis_fraction {self.basis_fraction} not in (0, 1)"))
        if self.new_symbol is not None and self.new_symbol == self.symbol:
            out.append(("new_symbol", "new_symbol is the symbol itself"))
        return list(dict.fromkeys(out))


def _cents(usd: Fraction) -> int:
    """Exact USD to whole cents, half away from zero (the one rounding of an action)."""
    cents = abs(usd) * 100
    whole = math.floor(cents + Fraction(1, 2))
    return whole if usd >= 0 else -whole


def _share(cents: int, part: Fraction) -> int:
    """``cents * part`` to whole cents, half away from zero."""
    return _cents(Fraction(cents, 100) * part)


def year_end(day: int) -> int:
    """31 December of the year of ``day`` (days since 1970-01-01): when worthless stock is
    treated as sold (26 U.S.C. 165(g)(1))."""
    year = np.datetime64(day, "D").astype("datetime64[Y]")
    return int((year + 1).astype("datetime64[D]").astype(np.int64)) - 1


class CorporateActionBook:
    """Applies corporate actions to a ledger's open lots and books their realized rows."""

    def __init__(self, ledger: Ledger):
        self._ledger = ledger

    def apply(self, action: CorporateAction) -> np.ndarray:
        """Apply ``action`` to every open lot of its symbol (in its account, if one is named).

        Returns
        -------
        ndarray of int
            Positions of the realized rows booked (cash in lieu, cash and mixed mergers, returns
            of capital beyond basis, worthlessness), all of one sale.
        """
        ledger = self._ledger
        problems = action.problems()
        if problems:
            raise InvalidTradeError(action.account_id or "*", action.symbol, problems[0][1])
        kind = Kind(action.kind)
        if kind is Kind.SPLIT:
            ledger.split(action.symbol, float(action.ratio or 0), action.account_id)
            return np.array([], dtype=np.int64)
        account = None if action.account_id is None else ledger.account(action.account_id)
        symbol = ledger.symbol(action.symbol)
        new = ledger.symbol(action.new_symbol) if action.new_symbol else -1
        day = int(np.asarray(action.date, dtype="datetime64[D]").astype(np.int64))
        L = ledger.lots
        mask = (L.view("symbol") == symbol) & (L.view("quantity") > 0)
        if account is not None:
            mask &= L.view("account") == account
        rows: list[int] = []
        for lot in np.flatnonzero(mask).tolist():
            rows.extend(self._apply_to_lot(kind, action, lot, new, day))
        if kind is Kind.SYMBOL_CHANGE:
            ledger._wash.move_pending(symbol, new, account)
        booked = np.asarray(rows, dtype=np.int64)
        if len(booked):
            ledger._sales += 1
            ledger._wash.wash_losses(booked)
        return booked

    def _apply_to_lot(
        self, kind: CorporateActionKind, action: CorporateAction, lot: int, new: int, day: int
    ) -> list[int]:
        L = self._ledger.lots
        q, basis = Fraction(float(L.quantity[lot])), int(L.basis[lot])
        if kind is Kind.SPINOFF:
            bf = action.basis_fraction or Fraction(0)
            moved, moved_wash = _share(basis, bf), _share(int(L.wash_adjustment[lot]), bf)
            L.basis[lot] -= moved
            L.wash_adjustment[lot] -= moved_wash
            L.set_epoch(lot)
            child = self._ledger.receive_lot(lot, new, float(q * (action.ratio or 0)), moved)
            L.wash_adjustment[child] = moved_wash
            return self._cash_in_lieu(child, q * (action.ratio or 0), action, day)
        if kind in (Kind.MERGER_STOCK, Kind.SYMBOL_CHANGE):
            ratio = action.ratio if kind is Kind.MERGER_STOCK else Fraction(1)
            self._ledger.convert_lot(
                lot, new, float(q * (ratio or 0)), basis, received=kind is Kind.MERGER_STOCK
            )
            if kind is Kind.SYMBOL_CHANGE:
                return []
            return self._cash_in_lieu(lot, q * (ratio or 0), action, day)
        if kind is Kind.MERGER_CASH:
            proceeds = _cents(q * (action.price_per_share or 0))
            rows = self._book(lot, day, float(q), proceeds, basis, washable=True)
            self._ledger.close_lot(lot)
            return rows
        if kind is Kind.MERGER_MIXED:
            return self._mixed(action, lot, new, day)
        if kind is Kind.RETURN_OF_CAPITAL:
            return self._return_of_capital(action, lot, day)
        rows = self._book(lot, year_end(day), float(q), 0, basis, washable=False)
        self._ledger.close_lot(lot)
        return rows

    def _mixed(self, action: CorporateAction, lot: int, new: int, day: int) -> list[int]:
        """Stock plus boot: the gain realised is recognised up to the boot, a loss not at all
        (26 U.S.C. 356(a)(1), 356(c)), lot by lot (Rev. Rul. 68-23); the new shares' basis is
        the old basis less the boot plus the gain recognised (26 U.S.C. 358(a)(1))."""
        L = self._ledger.lots
        q, basis = Fraction(float(L.quantity[lot])), int(L.basis[lot])
        ratio, boot_per_share = action.ratio or Fraction(0), action.cash_per_share or Fraction(0)
        realised = q * (ratio * (action.new_share_price or 0) + boot_per_share) - Fraction(
            basis, 100
        )
        boot = _cents(q * boot_per_share)
        recognised = min(max(0, _cents(realised)), boot)
        rows = self._book(lot, day, float(q), boot, boot - recognised, washable=False)
        new_q = q * ratio
        self._ledger.convert_lot(lot, new, float(new_q), basis - boot + recognised, received=True)
        return rows + self._cash_in_lieu(lot, new_q, action, day)

    def _return_of_capital(self, action: CorporateAction, lot: int, day: int) -> list[int]:
        """A nondividend distribution reduces the basis; beyond it, the excess is a gain
        (26 U.S.C. 301(c)(2), (3); IRS Pub. 550, "Nondividend distributions")."""
        L = self._ledger.lots
        paid = _cents(Fraction(float(L.quantity[lot])) * (action.amount_per_share or 0))
        basis = int(L.basis[lot])
        L.basis[lot] = max(basis - paid, 0)
        L.set_epoch(lot)
        if paid <= basis:
            return []
        return self._book(lot, day, 0.0, paid - basis, 0, washable=False)

    def _cash_in_lieu(
        self, lot: int, new_q: Fraction, action: CorporateAction, day: int
    ) -> list[int]:
        """The fraction of a new share is sold for cash (Rev. Rul. 66-365): basis per share
        includes the fraction; the lot keeps the whole shares."""
        L = self._ledger.lots
        fraction = new_q - math.floor(new_q)
        if action.cash_in_lieu_price is None or fraction == 0:
            return []
        basis, part = int(L.basis[lot]), fraction / new_q
        sold_basis, sold_wash = _share(basis, part), _share(int(L.wash_adjustment[lot]), part)
        proceeds = _cents(fraction * action.cash_in_lieu_price)
        rows = self._book(lot, day, float(fraction), proceeds, sold_basis, washable=True)
        L.quantity[lot], L.basis[lot] = float(math.floor(new_q)), basis - sold_basis
        L.wash_adjustment[lot] -= sold_wash
        L.replaceable[lot] = min(float(L.replaceable[lot]), float(L.quantity[lot]))
        L.set_epoch(lot)
        if L.quantity[lot] <= SHARE_EPSILON:
            self._ledger.close_lot(lot)
        return rows

    def _book(
        self, lot: int, day: int, quantity: float, proceeds: int, basis: int, washable: bool
    ) -> list[int]:
        """The realized row for ``lot`` as it stands (symbol, dates, term on ``day``), in a
        taxable account; an IRA or Roth reports nothing (the contract, "Realized rows")."""
        ledger, L = self._ledger, self._ledger.lots
        account = int(L.account[lot])
        if not ledger.is_taxable(account):
            return []
        loss = washable and proceeds < basis
        return [
            ledger.realized_rows.append(
                account=account,
                symbol=int(L.symbol[lot]),
                lot=lot,
                lot_id=L.lot_id[lot],
                sale_date=day,
                quantity=quantity,
                proceeds=proceeds,
                basis=basis,
                disallowed=0,
                permanent=0,
                long_term=bool(
                    is_long_term(
                        np.array([L.adjusted[lot]], dtype="datetime64[D]"),
                        np.datetime64(day, "D"),
                    )[0]
                ),
                acquired=int(L.acquired[lot]),
                adjusted=int(L.adjusted[lot]),
                loss_shares=quantity if loss else 0.0,
                replaced=0.0,
                sale=ledger._sales,
            )
        ]
