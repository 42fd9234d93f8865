"""Who is acting: the authenticated OS login of the process, never a name typed on the command line,
and that login's signing key.

The night acts as the login it runs as too: its service account (role NIGHT in the users file)
signs the blotters it proposes and the answers Airflow's approval step relays.

The login is the key of the users file (``[blotter] users_file``), which maps it to roles. In
Airflow the acting user is the authenticated user who answered the approval step, which Airflow
reports itself (``responded_by_user``); see ``pipelines.blotter.apply_approval_answer``.
"""

from __future__ import annotations

import base64
import os
import pwd
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pipelines.errors import PipelineError
from sma.trading import Signer


class NoSigningKey(PipelineError):
    """The acting login has no readable private key where the settings say it is kept."""


def os_login() -> str:
    """The login name of the process's effective user (what ``id -un`` prints).

    The effective uid, not ``$USER`` or ``$LOGNAME``: those are environment variables the caller
    sets.
    """
    return pwd.getpwuid(os.geteuid()).pw_name


def key_path(keys_dir: Path, login: str) -> Path:
    return Path(keys_dir).expanduser() / f"{login}.ed25519"


def signer_of(keys_dir: Path, login: str) -> Signer:
    """The login's signature: its private key from ``<keys_dir>/<login>.ed25519`` (PEM, PKCS#8)."""
    return _private_key(keys_dir, login).sign


def signer_if_any(keys_dir: Path, login: str) -> Signer | None:
    """The login's signature, or None if it has no key: for the night's service login, whose
    unsigned proposal every PM's signed action then refuses (so a missing key stops trading, not the
    night)."""
    try:
        return signer_of(keys_dir, login)
    except NoSigningKey:
        return None


def public_key_of(keys_dir: Path, login: str) -> str:
    """The users file's ``public_key`` of the login's existing private key."""
    return public_key_text(_private_key(keys_dir, login))


def _private_key(keys_dir: Path, login: str) -> Ed25519PrivateKey:
    path = key_path(keys_dir, login)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise NoSigningKey(
            f"no signing key for login {login!r} at {path} ({e.__class__.__name__}): "
            "run `sma blotter keygen` as that login and add its public key to the users file"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise NoSigningKey(f"{path} is not an Ed25519 key")
    return key


def make_key(keys_dir: Path, login: str) -> str:
    """Write a new private key for ``login`` (readable by its owner only); return its public key
    (base64)."""
    path = key_path(keys_dir, login)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return public_key_text(key)


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The users file's ``public_key``: the 32 raw bytes, base64."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()
