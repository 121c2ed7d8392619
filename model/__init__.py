"""The SmartSpec agent-based model (Mesa): agents, knowledge space, network, instruments."""

from .citizen import CitizenGroup, CitizenGroups
from .firm import Firm, Firms
from .government import Government, Governments
from .indicators import INDEX_COMPONENTS, REGION_COLUMNS, revealed_comparative_advantage
from .knowledge import KnowledgeSpace
from .model import EcosystemModel
from .network import CollaborationNetwork
from .university import Universities, University

__all__ = [
    "INDEX_COMPONENTS",
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
    "revealed_comparative_advantage",
]
