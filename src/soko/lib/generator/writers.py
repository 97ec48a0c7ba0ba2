"""Writing generated data as the files of docs/formats.md, plus truth.json and manifest.json.

CSV files are written with Polars (``;``-separated, UTF-8, header row); ВПР files either as
ФИС ОКО xlsx (xlsxwriter in constant-memory mode) or as one canonical long CSV per year,
written work by work so memory stays bounded. Output is byte-for-byte deterministic.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import polars as pl
import xlsxwriter

from soko.lib.generator.config import (
    ABILITY_SUBJECTS,
    CURRICULUM,
    SUBJECT_INDEX,
    SUBJECT_NAMES,
    school_year_label,
)
from soko.lib.generator.core import GeneratedData
from soko.lib.generator.model import Array
from soko.lib.generator.results import (
    OBSERVER_KINDS,
    STAGES,
    STATUSES,
    ExamResult,
    VprResult,
)

FIXED_TIMESTAMP = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CANONICAL_COLUMNS = (
    "procedure", "subject", "grade", "year", "org_code", "participant_code", "class_label",
    "variant", "task", "task_max", "task_level", "score", "primary_score", "mark",
    "journal_mark", "absent",
)
QUARTERS = ("1 четверть", "2 четверть", "3 четверть", "4 четверть", "год")
HALVES = ("1 полугодие", "2 полугодие", "", "", "год")
#: Import order of kinds (registry first).
KIND_ORDER = (
    "organizations", "teachers", "classes", "students", "social_context", "vpr_results",
    "canonical", "oge_results", "ege_results", "journal_marks", "olympiad", "medals",
    "observers",
)


@dataclass(frozen=True)
class ManifestEntry:
    """One written file: path relative to the output folder, import kind, year, data rows."""

    path: str
    kind: str
    year: int | None
    rows: int


@dataclass
class Manifest:
    """The files written, in the order they must be imported."""

    root: Path
    files: list[ManifestEntry] = field(default_factory=list)

    def add(self, path: Path, kind: str, year: int | None, rows: int) -> None:
        self.files.append(ManifestEntry(path.relative_to(self.root).as_posix(), kind, year, rows))

    def sort(self) -> None:
        """Put the entries in import order (stable within a kind)."""
        self.files.sort(key=lambda f: KIND_ORDER.index(f.kind))

    def of_kind(self, kind: str) -> list[ManifestEntry]:
        """Return the entries of one kind."""
        return [f for f in self.files if f.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {"files": [asdict(f) for f in self.files], "truth": "truth.json"}


def _cat(values: list[str], index: Array) -> pl.Series:
    """Return ``values[index]`` as a categorical series (fast for long repeated columns).

    Empty strings become nulls, which are written as empty cells.
    """
    series = pl.Series([v if v else None for v in values], dtype=pl.String)
    return series.cast(pl.Categorical).gather(pl.Series(index.astype(np.int64)))


def _text(values: list[str]) -> pl.Series:
    """Return a text column; empty strings become nulls (empty cells)."""
    return pl.Series([v if v else None for v in values], dtype=pl.String)


def _write_csv(frame: pl.DataFrame, path: Path, separator: str = ";") -> int:
    """Write ``frame`` as CSV; return the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, separator=separator)
    return frame.height


class _Writer:
    def __init__(self, data: GeneratedData, out_dir: Path) -> None:
        self.data = data
        self.pop = data.population
        self.out = out_dir
        self.manifest = Manifest(out_dir)
        self.login = [s.login for s in self.pop.schools]
        self.codes = self.pop.pupils.code
        self.years = data.config.years

    # ------------------------------------------------------------------------------- registry

    def organizations(self) -> None:
        pop, cfg = self.pop, self.data.config
        mun = pop.municipalities
        frame = pl.DataFrame({
            "Логин": self.login,
            "Полное наименование": [s.full_name for s in pop.schools],
            "Краткое наименование": [s.short_name for s in pop.schools],
            "Муниципалитет": [mun[s.municipality].name for s in pop.schools],
            "Код муниципалитета": [mun[s.municipality].code for s in pop.schools],
            "Регион": [cfg.region_name] * len(pop.schools),
            "Код региона": [cfg.region_code] * len(pop.schools),
            "Вид": ["школа"] * len(pop.schools),
            "Тип": [s.type for s in pop.schools],
            "Местность": ["сельская" if s.rural else "городская" for s in pop.schools],
            "Углублённое изучение": _text([",".join(s.in_depth) for s in pop.schools]),
            "Руководитель": [s.head for s in pop.schools],
            "ИНН": [s.inn for s in pop.schools],
        })
        path = self.out / "organizations.csv"
        self.manifest.add(path, "organizations", None, _write_csv(frame, path))

    def teachers(self) -> None:
        t = self.pop.teachers
        frame = pl.DataFrame({
            "Логин ОО": _cat(self.login, t.school),
            "Код педагога": t.code,
            "Предметы": [",".join(s) for s in t.subjects],
            "Категория": t.category,
            "Стаж": t.experience,
            "Год рождения": t.birth_year,
        })
        path = self.out / "teachers.csv"
        self.manifest.add(path, "teachers", None, _write_csv(frame, path))

    def classes(self) -> None:
        c, teaching = self.pop.classes, self.pop.teaching
        rows_cls: list[Array] = []
        rows_subj: list[Array] = []
        for subj in ABILITY_SUBJECTS:
            col = SUBJECT_INDEX[subj]
            idx = np.flatnonzero(np.isin(c.year, self.years) & (teaching[:, col] >= 0))
            rows_cls.append(idx)
            rows_subj.append(np.full(idx.size, col))
        cls = np.concatenate(rows_cls)
        col_of = np.concatenate(rows_subj)
        curriculum_pos = np.array([
            [CURRICULUM.get(g, ()).index(s) if s in CURRICULUM.get(g, ()) else 99
             for s in ABILITY_SUBJECTS] for g in range(13)
        ])
        order = np.lexsort((curriculum_pos[c.grade[cls], col_of], c.letter[cls], c.grade[cls],
                            c.school[cls], c.year[cls]))
        cls, col_of = cls[order], col_of[order]
        teacher = teaching[cls, col_of]
        years = sorted({int(y) for y in c.year})
        year_labels = {y: school_year_label(y) for y in years}
        frame = pl.DataFrame({
            "Логин ОО": _cat(self.login, c.school[cls]),
            "Учебный год": _cat([year_labels[y] for y in years],
                                np.searchsorted(years, c.year[cls])),
            "Параллель": c.grade[cls],
            "Класс": _cat(c.label, cls),
            "Профиль": _cat(c.profile, cls),
            "Предмет": _cat(list(ABILITY_SUBJECTS), col_of),
            "Код педагога": _cat(self.pop.teachers.code, teacher),
        })
        path = self.out / "classes.csv"
        self.manifest.add(path, "classes", None, _write_csv(frame, path))

    def students(self) -> None:
        p, c = self.pop.pupils, self.pop.classes
        frames = []
        for year in self.years:
            e = self.pop.enrolments[year]
            order = np.lexsort((self.codes[e.pupil], e.cls))
            pupil, school, cls = e.pupil[order], e.school[order], e.cls[order]
            frames.append(pl.DataFrame({
                "Логин ОО": _cat(self.login, school),
                "Код обучающегося": self.codes[pupil],
                "Год рождения": p.birth_year[pupil].astype(np.int64),
                "Пол": _cat(["м", "ж"], p.female[pupil].astype(np.int64)),
                "ОВЗ": _cat(["нет", "да"], p.ovz[pupil].astype(np.int64)),
                "Учебный год": pl.Series([school_year_label(year)] * pupil.size),
                "Класс": _cat(c.label, cls),
            }))
        path = self.out / "students.csv"
        self.manifest.add(path, "students", None, _write_csv(pl.concat(frames), path))

    def social(self) -> None:
        for year in self.years:
            sc = self.data.results.social[year]
            frame = pl.DataFrame({
                "Логин ОО": self.login,
                "Год": [year] * len(self.login),
                "Численность обучающихся": sc.pupils,
                "Из малоимущих семей": sc.low_income,
                "Из неполных семей": sc.single_parent,
                "Оба родителя с высшим образованием": sc.higher_education,
                "Русский язык не родной": sc.non_native,
                "С ОВЗ": sc.ovz,
                "На учёте КДН/ПДН": sc.kdn,
                "Вакансии педагогов": sc.vacancies,
                "Вторая смена": ["да" if v else "нет" for v in sc.second_shift],
                "Удалённость, км": sc.remoteness,
            })
            path = self.out / f"social_context_{year}.csv"
            self.manifest.add(path, "social_context", year, _write_csv(frame, path))

    # ------------------------------------------------------------------------------------ ВПР

    def vpr_xlsx(self, res: VprResult) -> tuple[Path, int]:
        """Write one ФИС ОКО «Индивидуальные результаты» workbook; return (path, rows)."""
        w, pop = res.work, self.pop
        title = f"ВПР {res.year} {SUBJECT_NAMES[w.subject]} {w.grade} класс"
        path = self.out / "vpr" / str(res.year) / f"{title}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        mun = pop.municipalities
        school_mun = [mun[s.municipality].name for s in pop.schools]
        school_name = [s.short_name for s in pop.schools]
        mun_code = np.array([int(mun[s.municipality].code) for s in pop.schools])
        order = np.lexsort((res.code, res.school, mun_code[res.school]))
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        book.set_properties({"created": FIXED_TIMESTAMP})
        sheet = book.add_worksheet("Индивидуальные результаты")
        present = int((~res.absent).sum())
        sheet.write_string(0, 0, title)
        sheet.write_string(1, 0, "Максимальный первичный балл")
        sheet.write_number(1, 1, w.max_score)
        sheet.write_string(2, 0, f"Кол-во участников: {present}")
        first_task = 6
        sheet.write_row(4, first_task, [t.level for t in w.tasks])
        header = ["ОО", "Муниципалитет", "Название ОО", "Код участника", "Класс", "Вариант"]
        header += [t.header for t in w.tasks] + ["Первичный балл", "Отметка", "Отметка по журналу"]
        sheet.write_row(5, 0, header)
        scores = res.scores[order].tolist()
        school = res.school[order].tolist()
        code = res.code[order].tolist()
        cls = res.cls[order].tolist()
        variant = res.variant[order].tolist()
        absent = res.absent[order].tolist()
        primary = res.primary[order].tolist()
        mark = res.mark[order].tolist()
        journal = res.journal[order].tolist()
        labels = pop.classes.label
        k = len(w.tasks)
        for i in range(len(school)):
            s = school[i]
            row: list[Any] = [self.login[s], school_mun[s], school_name[s], str(code[i]),
                              labels[cls[i]], variant[i]]
            if absent[i]:
                row += ["X"] * k + ["X", "X"]
            else:
                row += scores[i] + [primary[i], mark[i]]
            row.append(journal[i] if journal[i] else None)
            sheet.write_row(6 + i, 0, row)
        book.close()
        return path, len(school)

    def vpr_canonical(self, year: int, handle: IO[bytes], header: bool) -> int:
        """Append the year's ВПР results to an open canonical CSV; return rows written."""
        total = 0
        labels = self.pop.classes.label
        for res in self.data.results.vpr:
            if res.year != year:
                continue
            w = res.work
            n, k = len(res), len(w.tasks)
            order = np.lexsort((res.code, res.school))
            rep = np.repeat(order, k)
            task_pos = np.tile(np.arange(k), n)
            absent = res.absent[rep]
            score = res.scores[order].ravel().astype(np.int64)
            primary = res.primary[rep]
            mark = res.mark[rep].astype(np.int64)
            journal = res.journal[rep].astype(np.int64)
            frame = pl.DataFrame({
                "procedure": pl.Series(["ВПР"]).cast(pl.Categorical).gather(np.zeros(n * k,
                                                                                     np.int64)),
                "subject": pl.Series([w.subject]).cast(pl.Categorical).gather(
                    np.zeros(n * k, np.int64)),
                "grade": np.full(n * k, w.grade, dtype=np.int64),
                "year": np.full(n * k, year, dtype=np.int64),
                "org_code": _cat(self.login, res.school[rep]),
                "participant_code": res.code[rep],
                "class_label": _cat(labels, res.cls[rep]),
                "variant": res.variant[rep],
                "task": _cat([t.number for t in w.tasks], task_pos),
                "task_max": w.maxes.astype(np.int64)[task_pos],
                "task_level": _cat([t.level for t in w.tasks], task_pos),
                "score": pl.Series(score).set(pl.Series(absent), None),
                "primary_score": pl.Series(primary).set(pl.Series(absent), None),
                "mark": pl.Series(mark).set(pl.Series(absent), None),
                "journal_mark": pl.Series(journal).set(pl.Series(journal == 0), None),
                "absent": absent.astype(np.int64),
            })
            frame.write_csv(handle, separator=",", include_header=header and total == 0)
            total += frame.height
        return total

    def vpr(self, workers: int) -> None:
        if self.data.config.vpr_format == "xlsx":
            works = sorted(self.data.results.vpr,
                           key=lambda r: (r.year, r.work.grade, r.work.subject))
            for res, (path, rows) in zip(works, _map_xlsx(self, works, workers), strict=True):
                self.manifest.add(path, "vpr_results", res.year, rows)
            return
        for year in self.years:
            path = self.out / f"vpr_{year}.csv"
            with path.open("wb") as handle:
                rows = self.vpr_canonical(year, handle, header=True)
                if rows == 0:
                    handle.write((",".join(CANONICAL_COLUMNS) + "\n").encode("utf-8"))
            self.manifest.add(path, "canonical", year, rows)

    # ---------------------------------------------------------------------------- ОГЭ / ЕГЭ

    def exam(self, res: ExamResult) -> None:
        w = res.work
        part1 = w.part1
        columns: dict[str, Any] = {
            "Код участника": self.codes[res.pupil],
            "Код ОО": _cat(self.login, res.school),
            "Предмет": [w.subject] * len(res),
            "Класс": _cat(self.pop.classes.label, res.cls),
        }
        if part1:
            signs = np.where(res.scores[:, :part1] > 0, ord("+"), ord("-")).astype(np.uint8)
            strings = np.ascontiguousarray(signs).view(f"S{part1}").ravel()
            columns["Ответы части 1"] = [s.decode("ascii") for s in strings]
        else:
            columns["Ответы части 1"] = _text([""] * len(res))
        for j, task in enumerate(w.tasks[part1:], start=part1):
            columns[task.header] = res.scores[:, j].astype(np.int64)
        columns["Первичный балл"] = res.primary
        if res.test is not None:
            columns["Тестовый балл"] = res.test
        else:
            assert res.mark is not None
            columns["Отметка"] = res.mark.astype(np.int64)
        procedure = w.procedure
        path = self.out / "gia" / f"{procedure}_{res.year}_{w.subject}.csv"
        kind = "oge_results" if procedure == "ОГЭ" else "ege_results"
        self.manifest.add(path, kind, res.year, _write_csv(pl.DataFrame(columns), path))

    # ------------------------------------------------------------------- other result files

    def journal(self, chunk: int = 400_000) -> None:
        """Write journal_<year>.csv in chunks of pupil × subject rows (bounded memory)."""
        labels = list(QUARTERS) + [h for h in HALVES if h and h != "год"]
        for year in self.years:
            j = self.data.results.journal[year]
            path = self.out / f"journal_{year}.csv"
            total = 0
            with path.open("wb") as handle:
                for start in range(0, max(len(j), 1), chunk):
                    part = np.arange(start, min(start + chunk, len(j)))
                    period = np.tile(np.arange(5), part.size)
                    row = np.repeat(part, 5)
                    values = j.marks[part].ravel()
                    # What a municipality collects from school journals: the year mark of every
                    # subject, plus the term before the ВПР (3rd quarter, or the 2nd half-year in
                    # grades 10–11) in Russian and mathematics.
                    term = np.where(j.halves[row], 1, 2)
                    core = np.isin(j.subject[row], [SUBJECT_INDEX["РУ"], SUBJECT_INDEX["МА"]])
                    keep = (values > 0) & ((period == 4) | ((period == term) & core))
                    row, period, values = row[keep], period[keep], values[keep]
                    period_label = np.where(j.halves[row] & (period < 2), 5 + period, period)
                    frame = pl.DataFrame({
                        "Логин ОО": _cat(self.login, j.school[row]),
                        "Код обучающегося": self.codes[j.pupil[row]],
                        "Класс": _cat(self.pop.classes.label, j.cls[row]),
                        "Предмет": _cat(list(ABILITY_SUBJECTS), j.subject[row]),
                        "Период": _cat(labels, period_label),
                        "Отметка": values.astype(np.int64),
                    })
                    frame.write_csv(handle, separator=";", include_header=start == 0)
                    total += frame.height
            self.manifest.add(path, "journal_marks", year, total)

    def olympiad(self) -> None:
        for year in self.years:
            o = self.data.results.olympiad[year]
            frame = pl.DataFrame({
                "Логин ОО": _cat(self.login, o.school),
                "Код обучающегося": self.codes[o.pupil],
                "Этап": _cat(list(STAGES), o.stage),
                "Предмет": _cat(list(ABILITY_SUBJECTS), o.subject),
                "Класс": o.grade,
                "Статус": _cat(list(STATUSES), o.status),
                "Балл": o.score,
                "Год": np.full(len(o), year, dtype=np.int64),
            })
            path = self.out / f"olympiad_{year}.csv"
            self.manifest.add(path, "olympiad", year, _write_csv(frame, path))

    def medals(self) -> None:
        for year in self.years:
            m = self.data.results.medals[year]
            order = np.lexsort((self.codes[m.pupil], m.school))
            frame = pl.DataFrame({
                "Логин ОО": _cat(self.login, m.school[order]),
                "Код обучающегося": self.codes[m.pupil[order]],
                "Медаль": _cat(["", "I степени", "II степени"], m.degree[order]),
                "Год": np.full(len(m), year, dtype=np.int64),
            })
            path = self.out / f"medals_{year}.csv"
            self.manifest.add(path, "medals", year, _write_csv(frame, path))

    def observers(self) -> None:
        for year in self.years:
            o = self.data.results.observers[year]
            frame = pl.DataFrame({
                "Логин ОО": _cat(self.login, o.school),
                "Процедура": ["ВПР"] * len(o),
                "Предмет": o.subject,
                "Класс": o.grade,
                "Дата": o.date,
                "Число наблюдателей": o.count,
                "Вид наблюдения": pl.Series(o.kind, dtype=pl.String),
                "Видеонаблюдение": ["да" if v else "нет" for v in o.video],
                "Год": np.full(len(o), year, dtype=np.int64),
            }, schema_overrides={"Вид наблюдения": pl.String})
            assert all(k in OBSERVER_KINDS for k in o.kind)
            path = self.out / f"observers_{year}.csv"
            self.manifest.add(path, "observers", year, _write_csv(frame, path))

    def run(self, workers: int) -> Manifest:
        self.out.mkdir(parents=True, exist_ok=True)
        # ВПР first: workbooks may be written by forked workers, before Polars starts threads
        self.vpr(workers)
        self.organizations()
        self.teachers()
        self.classes()
        self.students()
        self.social()
        results = self.data.results
        for res in sorted(results.oge, key=lambda r: (r.year, r.work.subject)):
            self.exam(res)
        for res in sorted(results.ege, key=lambda r: (r.year, r.work.subject)):
            self.exam(res)
        self.journal()
        self.olympiad()
        self.medals()
        self.observers()
        self.manifest.sort()
        truth_path = self.out / "truth.json"
        truth_path.write_text(json.dumps(self.data.truth, ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
        manifest_path = self.out / "manifest.json"
        manifest_path.write_text(
            json.dumps(self.manifest.to_dict(), ensure_ascii=False, indent=1) + "\n",
            encoding="utf-8",
        )
        return self.manifest


_FORK_STATE: list[tuple[_Writer, list[VprResult]]] = []


def _xlsx_in_child(i: int) -> tuple[Path, int]:
    writer, works = _FORK_STATE[0]
    return writer.vpr_xlsx(works[i])


def _map_xlsx(writer: _Writer, works: list[VprResult], workers: int) -> list[tuple[Path, int]]:
    """Write the workbooks, in forked worker processes when it pays off (Linux only)."""
    if workers <= 1 or len(works) < 8 or sys.platform != "linux":
        return [writer.vpr_xlsx(res) for res in works]
    _FORK_STATE.append((writer, works))
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_xlsx_in_child, range(len(works)), chunksize=4))
    finally:
        _FORK_STATE.clear()


def write_files(data: GeneratedData, out_dir: Path, workers: int | None = None) -> Manifest:
    """Write every file (registry, results, truth.json, manifest.json) under ``out_dir``.

    Returns the manifest: files in import order with their kind, year and data-row count.
    ВПР workbooks are written by up to ``workers`` forked processes (default: CPU count, at
    most 4, or 1 when other threads run; 1 writes everything in this process). The output
    does not depend on ``workers``.
    """
    if workers is None:
        # forking a process that runs other Python threads is not safe: stay serial then
        workers = min(os.cpu_count() or 1, 4) if threading.active_count() == 1 else 1
    return _Writer(data, Path(out_dir)).run(workers)
