"""Named random streams (model/streams.py): each use of randomness has a child generator of
its own, so that a parameter changing how many numbers one draw takes leaves the others."""

from __future__ import annotations

import numpy as np

from smartspec import EcosystemModel
from smartspec.model.streams import Streams, verb


def test_a_stream_depends_on_the_root_and_its_name_not_on_the_order_asked():
    first, second = Streams(7), Streams(7)
    a = first("firms.learn").random(5)
    second("citizens.found").random(3)  # another stream used first
    np.testing.assert_array_equal(second("firms.learn").random(5), a)
    assert not np.array_equal(Streams(8)("firms.learn").random(5), a)
    assert not np.array_equal(Streams(7)("firms.innovate").random(5), a)


def test_streams_rooted_in_a_generator_follow_its_seed():
    def draws(seed: int) -> np.ndarray:
        return Streams.from_generator(np.random.default_rng(seed))("x").random(4)

    np.testing.assert_array_equal(draws(3), draws(3))
    assert not np.array_equal(draws(3), draws(4))


class _Owner:
    def __init__(self) -> None:
        self.model = type("Model", (), {"streams": Streams(1)})()
        self.rng = np.random.default_rng(0)

    @verb
    def act(self) -> float:
        return float(self.rng.random())


def test_a_verb_draws_from_its_own_stream_and_restores_the_population_stream():
    owner = _Owner()
    outer = owner.rng
    value = owner.act()
    assert owner.rng is outer
    assert value == Streams(1)("_Owner.act").random()


def test_a_draw_whose_size_depends_on_a_parameter_leaves_the_other_streams_in_step():
    """The citizens' Dirichlet draw of needs takes more or fewer numbers with needs_spread (by
    rejection); the firms, founded from their own stream, are the same at both ends."""

    def founded(spread: float) -> EcosystemModel:
        return EcosystemModel(
            "emerging",
            rng=5,
            **{"initial.burn_in": 0, "regions.0.firms": 200, "citizens.needs_spread": spread},
        )

    low, high = founded(0.25), founded(0.75)
    n = low.firms.size
    assert high.firms.size == n
    np.testing.assert_array_equal(low.firms.employees[:n], high.firms.employees[:n])
    np.testing.assert_array_equal(low.firms.knowledge[:n], high.firms.knowledge[:n])
    # The network warm-up and the innovation history draw after the citizens are founded.
    np.testing.assert_array_equal(low.network.u, high.network.u)
    np.testing.assert_array_equal(low.firms.last_innovation[:n], high.firms.last_innovation[:n])
    assert not np.array_equal(
        low.citizens.needs[: low.citizens.size], high.citizens.needs[: high.citizens.size]
    )
