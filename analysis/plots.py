"""Figures of indicator time series (matplotlib, no global pyplot state)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["KEY_INDICATORS", "plot_key_indicators"]

#: Indicators shown in the one-page overview of a run: column -> axis title.
KEY_INDICATORS = {
    "innovation_index": "Composite innovation index (ref. = 100)",
    "innovations": "Innovations per quarter",
    "specialisations": "Domains with RCA >= 1",
    "network_density": "Collaboration network density",
    "social_innovations_total": "Social innovations (cumulative)",
    "absorption_rate": "Budget absorption rate (cumulative)",
}


def plot_key_indicators(frame: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Write a 2 x 3 grid of the key indicators over time, one line per region."""
    figure = Figure(figsize=(13, 7), layout="constrained")
    axes = figure.subplots(2, 3).ravel()
    for axis, (column, label) in zip(axes, KEY_INDICATORS.items(), strict=True):
        for region, rows in frame.groupby("region", sort=False):
            axis.plot(rows["step"] / 4.0, rows[column], label=str(region), linewidth=1.6)
        axis.set_title(label, fontsize=10)
        axis.set_xlabel("years")
        axis.grid(alpha=0.3)
    if frame["region"].nunique() > 1:
        axes[0].legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.savefig(path, dpi=110)
    return path
