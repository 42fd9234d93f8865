"""Property tests with heavy examples: a few in the fast group, the full count in the slow one."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import settings


def fast_and_full(fast: int, full: int) -> pytest.MarkDecorator:
    """Parametrize a test's ``examples``: ``fast`` of them run in the fast group, and ``full`` run
    with the slow group (issue 18: the fast group stays quick; the whole search still runs in
    ``make test``)."""
    return pytest.mark.parametrize(
        "examples",
        [
            pytest.param(fast, id=f"{fast}-examples"),
            pytest.param(full, id=f"{full}-examples", marks=pytest.mark.slow),
        ],
    )


def fast_few(cases: Sequence[tuple], ids: Sequence[str], fast: Collection[int]) -> list:
    """Every case as a parameter (the same ids); those at the indices in ``fast`` run in the fast
    group, the rest with the slow group: a sample of a long table in the edit-test loop, the whole
    table in ``make test`` (issue 18)."""
    return [
        pytest.param(*case, id=name, marks=() if i in fast else pytest.mark.slow)
        for i, (case, name) in enumerate(zip(cases, ids, strict=True))
    ]


def first_of_each(keys: Iterable[Hashable]) -> set[int]:
    """The indices of the first case of each key (a rule, a file): the fast group's sample keeps
    one case of each."""
    seen: dict[Hashable, int] = {}
    for i, key in enumerate(keys):
        seen.setdefault(key, i)
    return set(seen.values())


def property_examples(
    fast: int, full: int, strategies: Callable[[Callable], Callable], **kwargs: Any
) -> Callable[[Callable], Callable]:
    """A property test run with ``fast`` examples in the fast group and ``full`` with the slow
    group (``fast_and_full``): ``strategies`` is its ``given(...)``, applied afresh for each count
    (hypothesis refuses a second ``settings`` on one test); ``kwargs`` are more settings. The
    ``full`` run is not traced by coverage (``coverage_paused``): the same test's ``fast`` examples
    are, and tracing every line of the full search made it 1.5-2x slower in ``make test``."""

    def parametrized(test: Callable) -> Callable:
        @fast_and_full(fast, full)
        def run(examples: int) -> None:
            search = settings(max_examples=examples, deadline=None, **kwargs)(strategies(test))
            if examples == full and full != fast:
                with coverage_paused():
                    search()
            else:
                search()

        run.__name__, run.__qualname__, run.__doc__ = test.__name__, test.__qualname__, test.__doc__
        run.__module__ = test.__module__
        return run

    return parametrized


@contextmanager
def coverage_paused() -> Iterator[None]:
    """Coverage does not trace this thread inside the block, when measurements are running
    (pytest-cov in ``make test``); they go on tracing after it, also if the block raises. An xdist
    worker runs two measurements, one started inside the other: each is stopped, innermost first,
    and started again in the order they were."""
    try:
        from coverage import Coverage
    except ImportError:  # the lean install has no coverage
        yield
        return
    stopped: list[Any] = []
    while (measuring := Coverage.current()) is not None and measuring not in stopped:
        measuring.stop()
        stopped.append(measuring)
    try:
        yield
    finally:
        for measuring in reversed(stopped):
            measuring.start()
