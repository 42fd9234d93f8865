"""The statement's gift lines (issue 21): one per gift, the securities given, their value, the
gain the client avoided realizing and that gain at the long-term rate (IRS Publication 526)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sma.reporting._gifts import GIFT_LINE_COLUMNS, gift_lines


def test_one_line_per_gift_with_shares_summed_per_symbol_and_tax_at_the_long_term_rate():
    gifts = pd.DataFrame(
        [
            (date(2026, 11, 2), "G1", "Red Cross", "AAA", 6.0, 600.0, 480.0),
            (date(2026, 11, 2), "G1", "Red Cross", "AAA", 2.0, 200.0, 150.0),
            (date(2026, 11, 2), "G1", "Red Cross", "BBB", 0.5, 25.0, 10.0),
            (date(2026, 11, 9), "G2", "Oxfam", "CCC", 10.0, 100.0, 40.0),
        ],
        columns=[
            "date",
            "request_id",
            "charity",
            "symbol",
            "quantity",
            "market_value",
            "unrealized_gain",
        ],
    )
    lines = gift_lines(gifts, 0.238)
    assert list(lines.columns) == GIFT_LINE_COLUMNS
    assert lines[
        ["charity", "securities", "value", "gain_avoided", "tax_avoided"]
    ].values.tolist() == [
        ["Red Cross", "AAA 8, BBB 0.5", 825.0, 640.0, 152.32],
        ["Oxfam", "CCC 10", 100.0, 40.0, 9.52],
    ]


def test_no_gift_gives_no_line():
    assert gift_lines(pd.DataFrame(), 0.2).empty
