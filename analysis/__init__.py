"""Analysis layer: figures, sensitivity indices, scenario comparison and validation.

from smartspec.analysis import sensitivity, comparison
"""

from . import comparison, sensitivity
from .plots import KEY_INDICATORS, plot_key_indicators

__all__ = ["KEY_INDICATORS", "comparison", "plot_key_indicators", "sensitivity"]
