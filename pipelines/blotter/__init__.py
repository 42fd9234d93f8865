"""A run's blotter in its run folder: propose, approve, reject, cancel, release, show, verify.

The pure rules (aggregation, allocation, four-eyes, the audit chain, exports) are
``sma.trading``'s; this package holds the files, the lock and the order of writes. See
``pipelines.blotter._folder`` for the layout and why release happens exactly once.
"""

from pipelines.blotter._actions import (
    RerunRefused,
    TrailBroken,
    approve,
    cancel,
    export_files,
    load_users,
    propose,
    reject,
    release,
    withdraw_for_rerun,
)
from pipelines.blotter._airflow import apply_approval_answer, run_dir_for
from pipelines.blotter._folder import TrailUnreadable, home, read_blotter, read_trail
from pipelines.blotter._view import BlotterView, show, verify

__all__ = [
    "RerunRefused",
    "BlotterView",
    "TrailBroken",
    "TrailUnreadable",
    "apply_approval_answer",
    "approve",
    "cancel",
    "export_files",
    "home",
    "load_users",
    "propose",
    "read_blotter",
    "read_trail",
    "reject",
    "release",
    "run_dir_for",
    "show",
    "verify",
    "withdraw_for_rerun",
]
