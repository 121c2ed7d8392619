"""Analysis layer: figures, sensitivity indices, scenario comparison, scenario discovery,
validation and the HTML report.

    from smartspec.analysis import sensitivity, comparison, discovery
"""

from . import comparison, discovery, sensitivity
from .plots import KEY_INDICATORS, plot_key_indicators

__all__ = ["KEY_INDICATORS", "comparison", "discovery", "plot_key_indicators", "sensitivity"]
