"""The payload schema and rules: what a genuine unit key may sign and still be refused as ``malformed``."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.progress import Status
from app.submissions.payload import MAX_DEPTH, check_payload, parse_json, schema
from app.submissions.signing import VerificationError


def genuine() -> dict[str, Any]:
    payload: dict[str, Any] = {
        "format": "tianbao-submission",
        "format_version": 1,
        "submission_id": "520103-2023Q2-r1-a4108339",
        "catalog": {
            "code": "GY-GREEN",
            "version": "2023.1",
            "year": 2023,
            "name": "演示指标体系",
            "demo": True,
            "content_hash": "9" * 64,
        },
        "unit": {"code": "520103", "name": "云岩区"},
        "period": "2023Q2",
        "revision": 1,
        "signed_at": "2023-07-10T08:15:02.123+00:00",
        "signer": {"fingerprint": " ".join(["A410", "8339", *["0000"] * 14]), "user": "clerk"},
        "indicators": [
            {
                "code": "C12",
                "name": "绿色建筑占比",
                "unit": "%",
                "decimals": 1,
                "kind": "ratio",
                "value": "82.2",
                "numerator": "411.00",
                "denominator": "500.00",
                "target": "83.7",
                "expected": "83.7",
                "completion": "98.2",
                "status": "behind",
                "explanation": "说明",
            }
        ],
        "counts": {s.value: 0 for s in Status},
        "summary": "1项需关注",
    }
    return payload


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        *head, last = path.split(".")
        target: Any = payload
        for part in head:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()

MALFORMED: dict[str, Callable[[dict[str, Any]], None]] = {
    "revision text": _set("revision", "abc"),
    "revision huge": _set("revision", 10**30),
    "revision zero": _set("revision", 0),
    "revision negative": _set("revision", -3),
    "revision true": _set("revision", True),
    "unit without name": _set("unit.name", _DELETE),
    "no signer": _set("signer", _DELETE),
    "no catalog": _set("catalog", _DELETE),
    "indicators as an object": _set("indicators", {"C12": {}}),
    "indicator without code": _set("indicators.0.code", _DELETE),
    "indicator twice": lambda p: p["indicators"].append(copy.deepcopy(p["indicators"][0])),
    "too many decimals": _set("indicators.0.value", "82.25"),
    "value as a number": _set("indicators.0.value", 82),
    "explanation of 2 million characters": _set("indicators.0.explanation", "长" * 2_000_000),
    "signed_at as an object": _set("signed_at", {"t": 1}),
    "signed_at not a time": _set("signed_at", "2023-13-45T99:00:00+00:00"),
    "unknown status": _set("indicators.0.status", "great"),
    "unknown field": _set("extra", 1),
    "numerator on a base indicator": lambda p: p["indicators"][0].update(kind="base"),
    "submission id of another unit": _set("submission_id", "520102-2023Q2-r1-a4108339"),
    "period of another year": _set("period", "2024Q2"),
    "count as text": _set("counts.behind", "1"),
    "lone surrogate": _set("summary", "\ud800"),
    "non-character": _set("unit.name", "云岩\uffff区"),
}


def test_the_genuine_payload_passes() -> None:
    assert check_payload(genuine()) == genuine()
    assert schema()["$id"].endswith("submission-v1.schema.json")


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_payload_is_refused_with_a_reason(name: str) -> None:
    payload = genuine()
    MALFORMED[name](payload)
    with pytest.raises(VerificationError) as info:
        check_payload(payload)
    assert info.value.reason == "malformed"
    assert str(info.value).startswith("报送数据格式不合规")
    assert len(str(info.value)) < 300


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',  # the same key twice: which one was signed?
        '{"revision": 1.5}',
        '{"revision": 1e400}',
        '{"revision": NaN}',
        '{"revision": ' + "9" * 40 + "}",
        "[" * 100_000 + "]" * 100_000,
        '{"a": ' + "[" * 15 + "1" + "]" * 15 + "}",
    ],
)
def test_json_that_tianbao_never_writes_is_refused(text: str) -> None:
    with pytest.raises(VerificationError) as info:
        parse_json(text)
    assert info.value.reason == "malformed"


def _nesting(value: Any) -> int:
    """How deep containers nest, by the plain recursive definition."""
    if isinstance(value, dict):
        return 1 + max(map(_nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_nesting, value), default=0)
    return 0


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=40,
)


@given(_JSON)
def test_nesting_is_measured_as_its_definition_says(value: Any) -> None:
    text = json.dumps(value)
    if _nesting(value) > MAX_DEPTH:
        with pytest.raises(VerificationError, match="嵌套过深"):
            parse_json(text)
    else:
        assert parse_json(text) == value


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 3 * MAX_DEPTH])
def test_nesting_is_refused_beyond_the_limit_exactly(depth: int) -> None:
    for text in (
        "[" * depth + "]" * depth,
        '{"a": ' * depth + "1" + "}" * depth,
        '[{"a": ' * depth + "1" + "}]" * depth,
    ):
        nesting = depth * (2 if text.startswith("[{") else 1)
        if nesting > MAX_DEPTH:
            with pytest.raises(VerificationError, match="嵌套过深"):
                parse_json(text)
        else:
            assert _nesting(parse_json(text)) == nesting


def test_a_figure_is_refused_in_the_callers_words_every_time() -> None:
    """Remembered or not, a figure over its decimals is refused, with the message naming it as the caller does."""
    from app.engine.numbers import NumberError
    from app.submissions.payload import figure

    assert figure("1.50", 1) == (Decimal("1.50"), "1.50")
    assert figure("1.50", 1)[1] == "1.50" and figure("1.5", 1)[1] == "1.5"  # equal values, their own texts
    for _ in range(2):
        with pytest.raises(NumberError, match=r"^数值“1\.55”最多保留 1 位小数$"):
            figure("1.55", 1, "数值")
        with pytest.raises(NumberError, match=r"^“1\.55”最多保留 1 位小数$"):
            figure("1.55", 1)
    with pytest.raises(NumberError):
        figure("1" + "0" * 100, 0)  # too long to remember, and too many digits
