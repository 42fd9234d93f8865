"""Wash-sale matching across a household (IRS Publication 550, "Wash Sales"; Treas. Reg. 1.1091-1;
Rev. Rul. 2008-5), by the conventions of PRODUCT.md ("Wash-sale matching conventions").

- The window is inclusive: trade dates 30 calendar days before through 30 after the loss sale.
- Loss shares are matched in the order of the sales; replacement shares in the order bought
  (trade date, then booking order); each replacement share absorbs one loss share at most.
- Shares of the same purchase lot as the sold shares are not its replacements, and shares sold in
  the same sale are gone before matching; a purchase sold before the loss sale replaces nothing.
- A partial replacement disallows loss-per-share x shares replaced. In a taxable account the
  disallowed loss goes into the replacement shares' basis and the sold shares' holding period
  carries over; replaced shares of a bigger lot are split off into their own lot
  (``<lot_id>-w<k>``), so every lot has one basis per share and one holding period.
- Replaced in an IRA or ROTH: the loss is disallowed for good and adds nothing to any basis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sma.ledger._blocks import WASH_SALE_WINDOW_DAYS
from sma.ledger._money import share_of_cents
from sma.ledger._store import SHARE_EPSILON

if TYPE_CHECKING:
    from sma.ledger._ledger import Ledger


class WashMatcher:
    """Per household and identical group: purchases that can still replace, and losses still
    open."""

    def __init__(self, ledger: Ledger):
        self._ledger = ledger
        self._pending: dict[
            tuple[int, int], list[int]
        ] = {}  # realized rows with unreplaced loss shares
        self._purchases: dict[
            tuple[int, int], list[int]
        ] = {}  # lots with shares that can still replace

    def wash_losses(self, rows: np.ndarray) -> None:
        """Match the loss rows of one sale, in order, against purchases already booked."""
        ledger, L, R = self._ledger, self._ledger.lots, self._ledger.realized_rows
        for row in rows[R.loss_shares[rows] > 0]:
            key = ledger.wash_key(int(R.account[row]), int(R.symbol[row]))
            candidates = self._replacements(key, int(row))
            for lot in candidates:
                left = R.loss_shares[row] - R.replaced[row]
                if left <= SHARE_EPSILON:
                    break
                self.absorb(int(row), int(lot), min(left, float(L.replaceable[lot])))  # pyright: ignore[reportArgumentType]
            if R.loss_shares[row] - R.replaced[row] > SHARE_EPSILON:
                self._pending.setdefault(key, []).append(int(row))

    def add_pending(self, rows: np.ndarray) -> None:
        """Loss rows booked earlier whose unreplaced shares later buys may still replace."""
        R = self._ledger.realized_rows
        for row in rows.tolist():
            key = self._ledger.wash_key(int(R.account[row]), int(R.symbol[row]))
            self._pending.setdefault(key, []).append(row)

    def _replacements(self, key: tuple[int, int], row: int) -> np.ndarray:
        L, R = self._ledger.lots, self._ledger.realized_rows
        lots = np.array(self._lots_of(key), dtype=np.int64)
        if not len(lots):
            return lots
        sold_purchase = L.purchase[R.lot[row]]
        keep = (
            (L.replaceable[lots] > SHARE_EPSILON)
            & (L.quantity[lots] > SHARE_EPSILON)
            & (np.abs(L.acquired[lots] - R.sale_date[row]) <= WASH_SALE_WINDOW_DAYS)
            & (L.purchase[lots] != sold_purchase)
        )
        lots = lots[keep]
        return lots[np.lexsort((lots, L.acquired[lots]))]

    def track(self, lot: int) -> None:
        """A lot just opened may replace later losses of its household and group."""
        L = self._ledger.lots
        key = self._ledger.wash_key(int(L.account[lot]), int(L.symbol[lot]))
        self._purchases.setdefault(key, []).append(lot)

    def _lots_of(self, key: tuple[int, int]) -> list[int]:
        L = self._ledger.lots
        lots = [
            p
            for p in self._purchases.get(key, ())
            if L.replaceable[p] > SHARE_EPSILON  # a ticker change may have moved it to another key
            and self._ledger.wash_key(int(L.account[p]), int(L.symbol[p])) == key
        ]
        self._purchases[key] = lots
        return lots

    def replace_pending_losses(self, lot: int) -> None:
        """A new purchase replaces still-unmatched loss shares sold within 30 days, oldest sale
        first."""
        ledger, L, R = self._ledger, self._ledger.lots, self._ledger.realized_rows
        key = ledger.wash_key(int(L.account[lot]), int(L.symbol[lot]))
        pending = self._pending.get(key)
        if not pending:
            return
        for row in pending:
            if L.replaceable[lot] <= SHARE_EPSILON:
                break
            left = R.loss_shares[row] - R.replaced[row]
            if (
                left > SHARE_EPSILON
                and abs(int(L.acquired[lot]) - int(R.sale_date[row])) <= WASH_SALE_WINDOW_DAYS
            ):
                self.absorb(row, lot, min(left, float(L.replaceable[lot])))
        self._pending[key] = [
            row for row in pending if R.loss_shares[row] - R.replaced[row] > SHARE_EPSILON
        ]

    def absorb(self, row: int, lot: int, shares: float) -> None:
        """``shares`` of replacement lot ``lot`` absorb as many loss shares of realized ``row``."""
        ledger, L, R = self._ledger, self._ledger.lots, self._ledger.realized_rows
        loss = int(R.basis[row] - R.proceeds[row])
        before = float(R.replaced[row])
        after = before + shares
        if R.loss_shares[row] - after <= SHARE_EPSILON:
            after = float(R.loss_shares[row])
        amount = int(
            share_of_cents(loss, after, R.loss_shares[row])
            - share_of_cents(loss, before, R.loss_shares[row])
        )
        R.replaced[row] = after
        R.disallowed[row] += amount
        if not ledger.is_taxable(int(L.account[lot])):
            R.permanent[row] += amount
            L.replaceable[lot] = max(0.0, L.replaceable[lot] - shares)
            return
        target = lot if shares >= L.quantity[lot] - SHARE_EPSILON else self._split_off(lot, shares)
        L.basis[target] += amount
        L.wash_adjustment[target] += amount
        L.adjusted[target] = L.acquired[target] - (R.sale_date[row] - R.adjusted[row])
        L.replaceable[target] = 0.0
        L.set_epoch(target)

    def _split_off(self, lot: int, shares: float) -> int:
        """Split ``shares`` of ``lot`` into a new lot of the same purchase, basis pro rata by
        shares."""
        ledger, L = self._ledger, self._ledger.lots
        account, symbol = int(L.account[lot]), int(L.symbol[lot])
        basis = int(share_of_cents(L.basis[lot], shares, L.quantity[lot]))
        L.quantity[lot] -= shares
        L.basis[lot] -= basis
        L.replaceable[lot] = max(0.0, L.replaceable[lot] - shares)
        L.set_epoch(lot)
        parent = int(L.purchase[lot])
        k = 1
        while (account, f"{L.lot_id[parent]}-w{k}") in ledger._family:
            k += 1
        return ledger.open_lot(
            account,
            symbol,
            f"{L.lot_id[parent]}-w{k}",
            shares,
            basis,
            int(L.acquired[lot]),
            int(L.adjusted[lot]),
            0.0,
            purchase=parent,
        )

    def rescale_pending(self, symbol: int, ratio: float, account: int | None) -> None:
        """After a split, unmatched loss shares of ``symbol`` are counted in new shares."""
        R = self._ledger.realized_rows
        for rows in self._pending.values():
            for row in rows:
                if R.symbol[row] == symbol and (account is None or R.account[row] == account):
                    R.loss_shares[row] *= ratio
                    R.replaced[row] *= ratio

    def move_pending(self, old: int, new: int, account: int | None) -> None:
        """After a ticker change, unmatched losses of ``old`` wait for buys of ``new``: a ticker
        change is neither a disposition nor an acquisition (the contract, "Wash-sale
        interactions" 3)."""
        ledger, R = self._ledger, self._ledger.realized_rows
        for key, rows in list(self._pending.items()):
            moving = [
                row
                for row in rows
                if R.symbol[row] == old and (account is None or R.account[row] == account)
            ]
            if not moving:
                continue
            self._pending[key] = [row for row in rows if row not in moving]
            for row in moving:
                target = ledger.wash_key(int(R.account[row]), new)
                self._pending.setdefault(target, []).append(row)
