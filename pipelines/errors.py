"""The one base of every error the pipelines raise, so a caller (the CLI, a DAG task) can tell the
system's own refusals from a bug: ``except PipelineError``. Causes are its subclasses, each beside
the code that raises it (an inbox file that cannot be read, a blotter released twice, ...)."""

from __future__ import annotations


class PipelineError(Exception):
    """A step of a night (or a command) refused its input or state; subclasses say why."""
