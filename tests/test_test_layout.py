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


def test_no_two_test_files_share_a_name():
    # Test folders are not packages: pytest imports each test file by its bare name, so two
    # tests/<a>/test_x.py and tests/<b>/test_x.py cannot both be collected in one run ("import
    # file mismatch"), though each folder passes alone.
    names: dict[str, list[str]] = {}
    for p in TESTS.rglob("test_*.py"):
        names.setdefault(p.name, []).append(str(p.relative_to(TESTS)))
    assert {n: ps for n, ps in names.items() if len(ps) > 1} == {}
