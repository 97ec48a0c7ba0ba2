"""Import of registry files: organizations, teachers, classes (teaching assignments), students
(enrolments) and the social context of schools. These live in the application database; every
object created or changed is logged (:class:`RegistryChange`) so an import can be undone."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.deletion import ProtectedError
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from soko.catalog.models import Subject
from soko.core.errors import ApplicationError
from soko.imports.context import ImportContext, PlannedSlice
from soko.imports.models import ImportBatch, RegistryChange
from soko.imports.parsing import registry_files
from soko.imports.parsing.records import (
    ClassRecord,
    OrganizationRecord,
    Parsed,
    SocialContextRecord,
    StudentRecord,
    TeacherRecord,
    Where,
)
from soko.registry.models import (
    ClassGroup,
    Enrollment,
    Organization,
    OrganizationPeriod,
    SocialContext,
    Student,
    Teacher,
    TeachingAssignment,
    Territory,
)
from soko.registry.services import organization_change, organization_create, territory_upsert

REGISTRY_KINDS: dict[str, str] = {
    "organizations": "Реестр образовательных организаций",
    "teachers": "Педагоги",
    "classes": "Классы и преподавание предметов",
    "students": "Обучающиеся и их классы",
    "social_context": "Социальный контекст ОО",
}
MODELS: dict[str, type[models.Model]] = {
    m.__name__: m
    for m in (
        Territory,
        Organization,
        OrganizationPeriod,
        Teacher,
        ClassGroup,
        TeachingAssignment,
        Student,
        Enrollment,
        SocialContext,
    )
}


def _snapshot(obj: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key:
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        data[field.attname] = value
    for m2m in obj._meta.many_to_many:
        data[f"m2m:{m2m.name}"] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return data


class ChangeLog:
    """Collects what an import creates or changes, for undo."""

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        self.rows: list[RegistryChange] = []

    def created(self, objs: Iterable[models.Model]) -> None:
        for obj in objs:
            self.rows.append(
                RegistryChange(
                    batch=self.batch, model=type(obj).__name__, object_id=obj.pk, created=True
                )
            )

    def changed(self, obj: models.Model, before: dict[str, Any]) -> None:
        self.rows.append(
            RegistryChange(
                batch=self.batch,
                model=type(obj).__name__,
                object_id=obj.pk,
                created=False,
                before=before,
            )
        )

    def flush(self) -> None:
        RegistryChange.objects.bulk_create(self.rows, batch_size=5000)
        self.rows = []


class RegistryHandler:
    writes_facts = False

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.title = REGISTRY_KINDS[kind]
        self.records: list[Any] = []
        self.orgs: dict[str, int] = {}

    # --- prepare ----------------------------------------------------------------------------
    def prepare(self, ctx: ImportContext) -> None:
        _, parse = registry_files.PARSERS[self.kind]
        extra: dict[str, Any] = {}
        if "subject_codes" in inspect.signature(parse).parameters:
            extra["subject_codes"] = set(Subject.objects.values_list("code", flat=True))
        parsed: Parsed[Any] = parse(
            ctx.sheets, file_name=ctx.file_name, year=ctx.year, mapping=ctx.mapping, **extra
        )
        ctx.warnings.extend(parsed.warnings)
        ctx.problems.extend(parsed.problems.items, parsed.problems.total)
        if ctx.problems:
            return
        if not parsed.records:
            ctx.problems.add("no_rows", "В файле нет ни одной строки с данными.")
            return
        self.records = parsed.records
        self.orgs = {c.lower(): pk for c, pk in Organization.objects.values_list("code", "id")}
        if self.kind == "organizations":
            if ctx.scope.is_school:
                ctx.problems.add("forbidden", "Реестр ОО загружает орган управления образованием.")
                return
        else:
            self._check_orgs(ctx)
            if ctx.problems:
                return
        if self.kind == "classes":
            self._check_teachers(ctx)
        if ctx.problems:
            return
        by_org: dict[str, list[Any]] = {}
        for r in self.records:
            by_org.setdefault(self._org_code(r), []).append(r)
        for code, rows in by_org.items():
            year = getattr(rows[0], "year", None)
            ctx.plan.append(
                PlannedSlice(
                    unit_key="",
                    kind=self.kind,
                    rows=len(rows),
                    label=f"{self.title} — {code}" + (f", {year}" if year else ""),
                    organization_id=self.orgs.get(code),
                    year=year,
                    payload=code,
                )
            )
        ctx.summary["new_organizations"] = (
            sorted(c for c in by_org if c not in self.orgs) if self.kind == "organizations" else []
        )

    @staticmethod
    def _org_code(record: Any) -> str:
        if isinstance(record, OrganizationRecord):
            return (record.org.code or "").lower()
        return str(record.org_code).lower()

    def _check_orgs(self, ctx: ImportContext) -> None:
        own = ctx.scope.organization_id if ctx.scope.is_school else None
        reported: set[str] = set()
        for r in self.records:
            code = self._org_code(r)
            pk = self.orgs.get(code)
            where: Where = r.where
            if pk is None and code not in reported:
                reported.add(code)
                ctx.problems.add(
                    "unknown_organization",
                    "Организации с таким логином нет в реестре: сначала загрузите реестр ОО.",
                    sheet=where.sheet,
                    row=where.row,
                    column=where.column or "Логин ОО",
                    value=code,
                )
            elif own is not None and pk != own:
                ctx.problems.add(
                    "foreign_organization",
                    "Пользователь ОО может загружать данные только своей организации.",
                    sheet=where.sheet,
                    row=where.row,
                    column="Логин ОО",
                    value=code,
                )
                return

    def _check_teachers(self, ctx: ImportContext) -> None:
        known = {
            (org_id, code)
            for org_id, code in Teacher.objects.values_list("organization_id", "code")
        }
        for r in self.records:
            assert isinstance(r, ClassRecord)
            if r.teacher_code and (self.orgs[r.org_code.lower()], r.teacher_code) not in known:
                ctx.problems.add(
                    "unknown_teacher",
                    "Педагога с таким кодом нет в реестре этой ОО: сначала загрузите педагогов.",
                    sheet=r.where.sheet,
                    row=r.where.row,
                    column="Код педагога",
                    value=r.teacher_code,
                )
                if ctx.problems.total >= 200:
                    return

    # --- write ------------------------------------------------------------------------------
    def write_app(self, ctx: ImportContext, batch: Any) -> None:
        log = ChangeLog(batch)
        user = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
        writer = getattr(self, f"_write_{self.kind}")
        writer(log, batch, user)
        log.flush()
        self.orgs = {c.lower(): pk for c, pk in Organization.objects.values_list("code", "id")}
        for ps in ctx.plan:
            ps.organization_id = self.orgs.get(str(ps.payload))

    def _write_organizations(self, log: ChangeLog, batch: ImportBatch, user: Any) -> None:
        subjects = {s.code: s for s in Subject.objects.all()}
        today = timezone.localdate()
        territories: dict[str, Territory] = {}
        for r in self.records:
            assert isinstance(r, OrganizationRecord)
            region = territories.get(r.region_code)
            if region is None:
                region = self._territory(
                    log, r.region_code, r.org.region or r.region_code, Territory.Kind.REGION, None
                )
                territories[r.region_code] = region
            mun = territories.get(r.municipality_code)
            if mun is None:
                mun = self._territory(
                    log,
                    r.municipality_code,
                    r.org.municipality,
                    Territory.Kind.MUNICIPALITY,
                    region,
                )
                territories[r.municipality_code] = mun
            code = (r.org.code or "").lower()
            depth = [subjects[c] for c in r.in_depth_subjects if c in subjects]
            existing = Organization.objects.filter(code=code).first()
            if existing is None:
                org = organization_create(
                    code=code,
                    name=r.org.name,
                    short_name=r.short_name or r.org.name,
                    territory=mun,
                    kind=r.kind,
                    org_type=r.org_type,
                    settlement=r.settlement or "urban",
                    in_depth_subjects=depth,
                    head_name=r.head_name,
                    inn=r.org.inn or "",
                    ogrn=r.org.ogrn or "",
                )
                log.created([org, *org.periods.all()])
                continue
            changes: dict[str, Any] = {}
            wanted = {
                "name": r.org.name,
                "short_name": r.short_name or r.org.name,
                "kind": r.kind,
                "org_type": r.org_type,
                "head_name": r.head_name,
            }
            if r.settlement:
                wanted["settlement"] = r.settlement
            changes.update(
                {f: v for f, v in wanted.items() if v and getattr(existing, f) != v}
            )
            if existing.territory_id != mun.pk:
                changes["territory"] = mun
            if {s.pk for s in depth} != set(
                existing.in_depth_subjects.values_list("pk", flat=True)
            ):
                changes["in_depth_subjects"] = depth
            if not changes:
                continue
            before = _snapshot(existing)
            periods_before = {p.pk: _snapshot(p) for p in existing.periods.all()}
            period = organization_change(
                organization=existing,
                effective=today,
                changes=changes,
                reason=f"загрузка №{batch.pk} («{batch.file_name}»)",
            )
            log.changed(existing, before)
            for pk, snap in periods_before.items():
                log.rows.append(
                    RegistryChange(
                        batch=batch,
                        model="OrganizationPeriod",
                        object_id=pk,
                        created=False,
                        before=snap,
                    )
                )
            if period.pk not in periods_before:
                log.created([period])

    def _territory(
        self, log: ChangeLog, code: str, name: str, kind: str, parent: Territory | None
    ) -> Territory:
        existing = Territory.objects.filter(code=code).first()
        if existing is not None:
            if existing.name != name and name:
                log.changed(existing, _snapshot(existing))
                existing.name = name
                existing.save(update_fields=["name", "updated_at"])
            return existing
        territory = territory_upsert(code=code, name=name or code, kind=kind, parent=parent)
        log.created([territory])
        return territory

    def _write_teachers(self, log: ChangeLog, batch: ImportBatch, user: Any) -> None:
        subjects = {s.code: s for s in Subject.objects.all()}
        existing = {
            (t.organization_id, t.code): t
            for t in Teacher.objects.filter(organization_id__in=set(self.orgs.values()))
        }
        new: list[Teacher] = []
        new_subjects: dict[tuple[int, str], tuple[str, ...]] = {}
        for r in self.records:
            assert isinstance(r, TeacherRecord)
            org_id = self.orgs[r.org_code.lower()]
            values = {
                "category": r.category or "none",
                "experience_years": r.experience_years,
                "birth_year": r.birth_year,
                "is_active": True,
            }
            teacher = existing.get((org_id, r.code))
            if teacher is None:
                new.append(Teacher(organization_id=org_id, code=r.code, **values))
                new_subjects[(org_id, r.code)] = r.subjects
                continue
            before = _snapshot(teacher)
            changed = False
            for field, value in values.items():
                if getattr(teacher, field) != value:
                    setattr(teacher, field, value)
                    changed = True
            want = {subjects[c].pk for c in r.subjects if c in subjects}
            if want != set(before.get("m2m:subjects", [])):
                teacher.subjects.set(want)
                changed = True
            if changed:
                teacher.save()
                log.changed(teacher, before)
        bulk_create_with_history(new, Teacher, batch_size=2000, default_user=user)
        created = list(
            Teacher.objects.filter(
                organization_id__in={t.organization_id for t in new}, code__in={t.code for t in new}
            )
        )
        through = Teacher.subjects.through
        links = [
            through(teacher_id=t.pk, subject_id=subjects[c].pk)
            for t in created
            for c in new_subjects.get((t.organization_id, t.code), ())
            if c in subjects
        ]
        through.objects.bulk_create(links, batch_size=5000)
        log.created(created)

    def _write_classes(self, log: ChangeLog, batch: ImportBatch, user: Any) -> None:
        subjects = {s.code: s for s in Subject.objects.all()}
        teachers = {
            (org_id, code): pk
            for pk, org_id, code in Teacher.objects.values_list("id", "organization_id", "code")
        }
        classes = self._ensure_classes(
            log,
            user,
            {
                (self.orgs[r.org_code.lower()], r.year, r.label): (r.grade, r.profile)
                for r in self.records
                if isinstance(r, ClassRecord)
            },
        )
        existing = {
            (a.class_group_id, a.subject_id): a
            for a in TeachingAssignment.objects.filter(
                class_group_id__in={c.pk for c in classes.values()}
            )
        }
        new: list[TeachingAssignment] = []
        for r in self.records:
            assert isinstance(r, ClassRecord)
            if not r.subject or r.subject not in subjects:
                continue
            org_id = self.orgs[r.org_code.lower()]
            cls = classes[(org_id, r.year, r.label)]
            teacher_id = teachers.get((org_id, r.teacher_code))
            if teacher_id is None:
                continue
            current = existing.get((cls.pk, subjects[r.subject].pk))
            if current is None:
                new.append(
                    TeachingAssignment(
                        class_group=cls, subject=subjects[r.subject], teacher_id=teacher_id
                    )
                )
            elif current.teacher_id != teacher_id:
                log.changed(current, _snapshot(current))
                current.teacher_id = teacher_id
                current.save(update_fields=["teacher"])
        bulk_create_with_history(new, TeachingAssignment, batch_size=5000, default_user=user)
        created = TeachingAssignment.objects.filter(
            class_group_id__in={a.class_group_id for a in new}
        )
        keys = {(a.class_group_id, a.subject_id) for a in new}
        log.created(a for a in created if (a.class_group_id, a.subject_id) in keys)

    def _ensure_classes(
        self, log: ChangeLog, user: Any, wanted: dict[tuple[int, int, str], tuple[int, str]]
    ) -> dict[tuple[int, int, str], ClassGroup]:
        found = {
            (c.organization_id, c.year, c.label): c
            for c in ClassGroup.objects.filter(organization_id__in={k[0] for k in wanted})
        }
        new = [
            ClassGroup(organization_id=org, year=year, label=label, grade=grade, profile=profile)
            for (org, year, label), (grade, profile) in wanted.items()
            if (org, year, label) not in found
        ]
        if new:
            bulk_create_with_history(new, ClassGroup, batch_size=2000, default_user=user)
            fresh = ClassGroup.objects.filter(organization_id__in={c.organization_id for c in new})
            new_keys = {(c.organization_id, c.year, c.label) for c in new}
            made = [c for c in fresh if (c.organization_id, c.year, c.label) in new_keys]
            log.created(made)
            found.update({(c.organization_id, c.year, c.label): c for c in made})
        for key, (_grade, profile) in wanted.items():
            cls = found[key]
            if profile and cls.profile != profile:
                log.changed(cls, _snapshot(cls))
                cls.profile = profile
                cls.save(update_fields=["profile", "updated_at"])
        return found

    def _write_students(self, log: ChangeLog, batch: ImportBatch, user: Any) -> None:
        records = [r for r in self.records if isinstance(r, StudentRecord)]
        wanted = {}
        for r in records:
            org_id = self.orgs[r.org_code.lower()]
            wanted[(org_id, r.year, r.class_label)] = (_grade_of(r.class_label), "")
        classes = self._ensure_classes(log, user, wanted)
        latest: dict[str, StudentRecord] = {}
        for r in records:
            if r.code not in latest or r.year > latest[r.code].year:
                latest[r.code] = r
        existing = {s.code: s for s in Student.objects.filter(code__in=list(latest))}
        new: list[Student] = []
        changed: list[Student] = []
        for code, r in latest.items():
            values = {
                "organization_id": self.orgs[r.org_code.lower()],
                "birth_year": r.birth_year,
                "sex": r.sex or "",
                "has_disability": r.has_disability,
            }
            student = existing.get(code)
            if student is None:
                new.append(Student(code=code, **values))
                continue
            if any(getattr(student, f) != v for f, v in values.items()):
                log.changed(student, _snapshot(student))
                for f, v in values.items():
                    setattr(student, f, v)
                changed.append(student)
        Student.objects.bulk_create(new, batch_size=5000)
        Student.objects.bulk_update(
            changed, ["organization", "birth_year", "sex", "has_disability"], batch_size=5000
        )
        ids = dict(Student.objects.filter(code__in=list(latest)).values_list("code", "id"))
        log.created(Student(pk=ids[s.code], code=s.code) for s in new)
        have = set(
            Enrollment.objects.filter(student_id__in=list(ids.values())).values_list(
                "student_id", "class_group_id"
            )
        )
        links = []
        for r in records:
            cls = classes[(self.orgs[r.org_code.lower()], r.year, r.class_label)]
            key = (ids[r.code], cls.pk)
            if key not in have:
                have.add(key)
                links.append(Enrollment(student_id=key[0], class_group_id=key[1]))
        Enrollment.objects.bulk_create(links, batch_size=5000)
        made = Enrollment.objects.filter(student_id__in={e.student_id for e in links}).values_list(
            "id", "student_id", "class_group_id"
        )
        keys = {(e.student_id, e.class_group_id) for e in links}
        log.created(Enrollment(pk=pk) for pk, s, c in made if (s, c) in keys)

    def _write_social_context(self, log: ChangeLog, batch: ImportBatch, user: Any) -> None:
        for r in self.records:
            assert isinstance(r, SocialContextRecord)
            org_id = self.orgs[r.org_code.lower()]
            values = {
                "students_total": r.students_total,
                "low_income": r.low_income,
                "single_parent": r.single_parent,
                "parents_higher_ed": r.parents_higher_ed,
                "non_native_russian": r.non_native_russian,
                "disabled": r.disabled,
                "kdn_pdn": r.kdn_pdn,
                "staff_vacancies": r.staff_vacancies,
                "second_shift": r.second_shift,
                "remoteness_km": r.remoteness_km,
                "source_note": f"загрузка №{batch.pk} («{batch.file_name}»)",
            }
            current = SocialContext.objects.filter(organization_id=org_id, year=r.year).first()
            if current is None:
                obj = SocialContext(organization_id=org_id, year=r.year, **values)
                obj._history_user = user  # type: ignore[attr-defined]
                obj.save()
                log.created([obj])
                continue
            before = _snapshot(current)
            for f, v in values.items():
                setattr(current, f, v)
            current._history_user = user  # type: ignore[attr-defined]
            current.save()
            log.changed(current, before)

    def write_facts(self, ctx: ImportContext, writer: Any, slice_ids: list[int]) -> int:
        return 0

    def close(self) -> None:
        self.records = []


def _grade_of(label: str) -> int:
    digits = "".join(ch for ch in label if ch.isdigit())
    return int(digits) if digits else 0


def registry_undo(batch: ImportBatch) -> None:
    """Put the registry back as it was before ``batch`` (inside the caller's transaction)."""
    changes = list(batch.changes.order_by("-id"))
    for change in changes:
        model = MODELS[change.model]
        if change.created:
            try:
                model.objects.filter(pk=change.object_id).delete()  # type: ignore[attr-defined]
            except ProtectedError as exc:
                raise ApplicationError(
                    f"Загрузку №{batch.pk} нельзя отменить: на созданные ею записи "
                    f"({model._meta.verbose_name}) уже ссылаются другие данные. Сначала "
                    "отмените более поздние загрузки."
                ) from exc
            continue
        obj = model.objects.filter(pk=change.object_id).first()  # type: ignore[attr-defined]
        if obj is None:
            continue
        m2m: dict[str, list[int]] = {}
        for key, value in change.before.items():
            if key.startswith("m2m:"):
                m2m[key[4:]] = value
                continue
            field = (
                obj._meta.get_field(key.removesuffix("_id"))
                if key.endswith("_id")
                else (obj._meta.get_field(key))
            )
            if isinstance(field, models.DateTimeField) and isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            elif isinstance(field, models.DateField) and isinstance(value, str):
                value = dt.date.fromisoformat(value)
            setattr(obj, key, value)
        obj.save()
        for name, pks in m2m.items():
            getattr(obj, name).set(pks)
