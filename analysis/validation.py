"""Pattern-oriented validation: the model's patterns next to their empirical anchors.

Four stylised facts (docs/validation.md):

1. principle of relatedness — a region is more likely to enter a domain (RCA crosses 1) the
   higher its relatedness density around it, and less likely to exit one (Boschma, Balland &
   Kogler 2015: about +30 % entry and -8 % exit probability for +10 % relatedness density),
   estimated as the source does (:mod:`smartspec.analysis.relatedness`);
2. heavy-tailed firm sizes — Zipf's law, P(size > s) ~ s^-1 (Axtell 2001);
3. collaboration network — heavy-tailed degrees, clustering far above a random graph of the same
   density (Gay & Dousset 2005);
4. regional innovation paradox — the same R&D-grant budget raises innovation less in an emerging
   region than in a strong one, unless absorptive capacity is built first (Oughton, Landabaso &
   Morgan 2002).

This module is pure analysis of run data: :func:`evaluate` turns the outcomes and per-run
tables of the validation runs into the checks, and :func:`write_report` writes a table,
figures and a Markdown/HTML report. The runs themselves are made by the validation study
(``smartspec.studies.validate``) through the experiments layer.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import optimize

from . import relatedness

if TYPE_CHECKING:
    from smartspec.model import EcosystemModel

__all__ = [
    "MIN_EVENTS",
    "PARADOX_BUDGET",
    "RELATEDNESS_BANDS",
    "Check",
    "ValidationResult",
    "degree_statistics",
    "evaluate",
    "logistic_fit",
    "power_law_tail",
    "rank_size_slope",
    "relatedness_checks",
    "relatedness_holds",
    "write_report",
]

YEAR = 4  # quarters
#: R&D grants per year in the paradox check, as a share of GDP, the same in every region
#: (above any archetype's whole S3 budget, so that the effect stands out of the noise).
PARADOX_BUDGET = 0.005


#: The relatedness effects (relative change of the probability for +10 % density) that count
#: as reproducing Boschma, Balland & Kogler (2015): +30 % entry, -8 % exit, read as orders of
#: magnitude (targets.md T17).
RELATEDNESS_BANDS = {"entry": (0.15, 0.60), "exit": (-0.30, -0.02)}
#: Fewest entries (and exits) pooled over the runs for a relatedness verdict.
MIN_EVENTS = 300
#: The source's figures (targets.md T17).
RELATEDNESS_ANCHORS = {"entry": 0.30, "exit": -0.08}


def relatedness_holds(event: str, effect: float, interval: tuple[float, float]) -> bool:
    """A magnitude verdict: the effect lies in its band and its interval excludes zero; the
    right sign alone does not make the pattern hold."""
    low, high = RELATEDNESS_BANDS[event]
    return bool(low <= effect <= high and interval[0] * interval[1] > 0)


def _effect_check(effect: relatedness.RelatednessEffect, pattern: str, holds: bool, anchor: str):
    return Check(
        pattern=pattern,
        measure=f"change in {effect.event} probability for +10 % of mean relatedness density "
        "(LPM, region-run x period and domain fixed effects"
        + (", log RCA control" if effect.controls else "")
        + ")",
        simulated=effect.per_tenth_of_mean,
        interval=effect.interval_tenth_of_mean,
        anchor=anchor,
        holds=bool(holds),
        note=f"{effect.events} {effect.event} events in {effect.observations} "
        f"region-domain-years of {effect.clusters} runs (run-clustered 95 % interval); per "
        f"+0.1 density {effect.per_tenth:+.0%} "
        f"[{effect.interval_tenth[0]:+.0%}, {effect.interval_tenth[1]:+.0%}]",
    )


def relatedness_checks(
    domains: pd.DataFrame, placebo: str | None = "placebo_density"
) -> tuple[list[Check], pd.DataFrame]:
    """The relatedness checks of the pooled domains tables of the runs.

    Parameters
    ----------
    domains : pandas.DataFrame
        Quarterly region x domain rows of every run (``run``, ``region``, ``domain``,
        ``step``, ``rca``, ``density`` and, for the placebo, the ``placebo`` column).
    placebo : str or None
        Column of the density recomputed with a permuted proximity matrix (None: no placebo).

    Returns
    -------
    list of Check, pandas.DataFrame
        Entry and exit against their bands (with at least :data:`MIN_EVENTS` events each),
        entry and exit with the log RCA control (hold if their interval excludes zero on the
        right side), and the placebo
        for each event (holds if its interval contains zero); and the event panel.
    """
    panel = relatedness.event_panel(domains)
    checks = []
    effects = {event: relatedness.estimate(panel, event) for event in ("entry", "exit")}
    for event, effect in effects.items():
        band = RELATEDNESS_BANDS[event]
        holds = relatedness_holds(event, effect.per_tenth_of_mean, effect.interval_tenth_of_mean)
        anchor = (
            f"{RELATEDNESS_ANCHORS[event]:+.0%} (Boschma, Balland & Kogler 2015); holds within "
            f"{band[0]:+.0%} to {band[1]:+.0%} with at least {MIN_EVENTS} events"
        )
        checks.append(
            _effect_check(
                effect, f"relatedness: {event}", holds and effect.events >= MIN_EVENTS, anchor
            )
        )
    for event, sign in (("entry", 1.0), ("exit", -1.0)):
        controlled = relatedness.estimate(panel, event, control_rca=True)
        low, high = controlled.interval_tenth_of_mean
        checks.append(
            _effect_check(
                controlled,
                f"relatedness: {event}, log RCA control",
                (low > 0) if sign > 0 else (high < 0),
                f"{'> 0' if sign > 0 else '< 0'}: density matters beyond closeness to RCA = 1",
            )
        )
    if placebo is not None:
        shuffled = relatedness.event_panel(domains, density=placebo)
        for event in ("entry", "exit"):
            effect = relatedness.estimate(shuffled, event)
            low, high = effect.interval_tenth_of_mean
            checks.append(
                _effect_check(
                    effect,
                    f"relatedness: {event}, placebo",
                    low <= 0.0 <= high,
                    "about 0: density from a permuted proximity matrix",
                )
            )
    return checks, panel


@dataclass
class Check:
    """One stylised fact: the simulated figure, its anchor and whether the pattern holds."""

    pattern: str
    measure: str
    simulated: float
    interval: tuple[float, float]
    anchor: str
    holds: bool
    note: str = ""


@dataclass
class ValidationResult:
    checks: list[Check]
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        rows = []
        for check in self.checks:
            row = asdict(check)
            row["interval_low"], row["interval_high"] = row.pop("interval")
            rows.append(row)
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- statistics
def logistic_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood logistic regression P(y=1) = 1 / (1 + exp(-(a + b x)))."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)

    def loss(params: np.ndarray) -> float:
        z = params[0] + params[1] * x
        return float(np.sum(np.logaddexp(0.0, z) - y * z))

    def gradient(params: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(params[0] + params[1] * x)))
        return np.array([np.sum(p - y), np.sum((p - y) * x)])

    start = np.array([np.log((y.mean() + 1e-9) / (1 - y.mean() + 1e-9)), 0.0])
    fitted = optimize.minimize(loss, start, jac=gradient, method="BFGS")
    return float(fitted.x[0]), float(fitted.x[1])


def relative_change(a: float, b: float, x: float, dx: float) -> float:
    """Relative change of the logistic probability when x rises by dx."""

    def p(value: float) -> float:
        return 1.0 / (1.0 + np.exp(-(a + b * value)))

    return p(x + dx) / p(x) - 1.0


def rank_size_slope(sizes: np.ndarray, top_share: float = 0.2) -> float:
    """Slope of log(rank) on log(size) over the largest firms (Zipf: -1)."""
    sizes = np.sort(np.asarray(sizes, dtype=np.float64))[::-1]
    top = sizes[: max(10, int(len(sizes) * top_share))]
    ranks = np.arange(1, len(top) + 1)
    return float(np.polyfit(np.log(top), np.log(ranks), 1)[0])


def power_law_tail(values: np.ndarray, quantile: float = 0.8) -> float:
    """Tail exponent alpha of P(X > x) ~ x^-alpha above the given quantile (Hill / MLE,
    Clauset, Shalizi & Newman 2009, continuous approximation)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[values > 0]
    minimum = np.quantile(values, quantile)
    tail = values[values >= minimum]
    return float(len(tail) / np.sum(np.log(tail / minimum))) if len(tail) > 1 else float("nan")


def degree_statistics(model: EcosystemModel) -> dict[str, float]:
    """Degree distribution and clustering of the whole collaboration network."""
    nodes = np.flatnonzero(model.nodes.alive)
    running = model.network.node_degree(model.nodes.capacity)
    degree = running[nodes].astype(np.float64)
    clustering = model.network.local_clustering(model.nodes.capacity, running)[nodes]
    n = len(nodes)
    density = 2.0 * len(model.network) / (n * (n - 1)) if n > 1 else 0.0
    mean = degree.mean()
    return {
        "nodes": float(n),
        "mean_degree": float(mean),
        "max_degree": float(degree.max()),
        "degree_cv": float(degree.std() / mean) if mean > 0 else float("nan"),
        "poisson_cv": float(1.0 / np.sqrt(mean)) if mean > 0 else float("nan"),
        "degree_tail_alpha": power_law_tail(degree[degree > 0], 0.9),
        "clustering": float(clustering.mean()),
        "random_clustering": density,
        "clustering_ratio": float(clustering.mean() / density) if density > 0 else float("nan"),
    }


# ----------------------------------------------------------------------------- checks
def _bootstrap(values: np.ndarray, statistic: Callable, rng: np.random.Generator, n=400):
    values = np.asarray(values)
    draws = [statistic(values[rng.integers(0, len(values), len(values))]) for _ in range(n)]
    return float(np.quantile(draws, 0.05)), float(np.quantile(draws, 0.95))


def _mean_check(
    values: Any, rng: np.random.Generator, holds: Callable[[float, tuple], bool], **fields: Any
) -> Check:
    """A check on the mean over runs, with its bootstrap interval; ``holds(mean, interval)``."""
    values = np.asarray(values, dtype=float)
    mean, interval = float(values.mean()), _bootstrap(values, np.mean, rng)
    return Check(simulated=mean, interval=interval, holds=bool(holds(mean, interval)), **fields)


def evaluate(
    outcomes: pd.DataFrame, series: pd.DataFrame, settings: dict[str, Any]
) -> ValidationResult:
    """Turn the validation runs into the four checks.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        One row per run (``Results.outcomes`` of a validation folder): ``run_id``,
        ``replication``, ``check`` (``relatedness`` or ``paradox``), ``variant``, ``grants``,
        ``total_innovations`` and ``initial_firms``; the runs that kept the network structure
        also hold the columns of :func:`degree_statistics`.
    series : pandas.DataFrame
        Per-run tables (``Results.series``): ``run_id``, ``step``, ``record`` and either
        ``record == "domain"`` rows (``region``, ``domain``, ``rca``, ``density`` from the
        model's domains table, and ``placebo_density``, see
        :func:`smartspec.analysis.relatedness.placebo_density`) or ``record == "firm"``
        rows (``employees`` of each live firm at the last step).
    settings : dict
        ``reps``, ``firms``, ``steps`` and ``seed`` of the runs (``steps`` scales the paradox
        effect to a yearly budget).

    Returns
    -------
    ValidationResult
        The checks, the data behind the figures, and ``settings``.
    """
    rng = np.random.default_rng(0)
    checks: list[Check] = []
    data: dict[str, pd.DataFrame] = {}

    # 1. principle of relatedness
    domains = series[series["record"] == "domain"].rename(columns={"run_id": "run"})
    placebo = "placebo_density" if "placebo_density" in domains else None
    relatedness_found, panel = relatedness_checks(domains.reset_index(drop=True), placebo)
    checks.extend(relatedness_found)
    data["relatedness_panel"] = panel

    # 2. firm sizes
    firms = series[series["record"] == "firm"]
    sizes = [rows["employees"].to_numpy() for _, rows in firms.groupby("run_id", sort=True)]
    slopes = np.array([rank_size_slope(values) for values in sizes])
    tails = np.array([power_law_tail(values) for values in sizes])
    data["firm_sizes"] = pd.DataFrame({"employees": np.concatenate(sizes)})
    checks.append(
        _mean_check(
            slopes,
            rng,
            lambda mean, _: -2.0 < mean < -0.5,
            pattern="firm sizes: rank-size",
            measure="slope of log rank on log size, top 20 % of firms",
            anchor="-1 (Zipf; Axtell 2001: 1.06)",
            note="heavy tail if between -2 and -0.5",
        )
    )
    checks.append(
        _mean_check(
            tails,
            rng,
            lambda mean, _: 0.5 < mean < 2.0,
            pattern="firm sizes: tail exponent",
            measure="power-law exponent alpha of P(size > s), top 20 % (MLE)",
            anchor="about 1 (Axtell 2001)",
        )
    )

    # 3. collaboration network
    # Only the runs that kept the network structure have its statistics.
    network = outcomes[outcomes["clustering_ratio"].notna()].reset_index(drop=True)
    data["network"] = network
    checks.append(
        _mean_check(
            network["clustering_ratio"],
            rng,
            lambda mean, _: mean > 10,
            pattern="network: clustering",
            measure="mean clustering / clustering of a random graph of equal density",
            anchor="far above 1 (Gay & Dousset 2005)",
        )
    )
    checks.append(
        _mean_check(
            network["degree_cv"] / network["poisson_cv"],
            rng,
            lambda mean, _: mean > 1.5,
            pattern="network: heavy-tailed degrees",
            measure="coefficient of variation of degree / that of a Poisson graph",
            anchor="> 1 (heavy tail; Gay & Dousset 2005)",
            note=f"degree tail exponent {network['degree_tail_alpha'].mean():.2f}, "
            f"max/mean degree {(network['max_degree'] / network['mean_degree']).mean():.1f}",
        )
    )

    # 4. regional innovation paradox: grant effect per 1 % of GDP a year, paired by seed
    runs = outcomes[outcomes["check"] == "paradox"]
    paradox = pd.DataFrame(
        {
            "variant": runs["variant"],
            "rep": runs["replication"],
            "grants": runs["grants"].astype(bool),
            "innovations": runs["total_innovations"] / runs["initial_firms"] * 1000,
        }
    )
    years = settings["steps"] / YEAR
    effect = (
        paradox.pivot_table(index=["variant", "rep"], columns="grants", values="innovations")
        .pipe(lambda t: (t[True] - t[False]) / (100.0 * PARADOX_BUDGET * years))
        .rename("innovations_per_gdp_point")
        .reset_index()
    )
    data["paradox"] = effect
    by_variant = {
        variant: rows["innovations_per_gdp_point"].to_numpy()
        for variant, rows in effect.groupby("variant")
    }
    gap = by_variant["strong"] - by_variant["emerging"]
    closing = by_variant["emerging, capacity built"] - by_variant["emerging"]
    # The pattern holds when the whole interval is above zero.
    checks.append(
        _mean_check(
            gap,
            rng,
            lambda _, interval: interval[0] > 0,
            pattern="innovation paradox: emerging vs strong",
            measure="extra innovations per 1,000 firms per year of grants worth 1 % of GDP, "
            "strong minus emerging",
            anchor="> 0 (Oughton, Landabaso & Morgan 2002)",
            note=", ".join(f"{k}: {v.mean():.3f}" for k, v in by_variant.items()),
        )
    )
    checks.append(
        _mean_check(
            closing,
            rng,
            lambda _, interval: interval[0] > 0,
            pattern="innovation paradox: capacity first",
            measure="gain in grant effect when the emerging region's capacity is built first",
            anchor="> 0 (capacity building before grants)",
        )
    )
    return ValidationResult(checks=checks, data=data, settings=settings)


# ----------------------------------------------------------------------------- report
def _figures(result: ValidationResult) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    panel = result.data["relatedness_panel"]
    figure = Figure(figsize=(10, 4), layout="constrained")
    axes = figure.subplots(1, 2)
    for axis, (event, state) in zip(axes, (("entry", False), ("exit", True)), strict=True):
        at_risk = panel[panel["specialised"] == state].copy()
        at_risk["bin"] = pd.qcut(at_risk["density"], 8, duplicates="drop")
        binned = at_risk.groupby("bin", observed=True).agg(
            density=("density", "mean"), probability=(event, "mean")
        )
        axis.plot(binned["density"], binned["probability"], "o-")
        axis.set_xlabel("relatedness density")
        axis.set_ylabel(f"{event} probability within a year")
        axis.set_title(f"Specialisation {event} vs relatedness density")
        axis.grid(alpha=0.3)
    figures["relatedness"] = figure

    sizes = np.sort(result.data["firm_sizes"]["employees"].to_numpy())[::-1]
    figure = Figure(figsize=(5, 4), layout="constrained")
    axis = figure.subplots()
    ranks = np.arange(1, len(sizes) + 1) / len(sizes)
    axis.loglog(sizes, ranks, ".", markersize=2, label="simulated")
    axis.loglog(sizes, ranks[-1] * sizes.min() / sizes, "--", label="Zipf, slope -1")
    axis.set_xlabel("firm size (employees)")
    axis.set_ylabel("P(size >= s)")
    axis.legend()
    axis.set_title("Firm size distribution")
    figures["firm_sizes"] = figure

    effect = result.data["paradox"]
    figure = Figure(figsize=(6, 4), layout="constrained")
    axis = figure.subplots()
    variants = list(effect["variant"].unique())
    axis.boxplot([effect[effect["variant"] == v]["innovations_per_gdp_point"] for v in variants])
    axis.set_xticks(range(1, len(variants) + 1), variants)
    axis.set_ylabel("extra innovations per 1,000 firms\nper year of grants worth 1 % of GDP")
    axis.set_title("Same R&D-grant budget, different regions")
    axis.grid(alpha=0.3)
    figures["paradox"] = figure
    return figures


def write_report(result: ValidationResult, out_dir: Path) -> list[Path]:
    """Write validation.csv, figures (PNG), report.md and a self-contained report.html."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    table = result.table()
    table.to_csv(out_dir / "validation.csv", index=False)
    written.append(out_dir / "validation.csv")
    embedded = {}
    for name, figure in _figures(result).items():
        path = out_dir / f"{name}.png"
        figure.savefig(path, dpi=110)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        embedded[name] = base64.b64encode(buffer.getvalue()).decode("ascii")
        written.append(path)
    lines = [
        "# SmartSpec validation against stylised facts",
        "",
        f"Settings: {json.dumps(result.settings)}. Intervals: 90 % bootstrap over runs.",
        "",
        "| pattern | measure | simulated | 90 % interval | anchor | holds | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for check in result.checks:
        low, high = check.interval
        lines.append(
            f"| {check.pattern} | {check.measure} | {check.simulated:.3g} | "
            f"[{low:.3g}, {high:.3g}] | {check.anchor} | {'yes' if check.holds else 'NO'} | "
            f"{check.note} |"
        )
    lines += ["", *(f"![{name}]({name}.png)" for name in embedded)]
    (out_dir / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(out_dir / "report.md")
    rows = "".join(
        f"<tr><td>{c.pattern}</td><td>{c.measure}</td><td>{c.simulated:.3g}</td>"
        f"<td>[{c.interval[0]:.3g}, {c.interval[1]:.3g}]</td><td>{c.anchor}</td>"
        f"<td>{'yes' if c.holds else '<b>NO</b>'}</td><td>{c.note}</td></tr>"
        for c in result.checks
    )
    images = "".join(
        f'<figure><img alt="{name}" src="data:image/png;base64,{data}"></figure>'
        for name, data in embedded.items()
    )
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>SmartSpec validation</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
        "img{max-width:100%}</style></head><body><h1>SmartSpec validation against stylised "
        f"facts</h1><p>Settings: {json.dumps(result.settings)}. Intervals: 90 % bootstrap over "
        "runs.</p><table><tr><th>pattern</th><th>measure</th><th>simulated</th>"
        "<th>90 % interval</th><th>anchor</th><th>holds</th><th>note</th></tr>"
        f"{rows}</table>{images}</body></html>"
    )
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    written.append(out_dir / "report.html")
    return written
