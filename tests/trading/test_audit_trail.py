"""The audit trail is append-only and hash-chained, so tampering is detectable (issue 5)."""

from __future__ import annotations

import copy

from sma.trading import Action, State, current, seal, verify_trail
from sma.trading._audit import GENESIS

H = "ab" * 32


def history() -> list[dict]:
    """PROPOSED by the night, APPROVED by pm, RELEASED by trader."""
    trail: list[dict] = []
    for action, state, user in (
        (Action.PROPOSE, State.PROPOSED, "sma-night"),
        (Action.APPROVE, State.APPROVED, "pm"),
        (Action.RELEASE, State.RELEASED, "trader"),
    ):
        trail.append(
            seal(
                trail,
                run_id="R1",
                action=action,
                state=state,
                user=user,
                at=f"2026-11-26T0{len(trail)}:00:00.000+00:00",
                content_sha256=H,
            )
        )
    return trail


def test_an_untouched_trail_verifies_and_tells_state_and_approver():
    trail = history()
    assert verify_trail(trail) == []
    assert trail[0]["prev"] == GENESIS and trail[1]["prev"] == trail[0]["hash"]
    state, approver, _ = current(trail)
    assert (state, approver) == (State.RELEASED, "pm")


def test_changing_who_approved_is_detected_on_that_line():
    trail = history()
    trail[1]["user"] = "trader"
    problems = verify_trail(trail)
    assert [p.line for p in problems if "altered" in p.why] == [2]


def test_resealing_an_altered_record_breaks_the_link_of_the_next():
    """Chaining: a forger who recomputes the altered record's own hash still breaks line 3."""
    trail = history()
    forged = seal(
        trail[:1],
        run_id="R1",
        action=Action.APPROVE,
        state=State.APPROVED,
        user="mallory",
        at=trail[1]["at"],
        content_sha256=H,
    )
    trail[1] = forged
    assert any(p.line == 3 and "chain" in p.why for p in verify_trail(trail))


def test_removing_a_record_in_the_middle_is_detected():
    trail = history()
    del trail[1]
    assert verify_trail(trail)


def test_a_well_sealed_history_where_the_approver_released_is_still_refused():
    """Four-eyes is replayed on verification, not only enforced at the time."""
    trail: list[dict] = []
    for action, state, user in (
        (Action.PROPOSE, State.PROPOSED, "sma-night"),
        (Action.APPROVE, State.APPROVED, "pm"),
        (Action.RELEASE, State.RELEASED, "pm"),
    ):
        trail.append(
            seal(
                trail, run_id="R1", action=action, state=state, user=user, at="t", content_sha256=H
            )
        )
    assert any("four-eyes" in p.why for p in verify_trail(trail))


def test_a_second_release_in_a_well_sealed_history_is_refused():
    trail = history()
    trail.append(
        seal(
            trail,
            run_id="R1",
            action=Action.RELEASE,
            state=State.RELEASED,
            user="trader2",
            at="t",
            content_sha256=H,
        )
    )
    assert [p.line for p in verify_trail(trail)] == [4]


def test_sealing_does_not_change_the_records_before():
    trail = history()
    before = copy.deepcopy(trail)
    seal(
        trail,
        run_id="R1",
        action=Action.CANCEL,
        state=State.CANCELLED,
        user="pm",
        at="t",
        content_sha256=H,
    )
    assert trail == before
