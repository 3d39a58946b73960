"""What a signed payload may be: strict JSON, the published schema, and the rules the schema cannot say.

A payload signed with a genuine unit key can still be anything its signer chose to put in it. Before any part of
the program uses one (to draw a sheet, to compare a file, to store figures), it is checked here; what does not
pass is refused as ``malformed``, with a message naming the field, never a crash. The schema is
``resources/schemas/submission-v1.schema.json`` (see ``docs/submission-format.md``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cache
from typing import Any

from app import RESOURCES_DIR
from app.engine.calendar import Timeliness, TimelinessSummary
from app.engine.numbers import NumberError, check_places, parse_decimal, to_text
from app.engine.periods import Period, PeriodError
from app.memo import remembered_if_short
from app.submissions.signing import VerificationError, canonical

SCHEMA_PATH = RESOURCES_DIR / "schemas" / "submission-v1.schema.json"
# Digits of the longest integer JSON may carry: revisions and counts need a handful; Python refuses to read
# integers of thousands of digits, and 10³⁰ is no revision.
MAX_INT_DIGITS = 12
MAX_DEPTH = 12
# The two non-characters, as UTF-8: no file can carry them as text (nor lone surrogates, which UTF-8 cannot even
# encode: see signed_bytes).
_INVALID_UTF8 = re.compile(b"\xef\xbf[\xbe\xbf]")


def malformed(message: str) -> VerificationError:
    return VerificationError("malformed", f"报送数据格式不合规：{message}")


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


@cache
def _fast_check() -> Callable[[Any], bool] | None:
    """The schema as plain checks (:mod:`app.submissions.schema_check`), or None to use jsonschema alone."""
    from app.submissions.schema_check import Unsupported, compile_schema

    try:
        return compile_schema(schema())
    except Unsupported:
        return None


# ---------------------------------------------------------------------------------------------- strict JSON


def parse_json(text: str | bytes) -> Any:
    """JSON as Tianbao writes it: no repeated keys, no floats, no NaN or Infinity, no huge integers, shallow.

    Refusals are ``malformed``; what does not parse at all is ``altered`` (the carrier's text was broken).
    """
    data = _loads(text, object_pairs_hook=_no_duplicates)
    if _depth(data) > MAX_DEPTH:
        raise malformed("嵌套过深")
    return data


def parse_canonical_json(text: str | bytes) -> Any:
    """:func:`parse_json` without looking for repeated keys or deep nesting, for a caller that accepts what it
    parsed only when ``text`` is its canonical JSON (:func:`~app.submissions.signing.canonical`): that has no
    repeated keys, and nothing nested deeper than a payload can pass its schema."""
    return _loads(text)


def _loads(text: str | bytes, **hooks: Any) -> Any:
    try:
        return json.loads(text, parse_float=_no_float, parse_int=_small_int, parse_constant=_no_constant, **hooks)
    except VerificationError:
        raise
    except RecursionError as exc:
        raise malformed("嵌套过深") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise VerificationError("altered", "文件中的签名数据已损坏或被改动（无法解析）") from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        twice = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        raise malformed(f"字段“{twice[0][:40]}”出现了两次")
    return data


def _no_float(text_value: str) -> Any:
    raise malformed(f"数值 {text_value[:20]} 不是整数（数据须写成文本形式的小数）")


def _small_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise malformed(f"整数 {digits[:20]}… 位数过多")
    return int(digits)


def _no_constant(name: str) -> Any:
    raise malformed(f"不允许 {name}")


def _depth(value: Any) -> int:
    """How deep containers nest, counted up to one past :data:`MAX_DEPTH` (a level at a time, without recursion:
    a hostile file must not exhaust the stack; a level's members are sorted in one pass, not one by one)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level and depth <= MAX_DEPTH:
        depth += 1
        below: list[Any] = []
        for item in level:
            below.extend(item.values() if isinstance(item, dict) else item)
        level = [child for child in below if isinstance(child, dict | list)]
    return depth


# ---------------------------------------------------------------------------------------------- the payload


def _where(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "（顶层）"


def _schema_problem(err: Any) -> str:
    where = _where(err.absolute_path)
    validator = err.validator
    if validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"{where} 有不认识的字段 {', '.join(e[:40] for e in extra[:3])}"
    if validator == "required":
        return f"{where} 缺少字段 {err.message.split(' ')[0]}"
    if validator in ("maxLength", "minLength", "maxItems", "minItems", "maxProperties"):
        return f"{where} 长度不对（{validator} {err.validator_value}）"
    if validator in ("type", "oneOf"):
        return f"{where} 类型不对"
    if validator in ("minimum", "maximum"):
        return f"{where} 超出范围（{validator} {err.validator_value}）"
    shown = repr(err.instance)
    return f"{where} 的值 {shown[:40]} 不合规（{validator}）"


def signed_bytes(payload: dict[str, Any]) -> bytes:
    """The bytes of ``payload`` that are hashed and signed (:func:`~app.submissions.signing.canonical`);
    ``malformed`` for text no file can carry that cannot even be written out (a lone surrogate)."""
    try:
        return canonical(payload)
    except UnicodeEncodeError as exc:
        raise malformed("文字中含有无效字符") from exc


def check_payload(payload: Any, signed: bytes | None = None) -> dict[str, Any]:
    """The payload, when it is one Tianbao could have signed; else ``malformed`` naming the first problem.
    ``signed``: its signed bytes (:func:`~app.submissions.signing.canonical`), when the caller has them."""
    if not isinstance(payload, dict):
        raise malformed("不是 JSON 对象")
    fast = _fast_check()
    if fast is None or not fast(payload):  # jsonschema only for what is refused, to name the first problem
        _check_schema(payload)
    _check_rules(payload, signed)
    return payload


def _check_schema(payload: dict[str, Any]) -> None:
    error = next(iter(sorted(_validator().iter_errors(payload), key=lambda e: list(map(str, e.absolute_path)))), None)
    if error is not None:
        raise malformed(_schema_problem(error))


def _check_rules(payload: dict[str, Any], signed: bytes | None = None) -> None:
    """What the schema cannot say: text that files can carry, dates and periods that exist, one row per code,
    figures as declared."""
    if _INVALID_UTF8.search(signed_bytes(payload) if signed is None else signed):
        raise malformed("文字中含有无效字符")
    try:
        period = Period.parse(payload["period"])
    except (PeriodError, ValueError) as exc:
        raise malformed(f"报告期“{payload['period']}”无效") from exc
    if period.year != payload["catalog"]["year"]:
        raise malformed(f"报告期 {period} 不属于 {payload['catalog']['year']} 年度的模板")
    try:
        dt.datetime.fromisoformat(payload["signed_at"].replace("Z", "+00:00"))
    except ValueError as exc:
        raise malformed(f"签名时间“{payload['signed_at']}”无效") from exc
    fingerprint = payload["signer"]["fingerprint"].replace(" ", "")[:8].lower()
    expected_id = f"{payload['unit']['code']}-{period}-r{payload['revision']}-{fingerprint}"
    if payload["submission_id"] != expected_id:
        raise malformed(f"报送编号“{payload['submission_id']}”与单位、报告期、版次或签名证书不符")
    codes = Counter(ind["code"] for ind in payload["indicators"])
    twice = [code for code, n in codes.items() if n > 1]
    if twice:
        raise malformed(f"指标 {twice[0]} 出现了 {codes[twice[0]]} 次")
    for ind in payload["indicators"]:
        check_indicator(ind)
    timeliness = payload.get("report", {}).get("timeliness")
    if timeliness is not None:
        _check_timeliness(timeliness)


def _check_timeliness(part: dict[str, Any]) -> None:
    """A city report's timeliness: each verdict with its days and time as the calendar gives them, and counts, rate
    and sentence that are those of the units listed (never typed)."""
    where = "report.timeliness"
    codes = Counter(u["code"] for u in part["units"])
    twice = [code for code, n in codes.items() if n > 1]
    if twice:
        raise malformed(f"{where} 中单位 {twice[0]} 出现了 {codes[twice[0]]} 次")
    for i, unit in enumerate(part["units"]):
        verdict = Timeliness(unit["timeliness"])
        received = unit["received_at"]
        if (verdict is Timeliness.LATE) != (unit["days_late"] > 0):
            raise malformed(f"{where}.units[{i}] 的逾期天数与报送情况不符")
        if (verdict in (Timeliness.ON_TIME, Timeliness.LATE)) != (received is not None):
            raise malformed(f"{where}.units[{i}] 的收到时间与报送情况不符")
        if received is not None:
            try:
                dt.datetime.fromisoformat(received.replace("Z", "+00:00"))
            except ValueError as exc:
                raise malformed(f"{where}.units[{i}] 的收到时间“{received}”无效") from exc
    tally = Counter(Timeliness(u["timeliness"]) for u in part["units"])
    summary = TimelinessSummary(
        tally[Timeliness.ON_TIME], tally[Timeliness.LATE], tally[Timeliness.MISSING], tally[Timeliness.NOT_DUE]
    )
    counted = (part["on_time"], part["late"], part["missing"], part["not_due"])
    if counted != (summary.on_time, summary.late, summary.missing, summary.not_due):
        raise malformed(f"{where} 的按时、逾期、未报数与所列单位不符")
    rate = None if summary.on_time_rate is None else str(summary.on_time_rate)
    if part["on_time_rate"] != rate:
        raise malformed(f"{where}.on_time_rate {part['on_time_rate']} 与所列单位不符（应为 {rate}）")
    if part["sentence"] != summary.sentence:
        raise malformed(f"{where}.sentence 与所列单位不符")


def check_indicator(ind: dict[str, Any], decimals: int | None = None, kind: str | None = None) -> Decimal | None:
    """One indicator row: its figures fit its kind, and the value has no more decimals than ``decimals`` (the
    row's own declaration, or the template's when given); the value, parsed."""
    code = ind["code"]
    places = ind["decimals"] if decimals is None else decimals
    if kind is not None and ind["kind"] != kind:
        raise malformed(f"指标 {code} 的类型为 {ind['kind']}，模板中为 {kind}")
    if decimals is not None and ind["decimals"] != decimals:
        raise malformed(f"指标 {code} 声明 {ind['decimals']} 位小数，模板中为 {decimals} 位")
    if ind["kind"] != "ratio" and (ind["numerator"] is not None or ind["denominator"] is not None):
        raise malformed(f"指标 {code} 不是比率型，却带有分子或分母")
    if ind["value"] is None:
        return None
    try:
        return figure(ind["value"], places)[0]
    except NumberError as exc:
        raise malformed(f"指标 {code} 的本期值 {ind['value']} 超过 {places} 位小数") from exc


# The schema's decimals have at most 52 characters; only texts that short, and only those accepted, are kept: some
# 2 MB at most (about 470 bytes an entry), whatever a hostile file holds.
_REMEMBERED_FIGURE = 64


@remembered_if_short(
    4096,
    lambda text, places, what="": len(text) if isinstance(text, str) else _REMEMBERED_FIGURE + 1,
    _REMEMBERED_FIGURE,
)
def figure(text: Any, places: int | None, what: str = "") -> tuple[Decimal, str]:
    """A figure of a payload (a decimal text, :func:`~app.engine.numbers.parse_decimal`'s strict form): its value
    and the text it is stored as (:func:`~app.engine.numbers.to_text`); :class:`NumberError` when it is not such a
    text or has more than ``places`` decimals (``None``: any), its message naming the figure as ``what``.

    Remembered for texts: the files of one import repeat most of their figures (a district's from one revision to
    the next, zeros and round numbers everywhere). The key is the text itself, never the value: 1.0 and 1.00 are
    equal decimals stored as different texts."""
    value = parse_decimal(text)
    if places is not None:
        check_places(value, places, what)
    return value, to_text(value) or ""  # to_text gives None only for None
