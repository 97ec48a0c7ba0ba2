"""Demonstration content of the management cycle (deterministic).

:func:`seed_demo_cycle` runs after the demo's data are imported and its indicators and flags
computed: it imports the five real seed roadmaps into the demo municipality (historic documents:
their past deadlines are marked done), adds a current roadmap for 2025–2027 with reports and
acceptances, generates recommendations from the findings present and approves some, records
measures and management decisions, analyses the effectiveness of one measure and computes the
МУКО matrix — so every step of the cycle has something real to show.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from soko.accounts.models import Role
from soko.accounts.scope import SYSTEM, Scope
from soko.cycle.models import (
    Decision,
    EffectivenessAnalysis,
    ItemOccurrence,
    Measure,
    Recommendation,
    Roadmap,
    RoadmapItem,
)
from soko.cycle.occurrences import CLOSED, DONE
from soko.registry.models import Organization, Territory

SEEDS_DIR = Path(__file__).resolve().parents[1] / "data" / "seeds"

#: Seed file prefix → (period when the document gives none, owner).
SEED_SETTINGS: dict[str, tuple[tuple[int, int] | None, str]] = {
    "000": (None, "Комитет по образованию"),
    "001": (None, "Управление образования"),
    "002": ((2021, 2023), "Управление образования"),
    "003": (None, "Управление образованием"),
    "004": (None, "Отдел образования"),
}
ARCHIVE_BEFORE = dt.date(2025, 1, 1)

CURRENT_ITEMS: list[tuple[str, list[tuple[str, str, str, str]]]] = [
    ("1. Оценка качества подготовки обучающихся", [
        ("1.1", "Проведение ВПР в 4–8 классах и контроль соблюдения порядка проведения",
         "в соответствии с графиком проведения ВПР", "Руководители ОО, Управление образования"),
        ("1.2", "Анализ результатов ВПР по ОО, классам и проверяемым умениям, подготовка "
         "аналитической справки", "ежегодно, май", "МКУ «Методический центр»"),
        ("1.3", "Мониторинг выполнения планов повышения качества образования в ОО",
         "ежеквартально", "Руководители ОО"),
    ]),
    ("2. Работа со школами с низкими результатами обучения", [
        ("2.1", "Разработка программ повышения качества образования в ОО с низкими результатами",
         "до 01.10.2025", "Руководители ОО"),
        ("2.2", "Адресная методическая помощь ОО с низкими результатами (выездные консультации)",
         "в течение учебного года", "МКУ «Методический центр»"),
        ("2.3", "Отчёт о реализации программ повышения качества образования",
         "по итогам учебного года", "Руководители ОО"),
    ]),
    ("3. Объективность процедур оценки качества образования", [
        ("3.1", "Обеспечение общественного наблюдения при проведении ВПР",
         "март, апрель ежегодно", "Управление образования, Руководители ОО"),
        ("3.2", "Перекрёстная перепроверка работ ВПР в ОО с признаками необъективности",
         "май 2026", "МКУ «Методический центр»"),
        ("3.3", "Совещание руководителей ОО по итогам анализа объективности результатов",
         "до 01.10.2026", "Управление образования"),
    ]),
    ("4. Профессиональное развитие педагогических работников", [
        ("4.1", "Семинары муниципальных методических объединений по выявленным предметным "
         "дефицитам", "ноябрь-декабрь 2026 года", "МКУ «Методический центр»"),
        ("4.2", "Повышение квалификации педагогов по результатам диагностики дефицитов",
         "постоянно", "Руководители ОО"),
        ("4.3", "Мониторинг посещения уроков администрацией ОО", "1 раз в полугодие",
         "Руководители ОО"),
    ]),
]


def _territory() -> Territory | None:
    return Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY).order_by("code").first()


def _archive_past(roadmap: Roadmap) -> int:
    """Mark the occurrences of a historic roadmap due before 2025 as done on their due date."""
    from soko.cycle.services.roadmaps import refresh_item

    count = 0
    for occurrence in ItemOccurrence.objects.filter(
        item__roadmap=roadmap, due__lt=ARCHIVE_BEFORE
    ).exclude(status__in=CLOSED):
        occurrence.status = DONE
        occurrence.completed_on = occurrence.due
        occurrence.note = "Отмечено выполненным при создании демонстрационного экземпляра."
        occurrence.save()
        count += 1
    for item in roadmap.items.all():
        refresh_item(item)
    if roadmap.period_end is not None and roadmap.period_end < ARCHIVE_BEFORE.year:
        roadmap.status = Roadmap.Status.COMPLETED
        roadmap.save(update_fields=["status", "updated_at"])
    return count


def _school_scope(org: Organization) -> Scope:
    return Scope(role=Role.SCHOOL, territory_ids=frozenset({org.territory_id}),
                 organization_id=org.pk, can_edit=True)


def _current_roadmap(territory: Territory, today: dt.date) -> Roadmap:
    from soko.cycle.services.roadmaps import (
        item_add,
        item_update,
        occurrence_set_status,
        report_review,
        report_submit,
        roadmap_create,
        section_add,
    )
    from soko.cycle.sources import indicators_of_direction

    roadmap = roadmap_create(
        scope=SYSTEM,
        territory=territory,
        title=(
            "План мероприятий («дорожная карта») по развитию муниципальной системы оценки "
            "качества образования на 2025–2027 годы"
        ),
        direction="several",
        period_start=2025,
        period_end=2027,
        doc_kind="приказ",
        doc_number="18-од",
        doc_date=dt.date(2025, 1, 20),
        owner="Управление образования",
        status=Roadmap.Status.ACTIVE,
    )
    for title, rows in CURRENT_ITEMS:
        number, name = title.split(". ", 1)
        section = section_add(roadmap=roadmap, scope=SYSTEM, name=name, number=number)
        from soko.cycle.directions import infer_direction

        section.direction = infer_direction(name) or ""
        section.save(update_fields=["direction"])
        for item_number, text, deadline, responsible in rows:
            item_add(roadmap=roadmap, scope=SYSTEM, section=section, number=item_number,
                     title=text, deadline_text=deadline, responsible_text=responsible,
                     today=today)
    results = indicators_of_direction("results") or indicators_of_direction("low_results")
    first = roadmap.items.filter(number="1.2").first()
    if first is not None and results:
        item_update(item=first, scope=SYSTEM, indicator_code=results[0].code,
                    indicator_text=results[0].name, target_year=2027, today=today)
    # the demo school reports the quarterly monitoring; the authority accepts the older ones
    school = Organization.objects.filter(territory=territory).order_by("code").first()
    quarterly = roadmap.items.filter(number="1.3").first()
    if school is not None and quarterly is not None:
        for k, occurrence in enumerate(quarterly.occurrences.filter(due__lt=today).order_by("due")):
            report = report_submit(
                occurrence=occurrence,
                scope=_school_scope(school),
                text=f"План повышения качества выполнен за {occurrence.label}; протокол "
                f"педагогического совета размещён на сайте ОО.",
                links=[("Протокол педсовета", "https://example.org/demo/protocol-"
                        f"{occurrence.pk}.pdf")],
                today=today,
            )
            if k % 3 != 2:
                report_review(report=report, scope=SYSTEM, accept=True, today=today)
                occurrence_set_status(occurrence=occurrence, scope=SYSTEM, status="done",
                                      note="Отчёты ОО приняты на совещании руководителей.",
                                      today=today)
    # what was due in 2025 was done, except the programmes of item 2.1 (late, to be seen)
    for occurrence in ItemOccurrence.objects.filter(
        item__roadmap=roadmap, due__lt=dt.date(2026, 1, 1), due__lte=today
    ).exclude(item__number__in=["2.1", "1.3"]).exclude(status__in=CLOSED):
        occurrence_set_status(occurrence=occurrence, scope=SYSTEM, status="done",
                              note="Выполнено.", today=today)
    return roadmap


#: Indicators that measure what the demo's first measure (support of low-results schools) aims
#: at, tried first; any indicator of results with values before and after the measure will do.
PREFERRED_INDICATORS = ("results.vpr_share2", "results.vpr_mean_percent")


def _choose_indicator(territory: Territory) -> str | None:
    """An indicator of results or low results with school values before 2025 and from 2025 on
    (the demo measure starts in September 2024)."""
    from soko.cycle.selectors import territory_tree
    from soko.cycle.sources import indicator_panel, indicators_of_direction

    ids = territory_tree(territory.pk)
    infos = indicators_of_direction("results") + indicators_of_direction("low_results")
    preferred = {code: k for k, code in enumerate(PREFERRED_INDICATORS)}
    infos.sort(key=lambda i: preferred.get(i.code, len(preferred)))
    for info in infos:
        panel = indicator_panel(info.code, ids)
        years = {y for values in panel.values() for y in values}
        if any(y < 2025 for y in years) and any(y >= 2025 for y in years) and len(panel) >= 6:
            return info.code
    return None


def _pick(recs: Any, kind: str, limit: int) -> list[Recommendation]:
    return list(recs.filter(finding_kind=kind).order_by("finding_key")[:limit])


def seed_demo_cycle(*, today: dt.date | None = None) -> dict[str, Any]:
    """Create the demonstration content of the cycle in the first municipality; returns a
    summary. Safe to call twice (the seed roadmaps are not imported again)."""
    from soko.cycle.services.measures import (
        decision_save,
        effectiveness_compute,
        effectiveness_request,
        measure_save,
    )
    from soko.cycle.services.recommendations import (
        recommendation_decide,
        recommendations_generate,
    )
    from soko.cycle.services.roadmaps import roadmap_import
    from soko.cycle.services.selfassessment import muko_recompute

    territory = _territory()
    if territory is None:
        return {"error": "нет муниципалитета"}
    day = today or timezone.localdate()
    summary: dict[str, Any] = {"territory": territory.name, "roadmaps": [], "archived": 0}
    if Roadmap.objects.filter(territory=territory, title__contains="2025–2027").exists():
        summary["reused"] = True
        return summary
    with transaction.atomic():
        for path in sorted(SEEDS_DIR.glob("*.txt")):
            period, owner = SEED_SETTINGS.get(path.name[:3], (None, ""))
            result = roadmap_import(path=path, territory=territory, period=period, owner=owner,
                                    today=day)
            summary["archived"] += _archive_past(result.roadmap)
            summary["roadmaps"].append(
                {"title": result.roadmap.title[:120], "items": result.roadmap.items.count()}
            )
        current = _current_roadmap(territory, day)
        summary["roadmaps"].append({"title": current.title, "items": current.items.count()})

        generated = recommendations_generate(territory=territory)
        summary["recommendations"] = generated.to_dict()
        recs = Recommendation.objects.filter(territory=territory)
        approved = [
            recommendation_decide(rec=rec, scope=SYSTEM, decision="approve")
            for kind, limit in (("low_results", 2), ("objectivity", 2), ("social", 1),
                                ("deficit_municipal", 2), ("deficit_teachers", 2))
            for rec in _pick(recs, kind, limit)
        ]
        summary["approved"] = len(approved)

        items = {i.number: i for i in current.items.all()}
        measures: list[Measure] = []
        specs = [
            ("low_results", ["low_results", "social"],
             "Адресная методическая поддержка школ с низкими результатами обучения",
             "Выездные консультации методистов, программы повышения качества образования, "
             "наставничество для педагогов школ с низкими результатами.", ["2.1", "2.2"]),
            ("objectivity", ["objectivity"],
             "Перекрёстная перепроверка работ ВПР и общественное наблюдение в ОО с признаками "
             "необъективности",
             "Перепроверка муниципальной предметной комиссией, наблюдатели на всех процедурах.",
             ["3.1", "3.2"]),
            ("teachers", ["deficit_municipal", "deficit_teachers"],
             "Семинары муниципальных методических объединений по предметным дефицитам",
             "Разбор заданий с низким выполнением, банк заданий, курсы повышения квалификации.",
             ["4.1"]),
        ]
        for direction, kinds, title, description, numbers in specs:
            linked = list(recs.filter(finding_kind__in=kinds).order_by("finding_key"))
            orgs = sorted(
                {r.organization for r in linked if r.organization is not None},
                key=lambda o: o.code,
            )
            measures.append(
                measure_save(
                    scope=SYSTEM,
                    territory=territory,
                    title=title,
                    description=description,
                    direction=direction,
                    status=Measure.Status.IN_PROGRESS,
                    start_date=dt.date(2024, 9, 1),
                    end_date=dt.date(2026, 5, 31),
                    responsible="МКУ «Методический центр»",
                    organizations=orgs,
                    items=[items[n] for n in numbers if n in items],
                    recommendations=linked[:20],
                )
            )
        summary["measures"] = len(measures)
        decisions = [
            decision_save(
                scope=SYSTEM, territory=territory, kind="приказ", number="45-од",
                date=dt.date(2024, 8, 30),
                title="О мерах по повышению качества образования в общеобразовательных "
                "организациях с низкими результатами обучения",
                text="1. Утвердить перечень ОО, получающих адресную методическую поддержку.\n"
                "2. МКУ «Методический центр» организовать выездные консультации.\n"
                "3. Руководителям ОО разработать программы повышения качества образования.",
                signed_by="Начальник управления образования",
                direction="low_results",
                organizations=list(measures[0].organizations.all()),
                measures=[measures[0]],
                recommendations=list(measures[0].recommendations.all()),
                items=list(measures[0].items.all()),
            ),
            decision_save(
                scope=SYSTEM, territory=territory, kind="приказ", number="112",
                date=dt.date(2024, 10, 15),
                title="Об обеспечении объективности проведения оценочных процедур",
                text="1. Организовать перекрёстную перепроверку работ ВПР.\n"
                "2. Обеспечить общественное наблюдение во всех ОО с признаками необъективности.",
                signed_by="Начальник управления образования",
                direction="objectivity",
                organizations=list(measures[1].organizations.all()),
                measures=[measures[1]],
                items=list(measures[1].items.all()),
            ),
        ]
        summary["decisions"] = len(decisions)

    summary["analyses"] = []
    code = _choose_indicator(territory) if measures[0].organizations.exists() else None
    if code is not None:
        analysis = effectiveness_request(measure=measures[0], indicator_code=code)
        analysis = effectiveness_compute(analysis)
        summary["analyses"].append(
            {"indicator": analysis.indicator_code, "status": analysis.status,
             "verdict": analysis.verdict}
        )
    muko_recompute(territory=territory, today=day)
    summary["items_total"] = RoadmapItem.objects.filter(roadmap__territory=territory).count()
    summary["decisions_total"] = Decision.objects.filter(territory=territory).count()
    summary["analyses_total"] = EffectivenessAnalysis.objects.filter(
        measure__territory=territory
    ).count()
    return summary
