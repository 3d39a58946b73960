"""What the window reads of the outbox at its start, before anything is sent: the rule for an intake address and
how often to talk to the service."""

from __future__ import annotations

import re

from app.storage.sql import Source
from app.storage.uploads import signed_intake_url

# While the service answers and nothing waits: how often to look for notices.
POLL_SECONDS = 300.0
# After a signing, or while entries wait behind a refused one: the next round comes soon.
SOON_SECONDS = 2.0

# The same rule as the template schema's ``catalog.intake_url``: https with a host name, or plain http to this
# machine only (a test); no user name, query or fragment that could hide where the figures really go.
ADDRESS = re.compile(
    r"^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?|http://(127\.0\.0\.1|localhost)(:[0-9]{1,5})?)(/[A-Za-z0-9._~/-]*)?$"
)


class AddressError(ValueError):
    """A server address that cannot be used; the message says why in Chinese."""


def check_address(text: str) -> str:
    """The address as it will be used (trailing ``/`` removed), or :class:`AddressError`."""
    address = text.strip().rstrip("/")
    if len(address) > 300 or not ADDRESS.match(address):
        raise AddressError(
            f"上报地址“{text.strip()[:80]}”不可用：应为 https://主机名[:端口]，本机测试可用 http://127.0.0.1:端口"
        )
    return address


def address_for(source: Source, override: str | None = None) -> str | None:
    """The address to upload to: ``override`` (设置 or ``--server``, for testing) or the one the newest signed
    template names (:func:`app.storage.uploads.signed_intake_url`); :class:`AddressError` for a bad override."""
    if override and override.strip():
        return check_address(override)
    return signed_intake_url(source)
