"""The plain-language "what we did and why" of a statement, from the period's trades and figures.

Sentences are plain text (no markup); the renderer escapes them like any other text.
"""

from __future__ import annotations

import numpy as np

from sma.ledger import money
from sma.rebalance import TradeReason
from sma.reporting._figures import StatementFigures
from sma.reporting._format import percent
from sma.reporting._reasons import REASON_WORDS

#: A statement's own words where the shared ones (``REASON_WORDS``, also the PM's review page)
#: would say more than the account did, in US spelling throughout.
STATEMENT_WORDS = {
    **REASON_WORDS,
    TradeReason.HARVEST: "sold holdings that were worth less than you paid, to realize losses "
    "that can offset "
    "taxable gains",
    TradeReason.REBALANCE: "brought the portfolio back in line with your benchmark",
}


def reason_words(reason: str, withdrawals: float) -> str:
    """Why we traded, in the client's words; cash raised without a withdrawal was for the cash
    reserve."""
    if reason == TradeReason.CASH_RAISE:
        return (
            "sold to raise the cash needed for your withdrawals"
            if withdrawals > 0
            else "sold to bring the account's cash back up to its target reserve"
        )
    return STATEMENT_WORDS.get(reason, f"traded for reason {reason}")


TAX_DEFERRED = ("IRA", "ROTH")


def _trades(n: int) -> str:
    return "1 trade" if n == 1 else f"{n} trades"


def what_we_did(figures: StatementFigures, account_type: str, period_label: str) -> list[str]:
    """Paragraphs, in order: the period's trades by reason, taxes, and cash flows."""
    reasons = figures.reasons
    if reasons.empty:
        lines = [
            (
                f"We made no trades in {period_label}: the portfolio stayed within its "
                "tolerances of "
                "your benchmark, and no tax losses were worth harvesting."
            )
        ]
    else:
        total = int(reasons["trades"].sum())
        lines = [f"In {period_label} we made {_trades(total)} in your account. We:"]
        for row in reasons.itertuples(index=False):
            words = reason_words(str(row.reason), figures.withdrawals)
            amount = money(float(row.bought) + float(row.sold), cents=False)
            lines.append(f"\u2022 {words} ({_trades(int(row.trades))}, {amount} traded).")
    harvested = figures.realized_period.losses
    if account_type.upper() in TAX_DEFERRED:
        lines.append(
            "This is a tax-deferred account: gains and losses inside it are not taxed, so we do "
            "not harvest losses here and manage it for tracking of your benchmark alone."
        )
    elif harvested > 0:
        lines.append(
            f"Losses realized this period came to {money(harvested)}. Netted against this "
            "account's gains "
            "for the year, the year's losses are worth an estimated "
            f"{money(figures.loss_value.value)} in "
            "tax this year (section 7 shows how)."
        )
    if figures.contributions > 0 or figures.withdrawals > 0:
        lines.append(
            f"You added {money(figures.contributions)} and withdrew {money(figures.withdrawals)} "
            "this period; we invested or raised the cash accordingly."
        )
    else:
        lines.append("You made no contributions or withdrawals this period.")
    return lines


def in_brief(figures: StatementFigures, account_type: str, period_label: str) -> str:
    """One paragraph for the cover: return vs benchmark, how much we traded and mainly why."""
    p = figures.period
    shown = percent(abs(p.account), signed=False)
    # The verb follows the figure as printed: a return of -0.004% "returned 0.00%", not "lost".
    verb = "returned" if shown == "0.00%" else "gained" if p.account > 0 else "lost"
    text = (
        f"In {period_label} your account {verb} {shown} (time-weighted), against "
        f"{percent(p.benchmark)} for its benchmark."
    )
    reasons = figures.reasons
    if reasons.empty:
        return text + " We made no trades: the portfolio stayed within its tolerances."
    main = str(reasons["reason"].iloc[int(np.argmax(reasons["trades"].to_numpy()))])
    text += (
        f" We made {_trades(int(reasons['trades'].sum()))}; most of them "
        f"{reason_words(main, figures.withdrawals)}."
    )
    harvested = figures.realized_period.losses
    if account_type.upper() not in TAX_DEFERRED and harvested > 0:
        text += (
            f" Losses harvested this period came to {money(harvested)}; the year's losses are "
            "worth an "
            f"estimated {money(figures.loss_value.value)} in tax this year, after netting."
        )
    return text
