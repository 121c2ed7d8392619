"""What a result depends on, as one record: compared when a folder is resumed or extended.

A results folder stores the fingerprint of the runs it holds in ``provenance.json``. Resuming
(``--resume``) computes it again and refuses on any difference, naming what changed, so that
a folder never silently mixes runs of an edited scenario, another mix file or proximity
matrix, another SmartSpec release or git revision, another model version, another calibrated
set or another custom target. The number of replications is deliberately left out: adding
replications to a finished experiment (``--resume --reps N``) keeps every earlier run valid.

Every resumable command (sweep, compare, the studies, calibrate) uses :func:`run_fingerprint`
or, for a calibration's own folder, :func:`source_fingerprint`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .designs import Design
    from .spec import ExperimentSpec

__all__ = [
    "describe_changes",
    "design_scenarios",
    "resolved_scenario",
    "resolved_scenario_digest",
    "resolved_scenarios",
    "run_fingerprint",
    "source_fingerprint",
    "target_identity",
]


def _sha(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def _describe(value: Any) -> Any:
    """A JSON-able, address-free description of anything a target or spec may hold."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        return {"__class__": _qualified(type(value)), **fields}
    if callable(value):
        return _code_identity(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=repr) if isinstance(value, (set, frozenset)) else list(value)
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    return repr(value)


def _qualified(thing: Any) -> str:
    module = getattr(thing, "__module__", None) or "?"
    name = getattr(thing, "__qualname__", None) or type(thing).__qualname__
    return f"{module}:{name}"


def _code_identity(function: Any) -> dict[str, Any]:
    """A function or class by name, with the digest of the file that defines it, so that
    editing a custom target's code between runs counts as a change."""
    identity: dict[str, Any] = {"name": _qualified(function)}
    try:
        source = inspect.getsourcefile(function)
    except TypeError:
        source = None
    if source and Path(source).is_file():
        identity["source_sha256"] = _sha(Path(source).read_bytes())
    return identity


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_describe, separators=(",", ":"))


def target_identity(target: Any) -> str:
    """Digest of what a run executes: the target's class, fields and named code."""
    return _sha(_canonical(_describe(target)))


def resolved_scenario(scenario: str, mix: str | None = None) -> dict[str, Any]:
    """A scenario as the model receives it: the file with its archetypes, mix file,
    calibrated defaults and burn-in mix resolved, plus the digest of its proximity CSV."""
    from smartspec.scenarios.loader import load_scenario, mix_table

    loaded = load_scenario(scenario, mix=mix or None)
    parts: dict[str, Any] = {"scenario": loaded.model_dump(mode="json")}
    csv = loaded.knowledge.matrix_csv
    if csv is not None and Path(csv).is_file():
        parts["proximity_csv_sha256"] = _sha(Path(csv).read_bytes())
    parts["burn_in_mix"] = mix_table(loaded.initial.burn_in_mix)
    return parts


def resolved_scenario_digest(scenario: str, mix: str | None = None) -> str:
    """Digest of :func:`resolved_scenario`."""
    return _sha(_canonical(resolved_scenario(scenario, mix)))


def resolved_scenarios(scenarios: Iterable[tuple[str, str | None]]) -> dict[str, Any]:
    """What provenance records of the scenarios a design runs: label -> resolved content
    (names that are no scenario, as a custom target's may be, are left out)."""
    from smartspec.scenarios import ScenarioError

    resolved = {}
    for scenario, mix in dict.fromkeys(scenarios):
        try:
            resolved[_scenario_label(scenario, mix)] = resolved_scenario(scenario, mix)
        except ScenarioError:
            continue
    return resolved


def _digest_or_name(scenario: str, mix: str | None) -> str:
    """A scenario's digest; a custom target's free "scenario" name (no scenario file) is
    recorded as the name itself."""
    from smartspec.scenarios import ScenarioError

    try:
        return resolved_scenario_digest(scenario, mix)
    except ScenarioError:
        return f"not a scenario: {scenario}"


def _scenario_label(scenario: str, mix: str | None) -> str:
    return f"scenario {scenario}" + (f" with mix {mix}" if mix else "")


def source_fingerprint(scenarios: Iterable[tuple[str, str | None]]) -> dict[str, Any]:
    """The part every resumable folder shares: package version, git revision, model version
    and the resolved content of each (scenario, mix) the runs use."""
    from smartspec.model.version import MODEL_VERSION

    from .provenance import git_revision

    try:
        version = metadata.version("smartspec")
    except metadata.PackageNotFoundError:
        version = "not installed"
    digests = {
        _scenario_label(scenario, mix): _digest_or_name(scenario, mix)
        for scenario, mix in dict.fromkeys(scenarios)
    }
    return {
        "smartspec": version,
        "git_revision": git_revision()["revision"],
        "model_version": MODEL_VERSION,
        "scenarios": digests,
    }


def design_scenarios(spec: ExperimentSpec, design: Design) -> list[tuple[str, str | None]]:
    """The (scenario, mix) pairs a design runs."""
    points = design.points
    if "scenario" in points and len(points):
        pairs = points[[c for c in ("scenario", "mix") if c in points]].drop_duplicates()
        mixes = pairs["mix"] if "mix" in pairs else [""] * len(pairs)
        return [(str(s), str(m) or None) for s, m in zip(pairs["scenario"], mixes, strict=True)]
    return [(scenario, None) for scenario in spec.design.scenarios or [spec.model.scenario]]


def run_fingerprint(spec: ExperimentSpec, design: Design, target: Any) -> dict[str, Any]:
    """Everything an experiment's results depend on, except the number of replications.

    Parameters
    ----------
    spec : ExperimentSpec
        The experiment (its replication count is left out).
    design : Design
        Its design points and, when drawn, the calibrated set.
    target : Target
        What one run executes.

    Returns
    -------
    dict
        ``experiment``, ``design_points``, ``calibrated``, ``target`` (digests) and the
        :func:`source_fingerprint` entries.
    """
    definition = spec.model_dump(mode="json")
    # Neither changes what a run computes; a comparison's description counts replications.
    definition["design"].pop("replications", None)
    definition.pop("description", None)
    points = design.points
    calibrated = design.calibrated
    return {
        "experiment": _sha(_canonical(definition)),
        "design_points": _sha(pd.util.hash_pandas_object(points, index=True).to_numpy().tobytes())
        if len(points)
        else None,
        "calibrated": calibrated.get("sha256") if calibrated else None,
        "target": target_identity(target),
        **source_fingerprint(design_scenarios(spec, design)),
    }


_WHAT = {
    "experiment": "the experiment definition (other than its replications)",
    "design_points": "the design points",
    "calibrated": "the calibrated set the parameters are drawn from",
    "target": "what a run executes (the target or its code)",
    "smartspec": "the SmartSpec version",
    "git_revision": "the git revision of the code",
    "model_version": "the model version",
}


def describe_changes(stored: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What differs between two fingerprints, in words (empty when they match)."""
    changes = []
    for key, words in _WHAT.items():
        if stored.get(key) != current.get(key):
            changes.append(
                f"{words} ({stored.get(key)} -> {current.get(key)})"
                if key in ("smartspec", "model_version", "git_revision")
                else words
            )
    before, after = stored.get("scenarios") or {}, current.get("scenarios") or {}
    for label in sorted(set(before) | set(after)):
        if label not in after:
            changes.append(f"{label} is no longer used")
        elif label not in before:
            changes.append(f"{label} is new")
        elif before[label] != after[label]:
            changes.append(f"{label} changed (its file, mix file or proximity CSV)")
    return changes
