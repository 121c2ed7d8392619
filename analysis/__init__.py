"""Analysis layer: indicators, statistics, plots and reports (see the issues)."""
