"""Gaussian-process emulators of one target statistic, and their check on held-out points.

An emulator predicts the mean over replications of a target statistic at an untried point x
of the unit cube, with its uncertainty: an OLS linear trend in x (which lets history matching
extrapolate) plus a zero-mean Gaussian process on the residuals with a squared-exponential
kernel with one length scale per input, fitted by maximum marginal likelihood (Rasmussen &
Williams 2006, ch. 2 and 5; Andrianakis et al. 2015, section 2). A point's mean of R_i runs
observes the mean function with noise of variance sigma^2(x_i) / R_i: its nugget.

The run variance sigma^2(x) is estimated, as two or three runs give very noisy sample
variances: a second GP on log s^2, bias-corrected and with the exact sampling variance of
log s^2 as its nugget (Bartlett & Kendall 1946), centred on the pooled variance (as in
Goldberg, Williams & Bishop 1998; Andrianakis et al. 2017). The pooled variance is used
instead when fewer than :data:`MIN_VARIANCE_POINTS` sample variances are positive, or when
that GP does not beat the constant model by Akaike's (1974) criterion: a GP readily mistakes
the scatter of two-run variances for a trend. Validation (:func:`validate_emulator`) uses
standardised errors of held-out points (Bastos & O'Hagan 2009).

References
----------
Akaike, H. (1974). A new look at the statistical model identification. IEEE Transactions on
Automatic Control 19(6), 716-723.
Andrianakis, I., Vernon, I. R., McCreesh, N., et al. (2015). Bayesian history matching of
complex infectious disease models using emulation. PLoS Computational Biology 11(1), e1003968.
Andrianakis, I., McCreesh, N., Vernon, I., et al. (2017). Efficient history matching of a high
dimensional individual-based HIV transmission model. SIAM/ASA Journal on Uncertainty
Quantification 5(1), 694-719.
Bartlett, M. S., Kendall, D. G. (1946). The statistical analysis of variance-heterogeneity and
the logarithmic transformation. Supplement to the JRSS 8(1), 128-138.
Bastos, L. S., O'Hagan, A. (2009). Diagnostics for Gaussian process emulators. Technometrics
51(4), 425-438.
Goldberg, P. W., Williams, C. K. I., Bishop, C. M. (1998). Regression with input-dependent
noise: a Gaussian process treatment. Advances in Neural Information Processing Systems 10.
Rasmussen, C. E., Williams, C. K. I. (2006). Gaussian Processes for Machine Learning. MIT Press.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import digamma, polygamma
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Kernel

__all__ = [
    "Emulator",
    "EmulatorCheck",
    "RunVariance",
    "fit_and_validate",
    "fit_emulator",
    "validate_emulator",
]

#: Bounds of the length scales on the unit cube: shorter than 0.05 cannot be resolved by a
#: design of tens of points; longer than 100 is a flat direction.
LENGTH_SCALE_BOUNDS = (0.05, 100.0)
#: Shortest length scale of the run variance: its changes are smooth, its data very noisy.
SHORTEST_VARIANCE_LENGTH = 0.3
#: Bounds of the signal variance, relative to the variance of the standardised residuals.
SIGNAL_VARIANCE_BOUNDS = (1e-4, 1e2)
#: Extra optimiser starts; a few guard against a poor local optimum of the likelihood.
RESTARTS = 3
#: Smallest nugget, as a share of the residual variance, so that the Cholesky factor exists
#: even for a deterministic statistic or points closer than the length scales resolve.
NUGGET_FLOOR = 1e-6
#: Fewest points with a positive sample variance for the run variance to be emulated.
MIN_VARIANCE_POINTS = 5
#: Fewest points with a finite mean that an emulator is fitted to.
MIN_FIT_POINTS = 3
#: Points predicted at once, which bounds the cross-covariance matrix; format of to_dict.
PREDICT_CHUNK, FORMAT = 10_000, 1
_EMULATOR_ARRAYS = ("x", "means", "nugget", "coefficients", "theta")
_VARIANCE_ARRAYS = ("x", "log_ratio", "noise", "theta")
#: Validation rule (see :func:`validate_emulator`).
FAR_OUT_SD, COVERED_SD, MIN_COVERAGE, FAR_OUT_SHARE, MIN_CHECK_POINTS = 3.0, 2.0, 0.8, 0.05, 3


def _kernel(dims: int, shortest: float = LENGTH_SCALE_BOUNDS[0]) -> Kernel:
    lengths = RBF(np.full(dims, 0.5), (shortest, LENGTH_SCALE_BOUNDS[1]))
    return ConstantKernel(1.0, SIGNAL_VARIANCE_BOUNDS) * lengths


def _optimised(
    x: np.ndarray, y: np.ndarray, alpha: np.ndarray, seed: int, shortest: float
) -> GaussianProcessRegressor:
    """A GP whose hyperparameters maximise the marginal likelihood of y with nugget alpha."""
    settings = {"n_restarts_optimizer": RESTARTS, "random_state": seed}
    gp = GaussianProcessRegressor(_kernel(x.shape[1], shortest), alpha=alpha, **settings)
    with warnings.catch_warnings():
        # A length scale at its upper bound is an inactive input, which is an answer.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gp.fit(x, y)


def _conditioned(
    x: np.ndarray, y: np.ndarray, alpha: np.ndarray, theta: np.ndarray
) -> GaussianProcessRegressor:
    """A GP with fixed hyperparameters conditioned on the data: the one path of fitted and
    reloaded emulators, so that both predict identically."""
    kernel = _kernel(x.shape[1]).clone_with_theta(np.asarray(theta, dtype=float))
    return GaussianProcessRegressor(kernel, alpha=alpha, optimizer=None).fit(x, y)


def _gp_predict(gp: GaussianProcessRegressor, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of a GP at x, in chunks."""
    parts = [(np.zeros(0), np.zeros(0))]
    with warnings.catch_warnings():
        # Round-off can make a variance slightly negative; sklearn clips it to zero.
        warnings.simplefilter("ignore", UserWarning)
        for start in range(0, len(x), PREDICT_CHUNK):
            parts.append(gp.predict(x[start : start + PREDICT_CHUNK], return_std=True))
    means, sds = zip(*parts, strict=True)
    return np.concatenate(means), np.concatenate(sds) ** 2


def _points(x: Any, dims: int) -> np.ndarray:
    """Points as an (m, dims) array; a single point may be given as a vector."""
    return np.asarray(x, dtype=float).reshape(-1, dims)


def _json_floats(values: Any) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in np.ravel(np.asarray(values, float))]


@dataclass
class EmulatorCheck:
    """Outcome of :func:`validate_emulator`: the verdict, a plain-words reason, and per
    held-out point the standardised error (NaN where unusable), the emulator's mean and sd
    (without the point's own noise) and the simulated mean. ``coverage`` is the share of
    usable points with |e| <= 2."""

    passed: bool
    reason: str
    standardised_errors: np.ndarray
    coverage: float
    predicted: np.ndarray
    predicted_sd: np.ndarray
    simulated: np.ndarray

    @property
    def largest_error(self) -> float:
        """Largest |e| over usable points (NaN if none)."""
        sizes = np.abs(self.standardised_errors[~np.isnan(self.standardised_errors)])
        return float(sizes.max()) if sizes.size else math.nan

    def table(self, target: str, points: Any = None) -> pd.DataFrame:
        """One row per held-out point, as in ``validation.parquet``; ``points`` are their
        ids (default 0, 1, ...)."""
        ids = np.arange(len(self.simulated)) if points is None else np.asarray(points)
        columns = {"target": target, "point": ids, "simulated": self.simulated}
        columns |= {"predicted": self.predicted, "predicted_sd": self.predicted_sd}
        return pd.DataFrame(columns | {"standardised_error": self.standardised_errors})

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; non-finite numbers become null."""
        coverage, largest = _json_floats([self.coverage, self.largest_error])
        data = {"passed": bool(self.passed), "reason": self.reason, "coverage": coverage}
        for name in ("standardised_errors", "predicted", "predicted_sd", "simulated"):
            data[name] = _json_floats(getattr(self, name))
        return data | {"largest_error": largest}


def _judged(
    errors: np.ndarray, predicted: np.ndarray, predicted_sd: np.ndarray, simulated: np.ndarray
) -> EmulatorCheck:
    """Apply the validation rule of :func:`validate_emulator` to standardised errors."""
    sizes = np.abs(errors[~np.isnan(errors)])
    tested = len(sizes)
    if tested < MIN_CHECK_POINTS:
        reason = (
            f"cannot be validated: {tested} usable held-out points, "
            f"at least {MIN_CHECK_POINTS} are needed"
        )
        return EmulatorCheck(False, reason, errors, math.nan, predicted, predicted_sd, simulated)
    far, covered = int(np.sum(sizes > FAR_OUT_SD)), int(np.sum(sizes <= COVERED_SD))
    allowed = max(1, math.ceil(FAR_OUT_SHARE * tested))
    outside = f"{far} of {tested} held-out points outside 3 standard deviations"
    within = f"{covered} of {tested} held-out points within 2 standard deviations"
    problems = [f"{outside} (at most {allowed} allowed)"] if far > allowed else []
    if covered < MIN_COVERAGE * tested:
        problems.append(f"only {within} ({MIN_COVERAGE:.0%} needed)")
    reason = "; ".join(problems) or f"{within}, {far} outside 3"
    coverage = covered / tested
    return EmulatorCheck(not problems, reason, errors, coverage, predicted, predicted_sd, simulated)


@dataclass(eq=False)
class RunVariance:
    """The variance of one run at x: pooled (a constant) or emulated (a GP on log s^2).

    ``pooled`` is sum (R_i - 1) s_i^2 / sum (R_i - 1) (0 when no point had two runs). An
    emulated variance also has ``x`` (points with a positive s^2), ``log_ratio`` (their
    bias-corrected log(s_i^2 / pooled)), ``noise`` (its sampling variance, the nugget) and
    ``theta`` (the GP's log-hyperparameters); all None for a pooled variance.
    """

    pooled: float
    x: np.ndarray | None = None
    log_ratio: np.ndarray | None = None
    noise: np.ndarray | None = None
    theta: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.pooled, self._gp = float(self.pooled), None
        if self.theta is not None:
            self._gp = _conditioned(self.x, self.log_ratio, self.noise, self.theta)

    @property
    def kind(self) -> str:
        return "pooled" if self._gp is None else "emulated"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self._gp is None:
            return np.full(len(x), self.pooled)
        # The posterior median exp(m): the mean exp(m + v/2) explodes far from the data.
        return self.pooled * np.exp(_gp_predict(self._gp, x)[0])

    @classmethod
    def fit(
        cls, x: np.ndarray, run_variances: np.ndarray, replications: np.ndarray, seed: int
    ) -> RunVariance:
        """Pool, or emulate when enough points have a positive sample variance and the GP
        beats the constant model by Akaike's criterion (see the module notes)."""
        freedom = replications - 1.0
        finite = np.isfinite(run_variances) & (freedom >= 1)
        if not finite.any():
            return cls(0.0)
        pooled = np.sum(freedom[finite] * run_variances[finite]) / np.sum(freedom[finite])
        # A zero s^2 has no logarithm; leaving it out only errs towards a larger variance.
        positive = finite & (run_variances > 0)
        if positive.sum() < MIN_VARIANCE_POINTS or not pooled > 0:
            return cls(pooled)
        half = freedom[positive] / 2.0
        # log s^2 = log sigma^2 + log(chi2_nu / nu): mean psi(nu/2) - log(nu/2), variance
        # psi'(nu/2) (about 2/nu for large nu, but 4.93 rather than 2 for R = 2).
        log_ratio = np.log(run_variances[positive] / pooled) - (digamma(half) - np.log(half))
        noise = polygamma(1, half)
        gp = _optimised(x[positive], log_ratio, noise, seed, SHORTEST_VARIANCE_LENGTH)
        # The constant model is this GP without signal: log_ratio_i ~ N(0, noise_i).
        constant = -0.5 * np.sum(log_ratio**2 / noise + np.log(2 * np.pi * noise))
        if gp.log_marginal_likelihood_value_ - constant <= len(gp.kernel_.theta):
            return cls(pooled)
        return cls(pooled, x[positive], log_ratio, noise, gp.kernel_.theta)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "pooled": self.pooled}
        if self._gp is not None:
            data |= {name: getattr(self, name).tolist() for name in _VARIANCE_ARRAYS}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunVariance:
        if data["kind"] == "pooled":
            return cls(data["pooled"])
        arrays = (np.asarray(data[name], dtype=float) for name in _VARIANCE_ARRAYS)
        return cls(data["pooled"], *arrays)


def _design_matrix(x: np.ndarray, linear: bool) -> np.ndarray:
    return np.hstack([np.ones((len(x), 1))] + ([x] if linear else []))


@dataclass(eq=False)
class Emulator:
    """A fitted emulator of one target statistic on the unit cube (see the module notes).

    Build with :func:`fit_emulator` or :meth:`from_dict`. ``nugget`` is the variance of each
    training mean put on the kernel's diagonal (natural units, floored), ``coefficients``
    the regression's intercept and slopes, ``scale`` the standard deviation of the residuals
    (the GP sees them divided by it), ``theta`` the GP's log-hyperparameters (signal variance,
    then the length scales) and ``run_variance_model`` the :class:`RunVariance`.
    """

    x: np.ndarray
    means: np.ndarray
    nugget: np.ndarray
    coefficients: np.ndarray
    scale: float
    theta: np.ndarray
    run_variance_model: RunVariance
    fit_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.scale, self.fit_seconds = float(self.scale), float(self.fit_seconds)
        residuals = (self.means - self._trend(self.x)) / self.scale
        self._gp = _conditioned(self.x, residuals, self.nugget / self.scale**2, self.theta)

    @property
    def dims(self) -> int:
        return self.x.shape[1]

    @property
    def description(self) -> str:
        """A one-line summary of the model, e.g. for ``emulators.json``."""
        trend = "linear" if len(self.coefficients) > 1 else "constant"
        signal = self.scale * np.exp(self.theta[0] / 2)
        lengths = ", ".join(f"{value:.3g}" for value in np.exp(self.theta[1:]))
        return (
            f"{trend} trend + GP sd {signal:.3g}, RBF length scales ({lengths}); "
            f"run variance {self.run_variance_model.kind}"
        )

    def _trend(self, x: np.ndarray) -> np.ndarray:
        return _design_matrix(x, len(self.coefficients) > 1) @ self.coefficients

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the emulated mean function at x (m, d), in the statistic's
        units; the variance excludes run-to-run noise (see :meth:`run_variance`)."""
        points = _points(x, self.dims)
        mean, variance = _gp_predict(self._gp, points)
        return self._trend(points) + self.scale * mean, self.scale**2 * variance

    def run_variance(self, x: np.ndarray) -> np.ndarray:
        """Variance of one run at x (m, d): Var_ensemble of the implausibility."""
        return self.run_variance_model(_points(x, self.dims))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; :meth:`from_dict` rebuilds identical predictions."""
        return {"format": FORMAT, "description": self.description, "scale": self.scale} | {
            **{name: getattr(self, name).tolist() for name in _EMULATOR_ARRAYS},
            "run_variance": self.run_variance_model.to_dict(),
            "fit_seconds": self.fit_seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Emulator:
        """Rebuild from :meth:`to_dict` without re-optimising the hyperparameters."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown emulator format {data.get('format')!r}")
        arrays = {name: np.asarray(data[name], dtype=float) for name in _EMULATOR_ARRAYS}
        arrays |= {"run_variance_model": RunVariance.from_dict(data["run_variance"])}
        return cls(**arrays, scale=data["scale"], fit_seconds=data["fit_seconds"])


def fit_emulator(
    x: np.ndarray,
    means: np.ndarray,
    run_variances: np.ndarray,
    replications: np.ndarray,
    *,
    seed: int,
) -> Emulator:
    """Fit an emulator of one target statistic.

    Parameters
    ----------
    x : (n, d) design points in the unit cube.
    means : (n,) mean of the R_i runs at each point; non-finite means are left out.
    run_variances : (n,) sample variance s_i^2 of single runs; NaN with fewer than two runs.
    replications : (n,) number of runs R_i behind each mean.
    seed : seed of the optimiser's restarts, so that a fit is reproducible.

    Returns
    -------
    Emulator
        OLS trend (slopes only with at least two points per coefficient) plus a GP on the
        standardised residuals with nugget sigma^2(x_i) / R_i from the smoothed
        :class:`RunVariance`, not the raw s_i^2 (a zero s^2 must not mean an exact mean).
        Raises ValueError with fewer than :data:`MIN_FIT_POINTS` finite means.
    """
    start = time.perf_counter()
    keep = np.isfinite(np.asarray(means, dtype=float))
    x, means = np.asarray(x, dtype=float)[keep], np.asarray(means, dtype=float)[keep]
    run_variances = np.asarray(run_variances, dtype=float)[keep]
    replications = np.maximum(np.asarray(replications, dtype=float)[keep], 1.0)
    if len(means) < MIN_FIT_POINTS:
        raise ValueError(f"{len(means)} points with a finite mean, {MIN_FIT_POINTS} needed")
    run_variance = RunVariance.fit(x, run_variances, replications, seed)
    trend = _design_matrix(x, linear=len(means) >= 2 * (x.shape[1] + 1))
    coefficients = np.linalg.lstsq(trend, means, rcond=None)[0]
    residuals = means - trend @ coefficients
    scale = float(np.std(residuals))
    if not scale > 1e-12 * (1.0 + float(np.max(np.abs(means)))):
        scale = float(np.std(means)) or 1.0  # a trend that fits exactly leaves no scale
    nugget = np.maximum(run_variance(x) / replications, NUGGET_FLOOR * scale**2)
    gp = _optimised(x, residuals / scale, nugget / scale**2, seed, LENGTH_SCALE_BOUNDS[0])
    emulator = Emulator(x, means, nugget, coefficients, scale, gp.kernel_.theta, run_variance)
    emulator.fit_seconds = time.perf_counter() - start
    return emulator


def validate_emulator(
    emulator: Emulator, x_test: np.ndarray, test_means: np.ndarray, test_var_mean: np.ndarray
) -> EmulatorCheck:
    """Check an emulator on held-out points (Bastos & O'Hagan 2009).

    The standardised error of held-out point i is
    e_i = (ybar_i - mu(x_i)) / sqrt(sigma^2(x_i) + v_i), with v_i = ``test_var_mean[i]`` the
    variance of its mean (where it is NaN, the emulator's variance of one run stands in, as
    such a mean rests on a single run). Points with a non-finite mean are not usable.

    Rule: the emulator passes iff at least 3 held-out points are usable (fewer cannot
    validate it), at most max(1, ceil(5 % of them)) have |e| > 3 (Pukelsheim's three-sigma
    rule, as in Vernon et al. 2010) and at least 80 % have |e| <= 2 (about 95 % would for a
    well-calibrated emulator; 80 % leaves room for small test sets).
    """
    x_test = _points(x_test, emulator.dims)
    simulated = np.asarray(test_means, dtype=float)
    var_mean = np.asarray(test_var_mean, dtype=float)
    predicted, variance = emulator.predict(x_test)
    var_mean = np.where(np.isfinite(var_mean), var_mean, emulator.run_variance(x_test))
    with np.errstate(divide="ignore", invalid="ignore"):
        errors = (simulated - predicted) / np.sqrt(variance + var_mean)
    errors = np.where(simulated == predicted, 0.0, errors)  # exact, even with no variance
    errors = np.where(np.isfinite(simulated), errors, np.nan)
    return _judged(errors, predicted, np.sqrt(variance), simulated)


def fit_and_validate(
    x: np.ndarray,
    means: np.ndarray,
    run_variances: np.ndarray,
    replications: np.ndarray,
    holdout: np.ndarray,
    *,
    seed: int,
) -> tuple[Emulator, EmulatorCheck]:
    """Fit on the points outside ``holdout`` (bool mask), validate on the held-out ones,
    then refit on every point with a finite mean and return that emulator with the check.

    The check's arrays follow the held-out points in order (NaN where a mean is missing).
    Raises ValueError when fewer than :data:`MIN_FIT_POINTS` points have a finite mean.
    """
    x, means, run_variances, replications = (
        np.asarray(values, dtype=float) for values in (x, means, run_variances, replications)
    )
    held, kept = np.asarray(holdout, dtype=bool), ~np.asarray(holdout, dtype=bool)
    try:
        trial = fit_emulator(
            *(values[kept] for values in (x, means, run_variances, replications)), seed=seed
        )
    except ValueError as error:
        missing = np.full(int(held.sum()), np.nan)
        reason = f"cannot be validated: too few training points ({error})"
        check = EmulatorCheck(False, reason, missing, math.nan, missing, missing, means[held])
    else:
        # The held-out means' own noise comes from the smoothed run variance, as the nugget
        # does: a raw s^2 of R = 2 runs is often near zero and would fail a sound emulator.
        var_mean = trial.run_variance(x[held]) / replications[held]
        check = validate_emulator(trial, x[held], means[held], var_mean)
    return fit_emulator(x, means, run_variances, replications, seed=seed), check
