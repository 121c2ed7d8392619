"""History matching on a toy stochastic simulator whose truth is known.

Three parameters: ``a`` and ``b`` move the outputs, ``c`` moves nothing (unidentifiable).
Each of twenty calibrations observes a fresh noisy realisation at the true parameters, as the
real world is one realisation plus measurement error. Over them, the engine must keep the truth
non-implausible (at least 95 %), shrink the identifiable space by at least 90 % of the prior
volume, and leave ``c`` wide (its NROY range covers at least 80 % of its prior).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calibration_toy import CALIBRATIONS, observation, toy, toy_spec, truth_is_kept

from smartspec.experiments.calibration import calibrate

pytestmark = pytest.mark.slow


def test_history_matching_recovers_a_known_truth(tmp_path):
    rng = np.random.default_rng(20261130)
    kept, fractions, c_cover = [], [], []
    for index in range(CALIBRATIONS):
        spec = toy_spec(observation(rng), seed=index)
        folder = tmp_path / f"toy-{index}"
        summary = calibrate(spec, folder, f"toy {index}", function=toy)
        kept.append(truth_is_kept(folder, spec))
        fractions.append(summary.nroy_fraction)
        last = pd.read_parquet(folder / f"wave-{summary.waves:02d}" / "nroy_sample.parquet")
        c_cover.append(float(last["c"].max() - last["c"].min()))
    assert np.mean(kept) >= 0.95, kept
    assert max(fractions) <= 0.10, fractions
    assert min(c_cover) >= 0.8, c_cover
