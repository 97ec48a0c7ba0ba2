"""The formula language of indicators: a tokenizer, a recursive-descent parser and type checks.

A formula is parsed into a small syntax tree and compiled by :mod:`soko.indicators.engine`;
nothing is ever passed to ``eval``. Names are resolved while parsing against a
:class:`Schema`, so an unknown source, column, function or parameter is reported with the
position of the mistake.

Grammar (keywords are lower-case)::

    formula   := expr
    expr      := and ("or" and)*
    and       := not ("and" not)*
    not       := "not" not | compare
    compare   := sum [ op sum | ["not"] "in" list | "is" ["not"] "null" ]
                 op: = == != <> < <= > >=
    sum       := product (("+" | "-") product)*
    product   := unary (("*" | "/") unary)*
    unary     := "-" unary | atom
    atom      := number | string | true | false | null | list | "(" expr ")"
               | aggregate | function | name
    aggregate := count | sum | mean | avg | min | max | count_distinct
                 "(" source ["." column] ["where" expr] ")"
               | count_groups "(" source "by" column ("," column)* ["where" expr]
                 "having" expr ")"
    function  := param("code") | coalesce(expr, …) | abs(expr) | if(cond, expr, expr)
    list      := "[" [literal ("," literal)*] "]"

Strings are written in "…", '…' or «…». Inside ``where`` names are columns of the source; at
the top level names must be aggregates, parameters or external sources (``form.x`` alone means
``sum(form.x)``). Comparisons with an unknown value (null) are false in ``where``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from soko.indicators.schema import (
    BOOL,
    BUILTIN_SOURCES,
    DATE,
    NUMBER,
    STRING,
    SourceSchema,
    external_schema,
)

AGGREGATES = ("count", "sum", "mean", "avg", "min", "max", "count_distinct", "count_groups")
FUNCTIONS = ("param", "coalesce", "abs", "if")
KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "null", "true", "false", "where", "by", "having"}
)
NULL = "null"
LIST = "list"
ANY = "any"

_OPERATOR_WORDS = {
    "=": "=",
    "==": "=",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_TYPE_NAMES = {
    NUMBER: "число",
    STRING: "строка",
    BOOL: "логическое значение",
    DATE: "дата",
    NULL: "null",
    LIST: "список",
    ANY: "значение",
}


class FormulaError(Exception):
    """A formula is wrong; ``message`` is Russian and ``position`` is the 0-based offset."""

    def __init__(self, message: str, position: int, text: str = "") -> None:
        self.message = message
        self.position = max(0, position)
        self.text = text
        before = text[: self.position]
        self.line = before.count("\n") + 1
        self.column = self.position - (before.rfind("\n") + 1) + 1
        super().__init__(self.describe())

    def describe(self) -> str:
        where = (
            f"строка {self.line}, столбец {self.column}"
            if "\n" in self.text
            else f"столбец {self.column}"
        )
        return f"{where[0].upper()}{where[1:]}: {self.message}"

    def caret(self) -> str:
        """The line of the formula with a ``^`` under the error."""
        lines = self.text.split("\n") if self.text else [""]
        line = lines[min(self.line, len(lines)) - 1]
        return f"{line}\n{' ' * (self.column - 1)}^"


# --- syntax tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Number(Node):
    value: float


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Boolean(Node):
    value: bool


@dataclass(frozen=True)
class Null(Node):
    pass


@dataclass(frozen=True)
class ListLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Column(Node):
    """A column of the source of the enclosing aggregate (row context)."""

    name: str
    type: str


@dataclass(frozen=True)
class Param(Node):
    code: str
    value: Any


@dataclass(frozen=True)
class Call(Node):
    name: str  # coalesce | abs | if
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Aggregate(Node):
    """``func(source.column where …)``; ``by``/``having`` only for ``count_groups``."""

    func: str
    source: str
    column: str | None
    where: Node | None
    by: tuple[str, ...] = ()
    having: Node | None = None


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" | "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / and or = != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    items: tuple[Node, ...]
    negated: bool


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool


# --- schema the parser resolves names against ----------------------------------------------------

ParamLookup = Callable[[str], Any]


@dataclass
class Schema:
    """Sources and parameters known to formulas.

    ``external`` maps a registered prefix (``form``, ``survey``, ``flags``) to its Russian title;
    any name under it is accepted (the provider decides what exists). ``params`` returns the
    value of a methodological parameter or raises :class:`KeyError`.
    """

    sources: Mapping[str, SourceSchema] = field(default_factory=lambda: dict(BUILTIN_SOURCES))
    external: Mapping[str, str] = field(default_factory=dict)
    params: ParamLookup | None = None

    def param(self, code: str) -> Any:
        if self.params is None:
            raise KeyError(code)
        return self.params(code)


# --- tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # number | string | name | op | eof
    text: str
    pos: int
    value: Any = None


_SINGLE = set("()[],.+-*/")
_QUOTES = {'"': '"', "'": "'", "«": "»"}


def tokenize(text: str) -> list[Token]:
    """Split a formula into tokens; raises :class:`FormulaError` at the first bad character."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch.isascii() and ch.isdigit():
            j = i
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            if j < n - 1 and text[j] == "." and text[j + 1].isascii() and text[j + 1].isdigit():
                j += 1
                while j < n and text[j].isascii() and text[j].isdigit():
                    j += 1
            if j < n and (text[j].isalpha() or text[j] == "_"):
                raise FormulaError(f"после числа стоит «{text[j]}»", j, text)
            tokens.append(Token("number", text[i:j], i, float(text[i:j])))
            i = j
            continue
        if ch in _QUOTES:
            close = _QUOTES[ch]
            j = text.find(close, i + 1)
            if j < 0:
                raise FormulaError("строка не закрыта кавычкой", i, text)
            tokens.append(Token("string", text[i : j + 1], i, text[i + 1 : j]))
            i = j + 1
            continue
        if (ch.isascii() and ch.isalpha()) or ch == "_":
            j = i
            while j < n and ((text[j].isascii() and text[j].isalnum()) or text[j] == "_"):
                j += 1
            tokens.append(Token("name", text[i:j], i, text[i:j]))
            i = j
            continue
        two = text[i : i + 2]
        if two in ("==", "!=", "<>", "<=", ">="):
            tokens.append(Token("op", two, i))
            i += 2
            continue
        if ch in "=<>":
            tokens.append(Token("op", ch, i))
            i += 1
            continue
        if ch in _SINGLE:
            tokens.append(Token("op", ch, i))
            i += 1
            continue
        raise FormulaError(f"недопустимый символ «{ch}»", i, text)
    tokens.append(Token("eof", "", n))
    return tokens


# --- parser --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    """Where a name is being resolved: inside an aggregate over ``source`` (row context), or at
    the group level (``source`` None); ``inner`` restricts aggregates to one source
    (``having`` of ``count_groups``)."""

    source: SourceSchema | None = None
    inner: str | None = None


class _Parser:
    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.schema = schema
        self.tokens = tokenize(text)
        self.i = 0

    # token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, pos: int | None = None) -> FormulaError:
        return FormulaError(message, self.tok.pos if pos is None else pos, self.text)

    def at_word(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.text in words

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def advance(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def expect_op(self, op: str, what: str) -> Token:
        if not self.at_op(op):
            raise self.error(f"ожидалась {what} «{op}», а стоит {self.describe_tok()}")
        return self.advance()

    def describe_tok(self) -> str:
        if self.tok.kind == "eof":
            return "конец формулы"
        return f"«{self.tok.text}»"

    # grammar
    def parse(self) -> Node:
        if self.tok.kind == "eof":
            raise self.error("формула пуста")
        node = self.expr(_Ctx())
        if self.tok.kind != "eof":
            raise self.error(f"лишний текст {self.describe_tok()} после конца выражения")
        return node

    def expr(self, ctx: _Ctx) -> Node:
        node = self.and_(ctx)
        while self.at_word("or"):
            pos = self.advance().pos
            node = Binary(pos, "or", node, self.and_(ctx))
        return node

    def and_(self, ctx: _Ctx) -> Node:
        node = self.not_(ctx)
        while self.at_word("and"):
            pos = self.advance().pos
            node = Binary(pos, "and", node, self.not_(ctx))
        return node

    def not_(self, ctx: _Ctx) -> Node:
        if self.at_word("not"):
            pos = self.advance().pos
            return Unary(pos, "not", self.not_(ctx))
        return self.compare(ctx)

    def compare(self, ctx: _Ctx) -> Node:
        left = self.sum_(ctx)
        if self.tok.kind == "op" and self.tok.text in _OPERATOR_WORDS:
            tok = self.advance()
            return Binary(tok.pos, _OPERATOR_WORDS[tok.text], left, self.sum_(ctx))
        if self.at_word("in") or (
            self.at_word("not")
            and self.tokens[self.i + 1].kind == "name"
            and self.tokens[self.i + 1].text == "in"
        ):
            pos = self.tok.pos
            negated = self.at_word("not")
            if negated:
                self.advance()
            self.advance()
            items = self.list_literal()
            return InList(pos, left, items.items, negated)
        if self.at_word("is"):
            pos = self.advance().pos
            negated = False
            if self.at_word("not"):
                self.advance()
                negated = True
            if not self.at_word("null"):
                raise self.error(f"после «is» ожидалось «null», а стоит {self.describe_tok()}")
            self.advance()
            return IsNull(pos, left, negated)
        return left

    def sum_(self, ctx: _Ctx) -> Node:
        node = self.product(ctx)
        while self.at_op("+", "-"):
            tok = self.advance()
            node = Binary(tok.pos, tok.text, node, self.product(ctx))
        return node

    def product(self, ctx: _Ctx) -> Node:
        node = self.unary(ctx)
        while self.at_op("*", "/"):
            tok = self.advance()
            node = Binary(tok.pos, tok.text, node, self.unary(ctx))
        return node

    def unary(self, ctx: _Ctx) -> Node:
        if self.at_op("-"):
            pos = self.advance().pos
            return Unary(pos, "-", self.unary(ctx))
        return self.atom(ctx)

    def list_literal(self) -> ListLiteral:
        start = self.expect_op("[", "открывающая скобка списка").pos
        items: list[Node] = []
        if not self.at_op("]"):
            while True:
                items.append(self.literal())
                if self.at_op(","):
                    self.advance()
                    continue
                break
        self.expect_op("]", "закрывающая скобка списка")
        return ListLiteral(start, tuple(items))

    def literal(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return Number(tok.pos, float(tok.value))
        if tok.kind == "string":
            self.advance()
            return String(tok.pos, str(tok.value))
        if self.at_op("-") and self.tokens[self.i + 1].kind == "number":
            self.advance()
            num = self.advance()
            return Number(tok.pos, -float(num.value))
        if self.at_word("true", "false"):
            self.advance()
            return Boolean(tok.pos, tok.text == "true")
        raise self.error(f"в списке ожидалось число или строка, а стоит {self.describe_tok()}")

    def atom(self, ctx: _Ctx) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return Number(tok.pos, float(tok.value))
        if tok.kind == "string":
            self.advance()
            return String(tok.pos, str(tok.value))
        if self.at_op("("):
            self.advance()
            node = self.expr(ctx)
            self.expect_op(")", "закрывающая скобка")
            return node
        if self.at_op("["):
            return self.list_literal()
        if tok.kind == "name":
            word = tok.text
            if word in ("true", "false"):
                self.advance()
                return Boolean(tok.pos, word == "true")
            if word == "null":
                self.advance()
                return Null(tok.pos)
            if word in KEYWORDS:
                raise self.error(f"ключевое слово «{word}» здесь не ожидалось")
            if self.tokens[self.i + 1].kind == "op" and self.tokens[self.i + 1].text == "(":
                return self.call(ctx)
            return self.name(ctx)
        if tok.kind == "eof":
            raise self.error("выражение оборвалось: ожидалось значение")
        raise self.error(f"ожидалось значение, а стоит {self.describe_tok()}")

    def dotted(self) -> tuple[tuple[str, ...], int]:
        start = self.tok.pos
        parts = [self.advance().text]
        while self.at_op("."):
            self.advance()
            if self.tok.kind != "name":
                raise self.error(f"после точки ожидалось имя, а стоит {self.describe_tok()}")
            parts.append(self.advance().text)
        return tuple(parts), start

    def name(self, ctx: _Ctx) -> Node:
        parts, pos = self.dotted()
        if ctx.source is not None:
            return self.column_of(ctx.source, parts, pos)
        head = parts[0]
        if head in self.schema.external and len(parts) >= 2:
            source = ".".join(parts)
            if ctx.inner is not None:
                raise self.error(
                    f"в условии having можно считать только по источнику «{ctx.inner}»", pos
                )
            return Aggregate(pos, "sum", source, "value", None)
        if head in self.schema.sources:
            raise self.error(
                f"«{'.'.join(parts)}» — данные источника «{head}»; на верхнем уровне нужна "
                f"агрегирующая функция, например count({head} where …)",
                pos,
            )
        if head in self.schema.external:
            raise self.error(f"после «{head}.» нужно имя показателя источника", pos)
        raise self.error(f"неизвестное имя «{'.'.join(parts)}»", pos)

    def column_of(self, source: SourceSchema, parts: tuple[str, ...], pos: int) -> Column:
        if len(parts) == 2 and parts[0] == source.name.split(".")[0] and "." not in source.name:
            parts = parts[1:]  # result.mark inside where of result
        if len(parts) != 1:
            raise self.error(
                f"«{'.'.join(parts)}»: внутри where указываются столбцы источника "
                f"«{source.name}» без точки",
                pos,
            )
        col = source.columns.get(parts[0])
        if col is None:
            raise self.error(
                f"у источника «{source.name}» нет столбца «{parts[0]}». Есть: "
                + ", ".join(sorted(source.columns)),
                pos,
            )
        return Column(pos, parts[0], col.type)

    def source_ref(self) -> tuple[SourceSchema, str | None, int]:
        if self.tok.kind != "name":
            raise self.error(f"ожидалось имя источника данных, а стоит {self.describe_tok()}")
        parts, pos = self.dotted()
        head = parts[0]
        if head in self.schema.sources:
            source = self.schema.sources[head]
            if len(parts) > 2:
                raise self.error(f"«{'.'.join(parts)}»: ожидалось «источник.столбец»", pos)
            column = parts[1] if len(parts) == 2 else None
            if column is not None and column not in source.columns:
                raise self.error(
                    f"у источника «{head}» нет столбца «{column}». Есть: "
                    + ", ".join(sorted(source.columns)),
                    pos + len(head) + 1,
                )
            return source, column, pos
        if head in self.schema.external:
            if len(parts) < 2:
                raise self.error(f"после «{head}.» нужно имя показателя источника", pos)
            name = ".".join(parts[1:])
            return external_schema(head, name, self.schema.external[head]), "value", pos
        known = sorted([*self.schema.sources, *(f"{p}.…" for p in self.schema.external)])
        raise self.error(f"неизвестный источник «{head}». Доступны: {', '.join(known)}", pos)

    def call(self, ctx: _Ctx) -> Node:
        tok = self.advance()
        word = tok.text
        self.expect_op("(", "открывающая скобка")
        if word in AGGREGATES:
            if ctx.source is not None:
                raise self.error(
                    f"агрегат «{word}» нельзя использовать внутри where: условие относится к "
                    "одной строке источника",
                    tok.pos,
                )
            node: Node = self.aggregate(word, tok.pos, ctx)
        elif word == "param":
            if self.tok.kind != "string":
                raise self.error("param(…) принимает код параметра в кавычках")
            code_tok = self.advance()
            code = str(code_tok.value)
            try:
                value = self.schema.param(code)
            except KeyError:
                raise self.error(f"нет методического параметра «{code}»", code_tok.pos) from None
            node = Param(tok.pos, code, value)
        elif word in FUNCTIONS:
            args: list[Node] = []
            if not self.at_op(")"):
                while True:
                    args.append(self.expr(ctx))
                    if self.at_op(","):
                        self.advance()
                        continue
                    break
            node = Call(tok.pos, word, tuple(args))
            self.check_arity(node)
        else:
            raise self.error(
                f"функция «{word}» не поддерживается. Доступны: "
                + ", ".join([*AGGREGATES, *FUNCTIONS]),
                tok.pos,
            )
        self.expect_op(")", "закрывающая скобка")
        return node

    def check_arity(self, node: Call) -> None:
        count = len(node.args)
        if node.name == "abs" and count != 1:
            raise self.error("abs(…) принимает одно значение", node.pos)
        if node.name == "if" and count != 3:
            raise self.error("if(условие, если да, если нет) принимает три значения", node.pos)
        if node.name == "coalesce" and count < 2:
            raise self.error("coalesce(…) принимает не меньше двух значений", node.pos)

    def aggregate(self, func: str, pos: int, ctx: _Ctx) -> Aggregate:
        if func == "avg":
            func = "mean"
        source, column, src_pos = self.source_ref()
        if ctx.inner is not None and source.name != ctx.inner:
            raise self.error(
                f"в условии having можно считать только по источнику «{ctx.inner}»", src_pos
            )
        if ctx.inner is not None and func == "count_groups":
            raise self.error("count_groups нельзя вкладывать в условие having", pos)
        row_ctx = _Ctx(source=source)
        by: tuple[str, ...] = ()
        having: Node | None = None
        where: Node | None = None
        if func == "count_groups" and source.kind == "external":
            raise self.error(
                "count_groups считает группы строк источников СОКО, а не внешних", src_pos
            )
        if func == "count_groups":
            if column is not None and source.kind != "external":
                raise self.error("count_groups считает группы строк: укажите источник без столбца")
            column = None
            if not self.at_word("by"):
                raise self.error(
                    f"ожидалось «by» и столбцы группировки, а стоит {self.describe_tok()}"
                )
            self.advance()
            names: list[str] = []
            while True:
                if self.tok.kind != "name":
                    raise self.error(f"ожидался столбец группировки, а стоит {self.describe_tok()}")
                col = self.column_of(source, (self.tok.text,), self.tok.pos)
                self.advance()
                names.append(col.name)
                if self.at_op(","):
                    self.advance()
                    continue
                break
            by = tuple(names)
        if self.at_word("where"):
            self.advance()
            where = self.expr(row_ctx)
            self.require(where, BOOL, row_ctx, "условие where")
        if func == "count_groups":
            if not self.at_word("having"):
                raise self.error(
                    f"ожидалось «having» и условие для группы, а стоит {self.describe_tok()}"
                )
            self.advance()
            having = self.expr(_Ctx(inner=source.name))
            self.require(having, BOOL, _Ctx(inner=source.name), "условие having")
        elif self.at_word("having", "by"):
            raise self.error(f"«{self.tok.text}» допускается только в count_groups(…)")
        if func in ("sum", "mean", "min", "max", "count_distinct") and column is None:
            raise self.error(
                f"{func}(…) нужен столбец: например {func}({source.name}.столбец)", src_pos
            )
        if column is not None and func in ("sum", "mean", "min", "max"):
            ctype = source.columns[column].type
            if ctype != NUMBER:
                raise self.error(
                    f"{func}(…) считается по числовому столбцу, а «{column}» — "
                    f"{_TYPE_NAMES[ctype]}",
                    src_pos,
                )
        return Aggregate(pos, func, source.name, column, where, by, having)

    # type checks
    def require(self, node: Node, expected: str, ctx: _Ctx, what: str) -> None:
        got = infer(node, self.text)
        if got not in (expected, NULL, ANY):
            raise FormulaError(
                f"{what} должно давать {_TYPE_NAMES[expected]}, а даёт {_TYPE_NAMES[got]}",
                node.pos,
                self.text,
            )


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, InList):
        return (node.operand, *node.items)
    if isinstance(node, IsNull):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListLiteral):
        return node.items
    if isinstance(node, Aggregate):
        return tuple(n for n in (node.where, node.having) if n is not None)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """The node and all nodes below it (inside aggregates too)."""
    yield node
    for child in children(node):
        yield from walk(child)


def aggregates(node: Node) -> list[Aggregate]:
    """Top-level aggregates of a group formula (not those inside ``having``)."""
    found: list[Aggregate] = []

    def visit(n: Node) -> None:
        if isinstance(n, Aggregate):
            found.append(n)
            return
        for child in children(n):
            visit(child)

    visit(node)
    return found


# --- types ---------------------------------------------------------------------------------------


def _literal_type(node: Node) -> str:
    if isinstance(node, Number):
        return NUMBER
    if isinstance(node, String):
        return STRING
    if isinstance(node, Boolean):
        return BOOL
    return NULL


def _param_type(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        return LIST
    return ANY


def _compatible(a: str, b: str) -> bool:
    return a == b or NULL in (a, b) or ANY in (a, b)


def infer(node: Node, text: str = "") -> str:
    """The type of an expression; raises :class:`FormulaError` when types do not fit."""

    def fail(message: str, at: Node) -> FormulaError:
        return FormulaError(message, at.pos, text)

    if isinstance(node, Number | String | Boolean | Null):
        return _literal_type(node)
    if isinstance(node, ListLiteral):
        return LIST
    if isinstance(node, Column):
        return node.type
    if isinstance(node, Param):
        return _param_type(node.value)
    if isinstance(node, Aggregate):
        return NUMBER
    if isinstance(node, Unary):
        inner = infer(node.operand, text)
        if node.op == "-":
            if not _compatible(inner, NUMBER):
                raise fail(f"минус применяется к числу, а здесь {_TYPE_NAMES[inner]}", node)
            return NUMBER
        if not _compatible(inner, BOOL):
            raise fail(f"«not» применяется к условию, а здесь {_TYPE_NAMES[inner]}", node)
        return BOOL
    if isinstance(node, Binary):
        left = infer(node.left, text)
        right = infer(node.right, text)
        if node.op in ("and", "or"):
            for side, t in ((node.left, left), (node.right, right)):
                if not _compatible(t, BOOL):
                    raise fail(f"«{node.op}» соединяет условия, а здесь {_TYPE_NAMES[t]}", side)
            return BOOL
        if node.op in ("+", "-", "*", "/"):
            for side, t in ((node.left, left), (node.right, right)):
                if not _compatible(t, NUMBER):
                    raise fail(
                        f"арифметика «{node.op}» применяется к числам, а здесь {_TYPE_NAMES[t]}",
                        side,
                    )
            return NUMBER
        if not _compatible(left, right):
            raise fail(
                f"сравниваются разные типы: {_TYPE_NAMES[left]} и {_TYPE_NAMES[right]}", node
            )
        if node.op in ("<", "<=", ">", ">=") and left in (BOOL, LIST):
            raise fail("логические значения сравниваются только на равенство", node)
        return BOOL
    if isinstance(node, InList):
        operand = infer(node.operand, text)
        for item in node.items:
            t = _literal_type(item)
            if not _compatible(operand, t):
                raise fail(
                    f"в списке {_TYPE_NAMES[t]}, а сравнивается {_TYPE_NAMES[operand]}", item
                )
        return BOOL
    if isinstance(node, IsNull):
        infer(node.operand, text)
        return BOOL
    if isinstance(node, Call):
        types = [infer(a, text) for a in node.args]
        if node.name == "abs":
            if not _compatible(types[0], NUMBER):
                raise fail("abs(…) применяется к числу", node)
            return NUMBER
        if node.name == "if":
            if not _compatible(types[0], BOOL):
                raise fail("первое значение if(…) должно быть условием", node.args[0])
            if not _compatible(types[1], types[2]):
                raise fail("обе ветви if(…) должны быть одного типа", node)
            return types[1] if types[1] != NULL else types[2]
        known = [t for t in types if t not in (NULL, ANY)]
        if any(t != known[0] for t in known):
            raise fail("значения coalesce(…) должны быть одного типа", node)
        return known[0] if known else NULL
    raise fail("непонятное выражение", node)


# --- public API ----------------------------------------------------------------------------------


def parse(text: str, schema: Schema, *, expect: str | None = None, what: str = "формула") -> Node:
    """Parse and check a formula. ``expect`` is :data:`NUMBER` (numerator, denominator) or
    :data:`BOOL` (a per-organization condition). Raises :class:`FormulaError`."""
    parser = _Parser(text, schema)
    node = parser.parse()
    got = infer(node, text)
    if expect is not None and not _compatible(got, expect):
        raise FormulaError(
            f"{what} должна давать {_TYPE_NAMES[expect]}, а даёт {_TYPE_NAMES[got]}",
            node.pos,
            text,
        )
    return node


def to_text(node: Node) -> str:
    """Canonical text of an expression (used to recognise equal aggregates)."""
    if isinstance(node, Number):
        return repr(float(node.value))
    if isinstance(node, String):
        return '"' + node.value + '"'
    if isinstance(node, Boolean):
        return "true" if node.value else "false"
    if isinstance(node, Null):
        return "null"
    if isinstance(node, ListLiteral):
        return "[" + ", ".join(to_text(i) for i in node.items) + "]"
    if isinstance(node, Column):
        return node.name
    if isinstance(node, Param):
        return f'param("{node.code}")'
    if isinstance(node, Call):
        return f"{node.name}(" + ", ".join(to_text(a) for a in node.args) + ")"
    if isinstance(node, Aggregate):
        ref = node.source + (f".{node.column}" if node.column and node.column != "value" else "")
        if node.by:
            ref += " by " + ", ".join(node.by)
        if node.where is not None:
            ref += f" where {to_text(node.where)}"
        if node.having is not None:
            ref += f" having {to_text(node.having)}"
        return f"{node.func}({ref})"
    if isinstance(node, Unary):
        return (
            f"(not {to_text(node.operand)})" if node.op == "not" else f"(-{to_text(node.operand)})"
        )
    if isinstance(node, Binary):
        return f"({to_text(node.left)} {node.op} {to_text(node.right)})"
    if isinstance(node, InList):
        items = ", ".join(to_text(i) for i in node.items)
        return f"({to_text(node.operand)} {'not in' if node.negated else 'in'} [{items}])"
    if isinstance(node, IsNull):
        return f"({to_text(node.operand)} is {'not ' if node.negated else ''}null)"
    raise TypeError(type(node).__name__)


def referenced_sources(*nodes: Node | None) -> set[str]:
    """Names of every source read by the formulas (``result``, ``form.x``…)."""
    found: set[str] = set()
    for node in nodes:
        if node is None:
            continue
        for n in walk(node):
            if isinstance(n, Aggregate):
                found.add(n.source)
    return found


def referenced_columns(node: Node | None) -> set[str]:
    """Columns used in an expression evaluated on rows (``where``)."""
    if node is None:
        return set()
    return {n.name for n in walk(node) if isinstance(n, Column)}


def is_additive(node: Node) -> bool:
    """True when summing the formula's value over organizations is meaningful: built from
    count/sum/count_distinct/count_groups aggregates with +, −, × by constants and if(…)."""
    if isinstance(node, Aggregate):
        return node.func in ("count", "sum", "count_distinct", "count_groups")
    if isinstance(node, Number | Param):
        return True
    if isinstance(node, Unary):
        return node.op == "-" and is_additive(node.operand)
    if isinstance(node, Binary):
        if node.op in ("+", "-"):
            return is_additive(node.left) and is_additive(node.right)
        if node.op == "*":
            return (is_additive(node.left) and _constant(node.right)) or (
                _constant(node.left) and is_additive(node.right)
            )
        if node.op == "/":
            return is_additive(node.left) and _constant(node.right)
        return False
    if isinstance(node, Call) and node.name == "if":
        return is_additive(node.args[1]) and is_additive(node.args[2])
    if isinstance(node, Call) and node.name == "coalesce":
        return all(is_additive(a) for a in node.args)
    return False


def _constant(node: Node) -> bool:
    return not any(isinstance(n, Aggregate) for n in walk(node))


def counts_only(node: Node) -> bool:
    """True when the formula counts things (rows, distinct values, groups, organizations)."""
    if isinstance(node, Aggregate):
        return node.func in ("count", "count_distinct", "count_groups")
    if isinstance(node, Binary) and node.op in ("+", "-"):
        return counts_only(node.left) and counts_only(node.right)
    if isinstance(node, Call) and node.name == "if":
        return counts_only(node.args[1]) and counts_only(node.args[2])
    if isinstance(node, Number):
        return node.value == 0
    return False


def describe_type(kind: str) -> str:
    return _TYPE_NAMES.get(kind, kind)


__all__ = [
    "AGGREGATES",
    "BOOL",
    "DATE",
    "NUMBER",
    "STRING",
    "Aggregate",
    "Binary",
    "Boolean",
    "Call",
    "Column",
    "FormulaError",
    "InList",
    "IsNull",
    "ListLiteral",
    "Node",
    "Null",
    "Number",
    "Param",
    "Schema",
    "String",
    "Unary",
    "aggregates",
    "counts_only",
    "infer",
    "is_additive",
    "parse",
    "referenced_columns",
    "referenced_sources",
    "to_text",
    "tokenize",
    "walk",
]
