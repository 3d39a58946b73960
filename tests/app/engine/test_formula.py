"""Safe formulas: exact arithmetic over decimals, the few functions, and everything else refused unexecuted."""

from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.formula import MAX_LENGTH, EvaluationError, FormulaError, parse

D = Decimal


def ev(text: str, baselines: dict[str, Decimal | None] | None = None, **values: str | None) -> Decimal | None:
    return parse(text).evaluate({k: None if v is None else D(v) for k, v in values.items()}, baselines)


def test_decimal_literals_are_exact() -> None:
    assert ev("0.1 + 0.2") == D("0.3")
    assert ev("0.1 + 0.2") - D("0.3") == 0  # type: ignore[operator]
    assert ev("1 - 0.9") == D("0.1")
    assert ev("0.1 * 3") == D("0.3")


def test_values_are_exact_decimals() -> None:
    assert ev("a + b", a="0.1", b="0.2") == D("0.3")
    assert ev("a * b - c", a="1.05", b="3", c="0.15") == D("3.00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),  # left-associative
        ("100 / 8 / 5", "2.5"),
        ("-3 + 5", "2"),
        ("-(2 - 5)", "3"),
        ("+4", "4"),
        ("1 / 4", "0.25"),
        ("2 * -3", "-6"),
    ],
)
def test_arithmetic(text: str, expected: str) -> None:
    assert ev(text) == D(expected)


def test_division_keeps_sixty_significant_digits() -> None:
    third = ev("1 / 3")
    assert third is not None
    assert str(third) == "0." + "3" * 60


def test_energy_intensity_fall_with_base() -> None:
    formula = parse("(1 - (E / G) / (base(E) / base(G))) * 100")
    assert formula.refs == {"E", "G"}
    assert formula.base_refs == {"E", "G"}
    value = formula.evaluate({"E": D("90"), "G": D("400")}, {"E": D("100"), "G": D("400")})
    assert value == D("10")


def test_base_reads_baselines_not_values() -> None:
    assert ev("base(A)", {"A": D("60")}, A="80") == D("60")
    assert ev("A - base(A)", {"A": D("60")}, A="80") == D("20")
    # base() alone does not read the period's value, so it is not in refs
    assert parse("base(A) * 2").refs == frozenset()


def test_min_max_abs() -> None:
    assert ev("min(a, b, c)", a="3", b="-1.5", c="2") == D("-1.5")
    assert ev("max(a, b, c)", a="3", b="-1.5", c="2") == D("3")
    assert ev("max(a)", a="7") == D("7")
    assert ev("abs(a - b)", a="2", b="5.5") == D("3.5")
    assert ev("abs(a)", a="4") == D("4")
    assert ev("min(a, 0) + max(a, 0)", a="-2") == D("-2")


@pytest.mark.parametrize(
    "text",
    ["a + b", "b * 0", "-b", "min(a, b)", "max(b, 1)", "abs(b)", "base(a) + b", "(a + 1) / b"],
)
def test_a_missing_input_gives_no_value(text: str) -> None:
    assert ev(text, {"a": D(1)}, a="2", b=None) is None
    assert ev(text, {"a": D(1)}, a="2") is None  # b absent altogether


def test_a_missing_baseline_gives_no_value() -> None:
    assert ev("a / base(a)", {}, a="2") is None
    assert ev("a / base(a)", {"a": None}, a="2") is None


@pytest.mark.parametrize("text", ["a / b", "a / (b - b)", "1 / 0", "a / 0.0", "max(1, a / b)"])
def test_division_by_zero_is_an_evaluation_error(text: str) -> None:
    with pytest.raises(EvaluationError):
        ev(text, a="3", b="0")


def test_zero_divided_by_zero_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError):
        ev("a / b", a="0", b="0")


def test_refs_and_text_are_recorded() -> None:
    f = parse("  A01 + max(B_2, base(C3))  ")
    assert f.text == "A01 + max(B_2, base(C3))"
    assert f.refs == {"A01", "B_2"}
    assert f.base_refs == {"C3"}


@pytest.mark.parametrize(
    "text",
    [
        "a.b",
        "a.__class__",
        "().__class__",
        "__import__('os')",
        "__import__",  # as a call below; a bare name is only a reference
        "lambda: 1",
        "a[0]",
        "a[1:2]",
        "a < b",
        "a == b",
        "a and b",
        "not a",
        "'text'",
        "b'bytes'",
        "a if b else c",
        "f(a)",
        "eval('1')",
        "exec('x = 1')",
        "open('x')",
        "print(1)",
        "round(a)",
        "max(a, key=b)",
        "min(a, b, default=0)",
        "max(*a)",
        "max()",
        "min()",
        "abs(a, b)",
        "abs()",
        "base(a, b)",
        "base(1)",
        "base(a + b)",
        "base(a.b)",
        "a ** 2",
        "a // 2",
        "a % 2",
        "a @ b",
        "a << 1",
        "~a",
        "True + 1",
        "None",
        "...",
        "1j",
        "[1, 2]",
        "(1, 2)",
        "{1: 2}",
        "{1}",
        "[x for x in a]",
        "(x := 1)",
        "f'{a}'",
        "a; b",
        "import os",
        "a = 1",
        "",
        "   ",
        "1 +",
        "(1",
        "0x10",
        "1e3",
        "2.5E-2",
        "a * 1e999999",  # an exponent literal would overflow at evaluation instead of being refused here
    ],
)
def test_refused_constructs(text: str) -> None:
    if text == "__import__":
        text = "__import__('os').system('true')"
    with pytest.raises(FormulaError):
        parse(text)


def test_refusal_messages_say_what_is_wrong() -> None:
    with pytest.raises(FormulaError, match="未知函数"):
        parse("sqrt(a)")
    with pytest.raises(FormulaError, match="不允许"):
        parse("a.b")
    with pytest.raises(FormulaError, match="语法错误"):
        parse("a +* b")
    with pytest.raises(FormulaError, match="公式为空"):
        parse("")


def test_too_long_is_refused() -> None:
    ok = "a" + " " * (MAX_LENGTH - 1)
    assert len(ok) == MAX_LENGTH
    parse(ok)
    with pytest.raises(FormulaError, match="过长"):
        parse("a" + " " * MAX_LENGTH)
    with pytest.raises(FormulaError, match="过长"):
        parse("+".join(["a"] * 201))


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(FormulaError, match="嵌套过深"):
        parse("-" * 120 + "1")
    with pytest.raises(FormulaError, match="嵌套过深"):
        parse("abs(" * 60 + "a" + ")" * 60)
    # moderate nesting is fine
    assert ev("abs(" * 10 + "a" + ")" * 10, a="-2") == D(2)


def test_non_string_is_refused() -> None:
    with pytest.raises(FormulaError):
        parse(None)  # type: ignore[arg-type]


def test_nothing_is_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused formulas run no code: a side effect that any execution would cause never happens."""
    marker = tmp_path / "ran"
    calls: list[str] = []
    import builtins

    real_import = builtins.__import__

    def spy_import(name: str, *args: object, **kwargs: object) -> object:
        calls.append(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    attempts = [
        f"open({str(marker)!r}, 'w')",
        f"__import__('pathlib').Path({str(marker)!r}).touch()",
        f"(lambda: open({str(marker)!r}, 'w'))()",
        f"max(1, open({str(marker)!r}, 'w'))",
        "__import__('os')",
    ]
    monkeypatch.setattr(builtins, "__import__", spy_import)
    for text in attempts:
        with pytest.raises(FormulaError):
            parse(text)
    monkeypatch.setattr(builtins, "__import__", real_import)
    assert not marker.exists()
    assert "os" not in calls and "pathlib" not in calls


def test_a_name_is_only_a_reference_not_a_lookup() -> None:
    """A formula naming a Python builtin reads the value of that code; it never reaches the builtin."""
    f = parse("print + open")
    assert f.refs == {"print", "open"}
    assert f.evaluate({}) is None
    assert f.evaluate({"print": D(1), "open": D(2)}) == D(3)


def test_integer_and_underscore_literals_are_exact() -> None:
    assert ev("1_000 + 0.5") == D("1000.5")
    assert ev("12345678901234567890.123456789 * 1") == D("12345678901234567890.123456789")
