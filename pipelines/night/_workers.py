"""The processes that decide shards for ``sma nightly``: they die with the night that started them.

Issue 16: after ``kill -9`` of ``sma nightly`` its pool's workers went on deciding, and a
``--force`` run started at once adopted their shards (8,656 orders instead of 18,356). Two
guards, either enough on its own on Linux:

* each worker asks the kernel for SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``);
* each worker watches its parent's pid and leaves as soon as it changes (any POSIX system).

The outputs are also fenced by the attempt token (:mod:`._run`), so a worker that outlives both
guards still writes nowhere a later attempt reads. A worker that dies (the out-of-memory killer,
``kill``) is reported as :class:`WorkerDied`: which shard, how it died, how to resume.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from multiprocessing import get_context
from pathlib import Path

from pipelines._leftovers import use_as_temp_dir
from pipelines.errors import PipelineError
from pipelines.night._decide import decide_step
from pipelines.night._run import Night
from pipelines.settings import Settings

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``.
_PR_SET_PDEATHSIG = 1
#: How often a worker checks that its parent is alive, seconds.
PARENT_CHECK_SECONDS = 0.5


class WorkerDied(PipelineError):
    """A process deciding a shard died before finishing it; the night stopped."""

    def __init__(self, night: Night, shard: int | None, how: str):
        self.shard, self.how = shard, how
        which = f"shard {shard:04d}" if shard is not None else "a shard"
        super().__init__(
            f"the worker process deciding {which} of the night of {night.as_of} died ({how}). "
            f"Shards already decided are kept. Resume with: {resume_command(night)}"
        )


def resume_command(night: Night, force: bool = False) -> str:
    """The command that resumes (or with ``force`` redoes) the night, runnable from any folder."""
    inbox = Path(night.inbox).resolve() if Path(night.inbox).exists() else night.inbox
    return f"sma nightly --inbox {inbox} --date {night.as_of}" + (" --force" if force else "")


def _die_with_parent(parent: int, scratch: str) -> None:
    """Worker initializer: die when the parent dies, and keep temporary files in its scratch."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    use_as_temp_dir(Path(scratch) / f"worker-{os.getpid()}")


def _decide_in_worker(as_of: date, inbox: str, settings_json: str, attempt: str, shard: int) -> int:
    settings = Settings.model_validate_json(settings_json)
    decide_step(Night(as_of, Path(inbox), settings, attempt), shard)
    return shard


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        why = (
            "; on Linux usually the out-of-memory killer: see `dmesg` or `journalctl -k`"
            if -exitcode == signal.SIGKILL
            else ""
        )
        return f"killed by {name}{why}"
    return f"exit status {exitcode}"


def decide_in_pool(
    night: Night, todo: list[int], workers: int, scratch: Path, advance: Callable[[], None]
) -> None:
    """Decide the shards ``todo`` in ``workers`` processes that die with this one."""
    payload = night.settings.model_dump_json()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(), str(scratch)),
    ) as pool:
        futures = [
            pool.submit(_decide_in_worker, night.as_of, str(night.inbox), payload, night.token, k)
            for k in todo
        ]
        processes = dict(pool._processes)  # kept: the pool forgets its processes once broken
        try:
            for f in futures:
                f.result()
                advance()
        except BrokenProcessPool:
            processes.update(pool._processes or {})
            dead = ended_abnormally(list(processes.values()))
            shard = _shard_of_dead(night, dead, todo)
            how = _how(
                dead[night.started_info("decide", shard)["pid"]]
                if shard is not None
                else min(dead.values(), key=lambda code: code == -signal.SIGTERM, default=None)
            )
            raise WorkerDied(night, shard, how) from None


def ended_abnormally(processes: list, wait: float = 5.0) -> dict[int, int]:
    """``{pid: exit code}`` of the pool's processes that ended other than with 0, waiting up to
    ``wait`` seconds in all for them to end.

    The pool's own thread reaps its processes too, on the same objects. A join that loses that
    race finds the process gone (``waitpid`` fails) and reads no exit code until the pool's thread
    has recorded it, so a process with no code yet is read again until it has one or the time is
    up: else the worker killed first can go missing and a sibling the pool ended is named.
    """
    deadline = time.monotonic() + wait
    for p in processes:
        p.join(timeout=max(0.0, deadline - time.monotonic()))
        while p.exitcode is None and time.monotonic() < deadline:
            time.sleep(0.02)
    return {p.pid: p.exitcode for p in processes if p.exitcode not in (0, None)}


def _shard_of_dead(night: Night, dead: dict[int, int], todo: list[int]) -> int | None:
    """The shard whose worker died first, from the shards' start markers: once one worker dies
    the pool ends the others with SIGTERM, so a worker that died otherwise is the cause."""
    unfinished = [
        (dead[pid], k)
        for k in todo
        if night.is_started("decide", k)
        and not night.is_done("decide", k)
        and (pid := night.started_info("decide", k)["pid"]) in dead
    ]
    unfinished.sort(key=lambda found: (found[0] == -signal.SIGTERM, found[1]))
    return unfinished[0][1] if unfinished else None
