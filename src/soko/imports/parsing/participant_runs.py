"""Per-participant aggregates of a canonical long table whose participants' rows are consecutive.

Exports (the generator's, ФИС ОКО's, a regional centre's) write a participant's task rows one
after another. Then a participant is a run of consecutive rows with the same key, and its
aggregates are comparisons of each row with the row above and NumPy ``reduceat`` over the run
boundaries: several times cheaper than a hash aggregation of sixteen aggregates over millions of
rows, and the task rows find their participant by the run number instead of a join on six text
columns.

This module only computes. Whether the runs really are the participants (no participant's rows
split between two runs) is decided by the caller, which compares the keys of the runs; when
they are not, or this function declines (NaN in a number column, which SQL orders otherwise;
runs of fewer than two rows on average), the caller keeps its hash aggregation. Where the SQL
takes any value of the participant (``any_value``), this takes the first non-empty one; the
fields checked for agreement take the first row's, which is every row's when the file is valid.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# the key of a participant: the work, the organization, the participant's code
PARTICIPANT_KEY = ("procedure", "subject", "grade", "year", "org_code", "participant_code")
# columns of which any value of the participant is taken (they are not checked for agreement)
_ANY = ("class_label", "variant", "org_name", "municipality", "sex", "student_code", "test_score")
# columns that must agree across the participant's rows (and ``absent``'s meaning)
_AGREE = ("primary_score", "mark", "journal_mark")


def participant_runs(
    table: pa.Table, absent_words: Iterable[str], *, grouped_only: bool = True
) -> tuple[pa.Table, pa.Array] | None:
    """``(participants, run)``: one row per run of consecutive rows with the same participant
    key, and each row's run number (0-based, the participant's row in ``participants``).

    ``participants`` has the key columns, ``run``, ``src_row`` (the first row's ``line``),
    ``n_rows``, ``absent`` (the row's ``absent`` cell, lower-cased, is one of
    ``absent_words``), the primary score, mark and journal mark, ``disagree`` (these four differ
    between the run's rows, an empty cell differing from a value), ``total`` (the sum of scores,
    empty when no score) and the first non-empty value of each other participant column present;
    the values of the four are the first row's (when they disagree the file is rejected anyway).
    ``None`` when a number column holds NaN, or when the runs average fewer than two rows: the
    rows are not grouped by participant (a shuffled file), and the aggregates would be as large
    as the file for nothing; ``grouped_only=False`` drops that second condition, for a caller
    that judges it over several tables (the parts of a file, the first or last of which may hold
    a single run).
    """
    n = table.num_rows
    names = set(table.column_names)
    if n == 0:
        return None
    for name in ("score", *_AGREE, "test_score"):
        if (
            name in names
            and pa.types.is_floating(table.schema.field(name).type)
            and pc.any(pc.is_nan(table.column(name))).as_py()
        ):
            return None
    starts_mask = np.zeros(n, dtype=bool)
    starts_mask[0] = True
    for name in PARTICIPANT_KEY:
        starts_mask[1:] |= _changes(table.column(name))
    starts = np.flatnonzero(starts_mask)
    if grouped_only and len(starts) * 2 > n:
        return None
    run = np.cumsum(starts_mask, dtype=np.int32) - 1
    ends = np.append(starts[1:], n)
    take = pa.array(starts)
    absent = _absent_flags(table.column("absent"), absent_words)
    changed = absent[1:] != absent[:-1]
    for name in _AGREE:
        changed |= _changes(table.column(name))
    changed &= ~starts_mask[1:]
    out: dict[str, pa.Array | pa.ChunkedArray | np.ndarray] = {
        name: table.column(name).take(take) for name in (*PARTICIPANT_KEY, *_AGREE)
    }
    out["run"] = np.arange(len(starts), dtype=np.int32)
    out["src_row"] = table.column("line").take(take)
    out["n_rows"] = (ends - starts).astype(np.int64)
    out["absent"] = absent[starts]
    disagree = np.zeros(len(starts), dtype=bool)
    disagree[np.unique(run[1:][changed])] = True
    out["disagree"] = disagree
    scores = table.column("score")
    values = np.asarray(
        pc.fill_null(scores, 0.0).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    total = np.add.reduceat(values, starts)
    if scores.null_count:
        valid = np.asarray(pc.is_valid(scores).to_numpy(zero_copy_only=False), dtype=bool)
        out["total"] = pa.array(total, mask=np.add.reduceat(valid, starts, dtype=np.int64) == 0)
    else:
        out["total"] = total
    for name in _ANY:
        if name in names:
            out[name] = _first_value(table.column(name), starts, n)
    return pa.table(out), pa.array(run)


def _changes(column: pa.ChunkedArray) -> np.ndarray:
    """For each row after the first, whether its cell differs from the row above (an empty
    cell equals an empty cell and differs from a value)."""
    n = len(column)
    later, earlier = column.slice(1), column.slice(0, n - 1)
    differs = pc.not_equal(later, earlier)
    if column.null_count:
        differs = pc.if_else(
            pc.is_null(differs), pc.xor(pc.is_null(later), pc.is_null(earlier)), differs
        )
    return np.asarray(differs.to_numpy(zero_copy_only=False), dtype=bool)


def _absent_flags(column: pa.ChunkedArray, words: Iterable[str]) -> np.ndarray:
    """Whether each row's cell means «absent»: decided once per distinct cell value."""
    wanted = set(words)
    meaning = [
        value for value in pc.unique(column).to_pylist()
        if value is not None and value.lower() in wanted
    ]
    flags = pc.is_in(column, value_set=pa.array(meaning, pa.string()))
    return np.asarray(pc.fill_null(flags, False).to_numpy(zero_copy_only=False), dtype=bool)


def _first_value(column: pa.ChunkedArray, starts: np.ndarray, n: int) -> pa.Array:
    """The first non-empty value of each run (empty when the run has none)."""
    if not column.null_count:
        return column.take(pa.array(starts)).combine_chunks()
    valid = np.asarray(pc.is_valid(column).to_numpy(zero_copy_only=False), dtype=bool)
    first = np.minimum.reduceat(np.where(valid, np.arange(n), n), starts)
    missing = first == n
    taken = column.take(pa.array(np.where(missing, starts, first))).combine_chunks()
    return pc.if_else(pa.array(missing), pa.scalar(None, taken.type), taken)
