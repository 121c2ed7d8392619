"""The numerical core of history matching: emulators, implausibility, NROY sampling."""

from __future__ import annotations

import numpy as np
import pytest

from smartspec.experiments.calibration.sampling import (
    latin_hypercube,
    maximin_subset,
    sample_nroy,
    volume_fraction,
)

# ------------------------------------------------------------------------------ sampling


def test_latin_hypercube_puts_one_point_in_every_stratum():
    sample = latin_hypercube(50, 4, np.random.default_rng(0))
    assert sample.shape == (50, 4)
    for column in sample.T:
        np.testing.assert_array_equal(np.sort(np.floor(column * 50)), np.arange(50))


def min_distance(points):
    gaps = np.sqrt(np.sum((points[:, None] - points[None]) ** 2, axis=-1))
    return gaps[np.triu_indices(len(points), k=1)].min()


def test_maximin_subset_spreads_points_more_than_a_random_subset():
    rng = np.random.default_rng(1)
    candidates = rng.random((5_000, 3))
    chosen = maximin_subset(candidates, 30, rng)
    assert len(set(chosen.tolist())) == 30
    random_subset = candidates[rng.choice(5_000, 30, replace=False)]
    assert min_distance(candidates[chosen]) > 2 * min_distance(random_subset)


def test_rejection_sampling_finds_points_in_a_ball_of_one_percent():
    centre, radius = np.full(3, 0.5), (0.01 * 3 / (4 * np.pi)) ** (1 / 3)

    def inside(p):
        return np.sum((p - centre) ** 2, axis=1) <= radius**2

    sample = sample_nroy(inside, 3, 100, np.random.default_rng(2))
    assert sample.method == "rejection" and len(sample.points) == 100
    assert inside(sample.points).all()
    assert sample.acceptance == pytest.approx(0.01, rel=0.25)


def test_mcmc_fills_a_tiny_region_from_one_known_point():
    centre = np.array([0.3, 0.6, 0.7, 0.2])
    half_width = 0.5 * 1e-5**0.25  # a box of volume 1e-5 in four dimensions

    def inside(p):
        return np.all(np.abs(p - centre) <= half_width, axis=1)

    sample = sample_nroy(inside, 4, 200, np.random.default_rng(3), known=centre[None])
    assert sample.method == "mcmc" and len(sample.points) == 200
    assert inside(sample.points).all()
    uniform_sd = 2 * half_width / np.sqrt(12)
    assert (sample.points.std(axis=0) > 0.7 * uniform_sd).all()
    spans = sample.points.max(axis=0) - sample.points.min(axis=0)
    assert (spans > 0.8 * 2 * half_width).all()
    assert 0.05 < sample.proposal_acceptance < 0.6


def test_an_empty_region_gives_an_empty_sample():
    def nowhere(p):
        return np.zeros(len(p), dtype=bool)

    rng = np.random.default_rng(4)
    sample = sample_nroy(nowhere, 2, 10, rng, max_candidates=30_000)
    assert sample.empty and sample.evaluated == 30_000 and sample.acceptance == 0.0


def test_volume_fraction_of_a_known_box():
    def inside(p):
        return (p[:, 0] >= 0.2) & (p[:, 0] <= 0.5) & (p[:, 1] >= 0.1) & (p[:, 1] <= 0.6)

    share, error = volume_fraction(inside, 2, 60_000, np.random.default_rng(5))
    assert abs(share - 0.15) < 3 * error and error > 0
