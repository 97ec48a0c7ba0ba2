"""Writes to the catalog: loading the shipped reference data, creating assessments from files."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from django.db import transaction

from soko.catalog.models import (
    Assessment,
    CatalogVersion,
    MarkScale,
    MinScore,
    Parameter,
    Procedure,
    ScaleReference,
    ScoreConversion,
    Source,
    Subject,
    Task,
)
from soko.core.errors import ApplicationError
from soko.lib.scales import Condition
from soko.lib.scales import MarkScale as ScaleSpec

DATA_DIR = Path(__file__).resolve().parent / "data"
CATALOG_VERSION = "2026.11"

# Conditional rules of published scales, formalised from the «conditions» text of the CSV.
# Key: (exam, year, subject code). Rows whose text is not formalised keep the text only.
_GEOMETRY = ("15", "16", "17", "18", "19", "23", "24", "25")
_LITERACY = ("ГК1", "ГК2", "ГК3", "ГК4")
KNOWN_CONDITIONS: dict[tuple[str, int, str], list[Condition]] = {
    ("ОГЭ", 2023, "МА"): [Condition(3, _GEOMETRY, 2, 2, "не менее 2 баллов за геометрию")],
    ("ОГЭ", 2026, "МА"): [Condition(3, _GEOMETRY, 2, 2, "не менее 2 баллов за геометрию")],
    ("ОГЭ", 2023, "РУ"): [
        Condition(5, _LITERACY, 6, 4, "«5»: не менее 6 баллов по ГК1–ГК4, иначе «4»"),
        Condition(4, _LITERACY, 4, 3, "«4»: не менее 4 баллов по ГК1–ГК4, иначе «3»"),
    ],
    ("ОГЭ", 2026, "РУ"): [
        Condition(5, _LITERACY, 9, 4, "«5»: не менее 9 баллов по ГК1–ГК4, иначе «4»"),
        Condition(4, _LITERACY, 6, 3, "«4»: не менее 6 баллов по ГК1–ГК4, иначе «3»"),
    ],
}
_EGE_2017_COLUMNS = {
    "foreign_languages": "ИНЯ",
    "chemistry": "ХИ",
    "social_studies": "ОБ",
    "biology": "БИ",
    "russian": "РУ",
    "history": "ИС",
    "physics": "ФИ",
    "geography": "ГЕ",
    "literature": "ЛИ",
    "informatics": "ИН",
    "math_profile": "МАП",
}
# Checked in order: a row whose figures are partly secondary is labelled secondary.
_SOURCE_KIND_WORDS = (
    ("band values are from", Source.Kind.SECONDARY),
    ("secondary", Source.Kind.SECONDARY),
    ("mixed", Source.Kind.SECONDARY),
    ("news quoting", Source.Kind.NEWS),
    ("official text", Source.Kind.OFFICIAL),
    ("news", Source.Kind.NEWS),
)
_URL_RE = re.compile(r"https?://\S+")


@dataclass
class LoadReport:
    skipped: bool
    counts: dict[str, int]


def _read_yaml(name: str, data_dir: Path) -> Any:
    path = data_dir / name
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", строка {mark.line + 1}" if mark is not None else ""
        raise ApplicationError(
            f"Справочный файл {path} повреждён{where}: {getattr(exc, 'problem', exc)}."
        ) from exc


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def area_data_dirs() -> list[Path]:
    """``data/`` folders of the other installed СОКО areas: they ship their own sources and
    methodological parameters (``sources.yaml``, ``parameters.yaml``) next to their code."""
    from django.apps import apps

    dirs = []
    for config in apps.get_app_configs():
        if config.name.startswith("soko.") and config.label != "catalog":
            folder = Path(config.path) / "data"
            if (folder / "sources.yaml").exists() or (folder / "parameters.yaml").exists():
                dirs.append(folder)
    return sorted(dirs)


def data_checksum(data_dir: Path = DATA_DIR) -> str:
    digest = hashlib.sha256()
    for folder in [data_dir, *area_data_dirs()]:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(f"{folder.parent.name}/{path.relative_to(folder).as_posix()}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def subject_lookup() -> dict[str, Subject]:
    """Map every normalised name, alias and code of a subject to it."""
    table: dict[str, Subject] = {}
    for subject in Subject.objects.all():
        for key in [subject.code, subject.name, *subject.aliases]:
            table[normalize_name(key)] = subject
    return table


def normalize_name(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower().replace("ё", "е"))


def _source_kind(text: str) -> str:
    low = text.lower()
    for words, kind in _SOURCE_KIND_WORDS:
        if words in low:
            return str(kind)
    return str(Source.Kind.SECONDARY)


class _Sources:
    """Creates one Source per distinct URL of the CSV files («same» refers to the row above)."""

    def __init__(self) -> None:
        self.last_url = ""
        self.last_kind = ""

    def get(self, url_text: str, kind_text: str, context: str) -> Source:
        raw = url_text.strip()
        if raw.lower() == "same" or not raw:
            raw = self.last_url
        match = _URL_RE.search(raw)
        url = match.group(0) if match else ""
        self.last_url = raw
        kind = _source_kind(kind_text or self.last_kind)
        self.last_kind = kind_text or self.last_kind
        parts = urlsplit(url)
        domain = (parts.netloc + parts.path).rstrip("/") or "источник без адреса"
        # One source per (address, reliability): the same page can back an official minimum
        # and a band taken from elsewhere (see exam_scales/SOURCE.md).
        code = (
            "web-"
            + hashlib.sha1(f"{url or raw}|{kind}".encode(), usedforsecurity=False).hexdigest()[:12]
        )
        source, _ = Source.objects.update_or_create(
            code=code,
            defaults={
                "title": f"Публикация {domain}",
                "kind": kind,
                "url": url[:500],
                "note": f"{context}. Как отмечено при сборе данных: {kind_text}. Ссылка: {raw}",
            },
        )
        return source


def _years(text: str) -> list[int]:
    """«2022-2023» → [2022, 2023]; «2014-2015 (old …)» → [2014, 2015].

    Only a year (or range) at the start counts: «not stated (after 2023)» gives [] — an
    unknown year is not invented.
    """
    match = re.match(r"^\s*((?:19|20)\d\d)(?:\s*[-–]\s*((?:19|20)\d\d))?\b", text)
    if not match:
        return []
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    return list(range(first, last + 1))


def _subject(lookup: Mapping[str, Subject], name: str) -> Subject:
    key = normalize_name(name)
    if key in lookup:
        return lookup[key]
    raise ValueError(f"unknown subject in reference data: {name!r}")


def _subjects_of(lookup: Mapping[str, Subject], text: str) -> list[Subject]:
    """«Биология, Химия, Физика» → three subjects; «Иностранные языки» → the general code."""
    key = normalize_name(text)
    if key in lookup:
        return [lookup[key]]
    names = re.split(r",|\bи\b", text)
    result = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        name = re.sub(r"\s+язык$", " язык", name)
        candidates = [name, f"{name} язык"]
        for cand in candidates:
            if normalize_name(cand) in lookup:
                result.append(lookup[normalize_name(cand)])
                break
        else:
            raise ValueError(f"unknown subject in reference data: {name!r}")
    return result


def assessment_title(
    procedure: Procedure, subject: Subject, grade: int | None, year: int, variant_series: str = ""
) -> str:
    """«ВПР 2025 Математика 5 класс», «ОГЭ 2026 Математика», «ГВЭ-9 2023 Математика (…)»."""
    title = f"{procedure.short_name} {year} {subject.name}"
    if grade and procedure.kind != Procedure.Kind.EXAM:
        title += f" {grade} класс"
    if variant_series:
        title += f" ({variant_series})"
    return title


def assessment_get_or_create(
    *,
    procedure: Procedure,
    subject: Subject,
    grade: int | None,
    year: int,
    variant_series: str = "",
    defaults: Mapping[str, Any] | None = None,
) -> tuple[Assessment, bool]:
    """Return the assessment for the key, creating it with ``defaults`` when it is new."""
    values = {
        "title": assessment_title(procedure, subject, grade, year, variant_series),
        **(defaults or {}),
    }
    return Assessment.objects.get_or_create(
        procedure=procedure,
        subject=subject,
        grade=grade,
        year=year,
        variant_series=variant_series,
        defaults=values,
    )


def tasks_replace(assessment: Assessment, tasks: Sequence[Mapping[str, Any]]) -> None:
    """Replace the task list of an assessment (positions 1..n in the given order)."""
    assessment.tasks.all().delete()
    Task.objects.bulk_create(
        [
            Task(
                assessment=assessment,
                position=i,
                number=str(t["number"]),
                max_score=float(t["max"]),
                level=t.get("level", ""),
                skill=t.get("skill", ""),
                part=t.get("part", ""),
            )
            for i, t in enumerate(tasks, start=1)
        ]
    )


def _load_sources(rows: list[dict[str, Any]], counts: dict[str, int]) -> None:
    for row in rows:
        date = row.get("document_date")
        Source.objects.update_or_create(
            code=row["code"],
            defaults={
                "title": row["title"],
                "kind": row["kind"],
                "document_number": str(row.get("document_number", "")),
                "document_date": date if isinstance(date, dt.date) else None,
                "url": row.get("url", ""),
                "note": row.get("note", ""),
            },
        )
        counts["sources"] += 1


def _load_parameters(rows: list[dict[str, Any]], counts: dict[str, int]) -> None:
    for row in rows:
        Parameter.objects.update_or_create(
            code=row["code"],
            valid_from=int(row.get("valid_from", 2000)),
            defaults={
                "name": row["name"],
                "value": row["value"],
                "unit": row.get("unit", ""),
                "description": row.get("description", ""),
                "source": Source.objects.get(code=row["source"]),
            },
        )
        counts["parameters"] += 1


def _load_simple(data_dir: Path, counts: dict[str, int]) -> None:
    _load_sources(_read_yaml("sources.yaml", data_dir), counts)
    for folder in area_data_dirs():
        if (folder / "sources.yaml").exists():
            _load_sources(_read_yaml("sources.yaml", folder) or [], counts)
    for order, row in enumerate(_read_yaml("subjects.yaml", data_dir)):
        Subject.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "aliases": row.get("aliases", []), "order": order},
        )
        counts["subjects"] += 1
    for order, row in enumerate(_read_yaml("procedures.yaml", data_dir)):
        Procedure.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "short_name": row["short_name"],
                "kind": row["kind"],
                "result": row["result"],
                "level": row.get("level", ""),
                "grades": row.get("grades", []),
                "order": order,
            },
        )
        counts["procedures"] += 1
    _load_parameters(_read_yaml("parameters.yaml", data_dir), counts)
    for folder in area_data_dirs():
        if (folder / "parameters.yaml").exists():
            _load_parameters(_read_yaml("parameters.yaml", folder) or [], counts)


def _load_mark_scales(
    data_dir: Path, lookup: Mapping[str, Subject], counts: dict[str, int]
) -> None:
    sources = _Sources()
    for row in _read_csv(data_dir / "exam_scales" / "oge_gve_mark_scales.csv"):
        exam = row["exam"].strip()
        proc_code = "ГВЭ-9" if exam.startswith("ГВЭ-9") else exam
        procedure = Procedure.objects.get(code=proc_code)
        subject = _subject(lookup, row["subject"])
        context = f"{exam} {row['year']} {row['subject']} — шкала отметок"
        source = sources.get(row["source_url"], row["source_kind"], context)
        bands = {str(m): row[f"mark_{m}"].strip() for m in (2, 3, 4, 5)}
        years = _years(row["year"])
        ScaleReference.objects.update_or_create(
            procedure=procedure,
            subject=subject,
            grade=9,
            year_text=row["year"].strip(),
            variant_series=row["variant"].strip(),
            defaults={
                "years": years,
                "max_primary": int(row["max_primary"]),
                "bands": bands,
                "conditions_text": row["conditions"].strip(),
                "profile_class_min": row["profile_class_min"].strip(),
                "source": source,
            },
        )
        counts["scale_references"] += 1
        for year in years:
            conditions = KNOWN_CONDITIONS.get((proc_code, year, subject.code), [])
            spec = ScaleSpec.from_bands(
                {int(k): v for k, v in bands.items()},
                max_score=float(row["max_primary"]),
                conditions=conditions,
            )
            status = (
                Assessment.ScaleStatus.OFFICIAL
                if source.kind == Source.Kind.OFFICIAL
                else Assessment.ScaleStatus.SECONDARY
            )
            assessment, _ = assessment_get_or_create(
                procedure=procedure,
                subject=subject,
                grade=9,
                year=year,
                variant_series=row["variant"].strip(),
                defaults={"max_primary": int(row["max_primary"])},
            )
            if (
                assessment.scale_status
                not in {
                    Assessment.ScaleStatus.CONFIRMED,
                    Assessment.ScaleStatus.OFFICIAL,
                }
                or status == Assessment.ScaleStatus.OFFICIAL
            ):
                assessment.scale_status = status
            assessment.max_primary = int(row["max_primary"])
            assessment.source = source
            assessment.save()
            MarkScale.objects.update_or_create(
                assessment=assessment,
                defaults={
                    "boundaries": {str(k): v for k, v in spec.boundaries.items()},
                    "conditions": [c.to_dict() for c in spec.conditions],
                    "conditions_text": row["conditions"].strip(),
                    "profile_class_min": row["profile_class_min"].strip(),
                    "source": source,
                },
            )
            counts["mark_scales"] += 1
    for row in _read_csv(data_dir / "exam_scales" / "vpr_grade8_mark_scales.csv"):
        source = sources.get(row["source_url"], row["source_kind"], "ВПР 8 класс — шкалы отметок")
        bands = {str(m): row[f"mark_{m}"].strip() for m in (2, 3, 4, 5)}
        ScaleReference.objects.update_or_create(
            procedure=Procedure.objects.get(code="ВПР"),
            subject=_subject(lookup, row["subject"]),
            grade=8,
            year_text="год не указан",
            variant_series="",
            defaults={
                "years": [],
                "max_primary": int(bands["5"].split("-")[1]),
                "bands": bands,
                "source": source,
            },
        )
        counts["scale_references"] += 1


def _load_min_scores(data_dir: Path, lookup: Mapping[str, Subject], counts: dict[str, int]) -> None:
    sources = _Sources()
    oge = Procedure.objects.get(code="ОГЭ")
    for row in _read_csv(data_dir / "exam_scales" / "oge_min_primary_scores.csv"):
        source = sources.get(
            row["source_url"], row["source_kind"], f"ОГЭ {row['year']} — минимальные баллы"
        )
        for subject in _subjects_of(lookup, row["subject"]):
            MinScore.objects.update_or_create(
                procedure=oge,
                subject=subject,
                year=int(row["year"]),
                purpose="отметка «3»",
                defaults={
                    "score": float(row["min_primary_for_mark_3"]),
                    "score_kind": "primary",
                    "condition": row["extra_condition"].strip(),
                    "source": source,
                },
            )
            counts["min_scores"] += 1
    ege = Procedure.objects.get(code="ЕГЭ")
    sources = _Sources()
    for row in _read_csv(data_dir / "exam_scales" / "ege_min_test_scores.csv"):
        source = sources.get(
            row["source_url"], row["source_kind"], f"ЕГЭ {row['year']} — минимальные баллы"
        )
        raw = row["min_test_score"].strip()
        mark_match = re.search(r"«(\d)»", raw)
        for subject in _subjects_of(lookup, row["subject"]):
            MinScore.objects.update_or_create(
                procedure=ege,
                subject=subject,
                year=int(row["year"]),
                purpose=row["purpose"].strip() or "минимальный балл",
                defaults={
                    "score": None if mark_match else float(raw),
                    "mark": int(mark_match.group(1)) if mark_match else None,
                    "score_kind": "test",
                    "source": source,
                },
            )
            counts["min_scores"] += 1


def _load_conversions(
    data_dir: Path, lookup: Mapping[str, Subject], counts: dict[str, int]
) -> None:
    ege = Procedure.objects.get(code="ЕГЭ")
    official_2017, _ = Source.objects.update_or_create(
        code="rosobrnadzor-920-10-2017",
        defaults={
            "title": (
                "Распоряжение Рособрнадзора от 26.04.2017 № 920-10, Приложение 2, «Таблица 3. "
                "Соответствие между первичными баллами и тестовыми баллами» (по публикации Гарант)"
            ),
            "kind": Source.Kind.OFFICIAL,
            "document_number": "920-10",
            "document_date": dt.date(2017, 4, 26),
            "note": (
                "В данных есть только первичные баллы 0–12; остальная часть таблицы недоступна."
            ),
        },
    )
    rows = _read_csv(data_dir / "exam_scales" / "ege_2017_primary_to_test_partial.csv")
    for column, code in _EGE_2017_COLUMNS.items():
        subject = lookup[normalize_name(code)]
        table = {str(int(r["primary"])): float(r[column]) for r in rows}
        assessment, _ = assessment_get_or_create(
            procedure=ege,
            subject=subject,
            grade=11,
            year=2017,
            defaults={"scale_status": Assessment.ScaleStatus.OFFICIAL, "source": official_2017},
        )
        ScoreConversion.objects.update_or_create(
            assessment=assessment,
            defaults={"table": table, "complete": False, "source": official_2017},
        )
        counts["conversions"] += 1
    secondary, _ = Source.objects.update_or_create(
        code="ege-math-profile-2025-school-media",
        defaults={
            "title": (
                "Шкала перевода баллов ЕГЭ 2025 по профильной математике "
                "(статья GitHub ValeryFilip/school-media)"
            ),
            "kind": Source.Kind.SECONDARY,
            "url": "https://github.com/ValeryFilip/school-media",
            "note": "В той же статье приведены две различающиеся таблицы (49→99 и 49→97).",
        },
    )
    rows = _read_csv(data_dir / "exam_scales" / "ege_math_profile_2025_primary_to_test.csv")
    assessment, _ = assessment_get_or_create(
        procedure=ege,
        subject=lookup[normalize_name("МАП")],
        grade=11,
        year=2025,
        defaults={"max_primary": 32},
    )
    assessment.max_primary = 32
    assessment.scale_status = Assessment.ScaleStatus.SECONDARY
    assessment.source = secondary
    assessment.save()
    ScoreConversion.objects.update_or_create(
        assessment=assessment,
        defaults={
            "table": {str(int(r["primary"])): float(r["test"]) for r in rows},
            "complete": True,
            "source": secondary,
        },
    )
    counts["conversions"] += 1


def _load_structures(data_dir: Path, lookup: Mapping[str, Subject], counts: dict[str, int]) -> None:
    informatics_rows = _read_csv(data_dir / "exam_scales" / "oge_informatics_task_max.csv")
    oge = Procedure.objects.get(code="ОГЭ")
    for assessment in Assessment.objects.filter(
        procedure=oge, subject__code="ИН", year__in=[2022, 2023]
    ):
        if not assessment.tasks.exists():
            tasks_replace(
                assessment,
                [{"number": r["task"], "max": r["max_points"]} for r in informatics_rows],
            )
            counts["tasks"] += len(informatics_rows)
    for row in _read_yaml("assessments.yaml", data_dir):
        procedure = Procedure.objects.get(code=row["procedure"])
        subject = lookup[normalize_name(row["subject"])]
        source = Source.objects.get(code=row["source"])
        assessment, _ = assessment_get_or_create(
            procedure=procedure,
            subject=subject,
            grade=row.get("grade"),
            year=int(row["year"]),
        )
        assessment.max_primary = row.get("max_primary")
        assessment.source = source
        assessment.scale_status = (
            Assessment.ScaleStatus.OFFICIAL
            if source.kind == Source.Kind.OFFICIAL
            else Assessment.ScaleStatus.SECONDARY
        )
        assessment.save()
        if row.get("tasks") and not assessment.tasks.exists():
            tasks_replace(assessment, row["tasks"])
            counts["tasks"] += len(row["tasks"])
        if row.get("scale"):
            spec = ScaleSpec.from_bands(
                {int(k): v for k, v in row["scale"].items()}, max_score=row.get("max_primary")
            )
            MarkScale.objects.update_or_create(
                assessment=assessment,
                defaults={
                    "boundaries": {str(k): v for k, v in spec.boundaries.items()},
                    "conditions": [],
                    "source": source,
                },
            )
            counts["mark_scales"] += 1


@transaction.atomic
def catalog_load_reference(*, data_dir: Path = DATA_DIR, force: bool = False) -> LoadReport:
    """Load (or refresh) the shipped reference data. Idempotent; skips when nothing changed.

    Returns what was written. Assessments created from imported files and scales confirmed by
    a specialist are left as they are.
    """
    checksum = data_checksum(data_dir)
    latest = CatalogVersion.objects.first()
    if latest is not None and latest.checksum == checksum and not force:
        return LoadReport(skipped=True, counts={})
    counts: dict[str, int] = dict.fromkeys(
        (
            "sources",
            "subjects",
            "procedures",
            "parameters",
            "scale_references",
            "mark_scales",
            "min_scores",
            "conversions",
            "tasks",
        ),
        0,
    )
    _load_simple(data_dir, counts)
    lookup = subject_lookup()
    _load_mark_scales(data_dir, lookup, counts)
    _load_min_scores(data_dir, lookup, counts)
    _load_conversions(data_dir, lookup, counts)
    _load_structures(data_dir, lookup, counts)
    CatalogVersion.objects.create(version=CATALOG_VERSION, checksum=checksum)
    return LoadReport(skipped=False, counts=counts)


def mark_scale_set(
    *,
    assessment: Assessment,
    boundaries: Mapping[int, float],
    status: str,
    source: Source,
    conditions: Iterable[Condition] = (),
) -> MarkScale:
    """Set or replace the mark scale of an assessment (e.g. inferred from data, or confirmed)."""
    spec = ScaleSpec(
        boundaries=dict(boundaries), max_score=assessment.max_primary, conditions=tuple(conditions)
    )
    scale, _ = MarkScale.objects.update_or_create(
        assessment=assessment,
        defaults={
            "boundaries": {str(k): v for k, v in sorted(spec.boundaries.items())},
            "conditions": [c.to_dict() for c in spec.conditions],
            "source": source,
        },
    )
    assessment.scale_status = status
    assessment.save(update_fields=["scale_status", "updated_at"])
    return scale
