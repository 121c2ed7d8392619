"""Print the bundled archetypes' trajectories under their baseline mix.

    .venv/bin/python tools/calibration.py [--seeds 2] [--steps 56]

This is the table "How the archetypes behave without policy change" of docs/calibration.md.
The index's base-year bounds and reference come from ``tools/index_reference.py``.
"""

from __future__ import annotations

import argparse

import pandas as pd

from smartspec import EcosystemModel
from smartspec.model.index import INDEX_COMPONENT_NAMES
from smartspec.scenarios import ARCHETYPES

COLUMNS = [*INDEX_COMPONENT_NAMES, "innovation_index", "gdp", "firms", "exits", "entries"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=56)
    args = parser.parse_args()
    for name in ARCHETYPES:
        runs = []
        for seed in range(1, args.seeds + 1):
            model = EcosystemModel(name, rng=seed, steps=args.steps, mix="baseline")
            model.run_for(args.steps)
            runs.append(model.indicators())
        mean = pd.concat(runs).groupby("step")[COLUMNS].mean()
        picks = sorted({0, 4, 28, args.steps // 2, args.steps})
        print(f"\n{name}\n{mean.loc[picks].round(4).to_string()}")


if __name__ == "__main__":
    main()
