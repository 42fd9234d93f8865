"""The run review page's "Locked-up accounts" (issue 21, "Lock-up monitor").

An account is locked up when little is left to harvest and tonight's decision could not bring its
tracking error under its max within its gain budget (``sma.lockup``). Per such account: its value,
the share of it in appreciated positions, the harvest potential left and the losses a wash sale
blocks, tracking error before and after tonight against its max, and the gain budget left; then
each remedy the engine reran for it -- its tracking error after trading and the gains it realizes.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from sma.lockup import REMEDY_COLUMNS, LockupThresholds
from sma.reporting._format import dollars_or_dash as _usd
from sma.reporting._format import percent_or_dash as _pct

_HEADERS = (
    ("Account", False),
    ("Value", True),
    ("In appreciated positions", True),
    ("Harvest potential left", True),
    ("Losses wash-blocked", True),
    ("TE before", True),
    ("TE after (max)", True),
    ("Gain budget left", True),
    ("Gains tonight", True),
)
_REMEDY_HEADERS = (
    ("Account", False),
    ("Remedy", False),
    ("TE after (max)", True),
    ("Short-term gains", True),
    ("Long-term gains", True),
    ("Engine's decision", False),
)


def _head(headers) -> str:
    return "".join(
        f'<th class="num">{escape(h)}</th>' if num else f"<th>{escape(h)}</th>"
        for h, num in headers
    )


def _te(te: float, limit: float) -> str:
    cls = "num alert" if te > limit else "num"
    return f'<td class="{cls}">{_pct(te)} ({_pct(limit)})</td>'


def lockup_section(
    lockup: pd.DataFrame | None,
    remedies: pd.DataFrame | None,
    listed: frozenset[str] | None,
    thresholds: LockupThresholds | None = None,
) -> str:
    """The page's "Locked-up accounts" section; empty text for a run without lock-up figures.

    Parameters
    ----------
    lockup : DataFrame or None
        ``sma.lockup.LOCKUP_COLUMNS``, one row per account decided tonight.
    remedies : DataFrame or None
        ``sma.lockup.REMEDY_COLUMNS``, the remedies the engine reran.
    listed : frozenset of str or None
        The accounts the page lists (None: all).
    thresholds : LockupThresholds or None
        What "appreciated" and "little left to harvest" meant tonight, stated on the page.

    Returns
    -------
    str
        HTML; ids and text escaped.
    """
    if lockup is None:
        return ""
    t = thresholds or LockupThresholds()
    locked = lockup[lockup["locked_up"].astype(bool)]
    if listed is not None:
        locked = locked[locked["account_id"].isin(listed)]
    locked = locked.sort_values("account_id", kind="stable")
    badge = "badge" if len(locked) else "badge ok"
    rule = (
        f"An account is locked up when its harvest potential left is under "
        f"{t.harvest_floor:.2%} of its value and tonight's decision left its tracking error above "
        f"its max (TE_LIMIT, or above the max with the gain budget used). A position is "
        f"appreciated when its unrealized gain is above {t.gain_threshold:.0%} of its basis. "
        f"{len(locked)} of {len(lockup)} accounts decided tonight are locked up."
    )
    if locked.empty:
        return (
            f'<section id="lockup"><h2>Locked-up accounts <span class="{badge}">0</span></h2>'
            f'<p class="note">{escape(rule)}</p></section>'
        )
    body = [
        f'<tr data-account="{escape(str(r.account_id))}"><td>{escape(str(r.account_id))}</td>'
        f'<td class="num">{_usd(r.account_value)}</td>'
        f'<td class="num">{_pct(r.appreciated_share)}</td>'
        f'<td class="num">{_usd(r.harvest_potential)} ({_pct(r.harvest_potential_share)})</td>'
        f'<td class="num">{_usd(r.wash_blocked_losses)}</td>'
        f'<td class="num">{_pct(r.te_before)}</td>'
        + _te(r.te_after, r.max_tracking_error)
        + f'<td class="num">{_usd(r.gain_budget_left) if pd.notna(r.gain_budget_left) else "none"}'
        f'</td><td class="num">{_usd(r.gains_tonight)}</td></tr>'
        for r in locked.itertuples(index=False)
    ]
    table = (
        f'<div class="scroll"><table id="lockup-table"><thead><tr>{_head(_HEADERS)}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    return (
        f'<section id="lockup"><h2>Locked-up accounts <span class="{badge}">{len(locked)}</span>'
        f'</h2><p class="note">{escape(rule)}</p>{table}{_remedies(remedies, locked)}</section>'
    )


def _remedies(remedies: pd.DataFrame | None, locked: pd.DataFrame) -> str:
    shown = (
        pd.DataFrame(columns=list(REMEDY_COLUMNS))
        if remedies is None
        else remedies[remedies["account_id"].isin(locked["account_id"])]
    )
    note = (
        '<h3>What would unlock them</h3><p class="note">Each remedy reruns tonight\'s decision '
        "by the engine with one thing changed; the tracking error and gains are what it would "
        "trade. Accounts beyond the night's limit ([lockup] max_accounts_per_night) have none.</p>"
    )
    if shown.empty:
        return note + '<p class="muted">No remedies were examined tonight.</p>'
    body = [
        f'<tr data-account="{escape(str(r.account_id))}"><td>{escape(str(r.account_id))}</td>'
        f"<td>{escape(str(r.what))}</td>"
        + _te(r.te_after, r.max_tracking_error)
        + f'<td class="num">{_usd(r.realized_st)}</td><td class="num">{_usd(r.realized_lt)}</td>'
        f"<td>{escape(str(r.status))}{' · ' + escape(str(r.exception)) if r.exception else ''}"
        "</td></tr>"
        for r in shown.sort_values(["account_id", "remedy"], kind="stable").itertuples(index=False)
    ]
    return (
        note + f'<div class="scroll"><table id="remedy-table"><thead><tr>{_head(_REMEDY_HEADERS)}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
