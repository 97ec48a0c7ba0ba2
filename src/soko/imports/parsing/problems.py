"""Problems found in an incoming file and the exception that rejects it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from soko.core.errors import ApplicationError

MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file. ``row`` is 1-based as a spreadsheet shows it."""

    rule: str  # stable code, e.g. "score_above_max"
    message: str  # Russian, says what is wrong and what to do
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""

    def where(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"лист «{self.sheet}»")
        if self.row is not None:
            parts.append(f"строка {self.row}")
        if self.column:
            parts.append(f"столбец «{self.column}»")
        return ", ".join(parts)

    def text(self) -> str:
        value = f" (значение «{self.value}»)" if self.value != "" else ""
        where = self.where()
        return f"{where}: {self.message}{value}" if where else f"{self.message}{value}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportRejected(ApplicationError):
    """The file was not accepted; nothing was written. ``problems`` lists why."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        self.total = total if total is not None else len(problems)
        first = problems[0].text() if problems else "файл не принят"
        more = f" (и ещё {self.total - 1})" if self.total > 1 else ""
        super().__init__(
            f"Файл не принят: {first}{more}",
            {"errors": [p.to_dict() for p in self.problems], "total": self.total},
        )


class ProblemList:
    """Collects problems up to a cap while counting all of them."""

    def __init__(self, file: str = "", cap: int = MAX_PROBLEMS) -> None:
        self.file = file
        self.cap = cap
        self.items: list[Problem] = []
        self.total = 0

    def add(
        self,
        rule: str,
        message: str,
        *,
        sheet: str = "",
        row: int | None = None,
        column: str = "",
        value: Any = "",
    ) -> None:
        self.total += 1
        if len(self.items) < self.cap:
            self.items.append(
                Problem(
                    rule=rule,
                    message=message,
                    file=self.file,
                    sheet=sheet,
                    row=row,
                    column=column,
                    value="" if value is None else str(value)[:200],
                )
            )

    def extend(self, problems: list[Problem], total: int | None = None) -> None:
        for p in problems:
            self.total += 1
            if len(self.items) < self.cap:
                self.items.append(p)
        if total is not None and total > len(problems):
            self.total += total - len(problems)

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if self.total:
            raise ImportRejected(self.items, self.total)
