"""Utilities: discovery of the package's estimators, displays and functions."""

from .discovery import all_displays, all_estimators, all_functions

__all__ = ["all_displays", "all_estimators", "all_functions"]
