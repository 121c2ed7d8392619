"""Print the bundled archetypes' trajectories under their baseline and the index references.

    .venv/bin/python tools/calibration.py [--seeds 2] [--steps 56]

This is the procedure behind docs/calibration.md: archetype knowledge levels are their steady
state, and INDEX_COMPONENTS are the mean of the moderate and strong archetypes after one year.
"""

from __future__ import annotations

import argparse

import pandas as pd

from smartspec import EcosystemModel
from smartspec.model import INDEX_COMPONENTS
from smartspec.scenarios import ARCHETYPES

COLUMNS = [*INDEX_COMPONENTS, "innovation_index", "firms", "employment", "exits", "entries"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=56)
    args = parser.parse_args()
    after_one_year = []
    for name in ARCHETYPES:
        runs = []
        for seed in range(1, args.seeds + 1):
            model = EcosystemModel(name, rng=seed, steps=args.steps)
            model.run_for(args.steps)
            runs.append(model.indicators())
        mean = pd.concat(runs).groupby("step")[COLUMNS].mean()
        picks = sorted({0, 4, args.steps // 2, args.steps})
        print(f"\n{name}\n{mean.loc[picks].round(4).to_string()}")
        if name in ("moderate", "strong"):
            after_one_year.append(mean.loc[4, list(INDEX_COMPONENTS)])
    references = pd.concat(after_one_year, axis=1).mean(axis=1)
    print("\nindex references (mean of moderate and strong after one year):")
    for component, value in references.items():
        print(f"  {component}: {value:.4g}   (in use: {INDEX_COMPONENTS[component]})")


if __name__ == "__main__":
    main()
