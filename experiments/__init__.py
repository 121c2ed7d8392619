"""Experiments layer: replications, sweeps and sensitivity designs (see the issues)."""
