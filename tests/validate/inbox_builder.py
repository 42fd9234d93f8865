"""A small, valid inbox written by hand, as text frames, and the means to corrupt and write it.

Three accounts in two households follow one benchmark of four stocks (A3 a UMA account with
sleeves following two models); every file of the contract
is present and every cross-file rule holds. Tests change one cell (or row) and check the one
error it must cause.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = date(2026, 11, 24)


def _frame(columns: str, *rows: str) -> pd.DataFrame:
    names = columns.split(",")
    return pd.DataFrame([r.split(",") for r in rows], columns=names, dtype=object)


def clean_inbox() -> dict[str, pd.DataFrame]:
    """Every inbox file as a frame of text cells; valid for the night of :data:`AS_OF`."""
    return {
        "securities": _frame(
            "symbol,name,sector,industry,identical_group,esg_tags",
            "AAPL,Apple Inc.,Information Technology,Hardware,,",
            "MSFT,Microsoft Corp.,Information Technology,Software,,",
            "XOM,Exxon Mobil Corp.,Energy,Oil & Gas,,fossil_fuels;carbon",
            "JNJ,Johnson & Johnson,Health Care,Pharmaceuticals,,",
        ),
        "prices": _frame(
            "date,symbol,close,volume",
            "2026-11-23,AAPL,180.5,1000000",
            "2026-11-23,MSFT,410.25,800000",
            "2026-11-23,XOM,110.0,500000",
            "2026-11-23,JNJ,155.75,",
            "2026-11-24,AAPL,182.0,1100000",
            "2026-11-24,MSFT,405.5,900000",
            "2026-11-24,XOM,111.25,450000",
            "2026-11-24,JNJ,156.0,300000",
        ),
        "benchmarks": _frame(
            "benchmark_id,symbol,weight",
            "B1,AAPL,0.4",
            "B1,MSFT,0.3",
            "B1,XOM,0.2",
            "B1,JNJ,0.1",
        ),
        "accounts": _frame(
            "account_id,household_id,client_name,account_type,benchmark_id,tlh_enabled,st_tax_rate,"
            "lt_tax_rate,max_tracking_error,gain_budget,min_trade_value,cash_target,inception_date,"
            "implementation",
            "A1,H1,Ada Lovelace,TAXABLE,B1,true,0.37,0.2,0.02,5000,100,0.01,2020-01-02,"
            "MANAGER_TRADED",
            "A2,H1,Ada Lovelace,IRA,B1,false,0,0,0.03,,50,0.02,2021-03-01,",
            "A3,H2,Alan Turing,ROTH,B1,false,0,0,0.03,,50,0.0,2022-07-15,UMA",
        ),
        "restrictions": _frame(
            "account_id,kind,symbol,sector,esg_tag",
            "A1,EXCLUDE,XOM,,",
            "A3,NO_BUY,,Energy,",
            "A2,EXCLUDE,,,fossil_fuels",
        ),
        "tilts": _frame(
            "account_id,sector,symbol,multiplier", "A1,Information Technology,,1.2", "A2,,JNJ,0.5"
        ),
        "lots": _frame(
            "account_id,lot_id,symbol,quantity,cost_basis,acquired_date,adjusted_acquired_date",
            "A1,L1,AAPL,10,1500.00,2024-01-05,",
            "A1,L2,AAPL,5,900.50,2026-11-10,2026-10-01",
            "A1,L3,MSFT,8,2400.00,2023-02-01,",
            "A2,L1,JNJ,4,600.00,2025-06-02,",
            "A3,L1,XOM,3,330.00,2025-09-09,",
        ),
        "cash": _frame("account_id,amount", "A1,1250.00", "A2,-3.50", "A3,0"),
        "cash_flows": _frame(
            "account_id,amount,requested_date", "A1,1000.00,2026-11-20", "A2,-250.00,2026-11-30"
        ),
        "transactions": _frame(
            "account_id,trade_date,symbol,side,quantity,price,realized_gain",
            "A1,2026-11-10,AAPL,BUY,5,180.10,",
            "A2,2026-11-03,JNJ,SELL,2,150.00,-12.50",
        ),
        "positions": _frame(
            "account_id,symbol,quantity", "A1,AAPL,15", "A1,MSFT,8", "A2,JNJ,4", "A3,XOM,3"
        ),
        "corporate_actions": _frame(
            "symbol,ex_date,kind,ratio,account_id,new_symbol,basis_fraction,cash_per_share,"
            "new_share_price,amount_per_share,cash_in_lieu_price,price",
            "MSFT,2026-06-01,SPLIT,2,,,,,,,,",
            "AAPL,2026-12-15,SPLIT,4,,,,,,,,",
        ),
        # Issue 19: A3 is a UMA account, a core sleeve, a growth sleeve and cash; the core model
        # has two versions (the second drops JNJ).
        "models": _frame(
            "provider_id,model_id,effective_date,symbol,weight",
            "NORTHWIND,CORE,2026-10-01,AAPL,0.5",
            "NORTHWIND,CORE,2026-10-01,MSFT,0.3",
            "NORTHWIND,CORE,2026-10-01,JNJ,0.2",
            "NORTHWIND,CORE,2026-11-24,AAPL,0.6",
            "NORTHWIND,CORE,2026-11-24,MSFT,0.4",
            "ALDER,GROWTH,2026-09-01,MSFT,1",
        ),
        "sleeves": _frame(
            "account_id,sleeve_id,model_id,target_weight,drift_band",
            "A3,S1,CORE,0.6,0.05",
            "A3,S2,GROWTH,0.35,0.05",
            "A3,S3,CASH,0.05,0.02",
        ),
        # Issue 21: A1 gives $1,000 of appreciated stock to a charity.
        "gift_requests": _frame(
            "request_id,account_id,amount,date,charity", "G1,A1,1000.00,2026-11-24,Red Cross"
        ),
    }


def clean_fills() -> pd.DataFrame:
    return _frame(
        "exec_id,order_id,account_id,symbol,side,quantity,price,lot_id",
        "E1,O1,A1,AAPL,SELL,5,181.00,L2",
        "E2,O2,A2,MSFT,BUY,2,405.00,",
    )


def night(root: Path) -> Path:
    return root / AS_OF.isoformat()


def write_inbox(frames: dict[str, pd.DataFrame], root: Path, fmt: str = "csv") -> Path:
    """Write ``frames`` under ``root/<AS_OF>/`` as CSV (text as is) or Parquet (string columns)."""
    folder = night(root)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        write_file(frame, folder / f"{name}.{fmt}")
    return folder


def write_file(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    else:
        table = pa.table(
            {c: pa.array([str(v) for v in frame[c]], pa.string()) for c in frame.columns}
        )
        pq.write_table(table, path)


def folder_state(root: Path) -> dict[str, tuple]:
    """Every file under ``root`` with its size, modification time and (below 1 MiB) content hash:
    compare before and after to show nothing was written."""
    state = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest = (
                hashlib.sha256(path.read_bytes()).hexdigest() if stat.st_size < 1 << 20 else None
            )
            state[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns, digest)
    return state
