"""Demo content of the monitoring area (called through ``services.seed_demo_monitoring``).

Everything goes through the real services: campaigns are sent, forms are saved, submitted,
returned and accepted, survey answers are recorded with one-time keys. The figures are
plausible and consistent with the registry the demo imported (pupils by grade, teachers and
their categories, social context): every value obeys the form's rules. Draws are
deterministic for a seed (``random.Random`` seeded with a string per school, year and form).
Only the timestamps of past campaigns are set afterwards, so that history looks like history.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from soko.accounts.models import Role
from soko.accounts.scope import SYSTEM, Scope
from soko.monitoring import services
from soko.monitoring.models import (
    Campaign,
    FormTemplate,
    Questionnaire,
    Submission,
    SubmissionEvent,
    Survey,
    SurveyOrganization,
)
from soko.registry.models import (
    ClassGroup,
    Enrollment,
    Organization,
    SocialContext,
    Student,
    Teacher,
    Territory,
)

SCHOOL_FORMS = ("career", "upbringing", "talents", "teachers", "leaders", "literacy",
                "objectivity", "risk_profile")
CONTESTS = (
    ("Всероссийский конкурс «Большая перемена»", "social"),
    ("Научно-практическая конференция «Старт в науку»", "intellectual"),
    ("Областной конкурс «Победа далёкая и близкая»", "creative"),
    ("Всероссийский конкурс чтецов «Живая классика»", "artistic"),
    ("Олимпиада школьников «Высшая проба»", "intellectual"),
    ("Всероссийские спортивные соревнования «Президентские состязания»", "sport"),
    ("Конкурс исследовательских работ «Шаг в будущее»", "intellectual"),
    ("Фестиваль детского творчества «Звёздочки»", "artistic"),
    ("Конкурс социальных проектов «Моя малая родина»", "social"),
)
SUBJECT_GROUPS = {"РУ": "ru", "ЛИ": "ru", "МА": "ma", "ИН": "it", "ФИ": "ph", "ХИ": "ch",
                  "БИ": "bi", "ГЕ": "ge", "ИС": "hi", "ОБ": "hi", "АЯ": "fl", "ОМ": "pr"}
RISKS = ("risk_equipment", "risk_staff_shortage", "risk_teacher_competence",
         "risk_low_adaptivity", "risk_inschool_pd", "risk_academic_failure",
         "risk_language_barriers", "risk_school_climate", "risk_parent_involvement",
         "risk_low_motivation", "risk_special_needs")


def _rng(seed: int, *parts: Any) -> random.Random:
    """A reproducible stream for demo figures (not for anything secret)."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))  # noqa: S311


def _part(rng: random.Random, whole: int, lo: float, hi: float) -> int:
    """A random part of a whole (never more than the whole)."""
    return max(0, min(whole, round(whole * rng.uniform(lo, hi))))


class _School:
    """What the registry knows about a school in a year (the base of consistent answers)."""

    def __init__(self, org: Organization, year: int, grades: dict[int, int],
                 social: SocialContext | None, classes: int, teachers: list[Teacher]) -> None:
        self.org = org
        self.grades = grades
        self.total = sum(self.grades.values()) or (social.students_total if social else 300)
        self.ovz = min(self.total, (social.disabled or 0) if social else round(self.total * 0.03))
        self.kdn = min(self.total, (social.kdn_pdn or 0) if social else 1)
        self.vacancies = (social.staff_vacancies or 0) if social else 0
        share = (social.share("low_income") or 0.0) if social else 0.1
        single = (social.share("single_parent") or 0.0) if social else 0.15
        self.disadvantage = max(0.0, min(1.0, 1.6 * share + 0.8 * single
                                         + (0.15 if org.settlement == "rural" else 0.0)))
        self.classes = classes
        self.teachers = teachers

    def grade_sum(self, lo: int, hi: int) -> int:
        return sum(n for g, n in self.grades.items() if lo <= g <= hi)


def _schools_of(orgs: Sequence[Organization], year: int) -> dict[str, _School]:
    """The registry facts of all schools for a year, read in a few queries."""
    ids = [o.pk for o in orgs]
    grades: dict[int, dict[int, int]] = {}
    for org_id, grade, n in (
        Enrollment.objects.filter(class_group__organization_id__in=ids, class_group__year=year)
        .values_list("class_group__organization_id", "class_group__grade")
        .annotate(n=Count("id")).order_by()
    ):
        grades.setdefault(org_id, {})[int(grade)] = int(n)
    social: dict[int, SocialContext] = {}
    for row in SocialContext.objects.filter(organization_id__in=ids, year__lte=year).order_by(
            "organization_id", "year"):
        social[row.organization_id] = row  # the latest year wins
    classes = dict(ClassGroup.objects.filter(organization_id__in=ids, year=year)
                   .values_list("organization_id").annotate(n=Count("id")).order_by())
    teachers: dict[int, list[Teacher]] = {}
    for t in Teacher.objects.filter(organization_id__in=ids, is_active=True).prefetch_related(
            "subjects"):
        teachers.setdefault(t.organization_id, []).append(t)
    return {o.code: _School(o, year, grades.get(o.pk, {}), social.get(o.pk),
                            int(classes.get(o.pk, 0)), teachers.get(o.pk, []))
            for o in orgs}


def _yes(rng: random.Random, p: float) -> str:
    return "да" if rng.random() < p else "нет"


def _career(s: _School, r: random.Random, year: int) -> dict[str, Any]:
    total, s6, s7, s8 = s.total, s.grade_sum(6, 11), s.grade_sum(7, 11), s.grade_sum(8, 11)
    s10 = s.grade_sum(10, 11)
    boost = {2024: 0.0, 2025: 0.08, 2026: 0.15}.get(year, 0.1) - 0.15 * s.disadvantage
    g9, g11 = s.grades.get(9, 0), s.grades.get(11, 0)
    classes = 0 if s10 == 0 else r.randint(0, 2)
    profile_students = min(s10, classes * r.randint(14, 24))
    class10 = _part(r, g9, 0.35, 0.6)
    spo9 = _part(r, g9 - class10, 0.6, 0.95)
    vo = _part(r, g11, 0.45, 0.75)
    spo11 = _part(r, g11 - vo, 0.3, 0.7)
    work = _part(r, g11 - vo - spo11, 0.2, 0.8)
    profile_total = min(g11, profile_students // 2)
    requests = r.randint(0, 4)
    return {
        "career_students_total": total,
        "career_students_6_11": s6,
        "career_students_7_11": s7,
        "career_students_8_11": s8,
        "career_students_10_11": s10,
        "career_students_ovz": s.ovz,
        "career_courses_6_11": _part(r, s6, 0.35 + boost, 0.7 + boost),
        "career_bilet_participants": _part(r, s6, 0.3 + boost, 0.55 + boost),
        "career_bilet_trials": _part(r, s6, 0.05, 0.18 + boost / 2),
        "career_meet_prof_edu_8_11": _part(r, s8, 0.6 + boost, 0.95),
        "career_meet_business": _part(r, total, 0.5 + boost, 0.9),
        "career_excursions_7_11": _part(r, s7, 0.3 + boost, 0.75),
        "career_online_lessons": _part(r, total, 0.4 + boost, 0.85),
        "career_ovz_covered": _part(r, s.ovz, 0.4, 1.0),
        "career_contest_participants": _part(r, total, 0.02, 0.1),
        "career_parent_events": r.randint(1, 6),
        "career_partner_agreements": r.randint(0, 5),
        "career_profile_classes": classes,
        "career_profile_students": profile_students,
        "career_grad9_total": g9,
        "career_grad9_class10": class10,
        "career_grad9_spo": spo9,
        "career_grad11_total": g11,
        "career_grad11_vo": vo,
        "career_grad11_spo": spo11,
        "career_grad11_region": _part(r, vo + spo11, 0.4, 0.8),
        "career_grad11_pedagogy": _part(r, vo + spo11, 0.02, 0.12),
        "career_grad11_work": work,
        "career_grad_profile_total": profile_total,
        "career_grad_profile_match": _part(r, profile_total, 0.5, 0.85),
        "career_target_requests": requests,
        "career_target_granted": r.randint(0, requests),
    }


def _upbringing(s: _School, r: random.Random, year: int) -> dict[str, Any]:
    total = s.total
    step = {2024: 0.0, 2025: 0.1, 2026: 0.2}.get(year, 0.1)
    internal = min(total - s.kdn, round(s.kdn * r.uniform(1.0, 2.5)) + r.randint(0, 3))
    eligible = s.grade_sum(7, 11)
    class_teachers = max(1, s.classes)
    return {
        "upb_students_total": total,
        "upb_program_approved": _yes(r, 0.85 + step / 2),
        "upb_adviser": _yes(r, 0.55 + 2 * step),
        "upb_sports_club": _yes(r, 0.6 + step),
        "upb_museum": _yes(r, 0.35),
        "upb_clubs": max(2, round(total / 40 * r.uniform(0.6, 1.4))),
        "upb_rddm_members": _part(r, total, 0.08 + step, 0.25 + step),
        "upb_yunarmiya_members": _part(r, total, 0.01, 0.06),
        "upb_volunteers": _part(r, total, 0.06 + step / 2, 0.22 + step / 2),
        "upb_partner_events": r.randint(2, 14),
        "upb_parent_events": r.randint(2, 9),
        "upb_summer_covered": _part(r, total, 0.3, 0.65),
        "upb_class_teachers": class_teachers,
        "upb_class_teachers_trained": _part(r, class_teachers, 0.3 + step, 0.8 + step / 2),
        "upb_kdn_pdn": s.kdn,
        "upb_internal_register": internal,
        "upb_registered_in_do": _part(r, s.kdn + internal, 0.4, 0.9),
        "upb_offenders": min(total, r.randint(0, s.kdn + 1)),
        "upb_spt_eligible": eligible,
        "upb_spt_tested": _part(r, eligible, 0.8, 0.98),
    }


def _talents(s: _School, r: random.Random, year: int) -> dict[str, Any]:
    total = s.total
    other = _part(r, total, 0.15, 0.45 - 0.15 * s.disadvantage)
    shifts = _part(r, total, 0.01, 0.05)
    ovz_contests = min(other, _part(r, s.ovz, 0.1, 0.4))
    graduates = s.grades.get(9, 0) + s.grades.get(11, 0)
    talented = min(graduates, r.randint(0, 6))
    teachers = len(s.teachers) or 20
    codes = list(
        Student.objects.filter(
            enrollments__class_group__organization=s.org,
            enrollments__class_group__year=year,
            enrollments__class_group__grade__gte=5,
        ).order_by("code").values_list("code", "enrollments__class_group__grade")
    )
    rows = []
    for code, grade in r.sample(codes, min(len(codes), r.randint(2, 8))):
        contest, field = r.choice(CONTESTS)
        level = r.choices(["school", "municipal", "regional", "federal"], [3, 4, 2, 1])[0]
        result = r.choices(["participant", "prize", "winner"], [5, 3, 1])[0]
        rows.append({"student_code": code, "grade": str(grade), "contest": contest,
                     "level": level, "field": field, "result": result})
    return {
        "tal_students_total": total,
        "tal_students_ovz": s.ovz,
        "tal_other_forms": other,
        "tal_ovz_contests": ovz_contests,
        "tal_shifts": shifts,
        "tal_shifts_ovz": min(shifts, _part(r, s.ovz, 0.0, 0.1)),
        "tal_students_do": _part(r, total, 0.55, 0.85 - 0.1 * s.disadvantage),
        "tal_engineering": min(total, r.randint(0, 3)),
        "tal_individual_plans": min(total, r.randint(0, 8)),
        "tal_parent_events": r.randint(0, 4),
        "tal_grad_talented": talented,
        "tal_grad_enrolled": _part(r, talented, 0.6, 1.0),
        "tal_teachers": teachers,
        "tal_teachers_trained": _part(r, teachers, 0.05, 0.3),
        "talent_contests": rows,
    }


def _teachers(s: _School, r: random.Random, year: int) -> dict[str, Any]:
    total = len(s.teachers) or 20
    young = sum(1 for t in s.teachers if t.experience_years is not None
                and t.experience_years <= 3)
    young = min(len(s.teachers), young + r.randint(0, 2))  # the registry lists few of them
    highest = sum(1 for t in s.teachers if t.category == Teacher.Category.HIGHEST)
    first = sum(1 for t in s.teachers if t.category == Teacher.Category.FIRST)
    step = {2024: 0.0, 2025: 0.05, 2026: 0.1}.get(year, 0.05)
    courses = _part(r, total, 0.25, 0.55)
    groups: Counter[str] = Counter()
    for t in s.teachers:
        codes = [sub.code for sub in t.subjects.all()]
        main = "ОМ" if "ОМ" in codes else (codes[0] if codes else "")
        groups[SUBJECT_GROUPS.get(main, "ot")] += 1
    table = []
    for code, n in sorted(groups.items()):
        table.append({"subject": code, "teachers": str(n),
                      "diagnosed": str(_part(r, n, 0.0, 0.35)),
                      "courses": str(_part(r, n, 0.2, 0.6))})
    return {
        "tch_total": total,
        "tch_young": young,
        "tch_highest_category": highest,
        "tch_first_category": first,
        "tch_attested": _part(r, total, 0.08, 0.2),
        "tch_vacancies": s.vacancies,
        "tch_need_5y": s.vacancies + r.randint(0, 6),
        "tch_diagnosed": _part(r, total, 0.03 + step, 0.2 + step),
        "tch_courses": courses,
        "tch_courses_by_deficits": _part(r, courses, 0.1 + step, 0.4 + step),
        "tch_retraining": _part(r, total, 0.0, 0.05),
        "tch_young_covered": _part(r, young, 0.6, 1.0),
        "tch_young_mentored": _part(r, young, 0.5 + step, 1.0),
        "tch_mentoring": _part(r, total, 0.1, 0.3),
        "tch_experts": _part(r, total, 0.05, 0.2),
        "tch_contests": min(total, r.randint(0, 4)),
        "tch_method_groups": r.randint(2, 8),
        "tch_network": _yes(r, 0.75 + step),
        "tch_by_subject": table,
    }


def _leaders(s: _School, r: random.Random, year: int) -> dict[str, Any]:
    step = {2024: 0.0, 2025: 0.1, 2026: 0.2}.get(year, 0.1)
    diagnosed = r.random() < 0.45 + step
    admins = max(2, min(6, round(s.total / 200) + 1))
    level = r.choices(["high", "medium", "low"], [3, 5, 1 + 3 * s.disadvantage])[0]
    return {
        "ldr_head_diagnosed": "да" if diagnosed else "нет",
        "ldr_head_level": level if diagnosed else "",
        "ldr_head_dpo": _yes(r, 0.55 + step),
        "ldr_head_internship": _yes(r, 0.25 + step),
        "ldr_head_contest": _yes(r, 0.2),
        "ldr_admins": admins,
        "ldr_admins_dpo": _part(r, admins, 0.3 + step, 1.0),
        "ldr_reserve": r.randint(0, 3),
        "ldr_students_ovz": s.ovz,
        "ldr_students_ovz_aoop": _part(r, s.ovz, 0.5, 1.0),
        "ldr_ovz_conditions": _yes(r, 0.6 + step),
        "ldr_vsoko_regulation": _yes(r, 0.85 + step / 2),
        "ldr_best_school_contest": _yes(r, 0.2),
        "ldr_noko_score": f"{r.uniform(72, 97):.1f}".replace(".", ",") if r.random() < 0.7
        else "",
    }


def _literacy(s: _School, r: random.Random, year: int) -> dict[str, Any]:
    total, s59 = s.total, s.grade_sum(5, 9)
    assessed = _part(r, total, 0.3, 0.75)
    reading = _part(r, assessed, 0.5, 0.9)
    math_ = _part(r, assessed, 0.4, 0.85)
    science = _part(r, assessed, 0.3, 0.7)
    good = 0.75 - 0.3 * s.disadvantage
    meta = _part(r, s59, 0.5, 0.95)
    return {
        "lit_students_total": total,
        "lit_students_5_9": s59,
        "lit_assessed": assessed,
        "lit_reading_assessed": reading,
        "lit_reading_success": _part(r, reading, good - 0.1, good + 0.1),
        "lit_math_assessed": math_,
        "lit_math_success": _part(r, math_, good - 0.15, good + 0.05),
        "lit_science_assessed": science,
        "lit_science_success": _part(r, science, good - 0.12, good + 0.08),
        "lit_tool": r.choices(["resh", "regional", "municipal", "school"], [6, 2, 1, 1])[0],
        "lit_meta_assessed_5_9": meta,
        "lit_meta_high_5_9": _part(r, meta, 0.05, 0.25 - 0.1 * s.disadvantage),
    }


def _objectivity(s: _School, r: random.Random, year: int) -> dict[str, Any]:
    step = {2024: 0.0, 2025: 0.1, 2026: 0.2}.get(year, 0.1)
    subjects = min(18, max(4, round(s.total / 50)))
    observed = _part(r, subjects, 0.1 + step, 0.8 + step / 2)
    return {
        "obj_local_act": _yes(r, 0.75 + step),
        "obj_vpr_video": _yes(r, 0.4 + step),
        "obj_vpr_crosscheck": _yes(r, 0.5 + step),
        "obj_parent_meetings": _yes(r, 0.85),
        "obj_observers_trained": r.randint(1, 6),
        "obj_vsosh_subjects": subjects,
        "obj_vsosh_observed_subjects": observed,
        "obj_vsosh_observers": "да" if observed else "нет",
    }


def _risk_profile(s: _School, r: random.Random, year: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    scores = {}
    for code in RISKS:
        base = r.uniform(0, 1) * 0.6 + s.disadvantage * 0.9
        if code == "risk_special_needs":
            base = 3.0 * (s.ovz / max(1, s.total)) + r.uniform(0, 0.3)
        if code == "risk_staff_shortage":
            base += 0.25 * s.vacancies
        level = "high" if base > 0.85 else "medium" if base > 0.45 else "low"
        out[code] = level
        scores[code] = base
    ranked = sorted(RISKS, key=lambda c: -scores[c])
    flagged = [c for c in ranked if out[c] != "low"]
    out["rp_priorities"] = (flagged or ranked)[: r.randint(1, 3)]
    any_high = any(out[c] == "high" for c in RISKS)
    out.update({
        "rp_antirisk_programs": "да" if any_high or r.random() < 0.4 else "нет",
        "rp_development_program": _yes(r, 0.7),
        "rp_curator": "да" if s.disadvantage > 0.45 or r.random() < 0.2 else "нет",
        "rp_network_leader": _yes(r, 0.3 + 0.4 * s.disadvantage),
        "rp_network_do": _yes(r, 0.5),
        "rp_roadmap_url": "",
    })
    return out


def _preschool(org: Organization, r: random.Random, year: int) -> dict[str, Any]:
    step = {2024: 0.0, 2025: 0.1, 2026: 0.2}.get(year, 0.1)
    children = r.randint(90, 240)
    groups = math.ceil(children / 22) + r.randint(0, 1)
    ovz = _part(r, children, 0.03, 0.1)
    older = _part(r, children, 0.28, 0.38)
    teachers = round(children / 10) + r.randint(0, 3)
    aoop = ovz > 0 and r.random() < 0.8
    return {
        "doo_prog_child_choice": _yes(r, 0.6 + step),
        "doo_aoop_implemented": "да" if aoop else "нет",
        "doo_aoop_on_site": (_yes(r, 0.55 + step) if aoop else ""),
        "doo_adapted_individual": _yes(r, 0.5 + step),
        "doo_programs_url": f"https://{org.code}.example.ru/obrazovanie",
        "doo_rooms_fgos": _yes(r, 0.65 + step),
        "doo_resource_center": _yes(r, 0.3 + step),
        "doo_continuity_plan": _yes(r, 0.7 + step),
        "doo_children": children,
        "doo_groups": groups,
        "doo_groups_over_norm": r.randint(0, groups // 3),
        "doo_children_ovz": ovz,
        "doo_children_ovz_aoop": _part(r, ovz, 0.5, 1.0),
        "doo_children_older": older,
        "doo_kem_byt": _part(r, older, 0.5 + step, 0.95),
        "doo_teachers": teachers,
        "doo_teachers_higher_ped": _part(r, teachers, 0.4, 0.8),
        "doo_teachers_category": _part(r, teachers, 0.3, 0.7),
        "doo_teachers_pk3": _part(r, teachers, 0.7, 1.0),
        "doo_specialists": r.randint(1, 4),
    }


BUILDERS: dict[str, Callable[[_School, random.Random, int], dict[str, Any]]] = {
    "career": _career,
    "upbringing": _upbringing,
    "talents": _talents,
    "teachers": _teachers,
    "leaders": _leaders,
    "literacy": _literacy,
    "objectivity": _objectivity,
    "risk_profile": _risk_profile,
}


def _as_raw(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, int) else v) for k, v in values.items()}


def _demo_preschools(territory: Territory, seed: int) -> list[Organization]:
    """The demo municipality has schools only; six kindergartens are added to it."""
    from soko.registry.services import organization_create

    existing = list(Organization.objects.filter(kind="preschool", territory=territory)
                    .order_by("code"))
    if existing:
        return existing
    r = _rng(seed, "preschools")
    out = []
    for i in range(1, 7):
        code = f"doo{territory.code}{i:02d}"
        if Organization.objects.filter(code=code).exists():
            continue
        out.append(
            organization_create(
                code=code,
                name=f"Муниципальное бюджетное дошкольное образовательное учреждение «Детский сад "
                     f"№ {i}»",
                short_name=f"МБДОУ «Детский сад № {i}»",
                territory=territory,
                kind="preschool",
                org_type="ДОО",
                settlement="rural" if r.random() < 0.3 else "urban",
            )
        )
    return out


def _deadline(year: int) -> dt.date:
    return dt.date(year, 11, 10)


def _at(day: dt.date, hour: int = 11) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@transaction.atomic
def _run_campaign(template: FormTemplate, orgs: Sequence[Organization], year: int, seed: int,
                  make: Callable[[Organization, random.Random], dict[str, Any]],
                  today: dt.date, plan: dict[str, str]) -> dict[str, int]:
    """Send one campaign and play each school's part: ``plan`` maps org codes to an outcome
    (accepted by default; «late», «submitted», «draft», «assigned», «returned»)."""
    deadline = _deadline(year)
    campaign = services.campaign_create(
        scope=SYSTEM, template=template, year=year, deadline=deadline,
        organizations=orgs, note="Демонстрационная кампания.",
    )
    counts: Counter[str] = Counter()
    current = year == today.year or deadline >= today - dt.timedelta(days=30)
    for sub in Submission.objects.filter(campaign=campaign).select_related(
            "organization", "campaign__template"):
        org = sub.organization
        outcome = plan.get(org.code, "accepted")
        r = _rng(seed, template.code, year, org.code)
        raw = _as_raw(make(org, r))
        if outcome == "assigned":
            counts[outcome] += 1
            continue
        school = Scope(role=Role.SCHOOL, territory_ids=frozenset({org.territory_id}),
                       organization_id=org.pk, can_edit=True)  # the school fills its own form
        if outcome == "draft":
            partial = dict(list(raw.items())[: max(1, len(raw) // 2)])
            services.submission_save(scope=school, submission=sub, raw=partial)
            counts[outcome] += 1
            continue
        result = services.submission_submit(scope=school, submission=sub, raw=raw)
        if not result.ok:
            raise RuntimeError(f"demo values of {template.code} for {org.code} {year} are "
                               f"invalid: {result.messages()[:3]}")
        sub.refresh_from_db()
        late = outcome == "late"
        submitted_on = deadline + dt.timedelta(days=r.randint(2, 9)) if late else (
            deadline - dt.timedelta(days=r.randint(1, 20)))
        if current and submitted_on > today:
            submitted_on = today
        Submission.objects.filter(pk=sub.pk).update(
            submitted_at=_at(submitted_on), submitted_late=submitted_on > deadline)
        SubmissionEvent.objects.filter(submission=sub).update(at=_at(submitted_on))
        if outcome == "submitted":
            counts[outcome] += 1
            continue
        services.submission_accept(scope=SYSTEM, submission=sub)
        if outcome == "returned":
            services.submission_return(
                scope=SYSTEM, submission=sub,
                comment="Проверьте численность: сумма по параллелям не совпадает с отчётом ОО-1; "
                        "исправьте и представьте форму повторно.",
            )
        accepted_on = min(submitted_on + dt.timedelta(days=2), today)
        Submission.objects.filter(pk=sub.pk, accepted_at__isnull=False).update(
            accepted_at=_at(accepted_on, 15))
        SubmissionEvent.objects.filter(
            submission=sub, action__in=[SubmissionEvent.Action.ACCEPT,
                                        SubmissionEvent.Action.RETURN]
        ).update(at=_at(accepted_on, 15))
        counts[outcome] += 1
    if not current:
        services.campaign_set_status(scope=SYSTEM, campaign=campaign,
                                     status=Campaign.Status.CLOSED)
    return dict(counts)


def _plans(schools: Sequence[Organization], seed: int) -> dict[str, dict[str, str]]:
    """Outcomes of the current year's campaigns: a few late, one returned, some unchecked."""
    r = _rng(seed, "plans")
    codes = [s.code for s in schools]
    if len(codes) < 6:
        return {}
    pick = r.sample(codes, 6)
    return {
        "career": {pick[0]: "assigned", pick[1]: "draft", pick[2]: "late", pick[3]: "submitted"},
        "upbringing": {pick[0]: "assigned", pick[4]: "late", pick[5]: "submitted"},
        "teachers": {pick[2]: "returned", pick[1]: "draft"},
        "talents": {pick[3]: "submitted", pick[5]: "late"},
        "risk_profile": {pick[0]: "draft"},
    }


def _run_survey(questionnaire: Questionnaire, orgs: Sequence[Organization], year: int,
                seed: int, expected_of: Callable[[Organization], int],
                answer: Callable[[random.Random, float], dict[str, Any]],
                disadvantage: dict[str, float], today: dt.date) -> int:
    opens = dt.date(year, 10, 1)
    closes = max(dt.date(year, 10, 31), today + dt.timedelta(days=30))
    last_day = min(closes, max(opens, today))
    survey = services.survey_create(
        scope=SYSTEM, questionnaire=questionnaire, year=year, opens=opens, closes=closes,
        organizations=orgs, expected={o.code: expected_of(o) for o in orgs},
    )
    total = 0
    for participant in SurveyOrganization.objects.filter(survey=survey).select_related(
            "organization"):
        r = _rng(seed, "survey", questionnaire.code, participant.organization.code)
        expected = participant.expected or 0
        n = round(expected * r.uniform(0.25, 0.85))
        if expected and r.random() < 0.12:
            n = min(expected, r.randint(3, 9))  # a small group: shown as hidden
        for _ in range(n):
            token = services.survey_issue_token(participant=participant)
            day = opens + dt.timedelta(days=r.randint(0, (last_day - opens).days))
            services.survey_respond(participant=participant, token=token,
                                    raw=answer(r, disadvantage.get(participant.organization.code,
                                                                   0.3)),
                                    today=day)
        total += n
    return total


def _scale(r: random.Random, good: float, options: Sequence[str]) -> str:
    """One of graded options (best first) with the chance of the better ones ``good``."""
    weights = [good, good * 0.8, (1 - good) * 0.6, (1 - good) * 0.4]
    weights += [0.08] * (len(options) - len(weights))
    return r.choices(list(options), weights[: len(options)])[0]


def _parent_answer(r: random.Random, disadvantage: float) -> dict[str, Any]:
    good = max(0.2, 0.78 - 0.5 * disadvantage)
    sat = ("full", "mostly", "rather_not", "no", "unsure")
    agree = ("yes", "rather_yes", "rather_no", "no")
    return {
        "par_grade_band": r.choices(["g1_4", "g5_9", "g10_11"], [4, 5, 1.5])[0],
        "par_overall": _scale(r, good, sat),
        "par_teaching": _scale(r, good, sat),
        "par_safety": _scale(r, good + 0.05, agree),
        "par_info": _scale(r, good, agree),
        "par_marks_fair": _scale(r, good - 0.05, agree),
        "par_extra": _scale(r, good - 0.1, agree),
        "par_involvement": r.choices(["often", "sometimes", "rarely", "never"],
                                     [3, 4, 2, 1 + 2 * disadvantage])[0],
        "par_improve": r.sample(["teaching", "staff", "equipment", "safety", "food", "activities",
                                 "communication", "exam_prep"], r.randint(0, 3)),
        "par_recommend": _scale(r, good, agree),
    }


def _pupil_answer(r: random.Random, disadvantage: float) -> dict[str, Any]:
    return {
        "pup_grade": r.choice(["g8", "g9", "g10", "g11"]),
        "pup_decided": r.choices(["yes", "partly", "no"], [3, 4, 3])[0],
        "pup_plan": r.choices(["class10", "spo", "vo", "work", "undecided"],
                              [3, 3 + 2 * disadvantage, 4 - 2 * disadvantage, 0.5, 2])[0],
        "pup_spheres": r.sample(["it", "engineering", "medicine", "education", "science",
                                 "economics", "arts", "sport", "services", "agro", "security"],
                                r.randint(1, 3)),
        "pup_region": r.choices(["yes", "no", "undecided"], [4, 3, 3])[0],
        "pup_career_help": r.choices(["yes", "partly", "no"], [4, 4, 2])[0],
        "pup_bilet": r.choices(["yes", "no", "unknown"], [5, 3, 2])[0],
        "pup_school_like": _scale(r, 0.7 - 0.3 * disadvantage, ("yes", "rather_yes",
                                                                "rather_no", "no")),
    }


def build(*, seed: int = 1, years: tuple[int, ...] = (2024, 2025, 2026),
          today: dt.date | None = None) -> dict[str, Any]:
    """See :func:`soko.monitoring.services.seed_demo_monitoring`."""
    with services.recompute_deferred():
        return _build(seed=seed, years=years, day=today or timezone.localdate())


def _build(*, seed: int, years: tuple[int, ...], day: dt.date) -> dict[str, Any]:
    loaded = services.builtin_load()
    municipality = Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY).order_by(
        "code").first()
    if municipality is None:
        return {"skipped": "нет муниципалитета", **loaded}
    if Campaign.objects.exists():
        return {"skipped": "кампании уже созданы", **loaded}
    schools = list(Organization.objects.filter(kind="school", is_active=True).order_by("code"))
    preschools = _demo_preschools(municipality, seed)
    templates = {t.code: t for t in FormTemplate.objects.filter(retired=False)}
    report: dict[str, Any] = {"campaigns": 0, "submissions": Counter(), "responses": 0}
    last = max(years)
    disadvantage: dict[str, float] = {}
    for year in years:
        cache = _schools_of(schools, year)

        def school(org: Organization, cache: dict[str, _School] = cache) -> _School:
            return cache[org.code]

        plans = _plans(schools, seed) if year == last else {}
        for code in SCHOOL_FORMS:
            build_one = BUILDERS[code]

            def make(org: Organization, r: random.Random, year: int = year,
                     build_one: Callable[..., dict[str, Any]] = build_one) -> dict[str, Any]:
                return build_one(school(org), r, year)

            counts = _run_campaign(templates[code], schools, year, seed, make, day,
                                   plans.get(code, {}))
            report["campaigns"] += 1
            report["submissions"].update(counts)
        def make_doo(org: Organization, r: random.Random, year: int = year) -> dict[str, Any]:
            return _preschool(org, r, year)

        counts = _run_campaign(templates["preschool"], preschools, year, seed, make_doo, day, {})
        report["campaigns"] += 1
        report["submissions"].update(counts)
        if year == last:
            disadvantage = {o.code: school(o).disadvantage for o in schools}
            report["responses"] += _run_survey(
                Questionnaire.objects.get(code="parents_quality", retired=False), schools, year,
                seed, lambda o: max(15, round(school(o).total * 0.08)), _parent_answer,
                disadvantage, day)
            seniors = [o for o in schools if school(o).grade_sum(8, 11) > 0]
            if seniors:
                report["responses"] += _run_survey(
                    Questionnaire.objects.get(code="pupils_career", retired=False), seniors,
                    year, seed, lambda o: round(school(o).grade_sum(8, 11) * 0.25),
                    _pupil_answer, disadvantage, day)
    services.talents_refresh(None)
    report["submissions"] = dict(report["submissions"])
    report["surveys"] = Survey.objects.count()
    report["preschools"] = len(preschools)
    return {**report, **loaded}
