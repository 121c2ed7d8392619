"""The collaboration network of a model as a graph file for network tools
(``smartspec run --network graphml|pajek``).

Every live actor is a node with its attributes: ``type`` (firm, university, government,
citizen group), ``region`` (the region's name), ``size`` and ``size_measure`` (what the size
counts for that type) and ``domain`` (the knowledge domain the actor is strongest in). The
links are the collaboration links at the end of the run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import networkx as nx

    from smartspec.model import EcosystemModel

__all__ = ["NETWORK_FORMATS", "collaboration_graph", "write_network"]

#: ``--network`` format -> file suffix (networkx writes both).
NETWORK_FORMATS = {"graphml": ".graphml", "pajek": ".net"}

#: Node kind (``model.nodes.kind``) -> type name and what its size measures.
_TYPES = {
    0: ("firm", "employees"),
    1: ("university", "research strength summed over domains"),
    2: ("government", "S3 budget (million EUR per year)"),
    3: ("citizen group", "participation rate"),
}


def _sizes_and_domains(model: EcosystemModel, kind: int, slots: np.ndarray) -> tuple:
    if kind == 0:
        firms = model.firms
        return firms.employees[slots], firms.core[slots]
    if kind == 1:
        strength = model.universities.strength[slots]
        return strength.sum(axis=1), strength.argmax(axis=1)
    if kind == 2:
        governments = model.governments
        priorities = governments.priorities[slots]
        # A government's domain is its first priority (none before the first EDP round).
        domains = np.where(priorities.any(axis=1), priorities.argmax(axis=1), -1)
        return governments.budget[slots], domains
    citizens = model.citizens
    return citizens.participation[slots], citizens.needs[slots].argmax(axis=1)


def collaboration_graph(model: EcosystemModel) -> nx.Graph:
    """The model's current collaboration network with node attributes (see module doc)."""
    import networkx as nx

    nodes = np.flatnonzero(model.nodes.alive)
    graph = nx.Graph()
    regions = [region.name for region in model.spec.regions]
    domains = model.knowledge.names
    for kind, (name, measure) in _TYPES.items():
        members = nodes[model.nodes.kind[nodes] == kind]
        if not len(members):
            continue
        sizes, strongest = _sizes_and_domains(model, kind, model.nodes.slot[members])
        for node, size, domain in zip(members, sizes, strongest, strict=True):
            attributes: dict[str, Any] = {
                "type": name,
                "region": regions[int(model.nodes.region[node])],
                "size": float(size),
                "size_measure": measure,
                "domain": domains[int(domain)] if domain >= 0 else "",
            }
            graph.add_node(int(node), **attributes)
    alive = set(graph.nodes)
    graph.add_edges_from(
        (u, v)
        for u, v in zip(model.network.u.tolist(), model.network.v.tolist(), strict=True)
        if u in alive and v in alive
    )
    return graph


def write_network(graph: nx.Graph, path: Path, file_format: str) -> Path:
    """Write ``graph`` as GraphML or Pajek to ``path`` (renamed into place when complete)."""
    import networkx as nx

    path = Path(path)
    staging = path.with_name(f".{path.name}.partial")
    try:
        if file_format == "graphml":
            nx.write_graphml(graph, staging)
        elif file_format == "pajek":
            # Pajek labels nodes by name (the node id) and keeps text attributes only.
            text = nx.relabel_nodes(graph, str)
            for _, attributes in text.nodes(data=True):
                attributes.update(
                    {
                        key: f"{value:.6g}" if isinstance(value, float) else str(value)
                        for key, value in attributes.items()
                    }
                )
            nx.write_pajek(text, staging)
        else:
            raise ValueError(f"unknown network format {file_format!r}")
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
    return path
