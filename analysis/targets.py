"""Every published target (../shared/targets.md) against the validation runs, by magnitude.

The calibrated targets are read from ``experiments/calibrate_archetypes.toml``; the held-out
ones (out of sample: nothing was fitted to them) are :data:`HELD_OUT` here. Both are computed
with the calibration's statistic registry (:mod:`smartspec.experiments.calibration.statistics`)
from the archetype runs of ``smartspec validate``: each run's statistic columns
(:func:`target_outputs`) are summarised over replications and, for ``"eu"`` targets, weighted
over the archetypes by the regions each stands for (:func:`~smartspec.experiments.calibration.
statistics.point_summary`), exactly as a calibration point is. T18 (network structure) and the
regional innovation paradox are qualitative: their rows repeat the verdicts of the validation
checks (``analysis/validation.py``).

The verdict is about magnitude, not sign. A target's *band* is observed ± 3 sqrt(Var_obs +
Var_disc), the tolerance at which history matching's cut-off (3) rules a value out before the
model's own variances are added. The simulated value's 90 % interval is mean ± 1.645 sqrt(var
of the mean) (jackknife over replications for pooled statistics). Verdict: ``yes`` when the
whole interval lies in the band, ``partly`` when it overlaps it, ``NO`` when it lies outside
(a value in the band whose interval is unknown, because a jackknife fit failed, is ``partly``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from smartspec.experiments.calibration.simulate import applies_to
from smartspec.experiments.calibration.spec import TargetSpec, load_calibration
from smartspec.experiments.calibration.statistics import RunData, point_summary, run_outputs

__all__ = [
    "CALIBRATION",
    "STOCK_STATISTICS",
    "STOCK_SUFFIX",
    "HELD_OUT",
    "PREFIX",
    "QUALITATIVE",
    "TARGET_ROWS",
    "band",
    "calibrated_targets",
    "stock_counting",
    "evaluate_targets",
    "target_outputs",
    "validation_targets",
    "verdict",
    "write_targets",
]

#: The calibration file whose targets are the calibrated ones.
CALIBRATION = "calibrate_archetypes"
#: Prefix of the target statistic columns in a validation run's outcomes.
PREFIX = "target_"
#: Tolerance of a band in standard deviations (history matching's cut-off).
BAND_SD = 3.0
#: Two-sided 90 % normal quantile of the simulated value's interval.
Z90 = 1.6449

#: Held out of the calibration, evaluated by ``smartspec validate`` only (out of sample).
HELD_OUT: tuple[TargetSpec, ...] = (
    TargetSpec(
        name="survival_5y",
        statistic="survival_calendar",
        quarters=20,
        observed=0.44,
        observation_variance=0.0009,
        discrepancy_variance=0.0025,
        scenario="eu",
        source="Eurostat Statistics Explained (2016): about 44 % of enterprises born in 2009 "
        "were active in 2014 (T9; older data)",
    ),
    TargetSpec(
        name="cooperation",
        statistic="final",
        indicator="cooperation_share",
        observed=0.30,
        observation_variance=0.0004,
        discrepancy_variance=0.0025,
        scenario="eu",
        source="Eurostat CIS 2004-2010: 26-34 % of innovative enterprises co-operated on "
        "innovation with any partner (T13; older data)",
    ),
)

#: T6-T9 counted as the calibration counted them up to model version 5 (diagnostic, not
#: fitted): each target's statistic here. That counting divides a year's births and deaths by
#: the mean stock of firms and follows each firm a full 4 (20) quarters; the calibrated and
#: held-out targets count as Eurostat does, dividing by the enterprises active at any time in
#: the year and counting a firm born in year y as a survivor if it is active at all in year
#: y + 1 (y + 5), about half a year less on average (docs/calibration.md, "Counted as
#: Eurostat counts").
STOCK_STATISTICS: dict[str, str] = {
    "birth_rate": "birth_rate",
    "death_rate": "death_rate",
    "survival_1y": "survival",
    "survival_5y": "survival",
}
#: Name suffix of a target counted over the mean stock and full quarters.
STOCK_SUFFIX = "_stock"


#: Each statistic target's row of targets.md.
TARGET_ROWS: dict[str, str] = {
    "index_change": "T3",
    "regions_improved": "T4",
    "birth_rate": "T6",
    "death_rate": "T7",
    "survival_1y": "T8",
    "survival_5y": "T9",
    "birth_rate_stock": "T6",
    "death_rate_stock": "T7",
    "survival_1y_stock": "T8",
    "survival_5y_stock": "T9",
    "berd_gdp": "T10",
    "berd_gdp_emerging": "T11",
    "berd_gdp_leader": "T11",
    "innovating_enterprises": "T12",
    "cooperation": "T13",
    "university_cooperation": "T14",
    "zipf_exponent": "T15",
    "growth_size_beta": "T16",
    "relatedness_entry": "T17",
    "relatedness_exit": "T17",
}

#: The qualitative held-out targets: (row, name, validation check pattern).
QUALITATIVE: tuple[tuple[str, str, str], ...] = (
    ("T18", "network_clustering", "network: clustering"),
    ("T18", "network_degrees", "network: heavy-tailed degrees"),
    ("paradox", "paradox_gap", "innovation paradox: emerging vs strong"),
    ("paradox", "paradox_capacity", "innovation paradox: capacity first"),
)


@cache
def calibrated_targets() -> tuple[TargetSpec, ...]:
    """The targets of the bundled archetype calibration (:data:`CALIBRATION`)."""
    spec, _, _ = load_calibration(CALIBRATION)
    return tuple(spec.targets)


@cache
def stock_counting() -> tuple[TargetSpec, ...]:
    """T6-T9 as counted up to model version 5: copies of the calibrated and held-out targets
    of :data:`STOCK_STATISTICS` (the same observed values and variances) with that statistic,
    named with :data:`STOCK_SUFFIX`."""
    return tuple(
        target.model_copy(
            update={
                "name": target.name + STOCK_SUFFIX,
                "statistic": STOCK_STATISTICS[target.name],
                "source": f"{target.source}; counted over the mean stock and full quarters",
            }
        )
        for target in (*calibrated_targets(), *HELD_OUT)
        if target.name in STOCK_STATISTICS
    )


def validation_targets() -> tuple[TargetSpec, ...]:
    """Every statistic target: the calibrated ones, :data:`HELD_OUT`, then
    :func:`stock_counting`."""
    return (*calibrated_targets(), *HELD_OUT, *stock_counting())


def band(target: TargetSpec) -> tuple[float, float]:
    """observed ± 3 sqrt(Var_obs + Var_disc): the values the calibration would not rule out
    before adding the model's own variances."""
    spread = BAND_SD * float(np.sqrt(target.variance_observed + target.discrepancy_variance))
    return target.observed - spread, target.observed + spread


def verdict(interval: tuple[float, float], limits: tuple[float, float]) -> str:
    """``yes`` (interval inside the band), ``partly`` (overlapping) or ``NO`` (outside, or
    not finite)."""
    low, high = interval
    if not (np.isfinite(low) and np.isfinite(high)):
        return "NO"
    if limits[0] <= low and high <= limits[1]:
        return "yes"
    return "partly" if low <= limits[1] and high >= limits[0] else "NO"


def target_outputs(data: RunData, archetype: str) -> dict[str, float]:
    """One archetype run's columns of every statistic target that applies to it, prefixed
    with :data:`PREFIX` (run-level values and pooled statistics' contributions)."""
    targets = [target for target in validation_targets() if applies_to(target, archetype)]
    return {f"{PREFIX}{key}": value for key, value in run_outputs(data, targets).items()}


def _qualitative_rows(checks: pd.DataFrame) -> list[dict]:
    rows = []
    for row_id, name, pattern in QUALITATIVE:
        found = checks[checks["pattern"] == pattern]
        if found.empty:
            raise ValueError(f"validation check '{pattern}' is missing")
        check = found.iloc[0]
        rows.append(
            {
                "row": row_id,
                "target": name,
                "use": "out-of-sample",
                "scenario": "strong" if row_id == "T18" else "emerging, strong",
                "statistic": check["measure"],
                "simulated": check["simulated"],
                "interval_low": check["interval_low"],
                "interval_high": check["interval_high"],
                "observed": np.nan,
                "band": check["anchor"],
                "verdict": "yes" if check["holds"] else "NO",
            }
        )
    return rows


def _use(name: str, held: set[str]) -> str:
    if name in held:
        return "out-of-sample"
    diagnostic = name in {target.name for target in stock_counting()}
    return "diagnostic" if diagnostic else "calibrated"


def evaluate_targets(
    outcomes: pd.DataFrame,
    checks: pd.DataFrame,
    targets: Sequence[TargetSpec] | None = None,
    held_out: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The table of every target: simulated value, 90 % interval, band and verdict.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        One row per validation run of an archetype: ``variant`` (the archetype),
        ``replication`` and the :func:`target_outputs` columns.
    checks : pandas.DataFrame
        The validation checks (``ValidationResult.table()``): ``pattern``, ``measure``,
        ``simulated``, ``interval_low``, ``interval_high``, ``anchor``, ``holds``.
    targets : sequence of TargetSpec, optional
        Default :func:`validation_targets`.
    held_out : iterable of str, optional
        Names of the out-of-sample targets (default those of :data:`HELD_OUT`).

    Returns
    -------
    pandas.DataFrame
        One row per target: ``row`` (of targets.md), ``target``, ``use`` (``calibrated``,
        ``out-of-sample`` or ``diagnostic``, :func:`stock_counting`), ``scenario``,
        ``statistic``, ``simulated``, ``interval_low``, ``interval_high``, ``observed``,
        ``band`` and ``verdict``.
    """
    targets = tuple(validation_targets() if targets is None else targets)
    held = set(target.name for target in HELD_OUT) if held_out is None else set(held_out)
    columns = {c: c[len(PREFIX) :] for c in outcomes.columns if c.startswith(PREFIX)}
    runs = outcomes[["variant", "replication", *columns]].rename(
        columns={"variant": "scenario", **columns}
    )
    summary = point_summary(runs.assign(point=0), targets).set_index("target")
    rows = []
    for target in targets:
        found = summary.loc[target.name]
        spread = Z90 * float(np.sqrt(found["var_mean"]))
        interval = (found["mean"] - spread, found["mean"] + spread)
        low, high = band(target)
        shown = verdict(interval, (low, high))
        if not np.isfinite(spread) and low <= found["mean"] <= high:
            shown = "partly"  # a value in the band without an interval (jackknife failed)
        arguments = ", ".join(
            f"{name}={getattr(target, name)}"
            for name in ("indicator", "quarters", "window", "tail")
            if getattr(target, name) is not None
        )
        rows.append(
            {
                "row": TARGET_ROWS.get(target.name, ""),
                "target": target.name,
                "use": _use(target.name, held),
                "scenario": target.scenario,
                "statistic": f"{target.statistic}({arguments})",
                "simulated": float(found["mean"]),
                "interval_low": interval[0],
                "interval_high": interval[1],
                "observed": target.observed,
                "band": f"[{low:.4g}, {high:.4g}]",
                "verdict": shown,
            }
        )
    table = pd.DataFrame(rows + _qualitative_rows(checks))
    order = table["row"].map(lambda row: int(row[1:]) if row.startswith("T") else 99)
    return table.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)


def _number(value: float) -> str:
    return "–" if not np.isfinite(value) else f"{value:.3g}"


def write_targets(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write ``targets.csv`` and add the target table to ``report.md`` and ``report.html`` in
    ``out_dir`` (written first by the validation report); returns the paths written."""
    out_dir = Path(out_dir)
    table.to_csv(out_dir / "targets.csv", index=False)
    lines = [
        "",
        "## Published targets (../shared/targets.md)",
        "",
        "Calibrated targets are those of experiments/calibrate_archetypes.toml; out-of-sample "
        "ones were held out of it. T6-T9 count as Eurostat does (firms active in the year; "
        "survival by calendar year); diagnostic rows count them as the calibration did up to "
        "model version 5 (mean stock; full quarters), not fitted. Band: observed ± 3 sd "
        "(observation and discrepancy); verdict: yes = 90 % interval inside the band, "
        "partly = overlapping, NO = outside.",
        "",
        "| row | target | use | scenario | statistic | simulated | 90 % interval | observed "
        "| band | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        interval = f"[{_number(row.interval_low)}, {_number(row.interval_high)}]"
        lines.append(
            f"| {row.row} | {row.target} | {row.use} | {row.scenario} | {row.statistic} | "
            f"{_number(row.simulated)} | {interval} | {_number(row.observed)} | {row.band} | "
            f"{row.verdict} |"
        )
    report = out_dir / "report.md"
    with report.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    html = out_dir / "report.html"
    if html.exists():
        cells = [line.strip("|").split(" | ") for line in lines[7:]]
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(cell.strip())}</td>" for cell in row) + "</tr>"
            for row in cells
        )
        head = "".join(f"<th>{escape(c.strip())}</th>" for c in lines[5].strip("|").split("|"))
        section = (
            f"<h2>Published targets</h2><p>{escape(lines[3])}</p>"
            f"<table><tr>{head}</tr>{body}</table></body>"
        )
        text = html.read_text(encoding="utf-8")
        html.write_text(text.replace("</body>", section, 1), encoding="utf-8")
    return [out_dir / "targets.csv"]
