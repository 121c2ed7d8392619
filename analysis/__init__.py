"""Analysis layer: figures, sensitivity indices, scenario comparison, scenario discovery,
validation, the calibration report and the HTML report.

    from smartspec.analysis import sensitivity, comparison, discovery, calibration

Submodules are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("calibration", "comparison", "discovery", "sensitivity")
#: Public name -> submodule that defines it.
_EXPORTS = {
    "KEY_INDICATORS": "plots",
    "plot_key_indicators": "plots",
    "CalibrationResults": "calibration",
    "calibration_section": "calibration",
    "load_calibration_results": "calibration",
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
