"""Peer review of S3 strategies between regions (S3 Platform peer-review workshops).

Every ``peer_review.period`` quarters each region's strategy is reviewed by ``peers`` other
regions. Reviewers score it on the six steps of the RIS3 Guide from observable indicators; the
reviewed region then moves its policy mix towards the mixes of the reviewers that perform
better than it does, as far as its institutional quality allows, and may take over a better
peer's governance model. Every review is recorded (scores, strengths, weaknesses,
recommendations) in ``EcosystemModel.peer_reviews``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from smartspec.scenarios.schema import Governance, PeerReview

from .government import GOVERNANCES, Governments

__all__ = ["RIS3_STEPS", "RECOMMENDATIONS", "hold_round", "score_strategy", "select_peers"]

#: The six steps of the RIS3 Guide (Foray et al. 2012) and the indicator that scores each.
RIS3_STEPS = {
    "analysis of the regional context": "density_specialisations",
    "governance": "edp_inclusiveness",
    "shared vision": "citizen_trust",
    "selection of priorities": "density_priorities",
    "policy mix and action plan": "absorption_rate",
    "monitoring and evaluation": "institutional_quality",
}
RECOMMENDATIONS = {
    "analysis of the regional context": "deepen the analysis of the region's related strengths",
    "governance": "open the entrepreneurial discovery process to more stakeholders",
    "shared vision": "build trust and a shared vision with citizens and stakeholders",
    "selection of priorities": "choose priorities closer to existing capabilities",
    "policy mix and action plan": "fit the instruments to what applicants can absorb",
    "monitoring and evaluation": "invest in administrative and monitoring capacity",
}
#: Reviewers score each step on the workshop scale from 1 (weak) to 5 (strong).
SCORE_RANGE = (1.0, 5.0)


def score_strategy(
    row: dict[str, Any], governance: Governance, settings: PeerReview
) -> dict[str, float]:
    """Scores 1-5 per RIS3 step from one region's indicators (each maps [0, 1] to [1, 5])."""
    values = dict(row)
    values["edp_inclusiveness"] = settings.inclusiveness[governance] * min(
        1.0, settings.participation_offset + values.get("citizen_participation", 0.0)
    )
    low, high = SCORE_RANGE
    scores = {}
    for step, column in RIS3_STEPS.items():
        value = values.get(column, 0.0)
        value = 0.0 if value is None or not np.isfinite(value) else float(value)
        scores[step] = low + (high - low) * min(max(value, 0.0), 1.0)
    return scores


def select_peers(index: np.ndarray, region: int, count: int, rule: str, rng) -> list[int]:
    """Reviewers of ``region`` by the scenario's rule."""
    others = [r for r in range(len(index)) if r != region]
    count = min(count, len(others))
    if rule == "random":
        return sorted(int(r) for r in rng.choice(others, size=count, replace=False))
    if rule == "similar":
        return sorted(sorted(others, key=lambda r: (abs(index[r] - index[region]), r))[:count])
    # leader_laggard: laggards are reviewed by the leaders, leaders by the laggards.
    ranked = sorted(others, key=lambda r: (-index[r], r))
    below_median = index[region] < np.median(index)
    return sorted(ranked[:count] if below_median else ranked[::-1][:count])


def hold_round(
    governments: Governments,
    rows: Sequence[dict[str, Any]],
    names: Sequence[str],
    settings: PeerReview,
    rng: np.random.Generator,
    step: int,
) -> list[dict[str, Any]]:
    """One review round over every region, from each region's latest indicator ``rows``;
    regions move their mix (``governments.shares``, ``governments.governance``) towards
    better reviewers. Returns the reviews."""
    index = np.array([row["innovation_index"] for row in rows])
    governances = [GOVERNANCES[int(code)] for code in governments.governance[: len(rows)]]
    reviews = []
    new_shares = governments.shares[: len(rows)].copy()
    for region, row in enumerate(rows):
        peers = select_peers(index, region, settings.peers, settings.selection, rng)
        scores = score_strategy(row, governances[region], settings)
        ordered = sorted(scores, key=scores.get)
        better = [peer for peer in peers if index[peer] > index[region]]
        quality = float(governments.quality[region])
        adjustment = settings.learning_rate * quality
        if better:
            target = governments.shares[better].mean(axis=0)
            shares = new_shares[region] + adjustment * (target - new_shares[region])
            new_shares[region] = shares / shares.sum()
            best = max(better, key=lambda peer: index[peer])
            if governances[best] != governances[region] and rng.random() < adjustment:
                governments.governance[region] = GOVERNANCES.index(governances[best])
        reviews.append(
            {
                "step": step,
                "region": names[region],
                "reviewers": ";".join(names[peer] for peer in peers),
                "innovation_index": float(index[region]),
                **{f"score: {step}": round(value, 2) for step, value in scores.items()},
                "strengths": "; ".join(ordered[-2:][::-1]),
                "weaknesses": "; ".join(ordered[:2]),
                "recommendations": "; ".join(RECOMMENDATIONS[step] for step in ordered[:2]),
                "learned_from": ";".join(names[peer] for peer in better),
                "mix_adjustment": adjustment if better else 0.0,
            }
        )
    governments.shares[: len(rows)] = new_shares
    return reviews
