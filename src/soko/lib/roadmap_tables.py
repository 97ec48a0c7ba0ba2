"""Roadmap («дорожная карта», «план мероприятий») tables out of documents.

Municipal roadmaps arrive as Word or Excel tables («№ / Мероприятие / Сроки / Ответственный /
Показатель»), or as text where such a table was flattened. This module reads all of them into
one structure, :class:`ParsedRoadmap`: the title, the approving order («приказ от … № …»), the
period, the sections with their items, and the target-indicator table when there is one.

Inputs understood:

* **text** — three flattenings of a table:
  - one row per line, cells separated by TAB (a row continued on the next line, page breaks with
    the header repeated);
  - one cell per line, each cell line starting with a TAB, cell text running on over the next
    lines (Word's «table to text» with paragraph marks), rows recovered from the header width;
  - pipes ``|`` or pseudo-graphic borders (``│ ─ ┼``): rows one per line, rows between border
    lines (a cell split over several lines is rejoined), or a stream of cells with no line
    structure at all (cut by the header width);
* **DOCX** — every table of the body (python-docx), merged cells read once;
* **XLSX** — every sheet; runs of non-empty rows are tables, a single-cell row outside a table is
  a paragraph (titles above the table), an empty row ends a table.

A table is a roadmap when one of its rows is a header naming at least the measure column and
the deadline or responsible column (synonyms in :data:`HEADER_SYNONYMS`). A table with
«Наименование целевого показателя / Единица измерения / 2020/2021 …» becomes
:attr:`ParsedRoadmap.targets`. Anything else (a passport table, a results table by school) is
ignored.

Rows: a row is a section header when it is roman-numbered, when its only text sits in the first
cell (a row spanning the table, «1. Аналитическая работа»), when it has text but no number and
no other cell, or when it has a number and a title but no other cell and the next numbered row
is its child («5.» followed by «5.1.»). A row with no number whose text starts with a small
letter continues the previous item (a cell split over a page). Everything else is an item.
Items go to the innermost open section whose number is a prefix of theirs («2.3.1» under «2.3»);
under a roman part («I.») a plain arabic number («1.») opens the next level. Deadlines are parsed
with :func:`soko.lib.schedule.parse_schedule`, the context year being the first year of the
roadmap's period (from its title), else the year of the approving act.
"""

from __future__ import annotations

import html
import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Final

from soko.lib.schedule import Schedule, find_russian_date, parse_schedule

__all__ = [
    "HEADER_SYNONYMS",
    "RESPONSIBLE_SYNONYMS",
    "ApprovingDocument",
    "Item",
    "ParsedRoadmap",
    "RoadmapFormatError",
    "Section",
    "TargetRow",
    "TargetValue",
    "normalize_responsible",
    "parse_roadmap",
    "parse_roadmap_docx",
    "parse_roadmap_text",
    "parse_roadmap_xlsx",
    "split_responsible",
]

# ----------------------------------------------------------------------------------------------
# Reference data
# ----------------------------------------------------------------------------------------------

#: Canonical actor → the variants that mean it. Matching (see :func:`normalize_responsible`)
#: is done on a *core* form of the name: lower case, «ё» as «е», quotes and remarks in
#: parentheses removed, the legal form in front («МКУ», «МБУ ДПО»…) and the town at the end
#: («г. Юрги», «города Кузнецка») dropped. A name matches when its core equals a variant, or
#: starts with a variant followed by one of :data:`ACTOR_QUALIFIERS` («Управление образованием
#: Администрации города Юрги»).
RESPONSIBLE_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "Орган управления образованием": (
        "уо",
        "муо",
        "орган управления образованием",
        "органы управления образованием",
        "управление образованием",
        "управление образования",
        "управление образование",
        "управление по образованию",
        "комитет по образованию",
        "комитет образования",
        "отдел образования",
        "отдел по образованию",
        "департамент образования",
        "муниципальный орган управления образованием",
        "муниципальные органы управления образованием",
    ),
    "Методический центр": (
        "методический центр",
        "муниципальный методический центр",
        "информационно-методический центр",
        "имц",
        "ммц",
        "методический кабинет",
        "районный методический кабинет",
    ),
    "Образовательные организации": (
        "оо",
        "моо",
        "оу",
        "моу",
        "руководители оо",
        "руководители моо",
        "руководители оу",
        "образовательные организации",
        "общеобразовательные организации",
        "образовательные учреждения",
        "общеобразовательные учреждения",
        "руководители образовательных организаций",
        "руководители общеобразовательных организаций",
        "руководители образовательных учреждений",
        "руководители общеобразовательных учреждений",
    ),
}

#: Words that may follow a variant and still name the same actor («… администрации города»).
ACTOR_QUALIFIERS: Final[tuple[str, ...]] = (
    "администрации",
    "города",
    "г.",
    "городского",
    "муниципального",
    "района",
    "округа",
    "области",
    "края",
)

#: Legal forms dropped in front of a name before matching.
LEGAL_FORMS: Final[tuple[str, ...]] = (
    "мку",
    "мбу",
    "мау",
    "мкоу",
    "мбоу",
    "маоу",
    "гбу",
    "гау",
    "гку",
    "гбоу",
    "гаоу",
    "огбу",
    "кгбу",
    "фгбу",
    "ано",
    "ооо",
)

#: Header synonyms: role → regular expressions tried on the header text (lower case, «ё» as
#: «е», remarks in parentheses removed). Roles are tried in this order, so «Установленные сроки
#: проведения мероприятия» is the deadline and «Наименование целевого показателя» an indicator.
HEADER_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "extra": (
        r"использовани",
        r"примечани",
        r"отметк",
        r"источник",
        r"финансир",
        r"стоимост",
        r"статус",
        r"выполнени",
        r"^объем",
    ),
    "number": (r"^(?:№|n|no|номер)\s*(?:п\s*[/\\.]?\s*п\.?)?$", r"^п\s*[/\\]\s*п\.?$"),
    "deadline": (r"срок", r"^дата\b", r"^период\b", r"^когда$"),
    "responsible": (r"ответствен", r"исполнител"),
    "indicator": (
        r"показател",
        r"индикатор",
        r"результат",
        r"^форма\s+(?:отч|заверш|представл)",
        r"итогов\w*\s+документ",
    ),
    "title": (
        r"мероприяти",
        r"содержание",
        r"наименование",
        r"^действи",
        r"^направлени",
        r"^меры?$",
        r"^задач",
        r"^вид\w*\s+(?:работ|деятельност)",
    ),
}

_HEADER_RX: Final = {
    role: tuple(re.compile(p) for p in patterns) for role, patterns in HEADER_SYNONYMS.items()
}
_MAX_HEADER_CELL: Final = 70

# ----------------------------------------------------------------------------------------------
# Result model
# ----------------------------------------------------------------------------------------------


class RoadmapFormatError(ValueError):
    """The file cannot be read as a roadmap; the message is Russian and says what to do."""


@dataclass(frozen=True)
class ApprovingDocument:
    """The act that approved the roadmap («приказ от 26.11.2020 № 512»)."""

    kind: str  # «приказ», «распоряжение», «постановление»
    number: str
    date: date | None
    text: str  # as found in the document


@dataclass(frozen=True)
class Item:
    """One measure (мероприятие) of a roadmap."""

    number: str  # «1.1», «12», «2.3.1»; empty when the row has no number
    title: str
    deadline_text: str
    responsible_text: str
    responsible: list[str]
    indicator_text: str
    extra: dict[str, str]
    schedule: Schedule

    @property
    def responsible_canonical(self) -> list[str]:
        """The responsible actors mapped by :func:`normalize_responsible`, without repeats."""
        return list(dict.fromkeys(normalize_responsible(r) for r in self.responsible))


@dataclass(frozen=True)
class Section:
    """A section of a roadmap: a heading row, or the caption of a table («Приложение 1 …»)."""

    number: str | None  # «I», «1.1»; None for an unnumbered heading or a caption
    name: str  # heading without the number
    title: str  # «1.1. Система оценки качества подготовки обучающихся»
    level: int  # 0 for top sections
    parent: int | None  # index of the parent in ParsedRoadmap.sections
    deadline_text: str  # rare: a deadline written on the heading row itself
    items: list[Item]


@dataclass(frozen=True)
class TargetValue:
    """The value of a target indicator for one period column."""

    period: str  # the column header, «2020/2021»
    text: str  # the cell as written, «16%»
    value: float | None  # the number in it, when it is a plain number


@dataclass(frozen=True)
class TargetRow:
    """A row of a target-indicator table («Целевые показатели»)."""

    name: str
    unit: str
    values: list[TargetValue]


@dataclass(frozen=True)
class ParsedRoadmap:
    """Everything read from one roadmap document."""

    title: str
    approving_document: ApprovingDocument | None
    period: tuple[int, int] | None
    sections: list[Section]
    targets: list[TargetRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # Russian, for the import report

    @property
    def items(self) -> list[Item]:
        """All items in document order."""
        return [item for section in self.sections for item in section.items]

    @property
    def context_year(self) -> int | None:
        """The year used for deadlines written without a year: the period's first year, else
        the year of the approving act."""
        if self.period is not None:
            return self.period[0]
        if self.approving_document is not None and self.approving_document.date is not None:
            return self.approving_document.date.year
        return None


# ----------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------


def parse_roadmap_text(text: str) -> ParsedRoadmap:
    """Parse a roadmap from text where its tables were flattened (TAB, cell per line, pipes)."""
    return _interpret(_text_blocks(text))


def parse_roadmap_docx(path_or_bytes: str | Path | bytes) -> ParsedRoadmap:
    """Parse a roadmap from a .docx file (path or content)."""
    return _interpret(_docx_blocks(path_or_bytes))


def parse_roadmap_xlsx(path_or_bytes: str | Path | bytes) -> ParsedRoadmap:
    """Parse a roadmap from an .xlsx file (path or content), all sheets in order."""
    return _interpret(_xlsx_blocks(path_or_bytes))


def parse_roadmap(path: str | Path) -> ParsedRoadmap:
    """Parse a roadmap file chosen by extension: .txt, .docx or .xlsx/.xlsm.

    Raises :class:`RoadmapFormatError` for any other extension.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".txt":
        return parse_roadmap_text(_decode(p.read_bytes()))
    if suffix == ".docx":
        return parse_roadmap_docx(p)
    if suffix in (".xlsx", ".xlsm"):
        return parse_roadmap_xlsx(p)
    raise RoadmapFormatError(
        f"Файл «{p.name}»: формат «{suffix or 'без расширения'}» не поддерживается. "
        "Сохраните дорожную карту как .docx, .xlsx или .txt и загрузите снова."
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


# ----------------------------------------------------------------------------------------------
# Responsible actors
# ----------------------------------------------------------------------------------------------

_OPENER_WORDS: Final = frozenset(
    {
        "Руководители",
        "Руководитель",
        "Методический",
        "Отдел",
        "Комитет",
        "Управление",
        "Заместители",
        "Заместитель",
        "Директора",
        "Директор",
        "Специалисты",
        "Педагоги",
        "Учителя",
        "Администрация",
    }
)
_ORG_FORM_WORDS: Final = frozenset(w.upper() for w in LEGAL_FORMS) | {"МБОУДО", "МБУДО"}
_ACTOR_ABBREVIATIONS: Final = frozenset({"ОО", "МОО", "ОУ", "ДОО", "ДОУ", "РМО", "ШМО", "УО"})
_OPENING: Final = "«„“(["
_CLOSING: Final = "»“”)]"


def _depths(text: str) -> list[int]:
    """Nesting depth (quotes and brackets) at every character."""
    depth, straight = 0, False
    out: list[int] = []
    for ch in text:
        if ch == '"':
            straight = not straight
            out.append(depth + 1)
            continue
        if ch in "«([":
            depth += 1
            out.append(depth)
            continue
        if ch in "»)]" and depth > 0:
            out.append(depth)
            depth -= 1
            continue
        out.append(depth + (1 if straight else 0))
    return out


def split_responsible(text: str) -> list[str]:
    """Split a «Ответственный» cell into actors.

    Splits on «,», «;» and line breaks, never inside quotes or brackets («МБУ ДПО «ИМЦ г.
    Юрги»» stays whole), and before a word that starts a new actor in a cell where they were
    written one per line and the breaks were lost («Комитет по образованию Руководители МОО»):
    a capitalised head word (:data:`_OPENER_WORDS`), or a legal form («МКУ», «МБОУ») after a
    lower-case word or an actor abbreviation («Руководители ОО МКУ «Методический центр»»).
    """
    text = _clean_cell(text)
    if not text:
        return []
    depth = _depths(text)
    parts: list[str] = []
    current: list[str] = []
    for ch, d in zip(text, depth, strict=True):
        if ch in ",;\n" and d == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    actors: list[str] = []
    for part in parts:
        actors.extend(_split_openers(part))
    cleaned = [_strip_actor(a) for a in actors]
    return [a for a in cleaned if a]


def _split_openers(part: str) -> list[str]:
    depth = _depths(part)
    words = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", part)]
    cuts: list[int] = []
    for index in range(1, len(words)):
        start, word = words[index]
        if depth[start] != 0:
            continue
        previous = words[index - 1][1].strip(",;.")
        if word in _OPENER_WORDS or (
            word in _ORG_FORM_WORDS
            and (previous[:1].islower() or previous in _ACTOR_ABBREVIATIONS)
        ):
            cuts.append(start)
    if not cuts:
        return [part]
    bounds = [0, *cuts, len(part)]
    return [part[a:b] for a, b in itertools.pairwise(bounds)]


def _strip_actor(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = text.strip(" -–—•·*").rstrip(".,;:").strip()
    return text


def _normalize_quotes(text: str) -> str:
    out: list[str] = []
    open_next = True
    for i, ch in enumerate(text):
        if ch in "\"„“”":
            prev = text[i - 1] if i else " "
            if ch == "„" or (ch in "\"“" and (prev.isspace() or prev in "(«[")):
                out.append("«")
            elif ch == "”" or not open_next:
                out.append("»")
            else:
                out.append("«" if prev.isspace() else "»")
            open_next = out[-1] == "»"
        else:
            out.append(ch)
    return "".join(out)


def _actor_core(name: str) -> str:
    core = name.lower().replace("ё", "е")
    core = re.sub(r"\([^()]*\)", " ", core)
    core = re.sub(r"[«»\"„“”']", " ", core)
    core = re.sub(r"[‐‑‒–—―−]", "-", core)
    core = re.sub(r"\s+", " ", core).strip(" .,;:-")
    words = core.split(" ")
    while words and words[0] in LEGAL_FORMS:
        words = words[1:]
        if words and words[0] in ("дпо", "до", "дод"):
            words = words[1:]
    core = " ".join(words)
    core = re.sub(r"\s+(?:г\.|гор\.|города)\s*[а-я-]+$", "", core)
    return core.strip()


_ACTOR_INDEX: Final[dict[str, str]] = {
    variant: canonical
    for canonical, variants in RESPONSIBLE_SYNONYMS.items()
    for variant in variants
}


def normalize_responsible(name: str) -> str:
    """Map a responsible actor to its canonical name (:data:`RESPONSIBLE_SYNONYMS`).

    «УО», «Управление образованием Администрации города Юрги», «Комитет по образованию» →
    «Орган управления образованием»; «МБУ ДПО «ИМЦ г. Юрги»» → «Методический центр»;
    «Руководители ОО» → «Образовательные организации». A name not in the table is returned
    with spaces collapsed, quotes made «ёлочки» and trailing punctuation removed.
    """
    display = _strip_actor(_normalize_quotes(name.replace("\u00a0", " ")))
    core = _actor_core(display)
    if core in _ACTOR_INDEX:
        return _ACTOR_INDEX[core]
    for variant, canonical in _ACTOR_INDEX.items():
        if core.startswith(variant + " "):
            following = core[len(variant) + 1 :].split(" ", 1)[0]
            if following in ACTOR_QUALIFIERS:
                return canonical
    return display


# ----------------------------------------------------------------------------------------------
# Cell text
# ----------------------------------------------------------------------------------------------

_HTML_BREAK: Final = re.compile(r"<\s*br\s*/?>|</\s*(?:p|li|div|tr|h\d)\s*>", re.IGNORECASE)
_HTML_TAG: Final = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_BLANKISH: Final = re.compile(r"^[\s.,;:^_*\-–—−~'\"`]*$")


def _clean_cell(text: str) -> str:
    """Remove markup, keep line breaks, collapse spaces and drop empty lines."""
    if not text:
        return ""
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub(" ", text)
    text = html.unescape(text).replace("**", "").replace("\u00a0", " ").replace("\u200b", "")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _one_line(text: str) -> str:
    """Join the lines of a cell into one line; a word broken with «-» or «/» stays joined."""
    out = ""
    for line in _clean_cell(text).split("\n"):
        if not out:
            out = line
        elif out.endswith(("-", "/")) and line[:1].islower():
            out += line
        else:
            out += " " + line
    return out


def _wrap_join(pieces: Sequence[str]) -> str:
    """Join the wrapped lines of one cell with spaces; «обще-» + «образовательных» stay joined."""
    out = ""
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        if out.endswith(("-", "/")) and piece[:1].islower():
            out += piece
        else:
            out = f"{out} {piece}" if out else piece
    return out


def _is_blank(text: str) -> bool:
    return bool(_BLANKISH.match(text))


# ----------------------------------------------------------------------------------------------
# Blocks: the document as paragraphs and tables, whatever the source
# ----------------------------------------------------------------------------------------------


@dataclass
class _Paragraph:
    text: str


@dataclass
class _Table:
    rows: list[list[str]]


_Block = _Paragraph | _Table

_CAPTION: Final = re.compile(r"^\s*(?:Приложение|ПРИЛОЖЕНИЕ|Таблица|ТАБЛИЦА)\b")
_APPENDIX: Final = re.compile(r"^\s*(?:Приложение|ПРИЛОЖЕНИЕ)\s*(?:№\s*)?\d+")
_BOX_CHARS: Final = "│┃║┌┐└┘├┤┬┴┼╔╗╚╝╠╣╦╩╬"
_BORDER: Final = re.compile(r"^[\s|+\-=:─━═┌┐└┘├┤┬┴┼╔╗╚╝╠╣╦╩╬│┃║]+$")


def _is_cell_line(line: str) -> bool:
    """One cell per line: a TAB at the start and no other TAB."""
    return line.startswith("\t") and line.count("\t") == 1


def _is_tab_row(line: str) -> bool:
    """One row per line: TAB-separated cells (not a lone cell line)."""
    return "\t" in line and not _is_cell_line(line)


def _is_pipe_line(line: str) -> bool:
    return "|" in line or any(ch in line for ch in _BOX_CHARS)


def _is_border(line: str) -> bool:
    return bool(_BORDER.match(line)) and any(ch in line for ch in "-=─━═")


def _text_blocks(text: str) -> list[_Block]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[_Block] = []
    i, n = 0, len(lines)
    following: list[str] = [""] * (n + 1)  # the next non-blank line at or after each index
    for k in range(n - 1, -1, -1):
        following[k] = lines[k] if lines[k].strip() else following[k + 1]

    while i < n:
        line = lines[i]
        if _is_pipe_line(line) and "\t" not in line:
            j = i
            while j < n:
                blank_inside = not lines[j].strip() and _is_pipe_line(following[j])
                if not (_is_pipe_line(lines[j]) or blank_inside):
                    break
                j += 1
            blocks.extend(_pipe_blocks(lines[i:j], blocks))
            i = j
        elif _is_tab_row(line):
            rows: list[list[str]] = []
            j = i
            while j < n:
                if "\t" in lines[j]:
                    rows.append(lines[j].split("\t"))
                    j += 1
                elif not lines[j].strip() and "\t" in following[j]:
                    j += 1
                else:
                    break
            blocks.append(_Table(rows))
            i = j
        elif _is_cell_line(line):
            j = i + 1
            while j < n and not _is_tab_row(lines[j]) and not _is_pipe_line(lines[j]):
                j += 1
            blocks.extend(_cell_line_blocks(lines[i:j]))
            i = j
        else:
            blocks.append(_Paragraph(_clean_cell(line).replace("\n", " ")))
            i += 1
    return blocks


# -- one cell per line ---------------------------------------------------------------------------


def _split_loose(loose: list[str]) -> tuple[list[str], list[str]]:
    """Split the lines after a table's last cell into (continuation of the cell, paragraphs)."""
    for k, line in enumerate(loose):
        if _CAPTION.match(line):
            return loose[:k], loose[k:]
    for k, line in enumerate(loose):
        if not line.strip():
            return loose[:k], loose[k:]
    return loose, []


def _cell_line_blocks(lines: list[str]) -> list[_Block]:
    cells: list[str] = []
    loose: list[list[str]] = []
    for line in lines:
        if _is_cell_line(line):
            cells.append(line[1:])
            loose.append([])
        elif loose:
            loose[-1].append(line)
    headers = _find_header_runs([_header_text(c, lo) for c, lo in zip(cells, loose, strict=True)])
    blocks: list[_Block] = []

    def cell_text(index: int, extra: list[str]) -> str:
        return "\n".join([cells[index], *extra])

    first = headers[0][0] if headers else len(cells)
    if first > 0:  # cells before the first header: a table we do not know
        values = [cell_text(k, loose[k]) for k in range(first - 1)]
        tail, paragraphs = _split_loose(loose[first - 1])
        values.append(cell_text(first - 1, tail))
        blocks.append(_Table([values]))
        blocks.extend(_Paragraph(_clean_cell(p).replace("\n", " ")) for p in paragraphs)
    for h_index, (start, width) in enumerate(headers):
        stop = headers[h_index + 1][0] if h_index + 1 < len(headers) else len(cells)
        rows = [[cell_text(k, loose[k]) for k in range(start, start + width)]]
        paragraphs = []
        row: list[str] = []
        for k in range(start + width, stop):
            last = k == stop - 1
            extra = loose[k]
            if last and len(row) == width - 1:
                extra, paragraphs = _split_loose(loose[k])
            row.append(cell_text(k, extra))
            if len(row) == width:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        blocks.append(_Table(rows))
        blocks.extend(_Paragraph(_clean_cell(p).replace("\n", " ")) for p in paragraphs)
    return blocks


def _header_text(cell: str, loose: list[str]) -> str:
    kept: list[str] = []
    for line in loose:
        if _CAPTION.match(line):
            break
        kept.append(line)
    return " ".join([cell, *kept])


# -- pipes and pseudo-graphics ---------------------------------------------------------------


def _pipe_blocks(lines: list[str], previous: list[_Block]) -> list[_Block]:
    """Blocks of a run of lines with pipes; may take a «№» left on the lines above."""
    norm = [re.sub(f"[{_BOX_CHARS}]", "|", ln) if not _is_border(ln) else ln for ln in lines]
    data = [ln for ln in norm if ln.strip()]
    content = [ln for ln in data if not _is_border(ln)]
    if not content:
        return []
    aligned = sum(1 for ln in content if ln.strip().startswith("|") and ln.strip().endswith("|"))
    if aligned >= 0.6 * len(content):
        return [_Table(_aligned_rows(data))]
    text = "\n".join(content)
    cells = [_clean_cell(c).replace("\n", " ") for c in text.split("|")]
    if not text.lstrip().startswith("|") and len(cells[0]) <= 12:
        cells[0] = _take_prefix(previous, cells[0])
    elif text.lstrip().startswith("|"):
        cells = cells[1:]
    runs = _find_header_runs(cells)
    if not runs:
        return [_Table([cells])]
    start, width = runs[0]
    blocks: list[_Block] = [_Paragraph(c) for c in cells[:start] if c]
    rows: list[list[str]] = [cells[start : start + width]]
    rest = cells[start + width :]
    pos = 0
    while pos < len(rest):
        if (
            rest[pos] == ""
            and pos + 1 < len(rest)
            and _NUMBER_ONLY.match(rest[pos + 1])
            and (len(rest) - pos - 1) % width == 0
        ):
            pos += 1  # an empty cell left by a line break at a row start
        rows.append(rest[pos : pos + width])
        pos += width
    blocks.append(_Table(rows))
    return blocks


def _take_prefix(previous: list[_Block], first_cell: str) -> str:
    """Join short lines just above a table («№» over «п/п») to its first cell."""
    taken: list[str] = []
    while previous and isinstance(previous[-1], _Paragraph) and len(previous[-1].text) <= 12:
        if len(taken) >= 3:
            break
        block = previous.pop()
        assert isinstance(block, _Paragraph)
        if block.text:
            taken.insert(0, block.text)
    return " ".join([*taken, first_cell]).strip()


def _aligned_rows(lines: list[str]) -> list[list[str]]:
    """Rows of a table drawn one row per line between pipes.

    With border lines between the rows, the lines between two borders are one row and a cell
    wrapped over them is rejoined. With borders only under the header (or none), every line is
    a row, and a line with an empty first cell continues the row above.
    """

    def cells_of(line: str) -> list[str]:
        return [c.strip() for c in line.strip().strip("|").split("|")]

    groups: list[list[list[str]]] = [[]]
    for line in lines:
        if _is_border(line):
            if groups[-1]:
                groups.append([])
            continue
        groups[-1].append(cells_of(line))
    groups = [g for g in groups if g]
    if not groups:
        return []
    width = max(len(c) for g in groups for c in g)

    def merge(parts: list[list[str]]) -> list[str]:
        # lines inside a drawn cell are wraps of one text, not separate paragraphs
        if all(len(p) == 1 for p in parts) and width > 1:
            return [_wrap_join([p[0] for p in parts])]
        return [_wrap_join([p[k] for p in parts if k < len(p)]) for k in range(width)]

    if len(groups) > 2:
        return [merge(g) for g in groups]
    if len(groups) == 2:
        rows, body = [merge(groups[0])], groups[1]
    else:
        rows, body = [groups[0][0]], groups[0][1:]
    for cells in body:
        if len(rows) > 1 and len(cells) == width and cells[0] == "":
            rows[-1] = merge([rows[-1], cells])
        else:
            rows.append(cells)
    return rows


# -- DOCX and XLSX -------------------------------------------------------------------------------


def _docx_blocks(path_or_bytes: str | Path | bytes) -> list[_Block]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    try:
        document = docx.Document(source)
    except Exception as exc:
        raise RoadmapFormatError(
            "Не удалось открыть файл как документ Word (.docx). Проверьте, что файл не повреждён "
            "и сохранён в формате .docx, и загрузите снова."
        ) from exc
    blocks: list[_Block] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = Paragraph(element, document).text
            blocks.extend(
                _Paragraph(_clean_cell(line).replace("\n", " "))
                for line in (text.split("\n") if text else [""])
            )
        elif tag == "tbl":
            table = Table(element, document)
            rows: list[list[str]] = []
            for row in table.rows:
                cells = list(row.cells)
                values: list[str] = []
                for k, cell in enumerate(cells):
                    if k and cell._tc is cells[k - 1]._tc:
                        values.append("")
                    else:
                        values.append(cell.text)
                rows.append(values)
            blocks.append(_Table(rows))
    return blocks


def _xlsx_value(value: object) -> str:
    if value is None or (isinstance(value, bool) and not value):
        return ""
    if isinstance(value, bool):
        return "да"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def _xlsx_blocks(path_or_bytes: str | Path | bytes) -> list[_Block]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        if isinstance(path_or_bytes, bytes):
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(path_or_bytes))
        else:
            workbook = CalamineWorkbook.from_path(str(path_or_bytes))
        sheets = [
            workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in workbook.sheet_names
        ]
    except (CalamineError, OSError, ValueError) as exc:
        raise RoadmapFormatError(
            "Не удалось открыть файл как книгу Excel (.xlsx). Проверьте, что файл не повреждён "
            "и сохранён в формате .xlsx, и загрузите снова."
        ) from exc
    blocks: list[_Block] = []
    for sheet in sheets:
        run: list[list[str]] = []
        for raw in [*sheet, []]:
            row = [_xlsx_value(v) for v in raw]
            while row and not row[-1].strip():
                row.pop()
            if any(c.strip() for c in row):
                run.append(row)
                continue
            if run:
                if max(sum(1 for c in r if c.strip()) for r in run) >= 2:
                    blocks.append(_Table(run))
                else:
                    blocks.extend(
                        _Paragraph(_clean_cell(" ".join(r)).replace("\n", " ")) for r in run
                    )
                run = []
            blocks.append(_Paragraph(""))
    return blocks


# ----------------------------------------------------------------------------------------------
# Headers
# ----------------------------------------------------------------------------------------------


def _header_norm(text: str) -> str:
    text = _clean_cell(text).replace("\n", " ").lower().replace("ё", "е")
    text = re.sub(r"\([^()]*\)", " ", text)
    return re.sub(r"\s+", " ", text).strip(" .,:;")


def _header_role(text: str) -> str | None:
    norm = _header_norm(text)
    if not norm or len(norm) > _MAX_HEADER_CELL:
        return None
    for role, patterns in _HEADER_RX.items():
        if any(p.search(norm) for p in patterns):
            return role
    return None


@dataclass(frozen=True)
class _Header:
    kind: str  # "roadmap" or "targets"
    roles: dict[str, int]
    extras: tuple[tuple[int, str], ...]
    width: int
    labels: tuple[str, ...]


def _match_header(cells: Sequence[str]) -> _Header | None:
    roles: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    nonempty = matched = 0
    labels = tuple(_one_line(c) for c in cells)
    for index, cell in enumerate(cells):
        if not _header_norm(cell):
            continue
        nonempty += 1
        role = _header_role(cell)
        if role is None:
            extras.append((index, labels[index]))
            continue
        matched += 1
        if role == "extra" or role in roles:
            extras.append((index, labels[index]))
        else:
            roles[role] = index
    if (
        "title" in roles
        and ("deadline" in roles or "responsible" in roles)
        and matched >= 0.6 * nonempty
    ):
        return _Header("roadmap", roles, tuple(extras), len(cells), labels)
    return _match_targets_header(cells, labels)


def _match_targets_header(cells: Sequence[str], labels: tuple[str, ...]) -> _Header | None:
    name_index = unit_index = None
    values: list[tuple[int, str]] = []
    for index, cell in enumerate(cells):
        norm = _header_norm(cell)
        if not norm:
            continue
        if name_index is None and re.search(r"показател|индикатор", norm):
            name_index = index
        elif unit_index is None and re.search(r"единиц|ед\.?\s*изм", norm):
            unit_index = index
        elif len(norm) <= 40:
            values.append((index, labels[index]))
    if name_index is None or unit_index is None or not values:
        return None
    if not any(re.search(r"(?:19|20)\d\d", label) for _, label in values):
        return None
    return _Header(
        "targets", {"name": name_index, "unit": unit_index}, tuple(values), len(cells), labels
    )


def _find_header_runs(cells: Sequence[str]) -> list[tuple[int, int]]:
    """Headers in a flat stream of cells: (start, width) of each run of header-like cells."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(cells):
        j = i
        while j < len(cells) and j - i < 12 and _header_role(cells[j]) is not None:
            j += 1
        if j - i >= 3 and _match_header(cells[i:j]) is not None:
            runs.append((i, j - i))
            i = j
        else:
            i += 1
    return runs


# ----------------------------------------------------------------------------------------------
# Interpretation
# ----------------------------------------------------------------------------------------------

_ROMAN: Final = {"I": 1, "V": 5, "X": 10, "L": 50}
_NUMBER_ONLY: Final = re.compile(r"^\s*(?:[IVXL]+|\d{1,3})(?:\.\d{1,3})*\.?\s*$")
_NUMBER_LEAD: Final = re.compile(r"^\s*(?P<num>(?:[IVXL]+|\d{1,3})(?:\.\d{1,3})*)(?:\.|\s|$)\s*")
_ROMAN_ONLY: Final = re.compile(r"^[IVXL]+$")


def _roman_value(text: str) -> int | None:
    if not _ROMAN_ONLY.match(text):
        return None
    total, previous = 0, 0
    for ch in reversed(text):
        value = _ROMAN[ch]
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    return total if 0 < total < 90 else None


def _number_key(number: str) -> tuple[int, ...]:
    parts = number.split(".")
    roman = _roman_value(parts[0])
    head = roman if roman is not None else int(parts[0])
    return (head, *(int(p) for p in parts[1:]))


def _is_prefix(parent: tuple[int, ...], child: tuple[int, ...]) -> bool:
    return len(parent) < len(child) and child[: len(parent)] == parent


@dataclass
class _Row:
    number: str
    roman: bool
    text: str
    lead: bool  # the text came from the number column (a heading written across the table)
    deadline: str
    responsible: str
    indicator: str
    extras: dict[str, str]
    only_first: bool  # only the first cell has text

    @property
    def others_empty(self) -> bool:
        return all(
            _is_blank(v) for v in (self.deadline, self.responsible, self.indicator,
                                   *self.extras.values())
        )


@dataclass
class _ItemDraft:
    number: str
    title: str
    deadline: str
    responsible: str
    indicator: str
    extras: dict[str, str]


@dataclass
class _SectionDraft:
    number: str | None
    name: str
    kind: str  # "implicit", "unnumbered", "inline", "numbered"
    level: int
    parent: int | None
    deadline: str = ""
    depth: int = 0  # for inline sections: the depth of the number they stand in for
    items: list[_ItemDraft] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, ...]:
        return _number_key(self.number) if self.number else ()

    def contains(self, number: str) -> bool:
        """True when a row numbered ``number`` belongs under this numbered section: its number
        extends this one («1.2» under «1»), or this is a roman part and the row has a plain
        arabic number («1.» under «I.», a different numbering level)."""
        key = _number_key(number)
        if _is_prefix(self.key, key):
            return True
        roman = self.number is not None and _roman_value(self.number.split(".")[0]) is not None
        return roman and len(key) == 1 and _roman_value(number.split(".")[0]) is None


def _split_number(cell: str) -> tuple[str, str]:
    """Split «1.1. Текст» into («1.1», «Текст»); «Текст» gives («», «Текст»)."""
    text = _one_line(cell)
    match = _NUMBER_LEAD.match(text)
    if not match:
        return "", text
    number = match.group("num")
    rest = text[match.end() :].strip()
    if _roman_value(number.split(".")[0]) is None and not number[0].isdigit():
        return "", text
    if (rest and rest[0] in "%)") or (rest[:1].isdigit()):
        return "", text
    return number, rest


def _to_row(cells: list[str], header: _Header) -> _Row | None:
    roles = header.roles
    padded = [*cells, *[""] * max(0, header.width - len(cells))]

    def take(role: str) -> str:
        index = roles.get(role)
        return padded[index] if index is not None and index < len(padded) else ""

    if not any(c.strip() for c in padded):
        return None
    raw_number = take("number")
    title_cell = _one_line(take("title"))
    number, lead_text = _split_number(raw_number) if raw_number.strip() else ("", "")
    lead = bool(lead_text)
    if not number and not lead and "number" not in roles:
        number, title_cell = _split_number(title_cell)
    text = " ".join(t for t in (lead_text, title_cell) if t)
    nonempty = [k for k, c in enumerate(padded) if _clean_cell(c)]
    return _Row(
        number=number,
        roman=bool(number) and _roman_value(number.split(".")[0]) is not None,
        text=text,
        lead=lead,
        deadline=_one_line(take("deadline")),
        responsible=_clean_cell(take("responsible")),
        indicator=_clean_cell(take("indicator")),
        extras={label: _clean_cell(padded[k]) for k, label in header.extras if k < len(padded)},
        only_first=nonempty == [0],
    )


def _starts_continuation(row: _Row) -> bool:
    if row.number:
        return False
    first = next(
        (v for v in (row.text, row.deadline, row.responsible, row.indicator) if v.strip()), ""
    )
    if not row.text.strip() and first:
        return True
    ch = first.strip()[:1]
    return bool(ch) and (ch.islower() or ch in "(-–—•·,;")


def _is_numbering_row(cells: list[str]) -> bool:
    values = [c.strip() for c in cells if c.strip()]
    return len(values) >= 3 and values == [str(k) for k in range(1, len(values) + 1)]


@dataclass
class _TableContext:
    header: _Header
    stack: list[int]
    last_item: _ItemDraft | None


class _Builder:
    """Turns header-delimited tables into sections and items."""

    def __init__(self) -> None:
        self.sections: list[_SectionDraft] = []
        self.targets: list[TargetRow] = []
        self.warnings: list[str] = []

    # -- sections -----------------------------------------------------------------------------

    def _push(self, ctx: _TableContext, draft: _SectionDraft) -> None:
        parent = ctx.stack[-1] if ctx.stack else None
        draft.parent = parent
        draft.level = self.sections[parent].level + 1 if parent is not None else 0
        self.sections.append(draft)
        ctx.stack.append(len(self.sections) - 1)

    def open_caption(self, ctx: _TableContext, caption: str) -> None:
        self._push(ctx, _SectionDraft(None, caption, "implicit", 0, None))

    def _unwind(self, stack: list[int], number: str) -> None:
        """Close the open sections a row numbered ``number`` does not belong to."""
        depth = len(_number_key(number))
        while stack:
            top = self.sections[stack[-1]]
            closed = (top.kind == "numbered" and not top.contains(number)) or (
                top.kind == "inline" and top.depth >= depth
            )
            if not closed:
                break
            stack.pop()

    def section_row(self, ctx: _TableContext, row: _Row) -> None:
        stack = ctx.stack
        if row.number:
            self._unwind(stack, row.number)
            draft = _SectionDraft(row.number, row.text, "numbered", 0, None, row.deadline)
        else:
            kind, depth = "unnumbered", 0
            if stack:
                top = self.sections[stack[-1]]
                if top.kind == "numbered":
                    stack.pop()
                    kind, depth = "inline", len(top.key)
                elif top.kind in ("unnumbered", "inline"):
                    stack.pop()
                    kind, depth = top.kind, top.depth
            draft = _SectionDraft(None, row.text, kind, 0, None, row.deadline, depth)
        self._push(ctx, draft)

    def item_row(self, ctx: _TableContext, row: _Row, caption: str) -> None:
        stack = ctx.stack
        if row.number:
            self._unwind(stack, row.number)
        if not stack:
            self.open_caption(ctx, caption or "Мероприятия")
        item = _ItemDraft(row.number, row.text, row.deadline, row.responsible, row.indicator,
                          dict(row.extras))
        self.sections[stack[-1]].items.append(item)
        ctx.last_item = item

    # -- rows ---------------------------------------------------------------------------------

    def roadmap_rows(self, ctx: _TableContext, rows: list[list[str]], caption: str) -> None:
        parsed: list[_Row | None] = []
        for cells in rows:
            if _is_numbering_row(cells):
                parsed.append(None)
                continue
            again = _match_header(cells)
            if again is not None and again.roles == ctx.header.roles:
                parsed.append(None)  # the header repeated after a page break
                continue
            parsed.append(_to_row(cells, ctx.header))
        for index, row in enumerate(parsed):
            if row is None:
                continue
            if _starts_continuation(row):
                if ctx.last_item is not None:
                    _append(ctx.last_item, row)
                continue  # before the first item: the rest of a header split over lines
            if self._is_section(row, parsed[index + 1 :]):
                self.section_row(ctx, row)
            elif row.text or row.number or not row.others_empty:
                self.item_row(ctx, row, caption)

    @staticmethod
    def _is_section(row: _Row, following: list[_Row | None]) -> bool:
        if row.roman:
            return True
        if not row.text:
            return False
        if row.lead and row.others_empty and (row.only_first or not row.number):
            return True
        if not row.number:
            return row.others_empty
        if not row.others_empty:
            return False
        key = _number_key(row.number)
        for nxt in following:
            if nxt is not None and nxt.number:
                return _is_prefix(key, _number_key(nxt.number))
        return False

    def target_rows(self, header: _Header, rows: list[list[str]]) -> None:
        for cells in rows:
            padded = [*cells, *[""] * max(0, header.width - len(cells))]
            name = _one_line(padded[header.roles["name"]])
            if not name or _match_targets_header(cells, tuple(cells)) is not None:
                continue
            values = [
                TargetValue(label, _one_line(padded[k]), _number(padded[k]))
                for k, label in header.extras
                if k < len(padded)
            ]
            if not any(v.text for v in values):
                continue
            self.targets.append(TargetRow(name, _one_line(padded[header.roles["unit"]]), values))


def _append(item: _ItemDraft, row: _Row) -> None:
    def join(a: str, b: str, sep: str) -> str:
        if not b:
            return a
        if not a:
            return b
        if sep == " " and a.endswith(("-", "/")) and b[:1].islower():
            return a + b
        return a + sep + b

    item.title = join(item.title, row.text, " ")
    item.deadline = join(item.deadline, row.deadline, " ")
    item.responsible = join(item.responsible, row.responsible, "\n")
    item.indicator = join(item.indicator, row.indicator, "\n")
    for key, value in row.extras.items():
        item.extras[key] = join(item.extras.get(key, ""), value, "\n")


_NUMBER_VALUE: Final = re.compile(
    r"^\s*(?:не\s+(?:менее|более)\s+|до\s+|[≥≤<>]\s*)?(-?\d+(?:[.,]\d+)?)\s*%?\s*$"
)


def _number(text: str) -> float | None:
    match = _NUMBER_VALUE.match(_one_line(text).lower())
    return float(match.group(1).replace(",", ".")) if match else None


# -- the document level -----------------------------------------------------------------------


@dataclass
class _Segment:
    """A table cut at its header: roadmap, targets, or unknown (header None)."""

    header: _Header | None
    rows: list[list[str]]
    width: int


def _segments(blocks: list[_Block]) -> list[_Paragraph | _Segment]:
    """Cut tables at header rows; single-cell rows above the first header become paragraphs."""
    out: list[_Paragraph | _Segment] = []
    for block in blocks:
        if isinstance(block, _Paragraph):
            out.append(block)
            continue
        width = max((len(r) for r in block.rows), default=0)
        pre: list[list[str]] = []
        segments: list[_Segment] = []
        for row in block.rows:
            filled = sum(1 for c in row if c.strip())
            header = _match_header(row) if filled >= 2 else None
            current = segments[-1] if segments else None
            if header is not None and (
                current is None
                or current.header is None
                or header.kind != current.header.kind
                or header.roles != current.header.roles
            ):
                segments.append(_Segment(header, [], width))
            elif current is not None:
                current.rows.append(row)
            else:
                pre.append(row)
        if pre and all(sum(1 for c in r if c.strip()) <= 1 for r in pre):
            out.extend(_Paragraph(_one_line(" ".join(r))) for r in pre)
        elif pre:
            out.append(_Segment(None, pre, width))
        out.extend(segments)
    return out


def _caption(before: list[_Paragraph]) -> str:
    """The caption of a table from the paragraphs since the previous table."""
    lines = [p.text.strip() for p in before]
    for k in range(len(lines) - 1, -1, -1):
        if _APPENDIX.match(lines[k]) and len(lines) - k <= 8:
            return _join_caption([ln for ln in lines[k:] if ln])
    collected: list[str] = []
    for k in range(len(lines) - 1, -1, -1):
        line = lines[k]
        if not line:
            if collected and not collected[0][:1].islower():
                break
            continue
        collected.insert(0, line)
        if len(collected) >= 5:
            break
    return _join_caption(collected)


def _join_caption(lines: list[str]) -> str:
    text = " ".join(lines)
    return re.sub(r"\s+", " ", text).strip()


_TITLE_START: Final = re.compile(
    r"^(?:План(?:\s|$|,)|ПЛАН(?:\s|$|,)|Дорожная карта|ДОРОЖНАЯ КАРТА|Концепция|КОНЦЕПЦИЯ|"
    r"Перечень мероприятий|ПЕРЕЧЕНЬ МЕРОПРИЯТИЙ|Комплекс мер|КОМПЛЕКС МЕР|Программа|ПРОГРАММА)"
)


def _find_title(paragraphs: list[_Paragraph]) -> str:
    lines = [p.text.strip() for p in paragraphs]
    for start, line in enumerate(lines):
        if not _TITLE_START.match(line):
            continue
        parts = [line]
        k = start + 1
        while k < len(lines):
            if lines[k]:
                parts.append(lines[k])
                k += 1
                continue
            nxt = next((ln for ln in lines[k:] if ln), "")
            if nxt[:1].islower() or nxt[:1] in "(«":
                k += 1
                continue
            break
        return _join_caption(parts)
    return ""


_PERIOD: Final = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:-|–|—|/)\s*((?:19|20)\d{2})(?!\d)")
_SINGLE_YEAR: Final = re.compile(r"\bна\s+((?:19|20)\d{2})\s*(?:год|г\.)", re.IGNORECASE)
_PERIOD_IN_TEXT: Final = re.compile(
    r"(?:дорожн\w*\s+карт\w*|план\w*\s+мероприяти\w*)[^.]{0,200}?период\w*\s+(?:с\s+)?"
    r"((?:19|20)\d{2})\s*(?:-|–|—|по|до)\s*((?:19|20)\d{2})",
    re.IGNORECASE,
)


def _find_period(title: str, text_before: str) -> tuple[int, int] | None:
    for source in (title,):
        match = _PERIOD.search(source)
        if match and 0 <= int(match.group(2)) - int(match.group(1)) <= 20:
            return int(match.group(1)), int(match.group(2))
        single = _SINGLE_YEAR.search(source)
        if single:
            return int(single.group(1)), int(single.group(1))
    match = _PERIOD_IN_TEXT.search(text_before)
    if match and 0 <= int(match.group(2)) - int(match.group(1)) <= 20:
        return int(match.group(1)), int(match.group(2))
    return None


_ACT_HEADING: Final = re.compile(
    r"^\s*(?P<kind>П\s*Р\s*И\s*К\s*А\s*З|Р\s*А\s*С\s*П\s*О\s*Р\s*Я\s*Ж\s*Е\s*Н\s*И\s*Е|"
    r"П\s*О\s*С\s*Т\s*А\s*Н\s*О\s*В\s*Л\s*Е\s*Н\s*И\s*Е)\s*$"
)
_ACT_NUMBER: Final = re.compile(
    r"(?:№|N)\s*_*\s*(?P<num>[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё\-/]*)"
)
_ACT_REFERENCE: Final = re.compile(
    r"(?P<kind>приказ|распоряжени|постановлени)\w*\b(?P<between>.{0,200}?)\bот\s+",
    re.IGNORECASE | re.DOTALL,
)


def _act_kind(word: str) -> str:
    letters = re.sub(r"\s+", "", word).lower()
    if letters.startswith("приказ"):
        return "приказ"
    if letters.startswith("распоряж"):
        return "распоряжение"
    return "постановление"


def _find_approving_document(paragraphs: list[_Paragraph]) -> ApprovingDocument | None:
    lines = [p.text.strip() for p in paragraphs]
    for k, line in enumerate(lines):
        heading = _ACT_HEADING.match(line)
        if not heading:
            continue
        window = [ln for ln in lines[k + 1 : k + 12] if ln][:6]
        found_date = None
        number = None
        used: list[str] = []
        for ln in window:
            if found_date is None and (dated := find_russian_date(ln)) is not None:
                found_date = dated[0]
                used.append(ln)
                rest = ln[dated[2] :]
                num = _ACT_NUMBER.search(rest)
                if num:
                    number = num.group("num")
                    break
                continue
            num = _ACT_NUMBER.match(ln.strip())
            if number is None and num:
                number = num.group("num")
                used.append(ln)
            if found_date is not None and number is not None:
                break
        if found_date is not None and number is not None:
            return ApprovingDocument(_act_kind(heading.group("kind")), number, found_date,
                                     " ".join(used))
    text = " ".join(ln for ln in lines if ln)
    for ref in _ACT_REFERENCE.finditer(text):
        tail = text[ref.end() : ref.end() + 60]
        dated = find_russian_date(tail)
        if dated is None or dated[1] != 0:
            continue
        num = _ACT_NUMBER.match(re.sub(r"^[\s_г.]+", "", tail[dated[2] :]))
        if num is None:
            continue
        end = ref.end() + dated[2] + tail[dated[2] :].find(num.group("num")) + len(
            num.group("num")
        )
        found = re.sub(r"[\s_]+", " ", text[ref.start() : end]).strip()
        return ApprovingDocument(_act_kind(ref.group("kind")), num.group("num"), dated[0], found)
    return None


def _interpret(blocks: list[_Block]) -> ParsedRoadmap:
    parts = _segments(blocks)
    first_table = next(
        (k for k, p in enumerate(parts) if isinstance(p, _Segment) and p.header is not None
         and p.header.kind == "roadmap"),
        len(parts),
    )
    head = [p for p in parts[:first_table] if isinstance(p, _Paragraph)]
    all_paragraphs = [p for p in parts if isinstance(p, _Paragraph)]
    title = _find_title(head) or _find_title(all_paragraphs)
    approving = _find_approving_document(head)
    period = _find_period(title, " ".join(p.text for p in head))
    builder = _Builder()
    previous: _TableContext | None = None
    since_table: list[_Paragraph] = []
    for part in parts:
        if isinstance(part, _Paragraph):
            since_table.append(part)
            continue
        adjacent = not any(p.text.strip() for p in since_table)
        if part.header is None:
            if previous is not None and adjacent and part.width == previous.header.width:
                builder.roadmap_rows(previous, part.rows, "")
            elif part.rows:
                start = _one_line(" ".join(part.rows[0]))[:60].rstrip()
                builder.warnings.append(
                    f"Таблица «{start}» не похожа на дорожную карту и пропущена."
                )
                previous = None
            since_table = []
            continue
        if part.header.kind == "targets":
            builder.target_rows(part.header, part.rows)
            since_table = []
            previous = None
            continue
        caption = _caption(since_table)
        if previous is not None and adjacent and previous.header.roles == part.header.roles:
            context = previous
            context.header = part.header
        else:
            context = _TableContext(part.header, [], None)
            if _APPENDIX.match(caption):
                builder.open_caption(context, caption)
        builder.roadmap_rows(context, part.rows, caption or title)
        previous = context
        since_table = []
    context_year = ParsedRoadmap(title, approving, period, []).context_year
    sections = [_freeze(draft, context_year) for draft in builder.sections]
    unparsed = sum(1 for s in sections for i in s.items if not i.schedule.parsed)
    warnings = list(builder.warnings)
    if unparsed:
        warnings.append(f"Сроки не распознаны у мероприятий: {unparsed}; они сохранены как текст.")
    if not sections:
        warnings.append("В документе не найдена таблица дорожной карты (нет строки заголовков "
                        "«Мероприятие / Сроки / Ответственный»).")
    return ParsedRoadmap(title=title, approving_document=approving, period=period,
                         sections=sections, targets=builder.targets, warnings=warnings)


def _freeze(draft: _SectionDraft, context_year: int | None) -> Section:
    name = _one_line(draft.name)
    title = f"{draft.number}. {name}" if draft.number else name
    items = [
        Item(
            number=i.number,
            title=_one_line(i.title),
            deadline_text=_one_line(i.deadline),
            responsible_text=_clean_cell(i.responsible),
            responsible=split_responsible(i.responsible),
            indicator_text=_clean_cell(i.indicator),
            extra={k: _clean_cell(v) for k, v in i.extras.items()},
            schedule=parse_schedule(_one_line(i.deadline), context_year=context_year),
        )
        for i in draft.items
    ]
    return Section(
        number=draft.number,
        name=name,
        title=title,
        level=draft.level,
        parent=draft.parent,
        deadline_text="" if _is_blank(draft.deadline) else _one_line(draft.deadline),
        items=items,
    )

