"""Named crash points, for proving that a night killed anywhere can be run again.

``SMA_CRASH_AT=<point>`` makes the process die at once (as ``kill -9`` would: no cleanup, no
flush) when it reaches that point. Tests run a night with each point, then run it again and
compare the outputs with an uninterrupted night's. ``SMA_HOLD_AT=<point>`` makes the process
stop at that point and wait to be killed, so a test can kill it exactly there (as the
out-of-memory killer would). Unset, a crash point costs two dict lookups.
"""

from __future__ import annotations

import os
import threading

CRASH_ENV = "SMA_CRASH_AT"
HOLD_ENV = "SMA_HOLD_AT"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(137)
    if os.environ.get(HOLD_ENV) == name:
        threading.Event().wait()
