"""The district's uploader: send what the outbox holds when the intake service answers, wait longer each time it
does not, and fetch what the city offers back (notices, templates) for the clerk to look at.

No Qt and no threads here. The CLI's ``upload`` runs one :func:`deliver_pending` in the foreground; the window runs
:meth:`Uploader.run_round` off the UI thread and waits :meth:`Uploader.next_delay` seconds before the next round.
Each round opens its own database connection (a round runs on another thread than the window's connection).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from app import __version__
from app.engine.cancel import CancelToken
from app.storage.db import Database
from app.submissions.export_xlsx import submission_xlsx_bytes
from app.transport import outbox
from app.transport.receipts import ReceiptError
from app.transport.settings import POLL_SECONDS, SOON_SECONDS
from app.trust.keys import KeyStore

if TYPE_CHECKING:
    from app.transport.client import IntakeClient, RequestSigner

# The HTTP client (httpx) is imported by what sends or fetches: the window builds its outbox indicator at start,
# long before anything is sent, and a start should not pay for it.

log = logging.getLogger(__name__)

TEMPLATE_POLL_SECONDS = 3600.0


class NotReady(RuntimeError):
    """Uploading cannot start at all (no server address, no pinned city certificate); the message says why."""


@dataclass
class Backoff:
    """Exponential backoff with jitter: after ``n`` failures in a row the wait is a random time between half and
    all of ``min(cap, base · 2^(n−1))`` seconds, so districts that lost the network together do not come back
    together."""

    base: float = 10.0
    cap: float = 900.0
    rng: Callable[[], float] = random.random
    failures: int = 0

    def failed(self) -> float:
        """Count a failure and return how long to wait before the next try."""
        self.failures += 1
        ceiling = min(self.cap, self.base * 2 ** min(self.failures - 1, 30))
        return float(ceiling / 2 + self.rng() * ceiling / 2)

    def succeeded(self) -> None:
        self.failures = 0


@dataclass
class Delivery:
    """What one pass over the outbox did."""

    reached: bool = True
    delivered: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (submission id, the server's message)
    error: str | None = None  # why the server counts as unreachable


def city_ca(keys: KeyStore) -> x509.Certificate:
    """The pinned city CA that every receipt must chain to."""
    if not keys.has_city_certificate():
        raise NotReady("本机还没有市级 CA 证书（导入市级签名的模板时会记下），无法核验回执，暂不上报")
    return keys.city_certificate()


def deliver_pending(
    db: Database, client: IntakeClient, ca: x509.Certificate, cancel: CancelToken | None = None
) -> Delivery:
    """Upload every pending submission, oldest first, until the server stops answering.

    Each file is the signed Excel file of the revision, written from its envelope as the clerk would export it.
    Only a verified receipt makes an entry 已送达; a refusal makes it 被拒收; anything else leaves it 待上报 and ends
    the pass (the server is down, or something between pretends to be it).
    """
    from app.transport.client import Refused, Unreachable

    done = Delivery()
    for entry_id in outbox.pending_ids(db):
        if cancel is not None and cancel.cancelled:
            break
        job = outbox.claim(db, entry_id)
        if job is None:
            continue  # sent meanwhile by another program on this database
        try:
            data = submission_xlsx_bytes(job.envelope, __version__)
            receipt = client.upload(data, f"{job.submission_id}.xlsx")
        except Unreachable as exc:
            outbox.release(db, entry_id, str(exc))
            done.reached, done.error = False, str(exc)
            break
        except Refused as exc:
            outbox.mark_refused(db, entry_id, exc.code, str(exc))
            done.refused.append((job.submission_id, str(exc)))
            continue
        except BaseException:
            outbox.release(db, entry_id, "上报时程序出错")
            raise
        try:
            outbox.mark_delivered(db, entry_id, receipt.raw, ca)
        except ReceiptError as exc:
            message = f"回执无效：{exc}"
            outbox.release(db, entry_id, message)
            done.reached, done.error = False, message
            break
        done.delivered.append(job.submission_id)
    if done.reached and (done.delivered or done.refused):
        outbox.record_contact(db)
    return done


@dataclass(frozen=True)
class RoundResult:
    """What a round of the uploader did, for the status bar and the log."""

    address: str | None
    reached: bool
    delivered: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    pending: int = 0
    offered: int = 0
    error: str | None = None


class Uploader:
    """The window's uploader: rounds of sending and fetching, with the backoff between them.

    ``override`` replaces the template's address (设置, for testing). Unlocked request signers (one per unit,
    given after the clerk entered the passphrase) let a round fetch the unit's notices; without one only
    uploads and templates go (they need no key).
    """

    def __init__(
        self,
        db_path: Path,
        keys_folder: Path,
        override: str | None = None,
        timeout: float = 30.0,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.db_path = db_path
        self.poll_seconds = poll_seconds
        self.keys_folder = keys_folder
        self.override = override
        self.timeout = timeout
        self.backoff = Backoff(rng=rng)
        self.signers: dict[str, RequestSigner] = {}
        self._clock = clock
        self._resumed = False
        self._templates_at: float | None = None
        self._client: IntakeClient | None = None
        self._client_key: tuple[str, bytes] | None = None

    def add_signer(self, signer: RequestSigner) -> None:
        """Let rounds fetch ``signer``'s unit's notices (the key stays in memory for this program only)."""
        self.signers[signer.unit_code] = signer

    def run_round(self, cancel: CancelToken | None = None) -> RoundResult:
        """Send what is pending, then fetch what the city offers; a network failure is a result, not an error."""
        db = Database(self.db_path)
        try:
            if not self._resumed:
                outbox.resume_interrupted(db)
                self._resumed = True
            try:
                address = outbox.server_address(db, self.override)
            except outbox.AddressError as exc:
                return RoundResult(None, False, pending=outbox.pending_count(db), error=str(exc))
            if address is None:
                return RoundResult(None, False, pending=outbox.pending_count(db))
            keys = KeyStore(self.keys_folder)
            try:
                ca = city_ca(keys)
            except NotReady as exc:
                return RoundResult(address, False, pending=outbox.pending_count(db), error=str(exc))
            offered = 0
            try:
                client = self._client_for(address, ca)
            except ValueError as exc:  # an address the client will not use (plain http to another machine)
                return RoundResult(address, False, pending=outbox.pending_count(db), error=str(exc))
            done = deliver_pending(db, client, ca, cancel)
            if done.reached and not (cancel is not None and cancel.cancelled):
                offered, done.reached, error = self._fetch(db, keys, client, bool(done.delivered or done.refused))
                done.error = done.error or error
            if done.reached:
                outbox.record_contact(db)
            return RoundResult(
                address,
                done.reached,
                tuple(done.delivered),
                tuple(done.refused),
                outbox.pending_count(db),
                offered,
                done.error,
            )
        finally:
            db.close()

    def _client_for(self, address: str, ca: x509.Certificate) -> IntakeClient:
        """The client of the last round when the address and the city CA are the same: making one loads TLS
        settings, which would be most of what an idle round costs."""
        from app.transport.client import IntakeClient

        key = (address, ca.fingerprint(hashes.SHA256()))
        if self._client is None or self._client_key != key:
            self.close()
            self._client = IntakeClient(address, ca, timeout=self.timeout)
            self._client_key = key
        return self._client

    def close(self) -> None:
        """Close the connection kept between rounds."""
        if self._client is not None:
            self._client.close()
            self._client, self._client_key = None, None

    def _fetch(
        self, db: Database, keys: KeyStore, client: IntakeClient, answered: bool
    ) -> tuple[int, bool, str | None]:
        """Fetch notices (for the units with a signer) and, now and then, templates.

        Returns (documents kept, whether the service answered, why not). When there is nothing to fetch and
        nothing was sent, a health check tells whether the service is there (for the status bar's last contact).
        """
        from app.transport.client import Refused, Unreachable
        from app.transport.inbox import Fetched, fetch_notices, fetch_templates

        done = Fetched()
        try:
            now = self._clock()
            templates_due = self._templates_at is None or now - self._templates_at >= TEMPLATE_POLL_SECONDS
            if templates_due:
                done.add(fetch_templates(db, keys, client))
                self._templates_at = now
            for signer in list(self.signers.values()):
                try:
                    done.add(fetch_notices(db, keys, client, signer))
                except Refused as exc:
                    done.refused.append(f"读取单位 {signer.unit_code} 的通知被拒绝：{exc}")
            if not (templates_due or self.signers or answered) and not client.health():
                return done.kept, False, "上报服务未就绪"
        except Unreachable as exc:
            log.info("intake service unreachable while fetching: %s", exc)
            return done.kept, False, str(exc)
        for why in done.refused:
            log.warning("%s", why)
        return done.kept, True, "；".join(done.refused) or None

    def next_delay(self, result: RoundResult) -> float | None:
        """Seconds until the next round; ``None`` when nothing will happen until the address is set."""
        if result.address is None:
            return None
        if not result.reached:
            return self.backoff.failed()
        self.backoff.succeeded()
        return SOON_SECONDS if result.pending else self.poll_seconds
