"""Figures of indicator time series (matplotlib, no global pyplot state)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from smartspec.model import indicators as registry
from smartspec.model.indicators import label_of

__all__ = ["KEY_INDICATORS", "plot_key_indicators"]

#: Indicators shown in the one-page overview of a run: column -> axis title (from the
#: indicator registry; the index title carries its reference).
KEY_INDICATORS = {
    name: label_of(name, unit=name == "innovation_index") for name in registry.KEY_INDICATORS
}


def plot_key_indicators(
    frame: pd.DataFrame,
    path: Path,
    title: str = "",
    indicators: Sequence[str] | None = None,
) -> Path:
    """Write a grid of indicators over time (default: the key indicators, 2 x 3), one line
    per region, each axis with the registry's unit; ``indicators`` are registry names
    (``smartspec run --plot``)."""
    from .figures import report_style
    from .wording import indicator_unit

    chosen = (
        KEY_INDICATORS
        if indicators is None
        else {
            name: label_of(name, unit=name == "innovation_index")
            for name in dict.fromkeys(indicators)
        }
    )
    columns = min(3, len(chosen))
    rows = math.ceil(len(chosen) / columns)
    with report_style():
        figure = Figure(figsize=(4.3 * columns + 0.1, 3.5 * rows), layout="constrained")
        axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
        for axis in axes[len(chosen) :]:
            axis.set_visible(False)
        for axis, (column, label) in zip(axes, chosen.items(), strict=False):
            for region, rows_of_region in frame.groupby("region", sort=False):
                axis.plot(
                    rows_of_region["step"] / 4.0,
                    rows_of_region[column],
                    label=str(region),
                    linewidth=1.6,
                )
            axis.set_title(label)
            axis.set_xlabel("years")
            axis.set_ylabel(indicator_unit(column))
            axis.grid(alpha=0.3)
        if frame["region"].nunique() > 1:
            axes[0].legend()
        if title:
            figure.suptitle(title)
        figure.savefig(path, dpi=110)
    return path
