"""Signed audit records: each person's record carries their Ed25519 signature.

The hash chain shows that a record was changed; it does not show who wrote it, since anyone who
can edit the log can recompute every hash. A signature by the acting login's private key, checked
against the public key the users file lists for that login, does: renaming the approver, changing
the approved content hash or rewriting a record after the fact breaks the signature, and only the
holder of the private key can make a new one. The signature is over the record's canonical bytes
(everything its hash covers, the link to the record before included), so a signed record also
vouches for the whole chain before it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

#: Signs a record's canonical bytes: the acting login's private key, held by ``pipelines``.
Signer = Callable[[bytes], bytes]


def signature_text(signer: Signer, message: bytes) -> str:
    return base64.b64encode(signer(message)).decode()


def signature_problem(record: dict[str, Any], message: bytes, public_key: str | None) -> str | None:
    """Why ``record``'s signature over ``message`` does not prove its user wrote it, or None if it
    does.

    ``public_key`` is the user's Ed25519 public key (32 raw bytes, base64) from the users file.
    """
    if public_key is None:
        return (
            f"{record['user']!r} has no public key in the users file: the record cannot be checked"
        )
    if not record.get("signature"):
        return f"the record is not signed by {record['user']!r}"
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(record["signature"]), message)
    except (InvalidSignature, ValueError):
        return f"the signature is not {record['user']!r}'s over this record (forged or altered)"
    return None
