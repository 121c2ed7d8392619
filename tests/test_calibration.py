"""The bundled archetypes start in their RIS bands and stay plausible without policy change."""

from __future__ import annotations

import pandas as pd
import pytest

from smartspec import EcosystemModel
from smartspec.model import INDEX_COMPONENTS

BANDS = {
    "emerging": (0, 70),
    "moderate": (70, 100),
    "strong": (100, 125),
    "leader": (125, 250),
}
SEEDS = (11, 12, 13)


@pytest.fixture(scope="module")
def trajectories() -> dict[str, pd.DataFrame]:
    frames = {}
    for name in BANDS:
        runs = []
        for seed in SEEDS:
            model = EcosystemModel(name, rng=seed)
            model.run_for(model.spec.steps)
            runs.append(model.indicators().assign(seed=seed))
        frames[name] = pd.concat(runs)
    return frames


@pytest.mark.parametrize("name", list(BANDS))
def test_archetype_starts_inside_its_ris_band(trajectories, name):
    low, high = BANDS[name]
    start = trajectories[name].query("step == 0")["innovation_index"]
    assert (start > low).all() and (start < high).all(), start.tolist()


@pytest.mark.parametrize("name", list(BANDS))
def test_archetype_stays_plausible_under_its_baseline(trajectories, name):
    low, high = BANDS[name]
    path = trajectories[name].groupby("step")["innovation_index"].mean()
    # Baseline S3 policy may move a region, but not out of reach of its group in 14 years.
    assert path.min() > low - 15 and path.max() < high + 15
    firms = trajectories[name].groupby("step")["firms"].mean()
    assert 0.75 < firms.iloc[-1] / firms.iloc[0] < 1.35
    knowledge = trajectories[name].groupby("step")["knowledge_per_firm"].mean()
    assert 0.6 < knowledge.iloc[-1] / knowledge.iloc[0] < 1.5


def test_archetypes_keep_their_order(trajectories):
    means = pd.DataFrame(
        {
            name: frame.groupby("step")["innovation_index"].mean()
            for name, frame in trajectories.items()
        }
    )
    assert (means["emerging"] < means["moderate"]).all()
    assert (means["moderate"] < means["strong"]).all()
    assert (means["strong"] < means["leader"]).all()


def test_index_references_match_moderate_and_strong_after_one_year():
    """INDEX_COMPONENTS were derived from the archetypes; this fails if defaults drift."""
    values = []
    for name in ("moderate", "strong"):
        for seed in (1, 2):
            model = EcosystemModel(name, rng=seed)
            model.run_for(4)
            values.append(model.indicators().iloc[-1])
    frame = pd.DataFrame(values)
    for component, reference in INDEX_COMPONENTS.items():
        assert frame[component].mean() == pytest.approx(reference, rel=0.15), component
