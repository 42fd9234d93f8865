"""A small `make demo` for end-to-end checks: same code path, fewer accounts and years."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path


def build_demo(work: Path, as_of: date, accounts: int, seed: int, years: int = 1) -> None:
    """Run the demo into ``work``. It signs as the running login with its key: the key goes to
    ``work/keys``, never the real home, and the process's settings are left as they were."""
    from pipelines.demo import run_demo

    keys = {"SMA_CONFIG": None, "SMA_BLOTTER__KEYS_DIR": str(work / "keys")}
    before = {k: os.environ.get(k) for k in keys}
    os.environ["SMA_BLOTTER__KEYS_DIR"] = keys["SMA_BLOTTER__KEYS_DIR"]
    try:
        assert run_demo(work, as_of, accounts=accounts, seed=seed, years=years) == 0
    finally:
        for k, v in before.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
