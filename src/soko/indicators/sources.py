"""Data sources that indicator formulas can read, provided by the areas that own the data.

An area registers a provider under a prefix (``form``, ``flags``, ``survey``…). A formula that
refers to ``form.career_bilet_participants`` asks the ``form`` provider for the name
``career_bilet_participants``; the provider returns one row per organization and year:
an Arrow table with columns ``org_id`` (int), ``year`` (int) and ``value`` (float, may be null).
The indicator engine aggregates these values (always from counts, never by averaging shares).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

Provider = Callable[[str, Sequence[int]], pa.Table]


@dataclass(frozen=True)
class SourceSpec:
    prefix: str
    title: str  # Russian, shown in the indicator editor
    provider: Provider
    names: Callable[[], list[tuple[str, str]]]  # (name, Russian label) for the editor


_SOURCES: dict[str, SourceSpec] = {}

SOURCE_SCHEMA = pa.schema([("org_id", pa.int64()), ("year", pa.int64()), ("value", pa.float64())])


def register_source(
    prefix: str,
    title: str,
    provider: Provider,
    names: Callable[[], list[tuple[str, str]]] | None = None,
) -> None:
    """Make ``prefix.<name>`` readable in indicator formulas."""
    _SOURCES[prefix] = SourceSpec(prefix, title, provider, names or (list))


def source(prefix: str) -> SourceSpec | None:
    return _SOURCES.get(prefix)


def sources() -> dict[str, SourceSpec]:
    return dict(_SOURCES)


def empty_source_table() -> pa.Table:
    return SOURCE_SCHEMA.empty_table()
