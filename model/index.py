"""The composite innovation index, built like the Regional Innovation Scoreboard's (T5).

Components are annual values (the mean of the last four quarters), the skewed one by its
square root; each is min-max normalised against bounds fixed in a base year, the scores are
averaged, and the mean is expressed as a percentage of the RIS-region-weighted base-year mean
of the four archetypes (T1), so that 100 plays the role of the EU average and T2's thresholds
are the group bands. The bounds and reference are derived by ``tools/index_reference.py`` and
do not move with a simulation. Formulas: docs/ODD.md §7.8.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from .index_reference import INDEX_BOUNDS, INDEX_REFERENCE

__all__ = [
    "INDEX_COMPONENTS",
    "INDEX_COMPONENT_NAMES",
    "INDEX_SCALE",
    "INDEX_SQRT_COMPONENTS",
    "annual_inputs",
    "grant_points",
    "index_contributions",
    "index_scale_value",
    "innovation_index",
    "year_contributions",
    "year_index",
    "year_values",
]

#: Components of the composite innovation index, each an indicator with a Regional Innovation
#: Scoreboard counterpart (T5): business R&D expenditure, SMEs introducing innovations,
#: population with tertiary education, innovative SMEs collaborating with others. Knowledge per
#: firm, a model-internal stock without a measured counterpart, is left out.
INDEX_COMPONENT_NAMES: tuple[str, ...] = (
    "rd_intensity",
    "innovating_share",
    "human_capital",
    "partnership_share",
)
#: Component -> (lower, upper) bound of its min-max normalisation, fixed in the base year.
INDEX_COMPONENTS: dict[str, tuple[float, float]] = {
    name: INDEX_BOUNDS[name] for name in INDEX_COMPONENT_NAMES
}
#: Components whose spread across regions is skewed enter by their square root, as the RIS
#: reduces skew before normalising (T5): regional R&D intensity spans 0.1 % to 6.8 % of GDP.
INDEX_SQRT_COMPONENTS: frozenset[str] = frozenset({"rd_intensity"})
#: The index of a region whose mean score equals the reference.
INDEX_SCALE = 100.0


def index_scale_value(name: str, values: np.ndarray) -> np.ndarray:
    """A component on the scale it is normalised on (square root for skewed components)."""
    values = np.asarray(values, dtype=np.float64)
    return np.sqrt(np.maximum(values, 0.0)) if name in INDEX_SQRT_COMPONENTS else values


def index_contributions(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each component's part of the composite index (the parts sum to the index).

    Part_c = 100 x (x_c - low_c) / (high_c - low_c) / (K x reference), with x_c the annual value
    (its square root for skewed components): a min-max score against
    bounds fixed in the base year, averaged over the K components, relative to the
    RIS-weighted base-year mean of the archetypes (docs/ODD.md §7.8). The index is linear in
    each component, so a difference of index splits exactly into differences of parts.
    """
    count = len(INDEX_COMPONENTS)
    return {
        name: INDEX_SCALE
        * (index_scale_value(name, values[name]) - low)
        / (high - low)
        / (count * INDEX_REFERENCE)
        for name, (low, high) in INDEX_COMPONENTS.items()
    }


def innovation_index(values: dict[str, np.ndarray]) -> np.ndarray:
    """RIS-style composite: the mean min-max score of the components against bounds fixed in
    the base year, as a percentage of the base-year reference (see :func:`index_contributions`).
    """
    return _summed(index_contributions(values))


def _summed(parts: dict[str, np.ndarray]) -> np.ndarray:
    """The index from its parts (they sum to it)."""
    return np.sum(list(parts.values()), axis=0)


class _Measured(Protocol):
    """What the annual index values read of a step's ``Measures``."""

    cache: dict[str, Any]
    previous_components: list[np.ndarray]

    def value(self, name: str) -> Any: ...


#: The annual inputs of the index: its components, then the grant-funded R&D intensity.
_ANNUAL = (*INDEX_COMPONENT_NAMES, "rd_intensity_grants")


def annual_inputs(measures: _Measured) -> np.ndarray:
    """This quarter's index components and grant-funded R&D intensity, regions x columns."""
    return np.stack([measures.value(name) for name in _ANNUAL], axis=1)


def year_values(measures: _Measured) -> dict[str, np.ndarray]:
    """The index inputs as annual values, like the Scoreboard's yearly data: the mean of this
    quarter and the three before it (fewer at the very start)."""
    if "_year" not in measures.cache:
        year = np.mean([*measures.previous_components, annual_inputs(measures)], axis=0)
        measures.cache["_year"] = {name: year[:, k] for k, name in enumerate(_ANNUAL)}
    return measures.cache["_year"]


def year_contributions(measures: _Measured) -> dict[str, np.ndarray]:
    """:func:`index_contributions` of :func:`year_values`, computed once per step for the
    index, its parts and the grant points."""
    if "_parts" not in measures.cache:
        measures.cache["_parts"] = index_contributions(year_values(measures))
    return measures.cache["_parts"]


def year_index(measures: _Measured) -> np.ndarray:
    """:func:`innovation_index` of :func:`year_values`, from the parts computed once."""
    return _summed(year_contributions(measures))


def grant_points(measures: _Measured) -> np.ndarray:
    """Index points that grant money counts for directly: the R&D part minus what it would be
    if business R&D excluded the grant money firms spent."""
    year = year_values(measures)
    own = np.maximum(year["rd_intensity"] - year["rd_intensity_grants"], 0.0)
    with_grants = year_contributions(measures)["rd_intensity"]
    return with_grants - index_contributions({**year, "rd_intensity": own})["rd_intensity"]
