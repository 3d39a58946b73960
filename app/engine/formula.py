"""Safe formulas over indicator codes, evaluated with exact decimals.

A formula is parsed once into a small tree of our own node types; evaluation walks that tree. Python's
``ast`` module is used only as a parser: nothing is compiled or executed, and any construct outside the tiny
grammar (attributes, subscripts, lambdas, comparisons, calls to unknown functions …) is refused at parse time.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext

from app.engine.numbers import CONTEXT

MAX_LENGTH = 400
# Nesting of parentheses, signs and function calls; a long flat sum is not nesting (see _convert).
MAX_DEPTH = 50
FUNCTIONS = ("base", "min", "max", "abs")


class FormulaError(ValueError):
    """The formula text is not acceptable."""


class EvaluationError(ArithmeticError):
    """The formula cannot be computed with these values (division by zero)."""


@dataclass(frozen=True)
class Num:
    value: Decimal


@dataclass(frozen=True)
class Ref:
    code: str


@dataclass(frozen=True)
class Base:
    code: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Func:
    name: str
    args: tuple[Node, ...]


Node = Num | Ref | Base | Neg | BinOp | Func

_BINOPS: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, its tree, and the indicator codes it reads."""

    text: str
    tree: Node
    refs: frozenset[str]
    base_refs: frozenset[str]

    def evaluate(
        self,
        values: Mapping[str, Decimal | None],
        baselines: Mapping[str, Decimal | None] | None = None,
    ) -> Decimal | None:
        """Compute the formula; ``None`` when any value it reads is missing.

        Raises :class:`EvaluationError` on division by zero.
        """
        return _evaluate(self.tree, values, baselines or {})


def parse(text: str) -> Formula:
    """Parse ``text`` or raise :class:`FormulaError` with a Chinese message saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("公式为空")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"公式过长（超过 {MAX_LENGTH} 个字符）")
    try:
        module = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise FormulaError(f"公式“{text}”语法错误") from exc
    refs: set[str] = set()
    base_refs: set[str] = set()
    try:
        tree = _convert(module.body, text, refs, base_refs, depth=0)
    except RecursionError as exc:
        raise FormulaError(f"公式“{text}”嵌套过深") from exc
    return Formula(text.strip(), tree, frozenset(refs), frozenset(base_refs))


def _convert(node: ast.expr, text: str, refs: set[str], base_refs: set[str], depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise FormulaError(f"公式“{text}”嵌套过深")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"公式“{text}”中有不允许的常量 {node.value!r}")
        # The literal as written in the source, so 0.1 stays exactly 0.1.
        literal = ast.get_source_segment(text.strip(), node) or repr(node.value)
        try:
            value = Decimal(literal.replace("_", ""))
        except InvalidOperation as exc:
            raise FormulaError(f"公式“{text}”中的数字 {literal} 无效") from exc
        # Plain decimals only, as everywhere else: an exponent (1e999999) would overflow at evaluation.
        if not value.is_finite() or "e" in literal.lower():
            raise FormulaError(f"公式“{text}”中的数字 {literal} 无效")
        return Num(value)
    if isinstance(node, ast.Name):
        refs.add(node.id)
        return Ref(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _convert(node.operand, text, refs, base_refs, depth + 1)
        return Neg(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        # The parser nests a chain “a + b + c …” on the left; that is a flat list, so it adds no depth.
        return BinOp(
            _BINOPS[type(node.op)],
            _convert(node.left, text, refs, base_refs, depth),
            _convert(node.right, text, refs, base_refs, depth + 1),
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name not in FUNCTIONS:
            raise FormulaError(f"公式“{text}”中有未知函数 {name}()")
        if name == "base":
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
                raise FormulaError(f"公式“{text}”中 base() 只能写一个指标代码")
            base_refs.add(node.args[0].id)
            return Base(node.args[0].id)
        if not node.args or (name == "abs" and len(node.args) != 1):
            raise FormulaError(f"公式“{text}”中 {name}() 的参数个数不对")
        args = tuple(_convert(a, text, refs, base_refs, depth + 1) for a in node.args)
        return Func(name, args)
    raise FormulaError(f"公式“{text}”中有不允许的写法：{ast.unparse(node)}")


def _evaluate(
    node: Node, values: Mapping[str, Decimal | None], baselines: Mapping[str, Decimal | None]
) -> Decimal | None:
    def ev(n: Node) -> Decimal | None:
        return _evaluate(n, values, baselines)

    match node:
        case Num(value):
            return value
        case Ref(code):
            return values.get(code)
        case Base(code):
            return baselines.get(code)
        case Neg(operand):
            inner = ev(operand)
            return None if inner is None else -inner
        case BinOp(op, left, right):
            a, b = ev(left), ev(right)
            if a is None or b is None:
                return None
            return _arith(op, a, b)
        case Func(name, args):
            items = [ev(a) for a in args]
            if any(x is None for x in items):
                return None
            present = [x for x in items if x is not None]
            pick: Callable[[list[Decimal]], Decimal] = {"min": min, "max": max}.get(name, lambda xs: abs(xs[0]))
            return pick(present)
    raise AssertionError(node)  # pragma: no cover


def _arith(op: str, a: Decimal, b: Decimal) -> Decimal:
    with localcontext(CONTEXT) as ctx:
        ctx.traps[DivisionByZero] = True
        ctx.traps[InvalidOperation] = True
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            raise EvaluationError("除数为 0")
        return a / b
