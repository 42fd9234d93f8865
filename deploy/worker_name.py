"""The name a Celery worker reports as its task instances' ``hostname``: ``SMA_WORKER_NAME`` when
set (two workers on one machine, deploy/up), else the machine's name, as Airflow's default."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("SMA_WORKER_NAME") or socket.getfqdn()
