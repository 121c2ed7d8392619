"""Figures of indicator time series (matplotlib, no global pyplot state)."""

from __future__ import annotations

from pathlib import Path

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


def plot_key_indicators(frame: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Write a 2 x 3 grid of the key indicators over time, one line per region, each axis
    with the registry's unit."""
    from .figures import report_style
    from .wording import indicator_unit

    with report_style():
        figure = Figure(figsize=(13, 7), layout="constrained")
        axes = figure.subplots(2, 3).ravel()
        for axis, (column, label) in zip(axes, KEY_INDICATORS.items(), strict=True):
            for region, rows in frame.groupby("region", sort=False):
                axis.plot(rows["step"] / 4.0, rows[column], label=str(region), linewidth=1.6)
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
