"""The collaboration network: undirected links between any two agents, stored as edge arrays."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .vector import insert_sorted

__all__ = ["CollaborationNetwork"]

#: A link is one 64-bit key: the lower node id in the high 32 bits, the higher in the low ones.
_SHIFT = np.int64(32)
_LOW = (np.int64(1) << _SHIFT) - 1
#: Links in a triangle.
_TRIANGLE = 3


class CollaborationNetwork:
    """Undirected links between node ids (Mesa ``unique_id``), without duplicates.

    A link u-v (u < v) is the 64-bit key ``u << 32 | v``; keys are kept sorted, so adding a
    batch is a binary search plus one insertion (no re-sort), and removing is a boolean mask.
    Links are formed by the verbs (partner search, university transfer, instruments) and
    dissolve at random or when an end leaves the model.
    """

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.version = 0  # bumped on every change, so derived arrays know when to refresh
        self._derived: dict = {}
        self._pending: list[tuple[np.ndarray, np.ndarray]] | None = None
        # Links per node id, kept up to date as links come and go: node ids are never reused
        # (Mesa's unique_id), so recounting over every id ever issued would make a step's cost
        # grow with the length of the run rather than with the agents alive.
        self._degree = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keys)

    def _changed(self) -> None:
        self.version += 1
        self._derived.clear()

    @property
    def u(self) -> np.ndarray:
        if "u" not in self._derived:
            self._derived["u"] = self.keys >> _SHIFT
        return self._derived["u"]

    @property
    def v(self) -> np.ndarray:
        if "v" not in self._derived:
            self._derived["v"] = self.keys & _LOW
        return self._derived["v"]

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Collect the links added inside the block and insert them together when it ends:
        one sort and insertion instead of one per call. The links are not visible (and
        ``add`` returns 0) until the block ends, so use it only where nothing in the block
        reads the network."""
        self._pending = []
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
            if pending:
                self.add(
                    np.concatenate([a for a, _ in pending]), np.concatenate([b for _, b in pending])
                )

    def add(self, a: np.ndarray, b: np.ndarray) -> int:
        """Add links a[i]-b[i] (self-links and duplicates dropped); returns how many were new."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        if self._pending is not None:
            self._pending.append((a, b))
            return 0
        distinct = a != b
        if not distinct.any():
            return 0
        a, b = a[distinct], b[distinct]
        # np.unique's own steps (sort, keep the first of each run) without its overhead.
        new = np.sort(np.minimum(a, b) << _SHIFT | np.maximum(a, b))
        new = new[np.concatenate([[True], new[1:] != new[:-1]])]
        position = np.searchsorted(self.keys, new)
        present = position < len(self.keys)
        present[present] = self.keys[position[present]] == new[present]
        new, position = new[~present], position[~present]
        if len(new) == 0:
            return 0
        self.keys = insert_sorted(self.keys, position, new)
        self._count_ends(new, 1)
        self._changed()
        return len(new)

    def keep(self, mask: np.ndarray) -> None:
        self._count_ends(self.keys[~mask], -1)
        self.keys = self.keys[mask]
        self._changed()

    def _count_ends(self, keys: np.ndarray, change: int) -> None:
        """Add ``change`` to the degree of both ends of each link in ``keys``."""
        if len(keys) == 0:
            return
        high = keys & _LOW  # the higher id of each link
        self._ensure_degree(int(high.max()) + 1)
        np.add.at(self._degree, keys >> _SHIFT, change)
        np.add.at(self._degree, high, change)

    def _ensure_degree(self, size: int) -> None:
        if len(self._degree) < size:
            grown = np.zeros(max(size, 2 * len(self._degree)), dtype=np.int64)
            grown[: len(self._degree)] = self._degree
            self._degree = grown

    def drop_dead(self, alive: np.ndarray) -> None:
        """Remove every link with an end that is no longer in the model."""
        if len(self.keys):
            ok = alive[self.u] & alive[self.v]
            if not ok.all():
                self.keep(ok)

    def dissolve(self, rng: np.random.Generator, probability: float) -> int:
        if len(self.keys) == 0 or probability <= 0:
            return 0
        survive = rng.random(len(self.keys)) >= probability
        self.keep(survive)
        return int((~survive).sum())

    def degree(self, size: int) -> np.ndarray:
        """Links per node id below ``size`` (computed afresh)."""
        return np.bincount(self.u, minlength=size) + np.bincount(self.v, minlength=size)

    def node_degree(self, size: int) -> np.ndarray:
        """:meth:`degree` without recounting: the running count of links per node id below
        ``size``, read-only, valid until the links next change (read by several verbs per
        step)."""
        self._ensure_degree(size)
        view = self._degree[:size]
        view.flags.writeable = False
        return view

    def directed(self) -> tuple[np.ndarray, np.ndarray]:
        """Both directions of every link, sorted by source (CSR order)."""
        if "directed" not in self._derived:
            # Sorting the keys of both directions orders by source, then target: one integer
            # sort instead of an argsort and two gathers.
            both = np.concatenate([self.keys, self.v << _SHIFT | self.u])
            both.sort()
            self._derived["directed"] = (both >> _SHIFT, both & _LOW)
        return self._derived["directed"]

    def components(self, size: int) -> np.ndarray:
        """Connected-component label of every node id below ``size`` (isolated nodes get
        their own label). The CSR matrix comes straight from :meth:`directed`."""
        source, target = self.directed()
        indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(source, minlength=size), out=indptr[1:])
        graph = sparse.csr_array((np.ones(len(source)), target, indptr), shape=(size, size))
        return csgraph.connected_components(graph, directed=False)[1]

    def linked_components(self) -> tuple[np.ndarray, np.ndarray]:
        """Connected components of the nodes with at least one link: ``(nodes, labels)``,
        node ids in increasing order and their component labels.

        Labels are numbered in order of each component's lowest node id, as
        :meth:`components` numbers them. Leaving out isolated nodes keeps the graph as
        small as the link list: most agents have no link, and scipy's cost grows with the
        node count.
        """
        if "linked_components" not in self._derived:
            source, target = self.directed()
            nodes = self.linked_nodes()
            count = len(nodes)
            # Each link's far end as a position among the linked nodes: a lookup by node id
            # (a gather) rather than a binary search per link.
            lookup = np.empty(int(nodes[-1]) + 1 if count else 0, dtype=np.int64)
            lookup[nodes] = np.arange(count)
            # Each linked node's out-links start where ``source`` first reaches it. Data of
            # scipy's own dtype (float64), so that it does not convert the matrix again.
            indptr = np.append(self._derived["linked_starts"], len(source))
            graph = sparse.csr_array(
                (np.ones(len(source)), lookup[target], indptr), shape=(count, count)
            )
            # The matrix holds both directions of every link, so its strongly connected
            # components are the undirected ones; scipy finds them without the transposed
            # copy its undirected search builds. They come numbered in another order:
            # renumber by each component's first (lowest) node.
            found, labels = csgraph.connected_components(graph, directed=True, connection="strong")
            first_node = np.full(found, count, dtype=np.int64)
            np.minimum.at(first_node, labels, np.arange(count))
            renumber = np.empty(found, dtype=np.int64)
            renumber[np.argsort(first_node)] = np.arange(found)
            self._derived["linked_components"] = (nodes, renumber[labels])
        return self._derived["linked_components"]

    def linked_nodes(self) -> np.ndarray:
        """The node ids with at least one link, in increasing order."""
        if "linked_nodes" not in self._derived:
            source = self.directed()[0]
            # ``source`` is sorted: its distinct values are the linked nodes, in id order, and
            # where each first appears is where its out-links start.
            first = np.concatenate([[True], source[1:] != source[:-1]]) if len(source) else []
            self._derived["linked_starts"] = np.flatnonzero(first)
            self._derived["linked_nodes"] = source[first]
        return self._derived["linked_nodes"]

    def triangles(self, size: int, degree: np.ndarray | None = None) -> np.ndarray:
        """Triangles through each node, by the degree-ordered ("forward") algorithm.

        Each link is oriented from its lower- to its higher-ranked end (rank = degree, then
        id), so a hub has few out-links. Every pair of out-links of a node is a wedge; a wedge
        is a triangle when its two far ends are linked (a binary search in the sorted keys).
        Work is O(E^1.5) at worst instead of the sum of squared degrees of a matrix product,
        which hubs such as universities make large. ``degree`` (links per node id, at least
        ``size`` long) may be passed when already known.
        """
        if degree is None:
            degree = self.degree(size)
        corners = self._triangle_corners(degree)
        return np.bincount(corners, minlength=size)[:size].astype(np.float64)

    def _triangle_corners(self, degree: np.ndarray) -> np.ndarray:
        """The three corners (node ids) of every triangle, one entry per corner, by the
        algorithm of :meth:`triangles`; ``degree`` covers every linked node id."""
        if len(self.keys) < _TRIANGLE:
            return np.empty(0, dtype=np.int64)
        u, v = self.u, self.v
        degree_u, degree_v = degree[u], degree[v]
        u_first = (degree_u < degree_v) | ((degree_u == degree_v) & (u < v))
        low = np.where(u_first, u, v)
        high = np.where(u_first, v, u)
        # Sort the oriented links by their (low, high) key: out-links of a node are contiguous.
        oriented = low << _SHIFT | high
        oriented.sort()
        low, high = oriented >> _SHIFT, oriented & _LOW
        run_start = np.flatnonzero(np.concatenate([[True], low[1:] != low[:-1]]))
        run_end = np.concatenate([run_start[1:], [len(low)]])
        run_length = run_end - run_start
        run_of = np.repeat(np.arange(len(run_start)), run_length)
        # For out-link at position p, pair it with every later out-link of the same node.
        later = run_end[run_of] - 1 - np.arange(len(low))
        first = np.repeat(np.arange(len(low)), later)
        if len(first) == 0:
            return np.empty(0, dtype=np.int64)
        offset = np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
        second = first + 1 + offset
        a, b = high[first], high[second]
        keys = np.minimum(a, b) << _SHIFT | np.maximum(a, b)
        position = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        closed = self.keys[position] == keys
        return np.concatenate([low[first][closed], a[closed], b[closed]])

    def local_clustering(self, size: int, degree: np.ndarray | None = None) -> np.ndarray:
        """Local clustering coefficient per node (0 where degree < 2), as networkx defines it.
        ``degree`` (links per node id, at least ``size`` long) may be passed when known."""
        if degree is None:
            degree = self.degree(size)
        nodes, clustering = self.linked_clustering(degree)
        full = np.zeros(size)
        inside = nodes < size
        full[nodes[inside]] = clustering[inside]
        return full

    def linked_clustering(self, degree: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`local_clustering` of the linked nodes only, ``(nodes, coefficients)`` with
        nodes in increasing id order (every other node's coefficient is 0): work in
        proportion to the links, whatever the number of node ids issued. ``degree``: links
        per node id, covering every linked node."""
        nodes = self.linked_nodes()
        corners = np.searchsorted(nodes, self._triangle_corners(degree))
        triangles = np.bincount(corners, minlength=len(nodes)).astype(np.float64)
        linked_degree = degree[nodes].astype(np.float64)
        pairs = linked_degree * (linked_degree - 1.0)
        return nodes, np.divide(2.0 * triangles, pairs, out=np.zeros(len(nodes)), where=pairs > 0)

    def to_networkx(self, nodes: np.ndarray | None = None):
        """A networkx Graph of the current links (for analysis, plots and cross-checks)."""
        import networkx as nx

        graph = nx.Graph()
        if nodes is not None:
            graph.add_nodes_from(int(node) for node in nodes)
        graph.add_edges_from(zip(self.u.tolist(), self.v.tolist(), strict=True))
        return graph
