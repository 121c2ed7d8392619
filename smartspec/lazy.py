"""Names a package exports but imports only on first use (PEP 562), so that importing a lower
layer (the scenario schema, the indicator registry) does not load Mesa or the model."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``.

    ``exports`` maps each public name to the submodule of ``package`` that defines it;
    ``submodules`` are submodules reachable as attributes. A name is imported once, then kept
    in the package's namespace.
    """
    namespace = sys.modules[package].__dict__
    modules = tuple(submodules)
    public = sorted([*exports, *modules])

    def __getattr__(name: str) -> Any:
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        if name in exports:
            value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*public, *namespace.get("__all__", ())})

    return __getattr__, __dir__
