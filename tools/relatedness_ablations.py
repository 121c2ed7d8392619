"""Print the relatedness ablation table of docs/validation.md.

    .venv/bin/python tools/relatedness_ablations.py

Runs the panel of ``tests/test_relatedness.py`` (30 seeds per archetype from its master seed,
56 quarters, on two processes) for the baseline, each ablation the tests check and all three
relatedness channels off, and prints per setting the entry and exit effects per +10 % of mean
density, each also with the log RCA control (95 % run-clustered intervals), and the numbers of
entries and exits. About 4 minutes on two cores.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_relatedness  # noqa: E402

from smartspec.analysis import relatedness  # noqa: E402
from smartspec.experiments import replication_seeds  # noqa: E402
from smartspec.scenarios import ARCHETYPES  # noqa: E402

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
    seeds = replication_seeds(test_relatedness.MASTER_SEED, test_relatedness.SEEDS)
    print("setting | entry | entry, log RCA | exit | exit, log RCA | entries / exits")
    with ProcessPoolExecutor(2) as pool:
        for name, overrides in SETTINGS.items():
            tasks = [(archetype, seed, overrides) for archetype in ARCHETYPES for seed in seeds]
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
