"""Template documents (JSON): read a file under a size limit, parse it strictly, check it against the schema,
hash its content and write it back atomically. See ``docs/template-format.md``."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from app import RESOURCES_DIR
from app.trust.canonical import canonical_bytes

SCHEMA_PATH = RESOURCES_DIR / "schemas" / "template-v1.schema.json"
MAX_FILE_BYTES = 20 * 1024 * 1024
FORMAT = "tianbao-template"
# NaN and Infinity are not JSON, though Python's reader takes them; strings are matched to skip what they hold.
_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.DOTALL)


class TemplateError(ValueError):
    """A template that cannot be accepted; ``problems`` lists every place that is wrong."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:30])
        more = f"\n  …另有 {len(problems) - 30} 处问题" if len(problems) > 30 else ""
        super().__init__(f"模板文件 {source} 不能导入：\n{shown}{more}")


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def read_document(path: Path) -> dict[str, Any]:
    """Read a template file as JSON, refusing what is not UTF-8 JSON of a sane size."""
    source = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TemplateError(source, [f"无法读取文件：{exc.strerror or exc}"]) from exc
    if size > MAX_FILE_BYTES:
        raise TemplateError(source, [f"文件过大（{size} 字节），模板文件不应超过 {MAX_FILE_BYTES // 1048576} MB"])
    try:
        raw = path.read_bytes()
    except OSError as exc:  # a folder, or a file another program holds locked
        raise TemplateError(source, [f"无法读取文件：{exc.strerror or exc}"]) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(source, [f"文件不是 UTF-8 编码（第 {exc.start} 字节处）"]) from exc
    return parse_document(text, source)


def parse_document(text: str, source: str = "<模板>") -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(pairs)
        if len(data) == len(pairs):
            return data
        dupes = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        if dupes:
            raise TemplateError(source, [f"JSON 对象中键重复：{', '.join(dupes)}"])
        return dict(pairs)

    def no_float(text_value: str) -> Any:
        # Kept exact (never a binary float); the schema then refuses it, as data must be decimal strings.
        return Decimal(text_value)

    def small_int(digits: str) -> int:
        # Python refuses to read integers of thousands of digits (a ValueError); no field needs more than 30.
        if len(digits.lstrip("-")) > 30:
            raise TemplateError(source, [f"不是有效的 JSON：整数 {digits[:20]}… 位数过多"])
        return int(digits)

    def no_constant(name: str) -> Any:
        place = _constant_place(text)
        raise TemplateError(source, [f"不是有效的 JSON：{place}不允许 {name}，数值须写成文本形式的小数"])

    try:
        data = json.loads(
            text,
            object_pairs_hook=no_duplicates,
            parse_float=no_float,
            parse_int=small_int,
            parse_constant=no_constant,
        )
    except json.JSONDecodeError as exc:
        raise TemplateError(source, [f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}"]) from exc
    except RecursionError as exc:
        raise TemplateError(source, ["JSON 嵌套过深"]) from exc
    if not isinstance(data, dict):
        raise TemplateError(source, ["文件顶层应为 JSON 对象"])
    return data


def _constant_place(text: str) -> str:
    """Where the first NaN / Infinity outside a string is (“第 x 行第 y 列，”), for the message."""
    for match in _CONSTANT.finditer(text):
        if match.group(1):
            start = match.start()
            return f"第 {text.count(chr(10), 0, start) + 1} 行第 {start - text.rfind(chr(10), 0, start)} 列，"
    return ""


def _where(path: Iterator[Any] | Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "（顶层）"


def check_schema(doc: dict[str, Any], source: str) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    problems = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        problems.append(f"{_where(err.absolute_path)}：{_schema_message(err)}")
    if problems:
        raise TemplateError(source, problems)


def _schema_message(err: Any) -> str:
    validator = err.validator
    if validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"不认识的字段 {', '.join(extra)}"
    if validator == "required":
        return f"缺少必填字段（{err.message.split(' ')[0]}）"
    if validator == "pattern":
        return f"“{err.instance}”格式不对"
    if validator == "enum":
        return f"“{err.instance}”不是允许的取值（{', '.join(map(str, err.validator_value))}）"
    if validator == "type":
        return f"类型不对，应为 {err.validator_value}"
    if validator == "const":
        return f"应为 {err.validator_value!r}"
    return str(err.message)


def content_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of the document without its signature and generator, in canonical JSON (sorted keys, UTF-8)."""
    return hashlib.sha256(canonical_bytes(signed_body(doc))).hexdigest()


def signed_body(doc: dict[str, Any]) -> dict[str, Any]:
    """What of the document is signed and hashed: all but its signature and "generator" (which names the program
    that last wrote the file, and may change without the template changing)."""
    return {k: v for k, v in doc.items() if k not in ("signature", "generator")}


def write_document(doc: dict[str, Any], path: Path) -> None:
    """Write a template file atomically (temp name, then rename)."""
    from app import __version__
    from app.storage.files import write_atomic

    # Which program wrote the file, for support; outside the content hash and the signature, like the version
    # line on an exported Excel sheet.
    doc = {"format": doc.get("format"), "format_version": doc.get("format_version"), **doc}
    doc["generator"] = f"填报通 Tianbao {__version__}"
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    write_atomic(path, text.encode("utf-8"))
