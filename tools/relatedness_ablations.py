"""Print the relatedness ablation table of docs/validation.md.

    .venv/bin/python tools/relatedness_ablations.py [--master-seed N] [--set key=value ...]

Runs the panel of ``tests/test_relatedness.py`` (30 seeds per archetype from its master seed,
56 quarters, on two processes) for the baseline, each ablation the tests check and all three
relatedness channels off, and prints per setting the entry and exit effects per +10 % of mean
density, each also with the log RCA control (95 % run-clustered intervals), and the numbers of
entries and exits. About 4 minutes on two cores. ``--set`` adds overrides to every setting (a
candidate change measured with its ablations); ``--master-seed`` draws other seeds than the
test's, so that exploring a candidate does not tune it to the test's seeds.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_relatedness  # noqa: E402

from smartspec.analysis import relatedness  # noqa: E402
from smartspec.experiments import replication_seeds  # noqa: E402
from smartspec.scenarios import (  # noqa: E402
    ARCHETYPES,
    ScenarioError,
    load_scenario,
    parse_override,
)

SETTINGS = {
    **test_relatedness.ABLATIONS,
    "all three off": {
        "firm.diversification_relatedness": 0.0,
        "firm.review_relatedness": 0.0,
        "firm.relatedness_premium": 0.0,
    },
}


def _effect(estimate: relatedness.RelatednessEffect) -> str:
    low, high = estimate.interval_tenth_of_mean
    return f"{estimate.per_tenth_of_mean:+.1%} [{low:+.1%}, {high:+.1%}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master-seed", type=int, default=test_relatedness.MASTER_SEED)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    try:
        common = dict(parse_override(assignment) for assignment in args.overrides)
        load_scenario(ARCHETYPES[0], overrides=common)
    except ScenarioError as error:
        parser.error(str(error))
    seeds = replication_seeds(args.master_seed, test_relatedness.SEEDS)
    print("setting | entry | entry, log RCA | exit | exit, log RCA | entries / exits")
    with ProcessPoolExecutor(2) as pool:
        for name, overrides in SETTINGS.items():
            setting = {**common, **overrides}
            tasks = [(archetype, seed, setting) for archetype in ARCHETYPES for seed in seeds]
            panel = relatedness.event_panel(
                pd.concat(pool.map(test_relatedness._run, tasks), ignore_index=True)
            )
            cells = [
                _effect(relatedness.estimate(panel, event, control_rca=control))
                for event in ("entry", "exit")
                for control in (False, True)
            ]
            events = f"{int(panel['entry'].sum())} / {int(panel['exit'].sum())}"
            print(" | ".join([name, *cells, events]), flush=True)


if __name__ == "__main__":
    main()
