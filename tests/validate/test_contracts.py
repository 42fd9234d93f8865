"""The contracts in ``data_contracts/`` are genuine GX suites that agree with the inbox contract,
and Great Expectations itself finds exactly the rows the night's vectorised executor finds."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from inbox_builder import AS_OF, clean_fills, clean_inbox
from test_bad_cells import CASES

from pipelines.validate import load_suite, parse_table, run_suite_with_gx, validate_frame
from pipelines.validate._cross_file import load_cross_file_rules
from pipelines.validate._suites import DATA_CONTRACTS, ContractError
from sma.inbox import FILLS, FORMULA_PREFIXES, INBOX_FILES

ALL_FILES = {**INBOX_FILES, "fills": FILLS}
FILL_CASES = [
    ("fills", 1, "quantity", "0", "positive"),
    ("fills", 2, "price", "1e13", "overflow"),
    ("fills", 1, "lot_id", "../L2", "id_pattern"),
    ("fills", 2, "side", "SHORT", "in_set"),
    ("fills", 1, "order_id", "", "not_null"),
]
PARSE_RULES = {"number_format", "finite", "date_format", "bool_format"}


def _text_table(frame: pd.DataFrame) -> pa.Table:
    return pa.table({c: pa.array([str(v) for v in frame[c]], pa.string()) for c in frame.columns})


def _typed(check) -> pd.DataFrame:
    """All rows as GX sees them: typed, with unparsed cells null."""
    columns = {}
    for column in check.spec.columns:
        values = check.values[column.name]
        if isinstance(values, np.ndarray):
            series = pd.Series(values)
            columns[column.name] = (
                series.where(~check.missing[column.name]) if values.dtype != bool else series
            )
        else:
            columns[column.name] = pd.Series(values.to_pylist(), dtype=object)
    return pd.DataFrame(columns)


def _ours(issues: pd.DataFrame) -> set[tuple[int, str, str]]:
    return {
        (int(r.row), r.column, r.rule) for r in issues.itertuples() if r.rule not in PARSE_RULES
    }


def _theirs(found: pd.DataFrame) -> set[tuple[int, str, str]]:
    return {(int(r.row), r.column, r.rule) for r in found.itertuples() if pd.notna(r.row)}


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_every_suite_loads_as_a_gx_expectation_suite(name):
    from great_expectations.core import ExpectationSuite

    suite = load_suite(name)
    gx_suite = ExpectationSuite(**suite.raw)
    assert gx_suite.name == name and len(gx_suite.expectations) == len(suite.expectations)


@pytest.mark.parametrize("name", sorted(ALL_FILES))
def test_every_suite_states_the_shape_of_its_file(name):
    """Required columns, not-null, id and symbol patterns, formula cells, enums and keys of
    ``sma.inbox`` all appear in the suite: the contract cannot silently drift from the spec."""
    spec, suite = ALL_FILES[name], load_suite(name)
    declared = {(e.rule, e.kwargs.get("column")) for e in suite.expectations}
    assert set(suite.required_columns()) == {c.name for c in spec.columns if c.required}
    for c in spec.columns:
        assert (("not_null", c.name) in declared) == (not c.nullable), c.name
        expected = {
            "id": "id_pattern",
            "symbol": "symbol_pattern",
            "text": "formula_prefix",
            "enum": "in_set",
        }
        if c.kind.value in expected:
            assert (expected[c.kind.value], c.name) in declared, c.name
        # Issue 16: free text has a length limit and no invisible characters; every date a range.
        if c.kind.value == "text":
            assert {("max_length", c.name), ("control_character", c.name)} <= declared, c.name
        if c.kind.value == "date":
            assert ("date_range", c.name) in declared, c.name
    keys = [e for e in suite.expectations if e.rule == "unique_key"]
    assert [tuple(e.kwargs.get("column_list", [e.kwargs.get("column")])) for e in keys] == (
        [spec.key] if spec.key else []
    )


def test_the_formula_rule_refuses_every_spreadsheet_formula_prefix():
    """OWASP CSV injection: a cell starting with = + - @ tab or CR is a formula."""
    regex = next(
        e.kwargs["regex"]
        for e in load_suite("securities").expectations
        if e.rule == "formula_prefix"
    )
    for prefix in FORMULA_PREFIXES:
        assert re.search(regex, prefix + "1"), repr(prefix)
    assert not re.search(regex, "Procter & Gamble (P&G) = value")


@pytest.mark.parametrize(
    "character",
    [
        "\x85",
        "\x9b",
        "\u2028",
        "\u2029",
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
    ],
)
def test_the_control_character_rule_refuses_c1_controls_bidi_overrides_and_line_separators(
    character,
):
    """Unicode TR #9 embeddings, overrides and isolates reorder what a reader sees (CVE-2021-42574);
    C1 controls and U+2028/U+2029 break a line. Python's re (GX) and RE2 (the night) both refuse
    them."""
    import pyarrow.compute as pc

    regex = next(
        e.kwargs["regex"]
        for e in load_suite("accounts").expectations
        if e.rule == "control_character"
    )
    assert re.search(regex, f"Ada{character}Lovelace")
    assert pc.match_substring_regex(pa.array([f"Ada{character}Lovelace"]), regex)[0].as_py()
    assert not re.search(regex, "Zoë Müller-Łukasiewicz, Jr. (née O'Brien) & Co.")


@pytest.mark.slow
def test_great_expectations_finds_exactly_the_rows_the_executor_finds():
    """Every suite run through GX itself agrees with the night's executor (row rules per batch,
    whole-file rules in SQL over the staged file) on the clean rows of its file plus one copy of
    a row per bad-cell case of the suite's own rules."""
    frames = {**clean_inbox(), "fills": clean_fills()}
    for name, frame in frames.items():
        spec, suite = ALL_FILES[name], load_suite(name)
        bad = frame.copy()
        for file, row, column, value, rule in CASES + FILL_CASES:
            if file == name and rule not in PARSE_RULES:
                extra = frame.iloc[[row - 1]].copy()
                extra[column] = value
                bad = pd.concat([bad, extra], ignore_index=True)
        check = parse_table(spec, _text_table(bad))
        ours = _ours(validate_frame(bad, spec, AS_OF).issues)
        theirs = _theirs(run_suite_with_gx(suite, _typed(check), {"as_of": AS_OF}))
        assert ours == theirs, name
        # The clean rows break nothing but the key their bad copies repeat.
        assert {rule for row, _, rule in ours if row <= len(frame)} <= {"unique_key"}, name
        assert any(row > len(frame) for row, _, _ in ours), name


def test_a_suite_with_an_expectation_the_executor_does_not_evaluate_is_refused(tmp_path):
    contracts = tmp_path / "data_contracts"
    shutil.copytree(DATA_CONTRACTS, contracts)
    path = contracts / "suites" / "cash.json"
    raw = json.loads(path.read_text())
    raw["expectations"].append(
        {
            "type": "expect_column_mean_to_be_between",
            "kwargs": {"column": "amount"},
            "meta": {"rule": "mean"},
        }
    )
    path.write_text(json.dumps(raw))
    with pytest.raises(ContractError, match="expect_column_mean_to_be_between"):
        load_suite("cash", contracts)


def test_every_rule_is_documented_in_the_contracts_readme():
    readme = (DATA_CONTRACTS / "README.md").read_text()
    rules = {e.rule for name in ALL_FILES for e in load_suite(name).expectations}
    rules |= {r.name for r in load_cross_file_rules()}
    rules |= PARSE_RULES | {
        "inbox_folder",
        "required_file",
        "ambiguous_file",
        "not_a_regular_file",
        "file_size",
        "unreadable",
        "duplicate_column",
    }
    missing = sorted(r for r in rules if f"`{r}`" not in readme)
    assert not missing


def test_cross_file_rules_run_quarantine_before_hold():
    actions = [r.action for r in load_cross_file_rules()]
    assert actions == sorted(actions, key=("quarantine", "hold").index) and set(actions) == {
        "quarantine",
        "hold",
    }
