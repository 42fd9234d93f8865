"""Audit records are signed by the acting login's Ed25519 key (issue 14): the hash chain shows a
record was changed, the signature shows who wrote it — a forger who re-seals every hash still
cannot sign as the PM or the trader."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sma.trading import Action, State, Users, seal, verify_trail
from sma.trading._approval import Role

H = "ab" * 32
KEYS = {login: Ed25519PrivateKey.generate() for login in ("pm", "pm2", "trader", "night", "ops")}


def public(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()


USERS = Users(
    {
        "pm": frozenset({Role.PM}),
        "pm2": frozenset({Role.PM}),
        "trader": frozenset({Role.TRADER}),
        "night": frozenset({Role.NIGHT}),
        "ops": frozenset({Role.OPERATIONS}),
    },
    {login: public(key) for login, key in KEYS.items()},
)


def history(
    approver: str = "pm",
    signer_of=lambda login: KEYS[login].sign,
    content: str = H,
    night: str = "night",
) -> list[dict]:
    """PROPOSED by the night's service login; APPROVED and RELEASED, each signed by (what claims to
    be) its login."""
    trail = [
        seal(
            [],
            run_id="R1",
            action=Action.PROPOSE,
            state=State.PROPOSED,
            user=night,
            signer=signer_of(night),
            at="2026-11-26T00:00:00.000+00:00",
            content_sha256=H,
        )
    ]
    for action, state, user in (
        (Action.APPROVE, State.APPROVED, approver),
        (Action.RELEASE, State.RELEASED, "trader"),
    ):
        trail.append(
            seal(
                trail,
                run_id="R1",
                action=action,
                state=state,
                user=user,
                signer=signer_of(user),
                at=f"2026-11-26T0{len(trail)}:00:00.000+00:00",
                content_sha256=content,
            )
        )
    return trail


def test_a_trail_signed_by_each_acting_login_verifies():
    assert verify_trail(history(), USERS, signed=True) == []


def test_an_approver_renamed_and_resealed_by_a_forger_fails_on_the_signature():
    """The forger re-seals every hash, but can only sign with the key they hold (pm's)."""
    forged = history(
        approver="pm2", signer_of=lambda login: KEYS["pm" if login == "pm2" else login].sign
    )
    assert [
        (p.line, "signature is not 'pm2'" in p.why)
        for p in verify_trail(forged, USERS, signed=True)
    ] == [(2, True)]


def test_an_approved_content_hash_changed_and_resealed_fails_on_the_signatures_it_kept():
    """The forger changes what was approved, re-seals, and keeps the PM's and trader's old
    signatures."""
    genuine = history()
    forged = history(content="cd" * 32, signer_of=lambda login: None)
    for record, kept in zip(forged, genuine):
        if "signature" in kept:
            record["signature"] = kept["signature"]
    problems = verify_trail(forged, USERS, signed=True)
    assert [p.line for p in problems] == [2, 3] and all(
        "forged or altered" in p.why for p in problems
    )


def test_an_unsigned_record_fails_when_signatures_are_required_the_nights_proposal_too():
    unsigned = history(signer_of=lambda login: None)
    assert verify_trail(unsigned, USERS) == []  # only the shape and roles
    assert [
        p.line for p in verify_trail(unsigned, USERS, signed=True) if "not signed" in p.why
    ] == [1, 2, 3]


def test_a_proposal_substituted_by_a_forger_fails_on_the_nights_signature():
    """The forger writes other trades into the blotter and a PROPOSE record for them, before the PM
    approves: they cannot sign it as the night's service login."""
    forged = history(signer_of=lambda login: KEYS["pm" if login == "night" else login].sign)
    assert [p.line for p in verify_trail(forged, USERS, signed=True)] == [1]


def test_only_a_login_holding_the_night_role_may_propose():
    problems = verify_trail(history(night="ops"), USERS, signed=True)
    assert [(p.line, "needs NIGHT" in p.why) for p in problems] == [(1, True)]


def test_a_decision_by_a_login_without_a_public_key_cannot_be_checked():
    users = Users(USERS.roles, {login: public(KEYS[login]) for login in ("trader", "night")})
    assert [
        p.line for p in verify_trail(history(), users, signed=True) if "no public key" in p.why
    ] == [2]


def airflow_history(attester: str = "night", signer: str = "night") -> list[dict]:
    """The PM answered in Airflow: the worker's login relays the answer and signs it as attester."""
    trail = history()[:1]
    trail.append(
        seal(
            trail,
            run_id="R1",
            action=Action.APPROVE,
            state=State.APPROVED,
            user="pm",
            at="2026-11-26T01:00:00.000+00:00",
            content_sha256=H,
            signer=KEYS[signer].sign,
            attested_by=attester,
        )
    )
    return trail


def test_an_answer_airflow_authenticated_is_signed_by_the_nights_login_as_its_attester():
    trail = airflow_history()
    assert trail[1]["user"] == "pm" and trail[1]["attested_by"] == "night"
    assert verify_trail(trail, USERS, signed=True) == []


def test_an_attested_answer_is_refused_if_the_attester_is_not_the_night_or_did_not_sign_it():
    by_ops = verify_trail(airflow_history(attester="ops", signer="ops"), USERS, signed=True)
    assert [(p.line, "does not hold the NIGHT role" in p.why) for p in by_ops] == [(2, True)]
    forged = verify_trail(airflow_history(signer="pm"), USERS, signed=True)
    assert [(p.line, "signature is not 'night'" in p.why) for p in forged] == [(2, True)]


def test_renaming_the_attester_breaks_the_seal():
    trail = airflow_history()
    trail[1]["attested_by"] = "pm2"
    assert any("does not match its hash" in p.why for p in verify_trail(trail, USERS, signed=True))
