"""The one base of every error the domain raises: ``except SmaError`` tells the system's own
refusals (an oversold lot, an infeasible trade list) from a bug. Causes are its subclasses, each
beside the rule that raises it."""

from __future__ import annotations


class SmaError(Exception):
    """A domain rule refused its input; subclasses say which rule and where."""
