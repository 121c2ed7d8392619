"""Calibration: fit the model to observed facts by history matching with Gaussian-process
emulators, after a Morris screening, and carry the remaining parameter uncertainty into
what-if comparisons.

    from smartspec.experiments.calibration import load_calibration, calibrate

Modules: ``spec`` (calibration files), ``statistics`` (the registry of target statistics),
``simulate`` (what one calibration run executes), ``emulator``, ``implausibility`` and
``sampling`` (the method), ``screening``, ``engine`` (waves, store, resume), ``draws``
(parameter sets drawn from a finished calibration).

References
----------
Vernon, I., Goldstein, M., Bower, R. G. (2010). Galaxy formation: a Bayesian uncertainty
analysis. Bayesian Analysis 5(4), 619-669.
Andrianakis, I., Vernon, I. R., McCreesh, N., et al. (2015). Bayesian history matching of
complex infectious disease models using emulation. PLoS Computational Biology 11(1), e1003968.
"""

from __future__ import annotations

from smartspec.lazy import lazy_exports

#: Public name -> submodule that defines it.
_EXPORTS = {
    "CalibrationError": "spec",
    "CalibrationSpec": "spec",
    "TargetSpec": "spec",
    "bundled_calibrations": "spec",
    "load_calibration": "spec",
    "STATISTICS": "statistics",
    "Statistic": "statistics",
    "RunData": "statistics",
    "ModelStatistics": "simulate",
    "FunctionStatistics": "simulate",
    "Emulator": "emulator",
    "fit_emulator": "emulator",
    "validate_emulator": "emulator",
    "NroyRegion": "implausibility",
    "calibrate": "engine",
    "CalibrationSummary": "engine",
    "CalibratedSet": "draws",
    "load_calibrated": "draws",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
