"""Parsers of participant results: ФИС ОКО «Индивидуальные результаты» (ВПР), the school
collection form (протокол), and ГИА-9 / ГИА-11 participant protocols of the РЦОИ.

Each parser produces :class:`ResultsBlock` objects — one per work (procedure × subject × grade ×
year) found in the file — with one row per participant and a matrix of task scores. Cells that
are not numbers become problems; range and consistency checks run later on the staged data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from soko.imports.parsing.problems import ProblemList
from soko.imports.parsing.tables import (
    ABSENT_MARKS,
    NOT_APPLICABLE,
    Sheet,
    cell_text,
    normalize_header,
    to_number,
)

VPR_TITLE_RE = re.compile(
    r"^\s*ВПР\s+(?P<year>\d{4})\s+(?P<subject>.+?)\s+(?P<grade>\d{1,2})\s*(?:-?\s*й)?\s*класс",
    re.IGNORECASE,
)
TASK_HEADER_RE = re.compile(
    r"^\s*(?P<number>(?:ГК|K|К)?\d+(?:[.,]\d+)*(?:\s*[kкKК]\d+)?)\s*\(\s*(?P<max>\d+(?:[.,]\d+)?)\s*б\.?\s*\)\s*$",
    re.IGNORECASE,
)
LEVELS = {"Б": "Б", "П": "П", "В": "В", "B": "Б", "Б.": "Б"}


@dataclass
class TaskSpec:
    number: str
    max_score: float
    level: str = ""
    column: str = ""  # header text as in the file


@dataclass
class ResultsBlock:
    """Participants of one work found in a file (columnar)."""

    procedure: str
    subject_name: str  # as written in the file (resolved to a code by the importer)
    grade: int | None
    year: int | None
    tasks: list[TaskSpec]
    title: str = ""
    sheet: str = ""
    max_primary_declared: float | None = None
    participants_declared: int | None = None
    rows: list[int] = field(default_factory=list)  # 1-based source row of each participant
    org_code: list[str] = field(default_factory=list)
    org_name: list[str] = field(default_factory=list)
    municipality: list[str] = field(default_factory=list)
    participant_code: list[str] = field(default_factory=list)
    class_label: list[str | None] = field(default_factory=list)
    variant: list[str | None] = field(default_factory=list)
    sex: list[str | None] = field(default_factory=list)
    student_code: list[str | None] = field(default_factory=list)
    absent: list[bool] = field(default_factory=list)
    primary: list[float] = field(default_factory=list)
    mark: list[float] = field(default_factory=list)
    test_score: list[float] = field(default_factory=list)
    journal_mark: list[float] = field(default_factory=list)
    score_rows: list[list[float]] = field(default_factory=list)
    # columns of participant-level fields as titled in the file, for messages
    columns: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def scores(self) -> npt.NDArray[np.float32]:
        if not self.score_rows:
            return np.zeros((0, len(self.tasks)), dtype=np.float32)
        return np.asarray(self.score_rows, dtype=np.float32)


@dataclass
class ParsedResults:
    kind: str
    blocks: list[ResultsBlock]
    warnings: list[str]
    problems: ProblemList


def _number_cell(raw: Any, problems: ProblemList, *, sheet: str, row: int, column: str) -> float:
    """A score-like cell → float; NaN for empty / X / «-»; a problem for other text."""
    if raw.__class__ is float:  # the common case: spreadsheets store numbers as floats
        return float(raw)
    if raw.__class__ is int:
        return float(raw)
    if raw is None or raw == "":
        return float("nan")
    text = cell_text(raw)
    if text == "" or text in ABSENT_MARKS or text in NOT_APPLICABLE:
        return float("nan")
    try:
        value = to_number(raw)
    except ValueError:
        problems.add(
            "not_a_number",
            "Ожидается число (балл или отметка); отсутствие участника обозначается «X».",
            sheet=sheet,
            row=row,
            column=column,
            value=text,
        )
        return float("nan")
    return float("nan") if value is None else value


def _task_spec(header: Any) -> TaskSpec | None:
    text = cell_text(header)
    match = TASK_HEADER_RE.match(text)
    if not match:
        return None
    number = re.sub(r"\s+", " ", match.group("number")).replace(",", ".")
    return TaskSpec(
        number=number, max_score=float(match.group("max").replace(",", ".")), column=text
    )


# --- ФИС ОКО «Индивидуальные результаты» ---------------------------------------------------------

VPR_FIELDS = {
    "оо": "org_code",
    "логин оо": "org_code",
    "логин": "org_code",
    "муниципалитет": "municipality",
    "название оо": "org_name",
    "код участника": "participant_code",
    "класс": "class_label",
    "вариант": "variant",
    "первичный балл": "primary",
    "отметка": "mark",
    "отметка по журналу": "journal_mark",
    "пол": "sex",
}


def looks_like_vpr_individual(sheets: Sequence[Sheet]) -> bool:
    for sheet in sheets:
        head = sheet.rows[:15]
        texts = [cell_text(c) for row in head for c in row[:3]]
        if any(VPR_TITLE_RE.match(t) for t in texts):
            names = {normalize_header(c) for row in head for c in row}
            if "код участника" in names and "первичный балл" in names:
                return True
    return False


def _find_row(rows: Sequence[Sequence[Any]], names: Sequence[str], limit: int = 30) -> int | None:
    for i, row in enumerate(rows[:limit]):
        have = {normalize_header(c) for c in row}
        if all(n in have for n in names):
            return i
    return None


def parse_vpr_individual(
    sheets: Sequence[Sheet], *, file_name: str, year: int | None = None
) -> ParsedResults:
    """Parse a ФИС ОКО «Индивидуальные результаты» workbook (one or more sheets of works)."""
    problems = ProblemList(file_name)
    blocks: list[ResultsBlock] = []
    warnings: list[str] = []
    for sheet in sheets:
        title_match = None
        title = ""
        max_declared: float | None = None
        n_declared: int | None = None
        for row in sheet.rows[:15]:
            for cell in row[:3]:
                text = cell_text(cell)
                m = VPR_TITLE_RE.match(text)
                if m and title_match is None:
                    title_match, title = m, text
                low = text.lower()
                if "максимальный первичный балл" in low:
                    nums = re.findall(r"\d+", text) or [cell_text(c) for c in row[1:3]]
                    for n in nums:
                        if str(n).strip().isdigit():
                            max_declared = float(n)
                            break
                m2 = re.search(r"кол-во участников\s*:?\s*(\d+)", low)
                if m2:
                    n_declared = int(m2.group(1))
        header = _find_row(sheet.rows, ["код участника", "первичный балл"])
        if title_match is None or header is None:
            continue
        file_year = int(title_match.group("year"))
        if year is not None and year != file_year:
            problems.add(
                "year_mismatch",
                f"Год в заголовке ({file_year}) не совпадает с указанным при загрузке ({year}).",
                sheet=sheet.name,
                row=1,
                column="A",
                value=title,
            )
        block = ResultsBlock(
            procedure="ВПР",
            subject_name=title_match.group("subject").strip(),
            grade=int(title_match.group("grade")),
            year=file_year,
            tasks=[],
            title=title,
            sheet=sheet.name,
            max_primary_declared=max_declared,
            participants_declared=n_declared,
        )
        header_row = sheet.rows[header]
        level_row = sheet.rows[header - 1] if header > 0 else []
        field_cols: dict[str, int] = {}
        task_cols: list[int] = []
        for col, raw in enumerate(header_row):
            name = normalize_header(raw)
            spec = _task_spec(raw)
            if spec is not None:
                level = cell_text(level_row[col]) if col < len(level_row) else ""
                spec.level = LEVELS.get(level.upper(), "")
                block.tasks.append(spec)
                task_cols.append(col)
            elif name in VPR_FIELDS and VPR_FIELDS[name] not in field_cols:
                field_cols[VPR_FIELDS[name]] = col
                block.columns[VPR_FIELDS[name]] = cell_text(raw)
        if "org_code" not in field_cols:
            problems.add(
                "missing_column",
                "Нет столбца «ОО» (логин организации в ФИС ОКО).",
                sheet=sheet.name,
                row=header + 1,
            )
            continue
        if not block.tasks:
            problems.add(
                "missing_column",
                "Не найдены столбцы заданий вида «1 (2б)», «9.1 (1б)».",
                sheet=sheet.name,
                row=header + 1,
            )
            continue
        _read_participants(sheet, header, field_cols, task_cols, block, problems)
        if n_declared is not None and n_declared != len(block):
            warnings.append(
                f"Лист «{sheet.name}»: в заголовке указано участников {n_declared}, "
                f"в таблице строк {len(block)}."
            )
        blocks.append(block)
    if not blocks and not problems:
        problems.add(
            "not_vpr_individual",
            "Файл не похож на выгрузку ФИС ОКО «Индивидуальные результаты»: нет заголовка "
            "«ВПР ГГГГ Предмет N класс» и строки с «Код участника» и «Первичный балл».",
        )
    return ParsedResults("vpr_results", blocks, warnings, problems)


def _read_participants(
    sheet: Sheet,
    header: int,
    field_cols: Mapping[str, int],
    task_cols: Sequence[int],
    block: ResultsBlock,
    problems: ProblemList,
) -> None:
    def text_at(row: Sequence[Any], name: str) -> str:
        col = field_cols.get(name)
        return cell_text(row[col]) if col is not None and col < len(row) else ""

    for i in range(header + 1, len(sheet.rows)):
        row = sheet.rows[i]
        code = text_at(row, "participant_code")
        org = text_at(row, "org_code")
        if code == "" and org == "":
            continue
        line = i + 1
        if code == "":
            problems.add(
                "required",
                "Не заполнен код участника.",
                sheet=sheet.name,
                row=line,
                column=block.columns.get("participant_code", "Код участника"),
            )
            continue
        if org == "":
            problems.add(
                "required",
                "Не заполнен логин ОО.",
                sheet=sheet.name,
                row=line,
                column=block.columns.get("org_code", "ОО"),
            )
            continue
        scores: list[float] = []
        absent_cells = 0
        width = len(row)
        for spec, col in zip(block.tasks, task_cols, strict=True):
            raw = row[col] if col < width else None
            if raw.__class__ is str and raw.strip() in ABSENT_MARKS:
                absent_cells += 1
            scores.append(
                _number_cell(raw, problems, sheet=sheet.name, row=line, column=spec.column)
            )
        primary_raw = (
            row[field_cols["primary"]]
            if "primary" in field_cols and field_cols["primary"] < len(row)
            else None
        )
        absent = absent_cells == len(block.tasks) or cell_text(primary_raw) in ABSENT_MARKS
        block.rows.append(line)
        block.org_code.append(org.lower())
        block.org_name.append(text_at(row, "org_name"))
        block.municipality.append(text_at(row, "municipality"))
        block.participant_code.append(code)
        block.class_label.append(text_at(row, "class_label") or None)
        block.variant.append(text_at(row, "variant") or None)
        block.sex.append(text_at(row, "sex").lower()[:1] or None)
        block.student_code.append(None)
        block.absent.append(absent)
        block.score_rows.append(scores)
        for name, target in (
            ("primary", block.primary),
            ("mark", block.mark),
            ("journal_mark", block.journal_mark),
        ):
            where = field_cols.get(name)
            raw = row[where] if where is not None and where < len(row) else None
            target.append(
                _number_cell(
                    raw, problems, sheet=sheet.name, row=line, column=block.columns.get(name, name)
                )
            )
        block.test_score.append(float("nan"))


# --- school collection form («форма сбора результатов», протокол) -------------------------


def looks_like_vpr_form(sheets: Sequence[Sheet]) -> bool:
    for sheet in sheets:
        if not sheet.rows:
            continue
        names = [normalize_header(c) for c in sheet.rows[0]]
        has_code = "код" in names or "код участника" in names
        has_variant = any(n.startswith("вариант") for n in names)
        tasks = sum(1 for c in sheet.rows[0] if _task_spec(c) is not None)
        if has_code and has_variant and tasks >= 3 and "первичный балл" not in names:
            return True
    return False


def parse_vpr_form(
    sheets: Sequence[Sheet],
    *,
    file_name: str,
    org_code: str | None,
    subject_name: str | None,
    grade: int | None,
    year: int | None,
) -> ParsedResults:
    """Parse the school's collection form. The form does not state the school, subject, grade
    or year: they come from the upload (``--org``, ``--subject``, ``--grade``, ``--year``) or
    the file name «ВПР 2025 Математика 5 класс …». Only the first sheet that looks like a
    protocol is read; ``Итого баллов`` is a formula without a cached value and is recomputed.
    """
    problems = ProblemList(file_name)
    name_match = VPR_TITLE_RE.search(file_name)
    if name_match:
        year = year or int(name_match.group("year"))
        subject_name = subject_name or name_match.group("subject")
        grade = grade or int(name_match.group("grade"))
    missing = [
        label
        for label, value in (
            ("логин ОО (--org)", org_code),
            ("предмет (--subject)", subject_name),
            ("класс (--grade)", grade),
            ("год (--year)", year),
        )
        if not value
    ]
    if missing:
        problems.add(
            "form_context_missing",
            "В форме сбора результатов не указаны: "
            + ", ".join(missing)
            + ". Укажите их при загрузке или в имени файла «ВПР 2025 Математика 5 класс».",
        )
        return ParsedResults("vpr_form", [], [], problems)
    sheet = next((s for s in sheets if looks_like_vpr_form([s])), None)
    if sheet is None:
        problems.add("not_vpr_form", "Не найден лист формы сбора результатов ВПР.")
        return ParsedResults("vpr_form", [], [], problems)
    block = ResultsBlock(
        procedure="ВПР",
        subject_name=str(subject_name),
        grade=int(grade) if grade else None,
        year=int(year) if year else None,
        tasks=[],
        title=f"ВПР {year} {subject_name} {grade} класс",
        sheet=sheet.name,
    )
    header = sheet.rows[0]
    task_cols: list[int] = []
    code_col = class_col = sex_col = journal_col = variant_col = None
    for col, raw in enumerate(header):
        name = normalize_header(raw)
        spec = _task_spec(raw)
        if spec is not None:
            block.tasks.append(spec)
            task_cols.append(col)
        elif name in {"код", "код участника"}:
            code_col = col
        elif name.startswith("класс"):
            class_col = col
        elif name == "пол":
            sex_col = col
        elif name.startswith("отметка за предыдущ") or name == "отметка по журналу":
            journal_col = col
            block.columns["journal_mark"] = cell_text(raw)
        elif name.startswith("вариант") and variant_col is None:
            variant_col = col
    assert code_col is not None
    for i in range(1, len(sheet.rows)):
        row = sheet.rows[i]
        code = cell_text(row[code_col]) if code_col < len(row) else ""
        if code == "":
            continue
        line = i + 1
        variant = (
            cell_text(row[variant_col])
            if variant_col is not None and variant_col < len(row)
            else ""
        )
        absent = variant.lower().startswith("отсутств")
        scores = [
            _number_cell(
                row[c] if c < len(row) else None,
                problems,
                sheet=sheet.name,
                row=line,
                column=spec.column,
            )
            for spec, c in zip(block.tasks, task_cols, strict=True)
        ]
        if not absent and all(np.isnan(s) for s in scores):
            absent = True
        block.rows.append(line)
        block.org_code.append(str(org_code).lower())
        block.org_name.append("")
        block.municipality.append("")
        block.participant_code.append(code)
        block.class_label.append(
            cell_text(row[class_col]) if class_col is not None and class_col < len(row) else None
        )
        block.variant.append(None if absent or not variant else variant)
        sex = (
            cell_text(row[sex_col]).lower()[:1]
            if sex_col is not None and sex_col < len(row)
            else ""
        )
        block.sex.append(sex or None)
        block.student_code.append(None)
        block.absent.append(absent)
        block.score_rows.append(scores)
        total = float(np.nansum(scores)) if not absent else float("nan")
        block.primary.append(total)
        block.mark.append(float("nan"))
        block.test_score.append(float("nan"))
        journal = (
            _number_cell(
                row[journal_col] if journal_col < len(row) else None,
                problems,
                sheet=sheet.name,
                row=line,
                column=block.columns["journal_mark"],
            )
            if journal_col is not None
            else float("nan")
        )
        block.journal_mark.append(journal)
    if not block.rows:
        problems.add("no_rows", "В форме нет ни одного участника.", sheet=sheet.name)
    return ParsedResults("vpr_form", [block], [], problems)


# --- ГИА-9 / ГИА-11 participant protocols -------------------------------------------------------

GIA_SYNONYMS: dict[str, tuple[str, ...]] = {
    "participant_code": (
        "код участника",
        "код",
        "уин",
        "номер участника",
        "код обучающегося",
        "участник",
    ),
    "org_code": (
        "код оо",
        "логин оо",
        "оо",
        "код ппэ оо",
        "код образовательной организации",
        "код школы",
        "логин",
    ),
    "org_name": ("наименование оо", "название оо", "образовательная организация", "школа"),
    "municipality": ("муниципалитет", "мо", "ато", "муниципальное образование"),
    "subject": ("предмет", "учебный предмет", "наименование предмета"),
    "class_label": ("класс",),
    "part1": (
        "ответы части 1",
        "задания с кратким ответом",
        "часть 1",
        "ответы с кратким ответом",
        "задания части 1",
        "краткий ответ",
    ),
    "primary": ("первичный балл", "первичные баллы", "сумма первичных баллов", "балл первичный"),
    "mark": ("отметка", "оценка", "отметка (5-балльная)", "отметка по пятибалльной шкале"),
    "test_score": (
        "тестовый балл",
        "балл (100-балльная шкала)",
        "балл",
        "итоговый балл",
        "тестовый балл (100)",
    ),
    "sex": ("пол",),
}


def gia_column_map(
    header: Sequence[Any], mapping: Mapping[str, str] | None = None
) -> tuple[dict[str, int], list[tuple[int, TaskSpec]], list[str]]:
    """Map protocol columns by synonyms (and the user's explicit mapping). Returns field → column,
    the task columns, and the titles of columns that were not understood."""
    by_name = {normalize_header(k): v for k, v in (mapping or {}).items()}
    synonyms = {normalize_header(s): field for field, names in GIA_SYNONYMS.items() for s in names}
    fields: dict[str, int] = {}
    tasks: list[tuple[int, TaskSpec]] = []
    unknown: list[str] = []
    for col, raw in enumerate(header):
        title = cell_text(raw)
        if title == "":
            continue
        name = normalize_header(raw)
        target = by_name.get(name)
        if target is not None:
            target_field = synonyms.get(normalize_header(target), target)
            if target_field == "skip":
                continue
            fields.setdefault(target_field, col)
            continue
        spec = _task_spec(raw)
        if spec is not None:
            tasks.append((col, spec))
        elif name in synonyms and synonyms[name] not in fields:
            fields[synonyms[name]] = col
        else:
            unknown.append(title)
    return fields, tasks, unknown


def looks_like_gia_protocol(sheets: Sequence[Sheet]) -> bool:
    for sheet in sheets:
        for row in sheet.rows[:10]:
            fields, tasks, _ = gia_column_map(row)
            if (
                {"participant_code", "org_code"} <= set(fields)
                and ("part1" in fields or tasks)
                and ("primary" in fields)
            ):
                return True
    return False


def parse_gia_protocol(
    sheets: Sequence[Sheet],
    *,
    file_name: str,
    procedure: str,
    year: int | None,
    subject_name: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ParsedResults:
    """Parse an ОГЭ / ЕГЭ / ГВЭ participant protocol. One block per subject in the file.

    Part 1 may be a string of «+»/«-» (one character per one-point task, numbered from 1);
    part 2 tasks are columns titled «20 (2б)» or «ГК1 (1б)».
    """
    problems = ProblemList(file_name)
    warnings: list[str] = []
    name_year = re.search(r"(19|20)\d\d", file_name)
    year = year or (int(name_year.group(0)) if name_year else None)
    blocks_by_subject: dict[str, ResultsBlock] = {}
    for sheet in sheets:
        header_index = None
        for i, candidate in enumerate(sheet.rows[:10]):
            found, _, _ = gia_column_map(candidate, mapping)
            if {"participant_code", "org_code"} <= set(found):
                header_index = i
                break
        if header_index is None:
            continue
        fields, task_cols, unknown = gia_column_map(sheet.rows[header_index], mapping)
        warnings.extend(
            f"Лист «{sheet.name}»: неизвестный столбец «{title}» пропущен." for title in unknown
        )
        if "primary" not in fields:
            problems.add(
                "missing_column",
                "Нет столбца «Первичный балл».",
                sheet=sheet.name,
                row=header_index + 1,
            )
            continue
        if year is None:
            problems.add("year_missing", "Не указан год: задайте --year или год в имени файла.")
            continue
        header_titles = {f: cell_text(sheet.rows[header_index][c]) for f, c in fields.items()}
        part1_len = _part1_length(sheet, header_index, fields.get("part1"))
        for i in range(header_index + 1, len(sheet.rows)):
            row = sheet.rows[i]

            def at(
                name: str, row: Sequence[Any] = row, fields: dict[str, int] = fields
            ) -> str:
                col = fields.get(name)
                return cell_text(row[col]) if col is not None and col < len(row) else ""

            code = at("participant_code")
            if code == "" and at("org_code") == "":
                continue
            line = i + 1
            subject = at("subject") or subject_name or _subject_from_file_name(file_name)
            if not subject:
                problems.add(
                    "subject_missing",
                    "Не указан предмет: нужен столбец «Предмет», "
                    "--subject или код предмета в имени файла.",
                    sheet=sheet.name,
                    row=line,
                )
                break
            block = blocks_by_subject.get(subject)
            if block is None:
                part1_title = header_titles.get("part1", "Часть 1")
                specs = [
                    TaskSpec(number=str(k + 1), max_score=1.0, column=f"{part1_title}[{k + 1}]")
                    for k in range(part1_len)
                ]
                specs += [spec for _, spec in task_cols]
                block = ResultsBlock(
                    procedure=procedure,
                    subject_name=subject,
                    grade=9 if procedure in {"ОГЭ", "ГВЭ-9"} else 11,
                    year=year,
                    tasks=specs,
                    title=f"{procedure} {year} {subject}",
                    sheet=sheet.name,
                    columns=header_titles,
                )
                blocks_by_subject[subject] = block
            if code == "":
                problems.add(
                    "required",
                    "Не заполнен код участника.",
                    sheet=sheet.name,
                    row=line,
                    column=header_titles.get("participant_code", ""),
                )
                continue
            scores: list[float] = []
            if part1_len:
                answers = at("part1")
                if answers and len(answers) != part1_len:
                    problems.add(
                        "part1_length",
                        f"В строке ответов части 1 {len(answers)} знаков, ожидается {part1_len}.",
                        sheet=sheet.name,
                        row=line,
                        column=header_titles.get("part1", ""),
                        value=answers,
                    )
                for k in range(part1_len):
                    ch = answers[k] if k < len(answers) else ""
                    if ch == "+":
                        scores.append(1.0)
                    elif ch in {"-", "0", "−"}:
                        scores.append(0.0)
                    elif ch.isdigit():
                        scores.append(float(ch))
                    else:
                        if answers:
                            problems.add(
                                "part1_symbol",
                                "В ответах части 1 допустимы «+», «-» или цифра балла.",
                                sheet=sheet.name,
                                row=line,
                                column=header_titles.get("part1", ""),
                                value=answers,
                            )
                        scores.append(float("nan"))
            for col, spec in task_cols:
                raw = row[col] if col < len(row) else None
                scores.append(
                    _number_cell(raw, problems, sheet=sheet.name, row=line, column=spec.column)
                )
            primary = _number_cell(
                row[fields["primary"]] if fields["primary"] < len(row) else None,
                problems,
                sheet=sheet.name,
                row=line,
                column=header_titles["primary"],
            )
            block.rows.append(line)
            block.org_code.append(at("org_code").lower())
            block.org_name.append(at("org_name"))
            block.municipality.append(at("municipality"))
            block.participant_code.append(code)
            block.class_label.append(at("class_label") or None)
            block.variant.append(None)
            block.sex.append(at("sex").lower()[:1] or None)
            block.student_code.append(code)
            block.absent.append(bool(np.isnan(primary)) and all(np.isnan(s) for s in scores))
            block.score_rows.append(scores)
            block.primary.append(primary)
            for name, target in (("mark", block.mark), ("test_score", block.test_score)):
                at_col = fields.get(name)
                target.append(
                    _number_cell(
                        row[at_col] if at_col is not None and at_col < len(row) else None,
                        problems,
                        sheet=sheet.name,
                        row=line,
                        column=header_titles.get(name, name),
                    )
                    if at_col is not None
                    else float("nan")
                )
            block.journal_mark.append(float("nan"))
    blocks = list(blocks_by_subject.values())
    if not blocks and not problems:
        problems.add(
            "not_gia_protocol",
            "Файл не похож на протокол ГИА: нужны столбцы «Код участника», «Код ОО» и "
            "«Первичный балл» (названия столбцов можно сопоставить через --map).",
        )
    kind = "oge_results" if procedure in {"ОГЭ", "ГВЭ-9"} else "ege_results"
    return ParsedResults(kind, blocks, warnings, problems)


def _part1_length(sheet: Sheet, header: int, col: int | None) -> int:
    if col is None:
        return 0
    lengths = [
        len(cell_text(row[col]))
        for row in sheet.rows[header + 1 : header + 500]
        if col < len(row) and cell_text(row[col])
    ]
    if not lengths:
        return 0
    values, counts = np.unique(np.asarray(lengths), return_counts=True)
    # The most common length; on a tie the longest (a short string is more likely cut off).
    best = counts.max()
    return int(values[counts == best].max())


_FILE_SUBJECT_RE = re.compile(
    r"(?:ОГЭ|ЕГЭ|ГВЭ-?9|ГВЭ-?11)[_\s-]+\d{4}[_\s-]+([A-Za-zА-Яа-яЁё]+)", re.I
)


def _subject_from_file_name(name: str) -> str:
    match = _FILE_SUBJECT_RE.search(name)
    return match.group(1) if match else ""


def procedure_from_file_name(name: str) -> str | None:
    upper = name.upper()
    for code in ("ГВЭ-9", "ГВЭ-11", "ОГЭ", "ЕГЭ"):
        if code.replace("-", "") in upper.replace("-", ""):
            return code
    return None
