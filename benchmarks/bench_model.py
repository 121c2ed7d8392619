"""Model speed and memory, measured in one run.

Measures steps per second at 1k, 10k and 100k firms (all agent types, data collection on),
the growth exponent of step time against firm count, peak memory at 100k firms, memory per
firm, the ratio of Mesa's own BoltzmannWealth example at 10k agents to our step time at
10k firms (the two timed in alternating rounds in one process, so that both meet the same
load of a shared machine), and how step time at 10k firms changes over a long run (quarter
400 against the first quarters: agent ids are never reused, so work over every id ever issued
would grow with the run). Each measurement runs in its own subprocess so that peak memory
(max RSS) is its own.

    .venv/bin/python benchmarks/bench_model.py [--steps N] [--quick]

Prints a table and, last, one JSON line with every figure.
Targets (issue 2): ratio >= 5, exponent <= 1.1, peak memory at 100k firms < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from child import measure_in_child

SIZES = (1_000, 10_000, 100_000)
WARMUP = 3
#: Quarters run before the late timing of the long-run measurement.
LONG_RUN = 400


def _benchmark_model(firms: int):
    """The benchmark's region: ``emerging`` with ``firms`` firms, a university per 1,000 firms
    and eight citizen groups per 1,000. Its business population does not grow (the default
    grows it 2 % a year, about 7 times by quarter 400), so that every timing is of a step at
    about ``firms`` firms."""
    from smartspec import EcosystemModel

    return EcosystemModel(
        "emerging",
        rng=1,
        **{
            "regions.0.firms": firms,
            "regions.0.universities": max(1, firms // 1000),
            "regions.0.citizen_groups": max(8, 8 * firms // 1000),
            "firm.population_growth": 0.0,
        },
    )


def _median_step(model, steps: int) -> float:
    """Median wall time of ``steps`` further quarters of ``model``."""
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _measure_ours(firms: int, steps: int) -> dict:
    import resource

    from smartspec import EcosystemModel  # noqa: F401 - loaded before the baseline is read

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = _benchmark_model(firms)
    model.run_for(WARMUP)
    step_seconds = _median_step(model, steps)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "firms": firms,
        "live_firms": model.firms.count,
        "step_seconds": step_seconds,
        "peak_rss_mb": peak_kib / 1024,
        "baseline_rss_mb": before / 1024,
    }


def _measure_long_run(firms: int, steps: int) -> dict:
    """Median step time over ``steps`` quarters after the warm-up and after ``LONG_RUN``
    quarters, in one model."""
    model = _benchmark_model(firms)
    model.run_for(WARMUP)
    early = _median_step(model, steps)
    model.run_for(LONG_RUN - model.steps)
    late = _median_step(model, steps)
    return {
        "early_step_seconds": early,
        "late_step_seconds": late,
        "live_firms_late": model.firms.count,
        "links_late": len(model.network),
    }


#: Steps of each model per round of the paired speed ratio.
ROUND_STEPS = 5


def _measure_paired_ratio(firms: int, rounds: int) -> dict:
    """Our model at ``firms`` firms and BoltzmannWealth at as many agents in one process,
    timed in alternating rounds of ``ROUND_STEPS`` steps each: both meet the same load of a
    shared machine, whose speed drifts by tens of per cent between minutes. The ratio is the
    median over rounds of Boltzmann's median step over ours."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    ours = _benchmark_model(firms)
    ours.run_for(WARMUP)
    theirs = BoltzmannWealth(scenario=BoltzmannScenario(n=firms, width=100, height=100, rng=1))
    for _ in range(WARMUP):
        theirs.step()
    our_times, their_times = [], []
    for _ in range(rounds):
        our_times.append(_median_step(ours, ROUND_STEPS))
        their_times.append(_median_step(theirs, ROUND_STEPS))
    ratios = np.array(their_times) / np.array(our_times)
    return {
        "ours_step_seconds": float(np.median(our_times)),
        "boltzmann_step_seconds": float(np.median(their_times)),
        "ratio": float(np.median(ratios)),
        "ratio_range": [float(ratios.min()), float(ratios.max())],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per size (median)")
    parser.add_argument("--quick", action="store_true", help="skip 100k firms")
    args = parser.parse_args()

    sizes = SIZES[:2] if args.quick else SIZES
    ours = [
        measure_in_child(
            "bench_model", "ours", size, max(5, args.steps if size < 100_000 else args.steps // 2)
        )
        for size in sizes
    ]
    paired = measure_in_child("bench_model", "paired_ratio", 10_000, max(4, args.steps // 2))
    long_run = measure_in_child("bench_model", "long_run", 10_000, args.steps)
    run_growth = long_run["late_step_seconds"] / long_run["early_step_seconds"]

    exponent = float(
        np.polyfit(
            np.log([r["firms"] for r in ours]), np.log([r["step_seconds"] for r in ours]), 1
        )[0]
    )
    ratio = paired["ratio"]
    largest = ours[-1]
    smallest = ours[0]
    per_firm_kb = (
        (largest["peak_rss_mb"] - smallest["peak_rss_mb"])
        * 1024
        / (largest["firms"] - smallest["firms"])
    )

    print(f"{'firms':>8} {'live':>8} {'ms/step':>9} {'steps/s':>9} {'peak RSS MB':>12}")
    for row in ours:
        print(
            f"{row['firms']:>8} {row['live_firms']:>8} {row['step_seconds'] * 1e3:>9.2f} "
            f"{1 / row['step_seconds']:>9.1f} {row['peak_rss_mb']:>12.1f}"
        )
    print(
        f"Mesa BoltzmannWealth, 10k agents: {paired['boltzmann_step_seconds'] * 1e3:.2f} ms/step"
        f" (ours at 10k firms in the same rounds: {paired['ours_step_seconds'] * 1e3:.2f})"
    )
    low, high = paired["ratio_range"]
    print(
        f"speed ratio at 10k (Boltzmann / ours): {ratio:.2f}x   (target >= 5; median of "
        f"rounds, range {low:.2f}-{high:.2f})"
    )
    print(f"growth exponent of step time:          {exponent:.3f}   (target <= 1.1)")
    print(
        f"peak memory at {largest['firms']} firms:       {largest['peak_rss_mb']:.0f} MB"
        f"   (target < 1024)"
    )
    print(f"memory per firm (marginal):            {per_firm_kb:.2f} KB")
    print(
        f"10k firms, step {LONG_RUN} / first steps:     {run_growth:.2f}x   "
        f"({long_run['early_step_seconds'] * 1e3:.2f} -> "
        f"{long_run['late_step_seconds'] * 1e3:.2f} ms; by then {long_run['live_firms_late']} "
        f"firms and {long_run['links_late']} links, the model's own dynamics)"
    )
    result = {
        "steps_per_second": {str(r["firms"]): 1 / r["step_seconds"] for r in ours},
        "ms_per_step": {str(r["firms"]): r["step_seconds"] * 1e3 for r in ours},
        "boltzmann_ms_per_step_10k": paired["boltzmann_step_seconds"] * 1e3,
        "ours_ms_per_step_10k_paired": paired["ours_step_seconds"] * 1e3,
        "speed_ratio_vs_boltzmann_10k": ratio,
        "speed_ratio_range_10k": paired["ratio_range"],
        "growth_exponent": exponent,
        "peak_rss_mb_largest": largest["peak_rss_mb"],
        "largest_firms": largest["firms"],
        "memory_per_firm_kb": per_firm_kb,
        "long_run_step_ratio_10k": run_growth,
        "long_run_ms_per_step_10k": {
            "early": long_run["early_step_seconds"] * 1e3,
            f"step_{LONG_RUN}": long_run["late_step_seconds"] * 1e3,
        },
        "targets_met": {
            "ratio>=5": ratio >= 5,
            "exponent<=1.1": exponent <= 1.1,
            "peak<1GB": largest["peak_rss_mb"] < 1024,
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
