"""The Mesa agents: one class per agent type, each a thin view of one row of its population.

Agent state lives in the populations' arrays (``Firms``, ``Universities``, ``Governments``,
``CitizenGroups``), which is why the model is fast: verbs run once per step over whole arrays.
An agent object knows only its ``unique_id``; its properties read its row through the model's
node registry. These classes are what ``model.agents_by_type`` holds.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from smartspec.scenarios.schema import Governance

__all__ = ["CitizenGroup", "Firm", "Government", "University"]


class Firm(mesa.Agent):
    """A firm. Its state is one row of :class:`Firms`; these properties read that row.

    Behaviour runs vectorised for all firms at once in :meth:`Firms.step`, whose verbs are
    documented in docs/ODD.md §7.1.
    """

    @property
    def _row(self) -> int:
        return int(self.model.nodes.slot[self.unique_id])

    def _get(self, name: str) -> Any:
        return getattr(self.model.firms, name)[self._row]

    @property
    def region(self) -> int:
        return int(self._get("region"))

    @property
    def knowledge(self) -> np.ndarray:
        return self._get("knowledge").copy()

    @property
    def portfolio(self) -> list[str]:
        names = self.model.knowledge.names
        return [names[d] for d in np.flatnonzero(self._get("portfolio"))]

    @property
    def employees(self) -> float:
        return float(self._get("employees"))

    @property
    def capital(self) -> float:
        return float(self._get("capital"))

    @property
    def absorptive_capacity(self) -> float:
        return float(self._get("absorptive"))

    @property
    def rd_spend(self) -> float:
        return float(self._get("rd_spend"))

    @property
    def innovations(self) -> int:
        return int(self._get("innovations"))


class University(mesa.Agent):
    """A university; its state is one row of :class:`Universities`."""

    @property
    def _row(self) -> int:
        return int(self.model.nodes.slot[self.unique_id])

    @property
    def region(self) -> int:
        return int(self.model.universities.region[self._row])

    @property
    def strength(self) -> np.ndarray:
        return self.model.universities.strength[self._row].copy()

    @property
    def tech_transfer(self) -> float:
        return float(self.model.universities.transfer[self._row])


class Government(mesa.Agent):
    """A region's S3 managing authority; its state is one row of :class:`Governments`."""

    @property
    def _row(self) -> int:
        return int(self.model.nodes.slot[self.unique_id])

    @property
    def region(self) -> int:
        return int(self.model.governments.region[self._row])

    @property
    def institutional_quality(self) -> float:
        return float(self.model.governments.quality[self._row])

    @property
    def priorities(self) -> list[str]:
        names = self.model.knowledge.names
        return [names[d] for d in np.flatnonzero(self.model.governments.priorities[self._row])]

    @property
    def governance(self) -> str:
        return list(Governance)[int(self.model.governments.governance[self._row])].value


class CitizenGroup(mesa.Agent):
    """A citizen or user group; its state is one row of :class:`CitizenGroups`."""

    @property
    def _row(self) -> int:
        return int(self.model.nodes.slot[self.unique_id])

    @property
    def region(self) -> int:
        return int(self.model.citizens.region[self._row])

    @property
    def needs(self) -> np.ndarray:
        return self.model.citizens.needs[self._row].copy()

    @property
    def participation(self) -> float:
        return float(self.model.citizens.participation[self._row])

    @property
    def trust(self) -> float:
        return float(self.model.citizens.trust[self._row])

    @property
    def social_innovations(self) -> int:
        return int(self.model.citizens.social_innovations[self._row])
