"""asn1crypto's preparation of a certificate name's values for comparison, remembered by text.

Validating a PDF signature, pyHanko compares the issuer names of certificates with the ones the signature's
attributes name, and two names are equal when their values are after RFC 4518's string preparation (RFC 5280,
7.1). asn1crypto prepares a value once per parsed certificate object, and every PDF brings its certificates parsed
anew: the same few names (the city CA's, the unit's) were prepared again and again, some 3 % of a PDF's
verification. :func:`install` remembers the prepared text of short values; the preparation depends on the text
alone (asn1crypto's method never reads its object), and what it refuses is refused every time, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from app.memo import remembered_if_short

# Names of certificates this program issues are far shorter; a hostile certificate's longer ones are prepared
# every time, as asn1crypto does, and never kept.
MAX_REMEMBERED = 256


def remembering(original: Callable[[Any, str], str]) -> Callable[[Any, str], str]:
    """asn1crypto's ``NameTypeAndValue._ldap_string_prep`` with its answers for short texts remembered."""

    @remembered_if_short(256, lambda string: len(string) if type(string) is str else MAX_REMEMBERED + 1, MAX_REMEMBERED)
    def prepared(string: str) -> str:
        return original(None, string)  # the method never reads its object

    def _ldap_string_prep(self: Any, string: str) -> str:
        return prepared(string)

    _ldap_string_prep.__wrapped__ = original  # type: ignore[attr-defined]
    return _ldap_string_prep


@cache
def install() -> None:
    """Remember prepared name values in this process (once per process)."""
    from asn1crypto import x509

    original = x509.NameTypeAndValue._ldap_string_prep
    if getattr(original, "__module__", None) != x509.__name__:
        return  # not asn1crypto's own: leave whatever is there alone
    x509.NameTypeAndValue._ldap_string_prep = remembering(original)
