"""The numerical core of history matching: emulators, implausibility, NROY sampling."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smartspec.experiments.calibration.emulator import (
    Emulator,
    fit_and_validate,
    fit_emulator,
    validate_emulator,
)
from smartspec.experiments.calibration.implausibility import (
    NroyRegion,
    cut_measure,
    implausibility,
)
from smartspec.experiments.calibration.sampling import (
    latin_hypercube,
    maximin_subset,
    sample_nroy,
    volume_fraction,
)


def smooth(x: np.ndarray) -> np.ndarray:
    return np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.5 * x[:, 2]


def replicated(function, x, replications, noise_sd, rng):
    """Means, sample variances and run counts of ``replications`` noisy runs per point."""
    runs = function(x)[:, None] + noise_sd * rng.standard_normal((len(x), replications))
    return runs.mean(axis=1), runs.var(axis=1, ddof=1), np.full(len(x), replications)


@pytest.fixture(scope="module")
def smooth_fit():
    rng = np.random.default_rng(11)
    x = latin_hypercube(60, 3, rng)
    means, variances, counts = replicated(smooth, x, 3, 0.05, rng)
    holdout = np.zeros(60, dtype=bool)
    holdout[rng.choice(60, 15, replace=False)] = True
    emulator, check = fit_and_validate(x, means, variances, counts, holdout, seed=5)
    return x, means, variances, counts, holdout, emulator, check


# ------------------------------------------------------------------------------ emulator


def test_emulator_predicts_untried_points_within_its_intervals(smooth_fit):
    *_, emulator, check = smooth_fit
    assert check.passed, check.reason
    assert check.coverage >= 0.8
    fresh = np.random.default_rng(2).random((200, 3))
    mean, variance = emulator.predict(fresh)
    errors = (smooth(fresh) - mean) / np.sqrt(variance)
    assert np.mean(np.abs(errors) <= 3) >= 0.9
    assert np.max(np.abs(smooth(fresh) - mean)) < 0.2
    assert emulator.fit_seconds > 0 and "RBF" in emulator.description


def test_emulator_round_trips_through_json_with_identical_predictions(smooth_fit):
    *_, emulator, _ = smooth_fit
    rebuilt = Emulator.from_dict(json.loads(json.dumps(emulator.to_dict())))
    fresh = np.random.default_rng(3).random((50, 3))
    for original, copy in zip(emulator.predict(fresh), rebuilt.predict(fresh), strict=True):
        np.testing.assert_array_equal(original, copy)
    np.testing.assert_array_equal(emulator.run_variance(fresh), rebuilt.run_variance(fresh))
    assert rebuilt.description == emulator.description


def test_emulator_fit_is_deterministic_for_a_seed(smooth_fit):
    x, means, variances, counts, *_ = smooth_fit
    first = fit_emulator(x, means, variances, counts, seed=9).to_dict()
    second = fit_emulator(x, means, variances, counts, seed=9).to_dict()
    first.pop("fit_seconds"), second.pop("fit_seconds")
    assert first == second


def test_emulator_leaves_out_points_without_a_mean(smooth_fit):
    x, means, variances, counts, *_ = smooth_fit
    means = means.copy()
    means[[0, 7]] = np.nan
    emulator = fit_emulator(x, means, variances, counts, seed=1)
    assert len(emulator.means) == len(x) - 2 and np.isfinite(emulator.predict(x)[0]).all()


def test_validation_fails_an_overconfident_emulator_on_a_wiggly_function():
    rng = np.random.default_rng(4)

    def wiggly(x):
        return np.sin(12 * x[:, 0]) * np.cos(9 * x[:, 1])

    x = rng.random((50, 2))
    means, variances, counts = replicated(wiggly, x, 2, 0.01, rng)
    good = fit_emulator(x, means, variances, counts, seed=0).to_dict()
    # Far too long length scales and a far too small signal variance: a flat, sure emulator.
    good["theta"] = [np.log(1e-4), np.log(100.0), np.log(100.0)]
    bad = Emulator.from_dict(good)
    x_test = rng.random((20, 2))
    test_means, test_variances, test_counts = replicated(wiggly, x_test, 2, 0.01, rng)
    check = validate_emulator(bad, x_test, test_means, test_variances / test_counts)
    assert not check.passed
    assert "outside 3 standard deviations" in check.reason
    table = check.table("wiggle", points=np.arange(100, 120))
    assert list(table.columns) == [
        "target",
        "point",
        "simulated",
        "predicted",
        "predicted_sd",
        "standardised_error",
    ]
    assert table["point"].iloc[0] == 100 and (table["target"] == "wiggle").all()
    json.dumps(check.to_dict())


def test_validation_needs_three_usable_held_out_points(smooth_fit):
    x, means, variances, counts, holdout, emulator, _ = smooth_fit
    test_means = means[:4].copy()
    test_means[1:3] = np.nan
    check = validate_emulator(emulator, x[:4], test_means, variances[:4] / counts[:4])
    assert not check.passed and "cannot be validated" in check.reason
    assert np.isnan(check.standardised_errors[1:3]).all()


def test_nugget_stays_positive_when_two_runs_agree_exactly():
    rng = np.random.default_rng(6)
    x = rng.random((40, 2))
    means, variances, counts = replicated(lambda p: p[:, 0] + p[:, 1], x, 2, 0.1, rng)
    variances[0] = 0.0
    emulator = fit_emulator(x, means, variances, counts, seed=2)
    assert emulator.nugget[0] > 1e-4
    assert emulator.nugget[0] == pytest.approx(emulator.run_variance(x[:1])[0] / 2)


def test_run_variance_recovers_a_homoscedastic_noise_variance():
    rng = np.random.default_rng(8)
    x = rng.random((60, 2))
    means, variances, counts = replicated(lambda p: np.cos(2 * p[:, 0]) + p[:, 1], x, 4, 0.2, rng)
    emulator = fit_emulator(x, means, variances, counts, seed=2)
    estimate = emulator.run_variance(np.random.default_rng(1).random((30, 2)))
    np.testing.assert_allclose(estimate, 0.04, rtol=0.3)


def test_run_variance_follows_a_trend_in_the_noise():
    rng = np.random.default_rng(10)
    x = rng.random((60, 2))

    def noise_sd(p):
        return 0.05 + 0.3 * p[:, 0]

    runs = x[:, 1:2] + noise_sd(x)[:, None] * rng.standard_normal((60, 4))
    emulator = fit_emulator(x, runs.mean(1), runs.var(1, ddof=1), np.full(60, 4), seed=0)
    assert emulator.run_variance_model.kind == "emulated"
    probe = np.array([[0.1, 0.5], [0.5, 0.5], [0.9, 0.5]])
    ratio = emulator.run_variance(probe) / noise_sd(probe) ** 2
    assert ((ratio > 0.5) & (ratio < 2.0)).all()


def test_run_variance_is_pooled_when_few_points_have_two_runs():
    rng = np.random.default_rng(9)
    x = rng.random((20, 2))
    means, variances, counts = replicated(lambda p: p[:, 0], x, 3, 0.1, rng)
    variances[4:] = np.nan
    emulator = fit_emulator(x, means, variances, counts, seed=0)
    assert emulator.run_variance_model.kind == "pooled"
    pooled = np.mean(variances[:4])  # equal replications: the plain mean
    np.testing.assert_allclose(emulator.run_variance(x[:3]), pooled)


# ------------------------------------------------------------------------ implausibility


def test_implausibility_matches_a_hand_computation():
    value = implausibility(
        observed=np.array([1.0, 2.0]),
        variance_observed=np.array([0.01, 0.04]),
        variance_discrepancy=np.array([0.03, 0.0]),
        emulator_mean=np.array([[1.5, 2.0], [0.0, 3.0]]),
        emulator_variance=np.array([[0.05, 0.0], [0.05, 0.0]]),
        run_variance=np.array([[0.01, 0.0], [0.01, 0.21]]),
    )
    expected = np.array([[0.5 / np.sqrt(0.1), 0.0], [1.0 / np.sqrt(0.1), 1.0 / np.sqrt(0.25)]])
    np.testing.assert_allclose(value, expected)


def test_cut_measure_takes_the_second_maximum_from_five_usable_targets():
    values = np.array([[9.0, 1.0, 2.0, 3.0, 4.0, 7.0]])
    four = np.array([True, True, True, True, False, False])
    assert cut_measure(values, four)[0] == 9.0
    five = np.array([True, True, True, True, True, False])
    assert cut_measure(values, five)[0] == 4.0
    assert cut_measure(values, ~four)[0] == 7.0  # unusable targets are ignored
    np.testing.assert_array_equal(cut_measure(values, np.zeros(6, dtype=bool)), [0.0])


class LinearStub:
    """An emulator of f(x) = x_0 with a fixed variance, so that regions are known exactly."""

    def __init__(self, variance: float = 0.0) -> None:
        self.variance = variance

    def predict(self, x):
        return x[:, 0], np.full(len(x), self.variance)

    def run_variance(self, x):
        return np.zeros(len(x))


def test_nroy_region_keeps_points_cut_in_an_earlier_wave_cut():
    # |x0 - 0.5| / sqrt(0.01) <= 3: NROY is 0.2 <= x0 <= 0.8 after wave 1.
    region = NroyRegion([0.5], [0.01], [0.0])
    x = np.random.default_rng(0).random((25_000, 2))  # more than one chunk
    assert region.contains(x).all()  # no wave yet: nothing is ruled out
    region.add_wave([LinearStub()], [True])
    inside = region.contains(x)
    np.testing.assert_array_equal(inside, np.abs(x[:, 0] - 0.5) <= 0.3)
    # A much less sure second wave would keep everything, but what wave 1 cut stays cut.
    region.add_wave([LinearStub(variance=100.0)], [True])
    assert (region.measure(x) <= 3).all()
    np.testing.assert_array_equal(region.contains(x), inside)
    # A wave whose only emulator is unusable cuts nothing.
    region.add_wave([None], [False])
    np.testing.assert_array_equal(region.contains(x), inside)
    assert np.isnan(region.implausibility(x[:3])).all()


def test_a_larger_discrepancy_widens_the_nroy_region():
    region = NroyRegion([0.5], [0.01], [0.01])
    region.add_wave([LinearStub()], [True])
    x = np.random.default_rng(1).random((5_000, 1))
    narrow = region.with_discrepancy_factor(0.5).contains(x)
    middle = region.contains(x)
    wide = region.with_discrepancy_factor(2.0).contains(x)
    assert narrow.sum() < middle.sum() < wide.sum()
    assert (middle <= wide).all() and (narrow <= middle).all()
    np.testing.assert_array_equal(region.variance_discrepancy, [0.01])


def test_nroy_region_with_fitted_emulators_contains_the_truth():
    rng = np.random.default_rng(12)
    x = latin_hypercube(40, 2, rng)
    means, variances, counts = replicated(lambda p: p[:, 0] + 2 * p[:, 1], x, 2, 0.05, rng)
    emulator = fit_emulator(x, means, variances, counts, seed=0)
    truth = np.array([[0.3, 0.4]])
    region = NroyRegion([1.1], [0.05**2], [0.0])
    region.add_wave([emulator], [True])
    assert region.contains(truth)[0]
    assert not region.contains(np.array([[0.9, 0.9]]))[0]


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
