"""Diagnostics: the code registry, the Diagnostic record and its renderers."""

from .codes import REGISTRY, Code
from .model import Diagnostic, Location, Severity

__all__ = ["Code", "Diagnostic", "Location", "REGISTRY", "Severity"]
