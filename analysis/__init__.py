"""Analysis layer: indicator figures and tables built from model output."""

from .plots import KEY_INDICATORS, plot_key_indicators

__all__ = ["KEY_INDICATORS", "plot_key_indicators"]
