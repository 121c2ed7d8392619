"""Parameter sets drawn from a finished calibration (``--calibrated DIR``).

History matching ends with a set of non-implausible parameter points that were re-run and
accepted (``nroy.parquet``, see :mod:`.engine`). A what-if comparison made with the calibrated
model should not pick one of them: each replication draws one, so that the spread over
replications includes the parameter uncertainty the observed facts leave. The draws are
uniform over the accepted points (history matching rules points out, it gives them no
weights: this is not a posterior).

    calibrated = load_calibrated("results/calibration")
    calibrated.draw(replications=10, seed=2026)   # [{"firm.innovation_rate": 0.13, ...}, ...]

:func:`smartspec.experiments.build_design` takes the set (``calibrated=``) and gives every run
of replication *r* the same draw *r*, whatever its mix or scenario.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from smartspec.scenarios import ScenarioError, load_scenario

from ..provenance import check_model_version
from .spec import CalibrationError

if TYPE_CHECKING:
    from smartspec.experiments.spec import ExperimentSpec

__all__ = [
    "NROY_FILE",
    "SUMMARY_FILE",
    "CalibratedSet",
    "check_same_calibrated",
    "load_calibrated",
    "stamp_experiment_text",
]

NROY_FILE = "nroy.parquet"
SUMMARY_FILE = "summary.json"
#: Second entropy word of the draws' SeedSequence: the draws then come from a stream of their
#: own, unrelated to the replication seeds spawned from the same master seed.
DRAW_STREAM = int.from_bytes(b"calibrated draws", "big")


@dataclass(frozen=True, eq=False)
class CalibratedSet:
    """The accepted points of a finished calibration, ready to be drawn from.

    Attributes
    ----------
    folder : Path
        The calibration's output folder (resolved).
    name : str
        The calibration's name (``summary.json``).
    parameters : dict of str to str
        Fitted parameter name -> dotted scenario path.
    points : pandas.DataFrame
        The accepted points only: index ``point`` (the calibration's point id), one column
        per fitted parameter, named by the parameter's name.
    sha256 : str
        Digest of ``nroy.parquet``'s bytes and ``summary.json``'s parameter list: what
        identifies the set in provenance and on resume.
    weighting : str
        How the calibration says its points are weighted (``summary.json``).
    integer : tuple of str
        Names of the parameters whose values are whole numbers.
    """

    folder: Path
    name: str
    parameters: dict[str, str]
    points: pd.DataFrame
    sha256: str
    weighting: str
    integer: tuple[str, ...] = ()

    def drawn_points(self, replications: int, seed: int) -> list[int]:
        """The accepted point each replication uses (the calibration's point ids).

        Each replication's point is uniform over the accepted points. Successive replications
        walk through a random order of all of them before any point repeats, so that a few
        replications already spread over the set; more replications (same seed) keep the
        earlier draws, as the replication seeds do.
        """
        rng = np.random.default_rng(np.random.SeedSequence([seed, DRAW_STREAM]))
        count = len(self.points)
        rounds = -(-replications // count)
        order = np.concatenate([rng.permutation(count) for _ in range(rounds)])[:replications]
        return [int(self.points.index[position]) for position in order]

    def values_of(self, point: int) -> dict[str, Any]:
        """One accepted point as dotted path -> value (Python scalars)."""
        row = self.points.loc[point]
        values: dict[str, Any] = {}
        for name, path in self.parameters.items():
            value = row[name].item() if isinstance(row[name], np.generic) else row[name]
            values[path] = int(round(value)) if name in self.integer else value
        return values

    def draw(self, replications: int, seed: int) -> list[dict[str, Any]]:
        """One parameter set per replication, {dotted path: value}, reproducibly from
        ``seed`` (see :meth:`drawn_points`)."""
        return [self.values_of(point) for point in self.drawn_points(replications, seed)]

    def record(self, drawn: list[int] | None = None) -> dict[str, Any]:
        """What ``provenance.json`` stores under ``"calibrated"``: folder, name, sha256,
        points (how many were accepted), weighting, parameters and, given, the point each
        replication drew."""
        made: dict[str, Any] = {
            "folder": str(self.folder),
            "name": self.name,
            "sha256": self.sha256,
            "points": len(self.points),
            "weighting": self.weighting,
            "parameters": dict(self.parameters),
        }
        if drawn is not None:
            made["drawn_points"] = list(drawn)
        return made

    def check_experiment(self, spec: ExperimentSpec) -> None:
        """Refuse an experiment the drawn parameters cannot be added to: not a comparison,
        or one that varies or fixes a drawn path itself (which value would win is not
        obvious). Raises :class:`CalibrationError` naming the experiment and the field."""
        if spec.design.kind != "comparison":
            raise CalibrationError(
                spec.name,
                "design.kind",
                f"parameters drawn from a calibration need a comparison design, not "
                f"{spec.design.kind}",
            )
        drawn = set(self.parameters.values())
        for index, parameter in enumerate(spec.parameters):
            for field, value in (("name", parameter.name), ("path", parameter.path)):
                if value in drawn:
                    raise CalibrationError(
                        spec.name,
                        f"parameters[{index}].{field}",
                        f"{value} is drawn from calibration {self.name}; it cannot vary here too",
                    )
        for path in spec.model.set:
            if path in drawn:
                raise CalibrationError(
                    spec.name,
                    "model.set",
                    f"{path} is drawn from calibration {self.name}; it cannot be fixed too",
                )

    def check_scenarios(self, spec: ExperimentSpec, points: list[int]) -> None:
        """Every drawn point loads in every scenario of the experiment (with its fixed
        overrides), so that a set fitted elsewhere fails here and not in every run."""
        fixed = dict(spec.model.set)
        if spec.model.steps is not None:
            fixed["steps"] = spec.model.steps
        for scenario in spec.design.scenarios or [spec.model.scenario]:
            for point in sorted(set(points)):
                try:
                    load_scenario(scenario, overrides={**fixed, **self.values_of(point)})
                except ScenarioError as error:
                    raise CalibrationError(
                        str(self.folder),
                        NROY_FILE,
                        f"point {point} does not fit scenario {scenario}: {error}",
                    ) from None


def _read_summary(folder: Path) -> dict[str, Any]:
    path = folder / SUMMARY_FILE
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CalibrationError(str(folder), SUMMARY_FILE, f"unreadable: {error}") from None
    if not isinstance(summary, dict):
        raise CalibrationError(str(folder), SUMMARY_FILE, "not a JSON object")
    parameters = summary.get("parameters")
    if not isinstance(parameters, list) or not parameters:
        raise CalibrationError(str(folder), SUMMARY_FILE, "parameters: missing or empty")
    for index, entry in enumerate(parameters):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("path"), str)
            and entry["name"]
            and entry["path"]
        ):
            raise CalibrationError(
                str(folder), SUMMARY_FILE, f"parameters[{index}]: needs a name and a path"
            )
    return summary


def _finished(folder: Path) -> None:
    """Refuse a folder that holds no finished calibration, saying what is missing."""
    if not folder.is_dir():
        problem = "not a folder" if folder.exists() else "no such calibration folder"
        raise CalibrationError(str(folder), "", problem)
    # state.json says how far an interrupted calibration got; a folder without it (made by
    # hand, or by an older engine) is judged by its final files alone.
    state_path = folder / "state.json"
    if state_path.is_file():
        try:
            stage = json.loads(state_path.read_text(encoding="utf-8")).get("stage")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            stage = None
        if stage != "finished":
            raise CalibrationError(
                str(folder),
                "state.json",
                f"the calibration is not finished (stage {stage}); continue it with "
                "smartspec calibrate --resume",
            )
    for name in (NROY_FILE, SUMMARY_FILE):
        if not (folder / name).is_file():
            raise CalibrationError(
                str(folder),
                name,
                "missing: not a finished calibration (smartspec calibrate writes it at the end)",
            )


def load_calibrated(folder: str | Path) -> CalibratedSet:
    """The accepted points of a finished calibration folder.

    Parameters
    ----------
    folder : str or Path
        Output folder of ``smartspec calibrate``.

    Returns
    -------
    CalibratedSet

    Raises
    ------
    CalibrationError
        One line naming the folder, the file and the problem: not a finished calibration
        (no ``nroy.parquet`` or ``summary.json``), no accepted point, a fitted parameter
        without its column, or a file that cannot be read.
    """
    folder = Path(folder)
    _finished(folder)
    summary = _read_summary(folder)
    record = folder / "provenance.json"
    if record.is_file():
        # A calibrated set stands for the model that was fitted, not for another one.
        check_model_version(json.loads(record.read_text()), str(folder), "the calibration")
    nroy_bytes = (folder / NROY_FILE).read_bytes()
    try:
        table = pd.read_parquet(folder / NROY_FILE)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several kinds for a bad file
        raise CalibrationError(str(folder), NROY_FILE, f"unreadable: {error}") from None
    for column in ("point", "accepted"):
        if column not in table.columns:
            raise CalibrationError(str(folder), NROY_FILE, f"no '{column}' column")
    parameters = {entry["name"]: entry["path"] for entry in summary["parameters"]}
    for name, path in parameters.items():
        if name not in table.columns:
            raise CalibrationError(
                str(folder),
                NROY_FILE,
                f"no column '{name}' for parameter {path} listed in {SUMMARY_FILE}",
            )
    accepted = table[table["accepted"].astype(bool)]
    if accepted.empty:
        raise CalibrationError(
            str(folder),
            NROY_FILE,
            f"no point was accepted (0 of {len(table)}); there is nothing to draw from",
        )
    if accepted["point"].duplicated().any():
        raise CalibrationError(str(folder), NROY_FILE, "a point id appears twice")
    points = accepted.set_index("point")[list(parameters)]
    if points.isna().any().any():
        missing = points.columns[points.isna().any()].tolist()
        raise CalibrationError(
            str(folder), NROY_FILE, f"accepted points without a value of {', '.join(missing)}"
        )
    identity = hashlib.sha256(nroy_bytes)
    identity.update(json.dumps(summary["parameters"], sort_keys=True).encode("utf-8"))
    return CalibratedSet(
        folder=folder.resolve(),
        name=str(summary.get("name") or folder.name),
        parameters=parameters,
        points=points,
        sha256=identity.hexdigest(),
        weighting=str(summary.get("weighting") or "uniform over re-run points"),
        integer=tuple(entry["name"] for entry in summary["parameters"] if entry.get("integer")),
    )


def stamp_experiment_text(text: str, record: Mapping[str, Any]) -> str:
    """The experiment's text as stored and compared on resume: the calibrated set's folder
    and digest are appended as TOML comments, so the file still loads as it was, while a
    resume with another set (or none) finds a different experiment."""
    return (
        text.rstrip("\n")
        + "\n\n# Each replication draws its parameters from this calibration's accepted points:\n"
        + f"# calibrated.name = {json.dumps(record['name'])}\n"
        + f"# calibrated.folder = {json.dumps(record['folder'])}\n"
        + f"# calibrated.sha256 = {json.dumps(record['sha256'])}\n"
    )


def check_same_calibrated(out_dir: Path, record: Mapping[str, Any] | None) -> None:
    """Refuse to resume ``out_dir`` with another calibrated set than it was started with,
    or with one when it was started without (and the reverse), in words that say so.

    A folder without provenance is left to the result store to refuse.
    """
    path = Path(out_dir) / "provenance.json"
    if not path.is_file():
        return
    try:
        stored = json.loads(path.read_text(encoding="utf-8")).get("calibrated")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return
    if stored is None and record is None:
        return
    if stored is None:
        problem = "it was started without --calibrated; resume it without that option"
    elif record is None:
        problem = (
            f"it was started with --calibrated {stored.get('folder')}; resume it with the same"
        )
    elif (stored.get("sha256"), stored.get("folder")) != (record["sha256"], record["folder"]):
        problem = (
            f"it was started with calibrated set {stored.get('folder')} "
            f"(sha256 {str(stored.get('sha256'))[:12]}); resume needs the same set"
        )
    else:
        return
    raise CalibrationError(str(out_dir), "--calibrated", problem)
