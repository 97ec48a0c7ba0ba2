"""Arrow's reader for the canonical long CSV: the fast path for files that fit in memory.

The canonical format is comma-separated UTF-8 with one record per line (``docs/formats.md``),
which Arrow's multi-threaded reader parses about twice as fast as DuckDB materialises it. This
reader is strict: any line it cannot read exactly as declared (a cell that does not convert, a
wrong number of cells, an empty line, which DuckDB skips) makes it give up and return ``None``,
and the caller falls back to DuckDB's reader, which names every such cell. So the fast path
never decides what is valid; it only reads what is.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# Arrow columns of the canonical file take about 1.8 times the CSV's bytes (measured on the
# generator's ВПР file: 304 MB of CSV, 535 MB of Arrow); the estimate errs on the large side.
ARROW_BYTES_PER_CSV_BYTE = 2.0

_ARROW_TYPES = {
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
}
_BLOCK_SIZE = 16 << 20


def read_canonical_csv(
    path: Path, header: Sequence[str], types: Mapping[str, str]
) -> pa.Table | None:
    """The whole file as Arrow columns of the declared types plus ``line`` (its line in the
    file, the header being line 1), or ``None`` when a line does not read exactly."""
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=list(header), skip_rows=1, block_size=_BLOCK_SIZE
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=",", quote_char='"', double_quote=True, escape_char=False,
                newlines_in_values=False, ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: _ARROW_TYPES[kind] for name, kind in types.items()},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, UnicodeDecodeError, OSError):
        return None
    if table.num_rows and table.column(0).null_count:
        # an empty line reads as a row of nulls; DuckDB's reader skips it, so let it read
        blank = functools.reduce(pc.and_, [pc.is_null(column) for column in table.columns])
        if pc.any(blank).as_py():
            return None
    lines = np.arange(2, table.num_rows + 2, dtype=np.int32)
    return table.append_column("line", pa.array(lines))
