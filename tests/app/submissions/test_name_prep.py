"""Certificate names compare as asn1crypto compares them, with the prepared values remembered."""

from __future__ import annotations

from typing import Any

from asn1crypto import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from app.submissions.name_prep import MAX_REMEMBERED, install, remembering


def asn1crypto_own() -> Any:
    """asn1crypto's method, whether or not :func:`install` has run in this process."""
    method = x509.NameTypeAndValue._ldap_string_prep
    return getattr(method, "__wrapped__", method)


def outcome(prep: Any, string: str) -> tuple[str, Any]:
    try:
        return "ok", prep(x509.NameTypeAndValue(), string)
    except Exception as exc:  # refusals must be the same refusals
        return "refused", (type(exc), str(exc))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.text(min_size=MAX_REMEMBERED - 2, max_size=MAX_REMEMBERED + 2))
def test_prepared_values_and_refusals_are_asn1cryptos(string: str) -> None:
    original = asn1crypto_own()
    assert getattr(original, "__module__", None) == x509.__name__
    fast = remembering(original)
    assert outcome(fast, string) == outcome(original, string)
    assert outcome(fast, string) == outcome(original, string)  # the second time from memory


def test_names_compare_as_before_once_installed() -> None:
    install()
    assert x509.NameTypeAndValue._ldap_string_prep is not asn1crypto_own()

    def name(common: str) -> x509.Name:
        return x509.Name.build({"common_name": common, "organization_name": "贵阳市"})

    assert name("云岩区  生态局") == name(" 云岩区 生态局 ")  # RFC 4518: inner blanks folded, outer dropped
    assert name("YUNYAN") == name("yunyan")  # case folded
    assert name("云岩区") != name("南明区")


def test_only_short_texts_are_remembered_and_refusals_never() -> None:
    calls: list[str] = []

    def prepare(_self: Any, string: str) -> str:
        calls.append(string)
        if "\ufffd" in string:
            raise ValueError("prohibited")
        return string.strip()

    fast = remembering(prepare)
    long = "x" * (MAX_REMEMBERED + 1)
    for _ in range(3):
        assert fast(None, " 云岩区 ") == "云岩区"
        assert fast(None, long) == long
        try:
            fast(None, "坏\ufffd")
        except ValueError as exc:
            assert str(exc) == "prohibited"
        else:
            raise AssertionError("a refusal must be refused every time")
    assert calls.count(" 云岩区 ") == 1  # remembered
    assert calls.count(long) == 3  # too long to keep
    assert calls.count("坏\ufffd") == 3  # refusals are never kept
