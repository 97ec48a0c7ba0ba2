"""Name normalisation, subject names and header matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from soko.imports.parsing.aggregates import parse_ege_by_school
from soko.imports.parsing.names import (
    ColumnSpec,
    match_header,
    normalize_municipality,
    normalize_org_name,
    org_name_without_form,
    subject_code,
)
from soko.imports.parsing.tables import read_any

pytestmark = pytest.mark.core

ZAB = (Path(__file__).resolve().parents[2] / "data" / "realdata"
       / "zabaikalsky-eao-ege-by-school" / "zabaikalsky-krai-ege-2022-2024.xlsx")

SAME_SCHOOL = [
    ('Муниципальное казённое общеобразовательное учреждение "Тпигская средняя '
     'обшеобразовательная школа  "', "МКОУ «Тпигская СОШ»"),
    ('Муниципальное бюджетное общеобразовательное учреждение "Средняя общеобразовательная '
     'школа №1"', "МБОУ «СОШ № 1»"),
    ("МБОУ «СОШ № 5»", 'мбоу "сош №5"'),
    ("МБОУ „СОШ № 5“", "МБОУ 'СОШ №  5' "),
    ("МКОУ «Ёлкинская ООШ»", "МКОУ «Елкинская основная общеобразовательная школа»"),
    ("Mуниципальное общеобразовательное учреждение средняя общеебразовательная школа № 5",
     "МОУ СОШ № 5"),
    ('МКОУ "СОШ им.И.А. Пришкольника с.Валдгейм"',
     "МКОУ «СОШ имени И. А. Пришкольника с. Валдгейм»"),
    ("МКОУ Центр образовнаия им.А.И. Раскопенского", "МКОУ «ЦО им. А. И. Раскопенского»"),
    ("Муниципальное общеобразовательное учреждение - гимназия №1", "МОУ гимназия № 1"),
    ("Муниципальное общеобразовательное учреждение <Ботовская средняя общеобразовательная школа>",
     "МОУ «Ботовская СОШ»"),
    ("ГБОУ Школа № 1514", "Государственное бюджетное общеобразовательное учреждение «Школа №1514»"),
    ("МБОУ «СОШ с углублённым изучением отдельных предметов № 3»", "МБОУ «СОШ с УИОП №3»"),
]
DIFFERENT_SCHOOLS = [
    ("МБОУ «СОШ № 1»", "МБОУ «СОШ № 11»"),
    ("МБОУ «СОШ № 1»", "МБОУ «ООШ № 1»"),
    ("МБОУ «СОШ № 1»", "МАОУ «СОШ № 1»"),
    ("МБОУ «Гимназия № 2»", "МБОУ «Лицей № 2»"),
]


@pytest.mark.parametrize(("a", "b"), SAME_SCHOOL)
def test_same_school(a: str, b: str) -> None:
    assert normalize_org_name(a) == normalize_org_name(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT_SCHOOLS)
def test_different_schools(a: str, b: str) -> None:
    assert normalize_org_name(a) != normalize_org_name(b)


def test_normalized_form() -> None:
    assert normalize_org_name("Муниципальное бюджетное общеобразовательное учреждение «Средняя "
                              "общеобразовательная школа № 6 г. Юрги»") == "мбоу сош №6 г. юрги"
    assert org_name_without_form("МАОУ «Алханайская СОШ»") == "алханайская сош"
    assert org_name_without_form("МБОУ «Алханайская СОШ»") == "алханайская сош"
    assert normalize_org_name("") == ""


def test_municipality() -> None:
    same = ["Город чита", "Город Чита", "г. Чита", "г.Чита", "город  Чита ",
            'Комитет образования администрации городского округа "Город Чита"',
            'Комитет образования администрации городского округа "Город чита"']
    assert {normalize_municipality(n) for n in same} == {"город чита"}
    assert normalize_municipality("Ленинский р-н") == normalize_municipality("Ленинский район")
    assert normalize_municipality("Юргинский ГО") == "юргинский городской округ"
    assert normalize_municipality("Министерство образования и науки Забайкальского края") == (
        "министерство образования и науки забайкальского края")
    city, district = "город Биробиджан", "Биробиджанский район"
    assert normalize_municipality(city) != normalize_municipality(district)


def test_names_match_across_years_on_real_data() -> None:
    """Забайкальский край: schools of 2022 and 2023 matched within their municipality."""
    parsed = parse_ege_by_school(read_any(ZAB), file_name=ZAB.name)

    def keys(year: int, key: object) -> set[tuple[str, str]]:
        return {(normalize_municipality(r.org.municipality), key(r.org.name))  # type: ignore[operator]
                for r in parsed.records if r.year == year and r.subject == ""}

    def plain(name: str) -> str:
        return name

    assert len(keys(2022, plain) & keys(2023, plain)) == 321
    assert len(keys(2022, normalize_org_name) & keys(2023, normalize_org_name)) == 341
    assert len(keys(2022, org_name_without_form) & keys(2023, org_name_without_form)) == 350


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Русский язык", "РУ"),
        ("Математика профильная", "МАП"),
        ("Математика (профиль), чел.", "МАП"),
        ("Математика базовая", "МАБ"),
        ("Информатика и ИКТ (КЕГЭ)", "ИН"),
        ("Информатика (КЕГЭ)", "ИН"),
        ("ИКТ, чел.", "ИН"),
        ("Биология\u00a0, чел.", "БИ"),
        ("География, чел. \n(в т.ч. участвовавшие в 2023 году)", "ГЕ"),
        ("Иностранные языки, чел.", "ИНЯ"),
        ("Английский язык (устный)", "АЯ-У"),
        ("Китайский язык (устный)", "КЯ-У"),
        ("Испанский язык", "ИЯ"),
        ("ма", "МА"),
        ("АЯ-У", "АЯ-У"),
        ("из них", None),
        ("Астрономия", None),
    ],
)
def test_subject_code(text: str, code: str | None) -> None:
    assert subject_code(text) == code


SPECS = (
    ColumnSpec("Логин ОО", ("Логин", "Код ОО", "ОО")),
    ColumnSpec("Код обучающегося", ("Код участника", "Код")),
    ColumnSpec("Год", (), required=False),
)


def test_match_header_synonyms_and_mapping() -> None:
    found = match_header(["ОО", "Код участника", "Лишний"], SPECS)
    assert found.columns == {"Логин ОО": 0, "Код обучающегося": 1}
    assert found.titles == {"Логин ОО": "ОО", "Код обучающегося": "Код участника"}
    assert found.unknown == [(2, "Лишний")]
    assert found.missing == []
    found = match_header(["Школа", "Код"], SPECS)
    assert found.missing == ["Логин ОО"]
    found = match_header(["Школа", "Код"], SPECS, {"Школа": "Логин ОО"})
    assert found.columns == {"Логин ОО": 0, "Код обучающегося": 1}
    found = match_header(["Школа", "Код"], SPECS, {"Школа": "Неизвестно"})
    assert found.bad_mapping == [("Школа", "Неизвестно")]
    found = match_header(["Логин", "Логин ОО", "Код"], SPECS)
    assert found.repeated == [(1, "Логин ОО")]
