"""A place of its own for each night, and the `sma` command, for end-to-end runs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 24)
SMA = [sys.executable, "-m", "pipelines"]


def workplace(root: Path, workers: int = 1, users_file: Path | None = None) -> dict[str, str]:
    """An sma.toml putting the store, the exchange and the runs under ``root``; the env to use it.

    ``users_file`` maps logins to roles (default: the repository's ``config/users.toml``); the
    logins' private keys are under ``root/.config/sma``, never in the real home.
    """
    users_file = users_file or Path(__file__).parents[1] / "config" / "users.toml"
    root.mkdir(parents=True, exist_ok=True)
    (root / "sma.toml").write_text(
        f'[store]\npath = "{root / "store.duckdb"}"\n'
        f'[storage]\nuri = "{root / "storage"}"\n'
        f'[runs]\ndir = "{root / "runs"}"\n'
        f"[night]\nworkers = {workers}\naccounts_per_shard = 3\n"
        f'[blotter]\nusers_file = "{users_file}"\nkeys_dir = "{root / ".config" / "sma"}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMA_")}
    # The `sma` under test is this tree's, whatever an editable install in the venv points at.
    tree = os.pathsep.join(p for p in (str(Path(__file__).parents[1]), env.get("PYTHONPATH")) if p)
    return {**env, "SMA_CONFIG": str(root / "sma.toml"), "PYTHONPATH": tree}


def sma(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SMA, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
