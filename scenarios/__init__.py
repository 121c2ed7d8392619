"""Scenario files: region archetypes, policy mixes, their schema and validation."""

from .loader import (
    BundledEntry,
    ScenarioError,
    apply_overrides,
    bundled_mixes,
    bundled_scenarios,
    load_scenario,
    parse_override,
    read_proximity_csv,
)
from .schema import INSTRUMENTS, Governance, PolicyMix, Region, Scenario

__all__ = [
    "INSTRUMENTS",
    "BundledEntry",
    "Governance",
    "PolicyMix",
    "Region",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "bundled_mixes",
    "bundled_scenarios",
    "load_scenario",
    "parse_override",
    "read_proximity_csv",
]
