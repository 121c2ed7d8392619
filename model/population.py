"""Struct-of-arrays storage behind the Mesa agents.

Each agent type keeps its state in NumPy arrays, one row ("slot") per agent; the Mesa agent
object only knows its ``unique_id`` and reads its row through the model's node registry. Verbs
therefore run once per agent type and step over whole arrays instead of once per agent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import mesa.model
import numpy as np

if TYPE_CHECKING:
    from .network import CollaborationNetwork
    from .region import RegionState

__all__ = ["NodeRegistry", "Population", "RegionalActors"]

#: Arrays start with this many rows and double when full.
INITIAL_CAPACITY = 16
#: Rows are compacted when fewer than this share of them hold live agents (and there are more
#: than ``COMPACT_MIN_ROWS``): array passes then stay proportional to the live agents.
COMPACT_BELOW = 0.7
COMPACT_MIN_ROWS = 64
#: Node ids the registry has room for before it first doubles.
INITIAL_NODE_CAPACITY = 1024


class NodeRegistry:
    """Maps a Mesa ``unique_id`` (the node id in the collaboration network) to its population.

    Arrays indexed by node id: ``kind`` (index of the agent type, -1 = none), ``slot`` (row in
    that type's arrays), ``region`` and ``alive``.
    """

    def __init__(self, capacity: int = INITIAL_NODE_CAPACITY) -> None:
        self.kind = np.full(capacity, -1, dtype=np.int8)
        self.slot = np.full(capacity, -1, dtype=np.int64)
        self.region = np.full(capacity, -1, dtype=np.int32)
        self.alive = np.zeros(capacity, dtype=bool)
        self.epoch = 0  # bumped when slots move (compaction), so slot-based caches refresh

    @property
    def capacity(self) -> int:
        return len(self.kind)

    def ensure(self, highest_id: int) -> None:
        if highest_id < self.capacity:
            return
        new_capacity = max(2 * self.capacity, highest_id + 1)
        for name, fill in (("kind", -1), ("slot", -1), ("region", -1), ("alive", False)):
            old = getattr(self, name)
            grown = np.full(new_capacity, fill, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def register(self, ids: np.ndarray, kind: int, slots: np.ndarray, regions: np.ndarray) -> None:
        self.ensure(int(ids.max()))
        self.kind[ids] = kind
        self.slot[ids] = slots
        self.region[ids] = regions
        self.alive[ids] = True


class Population:
    """Rows of agent state in arrays that grow by doubling and are compacted when sparse.

    Subclasses list their per-agent fields in ``fields`` as ``name: (trailing shape, dtype)``;
    a trailing shape of ``("K",)`` means one value per knowledge domain; other named dimensions
    come from ``dims``.
    """

    fields: ClassVar[dict[str, tuple[tuple, Any]]] = {}
    kind: ClassVar[int] = -1

    def __init__(
        self,
        model: mesa.Model,
        nodes: NodeRegistry,
        domains: int,
        capacity: int = INITIAL_CAPACITY,
        dims: dict[str, int] | None = None,
    ) -> None:
        # The Mesa model registers the agent objects and keeps the clock (``model.steps``);
        # every random draw uses one of its streams: this one founds the agents, and each
        # verb (``streams.verb``) draws from a stream of its own.
        self.model = model
        self.rng: np.random.Generator = model.streams(type(self).__name__)
        self.nodes = nodes
        self.domains = domains
        self.dims = {"K": domains, **(dims or {})}
        self.size = 0
        self.uid = np.zeros(capacity, dtype=np.int64)
        self.alive = np.zeros(capacity, dtype=bool)
        self.agents: list[Any] = []
        for name, (shape, dtype) in self.fields.items():
            setattr(self, name, np.zeros((capacity, *self._shape(shape)), dtype=dtype))

    def scratch(self, name: str, dtype: type = np.float32, width: int | None = None) -> np.ndarray:
        """A reusable (size x width) work array, width K by default. Per-step passes write
        into these with ``out=`` instead of allocating: fresh multi-megabyte temporaries cost
        page faults that dominate the arithmetic itself."""
        width = self.domains if width is None else width
        buffers = self.__dict__.setdefault("_scratch", {})
        buffer = buffers.get(name)
        if (
            buffer is None
            or len(buffer) < self.size
            or buffer.dtype != dtype
            or buffer.shape[1] != width
        ):
            buffer = np.empty((self.capacity, width), dtype=dtype)
            buffers[name] = buffer
        return buffer[: self.size]

    def _shape(self, shape: tuple) -> tuple:
        return tuple(self.dims.get(dim, dim) for dim in shape)

    @property
    def capacity(self) -> int:
        return len(self.uid)

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.alive[: self.size]))

    def live(self) -> np.ndarray:
        """Boolean mask over slots ``[:size]`` of the agents still present."""
        return self.alive[: self.size]

    def in_region(self, region: int) -> np.ndarray:
        """Rows of the live agents of a region (for populations with a ``region`` field)."""
        live = self.alive[: self.size]
        return np.flatnonzero(live & (self.region[: self.size] == region))

    def _grow(self, needed: int) -> None:
        new_capacity = max(2 * self.capacity, needed)
        for name in ("uid", "alive", *self.fields):
            old = getattr(self, name)
            grown = np.zeros((new_capacity, *old.shape[1:]), dtype=old.dtype)
            grown[: self.size] = old[: self.size]
            setattr(self, name, grown)
        self.agents.extend([None] * (new_capacity - len(self.agents)))

    def append(self, agent_class: type, count: int, **values: Any) -> np.ndarray:
        """Add ``count`` agents with initial field values; returns their slots."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        if self.size + count > self.capacity:
            self._grow(self.size + count)
        if len(self.agents) < self.capacity:
            self.agents.extend([None] * (self.capacity - len(self.agents)))
        slots = np.arange(self.size, self.size + count)
        rows = slice(self.size, self.size + count)  # the same rows; a slice copies faster
        for name, value in values.items():
            getattr(self, name)[rows] = value
        self.alive[rows] = True
        self.size += count
        agents = _new_agents(self.model, agent_class, count)
        ids = np.fromiter((agent.unique_id for agent in agents), dtype=np.int64, count=count)
        self.uid[rows] = ids
        self.agents[self.size - count : self.size] = agents  # slots are contiguous
        regions = values.get("region", 0)
        self.nodes.register(ids, self.kind, slots, np.broadcast_to(regions, (count,)))
        return slots

    def remove(self, slots: np.ndarray) -> None:
        """Take agents out of the model; their rows are reclaimed by the next compaction."""
        if len(slots) == 0:
            return
        self.alive[slots] = False
        self.nodes.alive[self.uid[slots]] = False
        agents, model = self.agents, self.model
        # An agent of a class without a remove of its own, on a model where Mesa's
        # deregistration is only bookkeeping (``_bookkeeping_only``), leaves Mesa's agent sets
        # directly, as Model.deregister_agent takes it out of them (a ninth of a step at 10k
        # firms went to that method's logging and signalling); anything else gets the full
        # Agent.remove.
        plain = _bookkeeping_only(model)
        by_type, every = model.agents_by_type, model._all_agents
        for slot in slots.tolist():
            agent = agents[slot]
            kind = type(agent)
            if plain and kind.remove is mesa.Agent.remove and not kind._datasets:
                try:
                    by_type[kind].remove(agent)
                    every.remove(agent)
                except KeyError:  # already gone, as Agent.remove tolerates
                    pass
            else:
                agent.remove()
            agents[slot] = None
        if self.size > COMPACT_MIN_ROWS and self.count < COMPACT_BELOW * self.size:
            self.compact()

    def compact(self) -> None:
        """Move live rows to the front so array work stays proportional to live agents."""
        keep = np.flatnonzero(self.alive[: self.size])
        new_size = len(keep)
        for name in ("uid", "alive", *self.fields):
            array = getattr(self, name)
            array[:new_size] = array[keep]
            array[new_size : self.size] = 0
        self.agents[:new_size] = [self.agents[slot] for slot in keep.tolist()]
        self.agents[new_size : self.size] = [None] * (self.size - new_size)
        self.size = new_size
        self.nodes.slot[self.uid[:new_size]] = np.arange(new_size)
        self.nodes.epoch += 1
        self.on_compact(keep)

    def on_compact(self, kept_slots: np.ndarray) -> None:
        """Hook for subclasses holding slot-indexed state outside ``fields``."""


def _bookkeeping_only(model: mesa.Model) -> bool:
    """Whether Mesa's registration and deregistration of an agent with ``model`` does nothing
    but add it to and take it out of the model's agent sets: the model keeps Mesa's methods,
    no data set tracks agents, nobody listens to (or batches) the model's agent signals and
    Mesa's debug log is off. Mesa is pinned to 3.5, whose Model methods these are."""
    logger = getattr(mesa.model, "_mesa_logger", None)
    return (
        type(model).register_agent is mesa.Model.register_agent
        and type(model).deregister_agent is mesa.Model.deregister_agent
        and not model.data_registry.datasets
        and getattr(model, "_batch_context", True) is None
        and not any(observable == "agents" for observable, _ in model.subscribers)
        and logger is not None
        and not logger.isEnabledFor(logging.DEBUG)
    )


def _new_agents(model: mesa.Model, agent_class: type, count: int) -> list[Any]:
    """``count`` new agents of ``agent_class``, registered with ``model`` in order, as
    ``agent_class(model)`` each would: the same ids and the same agent sets. Without anything
    but bookkeeping to do (``_bookkeeping_only``, a class with Mesa's ``__init__`` and no data
    set, already registered once) they are added to the sets directly, 6x faster."""
    by_type = model.agents_by_type.get(agent_class)
    if (
        by_type is None
        or agent_class.__init__ is not mesa.Agent.__init__
        or agent_class._datasets
        or not _bookkeeping_only(model)
    ):
        # Plain construction registers each agent with the model (``Agent.__init__``), as
        # ``create_agents`` does, without building an AgentSet of the new agents.
        return [agent_class(model) for _ in range(count)]
    every = model._all_agents
    first = model.agent_id_counter
    agents = []
    for unique_id in range(first, first + count):
        agent = agent_class.__new__(agent_class)
        # The attributes Agent.__init__ sets, in its order.
        agent.model = model
        agent.unique_id = unique_id
        agent.pos = None
        every.add(agent)
        by_type.add(agent)
        agents.append(agent)
    model.agent_id_counter = first + count
    return agents


class RegionalActors(Population):
    """A population of non-firm actors (universities, citizen groups) that act on their
    regions' state and on the collaboration network, with behaviour parameters of their own."""

    def __init__(
        self,
        model: mesa.Model,
        nodes: NodeRegistry,
        *,
        domains: int,
        regions: RegionState,
        network: CollaborationNetwork,
        params: Any,
    ) -> None:
        super().__init__(model, nodes, domains)
        self.regions = regions
        self.network = network
        self.params = params
