"""Direct tests of the collaboration network's kernel (``smartspec.model.network``).

Links are checked against a plain Python set of node pairs, and components, triangles and
clustering against networkx on random graphs drawn by hypothesis.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.model.network import CollaborationNetwork

MAX_NODES = 40
EXAMPLES = settings(max_examples=150, deadline=None)


@st.composite
def graphs(draw, max_nodes: int = MAX_NODES, max_links: int = 120):
    """``(size, pairs)``: node ids below ``size`` and a list of pairs that may contain
    self-links, repeats and both orientations of a link."""
    size = draw(st.integers(1, max_nodes))
    node = st.integers(0, size - 1)
    pairs = draw(st.lists(st.tuples(node, node), max_size=max_links))
    return size, pairs


def network_of(pairs) -> CollaborationNetwork:
    network = CollaborationNetwork()
    if pairs:
        a, b = np.array(pairs, dtype=np.int64).T
        network.add(a, b)
    return network


def link_set(pairs) -> set[tuple[int, int]]:
    """The links the pairs describe: no self-links, each as (low, high) once."""
    return {(min(a, b), max(a, b)) for a, b in pairs if a != b}


def links_of(network: CollaborationNetwork) -> list[tuple[int, int]]:
    return list(zip(network.u.tolist(), network.v.tolist(), strict=True))


def reference_graph(size: int, pairs) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(range(size))
    graph.add_edges_from(link_set(pairs))
    return graph


def same_partition(labels: np.ndarray, groups: list[set[int]], nodes: np.ndarray) -> bool:
    """Whether ``labels[i]`` (the label of ``nodes[i]``) groups the nodes as ``groups`` does."""
    by_label: dict[int, set[int]] = {}
    for node, label in zip(nodes.tolist(), labels.tolist(), strict=True):
        by_label.setdefault(label, set()).add(node)
    return sorted(map(sorted, by_label.values())) == sorted(map(sorted, groups))


# ----------------------------------------------------------------------------- add
def test_add_drops_self_links_and_duplicates_and_counts_new_links():
    network = CollaborationNetwork()
    # 1-2 twice and as 2-1, a self-link 3-3, and 4-1 (stored as 1-4).
    assert network.add(np.array([1, 2, 1, 3, 4]), np.array([2, 1, 2, 3, 1])) == 2
    assert links_of(network) == [(1, 2), (1, 4)]
    # Only 2-3 is new; 4-1 already exists as 1-4.
    assert network.add(np.array([3, 4]), np.array([2, 1])) == 1
    assert links_of(network) == [(1, 2), (1, 4), (2, 3)]
    assert len(network) == 3


def test_adding_only_self_links_or_known_links_changes_nothing():
    network = network_of([(0, 1)])
    version = network.version
    assert network.add(np.array([5, 6]), np.array([5, 6])) == 0
    assert network.add(np.array([1]), np.array([0])) == 0
    assert network.add(np.array([], dtype=np.int64), np.array([], dtype=np.int64)) == 0
    assert network.version == version
    assert links_of(network) == [(0, 1)]


@EXAMPLES
@given(graphs(), st.randoms(use_true_random=False))
def test_links_match_a_set_whatever_the_order_and_batching_of_additions(graph, random):
    size, pairs = graph
    expected = link_set(pairs)
    shuffled = list(pairs)
    random.shuffle(shuffled)
    network = CollaborationNetwork()
    # Add in random chunks, flipping some pairs: the result must not depend on either.
    start, new = 0, 0
    while start < len(shuffled):
        stop = start + random.randint(1, 10)
        chunk = [(b, a) if random.random() < 0.5 else (a, b) for a, b in shuffled[start:stop]]
        a, b = np.array(chunk, dtype=np.int64).T
        new += network.add(a, b)
        start = stop
    assert set(links_of(network)) == expected
    assert new == len(expected) == len(network)
    # Keys stay strictly sorted with u < v: what the binary searches rely on.
    assert np.all(np.diff(network.keys) > 0)
    assert np.all(network.u < network.v)


def test_large_node_ids_survive_the_packing_into_one_key():
    network = CollaborationNetwork()
    big = 2**31 - 1
    network.add(np.array([big, 7]), np.array([3, big - 1]))
    assert links_of(network) == [(3, big), (7, big - 1)]


def test_derived_arrays_follow_changes():
    """``u``, ``v`` and ``directed`` are cached; every change must refresh them."""
    network = network_of([(0, 1)])
    assert network.directed()[0].tolist() == [0, 1]
    version = network.version
    network.add(np.array([2]), np.array([1]))
    assert network.version > version
    assert network.u.tolist() == [0, 1]
    assert network.v.tolist() == [1, 2]
    assert network.directed()[0].tolist() == [0, 1, 1, 2]
    network.keep(np.array([False, True]))
    assert links_of(network) == [(1, 2)]
    assert network.directed()[0].tolist() == [1, 2]


# --------------------------------------------------------------------------- batch
def test_batch_defers_additions_until_the_block_ends():
    network = network_of([(0, 1)])
    with network.batch():
        assert network.add(np.array([2, 3]), np.array([3, 2])) == 0
        assert network.add(np.array([1, 4]), np.array([0, 4])) == 0
        # Nothing is visible inside the block.
        assert links_of(network) == [(0, 1)]
    assert links_of(network) == [(0, 1), (2, 3)]
    # After the block, additions are immediate again.
    assert network.add(np.array([5]), np.array([6])) == 1


def test_batch_inserts_its_links_even_when_the_block_raises():
    network = CollaborationNetwork()
    with pytest.raises(RuntimeError), network.batch():
        network.add(np.array([1]), np.array([2]))
        raise RuntimeError("a verb failed")
    assert links_of(network) == [(1, 2)]
    assert network.add(np.array([3]), np.array([4])) == 1


def test_an_empty_batch_changes_nothing():
    network = network_of([(0, 1)])
    version = network.version
    with network.batch():
        pass
    assert network.version == version


# ------------------------------------------------------------- keep, drop_dead, dissolve
def test_keep_applies_a_mask_over_the_sorted_links():
    network = network_of([(0, 1), (0, 2), (1, 2), (2, 3)])
    network.keep(np.array([True, False, False, True]))
    assert links_of(network) == [(0, 1), (2, 3)]


def test_drop_dead_removes_every_link_with_a_dead_end():
    network = network_of([(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)])
    alive = np.ones(6, dtype=bool)
    version = network.version
    network.drop_dead(alive)
    assert network.version == version  # nothing to drop: no change, caches stay valid
    alive[[1, 4]] = False
    network.drop_dead(alive)
    assert links_of(network) == [(2, 3)]
    CollaborationNetwork().drop_dead(alive)  # an empty network is fine


def test_dissolve_with_probability_zero_or_one():
    network = network_of([(0, 1), (1, 2), (2, 3)])
    rng = np.random.default_rng(0)
    assert network.dissolve(rng, 0.0) == 0
    assert len(network) == 3
    assert network.dissolve(rng, 1.0) == 3
    assert len(network) == 0
    assert network.dissolve(rng, 0.5) == 0  # empty network


def test_dissolve_is_reproducible_for_a_seed():
    pairs = [(a, b) for a in range(30) for b in range(a + 1, 30)]
    first, second = network_of(pairs), network_of(pairs)
    removed = first.dissolve(np.random.default_rng(42), 0.3)
    assert second.dissolve(np.random.default_rng(42), 0.3) == removed
    assert np.array_equal(first.keys, second.keys)
    assert removed == len(pairs) - len(first)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("probability", [0.05, 0.3, 0.8])
def test_dissolve_removes_each_link_with_the_given_probability(seed, probability):
    # 20 000 links; the removed count is binomial. A margin of 6 standard deviations fails
    # with a chance below 1e-8, so the test holds for any seed in practice.
    ids = np.arange(20_000)
    network = CollaborationNetwork()
    network.add(2 * ids, 2 * ids + 1)
    removed = network.dissolve(np.random.default_rng(seed), probability)
    n = len(ids)
    margin = 6 * np.sqrt(n * probability * (1 - probability))
    assert abs(removed - n * probability) < margin
    assert len(network) == n - removed


# -------------------------------------------------------------------------- degree
@EXAMPLES
@given(graphs())
def test_degree_counts_the_links_of_every_node(graph):
    size, pairs = graph
    network = network_of(pairs)
    expected = reference_graph(size, pairs).degree
    degree = network.degree(size + 5)
    assert len(degree) == size + 5
    assert degree[:size].tolist() == [expected[node] for node in range(size)]
    assert not degree[size:].any()


@EXAMPLES
@given(graphs(), st.randoms(use_true_random=False))
def test_the_running_degree_equals_a_recount_after_any_changes(graph, random):
    """node_degree is kept up to date by add and keep (dissolve, drop_dead) instead of being
    recounted over every node id; it always equals degree, and callers cannot write to it."""
    size, pairs = graph
    network = CollaborationNetwork()
    rng = np.random.default_rng(random.randrange(2**32))
    for start in range(0, len(pairs), 7):
        chunk = pairs[start : start + 7]
        network.add([a for a, _ in chunk], [b for _, b in chunk])
        assert network.node_degree(size).tolist() == network.degree(size).tolist()
        network.dissolve(rng, 0.2)
        assert network.node_degree(size).tolist() == network.degree(size).tolist()
    alive = rng.random(size) < 0.7
    network.drop_dead(alive)
    degree = network.node_degree(size + 3)
    assert degree.tolist() == network.degree(size + 3).tolist()
    assert alive[np.flatnonzero(degree[:size])].all()  # no link to a dead node is counted
    with pytest.raises(ValueError):
        degree[0] = 1


# ------------------------------------------------------------------------ directed
@EXAMPLES
@given(graphs())
def test_directed_lists_both_directions_sorted_by_source(graph):
    _, pairs = graph
    network = network_of(pairs)
    source, target = network.directed()
    links = link_set(pairs)
    both = sorted(links | {(b, a) for a, b in links})
    # Sorted by source, then target (CSR order): exactly the sorted list of both directions.
    assert list(zip(source.tolist(), target.tolist(), strict=True)) == both


# ---------------------------------------------------------------------- components
@EXAMPLES
@given(graphs())
def test_components_match_networkx(graph):
    size, pairs = graph
    labels = network_of(pairs).components(size)
    expected = list(nx.connected_components(reference_graph(size, pairs)))
    assert len(labels) == size
    assert same_partition(labels, expected, np.arange(size))
    # Numbered in order of each component's lowest node id.
    first_seen = {}
    for node, label in enumerate(labels.tolist()):
        first_seen.setdefault(label, node)
    assert sorted(first_seen, key=first_seen.get) == list(range(len(expected)))


@EXAMPLES
@given(graphs())
def test_linked_components_match_networkx_without_isolated_nodes(graph):
    size, pairs = graph
    network = network_of(pairs)
    nodes, labels = network.linked_components()
    reference = reference_graph(size, pairs)
    linked = [node for node in range(size) if reference.degree[node] > 0]
    assert nodes.tolist() == linked
    groups = sorted(
        (c for c in nx.connected_components(reference) if len(c) > 1), key=lambda c: min(c)
    )
    # Component i is the one whose lowest node comes i-th, as ``components`` numbers them.
    expected = {node: index for index, group in enumerate(groups) for node in group}
    assert labels.tolist() == [expected[node] for node in linked]
    if len(nodes):
        renumbered = np.unique(network.components(size)[nodes], return_inverse=True)[1]
        assert np.array_equal(renumbered, labels)


def test_linked_components_of_an_empty_network():
    nodes, labels = CollaborationNetwork().linked_components()
    assert len(nodes) == 0
    assert len(labels) == 0


# ---------------------------------------------------------------------- clustering
@st.composite
def dense_graphs(draw):
    """Random graphs dense enough to hold many triangles, with a hub now and then (the
    forward algorithm orients links by degree, so hubs exercise its ordering)."""
    size = draw(st.integers(3, 30))
    density = draw(st.floats(0.05, 0.9))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a, b = np.triu_indices(size, k=1)
    chosen = rng.random(len(a)) < density
    if draw(st.booleans()):
        chosen |= a == 0  # node 0 links to everyone
    return size, list(zip(a[chosen].tolist(), b[chosen].tolist(), strict=True))


@EXAMPLES
@given(st.one_of(dense_graphs(), graphs(max_nodes=25)))
def test_triangles_and_local_clustering_match_networkx(graph):
    size, pairs = graph
    network = network_of(pairs)
    reference = reference_graph(size, pairs)
    triangles = nx.triangles(reference)
    clustering = nx.clustering(reference)
    assert network.triangles(size).tolist() == [triangles[node] for node in range(size)]
    assert np.allclose(network.local_clustering(size), [clustering[n] for n in range(size)])
    # A degree array passed in (longer than ``size``, as the model's is) gives the same.
    degree = network.degree(size + 7)
    assert network.triangles(size, degree).tolist() == [triangles[n] for n in range(size)]
    assert np.allclose(network.local_clustering(size, degree), list(clustering.values()))
    # The linked nodes alone, as the step's measurement reads them: the same coefficients.
    nodes, linked = network.linked_clustering(degree)
    assert nodes.tolist() == sorted(node for node in range(size) if reference.degree[node])
    assert linked.tolist() == network.local_clustering(size, degree)[nodes].tolist()


def test_triangles_of_tiny_networks_are_zero():
    assert network_of([]).triangles(4).tolist() == [0, 0, 0, 0]
    assert network_of([(0, 1), (1, 2)]).local_clustering(4).tolist() == [0, 0, 0, 0]
    # Three links, but a path: wedges without a closing link.
    assert network_of([(0, 1), (1, 2), (2, 3)]).triangles(4).tolist() == [0, 0, 0, 0]


def test_clustering_of_a_triangle_with_a_tail():
    network = network_of([(0, 1), (1, 2), (0, 2), (2, 3)])
    assert network.triangles(5).tolist() == [1, 1, 1, 0, 0]
    assert np.allclose(network.local_clustering(5), [1, 1, 1 / 3, 0, 0])


# --------------------------------------------------------------------- to_networkx
def test_to_networkx_holds_the_links_and_the_given_nodes():
    network = network_of([(3, 1), (1, 2)])
    graph = network.to_networkx()
    assert set(graph.nodes) == {1, 2, 3}
    assert {tuple(sorted(edge)) for edge in graph.edges} == {(1, 2), (1, 3)}
    with_isolated = network.to_networkx(nodes=np.array([0, 1, 7]))
    assert set(with_isolated.nodes) == {0, 1, 2, 3, 7}
    assert with_isolated.number_of_edges() == 2
    assert all(type(node) is int for node in with_isolated.nodes)
