"""Roadmap tables out of the five seed documents, the public excerpts, DOCX and XLSX.

The expected sections, item counts and deadline kinds below were derived by reading the seeds
by hand (tests/data/seeds is a copy of shared/seeds), not by running the parser.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from soko.lib.roadmap_tables import (
    RESPONSIBLE_SYNONYMS,
    ParsedRoadmap,
    RoadmapFormatError,
    normalize_responsible,
    parse_roadmap,
    parse_roadmap_docx,
    parse_roadmap_text,
    parse_roadmap_xlsx,
    split_responsible,
)
from tests.lib.roadmap_fixtures import (
    EXCERPTS,
    SEEDS,
    Table,
    read_seed,
    seed_path,
    text_to_blocks,
    text_to_docx,
    text_to_xlsx,
)

pytestmark = pytest.mark.core

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

# Deadline kinds, one letter code per item, in document order.
K = {
    "Y": "yearly",
    "Q": "quarterly",
    "MO": "monthly",
    "M": "month",
    "MS": "months",
    "D": "deadline",
    "DT": "date",
    "S": "school_year",
    "C": "continuous",
    "P": "period",
    "E": "external",
    "A": "as_needed",
    "U": "unparsed",
}

# seed → [(start of the section title, item kinds)], sections in document order
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "000": [
        ("I. Управление качеством образовательных результатов", ""),
        ("1.1. Формирование нормативно-правового обеспечения", "Y P P"),
        ("1.2. Система оценки качества подготовки учащихся", "Y E E Y"),
        ("1.3. Система работы со школами с низкими результатами", "Y E E Y"),
        ("1.4. Система выявления, поддержки и развития способностей", "P C Q C Y Y"),
        ("1.5. Система работы по самоопределению", "U M M Y Y Y Y"),
        ("II. Управление качеством образовательной деятельности", ""),
        ("2.1. Система объективности процедур", "Y Y"),
        ("2.2. Система мониторинга эффективности руководителей", "E U"),
        ("2.3. Система методической работы", "Y Y Y E Y Y"),
        ("2.4. Система организации воспитания и социализации", "C Y Y Y"),
    ],
    "001": [
        ("Приложение 1. Дорожная карта по направлению «Система оценки качества подготовки",
         "Y Y Y Y E A E A Y Y Y Y Y Y U C Y Y P Y"),
        ("Приложение 2. Дорожная карта по направлению «Система работы со школами",
         "M Y D Y Y Y Y Y Y Y Y Y P S"),
        ("Приложение 3. Дорожная карта по направлению «Система выявления",
         "Y P Y Y C C Y P S"),
        ("5. Проведение конкурсов профессионального мастерства", "Q Q Q Y"),
        ("6. Меры по стимулированию и поощрению", "Y"),
        ("7. Проведение мероприятий, ориентированных на выявление", "Y Y C"),
        ("Приложение 4. Дорожная карта по направлению «Системы работы по самоопределению",
         "Y Y Y Y Y Y S S S S S Y Y Y Y Y"),
        ("Приложение 5. Дорожная карта по направлению «Система мониторинг эффективности",
         "P Y P S"),
        ("3. Проведение мероприятий по повышению эффективности деятельности", "Y"),
        ("Приложение 6. Дорожная карта по направлению «Система обеспечения профессионального",
         "M Y MS Y P"),
        ("Приложение 7. Дорожная карта по направлению «Система организации воспитания",
         "M S C C Y C Y"),
        ("6. Проведение мероприятий, направленных на повышение уровня мотивации", "C C"),
        ("Приложение 8. Дорожная карта по направлению «Система мониторинга качества дошкольного",
         ""),
        ("Организационно – педагогическая деятельность", "M M"),
        ("Информационно-аналитическая деятельность", "M M"),
        ("Организационно-координационная деятельность", "C C MS M M C M M M M"),
        ("Работа с кадрами", "C C"),
    ],
    "002": [
        ("Нормативно-правовое обеспечение по реализации мероприятий", "Y Y"),
        ("Система оценки качества подготовки обучающихся", "Y"),
        ("1. Мероприятия, направленные на повышение качества подготовки", "Y Q Q Y Y Y E"),
        ("2. Информационно-разъяснительная работа с родителями", "E E E E Y Y Y"),
        ("3. Мероприятия, направленные на анализ и интерпретацию", "Q Y"),
        ("4. Меры, направленные на повышение качества подготовки обучающихся, показавших",
         "M S Y"),
        ("5. Мероприятия по формированию позитивного отношения", "C C C C"),
        ("6. Меры по повышению объективности на этапе проведения процедур", "Y Y A"),
        ("7. Меры по повышению объективности на этапе проведения Всероссийской олимпиады", "Y A"),
        ("8. Меры в отношении образовательных организаций, вошедших в зону «риска»", "A C C"),
        ("Проведение процедур по оценке качества подготовки обучающихся", "E"),
        ("10. Показатели системы оценки качества подготовки обучающихся", "Y Y Y"),
        ("11. Комплексный анализа по процедурам оценки качества образования", "Y Y Y Y Y Y"),
        ("12. Обеспечение объективности", "C C Y Y Y Y"),
        ("13. Функциональная грамотность", "D"),
    ],
    "003": [
        ("4. План мероприятий по повышению качества образования в общеобразовательных",
         "M M M MS M MS M M M C M M M MS MS M M MS S S S S M E M M MS"),
    ],
    "004": [
        ("1. Аналитическая работа", "C MS M MS M E D"),
        ("2. Выявление причин и условий", "Y Y S S Y"),
        ("3. Меры по повышению компетентности руководящих",
         "Y E E C M C E C C M P Y C M C C E"),
        ("4. Организационные мероприятия по повышению объективности", "Y E E E Y C"),
        ("5. Формирование у участников образовательных отношений", "Y C C C Y C"),
    ],
}

EXPECTED_EXCERPTS: dict[str, list[tuple[str, str]]] = {
    "03-krasnodar-gia9-plan-2012-2013": [
        ("I. Этап подготовки", ""),
        ("1. Организационные мероприятия", "D D C U"),  # 1.4 is cut by the excerpt
    ],
    "05-medvezhyegorsk-low-results-schools-system": [],
    "06-rosobrnadzor-08-70-2021-municipal-monitoring": [],
    "07-rosobrnadzor-05-58-2017-ege-objectivity": [],
    "08-tomsk-2023-vpr-objectivity-measures": [],
}

# The only «Сроки» texts of all seeds and excerpts the parser leaves unparsed, on purpose.
DELIBERATELY_UNPARSED = {
    "Март 2021, 2021-2023",  # 000 1.5.1: a deadline and a period in one cell
    "",  # 000 2.2.2 has no deadline; excerpt 03 item 1.4 is cut before its deadline
    "1 раз в 3 года для каждого ОУ",  # 001 app. 1 item 15: every school in turn, year unknown
}


def parsed_seed(name: str) -> ParsedRoadmap:
    return parse_roadmap_text(read_seed(name))


def check_structure(roadmap: ParsedRoadmap, expected: list[tuple[str, str]]) -> None:
    got = [(s.title, [i.schedule.kind for i in s.items]) for s in roadmap.sections]
    assert len(got) == len(expected), [t for t, _ in got]
    for (title, kinds), (want_title, want_kinds) in zip(got, expected, strict=True):
        assert title.startswith(want_title), (title, want_title)
        assert kinds == [K[k] for k in want_kinds.split()], title


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_sections_items_and_deadline_kinds(name):
    check_structure(parsed_seed(name), EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED_EXCERPTS))
def test_excerpt_sections_items_and_deadline_kinds(name):
    text = (EXCERPTS / f"{name}.txt").read_text(encoding="utf-8")
    roadmap = parse_roadmap_text(text)
    check_structure(roadmap, EXPECTED_EXCERPTS[name])
    if not EXPECTED_EXCERPTS[name]:
        assert any("не найдена таблица дорожной карты" in w for w in roadmap.warnings)


def test_item_totals():
    totals = {name: len(parsed_seed(name).items) for name in EXPECTED}
    assert totals == {"000": 38, "001": 102, "002": 51, "003": 27, "004": 41}


def test_every_deadline_is_parsed_or_deliberately_unparsed():
    texts = [read_seed(name) for name in EXPECTED]
    texts += [p.read_text(encoding="utf-8") for p in sorted(EXCERPTS.glob("*.txt"))]
    unparsed = {
        item.deadline_text
        for text in texts
        for item in parse_roadmap_text(text).items
        if not item.schedule.parsed
    }
    assert unparsed == DELIBERATELY_UNPARSED


def test_seed_copies_match_the_shared_originals():
    originals = SHARED / "seeds"
    if not originals.is_dir():
        pytest.skip("shared/ is not next to the repository")
    for copy in sorted(SEEDS.glob("*.txt")):
        assert copy.read_bytes() == (originals / copy.name).read_bytes()
    for copy in sorted(EXCERPTS.glob("*.txt")):
        original = SHARED / "realdata" / "roadmap-excerpts" / copy.name
        assert copy.read_bytes() == original.read_bytes()


# ----------------------------------------------------------------------------------------------
# Document-level facts
# ----------------------------------------------------------------------------------------------


def test_seed_000_header_and_hierarchy():
    r = parsed_seed("000")
    assert r.title == (
        "План мероприятий (дорожная карта) по развитию муниципальной системы оценки качества "
        "образования и муниципальных механизмов управления качеством образования в "
        "муниципальном образовании город Новомосковск на 2021-2023 г.г."
    )
    doc = r.approving_document
    assert doc is not None
    assert (doc.kind, doc.number, doc.date) == ("приказ", "368-А", date(2020, 12, 3))
    assert r.period == (2021, 2023)
    first, second = r.sections[0], r.sections[1]
    assert (first.number, first.level, first.parent) == ("I", 0, None)
    assert (second.number, second.level, second.parent) == ("1.1", 1, 0)
    assert r.sections[7].parent == 6  # 2.1 under II
    # «<p align="center">1.3 …</p>» rows are cleaned to text
    assert r.sections[3].title.startswith("1.3. Система работы со школами")
    assert "<" not in r.sections[3].title
    item = r.sections[1].items[1]
    assert item.number == "1.1.2"
    assert item.responsible == [
        "Комитет по образованию", "МКУ «Методический центр»", "Руководители МОО",
    ]
    assert item.responsible_canonical == [
        "Орган управления образованием", "Методический центр", "Образовательные организации",
    ]
    # «Комитет по образованию Руководители МОО» written one per line, breaks lost
    assert r.sections[4].items[0].responsible == ["Комитет по образованию", "Руководители МОО"]
    assert r.sections[9].items[4].responsible == ["Руководители ОО", "МКУ «Методический центр»"]
    assert r.sections[1].items[0].schedule.year_from == 2021  # context year = period start


def test_seed_001_appendices_and_concept_header():
    r = parsed_seed("001")
    assert r.title == (
        "Концепция муниципальной системы оценки качества образования города Кузнецка "
        "Пензенской области"
    )
    doc = r.approving_document
    assert doc is not None
    assert (doc.number, doc.date) == ("506", date(2021, 7, 8))
    assert r.period == (2020, 2022)
    app3 = r.sections[2]
    assert (app3.level, app3.parent, app3.number) == (0, None, None)
    sub = r.sections[3]
    assert (sub.number, sub.level, sub.parent) == ("5", 1, 2)
    assert [i.number for i in app3.items] == ["1", "2", "3", "4", "8", "9", "10", "11", "12"]
    assert [i.number for i in r.sections[1].items][:3] == ["1", "2", "2"]
    item = r.sections[0].items[0]
    assert item.deadline_text == (
        "Ежегодно (в соответствии с федеральным и региональным графиками)"
    )
    assert item.indicator_text == "Участие ОУ"
    assert item.responsible == ["Управление образования", "МБУ ЦТО УО", "ОО"]
    indicators = r.sections[6].items[5].indicator_text.split("\n")
    assert indicators == [
        "Охват диагностическим исследованием обучающихся 6-11 классов",
        "2020 – 30%", "2021 – 40%", "2022- 50%",
    ]
    assert any("не похожа на дорожную карту" in w for w in r.warnings)  # «Таблица 1»


def test_seed_002_unnumbered_sections_and_items():
    r = parsed_seed("002")
    assert r.title.startswith("Дорожная карта по реализации мероприятий муниципальной системы")
    assert r.approving_document is None
    assert r.period is None
    system = r.sections[1]
    assert [i.number for i in system.items] == ["14"]
    assert [s.parent for s in r.sections[2:]] == [1] * 13
    lost_number = r.sections[10]
    assert (lost_number.number, lost_number.parent) == (None, 1)
    assert lost_number.items[0].number == ""
    assert lost_number.items[0].responsible == ["УО", "МКУ «ЦОД УО МОУ»", "ОО"]
    assert r.sections[0].items[0].responsible_canonical == ["Орган управления образованием"]
    assert r.sections[5].items[0].schedule.month_spans[0].year is None  # «август», no year known


def test_seed_003_plan_targets_and_cleanup():
    r = parsed_seed("003")
    assert r.title == (
        "План мероприятий («дорожная карта») по повышению качества общего образования в "
        "общеобразовательных организациях Юргинского городского округа, имеющих низкие "
        "образовательные результаты обучающихся, на 2020-2021 годы"
    )
    doc = r.approving_document
    assert doc is not None
    assert (doc.kind, doc.number, doc.date) == ("приказ", "512", date(2020, 11, 26))
    assert r.period == (2020, 2021)
    items = r.sections[0].items
    assert [i.number for i in items] == [str(k) for k in range(1, 28)]
    assert items[5].title.endswith(
        "имеющих низкие образовательные результаты обучающихся, на 2020-2021 годы"
    )
    assert "<" not in items[14].title and "«Информатизация»" in items[14].title
    assert items[1].responsible == ["МБУ ДПО «ИМЦ г. Юрги»", "ОО"]
    assert items[1].responsible_canonical == ["Методический центр", "Образовательные организации"]
    assert items[20].responsible == ["Отдел ЗСиППС МБУ ДПО «ИМЦ г. Юрги»", "ОО"]
    assert items[22].responsible_canonical == ["Орган управления образованием"]
    (target,) = r.targets
    assert target.name.startswith("Снижение доли школ с низкими результатами обучения")
    assert target.unit == "%"
    assert [(v.period, v.text, v.value) for v in target.values] == [
        ("2020/2021", "16%", 16.0), ("2021/2022", "8%", 8.0), ("2022/2023", "0%", 0.0),
    ]
    # the results appendix (sch423500 …) is not a roadmap
    assert all("sch4235" not in i.title for i in r.items)
    assert any("Территория" in w for w in r.warnings)


def test_seed_004_page_break_continuation_and_column_order():
    r = parsed_seed("004")
    assert r.title.startswith("План мероприятий, направленный на обеспечение объективности")
    doc = r.approving_document
    assert doc is not None
    assert (doc.number, doc.date) == ("512", date(2022, 6, 24))
    assert r.period == (2022, 2024)
    item = r.sections[1].items[3]
    assert item.number == "2.4"
    assert item.deadline_text == "В течение учебного года"
    assert item.title.endswith(
        "Помощь методическим объединениям в выборе эффективных форм работы по изучению системы "
        "оценивания результатов оценочных процедур"
    )
    assert r.sections[2].items[13].number == "3.14"
    assert r.sections[4].items[0].responsible == [
        "Отдел образования", "Методический кабинет", "Руководители ОО",
    ]
    assert r.sections[2].items[13].responsible == [
        "Заместители руководителя по УВР", "Методический кабинет",
    ]


def test_excerpt_03_pipes_roman_part_and_approving_act():
    text = (EXCERPTS / "03-krasnodar-gia9-plan-2012-2013.txt").read_text(encoding="utf-8")
    r = parse_roadmap_text(text)
    assert r.title.startswith("ПЕРЕЧЕНЬ МЕРОПРИЯТИЙ ПО ПОДГОТОВКЕ И ПРОВЕДЕНИЮ")
    assert r.period == (2012, 2013)
    doc = r.approving_document
    assert doc is not None
    assert (doc.number, doc.date) == ("7498", date(2012, 9, 28))
    part, block = r.sections
    assert (part.number, part.deadline_text) == ("I", "ноябрь 2012 – май 2013г.")
    assert (block.number, block.parent, block.level) == ("1", 0, 1)
    assert [i.number for i in block.items] == ["1.1", "1.2", "1.3", "1.4"]
    assert block.items[0].responsible == ["Министерство"]
    assert block.items[0].schedule.occurrences(date(2012, 1, 1), date(2012, 12, 31))[0].end == (
        date(2012, 11, 25)
    )


# ----------------------------------------------------------------------------------------------
# DOCX and XLSX give the same roadmap as the text
# ----------------------------------------------------------------------------------------------


def same_roadmap(a: ParsedRoadmap, b: ParsedRoadmap) -> None:
    assert a.title == b.title
    assert a.approving_document == b.approving_document
    assert a.period == b.period
    assert a.targets == b.targets
    assert [s.title for s in a.sections] == [s.title for s in b.sections]
    for sa, sb in zip(a.sections, b.sections, strict=True):
        assert sa == sb


@pytest.mark.parametrize("name", ["000", "003", "002", "004"])
def test_docx_and_xlsx_conversions_match_the_text(name, tmp_path):
    text = read_seed(name)
    expected = parse_roadmap_text(text)
    docx_bytes, xlsx_bytes = text_to_docx(text), text_to_xlsx(text)
    same_roadmap(expected, parse_roadmap_docx(docx_bytes))
    same_roadmap(expected, parse_roadmap_xlsx(xlsx_bytes))
    docx_file = tmp_path / "roadmap.docx"
    docx_file.write_bytes(docx_bytes)
    xlsx_file = tmp_path / "roadmap.xlsx"
    xlsx_file.write_bytes(xlsx_bytes)
    same_roadmap(expected, parse_roadmap(docx_file))
    same_roadmap(expected, parse_roadmap(xlsx_file))
    same_roadmap(expected, parse_roadmap(seed_path(name)))


def test_fixture_merges_heading_rows_in_docx():
    table = docx.Document(io.BytesIO(text_to_docx(read_seed("000")))).tables[0]
    heading = table.rows[1].cells
    assert heading[0]._tc is heading[3]._tc
    assert heading[0].text == "I. Управление качеством образовательных результатов"


def test_fixture_splits_text_into_paragraphs_and_tables():
    blocks = text_to_blocks("Заголовок\n\n№\tМероприятие\n1.\tА\n\n\tб\t\nКонец")
    assert [type(b).__name__ for b in blocks] == ["Paragraph", "Paragraph", "Table", "Paragraph"]
    table = blocks[2]
    assert isinstance(table, Table)
    assert table.rows == (("№", "Мероприятие"), ("1.", "А"), ("", "б", ""))


def test_docx_table_split_over_two_tables():
    document = docx.Document()
    document.add_paragraph("План мероприятий на 2022 год")
    first = document.add_table(rows=3, cols=4)
    for k, values in enumerate([("№", "Мероприятие", "Срок", "Ответственный"),
                                ("1.", "Совещание", "январь", "УО"),
                                ("2.", "Семинар для", "", "ИМЦ")]):
        for c, value in enumerate(values):
            first.cell(k, c).text = value
    second = document.add_table(rows=2, cols=4)  # the page break cut the table, no header
    for k, values in enumerate([("", "заместителей директоров", "февраль", ""),
                                ("3.", "Анализ", "до 01.03.2022", "ОО")]):
        for c, value in enumerate(values):
            second.cell(k, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    r = parse_roadmap_docx(buffer.getvalue())
    (section,) = r.sections
    assert section.title == "План мероприятий на 2022 год"
    assert [(i.number, i.title, i.deadline_text) for i in section.items] == [
        ("1", "Совещание", "январь"),
        ("2", "Семинар для заместителей директоров", "февраль"),
        ("3", "Анализ", "до 01.03.2022"),
    ]
    assert section.items[0].schedule.month_spans[0].year == 2022


def test_xlsx_title_rows_above_the_header_and_numbers_as_numbers():
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Дорожная карта по повышению качества образования на 2023-2024 годы"])
    sheet.append(["№", "Содержание деятельности", "Сроки исполнения", "Исполнители",
                  "Ожидаемый результат", "Примечание"])
    sheet.append([1, 2, 3, 4, 5, 6])  # column numbers under the header
    sheet.append(["1. Аналитическая работа"])
    sheet.append([1.1, "Анализ ВПР", "октябрь 2023", "ИМЦ\nРуководители ОО", "Справка", "—"])
    sheet.append(["1.2", "Собеседования", date(2023, 11, 15), "УО", None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    r = parse_roadmap_xlsx(buffer.getvalue())
    assert r.title == "Дорожная карта по повышению качества образования на 2023-2024 годы"
    assert r.period == (2023, 2024)
    (section,) = r.sections
    assert section.title == "1. Аналитическая работа"
    first, second = section.items
    assert (first.number, first.indicator_text, first.extra) == ("1.1", "Справка",
                                                                 {"Примечание": "—"})
    assert first.responsible == ["ИМЦ", "Руководители ОО"]
    assert (second.deadline_text, second.schedule.kind) == ("15.11.2023", "date")


# ----------------------------------------------------------------------------------------------
# Other flattenings
# ----------------------------------------------------------------------------------------------

BOX = """УТВЕРЖДЕН
приказом управления образования от 15.01.2022 № 12

ПЛАН МЕРОПРИЯТИЙ
по повышению объективности оценочных процедур на 2022 год

┌─────┬──────────────────────────┬──────────────┬──────────────────┐
│  №  │       Мероприятие        │    Сроки     │  Ответственные   │
│ п/п │                          │              │                  │
├─────┼──────────────────────────┼──────────────┼──────────────────┤
│  1  │            2             │      3       │        4         │
├─────┼──────────────────────────┼──────────────┼──────────────────┤
│I. Организационные меры                                            │
├─────┼──────────────────────────┼──────────────┼──────────────────┤
│1.1. │Проведение семинаров для  │июль - август │УО, МБУ ДПО       │
│     │заместителей директоров   │2022          │«ИМЦ г. Юрги»     │
├─────┼──────────────────────────┼──────────────┼──────────────────┤
│1.2. │Мониторинг сайтов обще-   │до 25 числа   │ИМЦ               │
│     │образовательных организаций│каждого месяца│                  │
├─────┼──────────────────────────┼──────────────┼──────────────────┤
│1.3. │Участие в ВПР             │по графику ФЦТ│Руководители ОО   │
└─────┴──────────────────────────┴──────────────┴──────────────────┘
"""


def test_pseudo_graphic_table_with_cells_split_over_lines():
    r = parse_roadmap_text(BOX)
    assert r.title == "ПЛАН МЕРОПРИЯТИЙ по повышению объективности оценочных процедур на 2022 год"
    doc = r.approving_document
    assert doc is not None
    assert (doc.number, doc.date) == ("12", date(2022, 1, 15))
    (section,) = r.sections
    assert section.title == "I. Организационные меры"
    assert [(i.number, i.title, i.deadline_text, i.schedule.kind) for i in section.items] == [
        ("1.1", "Проведение семинаров для заместителей директоров", "июль - август 2022",
         "months"),
        ("1.2", "Мониторинг сайтов обще-образовательных организаций",
         "до 25 числа каждого месяца", "monthly"),
        ("1.3", "Участие в ВПР", "по графику ФЦТ", "external"),
    ]
    assert section.items[0].responsible == ["УО", "МБУ ДПО «ИМЦ г. Юрги»"]


def test_markdown_pipe_table_with_a_continuation_row():
    text = (
        "План мероприятий на 2021 год\n"
        "| № | Мероприятие | Сроки | Ответственный | Показатель |\n"
        "|---|---|---|---|---|\n"
        "| 1 | Проведение совещания | ежегодно, май | УО | Протокол |\n"
        "| 2 | Анализ результатов ВПР | до 1 декабря 2021 года | ИМЦ; ОО | Справка |\n"
        "|   | и ОГЭ |  |  |  |\n"
    )
    (section,) = parse_roadmap_text(text).sections
    assert [(i.number, i.title, i.indicator_text) for i in section.items] == [
        ("1", "Проведение совещания", "Протокол"),
        ("2", "Анализ результатов ВПР и ОГЭ", "Справка"),
    ]
    assert section.items[1].responsible == ["ИМЦ", "ОО"]


# ----------------------------------------------------------------------------------------------
# Responsible actors
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("УО", "Орган управления образованием"),
        ("Управление образованием", "Орган управления образованием"),
        ("Управление образованием Администрации города Юрги", "Орган управления образованием"),
        ("Комитет по образованию", "Орган управления образованием"),
        ("Отдел образования", "Орган управления образованием"),
        ("Управление образования города Кузнецка", "Орган управления образованием"),
        ("Управление образования администрации муниципального образования – Шиловский "
         "муниципальный район Рязанской области (далее - УО)", "Орган управления образованием"),
        ("МКУ «Методический центр»", "Методический центр"),
        ('МКУ "Методический центр"', "Методический центр"),
        ("ИМЦ", "Методический центр"),
        ("МБУ ДПО «ИМЦ г. Юрги»", "Методический центр"),
        ("МБУ ДПО «ИМЦ г.Юрги»", "Методический центр"),
        ("методический центр", "Методический центр"),
        ("Руководители ОО", "Образовательные организации"),
        ("ОО", "Образовательные организации"),
        ("ОО (по согласованию)", "Образовательные организации"),
        ("образовательные организации", "Образовательные организации"),
        ("руководители общеобразовательных организаций", "Образовательные организации"),
        ("Руководители МОО", "Образовательные организации"),
    ],
)
def test_normalize_responsible_synonyms(name, canonical):
    assert normalize_responsible(name) == canonical


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("МКУ «ЦОД УО МОУ»", "МКУ «ЦОД УО МОУ»"),
        ("  Руководители   РМО. ", "Руководители РМО"),
        ('ГАОУ ДПО "Институт развития"', "ГАОУ ДПО «Институт развития»"),
        ("Отдел ЗСиППС МБУ ДПО «ИМЦ г. Юрги»", "Отдел ЗСиППС МБУ ДПО «ИМЦ г. Юрги»"),
        ("Руководители МОО – муниципальных ресурсных центров",
         "Руководители МОО – муниципальных ресурсных центров"),
    ],
)
def test_unknown_actors_are_kept_tidied(name, kept):
    assert normalize_responsible(name) == kept


def test_synonym_table_is_data():
    assert set(RESPONSIBLE_SYNONYMS) == {
        "Орган управления образованием", "Методический центр", "Образовательные организации",
    }
    for canonical, variants in RESPONSIBLE_SYNONYMS.items():
        for variant in variants:
            assert normalize_responsible(variant) == canonical


@pytest.mark.parametrize(
    ("cell", "actors"),
    [
        ("УО, МБУ ДПО «ИМЦ г. Юрги», ОО", ["УО", "МБУ ДПО «ИМЦ г. Юрги»", "ОО"]),
        ("УО; ИМЦ\nОО", ["УО", "ИМЦ", "ОО"]),
        ("Управление образования, \n\nМБУ ЦТО УО, ОО", ["Управление образования", "МБУ ЦТО УО",
                                                      "ОО"]),
        ("ОО (по согласованию, в 2023 году), УО", ["ОО (по согласованию, в 2023 году)", "УО"]),
        ('МКУ "Центр, оценки", УО', ['МКУ "Центр, оценки"', "УО"]),
        ("Комитет по образованию МКУ «Методический центр»",
         ["Комитет по образованию", "МКУ «Методический центр»"]),
        ("Отдел образования МБОУ «СОШ №19» ИГОСК, МКОУ «СОШ №15» (в 2023 году)",
         ["Отдел образования", "МБОУ «СОШ №19» ИГОСК", "МКОУ «СОШ №15» (в 2023 году)"]),
        ("Отдел ЗСиППС МБУ ДПО «ИМЦ г. Юрги», ОО", ["Отдел ЗСиППС МБУ ДПО «ИМЦ г. Юрги»", "ОО"]),
        ("", []),
        (" - ", []),
    ],
)
def test_split_responsible(cell, actors):
    assert split_responsible(cell) == actors


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------


def test_parse_roadmap_rejects_other_formats_in_russian(tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(RoadmapFormatError, match="не поддерживается"):
        parse_roadmap(path)


def test_broken_office_files_raise_a_russian_error():
    with pytest.raises(RoadmapFormatError, match="Word"):
        parse_roadmap_docx(b"not a zip")
    with pytest.raises(RoadmapFormatError, match="Excel"):
        parse_roadmap_xlsx(b"not a zip")


def test_cp1251_text_file(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_bytes(read_seed("003").encode("cp1251", errors="replace"))
    assert len(parse_roadmap(path).items) == 27


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------

FRAGMENTS = [
    "\t", "\n", "\n\n", "|", "│", "─┼─", "├──┤", "№", "п/п", "Мероприятие", "Сроки",
    "Ответственный", "Показатель", "1.", "1.1.", "2.3.1", "I.", "II", "ежегодно", "ноябрь 2020",
    "УО, ИМЦ", "«", "»", "(", ")", "Приложение 1", "ПРИКАЗ", "от 01.02.2020 № 5",
    "План мероприятий на 2020-2021 годы", " ", "а", "Наименование целевого показателя",
    "Единица измерения", "2020/2021", "16%", "<p>", "</p>",
]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=80).map("".join)))
def test_any_text_gives_a_consistent_roadmap(text):
    r = parse_roadmap_text(text)
    for index, section in enumerate(r.sections):
        assert section.parent is None or 0 <= section.parent < index
        expected_level = 0 if section.parent is None else r.sections[section.parent].level + 1
        assert section.level == expected_level
        for item in section.items:
            assert item.schedule.text == item.deadline_text
            assert all(a.strip() == a and a for a in item.responsible)
