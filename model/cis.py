"""Shares measured the way the Community Innovation Survey counts (targets T12-T14).

The CIS counts enterprises with at least ``CIS_MIN_EMPLOYEES`` employees and asks whether they
had any innovation activity over the last ``CIS_YEARS`` years; its co-operation questions are
asked of those innovative enterprises only. :func:`cis_shares` measures the same population in
the model: live firms with at least 10 employees whose last innovation is less than 12 quarters
old (``Firms.last_innovation``), and, among them, those with at least one collaboration link of
any kind, and those with a link to a university. Vectorised over firms and links: one pass over
the link arrays marks each node's partners by kind. Formulas: docs/ODD.md §7.8.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from smartspec.scenarios.archetypes import CIS_MIN_EMPLOYEES, CIS_YEARS

from .base import QUARTERS_PER_YEAR, AgentKind
from .vector import count_by_group

if TYPE_CHECKING:
    from .firm import Firms
    from .network import CollaborationNetwork
    from .population import NodeRegistry

__all__ = ["CIS_INDICATORS", "cis_shares", "cis_window"]

#: The CIS-like indicators: (column, label). Each is a share of firms, produced by
#: :func:`cis_shares` and read by the indicator registry.
CIS_INDICATORS: tuple[tuple[str, str], ...] = (
    (
        "cis_innovating_share",
        "Share of firms with 10+ employees that innovated in the last 3 years (CIS)",
    ),
    ("cooperation_share", "Share of CIS-innovative firms with a collaboration partner (CIS)"),
    (
        "university_cooperation_share",
        "Share of CIS-innovative firms collaborating with a university (CIS)",
    ),
)


def cis_window() -> int:
    """The CIS reference period in quarters (3 years = 12 quarters)."""
    return CIS_YEARS * QUARTERS_PER_YEAR


def _linked_to(
    network: CollaborationNetwork, kind: np.ndarray, size: int, partner: AgentKind
) -> np.ndarray:
    """Per node id (``size`` of them): whether it has a link to a node of kind ``partner``."""
    u, v = network.u, network.v
    found = np.zeros(size, dtype=bool)
    found[u[kind[v] == partner]] = True
    found[v[kind[u] == partner]] = True
    return found


def cis_shares(
    steps: int,
    firms: Firms,
    nodes: NodeRegistry,
    network: CollaborationNetwork,
    count: int,
) -> dict[str, np.ndarray]:
    """The CIS-like shares of every region at step ``steps``.

    Parameters
    ----------
    steps : int
        The current step (``model.steps``).
    firms : Firms
        The firm population (live firms, employees, ``last_innovation``, node ids).
    nodes : NodeRegistry
        Every agent's kind, by node id.
    network : CollaborationNetwork
        The collaboration links.
    count : int
        Number of regions.

    Returns
    -------
    dict of str to numpy.ndarray
        ``cis_innovating_share``: firms with >= 10 employees that innovated in the last 12
        quarters / live firms with >= 10 employees; ``cooperation_share``: those innovative
        firms with any link / the innovative firms; ``university_cooperation_share``: those
        with a link to a university / the innovative firms. Each per region, 0 where the
        denominator is empty.
    """
    n = firms.size
    surveyed = firms.alive[:n] & (firms.employees[:n] >= CIS_MIN_EMPLOYEES)
    innovative = surveyed & (steps - firms.last_innovation[:n] < cis_window())
    uid = firms.uid[:n]
    size, kind = nodes.capacity, nodes.kind
    # A firm with any link has a degree: the network's running count, not a scan of links.
    partnered = innovative & (network.node_degree(size)[uid] > 0)
    with_university = innovative & _linked_to(network, kind, size, AgentKind.UNIVERSITY)[uid]
    base, innovators, partners, university_partners = count_by_group(
        firms.region[:n], count, surveyed, innovative, partnered, with_university
    )

    def share(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        return np.divide(top, bottom, out=np.zeros(count), where=bottom > 0)

    return {
        "cis_innovating_share": share(innovators, base),
        "cooperation_share": share(partners, innovators),
        "university_cooperation_share": share(university_partners, innovators),
    }
