"""Who firms can reach: live firms by region, link lists, partner candidates, learning gaps.

The firm population owns one :class:`FirmDirectory` and one :class:`FirmLinks`; the verbs of
firms, universities and the instruments draw partners and recipients through them. Nothing
here imports an agent population: firms are seen through the :class:`FirmRows` protocol.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .base import AgentKind, KnowledgeSources, Policy
from .network import CollaborationNetwork
from .population import NodeRegistry
from .vector import choose_per_row, row_operation, sum_runs

__all__ = ["FirmDirectory", "FirmLinks", "FirmRows", "WorkBuffers", "draw_partner_candidates"]

#: Link passes allocate at least this many rows, so that buffers rarely regrow.
_MIN_BUFFER_ROWS = 1024


class FirmRows(Protocol):
    """The firm arrays (rows ``[:size]``) partnering reads."""

    size: int
    alive: np.ndarray
    region: np.ndarray
    uid: np.ndarray
    portfolio: np.ndarray
    knowledge: np.ndarray
    absorptive: np.ndarray


class WorkBuffers:
    """Reusable (rows x width) work arrays for per-link passes, growing by doubling: fresh
    multi-megabyte temporaries cost page faults that dominate the arithmetic itself."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, rows: int, width: int, dtype: type = np.float32) -> np.ndarray:
        buffer = self._buffers.get(name)
        unfit = buffer is None or buffer.shape[1] != width or buffer.dtype != dtype
        if unfit or len(buffer) < rows:
            grown = 2 * len(buffer) if buffer is not None else _MIN_BUFFER_ROWS
            buffer = np.empty((max(rows, grown), width), dtype=dtype)
            self._buffers[name] = buffer
        return buffer[:rows]


class FirmDirectory:
    """Live firms grouped by region, and the per-step quantities drawn from that grouping.

    Everything is computed at first use and kept until :meth:`invalidate` (at the start of
    each step and when firm rows move), so firms founded during a step are not drawn until
    the next one, and links formed during a step count for preferential attachment from the
    next one.
    """

    def __init__(
        self,
        firms: FirmRows,
        regions: int,
        network: CollaborationNetwork,
        nodes: NodeRegistry,
        policy: Policy,
        rng: np.random.Generator,
    ) -> None:
        self.firms, self.regions = firms, regions
        self.network, self.nodes, self.policy, self.rng = network, nodes, policy, rng
        self._cache: dict = {}

    def invalidate(self) -> None:
        self._cache.clear()

    def index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Live firm slots sorted by region, with each region's start and count."""
        if "index" not in self._cache:
            firms = self.firms
            live = np.flatnonzero(firms.alive[: firms.size])
            if self.regions == 1:
                order = live
                counts = np.array([len(live)])
            else:
                order = live[np.argsort(firms.region[live], kind="stable")]
                counts = np.bincount(firms.region[order], minlength=self.regions)
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            self._cache["index"] = (order, starts, counts)
        return self._cache["index"]

    def in_region(self, region: int) -> np.ndarray:
        order, starts, counts = self.index()
        return order[starts[region] : starts[region] + counts[region]]

    def attachment_weights(self) -> np.ndarray:
        """Cumulative (links + 1) over the region-sorted index, for preferential attachment,
        after a leading 0 (so ``[1:]`` are the cumulative weights themselves)."""
        if "attachment" not in self._cache:
            order = self.index()[0]
            degree = self.network.node_degree(self.nodes.capacity)
            edges = np.zeros(len(order) + 1)
            # Whole numbers: summed as integers, the running sums are the same, exactly, and
            # several times faster than a running sum in floats.
            edges[1:] = np.cumsum(degree[self.firms.uid[order]] + 1)
            self._cache["attachment"] = edges
        return self._cache["attachment"]

    def priority_member(self) -> np.ndarray:
        """Whether each firm is active in one of its region's priority domains (recomputed
        when the number of firm rows changes)."""
        firms = self.firms
        cached = self._cache.get("priority_member")
        if cached is None or len(cached) != firms.size:
            n = firms.size
            priorities = self.policy.priorities[: self.regions]
            portfolio, region = firms.portfolio[:n], firms.region[:n]
            # Only the few priority domains (columns) are read, in one pass over the firms.
            columns = np.flatnonzero(priorities.any(axis=0))
            held = portfolio[:, columns]
            if self.regions > 1:
                held &= priorities[:, columns][region]
            self._cache["priority_member"] = held.any(axis=1)
        return self._cache["priority_member"]

    def eligible(self, region: int, priority_only: bool) -> np.ndarray:
        """Live firms of a region that an instrument may reach (only priority members when it
        targets the priorities)."""
        key = ("eligible", region, priority_only)
        if key not in self._cache:
            pool = self.in_region(region)
            if priority_only:
                pool = pool[self.priority_member()[pool]]
            self._cache[key] = pool
        return self._cache[key]

    def capable(self, region: int, priority_only: bool, threshold: float) -> np.ndarray:
        """The firms of :meth:`eligible` whose absorptive capacity exceeds ``threshold``.
        Kept for the step like the pools: the instruments that ask run before the firm verbs,
        and absorptive capacity moves only in those."""
        key = ("capable", region, priority_only, threshold)
        if key not in self._cache:
            pool = self.eligible(region, priority_only)
            self._cache[key] = pool[self.firms.absorptive[pool] > threshold]
        return self._cache[key]

    def sample(self, regions: np.ndarray, preferential: bool = False) -> np.ndarray:
        """One live firm per entry of ``regions`` (uniformly, or by links + 1); -1 if none."""
        order, starts, counts = self.index()
        regions = np.asarray(regions, dtype=np.int64)
        draws = self.rng.random(len(regions))
        result = np.full(len(regions), -1, dtype=np.int64)
        has = counts[regions] > 0
        if not preferential:
            offset = np.floor(draws * counts[regions]).astype(np.int64)
            result[has] = order[(starts[regions] + offset)[has]]
            return result
        edges = self.attachment_weights()
        cumulative = edges[1:]
        before = edges[starts]
        total = edges[starts + counts] - before
        target = before[regions] + draws * total[regions]
        # Binary searches for sorted targets walk the same path: much faster than random order.
        by_target = np.argsort(target)
        position = np.empty(len(target), dtype=np.int64)
        position[by_target] = np.searchsorted(cumulative, target[by_target], side="right")
        position = np.minimum(position, np.maximum(starts[regions] + counts[regions] - 1, 0))
        result[has] = order[position[has]]
        return result


class FirmLinks:
    """The links of firms as slot pairs, rebuilt when the network or any slot changes.

    ``partner_source`` / ``partner_target``: firm-firm links in both directions, sorted by
    source slot, with ``partner_count`` (firm partners per firm slot) and ``partner_start``
    (position of each slot's first partner); ``university_firm`` / ``university``: the firm
    and university slots of firm-university links.
    """

    def __init__(self, firms: FirmRows, network: CollaborationNetwork, nodes: NodeRegistry):
        self.firms, self.network, self.nodes = firms, network, nodes
        self._key: tuple | None = None
        self._links: dict[str, np.ndarray] = {}
        self.buffers = WorkBuffers()

    def current(self) -> dict[str, np.ndarray]:
        key = (self.network.version, self.nodes.epoch, self.firms.size)
        if self._key != key:
            source, target = self.network.directed()
            kind, slot = self.nodes.kind, self.nodes.slot
            from_firm = kind[source] == AgentKind.FIRM
            target_kind = kind[target]
            firm_pairs = from_firm & (target_kind == AgentKind.FIRM)
            university_pairs = from_firm & (target_kind == AgentKind.UNIVERSITY)
            partner_source = slot[source[firm_pairs]]
            partner_target = slot[target[firm_pairs]]
            if np.any(partner_source[1:] < partner_source[:-1]):
                order = np.argsort(partner_source, kind="stable")
                partner_source, partner_target = partner_source[order], partner_target[order]
            partner_count = np.bincount(partner_source, minlength=self.firms.size)
            self._links = {
                "partner_source": partner_source,
                "partner_target": partner_target,
                "partner_count": partner_count,
                "partner_start": np.cumsum(partner_count) - partner_count,
                "university_firm": slot[source[university_pairs]],
                "university": slot[target[university_pairs]],
            }
            self._key = key
        return self._links

    def learning_gains(
        self,
        knowledge: np.ndarray,
        universities: KnowledgeSources,
        partner_weight: float,
        university_weight: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Weighted knowledge gaps of firms towards their firm partners and universities.

        gain[f] = partner_weight * sum_{firm partners p} max(k_p - k_f, 0)
                  + university_weight * sum_{universities u} transfer_u * max(s_u - k_f, 0)

        Returns ``(partner_rows, partner_gains, university_rows, university_gains)``: the firm
        slots with such links and their gains (one row per slot), so that no (firms x domains)
        array of zeros is built. Both kinds of link go through one gap buffer.
        """
        links = self.current()
        me, partner = links["partner_source"], links["partner_target"]
        my_university, university = links["university_firm"], links["university"]
        firm_pairs, width = len(me), knowledge.shape[1]
        gap = self.buffers.get("link_gap", firm_pairs + len(university), width)
        partner_gap, university_gap = gap[:firm_pairs], gap[firm_pairs:]
        # mode="clip" (indices are valid anyway): with the default mode NumPy buffers ``out``.
        np.take(knowledge, partner, axis=0, out=partner_gap, mode="clip")
        own = self.buffers.get("own", firm_pairs, width)
        partner_gap -= np.take(knowledge, me, axis=0, out=own, mode="clip")
        university_gap[:] = universities.strength[university]
        university_gap -= knowledge[my_university]
        row_operation(np.maximum, gap, np.zeros(width, dtype=gap.dtype), gap)
        partner_gap *= np.float32(partner_weight)
        weight = university_weight * universities.transfer[university]
        university_gap *= weight.astype(np.float32)[:, None]
        return (*sum_runs(me, partner_gap), *sum_runs(my_university, university_gap))


def draw_partner_candidates(
    rng: np.random.Generator,
    seekers: np.ndarray,
    home: np.ndarray,
    per_seeker: int,
    directory: FirmDirectory,
    links: FirmLinks,
    reach: np.ndarray | None,
    openness: float,
    uniform_share: float,
    triadic_share: float,
) -> np.ndarray:
    """Candidate partner firms (seekers x per_seeker slots, -1 where none).

    Each candidate's destination is the seeker's ``home`` region or, with several regions and
    probability ``openness`` x its mean ``reach`` abroad, another region drawn by ``reach``
    (regions x regions, zero diagonal). The candidate is a firm of the destination drawn
    uniformly (share ``uniform_share``) or by links + 1 (preferential attachment); a share
    ``triadic_share`` of the seekers that have firm partners take instead a random partner of
    a random partner (triadic closure).
    """
    shape = (len(seekers), per_seeker)
    home = np.repeat(home, per_seeker)
    destination = home.copy()
    if reach is not None:
        abroad = openness * reach.sum(axis=1) / (len(reach) - 1)
        going = rng.random(len(home)) < abroad[home]
        if going.any():
            destination[going] = choose_per_row(rng, reach[home[going]])
    kind = rng.random(len(home))
    candidates = np.empty(len(home), dtype=np.int64)
    uniform = kind < uniform_share
    candidates[uniform] = directory.sample(destination[uniform], preferential=False)
    candidates[~uniform] = directory.sample(destination[~uniform], preferential=True)
    current = links.current()
    dst = current["partner_target"]
    firm_links, start = current["partner_count"], current["partner_start"]
    seeker_rows = np.repeat(seekers, per_seeker)
    closing = (kind >= 1.0 - triadic_share) & (firm_links[seeker_rows] > 0)
    if closing.any():
        rows = seeker_rows[closing]
        first = dst[start[rows] + (rng.random(len(rows)) * firm_links[rows]).astype(np.int64)]
        second = dst[start[first] + (rng.random(len(first)) * firm_links[first]).astype(np.int64)]
        candidates[closing] = second
    return candidates.reshape(shape)
