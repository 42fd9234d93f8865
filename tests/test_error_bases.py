"""One error base per layer (issue 18; STYLE.md "Errors are specific types"): every exception
class defined in ``sma/`` derives from ``sma.errors.SmaError`` and every one in ``pipelines/``
from ``pipelines.errors.PipelineError``, so a caller can tell the system's own refusals from a
bug with one ``except``. Causes stay subclasses with their own names (a ``ValueError`` kind keeps
that base too, for callers that catch the builtin)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pipelines
import sma
from pipelines.errors import PipelineError
from sma.errors import SmaError


def _exception_classes(package) -> list[type]:
    found = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith(".__main__"):  # the command line itself: running it is not importing
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


@pytest.mark.parametrize(("package", "base"), [(sma, SmaError), (pipelines, PipelineError)])
def test_every_exception_class_derives_from_its_layers_base(package, base):
    classes = _exception_classes(package)
    assert base in classes  # the walk does find the layer's classes
    assert [f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, base)] == []
