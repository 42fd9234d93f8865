"""Files leave the system whole or not at all: written under a temporary name, then renamed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipelines._leftovers import tmp_prefix


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once, at import (single-threaded): ``mkstemp`` creates files readable by their owner only,
#: so a written file is given the mode any newly created file gets (0o666 less the umask): a
#: review page or statement is as readable as the blotter files beside it, as operations set it.
_FILE_MODE = 0o666 & ~_umask()


def write_atomically(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` (its folder created if missing) all at once; return ``target``.

    The bytes go to a temporary file in the same folder, are flushed to disk, and the file is
    renamed over ``target``; a process killed at any point leaves the old file or the new one,
    and at most a ``.tmp-<pid>-*`` file that the next night sweeps (``pipelines._leftovers``).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=tmp_prefix(), suffix="-" + target.name)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
