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

#: Temporary files written then renamed into place (``pipelines._atomic``,
#: ``pipelines.night._files``).
TMP_FILE = re.compile(r"^\.tmp-(\d+)-")
#: A night process's scratch folder in the temp dir: everything it (and its workers) put there.
SCRATCH_PREFIX = "sma-night-"
SCRATCH_DIR = re.compile(r"^sma-night-(\d+)-")
#: A validation's staging folder (``pipelines.validate``), in the temp dir or
#: ``[validation] staging_dir``.
STAGING_PREFIX = "sma-staging-"
STAGING_DIR = re.compile(r"^sma-staging-(\d+)-")


def staging_prefix() -> str:
    """The prefix of this process's staging folders: ``sma-staging-<pid>-``."""
    return f"{STAGING_PREFIX}{os.getpid()}-"


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


def dead_leftovers(
    folders: list[Path], temp_dir: Path | None = None, staging_dir: Path | None = None
) -> list[Path]:
    """``.tmp-<pid>-*`` files under ``folders``, ``sma-night-<pid>-*`` scratch folders in the temp
    dir and ``sma-staging-<pid>-*`` folders there or in ``staging_dir``, whose owning process is
    dead. Files of other naming schemes are not touched."""
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [
                p
                for p in folder.rglob(".tmp-*")
                if (pid := _owner(p.name, TMP_FILE)) and not process_alive(pid)
            ]
    temp_dir = Path(temp_dir or tempfile.gettempdir())
    for parent, prefix, pattern in (
        (temp_dir, SCRATCH_PREFIX, SCRATCH_DIR),
        (temp_dir, STAGING_PREFIX, STAGING_DIR),
        (staging_dir, STAGING_PREFIX, STAGING_DIR),
    ):
        if parent is not None and Path(parent).is_dir():
            found += [
                p
                for p in Path(parent).glob(f"{prefix}*")
                if (pid := _owner(p.name, pattern)) and not process_alive(pid)
            ]
    return sorted(set(found))


def sweep(
    folders: list[Path], temp_dir: Path | None = None, staging_dir: Path | None = None
) -> list[Path]:
    """Remove the leftovers of dead processes (:func:`dead_leftovers`); returns what was removed."""
    gone = dead_leftovers(folders, temp_dir, staging_dir)
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
