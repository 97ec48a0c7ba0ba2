"""Recognising the kind of an incoming file from its content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from soko.imports.parsing import aggregates, facts, lists, registry_files
from soko.imports.parsing import results as rp

# Checked in order; the recognisers are mutually exclusive on every supported format.
_CONTENT_KINDS = [
    *aggregates.PARSERS.items(),
    *lists.PARSERS.items(),
    *registry_files.PARSERS.items(),
    *facts.PARSERS.items(),
]


def detect(path: Path, sheets: list[Any]) -> str | None:
    """The kind of the file, or None when no recogniser claims it."""
    if not sheets or not any(sheet.rows for sheet in sheets):
        return None
    if rp.looks_like_vpr_individual(sheets):
        return "vpr_results"
    if rp.looks_like_gia_protocol(sheets):
        name = path.name.upper().replace("-", "")
        if "ЕГЭ" in name or "ГВЭ11" in name:
            return "ege_results"
        return "oge_results"
    if rp.looks_like_vpr_form(sheets):
        return "vpr_form"
    for kind, (recognise, _parse) in _CONTENT_KINDS:
        if recognise(sheets):
            return kind
    return None
