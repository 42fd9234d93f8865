"""Who is acting: the authenticated OS login of the process, never a name typed on the command line.

The login is the key of the users file (``[blotter] users_file``), which maps it to roles. In
Airflow the acting user is the authenticated user who answered the approval step, which Airflow
reports itself (``responded_by_user``); see ``pipelines.blotter.apply_approval_answer``.
"""

from __future__ import annotations

import os
import pwd


def os_login() -> str:
    """The login name of the process's effective user (what ``id -un`` prints).

    The effective uid, not ``$USER`` or ``$LOGNAME``: those are environment variables the caller sets.
    """
    return pwd.getpwuid(os.geteuid()).pw_name
