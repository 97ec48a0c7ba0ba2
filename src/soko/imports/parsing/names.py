"""Names and vocabularies: organisations, municipalities, subjects and column headers.

Everything here is matching, never correction: the normalised forms are keys used to decide that
two spellings mean the same thing; records keep the text as the file wrote it.

* :func:`normalize_org_name` — a key for matching the same school across years and sources
  (case, «ё», all quote kinds, «№ 5»/«№5», spaces, typos seen in real files, legal-form and
  school-type abbreviations: «Муниципальное бюджетное общеобразовательное учреждение» ↔ «МБОУ»,
  «средняя общеобразовательная школа» ↔ «СОШ» …).
* :func:`normalize_municipality` — a key for municipalities («Город чита» = «г. Чита»; the name of
  a municipal education authority such as «Комитет образования администрации городского округа
  "Город Чита"» is reduced to the quoted municipality).
* :func:`subject_code` — subject names as written in headers («Математика (профиль), чел.»,
  «Информатика и ИКТ (КЕГЭ)», «Английский язык (устный)») → subject codes.
* :class:`ColumnSpec` / :func:`match_header` — a kind's columns with synonyms, matched against a
  header row, with the user's explicit ``mapping`` override.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from soko.imports.parsing.tables import cell_text, normalize_header

# --------------------------------------------------------------------------------------------
# Organisation names
# --------------------------------------------------------------------------------------------

#: Misspellings seen in real official lists (Дагестан, Забайкальский край, ЕАО).
NAME_TYPOS: dict[str, str] = {
    "обшеобразовательн": "общеобразовательн",
    "общеебразовательн": "общеобразовательн",
    "общеобразовательнное": "общеобразовательное",
    "образвоани": "образовани",
    "образовнаи": "образовани",
    "админстраци": "администраци",
}

#: Owner word of a legal form → its letter in the abbreviation (longest first when matching).
LEGAL_OWNERS: dict[str, str] = {
    "федеральное государственное": "фг",
    "областное государственное": "ог",
    "краевое государственное": "кг",
    "негосударственное": "н",
    "государственное": "г",
    "муниципальное": "м",
    "частное": "ч",
    "федеральная государственная": "фг",
    "государственная": "г",
    "муниципальная": "м",
    "частная": "ч",
}
#: Financing word of a legal form → its letter.
LEGAL_FINANCING: dict[str, str] = {
    "бюджетное": "б",
    "автономное": "а",
    "казенное": "к",
    "бюджетная": "б",
    "автономная": "а",
    "казенная": "к",
}
#: Institution words of a legal form → the closing letters.
LEGAL_INSTITUTIONS: dict[str, str] = {
    "общеобразовательное учреждение": "оу",
    "образовательное учреждение": "оу",
    "учреждение": "у",
    "общеобразовательная организация": "оо",
    "образовательная организация": "оо",
}

#: School-type phrases → abbreviations (after lower-casing and «ё» → «е»).
SCHOOL_TYPE_ABBREVIATIONS: dict[str, str] = {
    "средняя общеобразовательная школа": "сош",
    "основная общеобразовательная школа": "оош",
    "начальная общеобразовательная школа": "нош",
    "средняя школа": "сш",
    "основная школа": "ош",
    "начальная школа": "нш",
    "с углубленным изучением отдельных предметов": "с уиоп",
    "центр образования": "цо",
    "имени": "им.",
}

_QUOTES_RE = re.compile(r"[«»\"'“”„‟‘’‚`<>]")
_LATIN_LOOKALIKES = str.maketrans("aceopxykmthb", "асеорхукмтнв")
_CYRILLIC_RE = re.compile(r"[а-я]")
_NUMBER_SIGN_RE = re.compile(r"(?:№|\bn[o°]?\.?)\s*(?=\d)")
_SPACED_DASH_RE = re.compile(r"\s+[-–—]+\s*|\s*[-–—]+\s+")
_DASH_RE = re.compile(r"[–—]")
_PUNCT_RE = re.compile(r"[,;:()\[\]]")
_PERIOD_RE = re.compile(r"\s*\.\s*")
_SPACES_RE = re.compile(r"\s+")


def _legal_form_re() -> re.Pattern[str]:
    owners = "|".join(sorted(LEGAL_OWNERS, key=len, reverse=True))
    financing = "|".join(LEGAL_FINANCING)
    institutions = "|".join(sorted(LEGAL_INSTITUTIONS, key=len, reverse=True))
    return re.compile(
        rf"\b(?P<owner>{owners})\s+(?:(?P<fin>{financing})\s+)?(?P<inst>{institutions})\b"
    )


_LEGAL_FORM_RE = _legal_form_re()
_SCHOOL_TYPES_LONGEST_FIRST = sorted(SCHOOL_TYPE_ABBREVIATIONS, key=len, reverse=True)
_SCHOOL_TYPE_RE = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in _SCHOOL_TYPES_LONGEST_FIRST) + r")\b"
)


def _fix_lookalikes(text: str) -> str:
    """Latin letters that look Cyrillic («Mуниципальное») inside Cyrillic words become Cyrillic."""
    words = text.split(" ")
    return " ".join(
        w.translate(_LATIN_LOOKALIKES) if _CYRILLIC_RE.search(w) else w for w in words
    )


def _base_key(name: str) -> str:
    text = cell_text(name).lower().replace("ё", "е").replace("\u00a0", " ")
    text = _SPACES_RE.sub(" ", text)
    text = _fix_lookalikes(text)
    text = _QUOTES_RE.sub(" ", text)
    for wrong, right in NAME_TYPOS.items():
        text = text.replace(wrong, right)
    return text


def _legal_abbreviation(match: re.Match[str]) -> str:
    owner = LEGAL_OWNERS[match.group("owner")]
    fin = LEGAL_FINANCING.get(match.group("fin") or "", "")
    inst = LEGAL_INSTITUTIONS[match.group("inst")]
    return owner + fin + inst


def normalize_org_name(name: str) -> str:
    """A matching key for an organisation name.

    «Муниципальное казённое общеобразовательное учреждение "Тпигская средняя обшеобразовательная
    школа  "» and «МКОУ «Тпигская СОШ»» both give «мкоу тпигская сош».
    """
    text = _SPACES_RE.sub(" ", _base_key(name))
    text = _SPACED_DASH_RE.sub(" ", text)
    text = _DASH_RE.sub("-", text)
    text = _PUNCT_RE.sub(" ", text)
    text = _SPACES_RE.sub(" ", text)
    text = _LEGAL_FORM_RE.sub(_legal_abbreviation, text)
    text = _SCHOOL_TYPE_RE.sub(lambda m: SCHOOL_TYPE_ABBREVIATIONS[m.group(1)], text)
    text = _NUMBER_SIGN_RE.sub("№", text)
    text = _PERIOD_RE.sub(". ", text)
    text = _SPACES_RE.sub(" ", text).strip(" .")
    return text


_LEADING_FORM_RE = re.compile(r"^(?:фг|ог|кг|н|г|м|ч)(?:б|а|к)?(?:оу|оо|у)\s+")


def org_name_without_form(name: str) -> str:
    """:func:`normalize_org_name` without the leading legal form («мбоу», «маоу», «гоу» …).

    A second-level key: a school that changed its legal form (МБОУ → МАОУ) between two lists
    keeps this key. Use it only when the full key finds nothing, and only within a municipality.
    """
    return _LEADING_FORM_RE.sub("", normalize_org_name(name))


# --------------------------------------------------------------------------------------------
# Municipalities
# --------------------------------------------------------------------------------------------

#: Words that start the name of a municipal education authority rather than a municipality.
AUTHORITY_PREFIXES: tuple[str, ...] = (
    "комитет",
    "управление",
    "отдел",
    "департамент",
    "министерство",
    "муниципальное казенное учреждение",
    "администрация",
)
#: Abbreviations in municipality names → full words (whole words only).
MUNICIPALITY_ABBREVIATIONS: dict[str, str] = {
    "г.": "город",
    "г": "город",
    "гор.": "город",
    "р-н": "район",
    "р-он": "район",
    "го": "городской округ",
    "мр": "муниципальный район",
    "мо": "муниципальное образование",
    "пгт": "поселок городского типа",
    "п.": "поселок",
    "с.": "село",
}
#: Leading words dropped when a municipality name still follows them.
MUNICIPALITY_LEADING_WORDS: tuple[str, ...] = (
    "городской округ",
    "муниципальное образование",
    "муниципальный район",
    "муниципальный округ",
)
_QUOTED_RE = re.compile(r"[«\"“„]([^«»\"“”„]+)[»\"”“]")


def normalize_municipality(name: str) -> str:
    """A matching key for a municipality: «Город чита», «г. Чита», «г.Чита» → «город чита».

    The name of a municipal education authority with the municipality in quotes
    («Комитет образования администрации городского округа "Город Чита"») is reduced to the
    quoted part, so the authority's column in regional forms matches the municipality.
    """
    raw = cell_text(name).replace("ё", "е").replace("Ё", "Е")
    lowered = _SPACES_RE.sub(" ", raw.lower()).strip()
    if lowered.startswith(AUTHORITY_PREFIXES):
        quoted = [q.strip() for q in _QUOTED_RE.findall(raw) if q.strip()]
        if len(quoted) == 1:
            raw = quoted[0]
    text = _base_key(raw)
    text = text.replace(".", ". ")
    text = _PUNCT_RE.sub(" ", text)
    words = _SPACES_RE.sub(" ", text).strip().split(" ")
    words = [MUNICIPALITY_ABBREVIATIONS.get(w, w) for w in words]
    text = " ".join(w for w in words if w)
    for lead in MUNICIPALITY_LEADING_WORDS:
        if text.startswith(lead + " ") and len(text) > len(lead) + 1:
            text = text[len(lead) + 1 :]
            break
    return _SPACES_RE.sub(" ", text).strip(" .")


# --------------------------------------------------------------------------------------------
# Subjects
# --------------------------------------------------------------------------------------------

#: Subject code → canonical Russian name.
SUBJECT_NAMES: dict[str, str] = {
    "РУ": "Русский язык",
    "МА": "Математика",
    "МАП": "Математика профильная",
    "МАБ": "Математика базовая",
    "ОМ": "Окружающий мир",
    "ФИ": "Физика",
    "ХИ": "Химия",
    "БИ": "Биология",
    "ИС": "История",
    "ГЕ": "География",
    "ОБ": "Обществознание",
    "ЛИ": "Литература",
    "ИН": "Информатика",
    "АЯ": "Английский язык",
    "НЯ": "Немецкий язык",
    "ФЯ": "Французский язык",
    "ИЯ": "Испанский язык",
    "КЯ": "Китайский язык",
    "ИНЯ": "Иностранные языки",
    # Oral parts of the foreign-language ЕГЭ (a separate exam with its own results).
    "АЯ-У": "Английский язык (устный)",
    "НЯ-У": "Немецкий язык (устный)",
    "ФЯ-У": "Французский язык (устный)",
    "ИЯ-У": "Испанский язык (устный)",
    "КЯ-У": "Китайский язык (устный)",
}
KNOWN_SUBJECT_CODES: frozenset[str] = frozenset(SUBJECT_NAMES)

#: Spellings of subject names (normalised by :func:`subject_key`) → code.
SUBJECT_SYNONYMS: dict[str, str] = {
    "русский язык": "РУ",
    "русский": "РУ",
    "математика": "МА",
    "математика профильная": "МАП",
    "математика профиль": "МАП",
    "математика профильный уровень": "МАП",
    "математика профильного уровня": "МАП",
    "математика базовая": "МАБ",
    "математика база": "МАБ",
    "математика базовый уровень": "МАБ",
    "математика базового уровня": "МАБ",
    "окружающий мир": "ОМ",
    "физика": "ФИ",
    "химия": "ХИ",
    "биология": "БИ",
    "история": "ИС",
    "география": "ГЕ",
    "обществознание": "ОБ",
    "литература": "ЛИ",
    "информатика": "ИН",
    "информатика и икт": "ИН",
    "информатика и икт кегэ": "ИН",
    "информатика кегэ": "ИН",
    "икт": "ИН",
    "английский язык": "АЯ",
    "английский": "АЯ",
    "немецкий язык": "НЯ",
    "немецкий": "НЯ",
    "французский язык": "ФЯ",
    "французский": "ФЯ",
    "испанский язык": "ИЯ",
    "испанский": "ИЯ",
    "китайский язык": "КЯ",
    "китайский": "КЯ",
    "иностранные языки": "ИНЯ",
    "иностранный язык": "ИНЯ",
    "английский язык устный": "АЯ-У",
    "английский язык устная часть": "АЯ-У",
    "немецкий язык устный": "НЯ-У",
    "немецкий язык устная часть": "НЯ-У",
    "французский язык устный": "ФЯ-У",
    "французский язык устная часть": "ФЯ-У",
    "испанский язык устный": "ИЯ-У",
    "испанский язык устная часть": "ИЯ-У",
    "китайский язык устный": "КЯ-У",
    "китайский язык устная часть": "КЯ-У",
}

_NOTE_RE = re.compile(r"\(\s*в т\.?\s*ч\.?[^)]*\)")
_PEOPLE_RE = re.compile(r",?\s*чел\.?(?=\s|$|,|\()")


def subject_key(text: Any) -> str:
    """Lower-cased subject name without notes: «География, чел. (в т.ч. …)» → «география»."""
    t = cell_text(text).lower().replace("ё", "е").replace("\u00a0", " ")
    t = _NOTE_RE.sub(" ", t)
    t = _PEOPLE_RE.sub(" ", t)
    t = re.sub(r"[()\[\],.:;«»\"']", " ", t)
    return _SPACES_RE.sub(" ", t).strip()


def subject_code(text: Any) -> str | None:
    """A subject code from a code («РУ», «ма») or a name («Математика (профиль)»), else None."""
    raw = cell_text(text).strip()
    if raw.upper() in KNOWN_SUBJECT_CODES:
        return raw.upper()
    return SUBJECT_SYNONYMS.get(subject_key(raw))


def split_codes(text: Any) -> list[str]:
    """«МА, ФИ» / «МА;ФИ» → ["МА", "ФИ"] (as written, upper-cased)."""
    return [p.strip().upper() for p in re.split(r"[,;/]", cell_text(text)) if p.strip()]


# --------------------------------------------------------------------------------------------
# Column headers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """A column of a file kind: the canonical Russian title of docs/formats.md and synonyms.

    ``required``: the file must have the column. ``ignored``: a known column that is not imported
    (no «unknown column» warning).
    """

    title: str
    synonyms: tuple[str, ...] = ()
    required: bool = True
    ignored: bool = False

    def header_keys(self) -> set[str]:
        return {normalize_header(n) for n in (self.title, *self.synonyms)}


@dataclass
class HeaderMatch:
    """Result of matching a header row: canonical title → 0-based column index."""

    columns: dict[str, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # canonical → as written in the file
    unknown: list[tuple[int, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    repeated: list[tuple[int, str]] = field(default_factory=list)
    bad_mapping: list[tuple[str, str]] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.columns)


def normalized_mapping(mapping: Mapping[str, str] | None) -> dict[str, str]:
    """The user's override with normalised keys (file titles) and values as given."""
    return {normalize_header(k): v for k, v in (mapping or {}).items()}


def match_header(
    cells: Sequence[Any],
    specs: Sequence[ColumnSpec],
    mapping: Mapping[str, str] | None = None,
) -> HeaderMatch:
    """Match header cells against column specs (synonyms first, then the explicit mapping).

    The mapping wins over synonyms: ``{"Школа": "Логин ОО"}`` makes the column titled «Школа»
    the login column. A mapping onto a title that is not a column of the kind is reported in
    ``bad_mapping``.
    """
    by_key: dict[str, ColumnSpec] = {}
    for spec in specs:
        for key in spec.header_keys():
            by_key.setdefault(key, spec)
    by_title = {normalize_header(s.title): s for s in specs}
    override = normalized_mapping(mapping)
    result = HeaderMatch()
    present = {normalize_header(c) for c in cells}
    for source, target in (mapping or {}).items():
        if normalize_header(target) not in by_title or normalize_header(source) not in present:
            result.bad_mapping.append((source, target))
    for index, cell in enumerate(cells):
        written = cell_text(cell)
        key = normalize_header(cell)
        if key == "":
            continue
        found: ColumnSpec | None
        if key in override:
            found = by_title.get(normalize_header(override[key]))
        else:
            found = by_key.get(key)
        if found is None:
            result.unknown.append((index, written))
            continue
        if found.title in result.columns:
            result.repeated.append((index, written))
            continue
        result.columns[found.title] = index
        result.titles[found.title] = written
    result.missing = [s.title for s in specs if s.required and s.title not in result.columns]
    return result


def header_matches(cells: Iterable[Any], specs: Sequence[ColumnSpec]) -> set[str]:
    """Canonical titles of ``specs`` present among ``cells`` (synonyms only; for recognisers)."""
    present = {normalize_header(c) for c in cells}
    return {s.title for s in specs if s.header_keys() & present}
