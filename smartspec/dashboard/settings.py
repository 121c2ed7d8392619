"""What the dashboard's controls hold, and how they become a validated scenario.

Kept free of any user-interface code so that the rules the controls follow (shares that always
sum to 1, a mix that brings its own shares, every combination validated before a model is
built) are tested without a browser.
"""

from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import pandas as pd

from smartspec.model import EcosystemModel
from smartspec.scenarios import (
    ARCHETYPES,
    INSTRUMENTS,
    Scenario,
    ScenarioError,
    bundled_mixes,
    load_scenario,
    set_mix_shares,
)

__all__ = [
    "ARCHETYPES",
    "BUDGET_RANGE",
    "DASHBOARD_QUARTERS",
    "GOVERNANCE_MODELS",
    "SHARE_STEP",
    "DashboardModel",
    "DashboardSettings",
    "build_scenario",
    "mix_names",
    "rebalance_shares",
]

# A student picks one of the single-region ARCHETYPES (``europe`` has four regions, which the
# dashboard's one-region controls cannot address).
GOVERNANCE_MODELS = ("top_down", "triple_helix", "quadruple_helix")
#: Budget slider range, % of the region's GDP per year (the archetypes spend 0.05-0.3 %).
BUDGET_RANGE = (0.0, 2.0)
#: A dashboard run lasts 30 years instead of the archetypes' two programming periods, so that
#: Play rarely reaches the end and stops.
DASHBOARD_QUARTERS = 120
#: Share sliders move in steps of 0.01.
SHARE_STEP = 0.01


def mix_names() -> list[str]:
    """The bundled policy mixes, in the order ``smartspec scenarios`` lists them."""
    return [entry.name for entry in bundled_mixes()]


@cache
def _mix_table(name: str) -> dict[str, Any]:
    entry = {item.name: item for item in bundled_mixes()}.get(name)
    if entry is None:
        raise ScenarioError("dashboard", "mix", f"unknown mix '{name}' (known: {mix_names()})")
    with entry.path.open("rb") as handle:
        return tomllib.load(handle)


def _full_shares(shares: dict[str, float]) -> dict[str, float]:
    return {name: float(shares.get(name, 0.0)) for name in INSTRUMENTS}


@cache
def _archetype(name: str) -> Scenario:
    if name not in ARCHETYPES:
        raise ScenarioError("dashboard", "archetype", f"unknown archetype '{name}' ({ARCHETYPES})")
    return load_scenario(name)


def rebalance_shares(shares: dict[str, float], instrument: str, value: float) -> dict[str, float]:
    """Set one instrument's share and rescale the others so that all still sum to 1.

    The mix rule of every layer (:func:`smartspec.scenarios.set_mix_shares`): the other
    instruments keep their proportions to each other. A slider must always move, so where
    that rule refuses (every other share 0) the remainder is split equally among them.

    >>> rebalance_shares({"rd_grants": 0.5, "training": 0.5}, "rd_grants", 0.8)["training"]
    0.2
    """
    if instrument not in INSTRUMENTS:
        raise ValueError(f"unknown instrument '{instrument}'")
    value = min(max(float(value), 0.0), 1.0)
    return set_mix_shares(
        _full_shares(shares), {instrument: value}, source="dashboard", others_zero="spread"
    )


@dataclass(frozen=True)
class DashboardSettings:
    """Everything the controls set. Immutable: each control change makes a new value."""

    archetype: str = "emerging"
    mix: str = "baseline"
    compare_mix: str = "capacity_first"
    budget_percent: float = 0.3
    shares: dict[str, float] = field(default_factory=dict)
    custom_shares: bool = False
    institutional_quality: float = 0.3
    citizen_participation: float = 0.12
    governance: str = "top_down"
    seed: int = 1

    @classmethod
    def for_archetype(cls, archetype: str = "emerging", mix: str = "baseline") -> DashboardSettings:
        """The archetype's own budget, institutions and governance, with a bundled mix."""
        return cls(archetype=archetype).with_archetype(archetype).with_mix(mix)

    def with_archetype(self, archetype: str) -> DashboardSettings:
        """Switch region: its budget, institutional quality, participation and governance."""
        scenario = _archetype(archetype)
        region = scenario.regions[0]
        return replace(
            self,
            archetype=archetype,
            budget_percent=round(100.0 * region.government.budget_share, 4),
            institutional_quality=float(region.government.institutional_quality),
            citizen_participation=float(region.citizen_participation),
            governance=str(region.government.governance),
        )

    def with_mix(self, mix: str) -> DashboardSettings:
        """Take a bundled mix's shares (its first phase) and the governance it brings, if any."""
        table = _mix_table(mix)
        governance = table.get("governance", self.governance)
        return replace(
            self,
            mix=mix,
            shares=_full_shares(table["shares"]),
            custom_shares=False,
            governance=governance,
        )

    def with_share(self, instrument: str, value: float) -> DashboardSettings:
        """Move one instrument's share; the others follow so the total stays 1."""
        if abs(self.shares.get(instrument, 0.0) - value) < SHARE_STEP / 2:
            # A slider snaps a rescaled share (say 0.0493) to its step (0.05) and reports it:
            # that is display rounding, not the user's move, and must not rescale the rest.
            return self
        return replace(
            self, shares=rebalance_shares(self.shares, instrument, value), custom_shares=True
        )

    def mix_label(self) -> str:
        return f"{self.mix} (edited)" if self.custom_shares else self.mix


def _mix_override(settings: DashboardSettings, mix: str | None) -> dict[str, Any]:
    """An inline mix table. The governance control always wins over a mix's own governance,
    so that the two runs of the comparison differ only in how the budget is split."""
    if mix is None:
        table = dict(_mix_table(settings.mix))
        if settings.custom_shares:
            # Edited shares replace the whole sequence: the later phases of the mix were
            # designed for its own first phase.
            table.pop("phases", None)
        table["shares"] = {name: share for name, share in settings.shares.items() if share > 0}
        table["name"] = settings.mix_label()
    else:
        table = dict(_mix_table(mix))
    table.pop("governance", None)
    return table


def build_scenario(settings: DashboardSettings, mix: str | None = None) -> Scenario:
    """The validated scenario for the settings (``mix`` replaces the chosen mix: the
    comparison run). Raises :class:`ScenarioError` with a one-line message."""
    overrides = {
        "steps": DASHBOARD_QUARTERS,
        "mix": _mix_override(settings, mix),
        "regions.0.government.budget_share": float(settings.budget_percent) / 100.0,
        "regions.0.government.institutional_quality": float(settings.institutional_quality),
        "regions.0.government.governance": settings.governance,
        "regions.0.citizen_participation": float(settings.citizen_participation),
    }
    if settings.archetype not in ARCHETYPES:
        raise ScenarioError("dashboard", "archetype", f"unknown archetype '{settings.archetype}'")
    if not isinstance(settings.seed, int) or settings.seed < 0:
        raise ScenarioError("dashboard", "seed", "must be a whole number >= 0")
    return load_scenario(settings.archetype, overrides=overrides)


class DashboardModel(EcosystemModel):
    """The ecosystem under the dashboard's settings, with a twin run of the comparison mix.

    Both runs start from the same seed, so at step 0 they are the same region and every
    difference that follows comes from the budget split. Mesa's Reset button calls this class
    again with the session's reactive settings, hence ``settings`` may be anything with a
    ``value`` attribute holding :class:`DashboardSettings`.
    """

    def __init__(self, settings: Any = None) -> None:
        if settings is not None and not isinstance(settings, DashboardSettings):
            settings = settings.value
        self.settings: DashboardSettings = settings or DashboardSettings.for_archetype()
        super().__init__(build_scenario(self.settings), rng=self.settings.seed)
        self.twin = EcosystemModel(
            build_scenario(self.settings, mix=self.settings.compare_mix), rng=self.settings.seed
        )
        # Play steps the model in a worker thread while the browser may ask for a redraw:
        # views hold this lock so they never read a half-finished step.
        self.lock = threading.RLock()
        # Mesa counts a step before running it, so ``steps`` cannot tell a finished step.
        self.completed_steps = 0
        self._histories: tuple[int, pd.DataFrame, pd.DataFrame] | None = None
        #: What the views keep between quarters (the layouts of the network and of the
        #: knowledge space), owned by :mod:`smartspec.dashboard.views`.
        self.drawing_cache: dict[str, Any] = {}

    def histories(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Indicator tables of the chosen mix and of the comparison mix, built once per
        finished step however many views read them."""
        with self.lock:
            if self._histories is None or self._histories[0] != self.completed_steps:
                self._histories = (
                    self.completed_steps,
                    self.indicators(),
                    self.twin.indicators(),
                )
            return self._histories[1], self._histories[2]

    def step(self) -> None:
        with self.lock:
            super().step()
            self.twin.step()
            self.completed_steps += 1
