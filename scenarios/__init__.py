"""Scenario files: region archetypes, policy mixes, their schema and validation.

The bottom layer of SmartSpec: it imports nothing from the model or the layers above, and
importing it loads neither Mesa nor the model.
"""

from .archetypes import ARCHETYPES, RIS_GROUPS, RisGroup, next_group_threshold, ris_group
from .errors import OptionError, ScenarioError, SmartSpecError
from .loader import (
    BundledEntry,
    apply_overrides,
    bundled_mixes,
    bundled_scenarios,
    describe_mix,
    describe_scenario,
    load_scenario,
    mix_table,
    parse_override,
    read_proximity_csv,
    read_toml,
    revise_scenario,
    validation_message,
)
from .schema import INSTRUMENTS, Governance, PolicyMix, Region, Scenario
from .shares import is_share_path, normalise_share_weights, set_mix_shares, split_share_overrides

__all__ = [
    "ARCHETYPES",
    "INSTRUMENTS",
    "RIS_GROUPS",
    "BundledEntry",
    "Governance",
    "OptionError",
    "PolicyMix",
    "Region",
    "RisGroup",
    "Scenario",
    "ScenarioError",
    "SmartSpecError",
    "apply_overrides",
    "bundled_mixes",
    "bundled_scenarios",
    "describe_mix",
    "describe_scenario",
    "is_share_path",
    "load_scenario",
    "mix_table",
    "next_group_threshold",
    "normalise_share_weights",
    "parse_override",
    "read_proximity_csv",
    "read_toml",
    "revise_scenario",
    "ris_group",
    "set_mix_shares",
    "split_share_overrides",
    "validation_message",
]
