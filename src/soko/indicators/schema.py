"""What indicator formulas can read: the sources, their columns and types (pure module).

Three kinds of sources:

* **facts** — the fact tables of the warehouse, read through Ibis, with columns from the catalog
  joined in (procedure and subject of a result, the year's minimum score, task levels…);
* **registry** — organizations, pupils, teachers and social context from the application
  database, one row per organization (pupil, teacher) and year;
* **external** — ``prefix.name`` sources registered by other areas through
  :mod:`soko.indicators.sources` (``form.<field>``, ``survey.<question>.<option>``,
  ``flags.<kind>``): one value per organization and year, in column ``value``.

Every source also has ``org_id`` and ``year``; values are always grouped by them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

NUMBER = "number"
STRING = "string"
BOOL = "bool"
DATE = "date"

EDU_LEVELS = ("НОО", "ООО", "СОО")


@dataclass(frozen=True)
class Column:
    type: str
    title: str
    values: tuple[str, ...] = ()  # allowed codes of a string column, shown in the editor


@dataclass(frozen=True)
class SourceSchema:
    name: str
    title: str
    kind: str  # fact | registry | external
    columns: Mapping[str, Column]
    description: str = ""
    #: Columns computed only when a formula uses them (costly joins).
    lazy: frozenset[str] = field(default_factory=frozenset)


_LEVEL = Column(STRING, "уровень образования: НОО (1–4), ООО (5–9), СОО (10–11)", EDU_LEVELS)
_PROCEDURES = ("ВПР", "ОГЭ", "ГВЭ-9", "ЕГЭ", "ГВЭ-11", "НИКО", "РОП", "МОП", "ФГ")
_PROCEDURE_KINDS = ("diagnostic", "exam", "olympiad", "study", "credit")

RESULT = SourceSchema(
    "result",
    "Результаты участников (ВПР, ОГЭ, ЕГЭ, диагностики)",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "procedure": Column(STRING, "процедура", _PROCEDURES),
        "procedure_kind": Column(STRING, "вид процедуры", _PROCEDURE_KINDS),
        "subject": Column(STRING, "предмет (код: РУ, МА, МАП, МАБ…)"),
        "grade": Column(NUMBER, "класс"),
        "level": _LEVEL,
        "participant_code": Column(STRING, "код участника"),
        "student_code": Column(STRING, "код обучающегося (ГИА)"),
        "person": Column(STRING, "обучающийся: код обучающегося или участника работы"),
        "class_label": Column(STRING, "класс (буква)"),
        "sex": Column(STRING, "пол", ("м", "ж")),
        "absent": Column(BOOL, "не писал работу"),
        "primary_score": Column(NUMBER, "первичный балл"),
        "max_primary": Column(NUMBER, "максимальный первичный балл работы"),
        "percent": Column(NUMBER, "доля от максимального балла (0–1)"),
        "mark": Column(NUMBER, "отметка 2–5"),
        "test_score": Column(NUMBER, "тестовый балл ЕГЭ"),
        "journal_mark": Column(NUMBER, "отметка по журналу"),
        "min_score": Column(NUMBER, "минимальный тестовый балл года (каталог)"),
        "min_mark": Column(NUMBER, "минимальная отметка года (каталог; базовая математика)"),
        "work": Column(STRING, "работа: процедура|предмет|класс"),
        "basic_percent": Column(NUMBER, "доля баллов за задания базового уровня (0–1)"),
        "advanced_percent": Column(
            NUMBER, "доля баллов за задания повышенного и высокого уровней (0–1)"
        ),
    },
    "Одна строка на участника и работу. Отсутствовавшие: absent = true.",
    lazy=frozenset({"basic_percent", "advanced_percent"}),
)

TASK_SCORE = SourceSchema(
    "task_score",
    "Баллы за задания",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "procedure": Column(STRING, "процедура", _PROCEDURES),
        "subject": Column(STRING, "предмет"),
        "grade": Column(NUMBER, "класс"),
        "level": _LEVEL,
        "task_number": Column(STRING, "номер задания"),
        "task_level": Column(STRING, "уровень задания", ("Б", "П", "В")),
        "task_max": Column(NUMBER, "максимальный балл задания"),
        "score": Column(NUMBER, "балл"),
        "percent": Column(NUMBER, "доля от максимального балла задания (0–1)"),
    },
)

AGGREGATE = SourceSchema(
    "aggregate",
    "Сводные показатели ОО (таблицы без данных участников)",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "procedure": Column(STRING, "процедура", _PROCEDURES),
        "subject": Column(STRING, "предмет"),
        "grade": Column(NUMBER, "класс"),
        "level": _LEVEL,
        "metric": Column(
            STRING,
            "показатель файла",
            (
                "share_2",
                "share_high",
                "participants",
                "below_min",
                "high_80_99",
                "score_100",
                "mean_score",
                "mean_mark",
                "graduates",
                "registered",
                "total_160_plus",
                "total_220_plus",
            ),
        ),
        "numerator": Column(NUMBER, "числитель (число)"),
        "denominator": Column(NUMBER, "знаменатель (участники)"),
        "value": Column(NUMBER, "значение в своих единицах"),
    },
)

JOURNAL = SourceSchema(
    "journal",
    "Отметки по журналу",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "student_code": Column(STRING, "код обучающегося"),
        "class_label": Column(STRING, "класс"),
        "grade": Column(NUMBER, "параллель"),
        "level": _LEVEL,
        "subject": Column(STRING, "предмет"),
        "period": Column(STRING, "период", ("t1", "t2", "t3", "t4", "h1", "h2", "year")),
        "mark": Column(NUMBER, "отметка"),
    },
)

OLYMPIAD = SourceSchema(
    "olympiad",
    "Всероссийская олимпиада школьников",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "stage": Column(STRING, "этап", ("school", "municipal", "regional", "final")),
        "subject": Column(STRING, "предмет"),
        "grade": Column(NUMBER, "класс"),
        "level": _LEVEL,
        "student_code": Column(STRING, "код обучающегося"),
        "status": Column(STRING, "статус", ("participant", "prize", "winner")),
        "score": Column(NUMBER, "балл"),
    },
)

MEDAL = SourceSchema(
    "medal",
    "Медали «За особые успехи в учении»",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "student_code": Column(STRING, "код обучающегося"),
        "medal": Column(STRING, "степень", ("I", "II")),
    },
)

OBSERVER = SourceSchema(
    "observer",
    "Общественное и независимое наблюдение",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "procedure": Column(STRING, "процедура"),
        "procedure_kind": Column(STRING, "вид процедуры", _PROCEDURE_KINDS),
        "subject": Column(STRING, "предмет"),
        "grade": Column(NUMBER, "класс"),
        "work": Column(STRING, "работа: процедура|предмет|класс"),
        "event_date": Column(DATE, "дата"),
        "observers": Column(NUMBER, "число наблюдателей"),
        "observer_kind": Column(STRING, "вид наблюдения", ("public", "independent", "online")),
        "video": Column(BOOL, "видеонаблюдение"),
    },
)

OFFICIAL_MARKER = SourceSchema(
    "official_marker",
    "Официальный перечень ОО с признаками необъективности",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "procedure": Column(STRING, "процедура"),
        "grade": Column(NUMBER, "класс"),
        "subject": Column(STRING, "предмет"),
        "list_source": Column(STRING, "источник перечня"),
    },
)

GRADUATES = SourceSchema(
    "graduates",
    "Выпускники 11 классов по результатам ЕГЭ (одна строка на выпускника)",
    "fact",
    {
        "year": Column(NUMBER, "год"),
        "student_code": Column(STRING, "код обучающегося"),
        "exams": Column(NUMBER, "число сданных ЕГЭ"),
        "ru_score": Column(NUMBER, "тестовый балл ЕГЭ по русскому языку"),
        "ru_passed": Column(BOOL, "русский язык не ниже минимального балла"),
        "math_passed": Column(BOOL, "математика (базовая или профильная) не ниже минимума"),
        "certificate": Column(BOOL, "русский язык и математика не ниже минимума (аттестат)"),
        "failed_any": Column(BOOL, "хотя бы один ЕГЭ ниже минимального балла"),
        "stem_exam": Column(BOOL, "сдавал ЕГЭ по МАП, ФИ, ХИ, БИ или ИН"),
        "max_score": Column(NUMBER, "наибольший тестовый балл"),
        "medal": Column(STRING, "медаль", ("I", "II")),
        "has_medal": Column(BOOL, "награждён медалью"),
    },
    "Строится из результатов ЕГЭ с кодом обучающегося и сведений о медалях.",
)

STUDENTS = SourceSchema(
    "students",
    "Обучающиеся (реестр, по учебным годам)",
    "registry",
    {
        "year": Column(NUMBER, "учебный год (год окончания)"),
        "grade": Column(NUMBER, "параллель"),
        "level": _LEVEL,
        "student_code": Column(STRING, "код обучающегося"),
        "class_label": Column(STRING, "класс"),
        "sex": Column(STRING, "пол", ("м", "ж")),
        "disability": Column(BOOL, "обучающийся с ОВЗ"),
    },
)

TEACHERS = SourceSchema(
    "teachers",
    "Педагоги (реестр)",
    "registry",
    {
        "year": Column(NUMBER, "учебный год"),
        "teacher_code": Column(STRING, "код педагога"),
        "category": Column(
            STRING, "квалификационная категория", ("none", "conformity", "first", "highest")
        ),
        "experience_years": Column(NUMBER, "педагогический стаж, лет"),
        "age": Column(NUMBER, "возраст, лет"),
        "subjects": Column(NUMBER, "число преподаваемых предметов"),
    },
    "Педагог учитывается в годах, когда у него есть преподавание в классах; педагог без "
    "преподавания — в последнем рассчитываемом году.",
)

ORGS = SourceSchema(
    "orgs",
    "Организации (реестр; строка на организацию и год)",
    "registry",
    {
        "year": Column(NUMBER, "год"),
        "kind": Column(STRING, "вид", ("school", "preschool", "additional")),
        "org_type": Column(STRING, "тип (СОШ, гимназия, лицей…)"),
        "rural": Column(BOOL, "сельская местность"),
        "in_depth": Column(BOOL, "углублённое изучение предметов или профиль гимназии/лицея"),
        "is_active": Column(BOOL, "действует"),
    },
)

SOCIAL = SourceSchema(
    "social",
    "Социальный контекст ОО",
    "registry",
    {
        "year": Column(NUMBER, "год"),
        "students_total": Column(NUMBER, "число обучающихся"),
        "low_income": Column(NUMBER, "из малоимущих семей"),
        "single_parent": Column(NUMBER, "из неполных семей"),
        "parents_higher_ed": Column(NUMBER, "оба родителя с высшим образованием"),
        "non_native_russian": Column(NUMBER, "русский язык не родной"),
        "disabled": Column(NUMBER, "с ОВЗ"),
        "kdn_pdn": Column(NUMBER, "на учёте в КДН/ПДН"),
        "staff_vacancies": Column(NUMBER, "вакансии педагогов"),
        "second_shift": Column(BOOL, "обучение во вторую смену"),
        "remoteness_km": Column(NUMBER, "удалённость, км"),
    },
)

EXTERNAL_COLUMNS: Mapping[str, Column] = {
    "year": Column(NUMBER, "год"),
    "value": Column(NUMBER, "значение"),
}

BUILTIN_SOURCES: dict[str, SourceSchema] = {
    s.name: s
    for s in (
        RESULT,
        TASK_SCORE,
        AGGREGATE,
        JOURNAL,
        OLYMPIAD,
        MEDAL,
        OBSERVER,
        OFFICIAL_MARKER,
        GRADUATES,
        STUDENTS,
        TEACHERS,
        ORGS,
        SOCIAL,
    )
}

#: Fact tables behind the formula sources (``graduates`` is built from two of them).
FACT_TABLE_OF: dict[str, tuple[str, ...]] = {
    "result": ("result",),
    "task_score": ("task_score",),
    "aggregate": ("aggregate_result",),
    "journal": ("journal_mark",),
    "olympiad": ("olympiad_result",),
    "medal": ("medal",),
    "observer": ("observer_presence",),
    "official_marker": ("official_marker",),
    "graduates": ("result", "medal"),
}

#: Import kinds → formula sources they change (what a post-import recomputation touches).
SOURCES_OF_IMPORT_KIND: dict[str, tuple[str, ...]] = {
    "vpr_results": ("result", "task_score"),
    "vpr_form": ("result", "task_score"),
    "oge_results": ("result", "task_score"),
    "ege_results": ("result", "task_score", "graduates"),
    "canonical": ("result", "task_score", "graduates"),
    "aggregate_shares": ("aggregate",),
    "ege_by_school": ("aggregate",),
    "ege_open_data": ("aggregate",),
    "objectivity_list": ("official_marker",),
    "journal_marks": ("journal",),
    "olympiad": ("olympiad",),
    "medals": ("medal", "graduates"),
    "observers": ("observer",),
    "organizations": ("orgs",),
    "teachers": ("teachers",),
    "classes": ("students", "teachers"),
    "students": ("students",),
    "social_context": ("social",),
}


def external_schema(prefix: str, name: str, title: str) -> SourceSchema:
    """The schema of an external source ``prefix.name``."""
    return SourceSchema(f"{prefix}.{name}", title, "external", EXTERNAL_COLUMNS)


def edu_level(grade: int | None) -> str | None:
    """«НОО» for grades 1–4, «ООО» for 5–9, «СОО» for 10–11 (None when unknown)."""
    if grade is None:
        return None
    if grade <= 4:
        return "НОО"
    if grade <= 9:
        return "ООО"
    return "СОО"
