"""School-level aggregate tables: seed 003 appendix, Забайкальский край / ЕАО forms, Moscow."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from soko.imports.parsing.aggregates import (
    check_totals,
    looks_like_aggregate_shares,
    looks_like_ege_by_school,
    looks_like_ege_open_data,
    parse_aggregate_shares,
    parse_ege_by_school,
    parse_ege_open_data,
    parse_group,
)
from soko.imports.parsing.names import normalize_municipality
from soko.imports.parsing.records import AggregateRecord, OrgRef, Parsed, TotalRecord, Where
from soko.imports.parsing.tables import Sheet, read_any

pytestmark = pytest.mark.core

DATA = Path(__file__).resolve().parents[2] / "data"
REAL = DATA / "realdata"
EGE_DIR = REAL / "zabaikalsky-eao-ege-by-school"
ZAB = EGE_DIR / "zabaikalsky-krai-ege-2022-2024.xlsx"
EAO = EGE_DIR / "evreyskaya-ao-ege-2022-2024.xlsx"
MOSCOW = REAL / "moscow-ege-2016" / "data-9722-2016-10-31.csv"
COUNTS = {"participants", "below_min", "high_80_99", "score_100", "graduates", "registered"}


# --------------------------------------------------------------------------------------------
# Seed 003, «Приложение 1»: the text table as users receive it (xlsx with a merged header, csv)
# --------------------------------------------------------------------------------------------


def seed_appendix() -> list[list[str]]:
    """The rows of the table after «Приложение 1» in seed 003 (two header rows + data)."""
    lines = (DATA / "seeds" / "003_0459af4a334e73aa.txt").read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == "Приложение 1")
    return [line.split("\t") for line in lines[start + 1 :] if line.strip()]


def _cell(text: str) -> Any:
    return int(text) if text.isdigit() else (text if text != "" else None)


def appendix_to_xlsx(rows: list[list[str]], path: Path) -> Path:
    """Write the appendix as an xlsx: fixed columns merged over the two header rows and every
    «ВПР МА 5 2019» merged over its two metric columns."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Приложение 1"
    for values in rows:
        sheet.append([_cell(v) for v in values])
    top, sub = rows[0], rows[1]
    for col, text in enumerate(top, start=1):
        if not text:
            continue
        if sub[col - 1] == "":
            sheet.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
        elif col < len(top) and top[col] == "":
            sheet.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 1)
    workbook.save(path)
    return path


def appendix_to_csv(rows: list[list[str]], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    return path


@pytest.fixture(params=["xlsx", "csv"])
def appendix(request: pytest.FixtureRequest, tmp_path: Path) -> Parsed[AggregateRecord]:
    rows = seed_appendix()
    if request.param == "xlsx":
        path = appendix_to_xlsx(rows, tmp_path / "Приложение 1.xlsx")
    else:
        path = appendix_to_csv(rows, tmp_path / "Приложение 1.csv")
    sheets = read_any(path)
    assert looks_like_aggregate_shares(sheets)
    assert not looks_like_ege_by_school(sheets)
    return parse_aggregate_shares(sheets, file_name=path.name)


def test_seed_appendix_shape() -> None:
    rows = seed_appendix()
    assert len(rows) == 4  # two header rows, two schools
    assert rows[0][:4] == ["Территория", "Название ОО", "Логин ОО", "ВПР МА 5 2019"]
    assert [r[2] for r in rows[2:]] == ["sch423500", "sch423507"]
    assert {len(r) for r in rows} == {35}


def test_seed_appendix_values(appendix: Parsed[AggregateRecord]) -> None:
    assert not appendix.problems
    assert appendix.warnings == []
    # 16 groups × 2 metrics per school, minus the «-» cells (СОШ № 1: ВПР МА 6 2018 and
    # ВПР РУ 6 2018; СОШ № 14: ВПР РУ 6 2018).
    assert Counter(r.org.code for r in appendix.records) == {"sch423500": 28, "sch423507": 30}
    by_key = {(r.procedure, r.subject, r.grade, r.year, r.metric): r for r in appendix.records
              if r.org.code == "sch423500"}
    record = by_key[("ВПР", "МА", 5, 2019, "share_2")]
    assert record.value == 22
    assert record.numerator is None and record.denominator is None
    assert record.org == OrgRef(code="sch423500", name="МБОУ «СОШ № 1»",
                                municipality="Юргинский ГО")
    assert record.where.row == 3
    assert by_key[("ВПР", "МА", 5, 2019, "share_high")].value == 0
    assert ("ВПР", "МА", 6, 2018, "share_2") not in by_key  # «-» = no data
    assert by_key[("ЕГЭ", "РУ", None, 2018, "share_high")].value == 10
    assert by_key[("ОГЭ", "МА", None, 2019, "share_2")].value == 6
    assert {r.grade for r in appendix.records if r.procedure != "ВПР"} == {None}
    assert {r.subject for r in appendix.records} == {"МА", "РУ"}


def test_seed_appendix_xlsx_equals_csv(tmp_path: Path) -> None:
    rows = seed_appendix()
    results = []
    paths = (appendix_to_xlsx(rows, tmp_path / "a.xlsx"), appendix_to_csv(rows, tmp_path / "a.csv"))
    for path in paths:
        parsed = parse_aggregate_shares(read_any(path), file_name=path.name)
        results.append({(r.org, r.year, r.procedure, r.subject, r.grade, r.metric, r.value)
                        for r in parsed.records})
    assert results[0] == results[1]


def test_parse_group() -> None:
    group = parse_group("ВПР МА 5 2019")
    assert group is not None
    assert (group.procedure, group.subject, group.grade, group.year) == ("ВПР", "МА", 5, 2019)
    group = parse_group("ОГЭ  РУ 2018")
    assert group is not None and group.grade is None and group.year == 2018
    assert parse_group("Название ОО") is None
    assert parse_group("ВПР ЯЯ 5 2019") is None


def test_shares_dash_text_and_range(tmp_path: Path) -> None:
    rows = [
        ["Территория", "Название ОО", "Логин ОО", "ВПР РУ 4 2020", ""],
        ["", "", "", "% 2", "% Выс. рез-тов"],
        ["Город", "Школа 1", "sch000001", "-", "12,5"],
        ["Город", "Школа 2", "sch000002", "нет", "7"],
        ["Итого по городу", "", "", "3", "9"],
    ]
    parsed = parse_aggregate_shares(read_any(appendix_to_csv(rows, tmp_path / "s.csv")),
                                    file_name="s.csv")
    assert [(p.rule, p.row, p.column, p.value) for p in parsed.problems.items] == [
        ("not_a_number", 4, "ВПР РУ 4 2020 — % 2", "нет")
    ]
    assert [(r.org.code, r.metric, r.value) for r in parsed.records] == [
        ("sch000001", "share_high", 12.5),
        ("sch000002", "share_high", 7.0),
    ]
    assert [(t.level, t.metric, t.value) for t in parsed.totals] == [
        ("municipality", "share_2", 3.0),
        ("municipality", "share_high", 9.0),
    ]


# --------------------------------------------------------------------------------------------
# Забайкальский край and ЕАО regional forms
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zab() -> Parsed[AggregateRecord]:
    return parse_ege_by_school(read_any(ZAB), file_name=ZAB.name)


@pytest.fixture(scope="module")
def eao() -> Parsed[AggregateRecord]:
    return parse_ege_by_school(read_any(EAO), file_name=EAO.name)


def schools_per_year(parsed: Parsed[AggregateRecord]) -> dict[int, int]:
    return dict(Counter(r.year for r in parsed.records
                        if r.subject == "" and r.metric in ("graduates", "registered")))


def test_recognised() -> None:
    for path in (ZAB, EAO):
        sheets = read_any(path)
        assert looks_like_ege_by_school(sheets)
        assert not looks_like_aggregate_shares(sheets)
        assert not looks_like_ege_open_data(sheets)


def test_schools_per_sheet(zab: Parsed[AggregateRecord], eao: Parsed[AggregateRecord]) -> None:
    assert schools_per_year(zab) == {2022: 371, 2023: 373, 2024: 369}
    assert schools_per_year(eao) == {2022: 43, 2023: 42, 2024: 44}
    # One participants record per school and subject (empty cell = 0 for an existing school).
    participants = Counter((r.year, r.subject) for r in zab.records if r.metric == "participants")
    assert set(participants.values()) == {371, 373}
    assert len({s for _, s in participants}) == 21


def test_region_and_municipalities(zab: Parsed[AggregateRecord],
                                   eao: Parsed[AggregateRecord]) -> None:
    assert {r.org.region for r in zab.records} == {"Забайкальский край"}
    assert {r.org.region for r in eao.records} == {"Еврейская автономная область"}
    assert {r.org.code for r in zab.records} == {None}
    # ЕАО: schools inherit the municipality of the subtotal row above them (filled down).
    municipalities = {r.org.municipality for r in eao.records if r.year == 2023}
    assert municipalities == {"город Биробиджан", "Биробиджанский район", "Ленинский район",
                              "Облученский район", "Октябрьский район", "Смидовичский район"}
    # Забайкальский: 37 municipal bodies incl. «Город чита» (2022) = «Город Чита» (2023).
    keys = {(r.year, normalize_municipality(r.org.municipality)) for r in zab.records}
    assert (2022, "город чита") in keys and (2023, "город чита") in keys
    assert len({m for y, m in keys if y == 2023}) == 36


def test_totals_are_not_schools(zab: Parsed[AggregateRecord], eao: Parsed[AggregateRecord]) -> None:
    assert Counter((t.year, t.level) for t in zab.totals if t.subject == "") == {
        (2022, "region"): 1, (2023, "region"): 1, (2024, "region"): 1}
    assert Counter((t.year, t.level) for t in eao.totals if t.subject == "") == {
        (2022, "region"): 1, (2023, "region"): 1, (2024, "region"): 1,
        (2022, "municipality"): 6, (2023, "municipality"): 6, (2024, "municipality"): 6}
    names = {r.org.name.lower() for r in zab.records} | {r.org.name.lower() for r in eao.records}
    assert not any(n.startswith(("итого", "всего")) for n in names)
    zab_total_rows = {t.where.row for t in zab.totals}
    assert zab_total_rows == {377, 381, 379}  # the last row of each sheet
    assert {t.where.row for t in eao.totals if t.level == "region"} == {9, 10}  # first data row


def count_mismatches(parsed: Parsed[AggregateRecord]) -> set[tuple[int, str, str, str]]:
    """(year, area, subject, metric) where the school rows do not sum to the total row."""
    sums: dict[tuple[int, str, str, str], float] = defaultdict(float)
    for r in parsed.records:
        if r.metric in COUNTS:
            sums[(r.year, "", r.subject, r.metric)] += r.value or 0
            sums[(r.year, r.org.municipality, r.subject, r.metric)] += r.value or 0
    bad = set()
    for t in parsed.totals:
        if t.metric in COUNTS:
            area = "" if t.level == "region" else t.name
            if sums[(t.year, area, t.subject, t.metric)] != (t.value or 0):
                bad.add((t.year, area, t.subject, t.metric))
    return bad


def test_count_sums_zabaikalsky(zab: Parsed[AggregateRecord]) -> None:
    # Every count of every subject sums exactly to «итого по краю» except three real defects:
    # «Химия — получили 100 баллов» 2023 is a SUM formula (see the problems below), the 2023
    # total says 0 hundred-pointers in history while schools have 3, and the 2022 total says 0
    # high scorers in German while one school has 1.
    assert count_mismatches(zab) == {
        (2023, "", "ХИ", "score_100"),
        (2023, "", "ИС", "score_100"),
        (2022, "", "НЯ", "high_80_99"),
    }
    checked = {(t.year, t.subject, t.metric) for t in zab.totals if t.metric in COUNTS}
    # 2024: all + 21 subjects; 2023 and 2022: graduates + 21 × 4 counts, minus МАБ 80–99 / 100.
    assert len(checked) == 22 + 2 * (1 + 21 * 4 - 2)


def test_count_sums_eao(eao: Parsed[AggregateRecord]) -> None:
    # Region («ВСЕГО по региону», first row) and every municipality subtotal equal the sum of
    # their schools, except the regional «Обществознание — не преодолен min порог» 2023: 186 in
    # the file, 187 over the schools.
    assert count_mismatches(eao) == {(2023, "", "ОБ", "below_min")}
    municipal = {(t.year, t.name) for t in eao.totals if t.level == "municipality"}
    assert len(municipal) == 18


def weighted_means(parsed: Parsed[AggregateRecord]) -> dict[tuple[int, str, str], float]:
    acc: dict[tuple[int, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in parsed.records:
        if r.metric in ("mean_score", "mean_mark") and r.value is not None:
            for area in ("", r.org.municipality):
                acc[(r.year, area, r.subject)][0] += r.denominator or 0
                acc[(r.year, area, r.subject)][1] += (r.denominator or 0) * r.value
    return {k: s / w for k, (w, s) in acc.items() if w}


def mean_differences(parsed: Parsed[AggregateRecord]) -> dict[tuple[int, str, str], float]:
    means = weighted_means(parsed)
    out = {}
    for t in parsed.totals:
        if t.metric in ("mean_score", "mean_mark"):
            key = (t.year, "" if t.level == "region" else t.name, t.subject)
            if key in means:
                out[key] = abs(means[key] - (t.value or 0))
    return out


def test_means_eao(eao: Parsed[AggregateRecord]) -> None:
    diffs = mean_differences(eao)
    # Municipality subtotals are the participant-weighted means of their schools rounded to
    # 2 decimals — except the city of Birobidzhan in 2023 and four cells that look like typos
    # (53,45 for 43,45; 41 for 51,33; 43,2 for 33,73; 43,52 for 43,82).
    off = {k for k, d in diffs.items() if k[1] and d > 0.006}
    assert off == {
        (2022, "Облученский район", "ИНЯ"), (2023, "Биробиджанский район", "МАП"),
        (2022, "Смидовичский район", "ХИ"), (2022, "город Биробиджан", "ФИ"),
        *((2023, "город Биробиджан", s) for s in
          ("ИН", "БИ", "ГЕ", "ИНЯ", "ОБ", "ФИ", "ХИ", "МАП", "ЛИ", "РУ", "ИС")),
    }
    assert sum(1 for k in diffs if k[1]) == 128
    # Regional means do not reproduce the schools' weighted means (at most 1,51 apart).
    regional = {k: d for k, d in diffs.items() if not k[1]}
    assert len(regional) == 22
    assert max(regional.values()) == pytest.approx(1.508, abs=0.001)


def test_means_zabaikalsky(zab: Parsed[AggregateRecord]) -> None:
    diffs = mean_differences(zab)
    assert len(diffs) == 30
    # The regional row is not the weighted mean of the school rows; the gap is at most 2,43
    # points except the 2023 history mean, which the file gives as 9,74 (schools: 49,95).
    assert diffs[(2023, "", "ИС")] == pytest.approx(40.213, abs=0.001)
    assert max(d for k, d in diffs.items() if k != (2023, "", "ИС")) < 2.5
    assert diffs[(2023, "", "МАП")] < 0.005  # some subjects agree to the rounding


def test_problems_zabaikalsky(zab: Parsed[AggregateRecord], eao: Parsed[AggregateRecord]) -> None:
    assert not eao.problems
    rules = Counter((p.rule, p.sheet, p.column) for p in zab.problems.items)
    # «Химия — получили 100 баллов» of the 2023 sheet equals participants + below + high in every
    # row: 117 cells exceed the participants, and the column is reported as a formula.
    assert rules == {
        ("count_exceeds_participants", "2023", "Химия — получили 100 баллов"): 117,
        ("formula_column", "2023", "Химия — получили 100 баллов"): 1,
    }
    first = zab.problems.items[0]
    assert (first.row, first.value) == (9, "12")
    formula = next(p for p in zab.problems.items if p.rule == "formula_column")
    assert formula.row == 7


def test_warnings(zab: Parsed[AggregateRecord], eao: Parsed[AggregateRecord]) -> None:
    text = "\n".join(zab.warnings)
    assert "указан 2023 год, а лист называется «2022»" in text  # the copied 2022 header
    assert "прочитаны как поданные заявления" in text  # 2024: «принявших участие» vs title
    assert "в 22 строках участников по предмету больше" in text
    eao_text = "\n".join(eao.warnings)
    assert "число 843 — пропущено" in eao_text and "число 805 — пропущено" in eao_text
    assert "не указан средний балл" in eao_text  # СОШ № 5 с.Камышовка, foreign languages 2023
    assert all(w == w.strip() for w in zab.warnings)


def test_metric_semantics(zab: Parsed[AggregateRecord], eao: Parsed[AggregateRecord]) -> None:
    row8 = {(r.subject, r.metric): r for r in zab.records if r.year == 2023 and r.where.row == 8}
    assert row8[("", "graduates")].value == 51
    assert row8[("РУ", "participants")].value == 51
    below = row8[("РУ", "below_min")]
    assert (below.value, below.numerator, below.denominator) == (0, 0, 51)  # literal 0
    hundred = row8[("РУ", "score_100")]
    assert (hundred.value, hundred.denominator) == (0, 51)  # empty cell of an existing school
    mean = row8[("РУ", "mean_score")]
    assert (mean.value, mean.numerator, mean.denominator) == (71.61, None, 51)
    assert row8[("РУ", "high_80_99")].value == 13
    assert ("ХИ", "participants") in row8 and row8[("ХИ", "participants")].value == 3
    assert {r.grade for r in zab.records} == {11} and {r.procedure for r in zab.records} == {"ЕГЭ"}
    assert {r.profile for r in zab.records} == {""}  # «X» / «х» = no profile
    # Базовая математика: a 5-point mean mark, no 80–99 / 100 metrics.
    mab = [r for r in zab.records if r.subject == "МАБ" and r.year != 2024]
    assert {r.metric for r in mab} == {"participants", "below_min", "mean_mark"}
    assert all(2 <= (r.value or 0) <= 5 for r in mab if r.metric == "mean_mark")
    oral = {r.subject for r in zab.records if r.subject.endswith("-У")}
    assert oral == {"АЯ-У", "НЯ-У", "ФЯ-У", "ИЯ-У", "КЯ-У"}
    assert {r.subject for r in eao.records} == {"", "РУ", "МАП", "ИНЯ", "ИС", "ЛИ", "ОБ", "ИН",
                                                "ХИ", "ФИ", "БИ", "ГЕ"}
    # A school with no participants keeps its row: 0 participants, no other metrics.
    zero = [r for r in zab.records if r.year == 2023 and r.where.row == 14]
    assert {r.metric for r in zero} == {"graduates", "participants"}
    assert {r.value for r in zero} == {0}
    # Means of subjects without participants are not records.
    assert all(r.denominator for r in zab.records if r.metric in ("mean_score", "mean_mark"))


def test_registrations(eao: Parsed[AggregateRecord]) -> None:
    reg = [r for r in eao.records if r.year == 2024]
    assert {r.metric for r in reg} == {"registered"}
    empty_school = [r for r in reg if r.org.name == 'МКОУ "СОШ с.Надежденское"']
    assert len(empty_school) == 12 and {r.value for r in empty_school} == {0}
    total = next(t for t in eao.totals if t.year == 2024 and t.level == "region" and not t.subject)
    assert total.value == 797


def test_check_totals_messages() -> None:
    org = OrgRef(name="Школа", municipality="Район")
    here = Where(sheet="2023", row=5, column="x")
    records = [
        AggregateRecord(org, 2023, "ЕГЭ", "РУ", 11, "participants", None, None, 10, here),
        AggregateRecord(org, 2023, "ЕГЭ", "РУ", 11, "mean_score", None, 10, 60.0, here),
    ]
    totals = [
        TotalRecord("region", "Область", 2023, "ЕГЭ", "РУ", "participants", 11, here),
        TotalRecord("municipality", "Район", 2023, "ЕГЭ", "РУ", "participants", 10, here),
        TotalRecord("region", "Область", 2023, "ЕГЭ", "РУ", "mean_score", 60.04, here),
        TotalRecord("municipality", "Район", 2023, "ЕГЭ", "РУ", "mean_score", 61, here),
    ]
    warnings = check_totals(records, totals)
    assert len(warnings) == 2
    assert "в файле 11, сумма по школам 10" in warnings[0]
    assert "в файле 61" in warnings[1]


def test_form_year_from_argument_and_title(tmp_path: Path) -> None:
    sheets = read_any(ZAB)
    renamed = [Sheet(name="Лист1", rows=sheets[1].rows, merged=sheets[1].merged)]
    parsed = parse_ege_by_school(renamed, file_name="x.xlsx")
    assert {r.year for r in parsed.records} == {2023}  # from «… в 2023 году»
    parsed = parse_ege_by_school(renamed, file_name="x.xlsx", year=2030)
    assert {r.year for r in parsed.records} == {2030}  # the user's explicit year wins


# --------------------------------------------------------------------------------------------
# Moscow open data
# --------------------------------------------------------------------------------------------


def test_moscow_open_data() -> None:
    sheets = read_any(MOSCOW)
    assert looks_like_ege_open_data(sheets)
    assert not looks_like_ege_by_school(sheets) and not looks_like_aggregate_shares(sheets)
    parsed = parse_ege_open_data(sheets, file_name=MOSCOW.name)
    assert not parsed.problems
    assert parsed.warnings == []
    assert Counter(r.metric for r in parsed.records) == {
        "graduates": 626, "total_220_plus": 626, "total_160_plus": 626}
    with MOSCOW.open(encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle, delimiter=";"))
    assert len(raw) == 626
    expected = {
        "graduates": sum(int(r["PASSED_NUMBER_FULL"]) for r in raw),
        "total_220_plus": sum(int(r["PASSES_OVER_220"]) for r in raw),
        "total_160_plus": sum(int(r["PASSER_UNDER_160"]) for r in raw),
    }
    assert expected == {"graduates": 66461, "total_220_plus": 15920, "total_160_plus": 34225}
    for metric, total in expected.items():
        assert sum(r.value or 0 for r in parsed.records if r.metric == metric) == total
    assert {r.year for r in parsed.records} == {2016}
    assert {(r.procedure, r.subject, r.grade) for r in parsed.records} == {("ЕГЭ", "", 11)}
    orgs = {r.org for r in parsed.records}
    assert len(orgs) == 626 and len({o.ogrn for o in orgs}) == 626
    assert {o.region for o in orgs} == {"г. Москва"}
    assert len({o.municipality for o in orgs}) == 10
    by_org: dict[OrgRef, dict[str, AggregateRecord]] = defaultdict(dict)
    for r in parsed.records:
        by_org[r.org][r.metric] = r
    for metrics in by_org.values():
        n, n160, n220 = (metrics[m].value or 0 for m in
                         ("graduates", "total_160_plus", "total_220_plus"))
        assert n220 <= n160 <= n
        assert metrics["total_160_plus"].denominator == n


# --------------------------------------------------------------------------------------------
# Synthetic forms: the rules the real files do not exercise
# --------------------------------------------------------------------------------------------

METRICS = ["приняло участие", "не преодолен min порог", "высокобалльники (80-99 баллов)",
           "получили 100 баллов", "средний балл"]


def form(subjects: list[str], data: list[list[Any]], *, name: str = "2025",
         fixed: tuple[str, str] = ("Муниципальное образование",
                                   "Образовательная организация (школа)")) -> list[Sheet]:
    """A results sheet like the Забайкальский one: title, two header rows, data rows."""
    top: list[Any] = [*fixed, "Профиль (при наличии)", "Всего выпускников, чел."]
    sub: list[Any] = ["", "", "", ""]
    merged = [((4, c), (5, c)) for c in range(4)]
    for i, subject in enumerate(subjects):
        top += [subject, "", "", "", ""]
        sub += METRICS
        merged.append(((4, 4 + 5 * i), (4, 8 + 5 * i)))
    rows = [["Информация о результатах ЕГЭ выпускников школ"], [],
            ["Субъект Российской Федерации ____Тестовая область____"], [], top, sub, *data]
    return [Sheet(name=name, rows=rows, merged=merged)]


def test_form_unknown_subject_and_mapping() -> None:
    sheets = form(["Русский язык", "Астрономия"],
                  [["Район", "Школа 1", "", 10, 10, "", 1, "", 60, 2, "", "", "", 50]])
    parsed = parse_ege_by_school(sheets, file_name="f.xlsx")
    assert [(p.rule, p.row, p.column) for p in parsed.problems.items] == [
        ("unknown_subject", 5, "Астрономия")]
    assert {r.subject for r in parsed.records} == {"", "РУ"}
    assert {r.org.region for r in parsed.records} == {"Тестовая область"}
    renamed = form(["Русский язык"], [["Район", "Школа 1", "", 10, 10, "", 1, "", 60]],
                   fixed=("Район", "Учреждение"))
    assert not looks_like_ege_by_school(renamed)
    parsed = parse_ege_by_school(renamed, file_name="f.xlsx")
    assert [p.rule for p in parsed.problems.items] == ["missing_column"]
    parsed = parse_ege_by_school(renamed, file_name="f.xlsx", mapping={
        "Район": "Муниципальное образование", "Учреждение": "Образовательная организация (школа)"})
    assert not parsed.problems
    assert {r.org.name for r in parsed.records} == {"Школа 1"}


def test_form_cell_rules() -> None:
    data = [
        ["Район", "Школа 1", "", 10, "", "", "", "", 55],        # mean without participants
        ["Район", "Школа 2", "", 10, 5, "", "", "", ""],         # participants, no mean
        ["Район", "Школа 3", "", 10, 5, "1,5", "", "", 40],      # fractional count
        ["Район", "Школа 4", "", 10, 5, "", "", "", 140],        # mean above 100
        ["", "Школа 5", "", 10, 5, "", "", "", 40],              # municipality filled down
        ["Район", "Школа 5", "", 10, 5, "", "", "", 40],         # the same school twice
    ]
    parsed = parse_ege_by_school(form(["Русский язык"], data), file_name="f.xlsx")
    assert [(p.rule, p.row) for p in parsed.problems.items] == [
        ("mean_without_participants", 7), ("not_an_integer", 9), ("out_of_range", 10),
        ("duplicate", 12)]
    means = {r.org.name: r.value for r in parsed.records if r.metric == "mean_score"}
    # A problem drops only its own cell: Школа 3 keeps its mean (the file is rejected anyway).
    assert means == {"Школа 2": None, "Школа 3": 40.0, "Школа 5": 40.0}
    assert any("не указан средний балл" in w for w in parsed.warnings)
    assert {r.org.municipality for r in parsed.records if r.org.name == "Школа 5"} == {"Район"}
    first = [["", "Школа 1", "", 10, 5, "", "", "", 40]]
    parsed = parse_ege_by_school(form(["Русский язык"], first), file_name="f.xlsx")
    assert [(p.rule, p.row, p.column) for p in parsed.problems.items] == [
        ("required", 7, "Муниципальное образование")]
