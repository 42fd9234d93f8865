"""How the tests are laid out, so that any subset of them runs alone (issue 18)."""

from pathlib import Path

TESTS = Path(__file__).parent


def test_no_test_imports_a_conftest_by_name():
    # Every conftest.py is a module named `conftest`; which one `from conftest import` finds
    # depends on the order pytest collected the folders. Shared helpers live in modules of their
    # own (tests/rebalance/toy_shards.py), imported as `tests.<folder>.<module>`.
    offenders = [
        str(p.relative_to(TESTS))
        for p in TESTS.rglob("*.py")
        if any(
            line.lstrip().startswith(("from conftest import", "import conftest"))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []
