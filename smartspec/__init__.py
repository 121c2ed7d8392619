"""SmartSpec: an agent-based simulator of regional innovation ecosystems for S3 policy.

Public API::

    from smartspec import EcosystemModel, load_scenario
    model = EcosystemModel(scenario=load_scenario("emerging"), rng=42)
    model.run_for(20)
    model.indicators()

Names are imported on first use, so ``import smartspec.scenarios`` (or any lower layer) does
not load Mesa and the model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS = {
    "EcosystemModel": "smartspec.model",
    "Scenario": "smartspec.scenarios",
    "ScenarioError": "smartspec.scenarios",
    "SmartSpecError": "smartspec.scenarios",
    "load_scenario": "smartspec.scenarios",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ imports them
    from smartspec.model import EcosystemModel  # noqa: F401
    from smartspec.scenarios import (  # noqa: F401
        Scenario,
        ScenarioError,
        SmartSpecError,
        load_scenario,
    )


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'smartspec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
