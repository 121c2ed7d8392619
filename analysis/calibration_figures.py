"""The four figures of the calibration report (matplotlib figures, no pyplot state).

Each takes :class:`~smartspec.analysis.calibration.CalibrationResults` and returns a
``Figure`` sized to be read at about 1000 px wide; :func:`svg` embeds one in HTML with its text
kept as text.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from .calibration_results import CalibrationResults, constraint_table, parameter_unit
from .figures import report_style as _style
from .figures import svg

__all__ = [
    "plot_emulator_validation",
    "plot_implausibility_pairs",
    "plot_shrinkage",
    "plot_targets",
    "svg",
]

_USED, _FAILED, _PRIOR = "#4c72b0", "#c44e52", "#9a9a9a"


def _axis_label(parameter: dict[str, Any]) -> str:
    unit = parameter_unit(parameter["path"])
    return _wrap(parameter["name"], 18) + (f"\n({unit})" if unit else "")


def _wrap(text: str, width: int) -> str:
    if " " in text:
        return "\n".join(textwrap.wrap(text, width, break_long_words=False))
    # An identifier or dotted path: let it break after its dots and underscores (the spaces
    # added for textwrap are the only spaces, and are taken out again).
    spaced = text.replace(".", ". ").replace("_", "_ ")
    return "\n".join(line.replace(" ", "") for line in textwrap.wrap(spaced, width))


def _labelled(quantity: str, unit: str) -> str:
    """An axis label: the quantity, and its unit on a line of its own."""
    return f"{quantity}\n({_wrap(unit, 30)})"


def _panels(count: int, width: float = 3.6, height: float = 3.2) -> tuple[Figure, list[Any]]:
    columns = min(3, count)
    rows = -(-count // columns)
    figure = Figure(figsize=(width * columns, height * rows + 0.5), layout="constrained")
    axes = list(np.atleast_1d(figure.subplots(rows, columns)).ravel())
    for axis in axes[count:]:
        axis.set_visible(False)
    return figure, axes[:count]


def plot_shrinkage(results: CalibrationResults) -> Figure:
    """The share of the prior box not ruled out after each wave (log scale, ± 1 s.e.)."""
    waves = [w["summary"] for w in results.waves if "nroy_fraction" in w["summary"]]
    fractions = np.array([1.0] + [w["nroy_fraction"] for w in waves])
    errors = np.array([0.0] + [w.get("nroy_fraction_se", 0.0) for w in waves])
    # No uniform draw left: the share is below one in volume_samples, drawn at that bound.
    detection = 1.0 / results.spec.method.volume_samples
    empty = fractions <= 0
    fractions = np.where(empty, detection, fractions)
    with _style():
        figure = Figure(figsize=(7.5, 3.8), layout="constrained")
        axis = figure.subplots()
        positions = np.arange(len(fractions))
        # A log axis cannot draw a bar down to zero or below: clip the lower error.
        lower = np.minimum(errors, fractions * 0.9)
        axis.errorbar(positions, fractions, yerr=[lower, errors], fmt="o-", capsize=4)
        for position, fraction, none in zip(positions, fractions, empty, strict=True):
            label = f"< {_percent(fraction)}" if none else _percent(fraction)
            axis.annotate(label, (position, fraction), xytext=(6, 6), textcoords="offset points")
        axis.set_yscale("log")
        # Ticks at 1, 2 and 5 of each decade, as percentages: readable over any span.
        axis.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _percent(value)))
        axis.yaxis.set_minor_formatter(NullFormatter())
        axis.set_xticks(positions, ["prior"] + [f"wave {w['wave']}" for w in waves])
        axis.set_xlim(-0.4, len(positions) - 0.4)
        # Room above 100 % for its label and below the lowest bar for a 1-2-5 tick.
        axis.set_ylim((fractions - lower).min() * 0.6, 1.8)
        axis.set_ylabel("share of the prior box\nnot ruled out (log scale)")
        axis.set_xlabel("after history-matching wave (bars: ± 1 standard error)")
        axis.set_title("How far each wave narrowed the plausible parameter values")
        axis.grid(alpha=0.3, which="both")
    return figure


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.3g} %"


def _wave(results: CalibrationResults, wave: int | None) -> dict[str, Any] | None:
    validated = [w for w in results.waves if w["validation"] is not None]
    if wave is not None:
        validated = [w for w in validated if w["wave"] == wave]
    return validated[-1] if validated else None


def plot_emulator_validation(results: CalibrationResults, wave: int | None = None) -> Figure:
    """Emulator prediction (± 2 sd) against the held-out simulation, one panel per target, of
    ``wave`` (default: the latest validated); emulators that failed are drawn in red."""
    chosen = _wave(results, wave)
    if chosen is None:
        raise ValueError(f"{results.folder}: no wave has a validation table (wave {wave})")
    table = chosen["validation"]
    targets = [t for t in results.targets if t["name"] in set(table["target"])]
    if not targets:
        raise ValueError(f"{results.folder}: wave {chosen['wave']} validated no known target")
    with _style():
        figure, axes = _panels(len(targets))
        for axis, target in zip(axes, targets, strict=True):
            rows = table[table["target"] == target["name"]]
            verdict = chosen["emulators"].get(target["name"], {})
            usable = bool(verdict.get("usable", True))
            colour = _USED if usable else _FAILED
            spread = 2 * rows["predicted_sd"]
            axis.errorbar(
                rows["simulated"], rows["predicted"], yerr=spread, fmt="o", color=colour, capsize=2
            )
            ends = [rows["simulated"].min(), rows["simulated"].max()]
            axis.plot(ends, ends, color="black", linewidth=0.8, linestyle="--")
            axis.xaxis.set_major_locator(MaxNLocator(4))
            axis.set_xlabel(_labelled("simulated mean", target["unit"]))
            axis.set_ylabel(_labelled("emulator prediction", target["unit"]))
            note = "used" if usable else f"NOT used: {verdict.get('reason') or 'failed'}"
            axis.set_title(_wrap(f"{target['name']}: {note}", 34), color=colour)
            axis.grid(alpha=0.3)
        figure.suptitle(
            f"Wave {chosen['wave']}: emulator predictions against held-out simulations "
            "(dashed: perfect prediction)"
        )
    return figure


def _implausibility_points(results: CalibrationResults) -> tuple[pd.DataFrame, str, str]:
    if results.nroy is not None:
        label = "second-largest" if results.cut_column.startswith("second") else "largest"
        return results.nroy, results.cut_column, f"implausibility on re-run ({label} over targets)"
    sample = results.latest_sample
    if sample is None:
        raise ValueError(f"{results.folder}: no NROY sample and no re-run points yet")
    return sample, "cut_measure", "implausibility predicted by the emulators (cut measure)"


def plot_implausibility_pairs(results: CalibrationResults, most: int = 6) -> Figure:
    """Pairs plot of the ``most`` most constrained parameters over their prior ranges: the
    re-run points (or the latest NROY sample) coloured by the implausibility the cut reads,
    points ruled out on re-run as grey crosses; the diagonal counts the points kept."""
    points, column, label = _implausibility_points(results)
    order = list(constraint_table(results)["parameter"])[:most]
    chosen = sorted(
        (p for p in results.parameters if p["name"] in order), key=lambda p: order.index(p["name"])
    )
    count = len(chosen)
    if not count:
        raise ValueError(f"{results.folder}: no fitted parameter to plot")
    kept = points["accepted"].astype(bool) if "accepted" in points else points[column] >= 0
    with _style():
        side = min(1.7 * count + 1.8, 11.0)
        figure = Figure(figsize=(side, side - 0.6), layout="constrained")
        axes = figure.subplots(count, count, squeeze=False)
        shading = None
        for row, y in enumerate(chosen):
            for col, x in enumerate(chosen):
                axis = axes[row][col]
                if col > row:  # the upper triangle would repeat the lower one
                    axis.set_visible(False)
                    continue
                axis.set_xlim(x["low"], x["high"])
                axis.xaxis.set_major_locator(MaxNLocator(3))
                if row == col:
                    axis.hist(points.loc[kept, x["name"]], bins=12, range=(x["low"], x["high"]))
                    axis.set_yticks([])
                else:
                    shading = _pair_panel(axis, points, kept, (x, y), column, results.cutoff)
                axis.tick_params(labelbottom=row == count - 1, labelleft=col == 0 and row > 0)
                if row == count - 1:
                    axis.set_xlabel(_axis_label(x))
                if col == 0 and row > 0:
                    axis.set_ylabel(_axis_label(y))
        if shading is not None:
            figure.colorbar(shading, ax=axes[:, -1].tolist(), label=_wrap(label, 30), shrink=0.8)
        crosses = "; grey crosses: ruled out on re-run" if (~kept).any() else ""
        figure.suptitle(
            _wrap(
                "Where the values not ruled out lie, for the most constrained parameters "
                f"(axes span the prior ranges; diagonal: counts{crosses})",
                int(9 * side),
            )
        )
    return figure


def _pair_panel(
    axis: Any,
    points: pd.DataFrame,
    kept: pd.Series,
    pair: tuple[dict[str, Any], dict[str, Any]],
    column: str,
    cutoff: float,
) -> Any:
    x, y = pair
    axis.set_ylim(y["low"], y["high"])
    axis.yaxis.set_major_locator(MaxNLocator(3))
    ruled_out = points[~kept]
    axis.scatter(ruled_out[x["name"]], ruled_out[y["name"]], marker="x", color=_PRIOR, s=16)
    shown = points[kept]
    return axis.scatter(
        shown[x["name"]],
        shown[y["name"]],
        c=shown[column],
        cmap="viridis_r",
        vmin=0,
        vmax=cutoff,
        s=18,
        edgecolors="none",
    )


def plot_targets(results: CalibrationResults) -> Figure:
    """Per target: wave 1's design points (the prior) and the accepted re-run points against
    the observed value and its ± 3 sqrt(Var_obs + Var_disc) band."""
    first = results.waves[0]["points"] if results.waves else None
    accepted = results.accepted
    with _style():
        figure, axes = _panels(len(results.targets), width=3.6, height=3.6)
        for axis, target in zip(axes, results.targets, strict=True):
            column = f"mean__{target['name']}"
            groups = [
                ("wave 1\n(prior)", first, _PRIOR),
                ("accepted\nre-runs", accepted, _USED),
            ]
            groups = [(n, f[column], c) for n, f, c in groups if f is not None and column in f]
            half = 3 * np.sqrt(target["variance_observed"] + target["discrepancy_variance"])
            observed = target["observed"]
            axis.axhspan(observed - half, observed + half, color="#2ca02c", alpha=0.15)
            axis.axhline(
                observed, color="#2ca02c", linewidth=2, label="observed ± 3 √(Var_obs + Var_disc)"
            )
            for position, (_, values, colour) in enumerate(groups):
                if len(values):
                    axis.boxplot(values, positions=[position], widths=0.5, showfliers=False)
                jitter = np.random.default_rng(position).uniform(-0.15, 0.15, len(values))
                axis.scatter(position + jitter, values, color=colour, s=12, alpha=0.7, zorder=3)
            axis.set_xticks(range(len(groups)), [name for name, _, _ in groups])
            axis.set_xlim(-0.6, max(len(groups), 1) - 0.4)
            axis.set_ylabel(_labelled("simulated mean", target["unit"]))
            axis.set_title(f"{target['name']}\n" + _wrap(f"source: {target['source']}", 34))
            axis.grid(alpha=0.3, axis="y")
        figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center")
        figure.suptitle("The targets against the simulated values before and after calibration")
    return figure
