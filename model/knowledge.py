"""The knowledge space: domains, their proximity (relatedness) and complexity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartspec.scenarios import read_proximity_csv
from smartspec.scenarios.schema import KnowledgeSpace as KnowledgeSpec
from smartspec.scenarios.schema import synthetic_domain_names

from .metrics import relatedness_weights
from .streams import Streams

__all__ = ["KnowledgeSpace"]


@dataclass(frozen=True, eq=False)
class KnowledgeSpace:
    """K domains with a symmetric proximity matrix phi (diagonal 1) and per-domain complexity.

    ``world_share`` is the reference portfolio (the rest of the world's share of knowledge in
    each domain) against which revealed comparative advantage is computed, so RCA is defined
    even for a single simulated region.
    """

    names: tuple[str, ...]
    proximity: np.ndarray
    family: np.ndarray
    complexity: np.ndarray
    world_share: np.ndarray

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def off_diagonal(self) -> np.ndarray:
        """Proximity with a zero diagonal: relatedness of a domain to the *other* domains."""
        phi = self.proximity.copy()
        np.fill_diagonal(phi, 0.0)
        return phi

    def __post_init__(self) -> None:
        # Float32 copies for the per-step (firms x domains) products.
        phi = self.off_diagonal
        totals = phi.sum(axis=0)
        totals[totals == 0] = 1.0
        object.__setattr__(self, "off_diagonal32", phi.astype(np.float32))
        # portfolio @ density_operator = relatedness density (phi is symmetric).
        operator = (phi / totals[None, :]).astype(np.float32)
        object.__setattr__(self, "density_operator32", operator)
        # Its rows plus a row of zeros (index K, for holders of no domain): the density of a
        # one-domain portfolio is a row lookup, no matrix product needed.
        object.__setattr__(
            self, "density_rows32", np.vstack([operator, np.zeros((1, len(phi)), np.float32)])
        )
        # The weights of the regions' relatedness density, which measurement applies each step.
        object.__setattr__(self, "density_weights", relatedness_weights(self.proximity))

    @classmethod
    def from_spec(cls, spec: KnowledgeSpec) -> KnowledgeSpace:
        """Build from a scenario's ``[knowledge]`` table (CSV matrix or seeded synthetic one).

        The synthetic matrix is scenario *input*, like a CSV file: it is drawn from its own
        generator seeded by ``knowledge.seed`` so that every replication of a scenario shares the
        same knowledge space. Each field of it has its own stream, so that changing how one is
        drawn (its noise or complexity shape) leaves the others as they were. All stochastic
        dynamics use the model's generator.
        """
        data = Streams(spec.seed)
        if spec.matrix_csv is not None:
            names, proximity = read_proximity_csv(Path(spec.matrix_csv), spec.matrix_csv)
            family = cluster_families(np.asarray(proximity, dtype=np.float64), spec.family_cut)
        else:
            count = spec.domains
            names = synthetic_domain_names(count)
            family = (np.arange(count) * spec.families // count).astype(np.int32)
            # Families sit on a ring: neighbouring families are more related than distant
            # ones, so relatedness is graded rather than all-or-nothing.
            gap = np.abs(family[:, None] - family[None, :])
            ring = np.minimum(gap, spec.families - gap)
            base = np.select(
                [ring == 0, ring == 1],
                [spec.relatedness_within, spec.relatedness_neighbour],
                spec.relatedness_between,
            )
            noise = data("noise").uniform(-spec.noise, spec.noise, size=(count, count))
            proximity = np.clip(base + np.triu(noise, 1) + np.triu(noise, 1).T, 0.0, 1.0)
        proximity = np.asarray(proximity, dtype=np.float64)
        np.fill_diagonal(proximity, 1.0)
        count = len(names)
        shape = spec.complexity_shape
        complexity = data("complexity").beta(shape, shape, size=count)
        world_share = data("world share").dirichlet(np.full(count, spec.world_share_concentration))
        return cls(tuple(names), proximity, family, complexity, world_share)

    def relatedness_density(self, portfolio: np.ndarray) -> np.ndarray:
        """Relatedness density of each domain to a portfolio (rows: holders, columns: domains).

        density[r, d] = sum_j M[r, j] * phi[d, j] / sum_j phi[d, j], j != d
        (Hidalgo et al. 2007; Boschma, Balland & Kogler 2015). Values lie in [0, 1].
        """
        phi = self.off_diagonal
        totals = phi.sum(axis=0)
        totals[totals == 0] = 1.0
        return (np.asarray(portfolio, dtype=np.float64) @ phi) / totals

    def related_cluster(self, seed_domain: int, count: int) -> np.ndarray:
        """The seed domain and its ``count - 1`` most related domains."""
        order = np.argsort(-self.proximity[seed_domain], kind="stable")
        return order[:count]


def cluster_families(proximity: np.ndarray, cut: float) -> np.ndarray:
    """Families of related domains for a matrix without them: average-linkage clusters of the
    distance 1 - phi, cut at ``cut`` (used for related/unrelated variety)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distance = 1.0 - proximity
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(np.clip(distance, 0.0, None), checks=False), method="average")
    return (fcluster(tree, t=cut, criterion="distance") - 1).astype(np.int32)
