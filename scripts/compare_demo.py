"""Compare two demo work folders (``make demo WORK=...`` before and after a change) on what must not
change: the generated inbox, the store's tables, the proposal and blotter, the blotter's exports
(desk, allocations and lot-instruction CSV, FIX at a fixed release time), the run summary, the
review page, statements (as ``pdftotext`` reads them) and Form 8949 files.

What differs by nature is left out: timestamps, signatures, record hashes, process ids, the work
folder's own path. Prints one line per compared item and the first differing lines, and exits 1
when anything differs.

    PYTHONPATH=. python scripts/compare_demo.py out/demo-before out/demo-after
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

#: Text that differs between two runs of the same demo: ISO timestamps, attempt ids, hashes and
#: signatures of audit records, the work folder's path.
_VOLATILE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?"), "<time>"),
    (re.compile(r"a\d{8}T\d{6}-[0-9a-f]{8}"), "<attempt>"),
    (re.compile(r'"(hash|prev|signature|pid|started)": ?"?[^",}]*"?'), r'"\1": <volatile>'),
]
#: Store columns that record when or by which attempt something was written (and audit record
#: hashes, which cover the time).
_VOLATILE_COLUMNS = re.compile(r"(_at|attempt|loaded|created|started|finished|pid|host|^hash)$")


def _masked(text: str, work: Path) -> list[str]:
    text = text.replace(str(work), "<work>")
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text.splitlines()


def _report(name: str, before: list[str], after: list[str], shown: int = 8) -> bool:
    if before == after:
        print(f"same     {name}")
        return True
    diff = list(difflib.unified_diff(before, after, "before", "after", n=0, lineterm=""))
    changed = sum(1 for line in diff if line[:1] in "+-") - 2
    print(f"DIFFERS  {name}: {changed} lines")
    for line in diff[2 : 2 + shown]:
        print(f"           {line[:160]}")
    return False


def _files(work: Path, pattern: str) -> dict[str, Path]:
    return {str(p.relative_to(work)): p for p in sorted(work.glob(pattern)) if p.is_file()}


def _text(path: Path, work: Path) -> list[str]:
    if path.suffix == ".pdf":
        if shutil.which("pdftotext") is None:
            return [f"<pdf {path.stat().st_size} bytes: pdftotext not installed>"]
        out = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
        )
        return _masked(out.stdout.decode("utf-8", "replace"), work)
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return [str(table.schema)] + [json.dumps(r, default=str) for r in table.to_pylist()]
    return _masked(path.read_text(encoding="utf-8", errors="replace"), work)


def _store_tables(store: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                    "ORDER BY column_index",
                    [table],
                ).fetchall()
                if not _VOLATILE_COLUMNS.search(c)
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {select} FROM "{table}" ORDER BY ALL').fetchall()
            out[table] = [",".join(columns)] + [repr(r) for r in rows]
        return out
    finally:
        con.close()


def _exports(run: Path) -> dict[str, list[str]]:
    from pipelines.blotter._folder import read_blotter
    from sma.trading import allocations_csv, desk_csv, fix_messages, lot_instructions_csv

    folder = run / "blotter" / "proposed"
    if not folder.is_dir():
        return {}
    blotter = read_blotter(folder)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    fix = [m.decode("ascii", "replace").replace("\x01", "|") for m in fix_messages(blotter, at)]
    return {
        "desk.csv": desk_csv(blotter).splitlines(),
        "allocations.csv": allocations_csv(blotter).splitlines(),
        "lot_instructions.csv": lot_instructions_csv(blotter).splitlines(),
        "orders.fix": fix,
    }


def compare(before: Path, after: Path) -> bool:
    """Print what differs between two demo folders; True when nothing does."""
    same = True
    patterns = [
        "inbox/**/*.csv",
        "inbox/**/*.parquet",
        "runs/*/summary.json",
        "runs/*/accounts.csv",
        "runs/*/review.html",
        "runs/*/proposal/*.parquet",
        "runs/*/blotter/proposed/*.parquet",
        "runs/*/blotter/audit.jsonl",
        "statements/**/*.pdf",
        "statements/**/*.csv",
    ]
    for pattern in patterns:
        old, new = _files(before, pattern), _files(after, pattern)
        for name in sorted(old.keys() | new.keys()):
            if name not in old or name not in new:
                print(f"DIFFERS  {name}: only {'after' if name in new else 'before'}")
                same = False
            elif old[name].read_bytes() != new[name].read_bytes() or name.endswith(
                (".pdf", ".jsonl", ".html")
            ):
                same &= _report(name, _text(old[name], before), _text(new[name], after))
            else:
                print(f"same     {name} (bytes)")
    old_store, new_store = (
        _store_tables(before / "store.duckdb"),
        _store_tables(after / "store.duckdb"),
    )
    for table in sorted(old_store.keys() | new_store.keys()):
        same &= _report(f"store {table}", old_store.get(table, []), new_store.get(table, []))
    for run in sorted(p.name for p in (before / "runs").iterdir() if p.is_dir()):
        old_exports, new_exports = _exports(before / "runs" / run), _exports(after / "runs" / run)
        for name in sorted(old_exports.keys() | new_exports.keys()):
            same &= _report(
                f"runs/{run} export {name}", old_exports.get(name, []), new_exports.get(name, [])
            )
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    return 0 if compare(args.before.resolve(), args.after.resolve()) else 1


if __name__ == "__main__":
    sys.exit(main())
