"""Every class and function a package of ``sma`` exports (its ``__all__``) says what it is: the
domain's public names live in private ``_module.py`` files, where ruff's D rules do not look."""

import importlib
import inspect
import pkgutil

import sma


def _exported():
    for info in pkgutil.walk_packages(sma.__path__, "sma."):
        if info.ispkg:
            package = importlib.import_module(info.name)
            for name in getattr(package, "__all__", []):
                obj = getattr(package, name)
                if inspect.isclass(obj) or inspect.isfunction(obj):
                    yield f"{info.name}.{name}", obj


def test_every_exported_class_and_function_of_sma_has_a_docstring():
    undocumented = {name for name, obj in _exported() if not (obj.__doc__ or "").strip()}
    assert undocumented == set()
