"""The night names the worker that died first (issue 16: "which shard, how it died"). The pool's
own thread reaps its processes on the same objects, so a join can read no exit code for a moment
(multiprocessing's poll meets ECHILD): the exit codes are read again until they are set."""

from __future__ import annotations

import signal

from pipelines.night._workers import ended_abnormally


class _Reaped:
    """A process the pool's thread is reaping: no exit code for the first ``late`` reads."""

    def __init__(self, pid: int, code: int, late: int):
        self.pid, self._code, self._late = pid, code, late

    def join(self, timeout: float | None = None) -> None:
        pass

    @property
    def exitcode(self) -> int | None:
        if self._late:
            self._late -= 1
            return None
        return self._code


def test_a_worker_whose_exit_code_is_recorded_late_is_still_found():
    killed = _Reaped(11, -signal.SIGKILL, late=3)
    ended_by_the_pool = _Reaped(12, -signal.SIGTERM, late=0)
    assert ended_abnormally([killed, ended_by_the_pool]) == {11: -9, 12: -15}


def test_workers_that_ended_well_or_never_ended_are_not_dead():
    assert ended_abnormally([_Reaped(1, 0, late=0), _Reaped(2, 0, late=10**9)], wait=0.1) == {}
