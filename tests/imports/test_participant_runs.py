"""Participants as runs of consecutive rows: the aggregates, by hand."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from soko.imports.parsing.participant_runs import participant_runs

pytestmark = pytest.mark.core

WORDS = ("1", "true", "да", "x", "х")


def table(rows: list[tuple], **extra: list) -> pa.Table:
    """Rows of (participant_code, grade, score, primary_score, mark, absent, class_label)."""
    code, grade, score, primary, mark, absent, label = (list(c) for c in zip(*rows, strict=True))
    n = len(rows)
    return pa.table(
        {
            "procedure": ["ВПР"] * n,
            "subject": ["МА"] * n,
            "grade": pa.array(grade, pa.int32()),
            "year": pa.array([2026] * n, pa.int32()),
            "org_code": ["sch1"] * n,
            "participant_code": code,
            "class_label": label,
            "score": pa.array(score, pa.float64()),
            "primary_score": pa.array(primary, pa.float64()),
            "mark": pa.array(mark, pa.int32()),
            "journal_mark": pa.array([None] * n, pa.int32()),
            "absent": absent,
            "line": pa.array(range(2, n + 2), pa.int32()),
            **extra,
        }
    )


def test_runs_and_their_aggregates() -> None:
    found = participant_runs(
        table(
            [
                ("a", 5, 1.0, 3.0, 4, "0", None),
                ("a", 5, 2.0, 3.0, 4, "0", "5А"),
                ("b", 5, None, None, None, "Х", "5Б"),  # absent: «Х» (Cyrillic, upper case)
                ("b", 5, None, None, None, "х", "5Б"),
                ("c", None, 0.5, 1.0, 3, "", None),  # an empty grade equals an empty grade
                ("c", None, 0.5, 1.0, 3, None, None),
                ("a", 6, 1.0, 1.0, 2, "0", "6А"),  # another work: another run
                ("a", 6, 0.0, 1.0, 2, "0", "6А"),
            ]
        ),
        WORDS,
    )
    assert found is not None
    parts, run = found
    assert run.to_pylist() == [0, 0, 1, 1, 2, 2, 3, 3]
    got = parts.to_pydict()
    assert got["participant_code"] == ["a", "b", "c", "a"]
    assert got["grade"] == [5, 5, None, 6]
    assert got["src_row"] == [2, 4, 6, 8]
    assert got["n_rows"] == [2, 2, 2, 2]
    assert got["absent"] == [False, True, False, False]
    assert got["disagree"] == [False, False, False, False]
    assert got["total"] == [3.0, None, 1.0, 1.0]  # no score at all: empty, not 0
    assert got["primary_score"] == [3.0, None, 1.0, 1.0]
    assert got["mark"] == [4, None, 3, 2]
    assert parts.schema.field("mark").type == pa.int32()
    assert got["class_label"] == ["5А", "5Б", None, "6А"]  # the first value that is there


@pytest.mark.parametrize(
    "second",
    [
        ("a", 5, 2.0, 4.0, 4, "0", None),  # another primary score
        ("a", 5, 2.0, None, 4, "0", None),  # a primary score on one row only
        ("a", 5, 2.0, 3.0, 5, "0", None),  # another mark
        ("a", 5, None, 3.0, 4, "да", None),  # absent on one row only
    ],
)
def test_fields_that_disagree_within_a_run(second: tuple) -> None:
    found = participant_runs(
        table([("a", 5, 1.0, 3.0, 4, "0", None), second,
               ("b", 5, 1.0, 1.0, 3, "0", None), ("b", 5, 0.0, 1.0, 3, "0", None)]),
        WORDS,
    )
    assert found is not None
    assert found[0].column("disagree").to_pylist() == [True, False]


def test_what_is_left_to_the_hash_aggregation() -> None:
    two = [("a", 5, 1.0, 3.0, 4, "0", None), ("a", 5, 2.0, 3.0, 4, "0", None)]
    assert participant_runs(table(two), WORDS) is not None
    # not a number: SQL orders it otherwise
    assert participant_runs(table([two[0], ("a", 5, math.nan, 3.0, 4, "0", None)]),
                            WORDS) is None
    # rows not grouped by participant: the runs would be as many as the rows
    assert participant_runs(table([two[0], ("b", 5, 1.0, 1.0, 4, "0", None), two[1]]),
                            WORDS) is None
    assert participant_runs(table(two).slice(0, 0), WORDS) is None
