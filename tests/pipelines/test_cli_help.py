"""``sma --help`` as an operator reads it: each command's summary on one line when the terminal is
wide enough, whatever line breaks its docstring has in the source; settings sections such as
``[blotter]`` and placeholders such as ``<date>`` printed as written (rich markup dropped
``[blotter]``, and markdown drops ``<date>`` unless it is code)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipelines import cli


def help_of(*command: str) -> str:
    if not cli.app.registered_commands:
        cli._register()  # as ``sma`` (``pipelines.cli.main``) does before it parses
    done = CliRunner().invoke(cli.app, [*command, "--help"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    return done.output


def test_a_commands_summary_is_one_line_in_the_list_of_commands():
    lines = help_of("blotter").splitlines()
    release = next(line for line in lines if "releases the approved blotter" in line)
    assert (
        "A trader (the login running this) who is not the approver releases the approved blotter, "
        "exactly once." in release
    )
    assert any(
        "Run the night: validate and load, prepare, screen and decide, check, propose the "
        "blotter." in line
        for line in help_of().splitlines()
    )


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (("blotter", "keygen"), "kept in settings [blotter] keys_dir"),
        (("simulate",), "the firm's [engine] and [risk] settings"),
        (("nightly",), "folder holding <YYYY-MM-DD>/<file>.csv|parquet"),
        (("validate",), "the night's files are in DIR/<date>/."),
        (("firm",), "(default: <runs dir>/firm-<date>.html)"),
        (("statements",), "(default: <runs.dir>/../statements/<period>)"),
        (("book", "generate"), "files go to INBOX/<date>/."),
    ],
)
def test_settings_sections_and_placeholders_print_as_written(command, words):
    assert words in help_of(*command)


def _every_command() -> list[tuple[str, ...]]:
    """Every command and subcommand of ``sma``, as the words that name it."""
    import typer

    if not cli.app.registered_commands:
        cli._register()
    found: list[tuple[str, ...]] = []

    def walk(command, path: tuple[str, ...]) -> None:
        found.append(path)
        # a group (typer vendors its own click: not click.Group)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(cli.app), ())
    return found


@pytest.mark.parametrize("command", _every_command(), ids=lambda c: " ".join(c) or "sma")
def test_no_option_name_or_default_is_cut_in_an_80_column_terminal(command):
    """An operator's terminal is often 80 columns: rich cuts what does not fit a column with an
    ellipsis, which hid ``sma simulate``'s option names (``--accounts-per-pr…``)."""
    done = CliRunner().invoke(cli.app, [*command, "--help"], env={"COLUMNS": "80"})
    assert done.exit_code == 0, done.output
    cut = [line for line in done.output.splitlines() if "…" in line]
    assert not cut, "\n".join(cut)
