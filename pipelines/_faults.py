"""Named crash points, for proving that a night killed anywhere can be run again.

``SMA_CRASH_AT=<point>`` makes the process die at once (as ``kill -9`` would: no cleanup, no
flush) when it reaches that point. Tests run a night with each point, then run it again and
compare the outputs with an uninterrupted night's. Unset, a crash point costs one dict lookup.
"""

from __future__ import annotations

import os

CRASH_ENV = "SMA_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(137)
