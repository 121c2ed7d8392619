"""The SmartSpec agent-based model (Mesa): agents, knowledge space, network, instruments.

Names are imported on first use: ``import smartspec.model.indicators`` (the indicator
registry) does not load Mesa.
"""

from __future__ import annotations

from smartspec.lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, _SUBMODULES)
