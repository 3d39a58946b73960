"""The compiled payload schema says valid exactly when jsonschema does: the verifier uses it instead of jsonschema
for every payload that passes, so any payload it let through that jsonschema refuses would loosen the check."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from app.submissions.payload import schema
from app.submissions.schema_check import Unsupported, compile_schema
from tests.app.submissions.test_payload_schema import MALFORMED, genuine

CHECK = compile_schema(schema())
VALIDATOR = Draft202012Validator(schema())


def agree(payload: Any) -> bool:
    ours = CHECK(payload)
    theirs = VALIDATOR.is_valid(payload)
    assert ours == theirs, f"compiled {ours}, jsonschema {theirs}: {payload!r}"[:2000]
    return ours


def test_a_genuine_payload_and_a_city_report_are_valid() -> None:
    assert agree(genuine())
    report = genuine()
    report["report"] = {"kind": "city", "contributors": {"C12": 3}, "missing_units": ["乙县"], "returned_units": []}
    assert agree(report)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_every_malformed_case_of_the_schema_tests_is_refused_alike(name: str) -> None:
    payload = genuine()
    MALFORMED[name](payload)
    agree(payload)


# Values that sit on the edges of the schema's keywords: types JSON confuses (True is no 1, 1.0 is an integer),
# lengths and bounds either side of a limit, text patterns with a trailing newline (which "$" accepts).
EDGES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    1.5,
    float("nan"),
    2000,
    2100,
    2101,
    5000,
    5001,
    999999,
    1000000,
    "",
    "x",
    "C12",
    "1.5",
    "-0.25",
    "01",
    "1.",
    "2023Q2",
    "2023Q2\n",
    "2023Q5",
    "behind",
    "city",
    "tianbao-submission",
    "a" * 40,
    "a" * 41,
    "中" * 200,
    "中" * 201,
    "0" * 64,
    [],
    ["乙县"],
    [""],
    {},
    {"C12": 1},
    {"c": True},
    {"9x": 1},  # a name the contributors' propertyNames refuse
    {"C12": 1, "exceeded": 0, "completed": 0, "on_track": 0},
]
KEYS = ["code", "name", "value", "status", "kind", "decimals", "report", "extra", "contributors", "kind2"]

json_values = st.recursive(
    st.sampled_from(EDGES) | st.text(max_size=5) | st.integers(-3, 10**7),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _with_report() -> dict[str, Any]:
    payload = genuine()
    payload["indicators"].append({**payload["indicators"][0], "code": "C13", "status": None, "value": None})
    payload["report"] = {"kind": "city", "contributors": {"C12": 3}, "missing_units": ["乙县"], "returned_units": []}
    return payload


BASE = _with_report()
PATHS = _paths(BASE)


def _replaced(payload: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(payload)
    parent = copied
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return copied


@pytest.mark.parametrize("path", PATHS, ids=lambda p: ".".join(map(str, p)) or "(top)")
def test_each_edge_value_in_each_place_is_judged_alike(path: tuple[Any, ...]) -> None:
    for value in EDGES:
        agree(_replaced(BASE, path, value))
    if path and isinstance(path[-1], str):
        without = copy.deepcopy(BASE)
        parent = without
        for part in path[:-1]:
            parent = parent[part]
        del parent[path[-1]]
        agree(without)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(PATHS), st.sampled_from(["set", "delete", "add"]), st.sampled_from(KEYS), json_values
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_payloads_are_judged_alike(edits: list[tuple[tuple[Any, ...], str, str, Any]]) -> None:
    payload = copy.deepcopy(BASE)
    for path, how, key, value in edits:
        parent: Any = payload
        for part in path[:-1]:
            if not isinstance(parent, dict | list):
                break
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if not path:
                payload = value
                continue
            last = path[-1]
            if how == "set" and isinstance(parent, dict | list):
                with contextlib.suppress(IndexError, TypeError):
                    parent[last] = value
            elif how == "delete" and isinstance(parent, dict) and last in parent:
                del parent[last]
            elif how == "add" and isinstance(parent, dict):
                parent[key] = value
    agree(payload)


def test_a_keyword_it_does_not_know_is_never_skipped() -> None:
    with pytest.raises(Unsupported):
        compile_schema({"type": "object", "patternProperties": {"^x": {"type": "string"}}})
    with pytest.raises(Unsupported):
        compile_schema({"properties": {"a": {"format": "date"}}})
    with pytest.raises(Unsupported):
        compile_schema({"$ref": "https://example.org/other.json"})


# oneOf whose options admit kinds of value no other does is decided by the option of the value's kind alone; any
# overlap (a number and an integer, a type and an enum of its kind, an option declaring no kind) counts them all.
ONE_OF_SCHEMAS: list[dict[str, Any]] = [
    {"oneOf": [{"$ref": "#/$defs/code"}, {"type": "null"}], "$defs": {"code": {"type": "string", "pattern": "^A"}}},
    {"oneOf": [{"enum": ["a", "b"]}, {"type": "null"}, {"type": ["integer", "boolean"]}]},
    {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 2}]},
    {"oneOf": [{"type": "string"}, {"enum": ["a", 1, None]}]},
    {"oneOf": [{"const": 1}, {"type": "string"}, {"maxLength": 1}]},
    {"oneOf": [{"enum": []}, {"type": "array", "maxItems": 1}, {"type": "object"}]},
    {
        "oneOf": [{"$ref": "#/$defs/a"}, {"type": "null"}],
        "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"type": "string", "maxLength": 1}},
    },
    {"properties": {"s": {"enum": ["x", "y"]}}},
]
ONE_OF_VALUES: list[Any] = [
    *EDGES,
    "a",
    "A1",
    "b",
    "x",
    "ab",
    2,
    2.5,
    [],
    [1],
    [1, 2],
    {},
    {"s": "x"},
    {"s": "z"},
    {"s": 1},
]


@pytest.mark.parametrize("index", range(len(ONE_OF_SCHEMAS)))
def test_one_of_and_enums_of_texts_are_judged_alike(index: int) -> None:
    subject = ONE_OF_SCHEMAS[index]
    try:
        check = compile_schema(subject)
    except Unsupported:
        pytest.skip("not compiled: the general validator is used")
    validator = Draft202012Validator(subject)
    for value in ONE_OF_VALUES:
        assert check(value) == validator.is_valid(value), f"{subject!r} on {value!r}"


def test_a_definition_referring_to_itself_compiles() -> None:
    # (No value can be judged against it, by jsonschema either: the reference never ends.)
    looped = {"oneOf": [{"$ref": "#/$defs/loop"}, {"type": "null"}], "$defs": {"loop": {"$ref": "#/$defs/loop"}}}
    assert callable(compile_schema(looped))


def test_an_arrays_objects_are_judged_alike_when_their_verdicts_are_remembered() -> None:
    """The verdicts of an array's objects are remembered (a payload's indicators recur from file to file): equal
    values of other types (True and 1, 1.0 and 1) are told apart, and long or nested objects are judged anew."""
    from app.submissions.schema_check import REMEMBERED_OBJECTS, REMEMBERED_TEXT

    array_schema = {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"n": {"type": "integer"}, "t": {"type": "string", "maxLength": 600}, "x": {}},
        },
    }
    check, validator = compile_schema(array_schema), Draft202012Validator(array_schema)
    cases: list[Any] = [
        [{"n": 1}],
        [{"n": True}],
        [{"n": 1}],
        [{"n": 1.0}],
        [{"n": 1.5}],
        [{"n": 1, "t": "中" * 600}],
        [{"n": 1, "t": "中" * 601}],
        [{"n": 1, "t": "中" * 601}],
        [{"n": 1, "x": [1]}],
        [{"n": 1, "y": 2}],
        [{"n": 1, "y": 2}],
        [{"n": None}],
    ]
    assert REMEMBERED_TEXT < 600
    for case in cases + [[{"n": k}] for k in range(REMEMBERED_OBJECTS + 10)] + cases:
        assert check(case) == validator.is_valid(case), case
