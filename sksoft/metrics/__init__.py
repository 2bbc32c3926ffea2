"""Numpy-only metrics for soft labels and calibration (no torch import)."""

__all__ = []
