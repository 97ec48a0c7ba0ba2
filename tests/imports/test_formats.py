"""File formats and encodings: ГИА protocols with other column names (synonyms, --map), cp1251
with commas, ODS, the canonical long format, registry files."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from soko.catalog.models import Assessment
from soko.imports.parsing.problems import ImportRejected
from soko.imports.services import import_file
from soko.warehouse.store import open_warehouse

pytestmark = pytest.mark.django_db

PART2 = ["20 (2б)", "21 (2б)", "22 (2б)", "23 (2б)", "24 (2б)", "25 (2б)"]


def oge_rows() -> list[list[object]]:
    """ОГЭ 2026 Математика: 19 one-point tasks as a «+-» string and six two-point tasks."""
    rows = []
    for i, (part1, part2) in enumerate(
        [("+" * 19, [2, 2, 2, 2, 2, 1]),  # 30 → «5»
         ("+" * 10 + "-" * 4 + "++" + "-" * 3, [0, 0, 0, 0, 0, 0]),  # 12, geometry 2 → «3»
         ("+" * 14 + "-" * 5, [1, 0, 0, 1, 0, 0])]  # 16 but geometry 1 → «2»
    ):
        primary = part1.count("+") + sum(part2)
        geometry = part1[14:19].count("+") + sum(part2[3:6])
        mark = 5 if primary >= 22 else 4 if primary >= 15 else 3 if primary >= 8 else 2
        if geometry < 2:
            mark = 2
        rows.append([f"99000000{i}", "sch990001", "МА", "9А", part1, *part2, primary, mark])
    return rows


def write_protocol(path: Path, header: list[str], rows: list[list[object]], *, sep: str = ";",
                   encoding: str = "utf-8") -> Path:
    lines = [sep.join(header)] + [sep.join(str(v) for v in r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_an_oge_protocol_with_geometry_conditions(personas, tmp_path: Path) -> None:
    header = ["Код участника", "Код ОО", "Предмет", "Класс", "Ответы части 1", *PART2,
              "Первичный балл", "Отметка"]
    path = write_protocol(tmp_path / "ОГЭ_2026_МА.csv", header, oge_rows())
    outcome = import_file(path)
    assert outcome.kind == "oge_results" and outcome.rows == 3
    work = Assessment.objects.get(procedure__code="ОГЭ", subject__code="МА", year=2026)
    assert work.tasks.count() == 25
    with open_warehouse() as wh:
        marks = sorted(wh.facts("result").mark.to_pyarrow().to_pylist())
    assert marks == [2, 3, 5]


def test_other_column_names_by_synonyms_and_by_an_explicit_map(personas,
                                                              tmp_path: Path) -> None:
    synonyms = ["УИН", "Код образовательной организации", "Наименование предмета", "Класс",
                "Задания с кратким ответом", *PART2, "Сумма первичных баллов", "Оценка",
                "Примечание"]
    rows = [[*r, ""] for r in oge_rows()]
    path = write_protocol(tmp_path / "ОГЭ_2026_МА_синонимы.csv", synonyms, rows, sep=",",
                          encoding="cp1251")
    outcome = import_file(path)
    assert outcome.rows == 3
    assert any("Примечание" in w for w in outcome.warnings)
    odd = ["N", "ОУ", "Предмет", "Класс", "Часть 1 (ответы)", *PART2, "Итого", "Балл5"]
    path = write_protocol(tmp_path / "ОГЭ_2026_МА_своё.csv", odd, oge_rows())
    with pytest.raises(ImportRejected):
        import_file(path, kind="oge_results")
    mapping = {"N": "Код участника", "ОУ": "Код ОО", "Часть 1 (ответы)": "Ответы части 1",
               "Итого": "Первичный балл", "Балл5": "Отметка"}
    outcome = import_file(path, kind="oge_results", mapping=mapping)
    assert outcome.status == "unchanged" or outcome.rows == 3


def test_the_canonical_long_format(personas, tmp_path: Path) -> None:
    header = ("procedure,subject,grade,year,org_code,participant_code,class_label,variant,task,"
              "task_max,task_level,score,primary_score,mark,journal_mark,absent")
    lines = [header]
    for code, scores, mark in (("1", [2, 1, 2], 5), ("2", [0, 1, 0], 2), ("3", [None] * 3, None)):
        total = sum(s for s in scores if s is not None) if scores[0] is not None else ""
        for task, (score, mx) in enumerate(zip(scores, [2, 1, 2], strict=True), start=1):
            absent = 1 if score is None else 0
            lines.append(
                f"ВПР,ИС,6,2025,sch990002,{code},6А,1,{task},{mx},Б,"
                f"{'' if score is None else score},{total},"
                f"{'' if mark is None else mark},4,{absent}"
            )
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = import_file(path)
    assert outcome.kind == "canonical" and outcome.rows == 3
    assert outcome.extra["task_scores"] == 6
    with open_warehouse() as wh:
        t = wh.facts("result").order_by("participant_code").to_pyarrow().to_pylist()
    assert [(r["participant_code"], r["primary_score"], r["mark"], r["absent"]) for r in t] == [
        ("1", 5.0, 5, False), ("2", 1.0, 2, False), ("3", None, None, True)]
    work = Assessment.objects.get(title="ВПР 2025 История 6 класс")
    assert work.scale_status == Assessment.ScaleStatus.DERIVED


def test_the_canonical_long_format_as_parquet(personas, tmp_path: Path) -> None:
    """The same rows as Parquet, with numbers stored as numbers; a cell that does not convert
    is named by its record number."""
    names = ["procedure", "subject", "grade", "year", "org_code", "participant_code",
             "class_label", "variant", "task", "task_max", "task_level", "score",
             "primary_score", "mark", "journal_mark", "absent"]
    records = [
        ["ВПР", "ИС", 6, 2025, "sch990002", code, "6А", "1", str(task), mx, "Б", score, total,
         mark, 4, "0"]
        for code, scores, total, mark in (("1", [2, 1, 2], 5.0, 5), ("2", [0, 1, 0], 1.0, 2))
        for task, (score, mx) in enumerate(zip(scores, [2.0, 1.0, 2.0], strict=True), start=1)
    ]
    table = pa.table(list(zip(*records, strict=True)), names=names)
    pq.write_table(table, tmp_path / "history.parquet")
    outcome = import_file(tmp_path / "history.parquet")
    assert outcome.kind == "canonical" and outcome.rows == 2
    assert outcome.extra["task_scores"] == 6
    with open_warehouse() as wh:
        t = wh.facts("result").order_by("participant_code").to_pyarrow().to_pylist()
    assert [(r["participant_code"], r["primary_score"], r["mark"]) for r in t] == [
        ("1", 5.0, 5), ("2", 1.0, 2)]
    bad = table.set_column(11, "score", pa.array([str(r[11]) for r in records[:3]] + ["1,5"]
                                                  + [str(r[11]) for r in records[4:]]))
    pq.write_table(bad, tmp_path / "bad.parquet")
    with pytest.raises(ImportRejected) as rejected:
        import_file(tmp_path / "bad.parquet")
    [problem] = rejected.value.problems
    assert (problem.rule, problem.row, problem.column, problem.value) == (
        "not_a_number", 4, "score", "1,5")


def _ods(path: Path, rows: list[list[object]]) -> Path:
    """A minimal OpenDocument spreadsheet written by hand (no office suite needed)."""
    def cell(v: object) -> str:
        if isinstance(v, (int, float)):
            return (f'<table:table-cell office:value-type="float" office:value="{v}">'
                    f"<text:p>{v}</text:p></table:table-cell>")
        return (f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}'
                "</text:p></table:table-cell>")

    body = "".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>"
                   for r in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Лист1">'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return path


def test_an_ods_social_context_file(personas, tmp_path: Path) -> None:
    from soko.registry.models import SocialContext

    rows = [["Логин ОО", "Год", "Численность обучающихся", "Из малоимущих семей",
             "Из неполных семей", "Оба родителя с высшим образованием", "Русский язык не родной",
             "С ОВЗ", "На учёте КДН/ПДН", "Вакансии педагогов", "Вторая смена",
             "Удалённость, км"],
            ["sch990001", 2025, 400, 40, 60, 120, 8, 12, 3, 1, "нет", 0]]
    outcome = import_file(_ods(tmp_path / "контекст.ods", rows))
    assert outcome.kind == "social_context"
    context = SocialContext.objects.get(organization=personas.school_a, year=2025)
    assert context.share("low_income") == 0.1
    assert context.second_shift is False


def test_registry_imports_are_undone_with_their_changes(personas, tmp_path: Path) -> None:
    from soko.imports.services import import_undo
    from soko.registry.models import Teacher

    teachers = tmp_path / "teachers.csv"
    teachers.write_text(
        "Логин ОО;Код педагога;Предметы;Категория;Стаж;Год рождения\n"
        "sch990001;T1;РУ,ЛИ;высшая;25;1975\n"
        "sch990001;T2;МА;первая;3;1998\n",
        encoding="utf-8",
    )
    first = import_file(teachers)
    assert set(Teacher.objects.values_list("code", flat=True)) == {"T1", "T2"}
    teachers.write_text(
        "Логин ОО;Код педагога;Предметы;Категория;Стаж;Год рождения\n"
        "sch990001;T2;МА,ИН;высшая;4;1998\n",
        encoding="utf-8",
    )
    second = import_file(teachers)
    t2 = Teacher.objects.get(code="T2")
    assert t2.category == "highest"
    assert sorted(t2.subjects.values_list("code", flat=True)) == ["ИН", "МА"]
    import_undo(batch_id=second.batch_id)
    t2.refresh_from_db()
    assert t2.category == "first" and t2.experience_years == 3
    assert list(t2.subjects.values_list("code", flat=True)) == ["МА"]
    import_undo(batch_id=first.batch_id)
    assert not Teacher.objects.exists()
