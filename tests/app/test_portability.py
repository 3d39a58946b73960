"""What differs on a Windows PC, checked here too: no time is formatted by the C runtime with text or names
that depend on the machine's locale (Windows' strftime encodes the format in the ANSI code page and fails on
Chinese; %a, %b, %p and the like change with the language)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("app/**/*.py"), *ROOT.glob("ui/**/*.py"), ROOT / "main.py"])
# Directives whose output is the same on every machine: numbers and a literal percent sign.
PORTABLE = set("YmdHMSfjzGuVgwy%")


def _formats(tree: ast.AST) -> list[tuple[int, str]]:
    """Every strftime format and every %-format spec in an f-string or format() call, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "strftime":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
            else:
                found.append((node.lineno, "<computed>"))
        if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
            spec = "".join(
                str(v.value) for v in node.format_spec.values if isinstance(v, ast.Constant) and "%" in str(v.value)
            )
            if spec:
                found.append((node.lineno, spec))
    return sorted(found)


def test_time_formats_hold_only_ascii_and_numeric_directives() -> None:
    bad = []
    for path in SOURCES:
        for line, fmt in _formats(ast.parse(path.read_text(encoding="utf-8"))):
            directives = set(re.findall(r"%-?(.)", fmt))
            if fmt == "<computed>" or not fmt.isascii() or not directives <= PORTABLE:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {fmt!r}")
    assert bad == [], "use app.engine.timefmt instead:\n" + "\n".join(bad)


def test_the_check_sees_what_it_must_refuse() -> None:
    tree = ast.parse('when.strftime("%Y年%m月")\nf"{when:%b %d}"\nwhen.strftime(FORMAT)\n')
    assert _formats(tree) == [(1, "%Y年%m月"), (2, "%b %d"), (3, "<computed>")]
