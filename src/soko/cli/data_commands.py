"""Sub-commands that load and compute data: demo, import."""

from __future__ import annotations

import argparse

SubParsers = argparse._SubParsersAction


def register(sub: SubParsers) -> None:
    """Register the data sub-commands of each area."""
    import importlib

    for area in ("demo", "imports", "indicators", "monitoring", "analyses", "risks", "cycle",
                 "reports"):
        importlib.import_module(f"soko.{area}.cli").register(sub)
