"""What a killed process leaves behind, named after its owner so the next run can sweep it.

A process killed with ``kill -9`` (or by the out-of-memory killer) runs no cleanup: its
half-written ``.tmp-*`` files and its scratch folders stay. Every such name carries the owning
process id (``.tmp-<pid>-...``, ``sma-night-<pid>-...``), so a later run removes exactly the ones
whose owner is dead and never a live run's work in progress.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Temporary files written then renamed into place (``pipelines._atomic``, ``pipelines.night._files``).
TMP_FILE = re.compile(r"^\.tmp-(\d+)-")
#: A night process's scratch folder in the temp dir: everything it (and its workers) put there.
SCRATCH_PREFIX = "sma-night-"
SCRATCH_DIR = re.compile(r"^sma-night-(\d+)-")


def tmp_prefix() -> str:
    """The prefix of this process's temporary files: ``.tmp-<pid>-``."""
    return f".tmp-{os.getpid()}-"


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine). A zombie counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _owner(name: str, pattern: re.Pattern) -> int | None:
    found = pattern.match(name)
    return int(found.group(1)) if found else None


def dead_leftovers(folders: list[Path], temp_dir: Path | None = None) -> list[Path]:
    """``.tmp-<pid>-*`` files under ``folders`` and ``sma-night-<pid>-*`` scratch folders in the
    temp dir whose owning process is dead. Files of other naming schemes are not touched."""
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [p for p in folder.rglob(".tmp-*") if (pid := _owner(p.name, TMP_FILE)) and not process_alive(pid)]
    temp_dir = Path(temp_dir or tempfile.gettempdir())
    if temp_dir.is_dir():
        found += [p for p in temp_dir.glob(f"{SCRATCH_PREFIX}*")
                  if (pid := _owner(p.name, SCRATCH_DIR)) and not process_alive(pid)]
    return sorted(found)


def sweep(folders: list[Path], temp_dir: Path | None = None) -> list[Path]:
    """Remove the leftovers of dead processes (:func:`dead_leftovers`); returns what was removed."""
    gone = dead_leftovers(folders, temp_dir)
    for path in gone:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return gone


@contextmanager
def scratch(parent: Path | None = None) -> Iterator[Path]:
    """A scratch folder ``sma-night-<pid>-*`` that is this process's temp dir while it is open.

    Whatever the process creates with :mod:`tempfile` (DuckDB's partitioned book, staging
    databases) goes inside it, so a killed run leaves one folder named after its owner.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=parent))
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved
        shutil.rmtree(folder, ignore_errors=True)


def use_as_temp_dir(folder: Path) -> None:
    """Make ``folder`` this process's temp dir for good (a worker process, for its whole life)."""
    folder.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(folder)
