"""Import of ФИС ОКО «Индивидуальные результаты»: validation, all-or-nothing, replace, undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from soko.accounts.scope import scope_for_user
from soko.core.errors import ApplicationError
from soko.imports.models import ImportBatch, ImportSlice
from soko.imports.parsing.problems import ImportRejected
from soko.imports.services import import_file, import_undo
from soko.imports.staging import CANONICAL_COLUMNS
from soko.warehouse.store import open_warehouse

from .builders import RU4_MAX, small_vpr, vpr_row, vpr_workbook

pytestmark = pytest.mark.django_db


def visible(table: str = "result") -> int:
    with open_warehouse() as wh:
        return wh.count(table)


def scores_of(org_code: str) -> list[float]:
    from soko.registry.models import Organization

    org = Organization.objects.get(code=org_code)
    with open_warehouse() as wh:
        t = wh.facts("result")
        rows = t.filter(t.org_id == org.pk).order_by("participant_code").primary_score
        return [float(x) for x in rows.to_pyarrow().to_pylist()]


def test_it_imports_results_with_task_scores(personas, tmp_path: Path) -> None:
    rows = [
        vpr_row("sch990001", "10001", [2, 1, 2, 3, 2, 1, 1, 2, 3, 3, 1, 3]),  # 24 → «5»
        vpr_row("sch990001", "10002", [1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1]),  # 9 → «2»
        vpr_row("sch990001", "10003", None),  # absent
        vpr_row("sch990002", "20001", [2, 1, 2, 2, 2, 1, 1, 2, 2, 2, 1, 0]),  # 18 → «4»
    ]
    outcome = import_file(vpr_workbook(tmp_path / "vpr.xlsx", rows))
    assert outcome.status == "imported"
    assert outcome.rows == 4
    assert outcome.organizations == 2
    assert outcome.assessments == ["ВПР 2026 Русский язык 4 класс"]
    assert visible("result") == 4
    assert visible("task_score") == 36  # 3 present pupils × 12 tasks
    with open_warehouse() as wh:
        r = wh.facts("result")
        data = r.order_by("participant_code").to_pyarrow().to_pylist()
    assert [(d["participant_code"], d["primary_score"], d["mark"], d["absent"]) for d in data] == [
        ("10001", 24.0, 5, False),
        ("10002", 9.0, 2, False),
        ("10003", None, None, True),
        ("20001", 18.0, 4, False),
    ]
    batch = ImportBatch.objects.get(pk=outcome.batch_id)
    assert batch.slices.count() == 2
    assert Path(batch.archive_path).read_bytes() == (tmp_path / "vpr.xlsx").read_bytes()


def test_the_same_file_twice_changes_nothing(personas, tmp_path: Path) -> None:
    path = small_vpr(tmp_path / "a.xlsx")
    first = import_file(path)
    second = import_file(path)
    assert second.status == "unchanged" and second.batch_id == first.batch_id
    assert ImportBatch.objects.count() == 1
    assert visible() == 12


def test_a_file_of_the_same_size_is_read_not_taken_for_the_same(
    personas, tmp_path: Path
) -> None:
    """Only a file of an imported file's size can be that file: then its checksum decides."""
    header = ",".join(CANONICAL_COLUMNS)

    def canonical(path: Path, label: str) -> Path:
        rows = [f"ВПР,ИС,6,2025,sch990001,{code},{label},1,{task},2,Б,1,2,3,4,0"
                for code in ("1", "2") for task in (1, 2)]
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return path

    first = canonical(tmp_path / "a.csv", "6А")
    second = canonical(tmp_path / "b.csv", "6Б")  # «А» and «Б» take two bytes each
    assert first.stat().st_size == second.stat().st_size
    one = import_file(first)
    two = import_file(second)
    assert two.status == "imported" and two.batch_id != one.batch_id
    assert two.sha256 != one.sha256
    batch = ImportBatch.objects.get(pk=two.batch_id)
    assert Path(batch.archive_path).read_bytes() == second.read_bytes()
    assert import_file(second).status == "unchanged"


def test_a_dry_run_writes_nothing(personas, tmp_path: Path) -> None:
    outcome = import_file(small_vpr(tmp_path / "a.xlsx"), dry_run=True)
    assert outcome.status == "dry_run" and outcome.rows == 12
    assert outcome.slices[0]["action"] == "add"
    assert ImportBatch.objects.count() == 0
    assert visible() == 0


def test_a_corrected_file_replaces_and_undo_restores(personas, tmp_path: Path) -> None:
    first = import_file(small_vpr(tmp_path / "v1.xlsx", n=12))
    import_file(small_vpr(tmp_path / "b.xlsx", org="sch990002", n=5))
    before = scores_of("sch990001")
    plan = import_file(small_vpr(tmp_path / "v2.xlsx", n=10, shift=1), dry_run=True)
    assert plan.slices[0]["action"] == "replace"
    assert plan.slices[0]["replaces_batches"] == [first.batch_id]
    assert plan.slices[0]["replaced_rows"] == 12
    second = import_file(small_vpr(tmp_path / "v2.xlsx", n=10, shift=1))
    assert len(scores_of("sch990001")) == 10
    assert visible() == 15  # school B untouched
    assert ImportBatch.objects.get(pk=first.batch_id).status == ImportBatch.Status.REPLACED
    import_undo(batch_id=second.batch_id)
    assert scores_of("sch990001") == before
    assert visible() == 17
    assert ImportBatch.objects.get(pk=first.batch_id).status == ImportBatch.Status.ACTIVE
    assert ImportBatch.objects.get(pk=second.batch_id).status == ImportBatch.Status.UNDONE
    with pytest.raises(ApplicationError):
        import_undo(batch_id=second.batch_id)


def reject(path: Path, **kwargs) -> ImportRejected:
    with pytest.raises(ImportRejected) as err:
        import_file(path, **kwargs)
    assert ImportBatch.objects.count() == 0
    assert visible() == 0
    return err.value


def test_a_score_above_the_maximum_names_row_and_column(personas, tmp_path: Path) -> None:
    scores = [2, 1, 2, 4, 2, 1, 1, 2, 3, 3, 1, 3]  # task 4 max is 3
    rows = [vpr_row("sch990001", "10001", scores, primary=25, mark=5)]
    problem = reject(vpr_workbook(tmp_path / "bad.xlsx", rows)).problems[0]
    assert (problem.rule, problem.row, problem.column, problem.value) == (
        "score_above_max",
        7,
        "4 (3б)",
        "4",
    )
    assert problem.sheet == "Индивидуальные результаты"


def test_a_mark_the_scale_would_not_give_is_reported(personas, tmp_path: Path) -> None:
    rows = [vpr_row("sch990001", "10001", [2, 1, 2, 3, 2, 1, 1, 2, 1, 1, 0, 0], mark=4)]  # 16
    rows += [vpr_row("sch990001", "10002", [2, 1, 2, 3, 2, 1, 1, 2, 1, 0, 0, 0], mark=4)]  # 15
    problem = reject(vpr_workbook(tmp_path / "bad.xlsx", rows)).problems[0]
    assert problem.rule == "mark_inconsistent"
    assert problem.row == 8 and problem.column == "Отметка" and problem.value == "4"
    assert "при первичном балле 15 положена «3»" in problem.message


def test_unknown_organizations_are_reported_or_created_on_request(personas, tmp_path: Path) -> None:
    rows = [vpr_row("sch777777", "1", [1] * 12)]
    path = vpr_workbook(tmp_path / "new.xlsx", rows)
    assert reject(path).problems[0].rule == "unknown_organization"
    outcome = import_file(path, create_orgs=True)
    assert outcome.new_organizations == ["sch777777"]
    from soko.registry.models import Organization

    assert Organization.objects.get(code="sch777777").territory.name == "Тестовый округ"


def test_a_year_that_does_not_match_the_title(personas, tmp_path: Path) -> None:
    problem = reject(small_vpr(tmp_path / "a.xlsx"), year=2025).problems[0]
    assert problem.rule == "year_mismatch" and problem.row == 1


def test_a_task_count_that_does_not_match_the_catalog(personas, tmp_path: Path) -> None:
    maxes = RU4_MAX[:-1]
    rows = [["sch990001", "", "", "1", "4А", 1, *([1] * 11), 11, 3, 4]]
    path = vpr_workbook(tmp_path / "short.xlsx", rows, maxes=maxes, levels=["Б"] * 11)
    problem = reject(path).problems[0]
    assert problem.rule == "tasks_mismatch"
    assert "в файле 11 заданий" in problem.message


def test_duplicate_participant_codes(personas, tmp_path: Path) -> None:
    rows = [vpr_row("sch990001", "10001", [1] * 12), vpr_row("sch990001", "10001", [0] * 12)]
    problem = reject(vpr_workbook(tmp_path / "dup.xlsx", rows)).problems[0]
    assert (problem.rule, problem.row) == ("duplicate_participant", 8)


def test_a_school_user_imports_only_its_own_school(personas, tmp_path: Path) -> None:
    scope = scope_for_user(personas.user_a)
    outcome = import_file(small_vpr(tmp_path / "own.xlsx"), scope=scope, user=personas.user_a)
    assert outcome.status == "imported"
    problem = reject_scoped(small_vpr(tmp_path / "b.xlsx", org="sch990002"), scope)
    assert problem.rule == "foreign_organization"


def reject_scoped(path: Path, scope):
    with pytest.raises(ImportRejected) as err:
        import_file(path, scope=scope)
    return err.value.problems[0]


def test_a_new_work_is_created_from_the_file_with_a_derived_scale(personas, tmp_path: Path) -> None:
    from soko.catalog.models import Assessment

    maxes = [1, 2, 2, 1, 3, 1]
    rows = []
    for i in range(11):  # totals 0..10, each once
        scores, left = [], i
        for m in maxes:
            scores.append(min(m, left))
            left -= scores[-1]
        total = sum(scores)
        mark = 5 if total >= 9 else 4 if total >= 6 else 3 if total >= 3 else 2
        rows.append(["sch990001", "", "", f"{i}", "6А", 1, *scores, total, mark, 4])
    path = vpr_workbook(
        tmp_path / "new.xlsx",
        rows,
        title="ВПР 2025 История 6 класс",
        maxes=maxes,
        levels=["Б", "Б", "П", "Б", "В", "Б"],
    )
    outcome = import_file(path)
    assert outcome.new_assessments == ["ВПР 2025 История 6 класс"]
    work = Assessment.objects.get(title="ВПР 2025 История 6 класс")
    assert work.scale_status == Assessment.ScaleStatus.DERIVED
    assert work.scale.source.code == "derived"
    assert work.max_primary == 10
    assert list(work.tasks.values_list("level", flat=True)) == ["Б", "Б", "П", "Б", "В", "Б"]
    assert {int(k): v for k, v in work.scale.boundaries.items()}[5] == 9


def test_slices_record_what_each_batch_holds(personas, tmp_path: Path) -> None:
    outcome = import_file(small_vpr(tmp_path / "a.xlsx"))
    s = ImportSlice.objects.get(batch_id=outcome.batch_id)
    assert s.rows == 12 and s.organization == personas.school_a
    assert s.unit_key == f"results:{s.assessment_id}:{s.organization_id}"
