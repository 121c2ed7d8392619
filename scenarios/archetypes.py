"""The region archetypes and the Regional Innovation Scoreboard groups they stand for.

One place for the archetype list and the RIS group thresholds (../shared targets T1, T2):
studies, analysis, the dashboard and calibration all read them from here. The population of the
Community Innovation Survey (T12-T14) is defined here too, so that the model measures its
CIS-like shares (``model/cis.py``) the way the survey counts.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ARCHETYPES",
    "CIS_MIN_EMPLOYEES",
    "CIS_YEARS",
    "RIS_GROUPS",
    "RisGroup",
    "next_group_threshold",
    "ris_group",
]


@dataclass(frozen=True)
class RisGroup:
    """A RIS 2023 performance group: its archetype, index band (EU average = 100) and how
    many of the 239 regions it held."""

    name: str
    archetype: str
    low: float
    high: float
    regions: int


#: RIS 2023 groups, weakest first (European Commission, Regional Innovation Scoreboard 2023).
RIS_GROUPS: tuple[RisGroup, ...] = (
    RisGroup("Emerging Innovators", "emerging", 0.0, 70.0, 64),
    RisGroup("Moderate Innovators", "moderate", 70.0, 100.0, 69),
    RisGroup("Strong Innovators", "strong", 100.0, 125.0, 70),
    RisGroup("Innovation Leaders", "leader", 125.0, float("inf"), 36),
)

#: The Community Innovation Survey counts enterprises with at least this many employees ...
CIS_MIN_EMPLOYEES = 10
#: ... with any innovation activity over a reference period of this many years (Eurostat CIS).
CIS_YEARS = 3

#: The bundled single-region archetypes, weakest first.
ARCHETYPES: tuple[str, ...] = tuple(group.archetype for group in RIS_GROUPS)


def ris_group(index: float) -> RisGroup:
    """The RIS group of a composite index value."""
    for group in RIS_GROUPS:
        if index < group.high:
            return group
    return RIS_GROUPS[-1]


def next_group_threshold(archetype: str) -> float | None:
    """The index at which a region of ``archetype`` reaches the next group (None for leaders)."""
    for group in RIS_GROUPS:
        if group.archetype == archetype:
            return None if group.high == float("inf") else group.high
    raise KeyError(archetype)
