"""Print T6-T9 counted both ways (docs/calibration.md, "Counted as Eurostat counts").

    .venv/bin/python tools/demography_counts.py
    .venv/bin/python tools/demography_counts.py firm.capital_max=0.5 firm.population_growth=0.02

Runs the emerging, moderate and strong archetypes (1,000 firms, 56 quarters after the burn-in,
seeds 100-102) with the given overrides and prints, pooled over the nine runs, the birth and
death rates and the 1- and 5-year survival as the calibration counted them up to model
version 5 (mean stock of firms; a full 4 or 20 quarters) and as Eurostat counts them, which
the calibration has used since version 6 (firms active in the year; calendar-year cohorts),
with the registry's own statistics. Seconds per setting.
"""

from __future__ import annotations

import argparse

from smartspec.experiments.calibration.simulate import firm_panel
from smartspec.experiments.calibration.spec import TargetSpec
from smartspec.experiments.calibration.statistics import STATISTICS, RunData
from smartspec.model import EcosystemModel
from smartspec.scenarios import ScenarioError, load_scenario
from smartspec.scenarios.loader import parse_override

ARCHETYPES = ("emerging", "moderate", "strong")
SEEDS = (100, 101, 102)
#: (label, statistic, quarters): the counting up to version 5, then Eurostat's (since 6).
ROWS = (
    ("births, mean stock", "birth_rate", None),
    ("births, active in the year", "birth_rate_active", None),
    ("deaths, mean stock", "death_rate", None),
    ("deaths, active in the year", "death_rate_active", None),
    ("1-year survival, 4 quarters", "survival", 4),
    ("1-year survival, next calendar year", "survival_calendar", 4),
    ("5-year survival, 20 quarters", "survival", 20),
    ("5-year survival, 5 calendar years on", "survival_calendar", 20),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()
    try:
        overrides = dict(parse_override(assignment) for assignment in args.overrides)
        load_scenario(ARCHETYPES[0], overrides=overrides)
    except ScenarioError as error:
        parser.error(str(error))
    runs = []
    for archetype in ARCHETYPES:
        for seed in SEEDS:
            model = EcosystemModel(archetype, rng=seed, **{"regions.0.firms": 1000, **overrides})
            panel = firm_panel(model, model.spec.steps)
            runs.append(RunData(indicators=model.indicators(), firm_panel=panel))
    print(f"overrides: {overrides or 'none'}")
    for label, name, quarters in ROWS:
        statistic = STATISTICS[name]
        target = TargetSpec(name="t", statistic=name, quarters=quarters, observed=0, source="-")
        values = [statistic.compute(data, target) for data in runs]
        if statistic.pool is not None:
            value = statistic.pool(values)
        else:
            value = sum(part["value"] for part in values) / len(values)
        print(f"  {label:38s} {value:6.1%}")


if __name__ == "__main__":
    main()
