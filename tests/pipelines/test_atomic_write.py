"""Files leave whole or not at all, and as readable as any file the operator's umask allows
(a review page or statement written 0600 could not be opened by a PM on a shared host)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from pipelines._atomic import write_atomically


def test_a_written_file_has_its_bytes_and_no_temporary_file_is_left(tmp_path):
    target = write_atomically(tmp_path / "out" / "review.html", b"<html></html>")
    assert target.read_bytes() == b"<html></html>"
    assert [p.name for p in target.parent.iterdir()] == ["review.html"]


def _mode_under_umask(tmp_path, mask: int) -> int:
    target = tmp_path / f"statement-{mask:03o}.pdf"
    code = (
        f"import os; os.umask(0o{mask:03o}); from pipelines._atomic import write_atomically; "
        f"write_atomically({str(target)!r}, b'%PDF')"
    )
    tree = os.pathsep.join(
        p for p in (str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH")) if p
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": tree})
    return stat.S_IMODE(target.stat().st_mode)


def test_a_written_file_gets_the_mode_the_umask_gives_new_files(tmp_path):
    assert _mode_under_umask(tmp_path, 0o022) == 0o644
    assert _mode_under_umask(tmp_path, 0o077) == 0o600
