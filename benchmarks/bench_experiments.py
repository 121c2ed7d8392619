"""Experiments layer speed and memory, measured in one run.

1. Throughput on the default emerging region (baseline mix, short horizon): runs per second
   with one worker process and with two, on the same design, after the pool is warm. The
   "1 worker" case is a spawn process pool of one (not the in-process executor that
   ``make_executor(workers=1)`` gives), so both cases pay the same pickling and IPC costs; the
   in-process figure is reported for reference.
2. The bundled Sobol study ``experiments/sobol_emerging.toml`` (5,632 runs) end to end with two
   local workers, as ``smartspec sweep`` runs it (``run_experiment`` into a temporary folder),
   from creating the pool to closing it. ``--quick`` runs only the first 1/8 of its design and
   extrapolates (marked ``sobol_extrapolated``).
3. Peak memory (max RSS) of 1,000 versus 10,000 runs of a cheap callable target
   (``smartspec.experiments.examples.additive``), each size in its own subprocess with the
   in-process executor, so that everything is in one process and its peak is its own.

    .venv/bin/python benchmarks/bench_experiments.py [--quick] [--reps N] [--steps N]

Also reported, to tell the model, the runner and the machine apart: the workers' utilisation
(model seconds / worker wall seconds), each run's own time with two workers versus one, a
pure-Python CPU calibration on the same pools, the Sobol run time alone, and how many cores
other processes used during each phase (on a shared machine the speed figures are not valid).

Prints a table and, last, one JSON line with every figure.
Targets: 2 workers >= 1.8 x the throughput of 1; the Sobol study under 5 minutes on
2 cores; peak memory at 10,000 runs within 10 % of that at 1,000.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from child import measure_in_child

# Keep module-level imports light: spawn workers re-import this file as __mp_main__.

MEMORY_SIZES = (1_000, 10_000)
SOBOL_LIMIT_SECONDS = 300.0
QUICK_FRACTION = 8
SPIN_ITERATIONS = 15_000_000
SOBOL_ALONE_RUNS = 48
THROUGHPUT_OUTCOMES = {
    "final": ["innovation_index", "knowledge_per_firm", "human_capital", "citizen_trust"],
    "mean": ["innovating_share", "rd_intensity", "partnership_share", "absorption_rate"],
    "total": ["innovations", "social_innovations"],
    "window": 8,
    "series": ["innovation_index", "innovations", "network_density", "absorption_rate"],
}


class _OtherLoad:
    """CPU used by other processes on this machine while a phase runs, in cores (Linux).

    Busy time of all CPUs (/proc/stat) minus this process's and its reaped children's CPU
    time; the phases close their pools and wait for their subprocesses, so ours is counted.
    Anything well above 0 means the figures of that phase were measured on a shared machine.
    """

    def __enter__(self) -> _OtherLoad:
        self.cores: float | None = None
        self._start = (time.perf_counter(), _busy_seconds(), _own_cpu_seconds())
        return self

    def __exit__(self, *exc: object) -> None:
        wall0, busy0, own0 = self._start
        busy1 = _busy_seconds()
        if busy0 is not None and busy1 is not None:
            wall = time.perf_counter() - wall0
            self.cores = max(0.0, (busy1 - busy0) - (_own_cpu_seconds() - own0)) / wall


def _busy_seconds() -> float | None:
    try:
        with open("/proc/stat") as stream:
            fields = [int(value) for value in stream.readline().split()[1:8]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _process_pool(workers: int):
    """A spawn process pool like make_executor's, of any size (also 1); returns (pool, close)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from smartspec.experiments.runner import _ignore_sigint

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_ignore_sigint,
    )
    return pool, lambda: pool.shutdown(wait=True, cancel_futures=True)


def _spin(iterations: int = SPIN_ITERATIONS) -> float:
    """Pure-Python CPU work, no memory traffic, no numpy: seconds it took in this process."""
    start = time.perf_counter()
    total = 0
    for i in range(iterations):
        total += i * i
    return time.perf_counter() - start


def _spin_on(executor, workers: int) -> float:
    """Mean seconds of one spin when ``workers`` spins run at once on the executor."""
    futures = [executor.submit(_spin) for _ in range(workers)]
    return sum(future.result() for future in futures) / workers


def _comparison_spec(replications: int, steps: int):
    from smartspec.experiments import ExperimentSpec

    return ExperimentSpec.model_validate(
        {
            "name": "bench_throughput",
            "model": {"scenario": "emerging", "steps": steps},
            "design": {
                "kind": "comparison",
                "mixes": ["baseline"],
                "replications": replications,
                "seed": 2026,
            },
            "outcomes": THROUGHPUT_OUTCOMES,
        }
    )


def _run_seconds(out_dir: Path) -> tuple[int, float, int]:
    """Runs stored, the sum of their model seconds, and how many failed."""
    import pandas as pd

    runs = pd.read_parquet(out_dir / "runs", columns=["status", "seconds"])
    return len(runs), float(runs["seconds"].sum()), int((runs["status"] != "ok").sum())


def _throughput(kind: str, workers: int, replications: int, steps: int) -> dict:
    """Runs per second of one comparison experiment on a warm executor."""
    from smartspec.experiments import make_executor, run_experiment

    if kind == "in-process":
        executor, capacity, close = make_executor(workers=1)
    else:
        executor, close = _process_pool(workers)
        capacity = workers
    try:
        with tempfile.TemporaryDirectory(prefix="bench-exp-") as scratch:
            # Warm-up: 2 runs per worker, one per batch, so that every worker is spawned and
            # has imported the model before the clock starts.
            warm = _comparison_spec(2 * capacity, 2)
            run_experiment(
                warm,
                Path(scratch) / "warm",
                "warm-up",
                executor=executor,
                capacity=capacity,
                batch_size=1,
            )
            # Calibration of the machine, before and after: the same pure-Python work on every
            # worker at once (on a machine with `workers` free cores it takes as long as alone).
            spin_before = _spin_on(executor, capacity)
            spec = _comparison_spec(replications, steps)
            out = Path(scratch) / "timed"
            start = time.perf_counter()
            summary = run_experiment(spec, out, "timed", executor=executor, capacity=capacity)
            seconds = time.perf_counter() - start
            spin_after = _spin_on(executor, capacity)
            stored, model_seconds, failed = _run_seconds(out)
    finally:
        close()
    from smartspec.experiments.runner import auto_batch_size

    return {
        "kind": kind,
        "workers": workers,
        "runs": summary.done,
        "stored": stored,
        "failed": failed,
        "seconds": seconds,
        "runs_per_second": summary.done / seconds,
        "model_seconds_per_run": model_seconds / max(1, stored),
        # Share of the workers' wall time spent inside the model (1.0 = no overhead/idle).
        "utilisation": model_seconds / (seconds * workers),
        "batch_size": auto_batch_size(replications, capacity),
        "spin_seconds": (spin_before + spin_after) / 2,
        "spin_before": spin_before,
        "spin_after": spin_after,
    }


def _sobol_alone(count: int) -> float:
    """Model seconds per Sobol run with nothing else running (in process, spread over the
    design), the reference for what two workers could do at best."""
    from smartspec.experiments import SmartSpecTarget, build_design, load_experiment

    spec, _ = load_experiment("sobol_emerging")
    tasks = build_design(spec).tasks
    target = SmartSpecTarget.from_spec(spec)
    target(tasks[0])  # warm-up: imports and caches
    chosen = tasks[1 :: max(1, len(tasks) // count)][:count]
    start = time.perf_counter()
    for task in chosen:
        target(task)
    return (time.perf_counter() - start) / len(chosen)


def _sobol(workers: int, quick: bool) -> dict:
    """The bundled Sobol study with ``workers`` local processes, as smartspec sweep runs it."""
    from smartspec.experiments import (
        Design,
        build_design,
        load_experiment,
        make_executor,
        run_experiment,
    )
    from smartspec.experiments.runner import auto_batch_size

    spec, path = load_experiment("sobol_emerging")
    text = path.read_text(encoding="utf-8")
    full = build_design(spec)
    planned = len(full.tasks)
    design = full
    if quick:
        design = Design(
            tasks=full.tasks[: planned // QUICK_FRACTION],
            points=full.points,
            problem=full.problem,
            sampler=full.sampler,
        )
    with tempfile.TemporaryDirectory(prefix="bench-sobol-") as scratch:
        out = Path(scratch) / "sobol"
        start = time.perf_counter()
        executor, capacity, close = make_executor(workers=workers)
        try:
            summary = run_experiment(
                spec, out, text, executor=executor, capacity=capacity, design=design
            )
        finally:
            close()
        seconds = time.perf_counter() - start
        stored, model_seconds, failed = _run_seconds(out)
        batch_files = len(list((out / "runs").glob("batch-*.parquet")))
    ran = summary.done
    return {
        "planned": planned,
        "ran": ran,
        "failed": failed,
        "seconds_measured": seconds,
        "seconds": seconds * planned / ran,
        "extrapolated": ran != planned,
        "runner_seconds": summary.seconds,
        "model_seconds_per_run": model_seconds / max(1, stored),
        "utilisation": model_seconds / (seconds * capacity),
        "batch_size": auto_batch_size(len(design.tasks), capacity),
        "batch_files": batch_files,
    }


def _measure_memory(runs: int) -> dict:
    """Peak RSS of run_experiment with a cheap callable target, all in this process."""
    import resource

    from smartspec.experiments import CallableTarget, ExperimentSpec, run_experiment
    from smartspec.experiments.examples import additive

    spec = ExperimentSpec.model_validate(
        {
            "name": "bench_memory",
            "design": {"kind": "lhs", "samples": runs, "seed": 2026},
            "parameters": [
                {"name": f"x{i}", "path": f"x{i}", "range": [0.0, 1.0]} for i in (1, 2, 3, 4)
            ],
            "outcomes": {"final": ["innovation_index"]},
        }
    )
    target = CallableTarget(additive)
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as scratch:
        # A tiny warm-up so that lazily imported modules count in the baseline, not the peak.
        warm = spec.model_copy(update={"design": spec.design.model_copy(update={"samples": 8})})
        run_experiment(warm, Path(scratch) / "warm", "warm-up", target=target)
        baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        summary = run_experiment(spec, Path(scratch) / "timed", "timed", target=target)
        seconds = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        batch_files = len(list((Path(scratch) / "timed" / "runs").glob("batch-*.parquet")))
    return {
        "runs": summary.done,
        "failed": summary.failed,
        "seconds": seconds,
        "baseline_rss_mb": baseline_kib / 1024,
        "peak_rss_mb": peak_kib / 1024,
        "batch_files": batch_files,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reps", type=int, default=240, help="throughput runs per configuration (default 240)"
    )
    parser.add_argument(
        "--steps", type=int, default=24, help="quarters per throughput run (default 24)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="run 1/8 of the Sobol design and extrapolate"
    )
    args = parser.parse_args()

    # 3 first, in fresh interpreters, so nothing else is running while memory is measured.
    other: dict[str, float | None] = {}
    with _OtherLoad() as load:
        memory = {
            size: measure_in_child("bench_experiments", "memory", size) for size in MEMORY_SIZES
        }
    other["memory"] = load.cores
    with _OtherLoad() as load:
        in_process = _throughput("in-process", 1, args.reps, args.steps)
    other["in_process"] = load.cores
    with _OtherLoad() as load:
        one = _throughput("process pool", 1, args.reps, args.steps)
    other["1_worker"] = load.cores
    with _OtherLoad() as load:
        two = _throughput("process pool", 2, args.reps, args.steps)
    other["2_workers"] = load.cores
    with _OtherLoad() as load:
        sobol_alone = _sobol_alone(SOBOL_ALONE_RUNS)
        sobol = _sobol(2, args.quick)
    other["sobol"] = load.cores

    speedup = two["runs_per_second"] / one["runs_per_second"]
    # What this machine gives two processes at all: pure-Python work on both workers at once
    # versus alone (2.0 = two free cores; less = shared or contended CPUs).
    cpu_scaling = 2 * one["spin_seconds"] / two["spin_seconds"]
    # Each run's own cost with two running versus one: > 1 means the runs slow each other down.
    per_run_slowdown = two["model_seconds_per_run"] / one["model_seconds_per_run"]
    small, large = memory[MEMORY_SIZES[0]], memory[MEMORY_SIZES[-1]]
    memory_ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    targets = {
        "speedup_2_vs_1>=1.8": speedup >= 1.8,
        "sobol<300s_on_2_cores": sobol["seconds"] < SOBOL_LIMIT_SECONDS,
        "memory_10000_within_10pct_of_1000": abs(memory_ratio - 1.0) <= 0.10,
    }

    print(f"Throughput: emerging, baseline mix, {args.reps} runs x {args.steps} quarters")
    print(
        f"{'executor':>24} {'runs/s':>8} {'seconds':>8} {'model s/run':>12} "
        f"{'utilisation':>12} {'batch':>6}"
    )
    for row in (in_process, one, two):
        label = f"{row['kind']}, {row['workers']}"
        print(
            f"{label:>24} {row['runs_per_second']:>8.2f} {row['seconds']:>8.1f} "
            f"{row['model_seconds_per_run']:>12.4f} {row['utilisation']:>12.1%} "
            f"{row['batch_size']:>6}"
        )
    print(f"speedup 2 vs 1 worker processes:  {speedup:.2f}x   (target >= 1.8)")
    print(
        f"  per-run model time, 2 workers / 1 worker: {per_run_slowdown:.2f}x; CPU calibration "
        f"(pure-Python spin, both workers at once vs alone): {cpu_scaling:.2f}x of 2.00"
    )
    print(
        f"  spin seconds before/after: 1 worker {one['spin_before']:.2f}/{one['spin_after']:.2f}"
        f", 2 workers {two['spin_before']:.2f}/{two['spin_after']:.2f}"
    )
    print()
    mark = " (extrapolated from 1/8 of the design)" if sobol["extrapolated"] else ""
    print(
        f"Sobol study sobol_emerging, 2 workers: {sobol['ran']} of {sobol['planned']} runs in "
        f"{sobol['seconds_measured']:.1f} s"
    )
    print(
        f"  all {sobol['planned']} runs: {sobol['seconds']:.1f} s{mark}   (target < "
        f"{SOBOL_LIMIT_SECONDS:.0f})"
    )
    print(
        f"  model seconds per run {sobol['model_seconds_per_run']:.4f} with 2 workers, "
        f"{sobol_alone:.4f} alone (in process, {SOBOL_ALONE_RUNS} runs across the design)"
    )
    print(
        f"  worker utilisation "
        f"{sobol['utilisation']:.1%}, batch size {sobol['batch_size']}, "
        f"{sobol['batch_files']} batch files, {sobol['failed']} failed"
    )
    print(
        f"  needed for the target: <= {SOBOL_LIMIT_SECONDS * 2 / sobol['planned']:.4f} s per run "
        f"at 100 % utilisation on 2 workers"
    )
    print()
    print(f"{'runs':>8} {'seconds':>8} {'batches':>8} {'baseline RSS MB':>16} {'peak RSS MB':>12}")
    for row in (small, large):
        print(
            f"{row['runs']:>8} {row['seconds']:>8.1f} {row['batch_files']:>8} "
            f"{row['baseline_rss_mb']:>16.1f} {row['peak_rss_mb']:>12.1f}"
        )
    print(f"peak memory ratio 10,000 / 1,000 runs: {memory_ratio:.3f}   (target <= 1.10)")

    known = {phase: cores for phase, cores in other.items() if cores is not None}
    if known:
        print()
        print(
            "CPU used by other processes during each phase (cores): "
            + ", ".join(f"{phase} {cores:.2f}" for phase, cores in known.items())
        )
        if max(known.values()) > 0.1:
            print("  WARNING: the machine was shared; speed figures are lower than on idle cores")

    result = {
        "runs_per_second_in_process": in_process["runs_per_second"],
        "runs_per_second_1_worker": one["runs_per_second"],
        "runs_per_second_2_workers": two["runs_per_second"],
        "speedup_2_vs_1": speedup,
        "throughput_runs": args.reps,
        "throughput_steps": args.steps,
        "model_seconds_per_run_throughput": one["model_seconds_per_run"],
        "utilisation_1_worker": one["utilisation"],
        "utilisation_2_workers": two["utilisation"],
        "per_run_slowdown_2_vs_1": per_run_slowdown,
        "cpu_scaling_2_vs_1": cpu_scaling,
        "sobol_runs": sobol["planned"],
        "sobol_runs_executed": sobol["ran"],
        "sobol_seconds": sobol["seconds"],
        "sobol_seconds_measured": sobol["seconds_measured"],
        "sobol_extrapolated": sobol["extrapolated"],
        "sobol_model_seconds_per_run": sobol["model_seconds_per_run"],
        "sobol_model_seconds_per_run_alone": sobol_alone,
        "sobol_seconds_per_run_needed": SOBOL_LIMIT_SECONDS * 2 / sobol["planned"],
        "sobol_utilisation": sobol["utilisation"],
        "sobol_failed": sobol["failed"],
        "peak_rss_mb_1000": small["peak_rss_mb"],
        "peak_rss_mb_10000": large["peak_rss_mb"],
        "baseline_rss_mb_1000": small["baseline_rss_mb"],
        "baseline_rss_mb_10000": large["baseline_rss_mb"],
        "memory_ratio": memory_ratio,
        "other_load_cores": other,
        "targets_met": targets,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
