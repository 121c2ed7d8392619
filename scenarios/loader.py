"""Read, combine and validate scenario files.

Every problem becomes a :class:`ScenarioError` whose text is one line naming the file, the field
and the problem, so that the command line can print it and exit with status 2.
"""

from __future__ import annotations

import copy
import csv
import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from .behaviour import GovernmentBehaviour, PeerReview
from .errors import FieldProblem, ScenarioError
from .schema import (
    INSTRUMENTS,
    PolicyMix,
    Scenario,
    default_instruments,
    synthetic_domain_names,
)
from .shares import mix_table_at, set_mix_shares, split_share_overrides

__all__ = [
    "CALIBRATED_DEFAULTS",
    "DEFAULT_MIX",
    "ScenarioError",
    "BundledEntry",
    "apply_overrides",
    "archetype_regions",
    "calibrated_defaults",
    "describe_mix",
    "describe_scenario",
    "bundled_mix",
    "bundled_mixes",
    "bundled_scenarios",
    "load_scenario",
    "mix_table",
    "parse_override",
    "read_proximity_csv",
    "read_toml",
    "resolve_toml",
    "revise_scenario",
    "validation_message",
]

BUNDLED_DIR = Path(str(resources.files("smartspec.scenarios")))
MIX_DIR = BUNDLED_DIR / "mixes"
#: The best point of a calibration of the archetypes (its ``best.toml``, ``[set]`` of dotted
#: overrides with the calibration's provenance in comments). When present it sets the
#: behavioural coefficients of every bundled scenario; ``--set`` still overrides any field.
CALIBRATED_DEFAULTS = BUNDLED_DIR / "data" / "calibrated.toml"
#: The mix of a scenario file that names none.
DEFAULT_MIX = "baseline"


@dataclass(frozen=True)
class BundledEntry:
    """A scenario or mix shipped with the package."""

    name: str
    description: str
    path: Path


def read_toml(path: Path, label: str) -> dict[str, Any]:
    """A TOML file as a dict; any problem reading it becomes a one-line :class:`ScenarioError`."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ScenarioError(label, "", "file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(label, "", f"invalid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ScenarioError(label, "", "not UTF-8 text (save the file as UTF-8)") from None
    except OSError as error:
        raise ScenarioError(label, "", f"cannot read file: {error.strerror}") from None


def _entries(directory: Path) -> list[BundledEntry]:
    entries = []
    for path in sorted(directory.glob("*.toml")):
        data = read_toml(path, str(path))
        entries.append(BundledEntry(path.stem, str(data.get("description", "")), path))
    return entries


def bundled_scenarios() -> list[BundledEntry]:
    """Region scenarios shipped in ``scenarios/``."""
    return _entries(BUNDLED_DIR)


def bundled_mixes() -> list[BundledEntry]:
    """Policy mixes shipped in ``scenarios/mixes/``."""
    return _entries(MIX_DIR)


def _looks_like_path(name_or_path: str | Path) -> bool:
    candidate = Path(name_or_path)
    return candidate.suffix == ".toml" or candidate.exists() or len(candidate.parts) > 1


def resolve_toml(name_or_path: str | Path, bundled_dir: Path) -> Path:
    """A TOML file given by path, or by the name of a bundled file in ``bundled_dir``; a
    name that is neither comes back as the path it spells (its loader reports it missing)."""
    if _looks_like_path(name_or_path):
        return Path(name_or_path)
    bundled = bundled_dir / f"{name_or_path}.toml"
    return bundled if bundled.is_file() else Path(name_or_path)


def _resolve_scenario_path(name_or_path: str | Path) -> tuple[Path, str]:
    if _looks_like_path(name_or_path):
        return Path(name_or_path), str(name_or_path)
    path = resolve_toml(name_or_path, BUNDLED_DIR)
    if path.parent == BUNDLED_DIR:
        return path, f"{name_or_path} (bundled)"
    known = ", ".join(entry.name for entry in bundled_scenarios())
    raise ScenarioError(str(name_or_path), "", f"unknown scenario (bundled: {known})")


def calibrated_defaults(path: Path | None = None) -> dict[str, Any]:
    """The dotted overrides a calibration set as every scenario's defaults (``[set]`` of
    :data:`CALIBRATED_DEFAULTS`), or {} when no calibration was adopted."""
    path = CALIBRATED_DEFAULTS if path is None else path
    if not path.is_file():
        return {}
    return dict(_calibrated_table(str(path), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _calibrated_table(path: str, modified: int) -> tuple[tuple[str, Any], ...]:
    # Read once per version of the file: every bundled scenario load applies it.
    raw = read_toml(Path(path), path)
    values = raw.get("set", {})
    if not isinstance(values, dict) or set(raw) - {"set"}:
        raise ScenarioError(path, "set", "must hold only a [set] table of dotted overrides")
    return tuple(values.items())


def _is_set(raw: Any, dotted: str) -> bool:
    """Whether a raw scenario table sets the field at ``dotted`` itself."""
    node = raw
    for part in _split_path(dotted):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _is_plain_name(name: object) -> bool:
    return isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name) is not None


def mix_table(name: str, source: str = "--mix", field: str = "mix") -> dict[str, Any]:
    """The raw table of a bundled mix (by name) or of a mix file (a path ending in ``.toml``);
    an unknown name is a :class:`ScenarioError` raised for ``source`` and ``field``, a
    missing or unreadable file one naming the file."""
    if name.endswith(".toml"):
        if not Path(name).is_file():
            raise ScenarioError(source, field, f"mix file not found: {name}")
        # A mix file without a name is called by its file name in tables and reports.
        table = {"name": Path(name).stem, **read_toml(Path(name), str(name))}
        try:
            PolicyMix.model_validate(table)  # a problem names the mix file, not the scenario
        except ValidationError as error:
            raise ScenarioError(str(name), *validation_message(error)) from None
        return table
    path = MIX_DIR / f"{name}.toml"
    if not _is_plain_name(name) or not path.is_file():
        known = ", ".join(entry.name for entry in bundled_mixes())
        raise ScenarioError(source, field, f"unknown mix {name!r} (bundled: {known})")
    return read_toml(path, str(path))


@functools.lru_cache(maxsize=16)
def bundled_mix(name: str, source: str = "scenario", field: str = "mix") -> PolicyMix:
    """A bundled mix, validated; read once per process (the model asks for the burn-in mix of
    every run). An unknown name is a :class:`ScenarioError` for ``source`` and ``field``."""
    return PolicyMix.model_validate(mix_table(name, source, field))


def _deep_merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def archetype_regions() -> dict[str, dict[str, Any]]:
    """Bundled single-region scenarios, usable as ``archetype = "NAME"`` in a region table."""
    found = {}
    for entry in bundled_scenarios():
        regions = read_toml(entry.path, str(entry.path)).get("regions")
        if isinstance(regions, list) and len(regions) == 1 and "archetype" not in regions[0]:
            found[entry.name] = regions[0]
    return found


def _expand_archetypes(raw: dict[str, Any], source: str) -> None:
    regions = raw.get("regions")
    if not isinstance(regions, list):
        return
    for index, region in enumerate(regions):
        if not isinstance(region, dict) or "archetype" not in region:
            continue
        archetype = region.pop("archetype")
        archetypes = archetype_regions()
        if not _is_plain_name(archetype) or archetype not in archetypes:
            known = ", ".join(sorted(archetypes))
            raise ScenarioError(
                source,
                f"regions[{index}].archetype",
                f"unknown archetype {archetype!r} (archetypes: {known})",
            )
        regions[index] = _deep_merge(archetypes[archetype], region)


def _nested_defaults() -> dict[str, dict[str, Any]]:
    return {
        "instruments": default_instruments().model_dump(mode="json"),
        "government": GovernmentBehaviour().model_dump(mode="json"),
        "peer_review": PeerReview().model_dump(mode="json"),
    }


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_override(assignment: str) -> tuple[str, Any]:
    """Split ``"dotted.key=value"``; the value is read as TOML (number, bool, list) or text."""
    key, sep, value = assignment.partition("=")
    if not sep or not key.strip():
        raise ScenarioError("--set", assignment, "expected dotted.key=value")
    return key.strip(), _parse_value(value.strip())


def _split_path(dotted: str) -> list[str]:
    return [part for part in dotted.replace("[", ".").replace("]", "").split(".") if part]


def _assign(node: Any, parts: list[str], value: Any, dotted: str, source: str) -> None:
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):
        if head == "*":
            targets = range(len(node))
        else:
            try:
                targets = [int(head)]
                node[targets[0]]
            except (ValueError, IndexError):
                raise ScenarioError(
                    source, dotted, f"no list item '{head}' (there are {len(node)})"
                ) from None
        for index in targets:
            if rest:
                _assign(node[index], rest, value, dotted, source)
            else:
                node[index] = copy.deepcopy(value)
        return
    if not isinstance(node, dict):
        raise ScenarioError(source, dotted, f"'{head}' is inside a value that is not a table")
    if not rest:
        node[head] = copy.deepcopy(value)
        return
    if head not in node:
        node[head] = {}
    _assign(node[head], rest, value, dotted, source)


def apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any], source: str) -> None:
    """Set dotted paths (``regions.0.firms``, ``regions.*.government.budget_share``) in a
    raw table. Budget shares (``mix.shares.NAME``) follow the mix rule of
    :func:`~smartspec.scenarios.shares.set_mix_shares`: the named shares are set and the
    others rescale proportionally, after every other override."""
    share_groups, overrides = split_share_overrides(overrides)
    for dotted, value in overrides.items():
        parts = _split_path(dotted)
        if not parts:
            raise ScenarioError(source, dotted, "empty field path")
        _assign(raw, parts, value, dotted, source)
    for table_path, values in share_groups.items():
        table = mix_table_at(raw, table_path, source)
        table["shares"] = set_mix_shares(
            table.get("shares") or {}, values, source=source, field=f"{table_path}.shares"
        )


def read_proximity_csv(path: Path, source: str) -> tuple[list[str], np.ndarray]:
    """Read a square, symmetric proximity matrix with values in [0, 1] and named domains."""
    field = "knowledge.matrix_csv"
    if not path.is_file():
        raise ScenarioError(source, field, f"CSV file not found: {path}")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(source, field, f"cannot read {path}: {error}") from None
    if len(rows) < 3:
        raise ScenarioError(source, field, f"{path.name}: needs a header and at least 2 rows")
    header = [name.strip() for name in rows[0][1:]]
    names = [row[0].strip() for row in rows[1:]]
    if header != names:
        raise ScenarioError(source, field, f"{path.name}: header and row names differ")
    if len(set(names)) != len(names):
        raise ScenarioError(source, field, f"{path.name}: duplicate domain names")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise ScenarioError(
                source,
                field,
                f"{path.name}: not square: line {number} has {len(row)} cells, "
                f"the header has {len(rows[0])}",
            )
    try:
        matrix = np.array([[float(cell) for cell in row[1:]] for row in rows[1:]])
    except ValueError as error:
        raise ScenarioError(source, field, f"{path.name}: non-numeric cell ({error})") from None
    if matrix.shape != (len(names), len(names)):
        raise ScenarioError(source, field, f"{path.name}: matrix is not square")
    if not np.all(np.isfinite(matrix)) or matrix.min() < 0 or matrix.max() > 1:
        raise ScenarioError(source, field, f"{path.name}: values must lie in [0, 1]")
    if not np.allclose(matrix, matrix.T, atol=1e-9):
        raise ScenarioError(source, field, f"{path.name}: matrix is not symmetric")
    return names, matrix


def _format_location(location: Iterable[Any]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def validation_message(error: ValidationError) -> tuple[str, str]:
    """The first problem of a pydantic validation error as (field path, one-line problem)."""
    first = error.errors(include_url=False)[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, FieldProblem):
        return cause.field, cause.problem
    location = _format_location(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] == "missing":
        message = "required field is missing"
    elif "input" in first and not isinstance(first["input"], dict | list):
        message = f"{message} (got {first['input']!r})"
    return location, message


def _check_domains(scenario: Scenario, names: list[str], source: str) -> None:
    known = set(names)
    for index, region in enumerate(scenario.regions):
        fields = (
            ("specialised_domains", region.specialised_domains),
            ("government.initial_priorities", region.government.initial_priorities),
        )
        for field, listed in fields:
            for name in listed or []:
                if name not in known:
                    raise ScenarioError(
                        source,
                        f"regions[{index}].{field}",
                        f"unknown domain '{name}' (domains are {names[0]}..{names[-1]})",
                    )


def load_scenario(
    name_or_path: str | Path,
    mix: str | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Load a bundled scenario by name, or a TOML file by path, and validate it.

    Parameters
    ----------
    name_or_path
        A bundled name (``emerging``, ``moderate``, ``strong``, ``leader``, ``europe``) or a path.
    mix
        Name of a bundled policy mix, or path of a mix file (``.toml``), that replaces the
        scenario's mix in every region.
    overrides
        Dotted-path assignments, either ``{"regions.0.firms": 2000}`` or ``["steps=20"]``.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, the field and the problem.
    """
    path, source = _resolve_scenario_path(name_or_path)
    raw = read_toml(path, source)
    _expand_archetypes(raw, source)

    if overrides is not None and not isinstance(overrides, Mapping):
        overrides = dict(parse_override(item) for item in overrides)
    overrides = dict(overrides or {})
    # A calibration's best point is the default of every scenario: it fills the fields the
    # file does not set, and what the caller sets still wins.
    calibrated = {
        dotted: value
        for dotted, value in calibrated_defaults().items()
        if path.parent == BUNDLED_DIR or not _is_set(raw, dotted)
    }
    overrides = {**calibrated, **overrides}
    if isinstance(overrides.get("mix"), str):
        mix = overrides.pop("mix")

    if mix is not None:
        raw["mix"] = mix_table(mix, "--mix", "mix")
        for region in raw.get("regions") or []:
            if isinstance(region, dict) and isinstance(region.get("government"), dict):
                region["government"].pop("mix", None)
    elif isinstance(raw.get("mix"), str):
        named = raw["mix"]
        if named.endswith(".toml") and not Path(named).is_absolute():
            named = str(path.parent / named)  # a mix file beside the scenario file
        raw["mix"] = mix_table(named, source, "mix")
    elif "mix" not in raw:
        raw["mix"] = mix_table(DEFAULT_MIX, source, "mix")

    instruments = raw.get("instruments", {})
    if isinstance(instruments, dict):
        unknown = sorted(set(instruments) - set(INSTRUMENTS))
        if unknown:
            raise ScenarioError(
                source,
                f"instruments.{unknown[0]}",
                f"unknown instrument '{unknown[0]}' (known: {', '.join(INSTRUMENTS)})",
            )
    # Tables whose defaults are nested tables: a file (or --set) may change single fields of
    # them, so the file's values are merged onto the defaults before validation.
    for key, defaults in _nested_defaults().items():
        if isinstance(raw.get(key, {}), dict):
            raw[key] = _deep_merge(defaults, raw.get(key, {}))

    apply_overrides(raw, overrides, source)

    # Per-region mixes are named in government.mix; they are resolved after the overrides so
    # that --set regions.0.government.mix=NAME works like a mix written in the file.
    region_mixes: dict[str, Any] = {}
    for index, region in enumerate(raw.get("regions") or []):
        government = region.get("government") if isinstance(region, dict) else None
        if isinstance(government, dict) and isinstance(government.get("mix"), str):
            region_name = region.get("name", "Region")
            field = f"regions[{index}].government.mix"
            region_mixes[region_name] = mix_table(government["mix"], source, field)
    raw["region_mixes"] = region_mixes

    try:
        scenario = Scenario.model_validate(raw, context={"cross_checks": False})
    except ValidationError as error:
        field, problem = validation_message(error)
        raise ScenarioError(source, field, problem) from None

    if scenario.knowledge.matrix_csv is not None:
        csv_path = Path(scenario.knowledge.matrix_csv)
        if not csv_path.is_absolute():
            csv_path = (path.parent / csv_path).resolve()
        names, _ = read_proximity_csv(csv_path, source)
        if "domains" in (raw.get("knowledge") or {}) and raw["knowledge"]["domains"] != len(names):
            raise ScenarioError(
                source,
                "knowledge.domains",
                f"is {raw['knowledge']['domains']} but {csv_path.name} has {len(names)} domains",
            )
        scenario.knowledge.matrix_csv = str(csv_path)
        scenario.knowledge.domains = len(names)
        try:
            Scenario.model_validate(scenario.model_dump(), context={"cross_checks": False})
        except ValidationError as error:
            field, problem = validation_message(error)
            raise ScenarioError(source, field, problem) from None
    else:
        names = synthetic_domain_names(scenario.knowledge.domains)
    for field, problem in scenario.cross_field_problems():
        raise ScenarioError(source, field, problem)
    _check_domains(scenario, names, source)
    bundled_mix(scenario.initial.burn_in_mix, source, "initial.burn_in_mix")
    return scenario


def revise_scenario(
    scenario: Scenario, mix: str | None = None, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """A loaded scenario with a bundled mix and dotted overrides applied, validated again."""
    raw = scenario.model_dump(mode="json")
    if mix is not None:
        raw["mix"] = mix_table(mix)
        raw["region_mixes"] = {}
    apply_overrides(raw, overrides or {}, scenario.name)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        field, problem = validation_message(error)
        raise ScenarioError(scenario.name, field, problem) from None


def describe_mix(name_or_path: str) -> tuple[str, str]:
    """A mix's own name and description (bundled name or mix file); a mix that cannot be read
    is described by its file name."""
    try:
        table = mix_table(name_or_path)
    except ScenarioError:
        return Path(name_or_path).stem, ""
    return str(table.get("name", Path(name_or_path).stem)), str(table.get("description", ""))


def describe_scenario(name_or_path: str) -> tuple[str, str]:
    """A scenario's own name and description (bundled name or scenario file); a file that
    cannot be read is described by its file name."""
    try:
        path, _ = _resolve_scenario_path(name_or_path)
        table = read_toml(path, str(path))
    except ScenarioError:
        return Path(name_or_path).stem, ""
    return str(table.get("name", Path(name_or_path).stem)), str(table.get("description", ""))
