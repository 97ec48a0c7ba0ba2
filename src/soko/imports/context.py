"""The state of one import while it runs, shared by the kind handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from soko.accounts.scope import Scope
from soko.imports.parsing.problems import ProblemList
from soko.imports.parsing.tables import Sheet

ProgressFn = Callable[[float, str], None]


@dataclass
class PlannedSlice:
    """One replacement unit the import will write."""

    unit_key: str
    kind: str
    rows: int
    label: str  # Russian, e.g. «ВПР 2025 Математика 5 класс — МБОУ «СОШ № 1»»
    assessment_id: int | None = None
    organization_id: int | None = None
    year: int | None = None
    replaces: list[int] = field(default_factory=list)  # ids of active slices it supersedes
    replaces_batches: list[int] = field(default_factory=list)
    replaced_rows: int = 0
    payload: Any = None  # handler-specific (e.g. the staged block and org code)


@dataclass
class ImportContext:
    path: Path
    file_name: str
    kind: str
    year: int | None
    mapping: dict[str, str] | None
    create_orgs: bool
    scope: Scope
    user: Any
    options: dict[str, Any]
    progress: ProgressFn
    problems: ProblemList
    sheets: list[Sheet] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    plan: list[PlannedSlice] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    tmp_dir: Path | None = None


class KindHandler(Protocol):
    """How one kind of file is parsed, checked and written. See ``soko.imports.services``."""

    kind: str
    title: str
    writes_facts: bool

    def prepare(self, ctx: ImportContext) -> None:
        """Parse, resolve references and validate; add problems; fill ``ctx.plan``."""

    def write_app(self, ctx: ImportContext, batch: Any) -> None:
        """Inside the application transaction, before slices are created: create referenced
        records (assessments, organizations), write application-side data of the kind, and
        set ``unit_key`` / ``assessment_id`` / ``organization_id`` of every planned slice."""

    def write_facts(self, ctx: ImportContext, writer: Any, slice_ids: list[int]) -> int:
        """Inside the fact-store transaction: append the facts of the planned slices
        (``slice_ids[i]`` is the id of ``ctx.plan[i]``); return the rows written."""

    def close(self) -> None:
        """Release resources (staging databases)."""
