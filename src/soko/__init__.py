"""СОКО — information-analytical system for education-quality assessment."""

from __future__ import annotations

__version__ = "0.1.0"
