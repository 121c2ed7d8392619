"""What every part of the model shares: agent kinds, numeric conventions, and the views one
agent type has of another.

The views are :class:`typing.Protocol` classes, so that a population can read another
population's arrays without importing its module: imports inside ``model/`` point one way,
from the model (``model.py``) down to the agent populations and from them down to the kernels
(``vector``, ``network``, ``metrics``, ``knowledge``, ``population``, ``portfolio``,
``partnering``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Protocol

import numpy as np

__all__ = [
    "ABSORPTIVE_MARGIN",
    "DENSITY_FLOOR",
    "EPSILON",
    "NEVER",
    "QUARTERS_PER_YEAR",
    "TINY",
    "AgentKind",
    "KnowledgeSources",
    "Policy",
]

#: One step is a quarter.
QUARTERS_PER_YEAR = 4
#: Guards divisions and weights against zero (far below any meaningful value).
EPSILON = 1e-12
#: A tiny positive amount that keeps a weight or a spread non-zero where a zero would make a
#: draw undefined (still negligible against any real value).
TINY = 1e-9
#: Absorptive capacity stays within [margin, 1 - margin] (and the mean a new firm's capacity is
#: drawn around within [2 margin, 1 - 2 margin]): a guard that keeps the beta draw defined and
#: capacity off the 0 and 1 where learning would stop or be total, not a behavioural coefficient
#: (as a scenario field it changed no output over its range; docs/validation.md).
ABSORPTIVE_MARGIN = 0.01
#: Added to relatedness density when weighting candidate domains (diversifying firms,
#: wandering entrants): keeps a domain with no related knowledge at all drawable (0 ** exponent
#: would be 0) and a row of weights non-zero. A guard, not a coefficient: unrelated moves are
#: firm.radical_share's (as a scenario field it changed no output over its range;
#: docs/validation.md).
DENSITY_FLOOR = 1e-6
#: ``last_innovation`` of a firm that never innovated: far in the past.
NEVER = -10_000


class AgentKind(IntEnum):
    """Agent types, as stored in the node registry (``NodeRegistry.kind``)."""

    FIRM = 0
    UNIVERSITY = 1
    GOVERNMENT = 2
    CITIZEN = 3


class Policy(Protocol):
    """The governments' per-region policy state (row r = region r), as other agents see it."""

    priorities: np.ndarray  # regions x domains, bool
    quality: np.ndarray  # institutional quality per region
    governance: np.ndarray  # index into list(Governance) per region


class KnowledgeSources(Protocol):
    """The universities' arrays that firms learn from."""

    strength: np.ndarray  # universities x domains
    transfer: np.ndarray  # technology-transfer capacity per university
