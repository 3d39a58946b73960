"""The payload schema turned into plain Python checks: valid or not, a hundred times faster than a general JSON
Schema validator.

Verifying a file checks its payload against ``resources/schemas/submission-v1.schema.json``; the general validator
(jsonschema) took most of the time of a whole workbook's verification. :func:`compile_schema` builds, once, a
function that answers the same question for the keywords that schema uses, with the same meaning as jsonschema's
Draft 2020-12 validator (``bool`` is no integer, ``1.0`` is, patterns are ``re.search``, …). It only says yes or
no: a payload it refuses is then given to jsonschema for the message naming the first problem. A schema with any
keyword it does not know is not compiled at all (:class:`Unsupported`), so a new keyword can never be skipped.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

Check = Callable[[Any], bool]

# Keywords that only describe (never constrain) an instance.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default"})
_KEYWORDS = frozenset(
    {
        "type",
        "const",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "items",
        "properties",
        "required",
        "additionalProperties",
        "maxProperties",
        "propertyNames",
        "oneOf",
        "$ref",
    }
)


class Unsupported(ValueError):
    """The schema uses something this compiler does not check; the general validator must be used."""


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _scalar_equal(value: Any, expected: Any) -> bool:
    """jsonschema's ``equal`` for an ``expected`` that is a string, a number, a boolean or null."""
    if value is expected:
        return True
    if isinstance(value, str) or isinstance(expected, str):
        return bool(value == expected)
    if isinstance(value, bool) or isinstance(expected, bool):
        return False
    if isinstance(value, list | tuple | dict):
        return False
    return bool(value == expected)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """A function telling whether an instance is valid against ``schema``; :class:`Unsupported` if the schema
    uses a keyword, a reference or a value this compiler does not handle."""
    definitions = schema.get("$defs", {})
    if not isinstance(definitions, Mapping):
        raise Unsupported("$defs")
    compiled: dict[str, Check | None] = {}  # None while a definition is being compiled

    def reference(ref: Any) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#/$defs/") or ref[8:] not in definitions:
            raise Unsupported(f"$ref {ref!r}")
        name = ref[8:]
        if name not in compiled:
            compiled[name] = None
            compiled[name] = node(definitions[name])
        done = compiled[name]
        if done is not None:
            return done

        def recursive(value: Any) -> bool:  # a definition that refers to itself, looked up when it is used
            check = compiled[name]
            assert check is not None
            return check(value)

        return recursive

    def node(sub: Any, root: bool = False) -> Check:
        if sub is True:
            return lambda v: True
        if sub is False:
            return lambda v: False
        if not isinstance(sub, Mapping):
            raise Unsupported(f"schema {sub!r}")
        checks: list[Check] = []
        for key, arg in sub.items():
            if key in _ANNOTATIONS or (root and key == "$defs"):
                continue
            if key not in _KEYWORDS:
                raise Unsupported(key)
            if key in ("properties", "additionalProperties", "items", "required", "propertyNames"):
                continue  # compiled together below
            checks.append(_keyword(key, arg, sub, node, reference, definitions))
        checks += _object_checks(sub, node)
        if "items" in sub:
            checks.append(_items(sub["items"], node))
        return _all(checks)

    return node(schema, root=True)


def _all(checks: list[Check]) -> Check:
    """Every one of ``checks`` (written out for the usual one to three: a payload passes a few thousand)."""
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    if len(checks) == 3:
        first, second, third = checks
        return lambda v: first(v) and second(v) and third(v)
    return lambda v: all(check(v) for check in checks)


# The JSON kinds of value a type keyword or a scalar admits ("integer" is a kind of number, a boolean is not).
_KINDS = {name: name for name in ("string", "object", "array", "boolean", "null", "number")} | {"integer": "number"}


def _kind(value: Any) -> str | None:
    """The JSON kind of a parsed value; None for what JSON never gives (left to the general way)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, numbers.Number):
        return "number"
    return None


def _admitted_kinds(sub: Any, definitions: Mapping[str, Any], depth: int = 0) -> frozenset[str] | None:
    """The kinds of value that can pass ``sub`` at all, as its type, enum or const (or the definition it refers
    to) declares them; None when it declares none of these."""
    if not isinstance(sub, Mapping) or depth > 8:
        return None
    ref = sub.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _admitted_kinds(definitions.get(ref[8:]), definitions, depth + 1)
    names = sub.get("type")
    if isinstance(names, str):
        names = [names]
    if isinstance(names, list) and names and all(n in _KINDS for n in names):
        return frozenset(_KINDS[n] for n in names)
    values = sub["enum"] if isinstance(sub.get("enum"), list) else [sub["const"]] if "const" in sub else None
    if values is not None and all(_scalar(v) for v in values):
        return frozenset(k for k in map(_kind, values) if k is not None)
    return None


def _one_of(options: list[Check], kinds: list[frozenset[str] | None]) -> Check:
    """``oneOf``: exactly one option passes. When each option admits kinds of value no other admits (a decimal
    text or null, say), only the option of the value's kind can pass, and it alone is tried."""
    counted: Check = lambda v: sum(1 for option in options if option(v)) == 1  # noqa: E731
    known = [k for k in kinds if k is not None]
    if len(known) != len(options) or sum(map(len, known)) != len(frozenset().union(*known)):
        return counted
    by_kind = {kind: option for admitted, option in zip(known, options, strict=True) for kind in admitted}

    def one_of(value: Any) -> bool:
        kind = _kind(value)
        if kind is None:
            return counted(value)
        option = by_kind.get(kind)
        return option is not None and option(value)

    return one_of


def _keyword(
    key: str,
    arg: Any,
    sub: Mapping[str, Any],
    node: Callable[[Any], Check],
    reference: Callable[[Any], Check],
    definitions: Mapping[str, Any],
) -> Check:
    if key == "type":
        names = [arg] if isinstance(arg, str) else arg
        if not isinstance(names, list) or not names or any(n not in _TYPES for n in names):
            raise Unsupported(f"type {arg!r}")
        tests = [_TYPES[n] for n in names]
        return tests[0] if len(tests) == 1 else (lambda v: any(t(v) for t in tests))
    if key == "const":
        if not _scalar(arg):
            raise Unsupported("const")
        return lambda v: _scalar_equal(v, arg)
    if key == "enum":
        if not isinstance(arg, list) or not all(_scalar(e) for e in arg):
            raise Unsupported("enum")
        if all(isinstance(e, str) for e in arg):
            # A text equals only a text (_scalar_equal): a set of texts answers at once.
            texts = frozenset(arg)
            return lambda v: isinstance(v, str) and v in texts
        return lambda v: any(_scalar_equal(v, e) for e in arg)
    if key == "pattern":
        regex = re.compile(arg)
        return lambda v: not isinstance(v, str) or regex.search(v) is not None
    if key in ("minLength", "maxLength", "minItems", "maxItems", "maxProperties"):
        if not _is_integer(arg):
            raise Unsupported(key)
        kinds: dict[str, type[Any]] = {"minLength": str, "maxLength": str, "minItems": list, "maxItems": list}
        kind = kinds.get(key, dict)
        if key.startswith("min"):
            return lambda v: not isinstance(v, kind) or len(v) >= arg
        return lambda v: not isinstance(v, kind) or len(v) <= arg
    if key in ("minimum", "maximum"):
        if not _is_number(arg):
            raise Unsupported(key)
        # Written as jsonschema does (a failure is "less than" / "greater than"), so NaN fares the same.
        if key == "minimum":
            return lambda v: not (_is_number(v) and v < arg)
        return lambda v: not (_is_number(v) and v > arg)
    if key == "oneOf":
        if not isinstance(arg, list) or not arg:
            raise Unsupported("oneOf")
        return _one_of([node(s) for s in arg], [_admitted_kinds(s, definitions) for s in arg])
    if key == "$ref":
        if len([k for k in sub if k not in _ANNOTATIONS]) != 1:
            raise Unsupported("$ref beside other keywords")
        return reference(arg)
    raise Unsupported(key)


def _object_checks(sub: Mapping[str, Any], node: Callable[[Any], Check]) -> list[Check]:
    """``properties``, ``required``, ``additionalProperties`` and ``propertyNames`` of one schema, which apply only
    to objects: checked in one pass over the object's members."""
    keywords = ("properties", "required", "additionalProperties", "propertyNames")
    if not any(k in sub for k in keywords):
        return []
    properties = sub.get("properties", {})
    if not isinstance(properties, Mapping):
        raise Unsupported("properties")
    known = {name: node(s) for name, s in properties.items()}
    required = sub.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise Unsupported("required")
    extra = sub.get("additionalProperties", True)
    closed = extra is False
    other = None if extra is True or closed else node(extra)
    names = node(sub["propertyNames"]) if "propertyNames" in sub else None

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for name in required:
            if name not in v:
                return False
        for name, value in v.items():
            member = known.get(name)
            if member is not None:
                if not member(value):
                    return False
            elif closed or (other is not None and not other(value)):
                return False
            if names is not None and not names(name):
                return False
        return True

    return [check]


def _items(arg: Any, node: Callable[[Any], Check]) -> Check:
    if not isinstance(arg, Mapping | bool):
        raise Unsupported("items")
    each = node(arg)
    if isinstance(arg, Mapping) and arg.get("type") == "object":
        each = _remembered(each)
    return lambda v: not isinstance(v, list) or all(each(item) for item in v)


# The members an object may have for its verdict to be remembered: a few scalars, texts of these lengths in all.
_SCALAR_TYPES = frozenset({str, int, bool, type(None)})
REMEMBERED_OBJECTS = 4096
REMEMBERED_MEMBERS = 32
REMEMBERED_TEXT = 512


def _remembered(check: Check) -> Check:
    """``check`` of an array's objects, its verdicts remembered for objects of a few short scalar members: the
    indicators of a payload recur from file to file (a district's figures, revision after revision). A member's
    type is part of the key (``True`` equals ``1`` but is no integer); any other object is checked every time.
    The last :data:`REMEMBERED_OBJECTS` verdicts are kept, so whatever the files hold, the memory stays small."""

    @lru_cache(maxsize=REMEMBERED_OBJECTS)
    def verdict(members: tuple[tuple[str, type, Any], ...]) -> bool:
        return check({name: member for name, _, member in members})

    def remembered(value: Any) -> bool:
        if type(value) is not dict or len(value) > REMEMBERED_MEMBERS:
            return check(value)
        size = 0
        members = []
        for name, member in value.items():
            kind = type(member)
            if kind not in _SCALAR_TYPES or type(name) is not str:
                return check(value)
            size += len(name) + (len(member) if kind is str else 0)
            members.append((name, kind, member))
        if size > REMEMBERED_TEXT:
            return check(value)
        return verdict(tuple(members))

    return remembered
