"""Synthetic data generator for СОКО: a realistic region with planted, known anomalies.

Pure module (no Django). ``generate(config)`` builds everything in memory, deterministically for
a seed; ``write_files(data, out_dir)`` writes the files of docs/formats.md plus ``truth.json``
(see :mod:`soko.lib.generator.truth` for its schema) and ``manifest.json``::

    from soko.lib.generator import GeneratorConfig, generate, write_files

    data = generate(GeneratorConfig(schools=25, seed=1))
    manifest = write_files(data, Path("var/demo"))
    for entry in manifest.files:   # registry first, then results, in import order
        print(entry.path, entry.kind, entry.year, entry.rows)
"""

from __future__ import annotations

from soko.lib.generator.config import SUBJECT_NAMES, GeneratorConfig
from soko.lib.generator.core import GeneratedData, generate
from soko.lib.generator.writers import Manifest, ManifestEntry, write_files

__all__ = [
    "SUBJECT_NAMES",
    "GeneratedData",
    "GeneratorConfig",
    "Manifest",
    "ManifestEntry",
    "generate",
    "write_files",
]
