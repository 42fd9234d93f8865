"""Who may do what to a blotter, and when: the state machine with four-eyes.

::

    PROPOSED --approve (PM)--> APPROVED --release (TRADER, not the approver)--> RELEASED
    PROPOSED --reject (PM)--> REJECTED
    PROPOSED | APPROVED --cancel (PM, TRADER, or the night replacing its proposal)--> CANCELLED
    (none) | PROPOSED | REJECTED | CANCELLED --propose (the night)--> PROPOSED
    RELEASED --fills (OPERATIONS or TRADER books the broker's executions)--> RELEASED

RELEASED is final: nothing changes a released blotter, nothing releases it again; the fills
booked against it are recorded after it. The rule that
the releaser is never the approver is the four-eyes principle of trade release (segregation of
duties between portfolio management and trading); Airflow's approval step does not enforce it,
so it lives here and the project's audit log is the authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sma.errors import SmaError


class State(StrEnum):
    """Where a blotter is in its approval: proposed, approved, released, and the ends."""

    PROPOSED = "PROPOSED"
    APPROVED = "APPROVED"
    RELEASED = "RELEASED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class Action(StrEnum):
    """What is done to a blotter (by the night or a login), as its trail records it."""

    PROPOSE = "PROPOSE"  # the night writes (or rewrites) the blotter
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    CANCEL = "CANCEL"
    RELEASE = "RELEASE"
    FILLS = "FILLS"  # executions booked into the store against the released blotter


class Role(StrEnum):
    """Who may do what to a blotter (four eyes: the PM approves, the trader releases)."""

    PM = "PM"  # portfolio manager: approves or rejects
    TRADER = "TRADER"  # releases to the broker
    OPERATIONS = "OPERATIONS"  # looks, and books the broker's fills; never decides
    # The login the night runs as (a service account): proposes blotters, cancels its own proposal
    # before a forced rerun replaces it, and relays the answers Airflow authenticated.
    NIGHT = "NIGHT"


@dataclass(frozen=True)
class Transition:
    roles: frozenset[Role]
    from_states: frozenset[State | None]
    to_state: State


TRANSITIONS: dict[Action, Transition] = {
    Action.PROPOSE: Transition(
        frozenset({Role.NIGHT}),
        frozenset({None, State.PROPOSED, State.REJECTED, State.CANCELLED}),
        State.PROPOSED,
    ),
    Action.APPROVE: Transition(frozenset({Role.PM}), frozenset({State.PROPOSED}), State.APPROVED),
    Action.REJECT: Transition(frozenset({Role.PM}), frozenset({State.PROPOSED}), State.REJECTED),
    Action.CANCEL: Transition(
        frozenset({Role.PM, Role.TRADER, Role.NIGHT}),
        frozenset({State.PROPOSED, State.APPROVED}),
        State.CANCELLED,
    ),
    Action.RELEASE: Transition(
        frozenset({Role.TRADER}), frozenset({State.APPROVED}), State.RELEASED
    ),
    Action.FILLS: Transition(
        frozenset({Role.OPERATIONS, Role.TRADER}), frozenset({State.RELEASED}), State.RELEASED
    ),
}


class BlotterRefused(SmaError):
    """A blotter action was refused; ``run``, ``user`` and ``action`` say where, the message why."""

    def __init__(self, run: str, user: str, action: str, why: str) -> None:
        super().__init__(f"run {run}: {action} by {user!r} refused: {why}")
        self.run, self.user, self.action, self.why = run, user, action, why


class UnknownUser(BlotterRefused):
    """The user is not in the roles source."""


class NotPermitted(BlotterRefused):
    """The user's roles do not allow the action."""


class FourEyesViolation(BlotterRefused):
    """The trader releasing is the PM who approved."""


class WrongState(BlotterRefused):
    """The action is not allowed from the blotter's current state."""


class AlreadyReleased(WrongState):
    """The blotter was released before; it is never changed or released again."""


class ContentChanged(BlotterRefused):
    """The blotter's content no longer has the hash that was approved."""


@dataclass(frozen=True)
class Users:
    """The roles source: login -> roles. Parsed from the users file (``config/users.toml``)::

        [users.alice]      # the OS login (or Airflow user) who acts
        roles = ["PM"]
        public_key = "..." # Ed25519, 32 raw bytes in base64: checks alice's signed audit records

    Keys are authenticated logins, never names a caller types: the edge (``pipelines``) says who
    is acting, this says what that login may do.
    """

    roles: Mapping[str, frozenset[Role]]
    public_keys: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, data: Mapping) -> Users:
        users = data.get("users", {})
        return cls(
            {
                name: frozenset(Role(r) for r in spec.get("roles", ()))
                for name, spec in users.items()
            },
            {name: spec["public_key"] for name, spec in users.items() if spec.get("public_key")},
        )

    @classmethod
    def anyone(cls, user: str) -> Users:
        """A roles source in which ``user`` holds every role: judges a history's shape only."""
        return cls({user: frozenset(Role)})

    def of(self, user: str, run: str, action: str) -> frozenset[Role]:
        if user not in self.roles:
            raise UnknownUser(run, user, action, "not in the roles source")
        return self.roles[user]


def require_role(action: Action, user: str, users: Users, run: str = "-") -> None:
    """Refuse unless ``user`` is known and holds a role ``action`` needs (``UnknownUser``,
    ``NotPermitted``)."""
    rule = TRANSITIONS[action]
    roles = users.of(user, run, action)
    if not roles & rule.roles:
        held = ",".join(sorted(roles)) or "no role"
        raise NotPermitted(
            run, user, action, f"needs {' or '.join(sorted(rule.roles))}, user has {held}"
        )


def authorize(
    action: Action,
    user: str,
    users: Users,
    state: State | None,
    approver: str | None,
    run: str = "-",
) -> State:
    """The state after ``user`` performs ``action`` on a blotter in ``state``, or a refusal.

    ``approver`` is who approved the blotter (None if nobody has). Checks, in order: the user is
    known, holds a role the action needs, the state allows the action, and for a release the
    releaser is not the approver.
    """
    rule = TRANSITIONS[action]
    require_role(action, user, users, run)
    if state == State.RELEASED and state not in rule.from_states:
        raise AlreadyReleased(run, user, action, "already released")
    if state not in rule.from_states:
        raise WrongState(run, user, action, f"the blotter is {state or 'not proposed'}")
    if action == Action.RELEASE and user == approver:
        raise FourEyesViolation(run, user, action, "the approver may not release (four-eyes)")
    return rule.to_state
