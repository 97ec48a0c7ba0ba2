"""Validation rules of monitoring forms: each rule type with a good and a bad value, and the
Russian message naming the field."""

from __future__ import annotations

import pytest

from soko.monitoring.formspec import (
    SpecError,
    check_unique_codes,
    parse_form,
    raw_from_values,
    source_values,
    validate,
)

pytestmark = pytest.mark.core

FORM = {
    "code": "demo",
    "title": "Проверочная форма",
    "sections": [
        {
            "title": "Раздел",
            "fields": [
                {"code": "whole", "label": "Всего обучающихся", "kind": "integer", "min": 0},
                {"code": "part", "label": "Из них участники", "kind": "integer", "min": 0},
                {"code": "share", "label": "Доля охвата", "kind": "percent"},
                {"code": "avg", "label": "Средний балл", "kind": "number", "max": 5},
                {"code": "flag", "label": "Программа утверждена", "kind": "boolean"},
                {"code": "url", "label": "Ссылка на программу", "kind": "link"},
                {"code": "when", "label": "Дата утверждения", "kind": "date", "required": False},
                {"code": "note", "label": "Комментарий", "kind": "text", "max_length": 10},
                {"code": "level", "label": "Уровень", "kind": "choice", "options": [
                    {"code": "low", "label": "низкий", "score": 1},
                    {"code": "high", "label": "высокий", "score": 3}]},
                {"code": "picks", "label": "Приоритеты", "kind": "multichoice", "required": True,
                 "options": [{"code": "a", "label": "А"}, {"code": "b", "label": "Б"},
                             {"code": "c", "label": "В"}]},
                {"code": "contests", "label": "Конкурсы", "kind": "table", "columns": [
                    {"code": "name", "label": "Конкурс", "kind": "text"},
                    {"code": "n", "label": "Участники", "kind": "integer", "min": 0},
                    {"code": "result", "label": "Результат", "kind": "choice", "options": [
                        {"code": "prize", "label": "призёр"},
                        {"code": "winner", "label": "победитель"}]}]},
            ],
        }
    ],
    "rules": [
        {"kind": "le", "left": ["part"], "right": ["whole"]},
        {"kind": "le", "left": ["contests.n"], "right": ["whole"]},
        {"kind": "required_if", "field": "when", "when": {"field": "flag", "equals": True}},
        {"kind": "max_selected", "field": "picks", "limit_param": "max.picks"},
    ],
}
GOOD = {
    "whole": "120", "part": "45", "share": "37,5 %", "avg": "4,2", "flag": "да",
    "url": "https://school.example.ru/program", "when": "01.09.2025", "note": "всё верно",
    "level": "high", "picks": ["a", "c"],
    "contests": [{"name": "Старт в науку", "n": "3", "result": "prize"},
             {"name": "", "n": "", "result": ""},
             {"name": "Живая классика", "n": "2", "result": "winner"}],
}
LIMITS = {"max.picks": 2}


@pytest.fixture(scope="module")
def spec():
    return parse_form(FORM)


def check(spec, **changes):
    raw = {**GOOD, **changes}
    return validate(spec, raw, limits=LIMITS)


def test_good_answers_pass_and_are_typed(spec) -> None:
    result = check(spec)
    assert result.ok, result.errors
    v = result.values
    assert v["whole"] == 120 and isinstance(v["whole"], int)
    assert v["share"] == 37.5 and v["avg"] == 4.2 and v["flag"] is True
    assert v["when"] == "2025-09-01" and v["level"] == "high" and v["picks"] == ["a", "c"]
    assert len(v["contests"]) == 2  # the empty editor line is dropped
    assert v["contests"][1] == {"name": "Живая классика", "n": 2, "result": "winner"}


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("whole", "", "Заполните поле «Всего обучающихся»."),
        ("whole", "12,5", "Поле «Всего обучающихся»: введите целое число (введено «12,5»)."),
        ("whole", "сто", "Поле «Всего обучающихся»: введите целое число (введено «сто»)."),
        ("whole", "-3", "Поле «Всего обучающихся»: значение -3 меньше допустимого минимума 0."),
        ("avg", "5,5", "Поле «Средний балл»: значение 5,5 больше допустимого максимума 5."),
        ("avg", "4.2.1", "Поле «Средний балл»: введите число (введено «4.2.1»)."),
        ("share", "120", "Поле «Доля охвата»: значение 120 больше допустимого максимума 100."),
        ("flag", "может быть", "Поле «Программа утверждена»: выберите «да» или «нет»."),
        ("level", "middle", "Поле «Уровень»: выберите один из предложенных вариантов."),
        ("picks", ["a", "z"], "Поле «Приоритеты»: варианта «z» нет в списке."),
        ("picks", [], "Заполните поле «Приоритеты»."),
        ("when", "31.02.2025", "Поле «Дата утверждения»: введите дату в формате ДД.ММ.ГГГГ "
                               "(введено «31.02.2025»)."),
        ("url", "school.ru", "Поле «Ссылка на программу»: введите адрес, начинающийся с "
                             "http:// или https://."),
        ("note", "слишком длинный текст", "Поле «Комментарий»: не более 10 символов "
                                          "(введено 21)."),
    ],
)
def test_each_field_rule_rejects_a_bad_value_with_a_russian_message(spec, field, bad,
                                                                    message) -> None:
    result = check(spec, **{field: bad})
    assert not result.ok
    assert message in result.errors[field]


def test_part_not_greater_than_whole(spec) -> None:
    assert check(spec, part="120").ok
    result = check(spec, part="121")
    assert result.errors["part"] == [
        "Значение поля «Из них участники» (121) не может быть больше значения поля "
        "«Всего обучающихся» (120)."
    ]


def test_a_table_column_sum_is_checked_against_a_field(spec) -> None:
    rows = [{"name": "А", "n": "70", "result": "prize"},
            {"name": "Б", "n": "51", "result": "winner"}]
    result = check(spec, contests=rows)
    assert "Значение поля «Конкурсы: Участники (сумма)» (121) не может быть больше значения "\
           "поля «Всего обучающихся» (120)." in result.errors["contests"]
    rows[1]["n"] = "50"
    assert check(spec, contests=rows).ok


def test_a_bad_table_cell_names_the_row_and_column(spec) -> None:
    result = check(spec, contests=[{"name": "А", "n": "два", "result": "prize"}])
    assert result.errors["contests"] == [
        "Поле «Конкурсы», строка 1, столбец «Участники»: введите целое число (введено «два»)."
    ]


def test_required_if(spec) -> None:
    assert check(spec, flag="нет", when="").ok
    result = check(spec, flag="да", when="")
    assert result.errors["when"] == [
        "Заполните поле «Дата утверждения»: оно обязательно, если в поле «Программа "
        "утверждена» выбрано «да»."
    ]


def test_max_selected_reads_its_limit_from_a_parameter(spec) -> None:
    result = check(spec, picks=["a", "b", "c"])
    assert result.errors["picks"] == ["Поле «Приоритеты»: можно выбрать не более 2 вариантов "
                                      "(выбрано 3)."]
    assert validate(spec, {**GOOD, "picks": ["a", "b", "c"]}, limits={"max.picks": 3}).ok


def test_a_draft_allows_blanks_but_not_wrong_values(spec) -> None:
    draft = validate(spec, {"whole": "100", "part": "7"}, partial=True, limits=LIMITS)
    assert draft.ok
    draft = validate(spec, {"whole": "100", "part": "abc"}, partial=True, limits=LIMITS)
    assert list(draft.errors) == ["part"]


def test_source_values_flatten_answers_for_indicators(spec) -> None:
    values = check(spec).values
    assert source_values(spec, values) == {
        "submitted.demo": 1.0,
        "whole": 120.0, "part": 45.0, "share": 37.5, "avg": 4.2, "flag": 1.0,
        "level": 3.0, "level.low": 0.0, "level.high": 1.0,
        "picks.a": 1.0, "picks.b": 0.0, "picks.c": 1.0,
        "contests.rows": 2.0, "contests.n": 5.0, "contests.result.prize": 1.0,
        "contests.result.winner": 1.0,
    }


def test_names_of_the_source_match_the_flattened_values(spec) -> None:
    names = {n for n, _ in spec.source_names()}
    assert set(source_values(spec, check(spec).values)) <= names


def test_a_description_survives_a_round_trip(spec) -> None:
    again = parse_form({"code": spec.code, "title": spec.title,
                        "sections": spec.sections_dict(), "rules": spec.rules_dict()})
    assert again == spec


def test_typed_values_go_back_to_what_an_editor_shows(spec) -> None:
    values = check(spec).values
    raw = raw_from_values(spec, values)
    assert raw["avg"] == "4,2" and raw["flag"] == "да"
    assert validate(spec, raw, limits=LIMITS).values == values


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "float"}, "неизвестный тип «float»"),
        ({"code": "Bad-Code"}, "код «Bad-Code» должен начинаться с латинской буквы"),
        ({"code": "submitted"}, "код «submitted» зарезервирован"),
        ({"min": 10, "max": 1}, "минимум 10 больше максимума 1"),
    ],
)
def test_a_bad_form_description_is_rejected_with_the_place(change, message) -> None:
    data = {"code": "f", "sections": [{"title": "Р", "fields": [
        {"code": "x", "label": "Икс", "kind": "integer", **change}]}]}
    with pytest.raises(SpecError, match=message):
        parse_form(data)


def test_a_rule_on_an_unknown_field_is_rejected() -> None:
    data = {"code": "f", "sections": [{"title": "Р", "fields": [
        {"code": "x", "label": "Икс", "kind": "integer"}]}],
        "rules": [{"kind": "le", "left": ["x"], "right": ["y"]}]}
    with pytest.raises(SpecError, match="«y» — не числовое поле формы"):
        parse_form(data)


def test_field_codes_are_unique_across_forms(spec) -> None:
    other = parse_form({"code": "other", "sections": [{"title": "Р", "fields": [
        {"code": "whole", "label": "Всего", "kind": "integer"}]}]})
    with pytest.raises(SpecError, match="Поле «whole» формы «other» уже есть в форме «demo»"):
        check_unique_codes([spec, other])
