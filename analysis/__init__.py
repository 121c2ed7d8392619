"""Analysis layer: figures, sensitivity indices, scenario comparison, scenario discovery,
validation, the calibration report and the HTML report.

    from smartspec.analysis import sensitivity, comparison, discovery, calibration, relatedness

Submodules are imported on first use.
"""

from __future__ import annotations

from smartspec.lazy import lazy_exports

_SUBMODULES = ("calibration", "comparison", "discovery", "relatedness", "sensitivity")
#: Public name -> submodule that defines it.
_EXPORTS = {
    "KEY_INDICATORS": "plots",
    "plot_key_indicators": "plots",
    "CalibrationResults": "calibration",
    "calibration_section": "calibration",
    "load_calibration_results": "calibration",
    "export_results": "export",
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, _SUBMODULES)
