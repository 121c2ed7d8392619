"""The SmartSpec agent-based model (Mesa): agents, knowledge space, network, instruments.

Names are imported on first use: ``import smartspec.model.indicators`` (the indicator
registry) does not load Mesa.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> submodule that defines it.
_EXPORTS = {
    "EcosystemModel": "model",
    "CitizenGroup": "citizen",
    "CitizenGroups": "citizen",
    "Firm": "firm",
    "Firms": "firm",
    "Government": "government",
    "Governments": "government",
    "University": "university",
    "Universities": "university",
    "KnowledgeSpace": "knowledge",
    "CollaborationNetwork": "network",
    "DOMAIN_COLUMNS": "indicators",
    "INDEX_COMPONENTS": "indicators",
    "INDICATOR_GROUPS": "indicators",
    "REGION_COLUMNS": "indicators",
    "MODEL_VERSION": "version",
}
_SUBMODULES = ("metrics",)

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
