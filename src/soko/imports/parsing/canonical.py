"""Arrow's reader for the canonical long CSV: the fast path, the whole file at once when its
columns fit in memory, in parts of whole lines when they do not.

The canonical format is comma-separated UTF-8 with one record per line (``docs/formats.md``),
which Arrow's multi-threaded reader parses about twice as fast as DuckDB materialises it. This
reader is strict: any line it cannot read exactly as declared (a cell that does not convert, a
wrong number of cells, an empty line, which DuckDB skips) makes it give up (``None``, or
:class:`CanonicalUnreadable` from the parts), and the caller falls back to DuckDB's reader,
which names every such cell. So the fast path never decides what is valid; it only reads what
is.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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
_SCAN_BYTES = 32 << 20
_NEWLINE, _CARRIAGE_RETURN, _QUOTE = 10, 13, 34


def read_canonical_csv(
    path: Path, header: Sequence[str], types: Mapping[str, str]
) -> pa.Table | None:
    """The whole file as Arrow columns of the declared types plus ``line`` (its line in the
    file, the header being line 1), or ``None`` when a line does not read exactly."""
    try:
        return _read(pa.OSFile(str(path)), header, types, skip_header=True, first_line=2)
    except (CanonicalUnreadable, OSError):
        return None


class CanonicalUnreadable(Exception):
    """A line of the canonical CSV that Arrow does not read exactly as declared."""


def read_canonical_csv_in_parts(
    path: Path, header: Sequence[str], types: Mapping[str, str], part_bytes: int
) -> Iterator[pa.Table]:
    """The file as consecutive tables of about ``part_bytes`` of CSV each (whole lines), each
    like :func:`read_canonical_csv`'s and read by the same multi-threaded reader: for a file
    whose columns do not fit in memory at once. Raises :class:`CanonicalUnreadable` at the
    first part with a line that does not read exactly (the parts before it are good)."""
    first_line, skip_header = 2, True
    with path.open("rb") as fh:
        while data := fh.read(part_bytes):
            end = len(data)
            if len(data) == part_bytes:  # the file goes on: the part ends with its last line
                end = data.rfind(b"\n") + 1
                if end:
                    fh.seek(end - len(data), io.SEEK_CUR)
                else:  # a line longer than a part is a part
                    data += fh.readline()
                    end = len(data)
            try:
                table = _read(pa.BufferReader(memoryview(data)[:end]), header, types,
                              skip_header=skip_header, first_line=first_line)
            except OSError as err:
                raise CanonicalUnreadable(str(err)) from err
            first_line, skip_header = first_line + table.num_rows, False
            yield table


def _read(
    source: pa.NativeFile, header: Sequence[str], types: Mapping[str, str], *,
    skip_header: bool, first_line: int,
) -> pa.Table:
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=list(header), skip_rows=int(skip_header), block_size=_BLOCK_SIZE
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
    except (pa.ArrowException, UnicodeDecodeError) as err:
        raise CanonicalUnreadable(str(err)) from err
    if table.num_rows and table.column(0).null_count:
        # an empty line reads as a row of nulls; DuckDB's reader skips it, so let it read
        blank = functools.reduce(pc.and_, [pc.is_null(column) for column in table.columns])
        if pc.any(blank).as_py():
            raise CanonicalUnreadable("пустая строка")
    lines = np.arange(first_line, first_line + table.num_rows, dtype=np.int32)
    return table.append_column("line", pa.array(lines))


@dataclass(frozen=True)
class CsvRecords:
    """Where each record of a CSV file begins (the header is record 0), for line numbers that
    DuckDB's reader does not give: it skips empty lines, and a quoted cell may hold line
    breaks, so neither a row's position in its table nor the reader's own ``line`` (it counts
    records) is the line a user finds in an editor."""

    starts: np.ndarray  # int64: the byte offset of each record
    lines: np.ndarray  # int32: the line (1-based) on which each record begins
    empty: np.ndarray  # bool: the record holds nothing, or only "\r" (DuckDB skips it)

    @property
    def one_per_line(self) -> bool:
        """Every line but the last is a record and none is empty: a row's line is its
        position plus the header's."""
        return bool(self.lines[-1] == len(self.lines) and not self.empty[:-1].any())

    def line_of(self, positions: Iterable[int]) -> np.ndarray:
        """The line on which the record holding each byte position begins."""
        found = np.searchsorted(self.starts, np.fromiter(positions, dtype=np.int64), "right")
        return np.asarray(self.lines[np.maximum(found - 1, 0)], dtype=np.int32)

    def kept_lines(self, rejected: Iterable[int]) -> np.ndarray:
        """The lines of the records DuckDB's reader turns into rows, in file order: all but
        the header, the empty ones and those holding a ``rejected`` byte position."""
        keep = ~self.empty
        keep[0] = False
        found = np.searchsorted(self.starts, np.fromiter(rejected, dtype=np.int64), "right")
        keep[found[found > 0] - 1] = False
        return np.asarray(self.lines[keep], dtype=np.int32)


def scan_records(path: Path) -> CsvRecords:
    """The records of a comma-separated file quoted by ``"`` (``""`` inside quotes is a
    quote): a line break ends a record unless an odd number of quotes precede it. One pass of
    vectorised byte searches over parts of the file, so it costs a fraction of a read."""
    size = path.stat().st_size
    ends: list[np.ndarray] = []
    end_lines: list[np.ndarray] = []
    newlines = quotes = 0
    with path.open("rb") as fh:
        offset = 0
        while chunk := fh.read(_SCAN_BYTES):
            data = np.frombuffer(chunk, dtype=np.uint8)
            breaks = np.flatnonzero(data == _NEWLINE)
            quoted = np.flatnonzero(data == _QUOTE)
            outside = (quotes + np.searchsorted(quoted, breaks)) % 2 == 0
            ends.append(breaks[outside] + offset)
            # the line after a record's end: the line breaks before it, plus one
            end_lines.append((np.flatnonzero(outside) + newlines + 2).astype(np.int32))
            newlines += len(breaks)
            quotes += len(quoted)
            offset += len(chunk)
    record_ends = np.concatenate([*ends, np.array([size], dtype=np.int64)])
    starts = np.concatenate([np.zeros(1, dtype=np.int64), record_ends[:-1] + 1])
    lines = np.concatenate([np.ones(1, dtype=np.int32), *end_lines])
    length = record_ends - starts
    empty = length == 0
    single = np.flatnonzero(length == 1)
    if len(single):
        first = np.memmap(path, dtype=np.uint8, mode="r")[starts[single]]
        empty[single[first == _CARRIAGE_RETURN]] = True
    return CsvRecords(starts=starts, lines=lines, empty=empty)
