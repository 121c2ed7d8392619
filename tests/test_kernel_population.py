"""Direct tests of the struct-of-arrays storage (``smartspec.model.population``): a tiny
population of "widgets" on a bare Mesa model, so that nothing of the ecosystem model is
involved."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.model.population import NodeRegistry, Population, _bookkeeping_only
from smartspec.model.streams import Streams

DOMAINS = 3


class Widget(mesa.Agent):
    pass


class RemovableWidget(mesa.Agent):
    """An agent with its own ``remove``: the population must call it, not bypass it."""

    removed: list[int] = []

    def remove(self) -> None:
        RemovableWidget.removed.append(self.unique_id)
        super().remove()


class Widgets(Population):
    kind = 2
    fields = {
        "region": ((), np.int32),
        "weight": ((), np.float64),
        "stock": (("K",), np.float32),
        "history": (("H",), np.int64),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.compactions: list[np.ndarray] = []

    def on_compact(self, kept_slots: np.ndarray) -> None:
        self.compactions.append(kept_slots.copy())


class BareModel(mesa.Model):
    """What a population needs of its model: Mesa's agent registry, a node registry and
    random streams."""

    def __init__(self, capacity: int = 4, registry_capacity: int = 8) -> None:
        super().__init__(rng=0)
        self.streams = Streams.from_generator(self.rng)
        self.nodes = NodeRegistry(registry_capacity)
        self.widgets = Widgets(self, self.nodes, DOMAINS, capacity=capacity, dims={"H": 2})


def add_widgets(model: BareModel, count: int, first_weight: float = 0.0, region=1) -> np.ndarray:
    """Append ``count`` widgets whose weight is a running number (to recognise rows later)."""
    weight = first_weight + np.arange(count, dtype=np.float64)
    stock = np.repeat(weight[:, None], DOMAINS, axis=1)
    return model.widgets.append(Widget, count, region=region, weight=weight, stock=stock)


def check_consistency(model: BareModel) -> None:
    """The invariants tying rows, Mesa agents and the node registry together."""
    widgets, nodes = model.widgets, model.nodes
    live = np.flatnonzero(widgets.live())
    live_ids = widgets.uid[live]
    assert widgets.count == len(live)
    assert np.array_equal(nodes.slot[live_ids], live)
    assert np.all(nodes.kind[live_ids] == Widgets.kind)
    assert np.array_equal(nodes.region[live_ids], widgets.region[live])
    assert set(np.flatnonzero(nodes.alive).tolist()) == set(live_ids.tolist())
    assert len(widgets.agents) >= widgets.size
    for slot in range(widgets.size):
        agent = widgets.agents[slot]
        if widgets.alive[slot]:
            assert agent.unique_id == widgets.uid[slot]
        else:
            assert agent is None
    assert {agent.unique_id for agent in model.agents} == set(live_ids.tolist())


# ----------------------------------------------------------------------- construction
def test_fields_get_their_trailing_shapes_and_dtypes():
    widgets = BareModel(capacity=5).widgets
    assert widgets.capacity == 5
    assert widgets.size == 0
    assert widgets.region.shape == (5,) and widgets.region.dtype == np.int32
    assert widgets.stock.shape == (5, DOMAINS) and widgets.stock.dtype == np.float32
    assert widgets.history.shape == (5, 2) and widgets.history.dtype == np.int64
    assert widgets.count == 0


# ----------------------------------------------------------------------------- append
def test_append_fills_rows_creates_agents_and_registers_them():
    model = BareModel(capacity=8)
    slots = add_widgets(model, 3, first_weight=10.0, region=np.array([0, 4, 2]))
    widgets, nodes = model.widgets, model.nodes
    assert slots.tolist() == [0, 1, 2]
    assert widgets.size == 3
    assert widgets.weight[:3].tolist() == [10.0, 11.0, 12.0]
    assert widgets.stock[1].tolist() == [11.0] * DOMAINS
    assert widgets.region[:3].tolist() == [0, 4, 2]
    assert widgets.live().tolist() == [True] * 3
    assert [agent.unique_id for agent in widgets.agents[:3]] == widgets.uid[:3].tolist()
    assert all(type(agent) is Widget for agent in widgets.agents[:3])
    ids = widgets.uid[:3]
    assert nodes.slot[ids].tolist() == [0, 1, 2]
    assert nodes.region[ids].tolist() == [0, 4, 2]
    # Fields not given start at zero.
    assert not widgets.history[:3].any()
    check_consistency(model)


def test_append_of_nothing_returns_no_slots():
    model = BareModel()
    assert len(model.widgets.append(Widget, 0)) == 0
    assert model.widgets.size == 0
    assert len(model.agents) == 0


def test_append_grows_by_doubling_and_keeps_existing_rows():
    model = BareModel(capacity=4)
    widgets = model.widgets
    add_widgets(model, 3)
    ids = widgets.uid[:3].copy()
    add_widgets(model, 2, first_weight=3.0)  # 5 rows > 4: double to 8
    assert widgets.capacity == 8
    add_widgets(model, 3, first_weight=5.0)  # exactly full: no growth
    assert widgets.capacity == 8
    add_widgets(model, 20, first_weight=8.0)  # 28 rows > 16: grow to what is needed
    assert widgets.capacity == 28
    assert widgets.size == 28
    assert widgets.weight[:28].tolist() == list(range(28))
    assert widgets.stock[:28, 0].tolist() == list(range(28))
    assert np.array_equal(widgets.uid[:3], ids)
    assert all(array.shape[0] == 28 for array in (widgets.uid, widgets.alive, widgets.history))
    check_consistency(model)


def test_node_registry_grows_to_hold_new_ids():
    nodes = NodeRegistry(capacity=4)
    nodes.register(np.array([1, 2]), kind=3, slots=np.array([0, 1]), regions=np.array([5, 6]))
    nodes.register(np.array([10]), kind=1, slots=np.array([7]), regions=np.array([2]))
    assert nodes.capacity == 11  # double 4 is too few for id 10
    assert nodes.kind[[1, 2, 10]].tolist() == [3, 3, 1]
    assert nodes.slot[[1, 2, 10]].tolist() == [0, 1, 7]
    assert nodes.region[[1, 2, 10]].tolist() == [5, 6, 2]
    assert nodes.alive.tolist() == [i in (1, 2, 10) for i in range(11)]
    # Unregistered ids read as "nobody".
    assert nodes.kind[[0, 3, 9]].tolist() == [-1, -1, -1]
    assert nodes.slot[[0, 3, 9]].tolist() == [-1, -1, -1]
    nodes.ensure(20)
    assert nodes.capacity == 22
    assert nodes.slot[10] == 7


# ----------------------------------------------------------------------------- remove
def test_remove_marks_rows_dead_and_deregisters_the_agents():
    model = BareModel(capacity=8)
    add_widgets(model, 6)
    widgets = model.widgets
    gone = widgets.uid[[1, 4]].tolist()
    widgets.remove(np.array([1, 4]))
    assert widgets.live().tolist() == [True, False, True, True, False, True]
    assert widgets.count == 4
    assert widgets.size == 6  # small populations are never compacted
    assert not model.nodes.alive[gone].any()
    assert widgets.agents[1] is None and widgets.agents[4] is None
    assert not {agent.unique_id for agent in model.agents} & set(gone)
    check_consistency(model)
    widgets.remove(np.array([], dtype=np.int64))
    assert widgets.count == 4


def test_remove_calls_an_agent_class_own_remove():
    model = BareModel(capacity=4)
    slots = model.widgets.append(RemovableWidget, 2)
    target = int(model.widgets.uid[slots[1]])
    RemovableWidget.removed.clear()
    model.widgets.remove(slots[1:])
    assert RemovableWidget.removed == [target]
    check_consistency(model)


def test_remove_tolerates_an_agent_mesa_no_longer_knows():
    model = BareModel(capacity=4)
    add_widgets(model, 2)
    model.deregister_agent(model.widgets.agents[0])
    model.widgets.remove(np.array([0]))
    assert model.widgets.count == 1


def _mesa_state(model: mesa.Model) -> tuple:
    """Mesa's agent registry of ``model``: the id counter, every agent's id and each type's
    agents' ids, in registration order."""
    return (
        model.agent_id_counter,
        [agent.unique_id for agent in model.agents],
        {kind.__name__: [agent.unique_id for agent in agents]
         for kind, agents in model.agents_by_type.items()},
    )  # fmt: skip


def test_direct_registration_leaves_mesa_as_agent_init_and_deregister_would():
    fast, reference = BareModel(capacity=4), BareModel(capacity=4)
    for model in (fast, reference):
        add_widgets(model, 3)
        model.widgets.remove(np.array([1]))
    # The reference goes through Mesa's own methods only: a listener to the model's agent
    # signals (which the direct path must notify, so it steps aside) that ignores them.
    heard = []

    def listen(signal) -> None:  # held here: Mesa keeps only a weak reference
        heard.append(signal)

    reference.observe("agents", "agent_added", listen)
    reference.observe("agents", "agent_removed", listen)
    assert _bookkeeping_only(fast) and not _bookkeeping_only(reference)
    for model in (fast, reference):
        add_widgets(model, 5, first_weight=3.0)
        model.widgets.remove(np.array([0, 4, 6]))
        add_widgets(model, 2, first_weight=8.0)
        check_consistency(model)
        assert all(agent.model is model and agent.pos is None for agent in model.agents)
    assert len(heard) == 7 + 3
    assert _mesa_state(fast) == _mesa_state(reference)
    # The agents themselves carry what Agent.__init__ gives them, nothing less or more.
    for fast_agent, reference_agent in zip(fast.agents, reference.agents, strict=True):
        assert vars(fast_agent).keys() == vars(reference_agent).keys()
        assert fast_agent.unique_id == reference_agent.unique_id


def test_agent_signals_reach_listeners():
    model = BareModel(capacity=4)
    add_widgets(model, 1)
    added, removed = [], []

    # Held here: Mesa keeps only weak references to its listeners.
    def on_added(signal) -> None:
        added.append(signal)

    def on_removed(signal) -> None:
        removed.append(signal)

    model.observe("agents", "agent_added", on_added)
    model.observe("agents", "agent_removed", on_removed)
    add_widgets(model, 2)
    model.widgets.remove(np.array([0, 2]))
    assert len(added) == 2 and len(removed) == 2


# ------------------------------------------------------------------------- compaction
def test_no_compaction_while_at_least_70_percent_are_live():
    model = BareModel(capacity=100)
    add_widgets(model, 100)
    model.widgets.remove(np.arange(0, 60, 2))  # 70 of 100 live: 70 is not below 70 %
    assert model.widgets.size == 100
    assert model.widgets.compactions == []
    check_consistency(model)


def test_compaction_below_70_percent_moves_live_rows_to_the_front():
    model = BareModel(capacity=100)
    add_widgets(model, 100)
    widgets, nodes = model.widgets, model.nodes
    widgets.history[:100] = np.arange(200).reshape(100, 2)
    widgets.remove(np.arange(0, 60, 2))
    survivors = np.flatnonzero(widgets.live()).tolist()
    ids = widgets.uid[survivors].copy()
    agents = [widgets.agents[slot] for slot in survivors]
    epoch = nodes.epoch

    widgets.remove(np.array([99]))  # 69 of 100 live: compact
    survivors.remove(99)
    ids = ids[:-1]
    agents = agents[:-1]

    assert widgets.size == widgets.count == 69
    assert widgets.live().all()
    # Live rows keep their order and move with all their fields.
    assert widgets.weight[:69].tolist() == [float(slot) for slot in survivors]
    assert widgets.stock[:69, 2].tolist() == [float(slot) for slot in survivors]
    assert widgets.history[:69, 1].tolist() == [2 * slot + 1 for slot in survivors]
    assert np.array_equal(widgets.uid[:69], ids)
    assert widgets.agents[:69] == agents
    # The vacated rows are cleared.
    assert not widgets.weight[69:100].any()
    assert not widgets.alive[69:100].any()
    assert all(agent is None for agent in widgets.agents[69:100])
    assert np.array_equal(nodes.slot[ids], np.arange(69))
    assert nodes.epoch == epoch + 1
    assert len(widgets.compactions) == 1
    assert widgets.compactions[0].tolist() == survivors
    check_consistency(model)


def test_appending_after_compaction_uses_the_freed_rows():
    model = BareModel(capacity=100)
    add_widgets(model, 100)
    model.widgets.remove(np.arange(40))
    assert model.widgets.size == 60
    slots = add_widgets(model, 5, first_weight=500.0)
    assert slots.tolist() == [60, 61, 62, 63, 64]
    assert model.widgets.capacity == 100
    check_consistency(model)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("append"), st.integers(1, 40)),
            st.tuples(st.just("remove"), st.sets(st.integers(0, 200), max_size=40)),
            st.tuples(st.just("compact"), st.none()),
        ),
        max_size=25,
    )
)
def test_rows_stay_tied_to_their_agents_through_growth_removal_and_compaction(operations):
    model = BareModel(capacity=2)
    widgets = model.widgets
    expected: dict[int, float] = {}  # uid -> the weight it was created with
    next_weight = 0.0
    for operation, argument in operations:
        if operation == "append":
            slots = add_widgets(model, argument, first_weight=next_weight)
            next_weight += argument
            created = zip(widgets.uid[slots].tolist(), widgets.weight[slots].tolist(), strict=True)
            expected.update(created)
        elif operation == "remove":
            slots = np.array(sorted(argument), dtype=np.int64)
            slots = slots[slots < widgets.size]
            slots = slots[widgets.alive[slots]]
            for uid in widgets.uid[slots].tolist():
                del expected[uid]
            widgets.remove(slots)
        else:
            widgets.compact()
        check_consistency(model)
        live = np.flatnonzero(widgets.live())
        present = zip(widgets.uid[live].tolist(), widgets.weight[live].tolist(), strict=True)
        assert dict(present) == expected
        assert np.array_equal(widgets.stock[live, 1], widgets.weight[live])


# ---------------------------------------------------------------------------- scratch
def test_scratch_buffers_are_reused_while_they_fit():
    model = BareModel(capacity=4)
    widgets = model.widgets
    add_widgets(model, 3)
    first = widgets.scratch("work")
    assert first.shape == (3, DOMAINS) and first.dtype == np.float32
    first[:] = 7.0
    again = widgets.scratch("work")
    assert np.shares_memory(first, again)
    assert np.all(again == 7.0)  # reused as is: callers overwrite it
    # Other names, dtypes and widths are separate buffers.
    assert not np.shares_memory(first, widgets.scratch("other"))
    wide = widgets.scratch("work", np.float64, width=5)
    assert wide.shape == (3, 5) and wide.dtype == np.float64
    assert not np.shares_memory(first, wide)


def test_scratch_follows_the_population_size():
    model = BareModel(capacity=4)
    widgets = model.widgets
    add_widgets(model, 2)
    small = widgets.scratch("work")
    add_widgets(model, 1)
    assert widgets.scratch("work").shape == (3, DOMAINS)
    assert np.shares_memory(small, widgets.scratch("work"))  # still fits the capacity
    add_widgets(model, 10)  # growth: the old buffer is too short
    grown = widgets.scratch("work")
    assert grown.shape == (13, DOMAINS)
    assert not np.shares_memory(small, grown)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, bool])
def test_scratch_of_each_dtype(dtype):
    model = BareModel(capacity=4)
    add_widgets(model, 4)
    buffer = model.widgets.scratch(f"work-{np.dtype(dtype).name}", dtype, width=2)
    assert buffer.shape == (4, 2)
    assert buffer.dtype == dtype
