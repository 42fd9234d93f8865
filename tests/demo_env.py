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


def shared_demo(tmp_path_factory, as_of: date, accounts: int, seed: int, years: int = 1) -> Path:
    """One small demo per test session and size, built by whichever test (or xdist worker) asks
    first, under a lock; the others wait for it and read the same folder (read-only: a test that
    writes into its demo builds its own with :func:`build_demo`)."""
    import fcntl
    import shutil

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, shared by its workers
    work = root / f"shared-demo-{as_of.isoformat()}-{accounts}-{seed}-{years}"
    with open(root / f"{work.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (work / ".built").exists():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            build_demo(work, as_of, accounts=accounts, seed=seed, years=years)
            (work / ".built").touch()
    return work
