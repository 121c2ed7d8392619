"""The key tables and figures of a results folder, chosen by its design kind
(``smartspec analyze``).

The kind recorded in ``provenance.json`` (``design.design``) picks its analysis from
:mod:`smartspec.analysis.kinds`: comparison (summary, paired differences, ranking,
trade-offs), Sobol (indices, noise share, convergence, scenario discovery), Morris (mu*,
sigma), grid and Latin hypercube (summaries, rank correlations, scenario discovery).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from smartspec.experiments import load_results
from smartspec.experiments.store import write_bytes_atomically

from . import sensitivity
from .kinds import analysis_kind
from .kinds.base import CATCH_UP_INDEX, scalar_outcomes
from .kinds.comparison import LOWER_IS_BETTER

__all__ = [
    "CATCH_UP_INDEX",
    "LOWER_IS_BETTER",
    "analyze_results",
    "scalar_outcomes",
    "write_figures",
    "write_tables",
]


def analyze_results(out_dir: str | Path, baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """The tables of the folder's design kind, and the failed runs if any."""
    results = load_results(out_dir, series=False)
    if results.outcomes.empty:
        raise sensitivity.SensitivityError(f"{out_dir} holds no successful runs yet")
    kind = analysis_kind(results.provenance.get("design", {}).get("design"))
    tables = kind.tables(results, baseline)
    if len(results.failures):
        tables["failures"] = results.failures[["run_id", "error"]]
    return tables


def write_figures(out_dir: str | Path, folder: Path, baseline: str | None = None) -> list[Path]:
    """The figures of the folder's design kind, as PNG and SVG in ``folder``."""
    results = load_results(out_dir)
    kind = analysis_kind(results.provenance.get("design", {}).get("design"))
    made = kind.figures(results, baseline)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in made.items():
        for suffix in ("png", "svg"):
            path = folder / f"{name}.{suffix}"
            figure.savefig(path, dpi=110)
            written.append(path)
    return written


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        write_bytes_atomically(path, table.to_csv(index=False).encode("utf-8"))
        written.append(path)
    return written
