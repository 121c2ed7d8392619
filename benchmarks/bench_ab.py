"""Step time of this checkout against another git revision, measured as interleaved A/B runs.

    .venv/bin/python benchmarks/bench_ab.py --rev REV [--rounds 5] [--steps 20]

REV (a commit, tag or branch of this repository) is installed once into
``benchmarks/.ab-cache/REV`` (a plain, non-editable install, no dependencies) and imported
from there; "B" is the code of this checkout. Each round measures A then B (then B then A in
the next round, so neither always runs first) at 1k, 10k and 100k firms, every measurement in
a fresh interpreter (``bench_model._measure_ours``). Interleaving spreads any drift of the
machine's speed over both; the median over rounds is reported.

Prints a table and, last, one JSON line: per size the median step time of A and B and the
change B/A - 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".ab-cache"
SIZES = (1_000, 10_000, 100_000)


def install_revision(revision: str) -> Path:
    """A non-editable install of ``revision`` (no dependencies); returns its folder."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", revision],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = CACHE / commit[:12]
    if (target / "smartspec").is_dir():
        return target
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(source), commit],
            check=True,
            capture_output=True,
        )
        try:
            subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                 "--target", str(target), str(source)],
                check=True,
            )  # fmt: skip
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(source)],
                check=False,
                capture_output=True,
            )
    return target


def measure(site: Path | None, firms: int, steps: int) -> float:
    """Median step time (s) at ``firms`` firms, in a fresh interpreter importing smartspec
    from ``site`` (None: this checkout)."""
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_model as b; "
        f"print(json.dumps(b._measure_ours({firms}, {steps})))"
    )
    environment = dict(os.environ)
    if site is not None:
        environment["PYTHONPATH"] = str(site)
    # -P: no working directory on sys.path. Run from the repository root, ``python -c`` would
    # otherwise import this checkout's own smartspec/ ahead of PYTHONPATH, so that A
    # silently measured B.
    output = subprocess.run(
        [sys.executable, "-P", "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    ).stdout
    return float(json.loads(output.strip().splitlines()[-1])["step_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", required=True, help="git revision to compare against (A)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    parser.add_argument("--clean", action="store_true", help="reinstall the revision")
    args = parser.parse_args()
    if args.clean:
        shutil.rmtree(CACHE, ignore_errors=True)
    site = install_revision(args.rev)
    times: dict[int, dict[str, list[float]]] = {size: {"A": [], "B": []} for size in SIZES}
    for round_index in range(args.rounds):
        order = ("A", "B") if round_index % 2 == 0 else ("B", "A")
        for size in SIZES:
            steps = args.steps if size < 100_000 else max(5, args.steps // 4)
            for arm in order:
                value = measure(site if arm == "A" else None, size, steps)
                times[size][arm].append(value)
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)
    result = {"revision": args.rev, "rounds": args.rounds, "sizes": {}}
    print(f"{'firms':>8} {'A ms/step':>10} {'B ms/step':>10} {'change':>8}")
    for size in SIZES:
        a, b = float(np.median(times[size]["A"])), float(np.median(times[size]["B"]))
        change = b / a - 1.0
        print(f"{size:>8} {1000 * a:>10.2f} {1000 * b:>10.2f} {change:>+8.1%}")
        result["sizes"][str(size)] = {
            "a_seconds": a,
            "b_seconds": b,
            "change": change,
            "a_all": times[size]["A"],
            "b_all": times[size]["B"],
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
