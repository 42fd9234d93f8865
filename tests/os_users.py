"""Several OS logins for end-to-end tests of who acts on a blotter.

``sma blotter`` acts as the OS login running it, so a test of four-eyes needs real logins. As
root (as CI runs) the session creates throwaway logins ``sma-test-*`` (no home, no shell) if
missing;
elsewhere such tests are skipped. The users file of a workplace maps these logins to roles.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

#: Test login -> roles in the workplace's users file.
LOGINS = {
    "sma-test-pm": ["PM"],
    "sma-test-pm2": ["PM"],
    "sma-test-trader": ["TRADER"],
    "sma-test-trader2": ["TRADER"],
    "sma-test-both": ["PM", "TRADER"],
    "sma-test-ops": ["OPERATIONS"],
}


def users_toml(public_keys: dict[str, str], logins: dict[str, list[str]] = LOGINS) -> str:
    return "".join(
        f'[users.{login}]\nroles = {roles!r}\npublic_key = "{public_keys[login]}"\n'.replace(
            "'", '"'
        )
        for login, roles in logins.items()
    )


@pytest.fixture(scope="session")
def os_users():
    """The test logins (root only). They are created when missing and left in place: each xdist
    worker runs this fixture, so a worker removing them would pull them from under the other.
    ``useradd`` exits 9 when a racing worker created the login first."""
    if os.geteuid() != 0:
        pytest.skip("acting as several OS logins needs root to create test users (CI runs as root)")
    for login in LOGINS:
        try:
            pwd.getpwnam(login)
        except KeyError:
            made = subprocess.run(
                ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", login],
                capture_output=True,
                text=True,
            )
            if made.returncode not in (0, 9):
                raise RuntimeError(f"useradd {login}: {made.stderr.strip()}") from None
    return list(LOGINS)


def shared(root: Path) -> Path:
    """Let every test login read and write under ``root`` (made by root, acted on by others)."""
    for folder, _dirs, files in os.walk(root):
        for name in (
            folder,
            *(os.path.join(folder, f) for f in files if not f.endswith(".ed25519")),
        ):
            os.chmod(name, os.stat(name).st_mode | 0o666 | (0o111 if os.path.isdir(name) else 0))
    for (
        parent
    ) in root.parents:  # pytest's tmp folders are private to root: let the logins pass through
        if os.stat(parent).st_mode & 0o011 != 0o011:
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
    return root


def write_night_users(root: Path) -> Path:
    """A users file with only the login running the tests, as the night's login and operations
    (NIGHT, OPERATIONS), its key in ``root/.config/sma``: no other OS login is needed."""
    from pipelines.identity import make_key, os_login

    logins = {os_login(): ["NIGHT", "OPERATIONS"]}
    path = root / "users.toml"
    path.write_text(
        users_toml({login: make_key(root / ".config" / "sma", login) for login in logins}, logins)
    )
    return path


def write_users(root: Path) -> Path:
    """A users file giving each test login its roles and public key, and the login running the
    tests (which runs the night and loads fills) the NIGHT and OPERATIONS roles; each login's
    private key in ``root/.config/sma`` (the workplace's ``keys_dir``; ``sma_as`` runs with
    HOME=root), owned by and readable only by that login."""
    from pipelines.identity import key_path, make_key, os_login

    keys = root / ".config" / "sma"
    logins = {**LOGINS, os_login(): ["NIGHT", "OPERATIONS"]}
    public_keys = {login: make_key(keys, login) for login in logins}
    for login in LOGINS:
        entry = pwd.getpwnam(login)
        os.chown(key_path(keys, login), entry.pw_uid, entry.pw_gid)
    path = root / "users.toml"
    path.write_text(users_toml(public_keys, logins))
    return path


#: Starts as root, loads the program, then becomes the login before any command runs, as ``su``
#: would. (The interpreter may live in root's private home, e.g. pyenv, which other logins cannot
#: read, so it cannot simply be started as them; every module a command imports is loaded first:
#: ``sma blotter show`` formats shares with ``sma.reporting``, which loads ``xml.sax``.)
_AS_LOGIN = """
import os, pwd, runpy, sys
import pipelines.blotter, pipelines.cli, pipelines.fills, pipelines.settings, sma.ledger, sma.reporting, sma.trading, typer.rich_utils
login = pwd.getpwnam(sys.argv[1])
os.setgroups([])
os.setgid(login.pw_gid)
os.setuid(login.pw_uid)
sys.argv = ["sma", *sys.argv[2:]]
runpy.run_module("pipelines", run_name="__main__")
"""


def sma_as(
    login: str, args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess:
    """``sma ARGS`` run by the OS login ``login`` (as a person at their own terminal would)."""
    home = Path(env.get("SMA_CONFIG", cwd)).parent
    env = {**env, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-c", _AS_LOGIN, login, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        umask=0o000,
    )
