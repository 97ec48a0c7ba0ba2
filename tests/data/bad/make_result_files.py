"""Writes the bad result files of the corpus (ВПР, ОГЭ/ЕГЭ protocols, the canonical format).

Each file has exactly one defect; `manifest.yaml` names the rule, row and column the importer
must report. Run from the repository root: ``python tests/data/bad/make_result_files.py``.
The files are committed; this script documents how they were made.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.imports.builders import RU4_MAX, vpr_row, vpr_workbook  # noqa: E402

GOOD = [2, 1, 2, 3, 2, 1, 1, 2, 3, 3, 1, 3]  # 24 → «5»


def write_csv(name: str, rows: list[list[Any]], sep: str = ";") -> None:
    with (HERE / name).open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=sep).writerows(rows)


def vpr(name: str, rows: list[list[Any]], **kwargs: Any) -> None:
    vpr_workbook(HERE / name, rows, **kwargs)


def main() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []

    def add(file: str, kind: str, rule: str, row: int | None, column: str, **extra: Any) -> None:
        entries.append({"file": file, "kind": kind, "rule": rule, "row": row, "column": column,
                        **extra})

    ok = vpr_row("sch990001", "10001", GOOD)
    vpr("vpr_score_above_max.xlsx", [ok, vpr_row("sch990001", "10002",
                                                 [2, 1, 2, 5, 2, 1, 1, 2, 3, 3, 1, 3],
                                                 primary=26, mark=5)])
    add("vpr_score_above_max.xlsx", "vpr_results", "score_above_max", 8, "4 (3б)")
    vpr("vpr_negative_score.xlsx",
        [vpr_row("sch990001", "10001", [2, 1, -1, 3, 2, 1, 1, 2, 3, 3, 1, 3], primary=21, mark=5)])
    add("vpr_negative_score.xlsx", "vpr_results", "score_negative", 7, "3 (2б)")
    vpr("vpr_text_in_score.xlsx", [ok, vpr_row("sch990001", "10002",
                                               [2, 1, 2, "три", 2, 1, 1, 2, 3, 3, 1, 3],
                                               primary=21, mark=5)])
    add("vpr_text_in_score.xlsx", "vpr_results", "not_a_number", 8, "4 (3б)")
    vpr("vpr_primary_not_sum.xlsx", [vpr_row("sch990001", "10001", GOOD, primary=23, mark=5)])
    add("vpr_primary_not_sum.xlsx", "vpr_results", "primary_not_sum", 7, "Первичный балл")
    vpr("vpr_mark_6.xlsx", [ok, vpr_row("sch990001", "10002", GOOD, mark=6)])
    add("vpr_mark_6.xlsx", "vpr_results", "mark_out_of_range", 8, "Отметка")
    vpr("vpr_mark_inconsistent.xlsx", [vpr_row("sch990001", "10001", [1] * 12, mark=4)])
    add("vpr_mark_inconsistent.xlsx", "vpr_results", "mark_inconsistent", 7, "Отметка")
    vpr("vpr_journal_mark_7.xlsx", [ok, vpr_row("sch990001", "10002", GOOD, journal=7)])
    add("vpr_journal_mark_7.xlsx", "vpr_results", "mark_out_of_range", 8, "Отметка по журналу")
    vpr("vpr_duplicate_participant.xlsx", [ok, vpr_row("sch990001", "10001", [0] * 12)])
    add("vpr_duplicate_participant.xlsx", "vpr_results", "duplicate_participant", 8,
        "Код участника")
    header_no_org = ["Логин школы", "Муниципалитет", "Название ОО", "Код участника", "Класс",
                     "Вариант", *[f"{i + 1} ({m}б)" for i, m in enumerate(RU4_MAX)],
                     "Первичный балл", "Отметка", "Отметка по журналу"]
    vpr("vpr_missing_org_column.xlsx", [ok], headers=header_no_org)
    add("vpr_missing_org_column.xlsx", "vpr_results", "missing_column", 6, "")
    vpr("vpr_unknown_org.xlsx", [ok, vpr_row("sch000000", "10002", GOOD)])
    add("vpr_unknown_org.xlsx", "vpr_results", "unknown_organization", 8, "ОО")
    vpr("vpr_task_count_mismatch.xlsx",
        [["sch990001", "", "", "1", "4А", 1, *([1] * 11), 11, 3, 4]],
        maxes=RU4_MAX[:-1], levels=["Б"] * 11)
    add("vpr_task_count_mismatch.xlsx", "vpr_results", "tasks_mismatch", None, "")
    vpr("vpr_year_mismatch.xlsx", [ok])
    add("vpr_year_mismatch.xlsx", "vpr_results", "year_mismatch", 1, "A", year=2025)
    vpr("vpr_unknown_subject.xlsx", [ok], title="ВПР 2026 Астрология 4 класс")
    add("vpr_unknown_subject.xlsx", "vpr_results", "unknown_subject", 1, "")
    vpr("vpr_missing_mark.xlsx", [ok, vpr_row("sch990001", "10002", GOOD, mark="")])
    add("vpr_missing_mark.xlsx", "vpr_results", "mark_missing", 8, "Отметка")
    vpr("vpr_empty_participant_code.xlsx", [ok, vpr_row("sch990001", "", GOOD)])
    add("vpr_empty_participant_code.xlsx", "vpr_results", "required", 8, "Код участника")
    (HERE / "not_a_spreadsheet.xlsx").write_text("это не таблица Excel, а текст\n",
                                                 encoding="utf-8")
    add("not_a_spreadsheet.xlsx", "vpr_results", "not_a_spreadsheet", None, "")
    (HERE / "empty.csv").write_bytes(b"")
    add("empty.csv", "journal_marks", "empty_file", None, "")
    write_csv("unknown_kind.csv", [["Фрукт", "Цвет"], ["яблоко", "зелёный"]])
    add("unknown_kind.csv", "", "unknown_kind", None, "")
    (HERE / "binary_garbage.csv").write_bytes(b"\x00\x01\x02PKno\xff\xfe" * 40)
    add("binary_garbage.csv", "journal_marks", "not_a_table", None, "")

    # ОГЭ / ЕГЭ protocols (ОГЭ 2026 Математика: 19 one-point tasks, 20–25 two points).
    head = ["Код участника", "Код ОО", "Предмет", "Класс", "Ответы части 1",
            *[f"{n} (2б)" for n in range(20, 26)], "Первичный балл", "Отметка"]

    def oge_row(code: str, part1: str, part2: list[int], mark: int | None = None) -> list[Any]:
        primary = part1.count("+") + sum(part2)
        if mark is None:
            mark = 5 if primary >= 22 else 4 if primary >= 15 else 3 if primary >= 8 else 2
        return [code, "sch990001", "МА", "9А", part1, *part2, primary, mark]

    good_oge = oge_row("990000001", "+" * 19, [2, 2, 2, 1, 1, 1])  # 28 → «5»
    write_csv("ОГЭ_2026_МА_bad_symbol.csv",
              [head, good_oge, oge_row("990000002", "+" * 9 + "?" + "+" * 9, [2] * 6)])
    add("ОГЭ_2026_МА_bad_symbol.csv", "oge_results", "part1_symbol", 3, "Ответы части 1")
    write_csv("ОГЭ_2026_МА_part1_length.csv",
              [head, good_oge, oge_row("990000002", "+" * 17, [2] * 6)])
    add("ОГЭ_2026_МА_part1_length.csv", "oge_results", "part1_length", 3, "Ответы части 1")
    # 14 points on algebra tasks only: geometry (15–19, 23–25) = 0 → «2», not «3».
    write_csv("ОГЭ_2026_МА_geometry.csv",
              [head, good_oge, oge_row("990000002", "+" * 14 + "-" * 5, [0] * 6, mark=3)])
    add("ОГЭ_2026_МА_geometry.csv", "oge_results", "mark_inconsistent", 3, "Отметка")
    # ЕГЭ 2025 профильная математика: 12 one-point tasks, part 2 worth 20 points (max 32).
    part2 = [("13", 2), ("14", 3), ("15", 2), ("16", 2), ("17", 3), ("18", 4), ("19", 4)]
    ege_head = ["Код участника", "Код ОО", "Предмет", "Класс", "Ответы части 1",
                *[f"{n} ({m}б)" for n, m in part2], "Первичный балл", "Тестовый балл"]
    write_csv("ЕГЭ_2025_МАП_test_score.csv", [
        ege_head,
        ["990000001", "sch990001", "МАП", "11А", "++++++++++++", 2, 2, 2, 0, 0, 0, 0, 18, 82],
        ["990000002", "sch990001", "МАП", "11А", "++++++------", 0, 0, 0, 0, 0, 0, 0, 6, 40],
    ])
    add("ЕГЭ_2025_МАП_test_score.csv", "ege_results", "test_score_inconsistent", 3,
        "Тестовый балл")
    write_csv("ОГЭ_2026_МА_no_primary.csv", [[*head[:-2], "Отметка"], [*good_oge[:-2], 5]])
    add("ОГЭ_2026_МА_no_primary.csv", "oge_results", "missing_column", 1, "")
    write_csv("oge_protocol_no_year.csv", [head, good_oge])
    add("oge_protocol_no_year.csv", "oge_results", "year_missing", None, "")

    # The canonical long format.
    canon = ["procedure", "subject", "grade", "year", "org_code", "participant_code",
             "class_label", "variant", "task", "task_max", "task_level", "score",
             "primary_score", "mark", "journal_mark", "absent"]

    def canon_rows(code: str, scores: list[Any], maxes: list[Any] | None = None,
                   primary: Any = None, mark: Any = 3) -> list[list[Any]]:
        maxes = maxes or [2, 2, 2]
        total = primary if primary is not None else sum(
            s for s in scores if isinstance(s, int))
        return [["ВПР", "ИС", 6, 2025, "sch990001", code, "6А", 1, str(i + 1), m, "Б", s,
                 total, mark, 4, 0] for i, (s, m) in enumerate(zip(scores, maxes, strict=True))]

    def write_canon(name: str, rows: list[list[Any]]) -> None:
        write_csv(name, [canon, *rows], sep=",")

    write_canon("canonical_missing_column.csv", [])
    with (HERE / "canonical_missing_column.csv").open("w", encoding="utf-8") as fh:
        fh.write(",".join(c for c in canon if c != "task_max") + "\n")
    add("canonical_missing_column.csv", "canonical", "missing_column", 1, "")
    write_canon("canonical_score_text.csv",
                canon_rows("1", [1, 2, 1]) + canon_rows("2", [1, "два", 1], primary=2))
    add("canonical_score_text.csv", "canonical", "not_a_number", 6, "score")
    write_canon("canonical_task_max_inconsistent.csv",
                canon_rows("1", [1, 2, 1]) + canon_rows("2", [1, 2, 1], maxes=[2, 3, 2]))
    add("canonical_task_max_inconsistent.csv", "canonical", "task_max_inconsistent", 6,
        "task_max")
    rows = canon_rows("1", [1, 2, 1])
    rows[1][12] = 5  # primary score differs between the participant's rows
    write_canon("canonical_participant_inconsistent.csv", rows)
    add("canonical_participant_inconsistent.csv", "canonical", "participant_inconsistent", 2,
        "")
    rows = canon_rows("1", [1, 2, 1])
    write_canon("canonical_duplicate_task.csv", [*rows, rows[0]])
    add("canonical_duplicate_task.csv", "canonical", "duplicate_task_row", 5, "task")
    write_canon("canonical_score_above_max.csv", canon_rows("1", [1, 3, 1]))
    add("canonical_score_above_max.csv", "canonical", "score_above_max", 3, "task=2")

    # The school collection form without the context it cannot carry itself.
    import shutil

    shutil.copy(HERE.parents[1] / "data" / "realdata" / "vpr-collection-form" / "base_form.xlsx",
                HERE / "vpr_form_without_context.xlsx")
    add("vpr_form_without_context.xlsx", "vpr_form", "form_context_missing", None, "")
    return entries


if __name__ == "__main__":
    import yaml

    made = main()
    manifest = HERE / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    marker = "# Result kinds (tests/data/bad/make_result_files.py)\n"
    if marker in text:
        text = text[: text.index(marker)]
    text = text.rstrip("\n") + "\n" + marker + yaml.safe_dump(made, allow_unicode=True,
                                                              sort_keys=False)
    manifest.write_text(text, encoding="utf-8")
    print(f"{len(made)} files")
