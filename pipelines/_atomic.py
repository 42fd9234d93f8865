"""Files leave the system whole or not at all: written under a temporary name, then renamed.

The one home of that rule. :func:`write_atomically` writes bytes in hand;
:func:`writing_atomically` hands a temporary path to a writer that streams (Arrow's CSV and
Parquet writers) and puts it in place when the block ends; :func:`put_in_place` is the last step
of both, for writers that keep their own temporary files until a commit point (the blotter);
:func:`replacing_uri` does the same through fsspec for the shard exchange, which may be an object
store. Temporary names start ``.tmp-<pid>-`` so the next night sweeps what a killed process left
(``pipelines._leftovers``).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fsspec

from pipelines._leftovers import tmp_prefix


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once, at import (single-threaded): ``mkstemp`` creates files readable by their owner only,
#: so a written file is given the mode any newly created file gets (0o666 less the umask): a
#: review page or statement is as readable as the blotter files beside it, as operations set it.
_FILE_MODE = 0o666 & ~_umask()


def put_in_place(tmp: Path, target: Path) -> Path:
    """Flush the finished file ``tmp`` to disk and rename it over ``target`` (same folder)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    return Path(target)


@contextmanager
def writing_atomically(target: Path) -> Iterator[Path]:
    """A temporary file beside ``target`` (its folder created if missing) for the block to write;
    renamed over ``target`` when the block ends, removed if it raises.

    A process killed at any point leaves the old file or the new one, and at most a
    ``.tmp-<pid>-*`` file that the next night sweeps.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=tmp_prefix(), suffix="-" + target.name)
    tmp = Path(name)
    try:
        os.fchmod(fd, _FILE_MODE)
        os.close(fd)
        yield tmp
        put_in_place(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomically(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` (its folder created if missing) all at once; return it."""
    with writing_atomically(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


@contextmanager
def replacing_uri(uri: str) -> Iterator[tuple[fsspec.AbstractFileSystem, str]]:
    """:func:`writing_atomically` for a URI (a local folder or an object store): the file system
    and a temporary name beside ``uri`` to write; renamed to ``uri`` on success, removed on
    failure."""
    fs, path = fsspec.core.url_to_fs(uri)
    parent = path.rsplit("/", 1)[0]
    fs.makedirs(parent, exist_ok=True)
    tmp = f"{parent}/{tmp_prefix()}{uuid.uuid4().hex}-{path.rsplit('/', 1)[1]}"
    try:
        yield fs, tmp
        if isinstance(fs, fsspec.implementations.local.LocalFileSystem):
            os.replace(tmp, path)
        else:
            fs.mv(tmp, path)
    except BaseException:
        if fs.exists(tmp):
            fs.rm(tmp)
        raise
