"""Run one scenario and write its results (the ``smartspec run`` command, as a Python API)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.analysis import plot_key_indicators
from smartspec.analysis.network import NETWORK_FORMATS, collaboration_graph, write_network
from smartspec.experiments.provenance import provenance, utc_now
from smartspec.model import EcosystemModel
from smartspec.model.indicators import indicator
from smartspec.scenarios import Scenario

__all__ = ["RunResult", "run_scenario", "write_run", "SUMMARY_COLUMNS", "SUMMARY_INDICATORS"]

#: The short table printed after ``smartspec run`` (headed by each indicator's ``short`` label).
SUMMARY_INDICATORS: tuple[str, ...] = (
    "innovation_index",
    "firms",
    "gdp",
    "innovating_share",
    "rd_intensity",
    "specialisations",
    "network_density",
    "human_capital",
    "social_innovations_total",
    "citizen_trust",
    "absorption_rate",
)
#: Columns of the short summary table printed after a run: column -> short heading (from the
#: indicator registry).
SUMMARY_COLUMNS = {name: indicator(name).short for name in SUMMARY_INDICATORS}


@dataclass
class RunResult:
    """The indicator table of one run and how it was produced."""

    indicators: pd.DataFrame
    domains: pd.DataFrame
    scenario: Scenario
    seed: int
    steps: int
    seconds: float
    started: str
    extra: dict[str, Any] = field(default_factory=dict)
    network: Any = None  # networkx Graph of the final collaboration network, if asked for

    def summary(self) -> pd.DataFrame:
        """First and last step per region for the key indicators."""
        frame = self.indicators
        first = frame[frame["step"] == frame["step"].min()].set_index("region")
        last = frame[frame["step"] == frame["step"].max()].set_index("region")
        rows = []
        for region in last.index:
            for label, table in (("start", first), ("end", last)):
                row = {"region": region, "at": label}
                row.update(
                    {name: table.loc[region, column] for column, name in SUMMARY_COLUMNS.items()}
                )
                rows.append(row)
        return pd.DataFrame(rows)


def run_scenario(
    scenario: Scenario,
    seed: int,
    steps: int | None = None,
    progress: Callable[[int], None] | None = None,
    network: bool = False,
) -> RunResult:
    """Simulate ``steps`` quarters (default: the scenario's horizon) and collect indicators;
    with ``network``, also the final collaboration network
    (:func:`smartspec.analysis.network.collaboration_graph`)."""
    horizon = scenario.steps if steps is None else steps
    started = utc_now()
    clock = time.perf_counter()
    model = EcosystemModel(scenario=scenario, rng=seed)
    for _ in range(horizon):
        model.step()
        if progress is not None:
            progress(1)
    return RunResult(
        indicators=model.indicators(),
        domains=model.domains(),
        scenario=scenario,
        seed=seed,
        steps=horizon,
        seconds=time.perf_counter() - clock,
        started=started,
        network=collaboration_graph(model) if network else None,
    )


def write_run(
    result: RunResult,
    out_dir: Path,
    source: str,
    mix: str | None,
    command_line: list[str] | None = None,
    plot: Sequence[str] | None = None,
    network_format: str | None = None,
) -> list[Path]:
    """Write indicators (Parquet, CSV; per region and per region x domain), the indicator
    figure (``plot``: registry names; default the key indicators), the collaboration network
    (``network_format`` graphml or pajek, from ``result.network``) and ``run.json`` into
    ``out_dir``. Files are written to a temporary folder first and moved into place only
    when all of them exist, so an interrupted run never leaves half-written files."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".smartspec-", dir=out_dir.parent))
    try:
        result.indicators.to_parquet(staging / "indicators.parquet", index=False)
        result.indicators.to_csv(staging / "indicators.csv", index=False)
        result.domains.to_parquet(staging / "domains.parquet", index=False)
        title = f"{result.scenario.name} - mix {result.scenario.mix.name} - seed {result.seed}"
        plot_key_indicators(result.indicators, staging / "key_indicators.png", title, plot)
        if network_format is not None:
            suffix = NETWORK_FORMATS[network_format]
            write_network(result.network, staging / f"network{suffix}", network_format)
        record = provenance(
            scenario_source=source,
            scenario_name=result.scenario.name,
            mix=mix or result.scenario.mix.name,
            seed=result.seed,
            steps=result.steps,
            started=result.started,
            finished=utc_now(),
            runtime_seconds=round(result.seconds, 3),
            scenario=result.scenario.model_dump(mode="json"),
            **({"command_line": command_line} if command_line else {}),
            **result.extra,
        )
        (staging / "run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for item in sorted(staging.iterdir()):
            target = out_dir / item.name
            os.replace(item, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
