"""The synthetic data generator: determinism, structures and scales, file layouts, cohorts and
the planted truth (low results, bunching, medals) checked from the written files."""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from soko.lib.generator import GeneratorConfig, Manifest, generate, write_files
from soko.lib.generator.core import GeneratedData
from soko.lib.generator.structures import ege_work, oge_work, vpr_work
from soko.lib.generator.writers import KIND_ORDER

pytestmark = pytest.mark.core

SMALL = GeneratorConfig(schools=16, seed=7, students_per_school=300, vpr_format="csv")
HEADERS = {
    "organizations.csv": "Логин;Полное наименование;Краткое наименование;Муниципалитет;"
    "Код муниципалитета;Регион;Код региона;Вид;Тип;Местность;Углублённое изучение;"
    "Руководитель;ИНН",
    "teachers.csv": "Логин ОО;Код педагога;Предметы;Категория;Стаж;Год рождения",
    "classes.csv": "Логин ОО;Учебный год;Параллель;Класс;Профиль;Предмет;Код педагога",
    "students.csv": "Логин ОО;Код обучающегося;Год рождения;Пол;ОВЗ;Учебный год;Класс",
    "social_context": "Логин ОО;Год;Численность обучающихся;Из малоимущих семей;"
    "Из неполных семей;Оба родителя с высшим образованием;Русский язык не родной;С ОВЗ;"
    "На учёте КДН/ПДН;Вакансии педагогов;Вторая смена;Удалённость, км",
    "journal_marks": "Логин ОО;Код обучающегося;Класс;Предмет;Период;Отметка",
    "olympiad": "Логин ОО;Код обучающегося;Этап;Предмет;Класс;Статус;Балл;Год",
    "medals": "Логин ОО;Код обучающегося;Медаль;Год",
    "observers": "Логин ОО;Процедура;Предмет;Класс;Дата;Число наблюдателей;Вид наблюдения;"
    "Видеонаблюдение;Год",
    "canonical": "procedure,subject,grade,year,org_code,participant_code,class_label,variant,"
    "task,task_max,task_level,score,primary_score,mark,journal_mark,absent",
}


@pytest.fixture(scope="module")
def small() -> GeneratedData:
    return generate(SMALL)


@pytest.fixture(scope="module")
def small_files(small: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> tuple[
    Path, Manifest
]:
    out = tmp_path_factory.mktemp("generated")
    return out, write_files(small, out, workers=1)


def _read(path: Path, separator: str = ";") -> pl.DataFrame:
    return pl.read_csv(path, separator=separator, infer_schema_length=0)


def _canonical(path: Path) -> pl.DataFrame:
    text = {"participant_code": pl.String, "class_label": pl.String, "task": pl.String}
    return pl.read_csv(path, schema_overrides=text)


def _participants(out: Path, manifest: Manifest) -> pl.DataFrame:
    """One row per ВПР participant (from the canonical files), typed."""
    frames = [_canonical(out / e.path) for e in manifest.of_kind("canonical")]
    rows = pl.concat(frames)
    return rows.unique(
        subset=["org_code", "year", "subject", "grade", "participant_code"], keep="first",
        maintain_order=True,
    )


# ------------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_files_and_truth(
    small_files: tuple[Path, Manifest], tmp_path: Path
) -> None:
    out, manifest = small_files
    again = write_files(generate(SMALL), tmp_path, workers=1)
    assert [e.path for e in again.files] == [e.path for e in manifest.files]
    for name in [e.path for e in manifest.files] + ["truth.json", "manifest.json"]:
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_another_seed_gives_another_world(small: GeneratedData) -> None:
    other = generate(GeneratorConfig(schools=16, seed=8, students_per_school=300,
                                     vpr_format="csv"))
    assert other.truth["schools"] != small.truth["schools"]


# ---------------------------------------------------------------------- structures and scales


def test_grade4_russian_has_the_real_2026_structure(small_files: tuple[Path, Manifest]) -> None:
    work = vpr_work("РУ", 4)
    assert [t.number for t in work.tasks] == [str(i) for i in range(1, 13)]
    assert [t.max_score for t in work.tasks] == [2, 1, 2, 3, 2, 1, 1, 2, 3, 3, 1, 3]
    assert work.max_score == 24
    assert work.boundaries == (10, 16, 21)
    out, manifest = small_files
    rows = _read(out / manifest.of_kind("canonical")[0].path, ",").filter(
        (pl.col("subject") == "РУ") & (pl.col("grade") == "4")
    )
    maxima = dict(rows.select("task", "task_max").unique().iter_rows())
    assert maxima == {t.number: str(t.max_score) for t in work.tasks}


def test_vpr_primary_scores_and_marks_follow_the_scale(small_files: tuple[Path, Manifest],
                                                       small: GeneratedData) -> None:
    out, manifest = small_files
    scales = {(s["subject"], s["grade"]): s for s in small.truth["scales"]["ВПР"]}
    for entry in manifest.of_kind("canonical"):
        rows = _canonical(out / entry.path).filter(pl.col("absent") == 0)
        per = rows.group_by(["subject", "grade", "org_code", "participant_code"]).agg(
            pl.col("score").sum().alias("total"), pl.col("primary_score").first(),
            pl.col("mark").first(),
        )
        assert (per["total"] == per["primary_score"]).all()
        for (subject, grade), group in per.group_by(["subject", "grade"]):
            b = scales[(subject, grade)]["mark_boundaries"]
            p = group["primary_score"].to_numpy()
            expected = 2 + (p >= b["3"]) + (p >= b["4"]) + (p >= b["5"])
            assert (group["mark"].to_numpy() == expected).all()


def test_oge_marks_follow_the_2026_rules(small_files: tuple[Path, Manifest]) -> None:
    out, manifest = small_files
    geometry_fails = literacy_downgrades = 0
    for entry in manifest.of_kind("oge_results"):
        frame = _read(out / entry.path)
        subject = frame["Предмет"][0]
        answers = frame["Ответы части 1"].to_list()
        part1 = np.array([[c == "+" for c in a] for a in answers], dtype=int)
        columns = [c for c in frame.columns if re.fullmatch(r"(\d+|ГК\d) \(\d+б\)", c)]
        part2 = {c.split(" ")[0]: frame[c].cast(pl.Int64).to_numpy() for c in columns}
        primary = part1.sum(axis=1) + sum(part2.values())
        assert (primary == frame["Первичный балл"].cast(pl.Int64).to_numpy()).all()
        marks = frame["Отметка"].cast(pl.Int64).to_numpy()
        if subject == "МА":
            assert part1.shape[1] == 19 and list(part2) == [str(i) for i in range(20, 26)]
            geometry = part1[:, 14:19].sum(axis=1) + part2["23"] + part2["24"] + part2["25"]
            expected = 2 + (primary >= 8) + (primary >= 15) + (primary >= 22)
            expected[geometry < 2] = 2
            geometry_fails += int(((primary >= 8) & (geometry < 2)).sum())
        elif subject == "РУ":
            assert primary.max() <= 37
            literacy = part2["ГК1"] + part2["ГК2"] + part2["ГК3"] + part2["ГК4"]
            expected = 2 + (primary >= 15) + (primary >= 26) + (primary >= 33)
            expected[(expected == 5) & (literacy < 9)] = 4
            expected[(expected == 4) & (literacy < 6)] = 3
            literacy_downgrades += int(((primary >= 26) & (literacy < 6)).sum())
        else:
            work = oge_work(subject)
            assert work.boundaries is not None
            expected = 2 + sum((primary >= b).astype(int) for b in work.boundaries)
        assert (marks == expected).all(), entry.path
    assert geometry_fails > 0 and literacy_downgrades > 0


def test_ege_scores_follow_the_tables(small_files: tuple[Path, Manifest]) -> None:
    out, manifest = small_files
    for entry in manifest.of_kind("ege_results"):
        frame = _read(out / entry.path)
        subject = frame["Предмет"][0]
        work = ege_work(subject)
        primary = frame["Первичный балл"].cast(pl.Int64).to_numpy()
        if subject == "МАБ":
            assert "Тестовый балл" not in frame.columns
            b = work.boundaries
            assert b is not None
            expected = 2 + sum((primary >= x).astype(int) for x in b)
            assert (frame["Отметка"].cast(pl.Int64).to_numpy() == expected).all()
            continue
        assert work.test_table is not None
        assert list(work.test_table) == sorted(work.test_table)
        test = frame["Тестовый балл"].cast(pl.Int64).to_numpy()
        assert (test == np.array(work.test_table)[primary]).all()
        assert len(frame["Ответы части 1"][0]) == work.part1
    assert ege_work("МАП").test_table is not None
    assert ege_work("МАП").test_table[5] == 27  # type: ignore[index]


# ---------------------------------------------------------------------------------- registry


def test_registry_headers_and_manifest_order(small_files: tuple[Path, Manifest]) -> None:
    out, manifest = small_files
    kinds = [e.kind for e in manifest.files]
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    assert kinds[:4] == ["organizations", "teachers", "classes", "students"]
    for entry in manifest.files:
        path = out / entry.path
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) - 1 == entry.rows, entry.path
        expected = HEADERS.get(entry.path) or HEADERS.get(entry.kind)
        if expected:
            assert lines[0] == expected, entry.path
    saved = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert saved == manifest.to_dict()
    orgs = _read(out / "organizations.csv")
    assert orgs["Логин"].n_unique() == SMALL.schools
    assert all(re.fullmatch(r"sch99\d{4}", login) for login in orgs["Логин"])
    for inn in orgs["ИНН"]:
        weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
        check = sum(int(d) * w for d, w in zip(inn[:9], weights, strict=True)) % 11 % 10
        assert len(inn) == 10 and int(inn[9]) == check
    assert set(orgs["Тип"]) <= {"СОШ", "СОШ с УИОП", "ООШ", "НОШ", "гимназия", "лицей"}
    classes = _read(out / "classes.csv")
    assert set(classes["Учебный год"]) == {"2023/2024", "2024/2025", "2025/2026"}
    teachers = set(_read(out / "teachers.csv")["Код педагога"])
    assert set(classes["Код педагога"]) <= teachers


def test_cohorts_link_across_years(small_files: tuple[Path, Manifest]) -> None:
    out, _ = small_files
    students = _read(out / "students.csv").with_columns(
        pl.col("Класс").str.extract(r"^(\d+)").cast(pl.Int64).alias("grade")
    )
    years = sorted(students["Учебный год"].unique())
    for year in years:
        assert students.filter(pl.col("Учебный год") == year)["Код обучающегося"].is_unique().all()
    for before, after in itertools.pairwise(years):
        old = students.filter((pl.col("Учебный год") == before) & (pl.col("grade") <= 8))
        new = students.filter(pl.col("Учебный год") == after)
        joined = old.join(new, on="Код обучающегося", suffix="_next")
        assert joined.height / old.height > 0.9
        assert (joined["grade_next"] == joined["grade"] + 1).all()
        moved = joined.filter(pl.col("Логин ОО") != pl.col("Логин ОО_next"))
        assert 0 < moved.height < 0.1 * joined.height


# ------------------------------------------------------------------------------ planted truth


def test_truth_lists_every_kind_and_clean_schools(small: GeneratedData) -> None:
    truth = small.truth
    assert set(truth) >= {"config", "schools", "planted", "clean_schools", "scales"}
    planted = truth["planted"]
    for kind in ("low_results", "adverse_social", "resilient", "unconfirmed_high", "bunching",
                 "difficulty_inversion", "journal_mismatch", "year_swing", "misfit",
                 "medals_unconfirmed", "teacher_deficit"):
        assert planted[kind], kind
        for record in planted[kind]:
            assert {"org_code", "year", "procedure", "subject", "grade"} <= set(record)
            assert record["org_code"] in truth["schools"]
    anomalous = {r["org_code"] for k, v in planted.items() for r in v
                 if k not in ("adverse_social", "resilient")}
    assert anomalous.isdisjoint(truth["clean_schools"])
    assert len(truth["clean_schools"]) >= 4
    for record in planted["unconfirmed_high"]:
        assert truth["schools"][record["org_code"]]["type"] == "СОШ"
    for record in planted["teacher_deficit"]:
        assert record["class_percent"] < record["elsewhere_percent"] - 20


def _failing_works(participants: pl.DataFrame) -> dict[tuple[str, int], set[tuple[str, int]]]:
    """(school, year) → ВПР works with ≥ 30 % «2» among ≥ 10 present participants."""
    present = participants.filter(pl.col("absent") == 0)
    shares = present.group_by(["org_code", "year", "subject", "grade"]).agg(
        pl.len().alias("n"), (pl.col("mark") == 2).mean().alias("share")
    ).filter((pl.col("n") >= 10) & (pl.col("share") >= 0.3))
    out: dict[tuple[str, int], set[tuple[str, int]]] = defaultdict(set)
    for org, year, subject, grade in shares.select("org_code", "year", "subject",
                                                   "grade").iter_rows():
        out[(org, year)].add((subject, grade))
    return out


def test_low_results_schools_meet_the_30_percent_rule_and_clean_ones_do_not(
    small_files: tuple[Path, Manifest], small: GeneratedData
) -> None:
    out, manifest = small_files
    failing = _failing_works(_participants(out, manifest))
    years = SMALL.years
    low = {r["org_code"] for r in small.truth["planted"]["low_results"]}
    for school in low:
        for before, year in itertools.pairwise(years):
            now, then = failing[(school, year)], failing[(school, before)]
            assert len(now) >= 2 and len(now & then) >= 2, (school, year)
    for school in small.truth["clean_schools"]:
        for before, year in itertools.pairwise(years):
            now, then = failing[(school, year)], failing[(school, before)]
            assert not (len(now) >= 2 and now & then), (school, year)


def test_bunching_leaves_a_spike_at_boundaries_only_where_planted(
    small_files: tuple[Path, Manifest], small: GeneratedData
) -> None:
    out, manifest = small_files
    present = _participants(out, manifest).filter(pl.col("absent") == 0)
    scales = {(s["subject"], s["grade"]): s["mark_boundaries"]
              for s in small.truth["scales"]["ВПР"]}
    planted: dict[str, set[tuple[int, str, int]]] = defaultdict(set)
    for r in small.truth["planted"]["bunching"]:
        planted[r["org_code"]].add((r["year"], r["subject"], r["grade"]))

    def spike(school: str, works: set[tuple[int, str, int]] | None) -> tuple[int, int]:
        at = below = 0
        mine = present.filter(pl.col("org_code") == school)
        for (year, subject, grade), group in mine.group_by(["year", "subject", "grade"]):
            if works is not None and (year, subject, grade) not in works:
                continue
            counts = np.bincount(group["primary_score"].to_numpy(), minlength=60)
            for b in scales[(subject, grade)].values():
                at += int(counts[b])
                below += int(counts[b - 1] + counts[b - 2])
        return at, below

    assert planted
    for school, works in planted.items():
        at, below = spike(school, works)
        assert at > 3 * below, (school, at, below)
    for school in small.truth["clean_schools"]:
        at, below = spike(school, None)
        assert at < 1.2 * below + 5, (school, at, below)


def test_medals_are_confirmed_by_ege_except_the_planted_ones(
    small_files: tuple[Path, Manifest], small: GeneratedData
) -> None:
    out, manifest = small_files
    russian: dict[str, int] = {}
    for entry in manifest.of_kind("ege_results"):
        if entry.path.endswith("_РУ.csv"):
            frame = _read(out / entry.path)
            russian.update(zip(frame["Код участника"], frame["Тестовый балл"].cast(pl.Int64),
                               strict=True))
    planted = {r["participant_code"]: r for r in small.truth["planted"]["medals_unconfirmed"]}
    clean = set(small.truth["clean_schools"])
    seen_planted = 0
    for entry in manifest.of_kind("medals"):
        for school, code, _medal, _year in _read(out / entry.path).iter_rows():
            if code in planted:
                seen_planted += 1
                record = planted[code]
                assert record["subject"] != "РУ" or russian[code] < 70
            elif school in clean:
                assert russian[code] >= 70
    assert seen_planted == len(planted) > 0


def test_vpr_journal_mark_is_the_third_term_mark(small: GeneratedData) -> None:
    from soko.lib.generator.config import SUBJECT_INDEX

    for res in small.results.vpr[:10]:
        journal = small.results.journal[res.year]
        rows = journal.lookup(res.pupil, SUBJECT_INDEX[res.work.subject])
        known = res.journal > 0
        assert (rows[known] >= 0).all()
        assert (journal.marks[rows[known], 2] == res.journal[known]).all()
        assert known.mean() > 0.95


# ---------------------------------------------------------------------------------- ВПР xlsx


def test_vpr_workbooks_follow_the_fis_oko_layout(tmp_path: Path) -> None:
    config = GeneratorConfig(schools=3, seed=3, years=(2025,), students_per_school=150)
    data = generate(config)
    manifest = write_files(data, tmp_path, workers=1)
    entries = manifest.of_kind("vpr_results")
    assert len(entries) >= 10
    logins = {s.login for s in data.population.schools}
    for entry in entries:
        path = tmp_path / entry.path
        title = path.stem
        assert re.fullmatch(r"ВПР 2025 [А-Яа-яё ]+ [4-8] класс", title)
        book = CalamineWorkbook.from_path(str(path))
        assert book.sheet_names == ["Индивидуальные результаты"]
        rows: list[list[Any]] = book.get_sheet_by_index(0).to_python()
        assert rows[0][0] == title
        assert rows[1][0] == "Максимальный первичный балл"
        header = rows[5]
        assert header[:6] == ["ОО", "Муниципалитет", "Название ОО", "Код участника", "Класс",
                              "Вариант"]
        assert header[-3:] == ["Первичный балл", "Отметка", "Отметка по журналу"]
        tasks = header[6:-3]
        assert all(re.fullmatch(r"\d+(\.\d+)? \([1-3]б\)", t) for t in tasks)
        maxima = [int(re.search(r"\((\d)б\)", t).group(1)) for t in tasks]  # type: ignore[union-attr]
        assert rows[1][1] == sum(maxima)
        assert all(level in ("Б", "П", "В") for level in rows[4][6:6 + len(tasks)])
        assert all(cell == "" for cell in rows[4][:6] + rows[4][6 + len(tasks):])
        data_rows = rows[6:]
        assert len(data_rows) == entry.rows
        present = [r for r in data_rows if r[6] != "X"]
        assert rows[2][0] == f"Кол-во участников: {len(present)}"
        for row in data_rows:
            assert row[0] in logins and re.fullmatch(r"\d{5}", row[3])
            assert re.fullmatch(r"[4-8][А-Г]", row[4])
            if row[6] == "X":
                assert all(c == "X" for c in row[6:-1])
                continue
            scores = [int(c) for c in row[6:-3]]
            assert all(0 <= s <= m for s, m in zip(scores, maxima, strict=True))
            assert sum(scores) == row[-3] and row[-2] in (2, 3, 4, 5)
        codes = [(r[0], r[3]) for r in data_rows]
        assert len(set(codes)) == len(codes)


def test_many_schools_make_several_municipalities(tmp_path: Path) -> None:
    data = generate(GeneratorConfig(schools=70, seed=5, years=(2025, 2026),
                                    students_per_school=60, vpr_format="csv"))
    municipalities = data.population.municipalities
    assert len(municipalities) == 2
    assert len({m.name for m in municipalities}) == 2
    assert all("Демонстрационный" not in m.name for m in municipalities)
    assert {m.code for m in municipalities} == {"9901", "9902"}
    logins = [s.login for s in data.population.schools]
    assert len(set(logins)) == 70
    manifest = write_files(data, tmp_path, workers=1)
    canonical = manifest.of_kind("canonical")
    assert [e.year for e in canonical] == [2025, 2026]
    header = (tmp_path / canonical[0].path).read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == HEADERS["canonical"]


@pytest.mark.slow
def test_default_run_writes_everything(tmp_path: Path) -> None:
    data = generate(GeneratorConfig())
    manifest = write_files(data, tmp_path)
    kinds = {e.kind for e in manifest.files}
    assert kinds == {"organizations", "teachers", "classes", "students", "social_context",
                     "vpr_results", "oge_results", "ege_results", "journal_marks", "olympiad",
                     "medals", "observers"}
    assert len(data.truth["schools"]) == 25
    assert data.population.municipalities[0].name == "Демонстрационный муниципальный округ"
    assert (tmp_path / "truth.json").exists()
