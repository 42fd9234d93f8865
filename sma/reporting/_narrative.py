"""The plain-language "what we did and why" of a statement, from the period's trades and figures.

Sentences are plain text (no markup); the renderer escapes them like any other text.
"""

from __future__ import annotations

import numpy as np

from sma.reporting._figures import StatementFigures
from sma.reporting._format import money
from sma.reporting._reasons import REASON_WORDS

TAX_DEFERRED = ("IRA", "ROTH")


def _trades(n: int) -> str:
    return "1 trade" if n == 1 else f"{n} trades"


def what_we_did(figures: StatementFigures, account_type: str, period_label: str) -> list[str]:
    """Paragraphs, in order: the period's trades by reason, taxes, and cash flows."""
    reasons = figures.reasons
    if reasons.empty:
        lines = [
            f"We made no trades in {period_label}: the portfolio stayed within its tolerances of "
            "your personalised benchmark, and no tax losses were worth harvesting."
        ]
    else:
        total = int(reasons["trades"].sum())
        lines = [f"In {period_label} we made {_trades(total)} in your account. We:"]
        for row in reasons.itertuples(index=False):
            words = REASON_WORDS.get(str(row.reason), f"traded for reason {row.reason}")
            amount = money(float(row.bought) + float(row.sold), cents=False)
            lines.append(f"\u2022 {words} ({_trades(int(row.trades))}, {amount} traded).")
    harvested = figures.realized_period.st_losses + figures.realized_period.lt_losses
    if account_type.upper() in TAX_DEFERRED:
        lines.append(
            "This is a tax-deferred account: gains and losses inside it are not taxed, so we do "
            "not harvest losses here and manage it for tracking of your benchmark alone."
        )
    elif harvested > 0:
        lines.append(
            f"Losses realised this period came to {money(harvested)}; at your tax rates we estimate "
            f"they are worth about {money(figures.harvested_period_value)} in taxes you will not pay "
            "on other gains, if you have such gains to offset."
        )
    if figures.contributions > 0 or figures.withdrawals > 0:
        lines.append(
            f"You added {money(figures.contributions)} and withdrew {money(figures.withdrawals)} "
            "this period; we invested or raised the cash accordingly."
        )
    return lines


def in_brief(figures: StatementFigures, account_type: str, period_label: str) -> str:
    """One paragraph for the cover: return vs benchmark, how much we traded and mainly why."""
    p = figures.period
    verb = "gained" if p.account >= 0 else "lost"
    text = (f"In {period_label} your account {verb} {abs(p.account):.2%} (time-weighted), against "
            f"{p.benchmark:+.2%} for its benchmark.")
    reasons = figures.reasons
    if reasons.empty:
        return text + " We made no trades: the portfolio stayed within its tolerances."
    main = str(reasons["reason"].iloc[int(np.argmax(reasons["trades"].to_numpy()))])
    text += f" We made {_trades(int(reasons['trades'].sum()))}; most of them {REASON_WORDS.get(main, main)}."
    harvested = figures.realized_period.st_losses + figures.realized_period.lt_losses
    if account_type.upper() not in TAX_DEFERRED and harvested > 0:
        text += (f" Losses harvested came to {money(harvested)}, worth an estimated "
                 f"{money(figures.harvested_period_value)} in taxes.")
    return text
