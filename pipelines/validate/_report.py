"""The validation report a person reads: one line per issue, then a summary."""

from __future__ import annotations

import pandas as pd

from pipelines.validate._validate import ValidationResult

_WIDTH = {"file": 17, "row": 7, "column": 20, "rule": 28, "value": 24, "account": 12}


def _cell(value, width: int) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        text = "-"
    else:
        # Escape control characters so a hostile value cannot rewrite the terminal.
        text = str(value).encode("unicode_escape").decode("ascii")
    return text if len(text) <= width else text[: width - 3] + "..."


def render_report(result: ValidationResult, max_issues: int = 1000) -> str:
    """A readable table of ``result.issues`` (file, row, column, rule, bad value, account, message).

    At most ``max_issues`` lines are listed (the summary counts them all, also those
    ``result.issues`` does not keep); notes follow, then a summary line: clean, or the number of
    issues, quarantined rows and held accounts.
    """
    issues = result.issues
    lines = []
    if len(issues):
        header = "  ".join(name.ljust(w) for name, w in _WIDTH.items()) + "  message"
        lines += [header, "-" * len(header)]
        for r in issues.head(max_issues).itertuples(index=False):
            row = None if pd.isna(r.row) else int(r.row)
            cells = [
                _cell(v, w)
                for v, w in zip(
                    (r.file, row, r.column, r.rule, r.value, r.account_id), _WIDTH.values()
                )
            ]
            lines.append(
                "  ".join(c.ljust(w) for c, w in zip(cells, _WIDTH.values()))
                + "  "
                + _cell(r.message, 200)
            )
        shown = min(len(issues), max_issues)
        if result.issue_count > shown:
            lines.append(f"... and {result.issue_count - shown} more issues")
    lines += [f"note: {_cell(n, 200)}" for n in result.notes]
    lines.append(summary_line(result))
    return "\n".join(lines)


def summary_line(result: ValidationResult) -> str:
    rows = sum(result.rows_read.values())
    if result.ok:
        return f"inbox is clean: {len(result.rows_read)} files, {rows:,} rows checked"
    verdict = "FATAL: nothing can be loaded" if result.fatal else "the rest of the book can run"
    return (
        f"{_count(result.issue_count, 'issue')} in {_count(result.files_with_issues, 'file')}: "
        f"{_count(result.rows_quarantined, 'row')} quarantined, "
        f"{_count(len(result.held_accounts), 'account')} held; {verdict}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
