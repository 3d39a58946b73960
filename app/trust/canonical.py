"""Canonical JSON: the one text of a document that is hashed and signed — keys sorted, no spaces, text as it is,
encoded as UTF-8. Submissions, templates, notices and receipts are all signed over it."""

from __future__ import annotations

import json
from typing import Any


def canonical_text(value: Any) -> str:
    """The canonical JSON of ``value``."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_bytes(value: Any) -> bytes:
    """The canonical JSON of ``value`` as the bytes that are hashed and signed."""
    return canonical_text(value).encode("utf-8")
