"""The ``sma`` command. Each command group lives in its own module and registers itself here.

Commands import their pipelines lazily so ``sma --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import typer

app = typer.Typer(
    name="sma",
    help="SMA Nightly: manager-traded separately managed accounts, run every weeknight.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help as written: "[blotter] keys_dir" is a settings section, not rich markup to strip, and
    # a docstring's first paragraph is one line in the command list, however it wraps in the source.
    rich_markup_mode="markdown",
)


def _register() -> None:
    from pipelines.cli import (
        _blotter,
        _book,
        _firm,
        _ledger,
        _nightly,
        _propose,
        _review,
        _statements,
        _status,
        _validate,
    )

    modules = [
        _book,
        _validate,
        _nightly,
        _status,
        _review,
        _firm,
        _blotter,
        _statements,
        _ledger,
        _propose,
    ]
    try:
        from pipelines.cli import _simulate

        modules.append(_simulate)
    except ImportError as missing:
        if missing.name != "pipelines.cli._simulate":
            raise
    for module in modules:
        module.register(app)


def main() -> None:
    _register()
    try:
        app()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except Exception as err:
        # Commands read settings lazily (``sma --help`` stays fast), so the error type is looked up
        # only once settings were read: a bad key is reported with its rule, never as a traceback.
        settings = sys.modules.get("pipelines.settings")
        if settings is None or not isinstance(err, settings.SettingsInvalid):
            raise
        typer.echo(str(err), err=True)
        code = 2
    # Every file is written and renamed into place and every store transaction committed by now.
    # Leave without the interpreter's teardown: DuckDB's native threads can abort the process
    # while Python finalises (duckdb/duckdb#13904), turning a finished night into exit status -6.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
