"""The published targets against validation runs (analysis/targets.py): bands, verdicts and
one row per target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartspec.analysis import targets
from smartspec.experiments.calibration.spec import TargetSpec

#: The rows of ../shared/targets.md that are targets (T1, T2, T5 and T19 are definitions).
TARGET_ROWS = {f"T{n}" for n in (3, 4, *range(6, 19))} | {"paradox"}


def test_every_target_row_has_a_statistic_or_a_check():
    rows = set(targets.TARGET_ROWS.values()) | {row for row, *_ in targets.QUALITATIVE}
    assert rows == TARGET_ROWS
    names = [target.name for target in targets.validation_targets()]
    assert sorted(names) == sorted(targets.TARGET_ROWS)
    held = {target.name for target in targets.HELD_OUT}
    assert {targets.TARGET_ROWS[name] for name in held} == {"T9", "T13"}
    assert not held & {target.name for target in targets.calibrated_targets()}
    # T6-T9 counted as Eurostat counts them, and as the calibration counted them up to model
    # version 5 (diagnostic).
    counted = {target.name: target for target in targets.stock_counting()}
    assert {targets.TARGET_ROWS[name] for name in counted} == {"T6", "T7", "T8", "T9"}
    fitted = {target.name: target for target in (*targets.calibrated_targets(), *targets.HELD_OUT)}
    for name, twin in counted.items():
        original = fitted[name.removesuffix(targets.STOCK_SUFFIX)]
        assert (twin.observed, twin.variance_observed) == (
            original.observed,
            original.variance_observed,
        )
        assert twin.statistic != original.statistic and twin.quarters == original.quarters


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ((0.4, 0.5), "yes"),
        ((0.55, 0.7), "partly"),
        ((0.1, 0.2), "partly"),
        ((0.7, 0.8), "NO"),
        ((np.nan, np.nan), "NO"),
    ],
)
def test_the_verdict_compares_the_interval_with_the_band(interval, expected):
    assert targets.verdict(interval, (0.2, 0.6)) == expected


def test_the_band_is_three_standard_deviations_of_observation_and_discrepancy():
    spec = TargetSpec(
        name="x",
        statistic="final",
        indicator="firms",
        observed=1.0,
        source="test",
        observation_variance=0.03,
        discrepancy_variance=0.01,
    )
    assert targets.band(spec) == pytest.approx((1.0 - 0.6, 1.0 + 0.6))


def _checks() -> pd.DataFrame:
    rows = [
        {
            "pattern": pattern,
            "measure": "m",
            "simulated": 2.0,
            "interval_low": 1.0,
            "interval_high": 3.0,
            "anchor": "> 0",
            "holds": True,
        }
        for *_, pattern in targets.QUALITATIVE
    ]
    return pd.DataFrame(rows)


def test_evaluate_targets_weights_archetypes_and_gives_one_row_per_target():
    spec = [
        TargetSpec(
            name="berd_gdp",
            statistic="final",
            indicator="rd_intensity",
            observed=0.014,
            observation_variance=1e-6,
            discrepancy_variance=4e-6,
            source="T10",
            scenario="eu",
        ),
        TargetSpec(
            name="cooperation",
            statistic="final",
            indicator="cooperation_share",
            observed=0.30,
            observation_variance=4e-4,
            discrepancy_variance=2.5e-3,
            source="T13",
            scenario="eu",
        ),
    ]
    runs = []
    for variant, level in (
        ("emerging", 0.004),
        ("moderate", 0.01),
        ("strong", 0.015),
        ("leader", 0.03),
    ):
        for replication in range(3):
            runs.append(
                {
                    "variant": variant,
                    "replication": replication,
                    "check": "relatedness",
                    "target_berd_gdp": level + 0.001 * replication,
                    "target_cooperation": 0.9,
                }
            )
    table = targets.evaluate_targets(pd.DataFrame(runs), _checks(), spec)
    assert len(table) == 2 + len(targets.QUALITATIVE)
    berd = table.set_index("target").loc["berd_gdp"]
    weights = np.array([64, 69, 70, 36]) / 239
    assert berd["simulated"] == pytest.approx(weights @ [0.005, 0.011, 0.016, 0.031])
    assert berd["use"] == "calibrated" and berd["verdict"] == "yes"
    cooperation = table.set_index("target").loc["cooperation"]
    assert cooperation["use"] == "out-of-sample" and cooperation["verdict"] == "NO"
    assert set(table["verdict"]) <= {"yes", "partly", "NO"}
    assert list(table["row"][:2]) == ["T10", "T13"]


def test_regions_are_averaged_over_those_where_an_indicator_is_defined():
    """A share undefined in one region (NaN: no domain entries there this quarter) leaves
    that region out of the employment-weighted mean instead of blanking it; counts are
    summed; NaN only when no region defines it."""
    from smartspec.experiments.targets import aggregate_regions

    table = pd.DataFrame(
        {
            "step": [1, 1, 1, 2, 2, 2],
            "region": ["A", "B", "C"] * 2,
            "employment": [100.0, 300.0, 50.0] * 2,
            "entry_relatedness": [0.2, 0.1, np.nan, np.nan, np.nan, np.nan],
            "domain_entries": [2, 3, 0, 0, 0, 0],
        }
    )
    together = aggregate_regions(table, ["entry_relatedness", "domain_entries"])
    assert together["entry_relatedness"].iloc[0] == pytest.approx((0.2 * 100 + 0.1 * 300) / 400)
    assert np.isnan(together["entry_relatedness"].iloc[1])
    assert together["domain_entries"].tolist() == [5, 0]
