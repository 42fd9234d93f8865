"""What a share paid its holders on a day besides its close: the value a price series alone
loses on a distribution's ex-date (shared/CORPORATE_ACTIONS.md, "Per-action fields and effects").

A SPINOFF gives ``ratio`` new shares per share (worth their close that day) and the parent's close
drops by about as much; a RETURN_OF_CAPITAL pays ``amount_per_share`` in cash. A holder of the
share has both, so a return measured on closes alone (an index's level, a benchmark's daily
return) adds them back on that day. Mergers and worthless stock end the share: its last close is
what its holders received. A SYMBOL_CHANGE or a SPLIT pays nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.errors import SmaError


class PaidOutError(SmaError, ValueError):
    """A distribution whose value is not known from the closes given (which action, why)."""


def paid_out(closes: pd.DataFrame, actions: pd.DataFrame | None) -> pd.DataFrame:
    """USD per share each symbol paid its holders on each day besides its close.

    Parameters
    ----------
    closes : DataFrame -- one row per day (index: dates, increasing), one column per symbol, USD
    actions : DataFrame or None -- the inbox ``corporate_actions`` rows (symbol, ex_date, kind,
        ratio, new_symbol, amount_per_share); a row restated on several nights counts once.
        Actions on a symbol or a day outside ``closes`` pay nothing here.

    Returns
    -------
    DataFrame shaped as ``closes``: zero but on SPINOFF and RETURN_OF_CAPITAL ex-dates.

    Raises
    ------
    PaidOutError -- a spin-off whose new shares have no close on its ex-date (their value is not
    known).
    """
    paid = np.zeros(closes.shape)
    if actions is None or actions.empty:
        return pd.DataFrame(paid, index=closes.index, columns=closes.columns)
    kinds = actions["kind"].astype(str)
    rows = actions[kinds.isin(("SPINOFF", "RETURN_OF_CAPITAL"))]
    rows = rows.drop_duplicates(
        [c for c in ("symbol", "ex_date", "kind", "new_symbol") if c in rows]
    )
    day = pd.DatetimeIndex(pd.to_datetime(closes.index)).get_indexer(
        pd.to_datetime(rows["ex_date"])
    )
    symbols = pd.Index(closes.columns.astype(str))
    column = symbols.get_indexer(rows["symbol"].astype(str))
    values = closes.to_numpy(dtype=float)
    for a, t, j in zip(rows.to_dict("records"), day, column, strict=True):
        if t < 0 or j < 0:
            continue
        if a["kind"] == "SPINOFF":
            c = symbols.get_indexer([str(a["new_symbol"])])[0]
            child = values[t, c] if c >= 0 else np.nan
            if not np.isfinite(child):
                raise PaidOutError(
                    f"corporate_actions: SPINOFF of {a['symbol']} on {a['ex_date']}: new_symbol "
                    f"{a['new_symbol']} has no close that day, so what its holders received is "
                    "not known"
                )
            paid[t, j] += float(a["ratio"]) * child
        else:
            paid[t, j] += float(a["amount_per_share"])
    return pd.DataFrame(paid, index=closes.index, columns=closes.columns)
