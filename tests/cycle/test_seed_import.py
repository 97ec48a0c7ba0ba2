"""Every seed roadmap and the excerpts import into the right sections and rows with no manual
fixing; every item keeps its parsed schedule; unknown deadlines are kept and marked."""

from __future__ import annotations

from datetime import date

import pytest

from soko.core.errors import ApplicationError
from soko.cycle.models import Actor, ItemOccurrence, Roadmap, RoadmapItem, RoadmapTarget
from soko.cycle.services import roadmap_import, roadmap_preview
from soko.lib.schedule import parse_schedule, schedule_from_dict
from tests.cycle.conftest import EXCERPTS, seed
from tests.lib.test_roadmap_tables import EXPECTED, EXPECTED_EXCERPTS, K

pytestmark = pytest.mark.django_db

# seed → (direction of the roadmap, approving act number, period) as read from the document
HEADERS = {
    "000": ("several", "368-А", (2021, 2023)),
    "001": ("several", "506", (2020, 2022)),
    "002": ("results", "", None),
    "003": ("low_results", "512", (2020, 2021)),
    "004": ("objectivity", "512", (2022, 2024)),
}


def check_sections(roadmap: Roadmap, expected: list[tuple[str, str]]) -> None:
    sections = list(roadmap.sections.order_by("position"))
    assert len(sections) == len(expected)
    for section, (title, kinds) in zip(sections, expected, strict=True):
        assert section.title.startswith(title), (section.title, title)
        items = list(section.items.order_by("position"))
        assert [i.schedule_kind for i in items] == [K[k] for k in kinds.split()], title
        for item in items:
            stored = schedule_from_dict(item.schedule)
            assert stored == parse_schedule(item.deadline_text,
                                            context_year=roadmap.period_start)
            assert item.schedule_parsed == stored.parsed
            assert stored.text == item.deadline_text  # never rewritten


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_seed_imports_into_its_sections_with_every_schedule(name, mun):
    period = (2021, 2023) if name == "002" else None
    result = roadmap_import(path=seed(name), territory=mun, period=period)
    roadmap = result.roadmap
    assert result.created
    check_sections(roadmap, EXPECTED[name])
    direction, number, doc_period = HEADERS[name]
    assert roadmap.direction == direction
    assert roadmap.doc_number == number
    assert roadmap.period == (period or doc_period)
    assert roadmap.source_sha256 and roadmap.source_path.startswith("cycle/roadmaps/")
    # every item has at least one occurrence; undated ones have a single undated occurrence
    for item in roadmap.items.all():
        occurrences = list(item.occurrences.all())
        assert occurrences
        if item.schedule_kind in ("continuous", "external", "as_needed", "unparsed"):
            assert [o.due for o in occurrences] == [None]


def test_item_totals_directions_and_actors_of_all_seeds(mun):
    for name in sorted(EXPECTED):
        roadmap_import(path=seed(name), territory=mun,
                       period=(2021, 2023) if name == "002" else None)
    totals = {r.source_name[:3]: r.items.count() for r in Roadmap.objects.all()}
    assert totals == {"000": 38, "001": 102, "002": 51, "003": 27, "004": 41}
    # seed 001: the appendices give the directions of their items
    concept = Roadmap.objects.get(source_name__startswith="001")
    directions = [
        (s.title[:13], sorted({i.direction for i in s.items.all()}))
        for s in concept.sections.filter(level=0).order_by("position")
    ]
    assert directions == [
        ("Приложение 1.", ["results"]), ("Приложение 2.", ["low_results"]),
        ("Приложение 3.", ["talents"]), ("Приложение 4.", ["career"]),
        ("Приложение 5.", ["leaders"]), ("Приложение 6.", ["teachers"]),
        ("Приложение 7.", ["upbringing"]), ("Приложение 8.", []),
    ]
    appendix_8 = concept.sections.get(level=0, name__contains="дошкольного")
    preschool = concept.items.filter(section__parent=appendix_8)
    assert preschool.count() == 16
    assert {i.direction for i in preschool} == {"preschool"}
    # the same actors wherever they appear
    authority = Actor.objects.get(territory=mun, name="Орган управления образованием")
    assert authority.kind == Actor.Kind.AUTHORITY
    labels = set(authority.items.values_list("responsible__label", flat=True))
    assert {"УО", "Комитет по образованию", "Управление образования",
            "Отдел образования"} <= labels
    schools = Actor.objects.get(territory=mun, name="Образовательные организации")
    assert schools.kind == Actor.Kind.ALL_SCHOOLS
    assert {"Руководители ОО", "ОО", "Руководители МОО"} <= set(
        schools.items.values_list("responsible__label", flat=True)
    )
    method = Actor.objects.get(territory=mun, name="Методический центр")
    assert "МБУ ДПО «ИМЦ г. Юрги»" in set(method.items.values_list("responsible__label",
                                                                  flat=True))
    # the three deliberately unparsed deadlines are kept as written and marked
    unparsed = set(RoadmapItem.objects.filter(schedule_parsed=False)
                   .values_list("deadline_text", flat=True))
    assert unparsed == {"Март 2021, 2021-2023", "", "1 раз в 3 года для каждого ОУ"}
    # seed 003 carries a target table
    (target,) = RoadmapTarget.objects.all()
    assert [v["value"] for v in target.values] == [16.0, 8.0, 0.0]


def test_occurrences_of_a_recurring_seed_item(mun):
    roadmap = roadmap_import(path=seed("000"), territory=mun).roadmap
    first = roadmap.items.get(number="1.1.1")  # «ежегодно» in a 2021–2023 roadmap
    assert [(o.label, o.due) for o in first.occurrences.order_by("due")] == [
        ("2021 год", date(2021, 12, 31)), ("2022 год", date(2022, 12, 31)),
        ("2023 год", date(2023, 12, 31)),
    ]
    assert ItemOccurrence.objects.filter(item__roadmap=roadmap, due__isnull=True).exists()


def test_the_same_file_twice_changes_nothing(mun):
    first = roadmap_import(path=seed("003"), territory=mun)
    again = roadmap_import(path=seed("003"), territory=mun)
    assert not again.created and again.roadmap.pk == first.roadmap.pk
    assert Roadmap.objects.count() == 1 and RoadmapItem.objects.count() == 27


def test_excerpt_with_a_table_imports_and_the_others_are_refused_in_russian(mun):
    krasnodar = roadmap_import(path=EXCERPTS / "03-krasnodar-gia9-plan-2012-2013.txt",
                               territory=mun).roadmap
    check_sections(krasnodar, EXPECTED_EXCERPTS["03-krasnodar-gia9-plan-2012-2013"])
    assert (krasnodar.doc_number, krasnodar.period) == ("7498", (2012, 2013))
    for name in [n for n, v in EXPECTED_EXCERPTS.items() if not v]:
        with pytest.raises(ApplicationError, match="дорожная карта не найдена"):
            roadmap_import(path=EXCERPTS / f"{name}.txt", territory=mun)
    assert Roadmap.objects.count() == 1


def test_preview_reports_unparsed_deadlines_without_writing(mun):
    preview = roadmap_preview(seed("000"))
    assert preview.items_total == 38
    assert [i.deadline for i in preview.unparsed] == ["Март 2021, 2021-2023", ""]
    assert any("не распознаны" in w for w in preview.warnings)
    assert preview.to_dict()["unparsed"] == 2
    assert not Roadmap.objects.exists()


def test_a_school_user_cannot_import(mun, school_scope):
    with pytest.raises(ApplicationError, match="орган управления"):
        roadmap_import(path=seed("003"), territory=mun, scope=school_scope)


def test_other_formats_are_refused(mun, tmp_path):
    bad = tmp_path / "plan.pdf"
    bad.write_bytes(b"%PDF-1.4")
    with pytest.raises(ApplicationError, match="не поддерживается"):
        roadmap_import(path=bad, territory=mun)
