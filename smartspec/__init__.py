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

from typing import TYPE_CHECKING

from smartspec.lazy import lazy_exports

__version__ = "0.1.0"

#: Public name -> subpackage that defines it.
_EXPORTS = {
    "EcosystemModel": "model",
    "Scenario": "scenarios",
    "ScenarioError": "scenarios",
    "SmartSpecError": "scenarios",
    "load_scenario": "scenarios",
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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
