"""Corporate actions in a client's words, for the statement's activity section (issue 22;
shared/CORPORATE_ACTIONS.md for what each kind does to the lots)."""

from __future__ import annotations

from datetime import date

import pandas as pd

#: Columns of the corporate actions a statement lists: when, which security, what happened.
CORPORATE_ACTION_COLUMNS = ("date", "symbol", "description")


def _number(value: object) -> str:
    return f"{float(value):g}"  # pyright: ignore[reportArgumentType]


def _money(value: object) -> str:
    return f"${float(value):,.2f}"  # pyright: ignore[reportArgumentType]


def describe_corporate_action(action: pd.Series) -> str:
    """One sentence per action, e.g. "Spin-off: 0.5 SPIN per share; 25% of the cost moved".

    Parameters
    ----------
    action : Series
        One inbox ``corporate_actions`` row (``kind, symbol, ratio, new_symbol,
        basis_fraction, cash_per_share, price, amount_per_share``).
    """
    kind, new = str(action["kind"]), action.get("new_symbol")
    if kind == "SPLIT":
        return f"Split: {_number(action['ratio'])} shares for each share held"
    if kind == "SPINOFF":
        return (
            f"Spin-off: {_number(action['ratio'])} {new} per share; "
            f"{float(action['basis_fraction']):.2%} of the cost moved to {new}"
        )
    if kind == "MERGER_STOCK":
        return f"Merger: each share became {_number(action['ratio'])} {new}"
    if kind == "MERGER_CASH":
        return f"Merger: each share paid {_money(action['price'])} in cash"
    if kind == "MERGER_MIXED":
        return (
            f"Merger: each share became {_number(action['ratio'])} {new} "
            f"and {_money(action['cash_per_share'])} in cash"
        )
    if kind == "SYMBOL_CHANGE":
        return f"Ticker change to {new}"
    if kind == "RETURN_OF_CAPITAL":
        return f"Return of capital: {_money(action['amount_per_share'])} per share"
    if kind == "WORTHLESS":
        return "Declared worthless; the loss is dated December 31"
    return kind


def corporate_action_activity(
    actions: pd.DataFrame, symbols: set[str], start: date, end: date
) -> pd.DataFrame:
    """The actions of the period on the securities the account held (``CORPORATE_ACTION_COLUMNS``)
    in date and symbol order, one row per action.

    Parameters
    ----------
    actions : DataFrame
        Inbox ``corporate_actions`` rows (``ex_date`` and the fields of each kind).
    symbols : set of str
        The securities the account held in the period (before or after the action).
    start, end : date
        The period, both ends inclusive.
    """
    if actions.empty:
        return pd.DataFrame(columns=list(CORPORATE_ACTION_COLUMNS))
    day = pd.to_datetime(actions["ex_date"]).dt.date
    new = actions.get("new_symbol", pd.Series(None, index=actions.index))
    mine = actions[
        (day >= start) & (day <= end) & (actions["symbol"].isin(symbols) | new.isin(symbols))
    ]
    mine = mine.assign(date=day[mine.index]).drop_duplicates(["date", "symbol", "kind"])
    out = pd.DataFrame(
        {
            "date": mine["date"],
            "symbol": mine["symbol"].astype(str),
            "description": [describe_corporate_action(r) for _, r in mine.iterrows()],
        },
        columns=list(CORPORATE_ACTION_COLUMNS),
    )
    return out.sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)
