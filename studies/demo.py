"""The newcomer's tour (``smartspec demo``): compare the bundled mixes, screen the parameters,
write the report.

Each stage is an experiment folder below the demo's folder and is resumed when it exists, so
the demo is safe to interrupt and re-run (finished runs are kept).

    run_demo_comparison -> run_demo_screening -> write_demo_report
"""

from __future__ import annotations

import logging
from pathlib import Path

from smartspec.experiments import RunSummary, load_experiment

from .common import Execution, run_study
from .compare import run_compare
from .defaults import DEMO_MIXES, DEMO_REPLICATIONS, DEMO_SCENARIO, DEMO_SCREENING

__all__ = [
    "STAGES",
    "comparison_folder",
    "run_demo_comparison",
    "run_demo_screening",
    "screening_folder",
    "write_demo_report",
]

logger = logging.getLogger(__name__)

#: What each stage does, in plain words (the command line announces them).
STAGES = (
    "Comparing the five bundled policy mixes in the emerging region",
    "Screening which parameters matter (Morris)",
    "Writing the report",
)


def comparison_folder(out_dir: Path) -> Path:
    """Where the demo's comparison goes."""
    return Path(out_dir) / "compare"


def screening_folder(out_dir: Path) -> Path:
    """Where the demo's screening goes."""
    return Path(out_dir) / "screening"


def _started(folder: Path) -> bool:
    return (folder / "design.parquet").exists()


def run_demo_comparison(
    out_dir: Path, replications: int = DEMO_REPLICATIONS, execution: Execution | None = None
) -> RunSummary:
    """Stage 1: the bundled demo mixes in the demo scenario, paired replications.

    Parameters
    ----------
    out_dir : Path
        The demo's folder (the comparison goes to ``out_dir/compare``).
    replications : int
        Replications per mix.
    execution : Execution, optional
        Executor and progress (default: in this process).

    Returns
    -------
    RunSummary
    """
    folder = comparison_folder(out_dir)
    logger.info("demo stage 1: %s into %s", STAGES[0], folder)
    return run_compare(
        DEMO_SCENARIO,
        DEMO_MIXES,
        folder,
        replications,
        execution=execution,
        resume=_started(folder),
    )


def run_demo_screening(out_dir: Path, execution: Execution | None = None) -> RunSummary:
    """Stage 2: the bundled Morris screening, into ``out_dir/screening``."""
    folder = screening_folder(out_dir)
    logger.info("demo stage 2: %s into %s", STAGES[1], folder)
    spec, path = load_experiment(DEMO_SCREENING)
    text = path.read_text(encoding="utf-8")
    return run_study(spec, folder, text, execution, resume=_started(folder))


def write_demo_report(out_dir: Path) -> Path:
    """Stage 3: the HTML report of the comparison, ranked by the screening
    (``out_dir/report.html``)."""
    from smartspec.analysis.report import write_report

    path = write_report(
        comparison_folder(out_dir),
        out=Path(out_dir) / "report.html",
        sensitivity_dir=screening_folder(out_dir),
    )
    logger.info("demo stage 3: wrote %s", path)
    return path
