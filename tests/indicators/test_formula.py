"""The formula language: what parses, what is rejected (with the column of the mistake), and
that nothing is ever evaluated as Python."""

from __future__ import annotations

import builtins

import pytest

from soko.indicators import formula as f

pytestmark = pytest.mark.core

SCHEMA = f.Schema(
    external={"form": "Формы мониторинга", "flags": "Флаги"},
    params=lambda code: {"privacy.min_group_size": 10, "x.share": 0.3}[code],
)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (
            "count(result where mark = 2 and not absent)",
            "count(result where ((mark = 2.0) and (not absent)))",
        ),
        (
            'sum(aggregate.numerator where metric = "below_min")',
            'sum(aggregate.numerator where (metric = "below_min"))',
        ),
        ("mean(result.test_score)", "mean(result.test_score)"),
        ("avg(result.test_score)", "mean(result.test_score)"),
        (
            "count(result.mark) - 2 * count(result where mark >= 4) / 3",
            "(count(result.mark) - ((2.0 * count(result where (mark >= 4.0))) / 3.0))",
        ),
        (
            'count(result where procedure in ["ВПР", "ОГЭ"] and grade >= 5)',
            'count(result where ((procedure in ["ВПР", "ОГЭ"]) and (grade >= 5.0)))',
        ),
        (
            "count(result where subject not in ['МА'] or journal_mark is null)",
            'count(result where ((subject not in ["МА"]) or (journal_mark is null)))',
        ),
        ("count(olympiad where status = «winner»)", 'count(olympiad where (status = "winner"))'),
        ("sum(form.career_bilet_participants)", "sum(form.career_bilet_participants)"),
        ("form.a + form.b", "(sum(form.a) + sum(form.b))"),
        (
            'count(result where abs(mark - journal_mark) >= param("x.share"))',
            'count(result where (abs((mark - journal_mark)) >= param("x.share")))',
        ),
        (
            "if(flags.low_results > 0, count(result), 0)",
            "if((sum(flags.low_results) > 0.0), count(result), 0.0)",
        ),
        (
            "count_distinct(olympiad.student_code where stage = 'school')",
            'count_distinct(olympiad.student_code where (stage = "school"))',
        ),
        ("-count(result) + 1", "((-count(result)) + 1.0)"),
    ],
)
def test_good_formulas_parse_to_a_canonical_tree(text: str, canonical: str) -> None:
    assert f.to_text(f.parse(text, SCHEMA)) == canonical


def test_a_condition_with_groups_and_parameters_parses() -> None:
    text = (
        'count_groups(result by work where procedure = "ВПР" having '
        'count(result where mark = 2) / count(result) >= param("x.share") '
        'and count(result) >= param("privacy.min_group_size")) >= 2'
    )
    node = f.parse(text, SCHEMA, expect=f.BOOL)
    assert f.infer(node) == f.BOOL
    groups = f.aggregates(node)[0]
    assert groups.func == "count_groups" and groups.by == ("work",)


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ('__import__("os")', 1, "не поддерживается"),
        ("count(result where mark = 2 and)", 32, "ожидалось значение"),
        ("count(reslt)", 7, "неизвестный источник"),
        ("count(result where mrak = 2)", 20, "нет столбца «mrak»"),
        ("sum(result)", 5, "нужен столбец"),
        ("count(result where subject = 5)", 28, "разные типы"),
        ("result.mark", 1, "агрегирующая функция"),
        ("1 +", 4, "оборвалось"),
        ("count(result where mark = 2", 28, "закрывающая скобка"),
        ("sum(result.subject)", 5, "по числовому столбцу"),
        ("mean(result.mark where count(result) > 1)", 24, "внутри where"),
        ("count(result where absent = 1)", 27, "разные типы"),
        ("count(result) ; drop table x", 15, "недопустимый символ"),
        ("count(result where mark = 2) 5", 30, "лишний текст"),
        ('param("no.such")', 7, "нет методического параметра"),
        ("eval(1)", 1, "не поддерживается"),
        ("os.system", 1, "неизвестное имя"),
        ("count(result) and 1", 1, "соединяет условия"),
        ("", 1, "формула пуста"),
        ("count(result where mark = 'пять)", 27, "не закрыта"),
        ("count_groups(result by work)", 28, "having"),
        ("count(result by work)", 14, "only"),
    ],
)
def test_bad_formulas_are_rejected_with_the_column(text: str, column: int, words: str) -> None:
    with pytest.raises(f.FormulaError) as info:
        f.parse(text, SCHEMA)
    error = info.value
    assert error.column == column, error.describe()
    if words == "only":
        assert "count_groups" in error.message
    else:
        assert words in error.message, error.describe()
    assert error.describe().startswith(f"Столбец {column}:")
    assert error.caret().splitlines()[1] == " " * (column - 1) + "^"


def test_multiline_formulas_report_line_and_column() -> None:
    with pytest.raises(f.FormulaError) as info:
        f.parse("count(result where mark = 2)\n + count(resul)", SCHEMA)
    assert (info.value.line, info.value.column) == (2, 10)
    assert info.value.describe().startswith("Строка 2, столбец 10:")


def test_a_condition_must_be_a_condition() -> None:
    with pytest.raises(f.FormulaError) as info:
        f.parse("count(result)", SCHEMA, expect=f.BOOL, what="Условие")
    assert "логическое значение" in info.value.message


def test_nothing_is_evaluated_as_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser never reaches eval/exec/compile/__import__, even for hostile input."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("Python evaluation must never be used")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    for text in (
        '__import__("os").system("echo x")',
        "().__class__",
        "lambda: 1",
        "[x for x in y]",
    ):
        with pytest.raises(f.FormulaError):
            f.parse(text, SCHEMA)


def test_additivity_decides_what_may_be_summed_over_organizations() -> None:
    def node(text: str) -> f.Node:
        return f.parse(text, SCHEMA)

    assert f.is_additive(node("count(result) + 2 * sum(aggregate.numerator)"))
    assert f.is_additive(node("if(flags.x > 0, count(result), 0)"))
    assert not f.is_additive(node("mean(result.mark)"))
    assert not f.is_additive(node("count(result) / count(students)"))
    assert not f.is_additive(node("count(result) * count(result)"))
    assert f.counts_only(node("count(result) + count_distinct(olympiad.student_code)"))
    assert not f.counts_only(node("sum(aggregate.numerator)"))


def test_referenced_sources_include_external_names() -> None:
    node = f.parse("count(result) + sum(form.a) + flags.low_results", SCHEMA)
    assert f.referenced_sources(node) == {"result", "form.a", "flags.low_results"}
