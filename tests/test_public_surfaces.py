"""Public surfaces trimmed to what is used outside (issue 18): a package's ``__all__`` names only
what code outside the package imports (the other ``sma``/``pipelines`` packages, ``dags/``,
``benchmarks/``, ``scripts/``). Its own tests import the rest from its private modules, so a name
exported for them alone does not pass as public.

The packages not listed keep, besides, the types their public functions take or return (sma.book,
sma.ledger, sma.market, sma.rebalance, pipelines.blotter, pipelines.store) or have an owner of
their own this session (sma.uma)."""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
OUTSIDE_CODE = ("sma", "pipelines", "dags", "benchmarks", "scripts")
TRIMMED = [
    "sma.accounts",
    "sma.compliance",
    "sma.inbox",
    "sma.reporting",
    "sma.risk",
    "sma.simulate",
    "sma.trading",
    "pipelines.night",
    "pipelines.validate",
]


def names_imported_from(package: str, tree: ast.Module) -> set[str]:
    """Names a module takes from ``package``: ``from package import x`` or ``alias.x`` after
    ``import package as alias`` or ``from parent import package``."""
    names, aliases = set(), set()
    parent, _, leaf = package.rpartition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == package:
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == parent:
            aliases |= {a.asname or a.name for a in node.names if a.name == leaf}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == package}
    if aliases:  # (most modules import the package by name alone: no second walk)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and ast.unparse(node.value) in aliases:
                names.add(node.attr)
    return names


def test_an_import_by_name_or_through_an_alias_counts_as_use():
    source = "from sma.trading import seal\nimport sma.risk as r\nfrom sma import simulate\n"
    source += "r.RiskModel\nsimulate.simulate()\n"
    tree = ast.parse(source)
    assert names_imported_from("sma.trading", tree) == {"seal"}
    assert names_imported_from("sma.risk", tree) == {"RiskModel"}
    assert names_imported_from("sma.simulate", tree) == {"simulate"}


@functools.cache
def outside_modules() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text()))
        for folder in OUTSIDE_CODE
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]


@pytest.mark.parametrize("package", TRIMMED)
def test_a_package_exports_only_names_code_outside_it_imports(package):
    home = ROOT / package.replace(".", "/")
    used: set[str] = set()
    for path, tree in outside_modules():
        if home not in path.parents:
            used |= names_imported_from(package, tree)
    exported = importlib.import_module(package).__all__
    assert [name for name in exported if name not in used] == []
