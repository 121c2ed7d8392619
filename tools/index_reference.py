"""Derive the fixed reference of the composite innovation index and write
``model/index_reference.py`` (docs/ODD.md §7.8).

    .venv/bin/python tools/index_reference.py [--seeds 4] [--check]

The base year is the first year of a run (quarters 1-4, after the burn-in) of each bundled
archetype under its baseline mix, averaged over fixed seeds. Each component's bounds are the
range of the archetypes' base-year values widened on both sides by ``BOUND_MARGIN`` times
that range: the archetypes are group means, and the regions of each group spread around them
(RIS normalises between the lowest and highest region, T5). The reference, which scores 100,
is the mean component score of the four archetypes weighted by the RIS regions each stands
for (T1: 64 / 69 / 70 / 36). Nothing here moves with a simulation afterwards, so a region can
rise against it, as T3 measures.

``--check`` re-derives and exits 1 if the committed values drift by more than 5 % of a range.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from smartspec import EcosystemModel
from smartspec.model.index import INDEX_COMPONENT_NAMES, index_scale_value
from smartspec.model.version import MODEL_VERSION
from smartspec.scenarios.archetypes import RIS_GROUPS

#: Bounds extend beyond the archetypes' range by this share of it on each side.
BOUND_MARGIN = 0.75
BASE_YEAR = range(1, 5)
TARGET = Path(__file__).resolve().parents[1] / "model" / "index_reference.py"


def base_year_values(seeds: int) -> pd.DataFrame:
    """Mean base-year component values per archetype (rows) over ``seeds`` seeds."""
    rows = {}
    for group in RIS_GROUPS:
        runs = []
        for seed in range(1, seeds + 1):
            model = EcosystemModel(group.archetype, rng=seed, mix="baseline")
            model.run_for(max(BASE_YEAR))
            table = model.indicators().set_index("step")
            runs.append(table.loc[list(BASE_YEAR), list(INDEX_COMPONENT_NAMES)].mean())
        rows[group.archetype] = pd.concat(runs, axis=1).mean(axis=1)
    return pd.DataFrame(rows).T


def derive(values: pd.DataFrame) -> tuple[dict[str, tuple[float, float]], float]:
    bounds = {}
    for component in INDEX_COMPONENT_NAMES:
        scaled = index_scale_value(component, values[component].to_numpy())
        low, high = scaled.min(), scaled.max()
        pad = BOUND_MARGIN * (high - low)
        # Shares and intensities cannot fall below zero.
        bounds[component] = (float(max(low - pad, 0.0)), float(high + pad))
    scores = np.mean(
        [
            (index_scale_value(c, values[c].to_numpy()) - lo) / (hi - lo)
            for c, (lo, hi) in bounds.items()
        ],
        axis=0,
    )
    weights = np.array([group.regions for group in RIS_GROUPS], dtype=float)
    reference = float(np.sum(weights * scores) / weights.sum())
    return bounds, reference


def render(bounds: dict[str, tuple[float, float]], reference: float, seeds: int) -> str:
    lines = [
        '"""The fixed reference of the composite innovation index (generated: do not edit).',
        "",
        "Written by ``tools/index_reference.py``; the method is in its docstring and in",
        "docs/ODD.md §7.8. Bounds: base-year range of the four archetypes widened by 3/4 of it",
        "on each side; reference: their RIS-region-weighted mean score, which scores 100.",
        '"""',
        "",
        f"#: Model version and seeds (1-{seeds}) the values were derived with.",
        f"DERIVED_WITH = {{'model_version': {MODEL_VERSION}, 'seeds': {seeds}}}",
        "#: Component -> (lower, upper) bound of its min-max normalisation (on the scale of",
        "#: ``index_scale_value``: the square root for skewed components).",
        "INDEX_BOUNDS: dict[str, tuple[float, float]] = {",
    ]
    for component, (low, high) in bounds.items():
        lines.append(f'    "{component}": ({low:.6g}, {high:.6g}),')
    lines += [
        "}",
        "#: Mean component score of the RIS-weighted archetypes in the base year (index 100).",
        f"INDEX_REFERENCE = {reference:.6g}",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    values = base_year_values(args.seeds)
    bounds, reference = derive(values)
    print(values.round(5).to_string())
    if args.check:
        from smartspec.model.index_reference import INDEX_BOUNDS, INDEX_REFERENCE

        drift = [
            c
            for c, (lo, hi) in bounds.items()
            if max(abs(lo - INDEX_BOUNDS[c][0]), abs(hi - INDEX_BOUNDS[c][1]))
            > 0.05 * (INDEX_BOUNDS[c][1] - INDEX_BOUNDS[c][0])
        ]
        if drift or abs(reference - INDEX_REFERENCE) > 0.05 * INDEX_REFERENCE:
            what = ", ".join(drift) or "reference"
            print(f"index reference drifted ({what}): re-run without --check")
            return 1
        print("index reference up to date")
        return 0
    TARGET.write_text(render(bounds, reference, args.seeds))
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
