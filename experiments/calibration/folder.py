"""Reading and writing a calibration's output folder: JSON files written atomically, and
each parameter's default read from the scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..store import write_bytes_atomically
from .spec import CalibrationSpec

__all__ = ["read_json", "with_defaults", "write_json"]


def write_json(path: Path, data: Any) -> None:
    write_bytes_atomically(path, json.dumps(data, indent=2, default=_jsonable).encode())


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _value_at(node: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(node, dict):
            node = next((v for k, v in node.items() if str(getattr(k, "value", k)) == part), None)
        elif isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        else:
            node = getattr(node, part, None)
        if node is None:
            return None
    return node


def with_defaults(
    entries: list[dict[str, Any]], spec: CalibrationSpec, model: bool
) -> list[dict[str, Any]]:
    """Each parameter's default in every scenario (None for a user's own simulator)."""
    if not model:
        return [{**entry, "default": None} for entry in entries]
    from smartspec.scenarios import load_scenario

    loaded = {name: load_scenario(name) for name in spec.model.scenarios}
    return [
        {
            **entry,
            "default": {
                name: _value_at(scenario, entry["path"]) for name, scenario in loaded.items()
            },
        }
        for entry in entries
    ]
