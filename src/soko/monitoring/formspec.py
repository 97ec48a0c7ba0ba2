"""Monitoring forms as data: the description of a form, validation of answers, source values.

A form («форма мониторинга») is a list of sections with typed fields and cross-field rules,
written as data (``monitoring/data/forms.yaml`` or the editor) and parsed here into a
:class:`FormSpec`. Nothing here touches Django: the same code validates a web form as the user
types, a submission sent through the API and the shipped YAML.

Field kinds: ``integer``, ``number``, ``percent`` (0–100), ``boolean`` (да / нет), ``choice``,
``multichoice``, ``text``, ``date``, ``link`` and ``table`` (rows of the scalar kinds, e.g. the
contests of the «Одарённые дети» bank).

Cross-field rules compare sums of *operands*. An operand is a field code (its number; «да» = 1),
``table.column`` (the column summed over the rows) or ``table.rows`` (the number of rows):

* ``le`` / ``ge`` / ``eq`` — ``sum(left) ≤ / ≥ / = sum(right)`` («часть не больше целого»);
* ``required_if`` — ``field`` must be filled when ``when.field`` equals ``when.equals``;
* ``max_selected`` — at most ``limit`` options of a multiple choice (``limit_param`` names a
  methodological parameter; the caller resolves it into ``limits``).

Answers become indicator inputs through :func:`source_values` (the ``form`` source):
numbers as they are, «да»/«нет» as 1/0, a choice as ``<field>.<option>`` = 1/0 (and
``<field>`` = the option's ``score`` when the options are scored), a table as ``<table>.rows``,
``<table>.<column>`` (sum) and ``<table>.<column>.<option>`` (rows with that option).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS: dict[str, str] = {
    "integer": "целое число",
    "number": "число",
    "percent": "процент",
    "boolean": "да / нет",
    "choice": "выбор одного варианта",
    "multichoice": "выбор нескольких вариантов",
    "text": "текст",
    "date": "дата",
    "link": "ссылка",
    "table": "таблица",
}
NUMERIC_KINDS = frozenset({"integer", "number", "percent"})
SCALAR_KINDS = frozenset(KINDS) - {"table"}
RULE_KINDS: dict[str, str] = {
    "le": "не больше",
    "ge": "не меньше",
    "eq": "равно",
    "required_if": "обязательно, если",
    "max_selected": "не больше N вариантов",
}
DIRECTIONS: dict[str, str] = {
    "results": "1.1 Система оценки качества подготовки обучающихся",
    "low_results": "1.2 Школы с низкими результатами и в неблагоприятных социальных условиях",
    "talents": "1.3 Выявление, поддержка и развитие способностей и талантов",
    "career": "1.4 Самоопределение и профессиональная ориентация",
    "objectivity": "Объективность процедур оценки качества образования и олимпиад",
    "leaders": "2.1 Мониторинг эффективности руководителей ОО",
    "teachers": "2.2 Профессиональное развитие педагогических работников",
    "upbringing": "2.3 Воспитание и социализация обучающихся",
    "preschool": "2.4 Качество дошкольного образования",
}
#: Names the ``form`` source reserves for itself (``form.submitted.<form code>``).
RESERVED_CODES = frozenset({"submitted", "rows"})
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
TRUE_WORDS = frozenset({"да", "1", "true", "yes", "on", "д"})
FALSE_WORDS = frozenset({"нет", "0", "false", "no", "off", "н"})
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class SpecError(ValueError):
    """The description of a form is not valid (message in Russian, for the form's author)."""


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    score: float | None = None


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str
    kind: str
    required: bool = True
    min: float | None = None
    max: float | None = None
    unit: str = ""
    help: str = ""
    options: tuple[Option, ...] = ()
    max_selected: int | None = None
    max_length: int | None = None
    columns: tuple[FieldSpec, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    def option_label(self, code: str) -> str:
        found = self.option(code)
        return found.label if found else code

    def column(self, code: str) -> FieldSpec | None:
        return next((c for c in self.columns if c.code == code), None)

    @property
    def scored(self) -> bool:
        return bool(self.options) and all(o.score is not None for o in self.options)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "label": self.label, "kind": self.kind,
                               "required": self.required}
        for name in ("min", "max", "max_selected", "max_length", "max_rows"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.min_rows:
            out["min_rows"] = self.min_rows
        if self.unit:
            out["unit"] = self.unit
        if self.help:
            out["help"] = self.help
        if self.options:
            out["options"] = [
                {"code": o.code, "label": o.label, **({"score": o.score} if o.score is not None
                                                       else {})}
                for o in self.options
            ]
        if self.columns:
            out["columns"] = [c.to_dict() for c in self.columns]
        return out


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    left: tuple[str, ...] = ()
    right: tuple[str, ...] = ()
    field: str = ""
    when_field: str = ""
    when_equals: Any = True
    limit: int | None = None
    limit_param: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.left:
            out["left"] = list(self.left)
        if self.right:
            out["right"] = list(self.right)
        if self.field:
            out["field"] = self.field
        if self.when_field:
            out["when"] = {"field": self.when_field, "equals": self.when_equals}
        if self.limit is not None:
            out["limit"] = self.limit
        if self.limit_param:
            out["limit_param"] = self.limit_param
        if self.message:
            out["message"] = self.message
        return out


@dataclass(frozen=True)
class SectionSpec:
    code: str
    title: str
    fields: tuple[FieldSpec, ...]
    description: str = ""


@dataclass(frozen=True)
class FormSpec:
    code: str
    title: str
    sections: tuple[SectionSpec, ...]
    rules: tuple[RuleSpec, ...] = ()

    @property
    def fields(self) -> list[FieldSpec]:
        return [f for s in self.sections for f in s.fields]

    def field(self, code: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.code == code), None)

    def limit_params(self) -> list[str]:
        return [r.limit_param for r in self.rules if r.limit_param]

    def source_names(self) -> list[tuple[str, str]]:
        """Every name this form publishes to the ``form`` source, with a Russian label."""
        names: list[tuple[str, str]] = [(f"submitted.{self.code}", f"Форма «{self.title}» принята")]
        for f in self.fields:
            names.extend(_field_names(f))
        return names

    def sections_dict(self) -> list[dict[str, Any]]:
        return [
            {
                "code": s.code,
                "title": s.title,
                **({"description": s.description} if s.description else {}),
                "fields": [f.to_dict() for f in s.fields],
            }
            for s in self.sections
        ]

    def rules_dict(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rules]


def _field_names(f: FieldSpec) -> list[tuple[str, str]]:
    if f.kind in NUMERIC_KINDS or f.kind == "boolean":
        return [(f.code, f.label)]
    if f.kind in {"choice", "multichoice"}:
        out = [(f"{f.code}.{o.code}", f"{f.label}: {o.label}") for o in f.options]
        if f.kind == "choice" and f.scored:
            out.insert(0, (f.code, f"{f.label} (балл варианта)"))
        return out
    if f.kind == "table":
        out = [(f"{f.code}.rows", f"{f.label}: число строк")]
        for c in f.columns:
            if c.kind in NUMERIC_KINDS or c.kind == "boolean":
                out.append((f"{f.code}.{c.code}", f"{f.label}: {c.label} (сумма)"))
            elif c.kind in {"choice", "multichoice"}:
                out.extend(
                    (f"{f.code}.{c.code}.{o.code}", f"{f.label}: {c.label} — {o.label} (строк)")
                    for o in c.options
                )
        return out
    return []


# --- parsing the description ------------------------------------------------------------------


def _num(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: ожидается число, указано «{value}».")
    return float(value)


def _int_or_none(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where}: ожидается целое число, указано «{value}».")
    return value


def _code(value: Any, where: str) -> str:
    text = str(value or "")
    if not CODE_RE.match(text):
        raise SpecError(
            f"{where}: код «{text}» должен начинаться с латинской буквы и содержать только "
            "строчные латинские буквы, цифры и «_»."
        )
    return text


def parse_field(data: Mapping[str, Any], where: str, *, in_table: bool = False) -> FieldSpec:
    """Parse one field description; raises :class:`SpecError` naming the place of the error."""
    if not isinstance(data, Mapping):
        raise SpecError(f"{where}: ожидается описание поля (code, label, kind).")
    code = _code(data.get("code"), where)
    where = f"{where} «{code}»"
    if code in RESERVED_CODES:
        raise SpecError(f"{where}: код «{code}» зарезервирован, выберите другой.")
    kind = str(data.get("kind", ""))
    if kind not in KINDS:
        raise SpecError(
            f"{where}: неизвестный тип «{kind}»; допустимы: {', '.join(KINDS)}."
        )
    if in_table and kind == "table":
        raise SpecError(f"{where}: таблица не может содержать таблицу.")
    label = str(data.get("label") or "").strip()
    if not label:
        raise SpecError(f"{where}: не задано название поля (label).")
    options: list[Option] = []
    if kind in {"choice", "multichoice"}:
        raw_options = data.get("options") or []
        if not raw_options:
            raise SpecError(f"{where}: для выбора нужны варианты ответа (options).")
        for i, o in enumerate(raw_options, start=1):
            if not isinstance(o, Mapping):
                raise SpecError(f"{where}, вариант {i}: ожидается code и label.")
            ocode = _code(o.get("code"), f"{where}, вариант {i}")
            if ocode in RESERVED_CODES:
                raise SpecError(f"{where}, вариант {i}: код «{ocode}» зарезервирован.")
            options.append(
                Option(
                    ocode,
                    str(o.get("label") or ocode),
                    _num(o.get("score"), f"{where}, вариант {i}, score"),
                )
            )
        if len({o.code for o in options}) != len(options):
            raise SpecError(f"{where}: коды вариантов ответа повторяются.")
    columns: list[FieldSpec] = []
    if kind == "table":
        raw_columns = data.get("columns") or []
        if not raw_columns:
            raise SpecError(f"{where}: для таблицы нужны столбцы (columns).")
        columns = [
            parse_field(c, f"{where}, столбец {i}", in_table=True)
            for i, c in enumerate(raw_columns, start=1)
        ]
        if len({c.code for c in columns}) != len(columns):
            raise SpecError(f"{where}: коды столбцов повторяются.")
    minimum = _num(data.get("min"), f"{where}, min")
    maximum = _num(data.get("max"), f"{where}, max")
    if kind == "percent":
        minimum = 0.0 if minimum is None else minimum
        maximum = 100.0 if maximum is None else maximum
    if minimum is not None and maximum is not None and minimum > maximum:
        raise SpecError(f"{where}: минимум {minimum:g} больше максимума {maximum:g}.")
    default_required = kind not in {"text", "link", "table", "multichoice"}
    return FieldSpec(
        code=code,
        label=label,
        kind=kind,
        required=bool(data.get("required", default_required)),
        min=minimum,
        max=maximum,
        unit=str(data.get("unit") or ""),
        help=str(data.get("help") or ""),
        options=tuple(options),
        max_selected=_int_or_none(data.get("max_selected"), f"{where}, max_selected"),
        max_length=_int_or_none(data.get("max_length"), f"{where}, max_length"),
        columns=tuple(columns),
        min_rows=_int_or_none(data.get("min_rows"), f"{where}, min_rows") or 0,
        max_rows=_int_or_none(data.get("max_rows"), f"{where}, max_rows"),
    )


def _operand_ok(spec_fields: Mapping[str, FieldSpec], operand: str) -> bool:
    head, _, tail = operand.partition(".")
    f = spec_fields.get(head)
    if f is None:
        return False
    if not tail:
        return f.kind in NUMERIC_KINDS or f.kind == "boolean"
    if f.kind != "table":
        return False
    if tail == "rows":
        return True
    col = f.column(tail)
    return col is not None and (col.kind in NUMERIC_KINDS or col.kind == "boolean")


def parse_rule(data: Mapping[str, Any], where: str, fields: Mapping[str, FieldSpec]) -> RuleSpec:
    if not isinstance(data, Mapping):
        raise SpecError(f"{where}: ожидается описание правила (kind, …).")
    kind = str(data.get("kind", ""))
    if kind not in RULE_KINDS:
        raise SpecError(f"{where}: неизвестный вид правила «{kind}»; допустимы: "
                        f"{', '.join(RULE_KINDS)}.")
    message = str(data.get("message") or "")
    if kind in {"le", "ge", "eq"}:
        left = _operands(data.get("left"), where, "left")
        right = _operands(data.get("right"), where, "right")
        for op in (*left, *right):
            if not _operand_ok(fields, op):
                raise SpecError(
                    f"{where}: «{op}» — не числовое поле формы (ожидается код поля, "
                    "«таблица.столбец» или «таблица.rows»)."
                )
        return RuleSpec(kind=kind, left=left, right=right, message=message)
    if kind == "required_if":
        target = str(data.get("field") or "")
        when = data.get("when") or {}
        when_field = str(when.get("field") or "") if isinstance(when, Mapping) else ""
        if target not in fields or when_field not in fields:
            raise SpecError(f"{where}: правило «обязательно, если» ссылается на неизвестное поле.")
        return RuleSpec(
            kind=kind,
            field=target,
            when_field=when_field,
            when_equals=when.get("equals", True) if isinstance(when, Mapping) else True,
            message=message,
        )
    target = str(data.get("field") or "")
    f = fields.get(target)
    if f is None or f.kind != "multichoice":
        raise SpecError(f"{where}: правило max_selected применяется к полю множественного выбора.")
    limit = _int_or_none(data.get("limit"), f"{where}, limit")
    limit_param = str(data.get("limit_param") or "")
    if limit is None and not limit_param:
        raise SpecError(f"{where}: укажите limit или limit_param.")
    return RuleSpec(kind=kind, field=target, limit=limit, limit_param=limit_param, message=message)


def _operands(value: Any, where: str, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise SpecError(f"{where}: не задан список полей {name}.")
    return tuple(str(v) for v in value)


def parse_form(data: Mapping[str, Any]) -> FormSpec:
    """Parse a form description (sections with fields, rules). Raises :class:`SpecError`."""
    code = _code(data.get("code"), "Форма")
    raw_sections = data.get("sections") or []
    if not raw_sections:
        raise SpecError(f"Форма «{code}»: нет разделов (sections).")
    sections: list[SectionSpec] = []
    seen: dict[str, FieldSpec] = {}
    for i, s in enumerate(raw_sections, start=1):
        if not isinstance(s, Mapping):
            raise SpecError(f"Форма «{code}», раздел {i}: ожидается title и fields.")
        where = f"Форма «{code}», раздел {i}"
        fields = []
        for j, raw in enumerate(s.get("fields") or [], start=1):
            f = parse_field(raw, f"{where}, поле {j}")
            if f.code in seen:
                raise SpecError(f"{where}: код поля «{f.code}» уже использован в этой форме.")
            seen[f.code] = f
            fields.append(f)
        if not fields:
            raise SpecError(f"{where}: в разделе нет полей.")
        sections.append(
            SectionSpec(
                code=str(s.get("code") or f"s{i}"),
                title=str(s.get("title") or f"Раздел {i}"),
                fields=tuple(fields),
                description=str(s.get("description") or ""),
            )
        )
    rules = tuple(
        parse_rule(r, f"Форма «{code}», правило {i}", seen)
        for i, r in enumerate(data.get("rules") or [], start=1)
    )
    return FormSpec(code=code, title=str(data.get("title") or code), sections=tuple(sections),
                    rules=rules)


# --- validating answers -----------------------------------------------------------------------


@dataclass
class Validation:
    """The outcome of validating answers: typed values and Russian messages by field code."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, code: str, message: str) -> None:
        self.errors.setdefault(code, []).append(message)

    def messages(self) -> list[str]:
        return [m for ms in self.errors.values() for m in ms]


def _is_blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return len(raw) == 0
    return False


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:g}".replace(".", ",")


def parse_number(raw: Any) -> float | None:
    """A number written the Russian way («1 234,5», «12 %») or as a number; None if not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw) if math.isfinite(float(raw)) else None
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "").rstrip("%").strip()
    text = text.replace(",", ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def parse_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def _check_scalar(f: FieldSpec, raw: Any, name: str, out: Validation, key: str,
                  partial: bool) -> Any:
    """Validate one scalar answer; returns the typed value (None when blank or invalid)."""
    if _is_blank(raw):
        if f.required and not partial:
            out.add(key, f"Заполните поле «{name}».")
        return None
    if f.kind in NUMERIC_KINDS:
        value = parse_number(raw)
        if value is None:
            what = "целое число" if f.kind == "integer" else "число"
            out.add(key, f"Поле «{name}»: введите {what} (введено «{raw}»).")
            return None
        if f.kind == "integer" and not value.is_integer():
            out.add(key, f"Поле «{name}»: введите целое число (введено «{raw}»).")
            return None
        if f.min is not None and value < f.min:
            out.add(key, f"Поле «{name}»: значение {_fmt(value)} меньше допустимого "
                         f"минимума {_fmt(f.min)}.")
            return None
        if f.max is not None and value > f.max:
            out.add(key, f"Поле «{name}»: значение {_fmt(value)} больше допустимого "
                         f"максимума {_fmt(f.max)}.")
            return None
        return int(value) if f.kind == "integer" else value
    if f.kind == "boolean":
        flag = parse_bool(raw)
        if flag is None:
            out.add(key, f"Поле «{name}»: выберите «да» или «нет».")
        return flag
    if f.kind == "choice":
        text = str(raw).strip()
        if f.option(text) is None:
            out.add(key, f"Поле «{name}»: выберите один из предложенных вариантов.")
            return None
        return text
    if f.kind == "multichoice":
        chosen = [str(v).strip() for v in (raw if isinstance(raw, list | tuple) else [raw])]
        chosen = [c for c in chosen if c]
        unknown = [c for c in chosen if f.option(c) is None]
        if unknown:
            out.add(key, f"Поле «{name}»: варианта «{unknown[0]}» нет в списке.")
            return None
        unique = [o.code for o in f.options if o.code in set(chosen)]
        if f.max_selected is not None and len(unique) > f.max_selected:
            out.add(key, f"Поле «{name}»: можно выбрать не более {f.max_selected} "
                         f"вариантов (выбрано {len(unique)}).")
            return None
        return unique
    if f.kind == "date":
        day = parse_date(raw)
        if day is None:
            out.add(key, f"Поле «{name}»: введите дату в формате ДД.ММ.ГГГГ (введено «{raw}»).")
            return None
        if f.min is not None or f.max is not None:
            year = day.year
            if (f.min is not None and year < f.min) or (f.max is not None and year > f.max):
                out.add(key, f"Поле «{name}»: год даты вне допустимого диапазона.")
                return None
        return day.isoformat()
    text = str(raw).strip()
    if f.kind == "link" and not URL_RE.match(text):
        out.add(key, f"Поле «{name}»: введите адрес, начинающийся с http:// или https://.")
        return None
    if f.max_length is not None and len(text) > f.max_length:
        out.add(key, f"Поле «{name}»: не более {f.max_length} символов (введено {len(text)}).")
        return None
    return text


def _check_table(f: FieldSpec, raw: Any, out: Validation, partial: bool) -> list[dict[str, Any]]:
    rows_in = raw if isinstance(raw, list | tuple) else []
    rows_out: list[dict[str, Any]] = []
    for i, row in enumerate(rows_in, start=1):
        row = row if isinstance(row, Mapping) else {}
        if all(_is_blank(row.get(c.code)) for c in f.columns):
            continue  # an empty line of the editor
        clean: dict[str, Any] = {}
        for c in f.columns:
            clean[c.code] = _check_scalar(
                c, row.get(c.code), f"{f.label}», строка {i}, столбец «{c.label}", out,
                f.code, partial,
            )
        rows_out.append(clean)
    if not partial and len(rows_out) < f.min_rows:
        out.add(f.code, f"Таблица «{f.label}»: нужно не менее {f.min_rows} строк.")
    if f.max_rows is not None and len(rows_out) > f.max_rows:
        out.add(f.code, f"Таблица «{f.label}»: не более {f.max_rows} строк.")
    return rows_out


def _operand_value(spec: FormSpec, values: Mapping[str, Any], operand: str) -> float | None:
    head, _, tail = operand.partition(".")
    f = spec.field(head)
    value = values.get(head)
    if f is None or value is None:
        return None
    if not tail:
        return float(value)
    rows = value if isinstance(value, list) else []
    if tail == "rows":
        return float(len(rows))
    total = 0.0
    for row in rows:
        cell = row.get(tail)
        if cell is not None:
            total += float(cell)
    return total


def _operand_label(spec: FormSpec, operand: str) -> str:
    head, _, tail = operand.partition(".")
    f = spec.field(head)
    if f is None:
        return operand
    if not tail:
        return f.label
    if tail == "rows":
        return f"{f.label}: число строк"
    col = f.column(tail)
    return f"{f.label}: {col.label if col else tail} (сумма)"


def _check_rule(spec: FormSpec, rule: RuleSpec, values: Mapping[str, Any], out: Validation,
                limits: Mapping[str, int], partial: bool) -> None:
    if rule.kind in {"le", "ge", "eq"}:
        lefts = [_operand_value(spec, values, op) for op in rule.left]
        rights = [_operand_value(spec, values, op) for op in rule.right]
        if any(v is None for v in (*lefts, *rights)):
            return  # missing values are reported by the required check
        lv = sum(v for v in lefts if v is not None)
        rv = sum(v for v in rights if v is not None)
        broken = (
            (rule.kind == "le" and lv > rv + 1e-9)
            or (rule.kind == "ge" and lv < rv - 1e-9)
            or (rule.kind == "eq" and abs(lv - rv) > 1e-9)
        )
        if not broken:
            return
        left_name = " + ".join(f"«{_operand_label(spec, op)}»" for op in rule.left)
        right_name = " + ".join(f"«{_operand_label(spec, op)}»" for op in rule.right)
        left_word = "Сумма полей" if len(rule.left) > 1 else "Значение поля"
        relation = {"le": "не может быть больше", "ge": "не может быть меньше",
                    "eq": "должно быть равно"}[rule.kind]
        if rule.kind == "eq" and len(rule.left) > 1:
            relation = "должна быть равна"
        elif len(rule.left) > 1:
            relation = {"le": "не может быть больше", "ge": "не может быть меньше"}[rule.kind]
        message = (
            f"{left_word} {left_name} ({_fmt(lv)}) {relation} "
            f"{'суммы полей' if len(rule.right) > 1 else 'значения поля'} {right_name} "
            f"({_fmt(rv)})."
        )
        if rule.message:
            message = f"{rule.message} {message}"
        out.add(rule.left[0].partition(".")[0], message)
        return
    if rule.kind == "required_if":
        trigger = values.get(rule.when_field)
        if trigger is None or trigger != rule.when_equals or partial:
            return
        if _is_blank(values.get(rule.field)):
            target = spec.field(rule.field)
            cond = spec.field(rule.when_field)
            label = target.label if target else rule.field
            cond_label = cond.label if cond else rule.when_field
            answer = "«да»" if rule.when_equals is True else f"«{rule.when_equals}»"
            out.add(rule.field, rule.message or
                    f"Заполните поле «{label}»: оно обязательно, если в поле «{cond_label}» "
                    f"выбрано {answer}.")
        return
    chosen = values.get(rule.field) or []
    limit = rule.limit if rule.limit is not None else limits.get(rule.limit_param)
    if limit is None:
        return
    if len(chosen) > int(limit):
        target = spec.field(rule.field)
        label = target.label if target else rule.field
        out.add(rule.field, rule.message or
                f"Поле «{label}»: можно выбрать не более {int(limit)} вариантов "
                f"(выбрано {len(chosen)}).")


def validate(spec: FormSpec, raw: Mapping[str, Any], *, partial: bool = False,
             limits: Mapping[str, int] | None = None, only: Iterable[str] | None = None
             ) -> Validation:
    """Validate raw answers (strings as typed, lists for multiple choice and tables).

    ``partial`` is the check of a draft: blanks are allowed, everything typed must still be
    valid. ``limits`` resolves ``limit_param`` of rules. ``only`` restricts the returned errors
    to some fields (the check as the user types). Returns typed values and messages.
    """
    out = Validation()
    for f in spec.fields:
        if f.kind == "table":
            out.values[f.code] = _check_table(f, raw.get(f.code), out, partial)
        else:
            out.values[f.code] = _check_scalar(f, raw.get(f.code), f.label, out, f.code, partial)
    for rule in spec.rules:
        _check_rule(spec, rule, out.values, out, limits or {}, partial)
    if only is not None:
        keep = set(only)
        out.errors = {k: v for k, v in out.errors.items() if k in keep}
    return out


def source_values(spec: FormSpec, values: Mapping[str, Any]) -> dict[str, float]:
    """The numbers a validated submission contributes to the ``form`` source, by name."""
    out: dict[str, float] = {f"submitted.{spec.code}": 1.0}
    for f in spec.fields:
        value = values.get(f.code)
        if f.kind in NUMERIC_KINDS:
            if value is not None:
                out[f.code] = float(value)
        elif f.kind == "boolean":
            if value is not None:
                out[f.code] = 1.0 if value else 0.0
        elif f.kind == "choice":
            if value is None:
                continue
            for o in f.options:
                out[f"{f.code}.{o.code}"] = 1.0 if o.code == value else 0.0
            chosen = f.option(str(value))
            if f.scored and chosen is not None and chosen.score is not None:
                out[f.code] = float(chosen.score)
        elif f.kind == "multichoice":
            if value is None:
                continue
            picked = set(value)
            for o in f.options:
                out[f"{f.code}.{o.code}"] = 1.0 if o.code in picked else 0.0
        elif f.kind == "table":
            rows = value or []
            out[f"{f.code}.rows"] = float(len(rows))
            for c in f.columns:
                cells = [r.get(c.code) for r in rows]
                if c.kind in NUMERIC_KINDS:
                    out[f"{f.code}.{c.code}"] = float(sum(v for v in cells if v is not None))
                elif c.kind == "boolean":
                    out[f"{f.code}.{c.code}"] = float(sum(1 for v in cells if v))
                elif c.kind == "choice":
                    for o in c.options:
                        out[f"{f.code}.{c.code}.{o.code}"] = float(
                            sum(1 for v in cells if v == o.code)
                        )
                elif c.kind == "multichoice":
                    for o in c.options:
                        out[f"{f.code}.{c.code}.{o.code}"] = float(
                            sum(1 for v in cells if v and o.code in v)
                        )
    return out


def display_value(f: FieldSpec, value: Any) -> str:
    """A typed value as a Russian reader expects it (for pages and exports)."""
    if value is None or value == "" or value == []:
        return ""
    if f.kind in NUMERIC_KINDS:
        return _fmt(float(value))
    if f.kind == "boolean":
        return "да" if value else "нет"
    if f.kind == "choice":
        return f.option_label(str(value))
    if f.kind == "multichoice":
        return "; ".join(f.option_label(str(v)) for v in value)
    if f.kind == "date":
        day = parse_date(value)
        return day.strftime("%d.%m.%Y") if day else str(value)
    if f.kind == "table":
        return f"{len(value)} строк"
    return str(value)


def raw_from_values(spec: FormSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values back into the raw shape an editor shows (numbers with a decimal comma)."""
    raw: dict[str, Any] = {}
    for f in spec.fields:
        value = values.get(f.code)
        raw[f.code] = _raw_of(f, value)
    return raw


def _raw_of(f: FieldSpec, value: Any) -> Any:
    if value is None:
        return [] if f.kind in {"multichoice", "table"} else ""
    if f.kind in NUMERIC_KINDS:
        return _fmt(float(value))
    if f.kind == "boolean":
        return "да" if value else "нет"
    if f.kind == "table":
        return [{c.code: _raw_of(c, r.get(c.code)) for c in f.columns} for r in value]
    return value


def check_unique_codes(specs: Sequence[FormSpec]) -> None:
    """Field codes are global (``form.<field>``): raise if two forms share one, or if a field
    code equals a form code."""
    owner: dict[str, str] = {}
    form_codes = {spec.code for spec in specs}
    for spec in specs:
        for f in spec.fields:
            if f.code in form_codes:
                raise SpecError(f"Поле «{f.code}» формы «{spec.code}» совпадает с кодом формы.")
            if f.code in owner and owner[f.code] != spec.code:
                raise SpecError(
                    f"Поле «{f.code}» формы «{spec.code}» уже есть в форме «{owner[f.code]}»: "
                    "коды полей должны быть уникальны во всех формах."
                )
            owner[f.code] = spec.code
