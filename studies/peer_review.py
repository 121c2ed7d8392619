"""Peer review of S3 strategies between regions (``smartspec peer-review``).

One simulation of a multi-region scenario with peer-review rounds (``model/peer_review.py``),
run through the experiments layer as a one-run design: its seed comes from the master seed
like every other run's, and its folder is an ordinary, resumable experiment folder. The run's
per-step table is the regions' indicators with each region's review joined to the quarter it
was held in; the study splits it back into the reviews and the indicators.

    run_peer_review -> summarise_peer_review -> write_peer_review
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.experiments import ExperimentSpec, RunSummary, load_results
from smartspec.experiments.designs import RunTask
from smartspec.scenarios import OptionError, ScenarioError, load_scenario

from .common import Execution, check_out_dir, run_study
from .defaults import PEER_REVIEW_SEED, peer_review_out

__all__ = [
    "PeerReviewTarget",
    "PeerReviews",
    "peer_review_overrides",
    "peer_review_spec",
    "render_reviews",
    "run_peer_review",
    "summarise_peer_review",
    "write_peer_review",
]

logger = logging.getLogger(__name__)

#: Prefix of the review columns in the run's per-step table.
REVIEW = "review: "


@dataclass(frozen=True)
class PeerReviewTarget:
    """One peer-review simulation (module level, so it pickles).

    Returns the final innovation index of all regions together and the number of review
    rounds, and as the per-step table the regions' indicators with the review columns
    (prefixed ``"review: "``) filled in each round's quarter.
    """

    fixed: Mapping[str, Any]

    def __call__(self, task: RunTask) -> tuple[dict[str, Any], pd.DataFrame | None]:
        from smartspec.experiments.targets import aggregate_regions
        from smartspec.model import EcosystemModel

        model = EcosystemModel(task.scenario, rng=task.seed, mix=task.mix, **self.fixed)
        model.run_for(model.spec.steps)
        indicators = model.indicators()
        reviews = pd.DataFrame(model.peer_reviews)
        joined = indicators.merge(
            reviews.rename(columns=lambda name: REVIEW + name).rename(
                columns={REVIEW + "step": "step", REVIEW + "region": "region"}
            ),
            on=["step", "region"],
            how="left",
            validate="one_to_one",
        )
        total = aggregate_regions(indicators, ["innovation_index"])["innovation_index"]
        outcomes = {
            "final_innovation_index": float(total.iloc[-1]),
            "review_rounds": int(reviews["step"].nunique()) if len(reviews) else 0,
        }
        return outcomes, joined


def peer_review_overrides(
    selection: str | None = None,
    peers: int | None = None,
    period: int | None = None,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The dotted overrides that switch peer review on with the given settings (None keeps
    the scenario's), after ``fixed``."""
    overrides = {**(fixed or {}), "peer_review.enabled": True}
    for name, value in (("selection", selection), ("peers", peers), ("period", period)):
        if value is not None:
            overrides[f"peer_review.{name}"] = value
    if steps:
        overrides["steps"] = steps
    return overrides


def peer_review_spec(
    scenario: str, overrides: Mapping[str, Any], seed: int = PEER_REVIEW_SEED
) -> ExperimentSpec:
    """The one-run experiment: ``scenario`` with ``overrides``, one replication of ``seed``."""
    return ExperimentSpec.model_validate(
        {
            "name": f"peer-review-{Path(scenario).stem}",
            "description": f"Peer review of S3 strategies between the regions of {scenario}",
            "model": {"scenario": scenario, "set": dict(overrides)},
            "design": {
                "kind": "comparison",
                "scenarios": [scenario],
                "replications": 1,
                "seed": seed,
            },
            "outcomes": {"final": ["innovation_index"]},
        }
    )


def run_peer_review(
    scenario: str,
    out_dir: Path | None = None,
    selection: str | None = None,
    peers: int | None = None,
    period: int | None = None,
    steps: int | None = None,
    fixed: Mapping[str, Any] | None = None,
    seed: int = PEER_REVIEW_SEED,
    execution: Execution | None = None,
    resume: bool | None = None,
) -> RunSummary:
    """Check the scenario, then simulate it with peer review into ``out_dir``.

    Parameters
    ----------
    scenario : str
        A multi-region scenario (bundled name or TOML path).
    out_dir : Path, optional
        Results folder (default ``results/peer-review-NAME``, NAME the scenario's name).
    selection, peers, period : optional
        Peer selection rule, reviewers per region, quarters between rounds (default: the
        scenario's).
    steps : int, optional
        Quarters to simulate (default: the scenario's).
    fixed : Mapping, optional
        Dotted scenario overrides.
    seed : int
        Master seed (the run's seed is its first replication seed).
    execution : Execution, optional
        Executor and progress (default: in this process).
    resume : bool, optional
        Continue an interrupted run (default: ``execution.resume``).

    Returns
    -------
    RunSummary
        ``out_dir`` says where the run went.

    Raises
    ------
    ScenarioError
        If the scenario cannot be used or has fewer than two regions.
    OptionError
        If the review period is longer than the simulation (no round would be held).
    """
    overrides = peer_review_overrides(selection, peers, period, steps, fixed)
    loaded = load_scenario(scenario, overrides=overrides)
    if len(loaded.regions) < 2:
        raise ScenarioError(scenario, "regions", "peer review needs two regions or more")
    if loaded.peer_review.period > loaded.steps:
        raise OptionError(
            "--period",
            str(loaded.peer_review.period),
            f"longer than the {loaded.steps} quarters simulated: no review round is held",
        )
    out_dir = Path(out_dir) if out_dir is not None else peer_review_out(loaded.name)
    check_out_dir(out_dir)
    spec = peer_review_spec(scenario, overrides, seed)
    text = "# smartspec peer-review (experiment as JSON)\n" + spec.model_dump_json(indent=2)
    target = PeerReviewTarget(fixed=overrides)
    return run_study(spec, out_dir, text, execution, target=target, resume=resume)


@dataclass
class PeerReviews:
    """The reviews of one peer-review run and the indicators they were made from.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    reviews : pandas.DataFrame
        One row per region and round: reviewers, index, scores on the six RIS3 Guide steps,
        strengths, weaknesses, recommendations, whom it learned from and how much.
    indicators : pandas.DataFrame
        The model's indicators, one row per region and quarter.
    """

    scenario: str
    reviews: pd.DataFrame
    indicators: pd.DataFrame


def summarise_peer_review(out_dir: Path) -> PeerReviews:
    """Split a peer-review folder's run back into its reviews and its indicators."""
    results = load_results(out_dir)
    if results.outcomes.empty:
        from smartspec.experiments import StoreError

        raise StoreError(str(out_dir), "", "the peer-review run did not finish")
    experiment = results.provenance["experiment"]
    name = load_scenario(experiment["model"]["scenario"], overrides=experiment["model"]["set"])
    table = results.series.drop(columns=list(results.inputs.columns), errors="ignore")
    review_columns = [column for column in table.columns if column.startswith(REVIEW)]
    held = table[table[REVIEW + "reviewers"].notna()]
    reviews = held[["step", "region", *review_columns]].rename(
        columns=lambda column: column.removeprefix(REVIEW)
    )
    indicators = table.drop(columns=review_columns)
    return PeerReviews(name.name, reviews.reset_index(drop=True), indicators.reset_index(drop=True))


def render_reviews(result: PeerReviews) -> str:
    """The latest round as Markdown: per region its scores, strengths, weaknesses and
    recommendations."""
    latest = result.reviews[result.reviews["step"] == result.reviews["step"].max()]
    lines = [
        f"# Peer review of S3 strategies: {result.scenario} (round of quarter "
        f"{int(latest['step'].iloc[0])})",
        "",
    ]
    for record in latest.to_dict("records"):
        lines += [
            f"## {record['region']} (index {record['innovation_index']:.1f}), reviewed by "
            f"{record['reviewers'].replace(';', ', ')}",
            "",
        ]
        lines += [
            f"- {key.removeprefix('score: ')}: {value:.1f} / 5"
            for key, value in record.items()
            if key.startswith("score: ")
        ]
        lines += [
            "",
            f"Strengths: {record['strengths']}.",
            f"Weaknesses: {record['weaknesses']}.",
            f"Recommendations: {record['recommendations']}.",
            "",
        ]
    return "\n".join(lines)


def write_peer_review(result: PeerReviews, out_dir: Path) -> list[Path]:
    """Write reviews.csv (every round), indicators.parquet and reviews.md into ``out_dir``."""
    out_dir = Path(out_dir)
    written = [out_dir / "reviews.csv", out_dir / "indicators.parquet", out_dir / "reviews.md"]
    result.reviews.to_csv(written[0], index=False)
    result.indicators.to_parquet(written[1], index=False)
    written[2].write_text(render_reviews(result), encoding="utf-8")
    logger.info("wrote the reviews to %s", out_dir)
    return written
