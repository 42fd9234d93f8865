"""What a killed process leaves is swept only when its owner is dead (issue 16, point 7)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines._atomic import write_atomically
from pipelines._leftovers import dead_leftovers, scratch, sweep
from pipelines.night import _files


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(child.stdout)


def test_only_the_leftovers_of_dead_processes_are_swept(tmp_path):
    run, temp = tmp_path / "run", tmp_path / "tmp"
    dead, live = _dead_pid(), os.getpid()
    files = {
        run / "proposal" / f".tmp-{dead}-ab12-trades.parquet": True,
        run / f".tmp-{live}-cd34-review.html": False,
        run
        / "blotter"
        / ".tmp-0f3e9a1b2c4d-orders.parquet": False,  # not named by owner: never ours to judge
        temp / f"sma-night-{dead}-q1" / "part0.parquet": True,
        temp / f"sma-night-{live}-q2" / "part0.parquet": False,
        temp / f"sma-staging-{dead}" / "staging.duckdb": False,
    }
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    expected = sorted(
        [p for p, swept in files.items() if swept and p.name.startswith(".tmp-")]
        + [temp / f"sma-night-{dead}-q1"]
    )
    assert dead_leftovers([run], temp) == expected
    assert sweep([run], temp) == expected
    for path, swept in files.items():
        assert path.exists() != swept


def test_temporary_files_and_scratch_folders_carry_their_owners_pid(tmp_path, monkeypatch):
    with scratch(tmp_path) as folder:
        assert folder.name.startswith(f"sma-night-{os.getpid()}-")
        assert Path(tempfile.mkdtemp()).parent == folder, (
            "the process's temp dir is the scratch folder"
        )
    assert not folder.exists() and tempfile.gettempdir() != str(folder)
    # The name a killed write would leave behind: the one renamed into place.
    renamed, replace = [], os.replace
    monkeypatch.setattr(
        os, "replace", lambda src, dst: (renamed.append(Path(src).name), replace(src, dst))
    )
    target = tmp_path / "out" / "page.html"
    write_atomically(target, b"whole")
    _files.write_bytes(str(tmp_path / "exchange" / "trades.parquet"), b"whole")
    assert [n.split("-")[:2] for n in renamed] == [[".tmp", str(os.getpid())]] * 2


def test_a_killed_validations_staging_folder_is_swept_in_the_temp_dir_and_in_the_staging_dir(
    tmp_path,
):
    """Issue 16, point 7: staging folders carry their owner's pid (``sma-staging-<pid>-``) wherever
    ``[validation] staging_dir`` puts them, so the next night removes a dead run's."""
    from pipelines._leftovers import staging_prefix

    dead, temp, staging = _dead_pid(), tmp_path / "tmp", tmp_path / "staging"
    folders = {
        temp / f"sma-staging-{dead}-a1": True,
        staging / f"sma-staging-{dead}-b2": True,
        staging / f"{staging_prefix()}c3": False,
    }  # this live process's own
    for folder in folders:
        (folder / "staging.duckdb").parent.mkdir(parents=True)
        (folder / "staging.duckdb").write_bytes(b"x")
    assert sweep([], temp, staging) == sorted(p for p, swept in folders.items() if swept)
    assert {p: p.exists() for p in folders} == {p: not swept for p, swept in folders.items()}
