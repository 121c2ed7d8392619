"""The SmartSpec agent-based model (Mesa): agents, knowledge space, network, instruments."""

from . import metrics
from .citizen import CitizenGroup, CitizenGroups
from .firm import Firm, Firms
from .government import Government, Governments
from .indicators import DOMAIN_COLUMNS, INDEX_COMPONENTS, INDICATOR_GROUPS, REGION_COLUMNS
from .knowledge import KnowledgeSpace
from .model import EcosystemModel
from .network import CollaborationNetwork
from .university import Universities, University

__all__ = [
    "DOMAIN_COLUMNS",
    "INDEX_COMPONENTS",
    "INDICATOR_GROUPS",
    "REGION_COLUMNS",
    "CitizenGroup",
    "CitizenGroups",
    "CollaborationNetwork",
    "EcosystemModel",
    "Firm",
    "Firms",
    "Government",
    "Governments",
    "KnowledgeSpace",
    "Universities",
    "University",
    "metrics",
]
