"""A small synthetic calibration folder in the layout of ``experiments/calibration/engine.py``.

Nothing is simulated: three linear "targets" of three fitted parameters (a fourth is screened
out), with noise, stand in for the model, and the implausibility cut is computed honestly on
them, so that the numbers the report shows are consistent with each other (NROY shrinks, the
accepted points lie near the observed values, halving the discrepancy accepts fewer points).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from smartspec.model.version import MODEL_VERSION

#: name -> (path, low, high, default); the last one is screened out.
PARAMETERS = {
    "innovation_rate": ("firm.innovation_rate", 0.05, 0.3, 0.15),
    "firm.learning_own": ("firm.learning_own", 0.05, 0.4, 0.15),
    "firm.knowledge_elasticity": ("firm.knowledge_elasticity", 0.1, 0.8, 0.4),
    "firm.growth_sensitivity": ("firm.growth_sensitivity", 0.1, 1.0, 0.25),
}
FITTED = list(PARAMETERS)[:3]
SCREENED_OUT = list(PARAMETERS)[3]
#: name -> (observed, observation variance or None for the 10 % rule, discrepancy, source)
TARGETS = {
    "innovating": (0.16, 0.0001, 0.00005, "CIS 2022, emerging regions"),
    "partnership": (0.32, None, 0.0004, "CIS 2022 co-operation, lagging regions"),
    "index": (69.0, 4.0, 4.0, "RIS 2023, emerging group"),
}
RUN_SD = {"innovating": 0.01, "partnership": 0.015, "index": 1.0}
CUTOFF = 3.0

CALIBRATION_TOML = """\
name = "calibrate_fixture"
description = "Synthetic calibration of the report tests"
[model]
scenarios = ["emerging"]
steps = 8
[[parameters]]
path = "firm.innovation_rate"
name = "innovation_rate"
range = [0.05, 0.3]
[[parameters]]
path = "firm.learning_own"
range = [0.05, 0.4]
[[parameters]]
path = "firm.knowledge_elasticity"
range = [0.1, 0.8]
[[parameters]]
path = "firm.growth_sensitivity"
range = [0.1, 1.0]
[[targets]]
name = "innovating"
statistic = "final"
indicator = "innovating_share"
observed = 0.16
observation_variance = 0.0001
discrepancy_variance = 0.00005
source = "CIS 2022, emerging regions"
[[targets]]
name = "partnership"
statistic = "final"
indicator = "partnership_share"
observed = 0.32
discrepancy_variance = 0.0004
source = "CIS 2022 co-operation, lagging regions"
[[targets]]
name = "index"
statistic = "final"
indicator = "innovation_index"
observed = 69.0
observation_variance = 4.0
discrepancy_variance = 4.0
source = "RIS 2023, emerging group"
[screening]
keep = 3
[method]
waves = 2
points = 24
"""


def variance_observed(name: str) -> float:
    observed, given, _, _ = TARGETS[name]
    return given if given is not None else (0.1 * observed) ** 2


def toy_model(values: pd.DataFrame) -> dict[str, np.ndarray]:
    """The stand-in for the model: each target's expected value at the parameter values."""
    rate, learning, elasticity = (values[name].to_numpy() for name in FITTED)
    return {
        "innovating": 0.05 + 0.6 * rate + 0.2 * learning * elasticity,
        "partnership": 0.2 + 0.5 * learning + 0.1 * rate,
        "index": 50.0 + 40.0 * elasticity + 20.0 * rate,
    }


def implausibilities(
    means: dict[str, np.ndarray], extra_variance: dict[str, float], factor: float = 1.0
) -> pd.DataFrame:
    columns = {}
    for name, (observed, _, discrepancy, _) in TARGETS.items():
        total = variance_observed(name) + factor * discrepancy + extra_variance[name]
        columns[name] = np.abs(observed - means[name]) / np.sqrt(total)
    return pd.DataFrame(columns)


def uniform(generator: np.random.Generator, count: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: generator.uniform(PARAMETERS[name][1], PARAMETERS[name][2], count)
            for name in FITTED
        }
    )


def emulator_variance(wave: int) -> dict[str, float]:
    """Emulators get better wave by wave, so that later waves cut more."""
    return {name: (3.0 * sd / wave) ** 2 for name, sd in RUN_SD.items()}


def nroy(
    generator: np.random.Generator, wave: int, factor: float = 1.0
) -> tuple[pd.DataFrame, float]:
    """The uniform candidates that pass a wave's cut, and their share of the prior box."""
    candidates = uniform(generator, 20_000)
    measure = implausibilities(toy_model(candidates), emulator_variance(wave), factor)
    cut = measure.max(axis=1).to_numpy()
    kept = candidates[cut < CUTOFF].assign(cut_measure=cut[cut < CUTOFF])
    return kept, len(kept) / len(candidates)


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")


def write_wave(
    folder: Path, wave: int, design: pd.DataFrame, generator: np.random.Generator, before: float
) -> tuple[pd.DataFrame, dict]:
    """One wave's files; returns its NROY sample and summary."""
    out = folder / f"wave-{wave:02d}"
    out.mkdir(parents=True)
    replications = 2
    truth = toy_model(design)
    points = design.assign(point=range(len(design)), holdout=np.arange(len(design)) % 5 == 0)
    for name, sd in RUN_SD.items():
        noise = generator.normal(0.0, sd / np.sqrt(replications), len(design))
        points[f"mean__{name}"] = truth[name] + noise
        points[f"var_mean__{name}"] = sd**2 / replications
        points[f"var_run__{name}"] = sd**2
    points.to_parquet(out / "points.parquet")
    held = points[points["holdout"]]
    rows, emulators = [], {}
    for name, sd in RUN_SD.items():
        predicted_sd = np.full(len(held), 1.5 * sd)
        # Wave 2's partnership emulator is made to miss: it fails validation.
        failing = wave == 2 and name == "partnership"
        predicted = held[f"mean__{name}"] + generator.normal(0.0, sd, len(held)) * (
            5.0 if failing else 1.0
        )
        error = (held[f"mean__{name}"] - predicted) / predicted_sd
        rows.append(
            pd.DataFrame(
                {
                    "target": name,
                    "point": held["point"],
                    "simulated": held[f"mean__{name}"],
                    "predicted": predicted,
                    "predicted_sd": predicted_sd,
                    "standardised_error": error,
                }
            )
        )
        emulators[name] = {
            "usable": not failing,
            "reason": "2 of 5 held-out points beyond 3 sd" if failing else "",
            "coverage": 0.6 if failing else 1.0,
            "largest_error": float(np.abs(error).max()),
            "model": "Matern(nu=2.5) + per-point nugget",
        }
    pd.concat(rows, ignore_index=True).to_parquet(out / "validation.parquet")
    write_json(out / "emulators.json", emulators)
    kept, fraction = nroy(generator, wave)
    kept.head(400).to_parquet(out / "nroy_sample.parquet")
    summary = {
        "wave": wave,
        "points": len(design),
        "runs": len(design) * replications,
        "failed_runs": 1 if wave == 2 else 0,
        "nroy_fraction": fraction,
        "nroy_fraction_se": float(np.sqrt(fraction * (1 - fraction) / 20_000)),
        "shrinkage": 1.0 - fraction / before,
        "sampler": "uniform rejection" if wave == 1 else "NROY sample",
        "acceptance": fraction,
        "usable": [name for name, info in emulators.items() if info["usable"]],
        "emulator_share": {name: 0.5 / wave for name in RUN_SD},
        "seconds": 12.0,
        "emulator_seconds": 1.5,
    }
    write_json(out / "summary.json", summary)
    return kept, summary


def make_calibration_folder(root: Path, finished: bool = True, seed: int = 7) -> Path:
    """Write a calibration folder under ``root``: finished (two waves, final re-run, best
    point, discrepancy sensitivity) or stopped after wave 1."""
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(seed)
    (folder / "calibration.toml").write_text(CALIBRATION_TOML, encoding="utf-8")
    provenance = {
        "model_version": MODEL_VERSION,
        "versions": {"python": "3.12", "smartspec": "0.1.0"},
        "git": {"revision": "abc123", "dirty": False},
        "command_line": ["smartspec", "calibrate", "fixture.toml", "--out", str(folder)],
        "seeds": {"master": 2026},
        "started": "2026-01-01T00:00:00+00:00",
    }
    write_json(folder / "provenance.json", provenance)
    screening = pd.DataFrame(
        {
            "name": list(PARAMETERS),
            "path": [entry[0] for entry in PARAMETERS.values()],
            "low": [entry[1] for entry in PARAMETERS.values()],
            "high": [entry[2] for entry in PARAMETERS.values()],
            "score": [1.0, 0.62, 0.81, 0.03],
            "selected": [True, True, True, False],
            "mu_star__innovating": [0.12, 0.05, 0.02, 0.001],
        }
    )
    screening.to_csv(folder / "screening.csv", index=False)
    sample, first = write_wave(folder, 1, uniform(generator, 24), generator, 1.0)
    if not finished:
        write_json(folder / "state.json", {"stage": "wave", "wave": 2})
        return folder
    design = sample[FITTED].sample(24, random_state=seed, replace=True).reset_index(drop=True)
    sample, second = write_wave(folder, 2, design, generator, first["nroy_fraction"])
    write_final(folder, sample, generator, [first, second], provenance)
    write_json(folder / "state.json", {"stage": "finished", "wave": 2})
    return folder


def write_final(
    folder: Path,
    sample: pd.DataFrame,
    generator: np.random.Generator,
    waves: list[dict],
    provenance: dict,
) -> None:
    """The re-run of NROY points, best point, discrepancy sensitivity and overall summary."""
    replications = 4
    rerun = sample[FITTED].head(30).reset_index(drop=True)
    truth = toy_model(rerun)
    final = rerun.assign(point=range(len(rerun)))
    means = {}
    for name, sd in RUN_SD.items():
        means[name] = truth[name] + generator.normal(0.0, sd / np.sqrt(replications), len(rerun))
        final[f"mean__{name}"] = means[name]
        final[f"sd__{name}"] = sd
    ensemble = {name: sd**2 / replications for name, sd in RUN_SD.items()}
    measures = implausibilities(means, ensemble)
    for name in RUN_SD:
        final[f"implausibility__{name}"] = measures[name]
    ordered = np.sort(measures.to_numpy(), axis=1)
    final["max_implausibility"] = ordered[:, -1]
    final["second_implausibility"] = ordered[:, -2]
    final["accepted"] = final["max_implausibility"] < CUTOFF
    final.to_parquet(folder / "nroy.parquet")
    best = final[final["accepted"]].sort_values("max_implausibility").iloc[0]
    values = {name: float(best[name]) for name in FITTED}
    lines = [f"# best point of calibrate_fixture (revision {provenance['git']['revision']})"]
    lines += [f"{PARAMETERS[name][0]} = {value!r}" for name, value in values.items()]
    (folder / "best.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = []
    for factor in (0.5, 1.0, 2.0):
        accepted = (implausibilities(means, ensemble, factor).max(axis=1) < CUTOFF).sum()
        rows.append(
            {
                "factor": factor,
                "nroy_fraction": nroy(generator, len(waves), factor)[1],
                "accepted": int(accepted),
            }
        )
    pd.DataFrame(rows).to_csv(folder / "discrepancy.csv", index=False)
    summary = {
        "name": "calibrate_fixture",
        "scenarios": ["emerging"],
        "parameters": [
            {
                "name": name,
                "path": PARAMETERS[name][0],
                "low": PARAMETERS[name][1],
                "high": PARAMETERS[name][2],
                "integer": False,
                "default": PARAMETERS[name][3],
            }
            for name in FITTED
        ],
        "screened_out": [
            {
                "name": SCREENED_OUT,
                "path": PARAMETERS[SCREENED_OUT][0],
                "default": PARAMETERS[SCREENED_OUT][3],
            }
        ],
        "targets": [
            {
                "name": name,
                "statistic": "final",
                "scenario": "emerging",
                "observed": observed,
                "variance_observed": variance_observed(name),
                "discrepancy_variance": discrepancy,
                "source": source,
            }
            for name, (observed, _, discrepancy, source) in TARGETS.items()
        ],
        "waves": waves,
        "stopped": "ran the most waves allowed (2)",
        "final": {"points": len(final), "accepted": int(final["accepted"].sum())},
        "best": {
            "point": int(best["point"]),
            "max_implausibility": float(best["max_implausibility"]),
            "values": values,
        },
        "weighting": {},
    }
    write_json(folder / "summary.json", summary)
