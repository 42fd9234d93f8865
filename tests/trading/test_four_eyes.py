"""Who may act on a blotter, from which state (issue 5: four-eyes approval, release exactly once).

Source of the rules: PRODUCT.md step 7 ("APPROVED by a PM, RELEASED by a trader, never the
approver") and the segregation of duties between portfolio management and trading.
"""

from __future__ import annotations

import pytest

from sma.trading import Action, State, Users, authorize
from sma.trading._approval import (
    AlreadyReleased,
    FourEyesViolation,
    NotPermitted,
    Role,
    UnknownUser,
    WrongState,
)

USERS = Users(
    {
        "pm": frozenset({Role.PM}),
        "trader": frozenset({Role.TRADER}),
        "ops": frozenset({Role.OPERATIONS}),
        "both": frozenset({Role.PM, Role.TRADER}),
        "night": frozenset({Role.NIGHT}),
        "nobody": frozenset(),
        "all": frozenset(Role),
    }
)
OK = "ok"
#: The state each action starts from in the role matrix, and who approved (for a release).
START = {
    Action.PROPOSE: None,
    Action.APPROVE: State.PROPOSED,
    Action.REJECT: State.PROPOSED,
    Action.CANCEL: State.APPROVED,
    Action.RELEASE: State.APPROVED,
    Action.FILLS: State.RELEASED,
}

# fmt: off
ROLE_MATRIX = {
    #  user        PROPOSE       APPROVE       REJECT        CANCEL        RELEASE       FILLS
    "pm":       (NotPermitted, OK,           OK,           OK,           NotPermitted, NotPermitted),
    "trader":   (NotPermitted, NotPermitted, NotPermitted, OK,           OK,           OK),
    "ops":      (NotPermitted, NotPermitted, NotPermitted, NotPermitted, NotPermitted, OK),
    "both":     (NotPermitted, OK,           OK,           OK,           OK,           OK),
    "night":    (OK,           NotPermitted, NotPermitted, OK,           NotPermitted, NotPermitted),
    "nobody":   (NotPermitted, NotPermitted, NotPermitted, NotPermitted, NotPermitted, NotPermitted),
    "stranger": (UnknownUser,  UnknownUser,  UnknownUser,  UnknownUser,  UnknownUser,  UnknownUser),
}
# fmt: on
ACTIONS = (
    Action.PROPOSE,
    Action.APPROVE,
    Action.REJECT,
    Action.CANCEL,
    Action.RELEASE,
    Action.FILLS,
)


@pytest.mark.parametrize(
    ("user", "action", "expected"),
    [(u, a, row[i]) for u, row in ROLE_MATRIX.items() for i, a in enumerate(ACTIONS)],
)
def test_role_action_matrix_cell(user, action, expected):
    """Only the night's service login proposes, only a PM approves or rejects, only a trader
    releases, PM, trader or the night (replacing its proposal) may cancel, operations or a trader
    book fills; unknown users and users without the role are refused (issue 5, four-eyes; issue
    14)."""
    state = START[action]
    if expected is OK:
        assert authorize(action, user, USERS, state, approver="another-pm") in State
    else:
        with pytest.raises(expected):
            authorize(action, user, USERS, state, approver="another-pm")


def test_the_approver_cannot_release_even_holding_the_trader_role():
    """Four-eyes: the releaser is never the approver."""
    with pytest.raises(FourEyesViolation):
        authorize(Action.RELEASE, "both", USERS, State.APPROVED, approver="both")


def test_a_trader_who_is_not_the_approver_releases():
    assert (
        authorize(Action.RELEASE, "trader", USERS, State.APPROVED, approver="pm") == State.RELEASED
    )


S = State
# fmt: off
STATE_MATRIX = {
    #  from         PROPOSE      APPROVE      REJECT       CANCEL       RELEASE      FILLS
    None:        (S.PROPOSED,  WrongState,  WrongState,  WrongState,  WrongState,  WrongState),
    S.PROPOSED:  (S.PROPOSED,  S.APPROVED,  S.REJECTED,  S.CANCELLED, WrongState,  WrongState),
    S.APPROVED:  (WrongState,  WrongState,  WrongState,  S.CANCELLED, S.RELEASED,  WrongState),
    S.RELEASED:  (AlreadyReleased, AlreadyReleased, AlreadyReleased, AlreadyReleased, AlreadyReleased, S.RELEASED),
    S.REJECTED:  (S.PROPOSED,  WrongState,  WrongState,  WrongState,  WrongState,  WrongState),
    S.CANCELLED: (S.PROPOSED,  WrongState,  WrongState,  WrongState,  WrongState,  WrongState),
}
# fmt: on


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [(s, a, row[i]) for s, row in STATE_MATRIX.items() for i, a in enumerate(Action)],
)
def test_state_action_matrix_cell(state, action, expected):
    """The state machine of issue 5: PROPOSED -> APPROVED -> RELEASED, or REJECTED / CANCELLED;
    a released blotter can never be changed or released again; only its fills are recorded after
    it."""
    if isinstance(expected, State):
        assert authorize(action, "all", USERS, state, approver="pm") == expected
    else:
        with pytest.raises(expected):
            authorize(action, "all", USERS, state, approver="pm")


def test_roles_are_read_from_toml_tables():
    users = Users.from_toml(
        {"users": {"alice": {"roles": ["PM"]}, "tom": {"roles": ["TRADER", "OPERATIONS"]}}}
    )
    assert users.roles == {"alice": {Role.PM}, "tom": {Role.TRADER, Role.OPERATIONS}}


def test_an_unknown_role_in_the_roles_source_is_an_error():
    with pytest.raises(ValueError):
        Users.from_toml({"users": {"alice": {"roles": ["CEO"]}}})
