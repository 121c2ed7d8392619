"""The indicator registry: one definition per indicator, from which everything derives."""

from __future__ import annotations

import pytest

from smartspec.model.indicators import (
    INDICATOR_GROUPS,
    INDICATORS,
    KEY_INDICATORS,
    MODEL_REPORTER_INDICATORS,
    OUTPUT_INDICATORS,
    REGION_COLUMNS,
    SUMMARY_INDICATORS,
    indicator,
    is_indicator,
    label_of,
)
from smartspec.scenarios import INSTRUMENTS

#: How experiments aggregated regions before the registry (by name prefix): summed columns.
_SUMMED_BEFORE = (
    "firms",
    "entries",
    "exits",
    "spinoffs",
    "employment",
    "gdp",
    "innovations",
    "links",
    "domain_entries",
    "specialisation_entries",
    "specialisation_exits",
    "social_innovations",
    "budget_",
    "committed_",
    "absorbed_",
    "knowledge_flow_",
    *OUTPUT_INDICATORS.values(),
)


def test_every_indicator_has_its_metadata():
    for entry in INDICATORS:
        assert entry.group in ("context", "output", "result"), entry.name
        assert entry.unit and entry.label, entry.name
        assert entry.across_regions in ("sum", "mean", "none")
        assert entry.over_time in ("sum", "mean", "last", "none")
        assert callable(entry.produce)
    assert len({entry.name for entry in INDICATORS}) == len(INDICATORS)


def test_region_columns_and_groups_derive_from_the_registry():
    assert REGION_COLUMNS == ["step", "region", *(entry.name for entry in INDICATORS)]
    grouped = [name for names in INDICATOR_GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(entry.name for entry in INDICATORS)


def test_instrument_indicators_follow_the_scenario_instruments():
    assert list(OUTPUT_INDICATORS) == list(INSTRUMENTS)
    for name in INSTRUMENTS:
        assert indicator(OUTPUT_INDICATORS[name]).instrument == name
        assert indicator(f"committed_{name}").instrument == name


def test_aggregation_across_regions_is_unchanged_from_the_prefix_rule():
    for entry in INDICATORS:
        if entry.name == "priorities":
            assert entry.across_regions == "none"
            continue
        summed = entry.name.startswith(_SUMMED_BEFORE)
        assert (entry.across_regions == "sum") == summed, entry.name


def test_lists_used_elsewhere_name_real_numeric_indicators():
    for name in (*KEY_INDICATORS, *SUMMARY_INDICATORS, *MODEL_REPORTER_INDICATORS):
        assert is_indicator(name), name
    assert all(indicator(name).short for name in SUMMARY_INDICATORS)
    assert not is_indicator("priorities")
    assert is_indicator("priorities", numeric=False)
    with pytest.raises(KeyError, match="unknown indicator"):
        indicator("no_such_indicator")


def test_labels_for_indicators_and_outcome_columns():
    assert label_of("innovation_index") == "Composite innovation index"
    assert label_of("final_innovation_index") == "Composite innovation index at the end"
    assert label_of("mean_innovation_index").startswith("Composite innovation index")
    assert "(EU reference = 100)" in label_of("final_innovation_index", unit=True)
    assert label_of("seconds") == "seconds"
