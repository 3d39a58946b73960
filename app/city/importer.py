"""The city's import of district submissions: verify each file, keep every valid revision, the latest one counts.

A file is verified completely before anything of it is stored, and stored in one transaction, so a refused file
leaves no trace. Importing the same file again changes nothing. See ``docs/submission-format.md``.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.engine.cancel import CancelToken
from app.engine.numbers import NumberError
from app.engine.periods import Period, PeriodError
from app.storage import sql
from app.storage.db import Database
from app.storage.models import Catalog, Indicator, Unit, utcnow
from app.storage.store import LOCKED
from app.submissions.payload import check_indicator, figure
from app.submissions.signing import VerificationError, payload_hash
from app.submissions.verify import (
    SUFFIXES,
    TrustedTime,
    VerdictData,
    not_ours,
    verdict_data,
    verdicts_data,
    verify_submission,
)
from app.submissions.workers import Lane, lanes_for, pdfs_pile_up, spawn_pool
from app.trust.canonical import canonical_text
from app.trust.keys import KeyStore

log = logging.getLogger(__name__)

# Outcome of one file: stored (accepted, superseded), already held (duplicate), or refused with its reason.
LABELS = {
    "accepted": "已导入",
    "superseded": "已导入（已有更新版本）",
    "duplicate": "已导入过",
    "conflict": "版本冲突",
    "altered": "签名后被改动",
    "signature_invalid": "签名无效",
    "unknown_certificate": "证书未知或非市级签发",
    "wrong_signer": "签名单位不符",
    "wrong_template": "模板版本或报告期不符",
    "wrong_unit": "单位不在本市",
    "malformed": "报送数据不合规",
    "not_tianbao": "不是报送文件",
    "unreadable": "无法读取",
    "receipt_mismatch": "回执与文件不符",
    "receipt_invalid": "回执无效",
    "cancelled": "已取消",
}
STORED = frozenset({"accepted", "superseded", "duplicate"})


@dataclass(frozen=True)
class FileResult:
    file: str
    status: str
    message: str
    unit: str | None = None
    unit_name: str | None = None
    period: str | None = None
    revision: int | None = None
    submission_id: str | None = None
    # The stored revision's row (this file's, or the same revision held already); not part of what is reported.
    stored_id: int | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status in STORED

    @property
    def label(self) -> str:
        return LABELS.get(self.status, self.status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "label": self.label,
            "message": self.message,
            "unit": self.unit,
            "unit_name": self.unit_name,
            "period": self.period,
            "revision": self.revision,
            "submission_id": self.submission_id,
        }


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """The submission files named, with folders searched (recursively), in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            found.append(path)
    return found


def upload_envelope(data: bytes, suffix: str) -> dict[str, Any]:
    """The envelope a submission file's bytes carry, not verified (what a sender knows it is sending)."""
    if suffix == ".xlsx":
        from app.submissions.verify_xlsx import read_envelope_xlsx_bytes

        return read_envelope_xlsx_bytes(data)
    if suffix == ".pdf":
        from app.submissions.verify_pdf import read_envelope_pdf_bytes

        return read_envelope_pdf_bytes(data)
    raise VerificationError("not_tianbao", not_ours(suffix))


# Files stored per commit: each commit is a durable write (synchronous=FULL), which is a large part of a file's
# cost; a batch keeps that small, and a refused file never adds anything to a batch (see _store).
BATCH = 50


def import_submissions(
    db: Database,
    keys: KeyStore,
    paths: Iterable[Path],
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    receipts: dict[Path, TrustedTime] | None = None,
) -> list[FileResult]:
    """Verify and store each submission file; one result per file, in order.

    Verification (most of the cost) runs in ``workers`` processes side by side — by default one per CPU for
    more than a handful of files, PDFs kept to some of them (:class:`_Lanes`); storing stays in this process, one
    file after another, in file order.
    A file with a city receipt in ``receipts`` has its unit certificate judged at the receipt's time.
    Results are final once this returns: everything stored is committed by then.
    """
    files = collect_files(paths)
    city_ca = keys.city_certificate()
    ca_pem = city_ca.public_bytes(serialization.Encoding.PEM)
    count = workers if workers is not None else (os.cpu_count() or 1)
    results: list[FileResult] = []
    with contextlib.ExitStack() as stack:
        times = [(receipts or {}).get(p) for p in files]
        verdicts: Iterator[VerdictData]
        if count > 1 and len(files) >= PARALLEL_FROM:
            lanes = _Lanes(files, ca_pem, times, count)
            # Stopping early (cancelled, or the processes broken) drops the verifications not finished instead of
            # waiting for them: a process may be in the middle of a chunk, or still loading what PDFs need.
            stack.callback(lambda: lanes.close(kill=len(results) < len(files)))
            verdicts = lanes.verdicts()
        else:
            verdicts = (verdict_data(str(p), ca_pem, t) for p, t in zip(files, times, strict=True))
        batch = _Batch(stack.enter_context(db.session()))
        left = "导入已取消，此文件未处理"
        for path in files:
            # Checked before each file: the file in hand is finished, the rest are left.
            if cancel is not None and cancel.cancelled:
                break
            try:
                verdict = next(verdicts)
            except VerifierBroken as exc:  # what is stored so far is kept, as when cancelled
                log.error("%s", exc)
                left = f"{exc}；此文件未处理"
                break
            results.append(batch.store(path, verdict))
            if len(results) % BATCH == 0:
                batch.commit()
            if progress is not None:
                progress(len(results), len(files))
        batch.commit()
    results += [FileResult(str(p), "cancelled", left) for p in files[len(results) :]]
    return results


# Below this many files, starting worker processes (about half a second each) costs more than it saves.
PARALLEL_FROM = 40


# Files a process is given at a time: one round trip for several small files.
CHUNK = 4
# How far the processes may verify ahead of the file being stored, in files: what waits is held in memory.
AHEAD = 200
# How long the verdicts wait for work to come back before they look for a pool that broke without a word.
STALL_S = 5.0
# The verdict of a file whose verification process died under it, alone (see _Lanes).
CRASHED: VerdictData = (False, "unreadable", "核验此文件时核验进程意外退出（文件可能已损坏或过于复杂），未导入")


class VerifierBroken(RuntimeError):
    """The verification processes cannot work at all (not one file's doing)."""


class _Lanes:
    """The worker processes of a large import, in the two lanes of :mod:`app.submissions.workers`: the PDF
    processes verify the PDFs, and the oldest workbooks as they come; the others verify only workbooks, unless PDFs
    pile up. Work is handed out here, in this thread, as earlier work comes back; the verdicts are given in file
    order, for storing.

    A process that dies (a crash in a library, the system ending it for its memory) takes its pool's unfinished
    work with it. Its lane gets a new pool, and those files go again, one at a time, to a lane of one process of
    their own (:attr:`alone`): a file during which that process dies twice, each time in a new pool, is the one to
    blame and is refused (:data:`CRASHED`); the others get their own verdicts. One such file never costs another
    its import. Each new lone pool first runs an empty job: if even that dies, the processes cannot work at all
    and the import stops with :class:`VerifierBroken` instead of blaming every file."""

    def __init__(
        self,
        files: list[Path],
        ca_pem: bytes,
        times: list[TrustedTime | None],
        count: int,
        pool: Callable[[int], Executor] | None = None,
        job: Callable[[list[str], bytes, list[TrustedTime | None]], list[VerdictData]] = verdicts_data,
    ) -> None:
        """``pool`` makes a lane's pool of ``n`` workers (default: processes) and ``job`` verifies a chunk of
        files in one; other ones let a test drive the handing out with its own timing."""
        self.paths = [str(p) for p in files]
        self.ca_pem, self.times, self.job = ca_pem, times, job
        self.make_pool = pool or spawn_pool
        self.lanes = lanes_for(count, self.make_pool)
        self.alone: Lane | None = None  # one process, one file at a time: the files a dead process had
        self.pdfs: deque[int] = deque(i for i, p in enumerate(files) if p.suffix.lower() == ".pdf")
        self.workbooks: deque[int] = deque(i for i, p in enumerate(files) if p.suffix.lower() != ".pdf")
        self.running: dict[Future[list[VerdictData]], tuple[Lane, list[int]]] = {}
        self.ready: dict[int, VerdictData] = {}
        self.position = 0
        self.suspects: list[int] = []  # files a dead process had, to go again one at a time; a heap
        self.deaths: dict[int, int] = {}  # a suspect: how often the lone process died with it

    def verdicts(self) -> Iterator[VerdictData]:
        for position in range(len(self.paths)):
            # Every step moves the window on: work it now reaches is handed out even when nothing came back.
            self.position = position
            self._collect()
            while position not in self.ready:
                if not self.running:  # cannot happen: the file in hand is always handed out by now
                    raise RuntimeError(f"核验进程没有领到第 {position + 1} 个文件")
                done, _ = wait(self.running, timeout=STALL_S, return_when=FIRST_COMPLETED)
                if not done:  # nothing came back for a while: look for a pool that broke without a word
                    for lane in list(self.lanes):
                        self._unfinished(lane, lane.found_broken())
                self._collect()
            yield self.ready.pop(position)

    def _collect(self) -> None:
        """Take in the work that came back, and hand out more."""
        for future in [future for future in self.running if future.done()]:
            lane, chunk = self.running.pop(future)
            unfinished = lane.take(future)
            try:
                verdicts = future.result()
            except BrokenExecutor:
                self._died(lane, chunk)
                self._unfinished(lane, unfinished)
                continue
            self.ready.update(zip(chunk, verdicts, strict=True))
        self._hand_out()

    def _died(self, lane: Lane, chunk: list[int]) -> None:
        """A process of ``lane`` died with ``chunk`` unfinished (perhaps not even started)."""
        if lane is self.alone and not chunk:
            raise VerifierBroken("核验进程无法运行（新启动的核验进程未核验任何文件即退出），导入已停止")
        if lane is self.alone:
            (index,) = chunk
            self.deaths[index] = self.deaths.get(index, 0) + 1
            if self.deaths[index] >= 2:
                log.warning("核验 %s 时核验进程两次意外退出，未导入", self.paths[index])
                self.ready[index] = CRASHED
            else:
                heapq.heappush(self.suspects, index)
        else:
            log.warning("核验进程意外退出，%d 个文件将逐个重新核验", len(chunk))
            for index in chunk:
                heapq.heappush(self.suspects, index)
            if self.alone is None:
                self.alone = Lane(1, pdf=False, make=self.make_pool)
                self.lanes.append(self.alone)

    def _renew(self, lane: Lane) -> None:
        # Waited for: once the broken pool's own thread has ended, nothing more happens to its futures.
        self._unfinished(lane, lane.renew())

    def _unfinished(self, lane: Lane, futures: list[Future[Any]]) -> None:
        """The work a broken pool of ``lane`` left unfinished: the dead process's too."""
        for future in futures:
            self._died(lane, self.running.pop(future)[1])

    def _hand_out(self) -> None:
        # Two chunks per process: the next one is there when a process finishes, not after a round trip.
        for lane in self.lanes:
            # The lone process has one file at a time, so that its death names the file.
            while lane.busy < (1 if lane is self.alone else 2 * lane.size):
                if lane is self.alone and lane.pool is None:
                    # A new lone pool's first job has nothing to verify: its process dying says the processes
                    # cannot run at all (not one file's doing).
                    self.running[lane.submit(self.job, [], self.ca_pem, [])] = (lane, [])
                    break
                chunk = self._next(lane)
                if not chunk:
                    break
                paths = [self.paths[i] for i in chunk]
                times = [self.times[i] for i in chunk]
                try:
                    future = lane.submit(self.job, paths, self.ca_pem, times)
                except BrokenExecutor:  # a process died before its unfinished work came back (that work says so)
                    self._renew(lane)
                    if lane is self.alone:  # its new pool first runs the empty job; the file waits
                        heapq.heappush(self.suspects, chunk[0])
                        continue
                    future = lane.submit(self.job, paths, self.ca_pem, times)
                self.running[future] = (lane, chunk)

    def _next(self, lane: Lane) -> list[int]:
        """The files a process of ``lane`` is given next: a PDF, or a few workbooks, in file order."""
        if lane is self.alone:
            return [heapq.heappop(self.suspects)] if self.suspects else []
        limit = self.position + AHEAD
        pdf_ready = bool(self.pdfs) and self.pdfs[0] < limit
        if not lane.pdf and pdf_ready and not (self.workbooks and self.workbooks[0] < limit):
            waiting = sum(1 for _ in itertools.takewhile(lambda i: i < limit, self.pdfs))  # in file order
            lane.pdf = pdfs_pile_up(waiting, self.lanes)
        # A PDF process takes the oldest file left, PDF or workbook: it keeps pace with the workbook processes,
        # which run ahead on the workbooks, so the PDFs left behind come to it in file order.
        if lane.pdf and pdf_ready and (not self.workbooks or self.pdfs[0] < self.workbooks[0]):
            return [self.pdfs.popleft()]
        chunk: list[int] = []
        while self.workbooks and len(chunk) < CHUNK and self.workbooks[0] < limit:
            chunk.append(self.workbooks.popleft())
        return chunk

    def close(self, kill: bool = False) -> None:
        for lane in self.lanes:
            lane.close(kill=kill)


class _Batch:
    """Files stored since the last commit. Each file is stored on its own: should storing one fail unexpectedly,
    the session is rolled back to the last commit and the files stored since are stored again, so that one
    file's failure never takes another's with it (SQLite savepoints through pysqlite would commit each file)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pending: list[tuple[Path, dict[str, Any], str, str | None]] = []

    def store(self, path: Path, verdict: VerdictData) -> FileResult:
        if not verdict[0]:
            return FileResult(str(path), verdict[1], verdict[2])
        _, envelope, digest, text = verdict
        try:
            result = store_envelope(self.session, path, envelope, digest, text)
        except Exception:
            log.warning("导入 %s 时出错", path, exc_info=True)
            self.session.rollback()
            for earlier, kept, kept_digest, kept_text in self.pending:
                store_envelope(self.session, earlier, kept, kept_digest, kept_text)
            return FileResult(str(path), "unreadable", "导入此文件时出错，未导入（详情已记入日志）")
        if result.status in ("accepted", "superseded"):
            self.pending.append((path, envelope, digest, text))
        return result

    def commit(self) -> None:
        self.session.commit()
        self.pending.clear()


def store_envelope(
    session: Session, path: Path, envelope: dict[str, Any], digest: str | None = None, text: str | None = None
) -> FileResult:
    """Store one verified envelope in ``session`` (not committed); its outcome. A refusal adds nothing. ``digest``
    is the payload's hash and ``text`` the envelope's canonical JSON text, when the caller has them already (the
    verification of a file read them)."""
    payload = envelope["payload"]
    base = {
        "unit": payload["unit"]["code"],
        "unit_name": payload["unit"]["name"],
        "period": payload["period"],
        "revision": payload["revision"],
        "submission_id": payload["submission_id"],
    }
    try:
        status, message, stored_id = _store(session, path, envelope, digest, text)
    except _Refused as exc:
        return FileResult(str(path), exc.status, str(exc), **base)
    except VerificationError as exc:
        return FileResult(str(path), exc.reason, str(exc), **base)
    except sqlite3.Error as exc:
        # Raised by the statements run on the session's own SQLite connection: given to the caller as SQLAlchemy
        # gives every other database error, so that a collision with another writer (a lock, the same revision
        # stored meanwhile) is recognised and retried as before (see app/transport/intake.py).
        raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc
    return FileResult(str(path), status, message, **base, stored_id=stored_id)


def import_submission(db: Database, city_ca: Any, source: bytes | Path, name: str = "") -> FileResult:
    """Verify one file (its bytes, e.g. an upload, or a path) and store it in its own transaction; never raises
    for anything in the file."""
    shown = name or str(source if isinstance(source, Path) else "上传的文件")
    verdict = verify_submission(source, city_ca, name=name)
    if verdict.envelope is None:
        return FileResult(shown, verdict.reason or "unreadable", verdict.message)
    try:
        with db.transaction() as session:
            return store_envelope(session, Path(shown), verdict.envelope, verdict.digest, verdict.text)
    except Exception:
        log.warning("导入 %s 时出错", shown, exc_info=True)
        return FileResult(shown, "unreadable", "导入此文件时出错，未导入（详情已记入日志）")


class _Refused(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _Template:
    """What storing a file needs of the template it names, read once per session (templates do not change while
    files are imported)."""

    id: int
    code: str
    year: int
    content_hash: str
    # code -> (indicator id, kind, decimals, numerator decimals, denominator decimals)
    indicators: dict[str, tuple[int, str, int, int | None, int | None]]


def _cached(session: Session) -> dict[Any, Any]:
    cache: dict[Any, Any] = session.info.setdefault("tianbao.import", {})
    return cache


def _store(
    session: Session, path: Path, envelope: dict[str, Any], digest: str | None, text: str | None
) -> tuple[str, str, int]:
    """(status, message, the stored revision's row id)."""
    payload = envelope["payload"]
    catalog, period, unit = _target(session, payload)
    revision = int(payload["revision"])
    digest = digest or payload_hash(payload)
    source = _source(session)
    held = sql.rows(source, _HELD, {"unit_id": unit.id, "period": str(period), "catalog_code": catalog.code})
    same = [(held_id, held_hash) for held_id, held_revision, held_hash in held if held_revision == revision]
    if same:
        held_id, held_hash = same[0]
        if held_hash == digest:
            return "duplicate", f"第 {revision} 版已导入过，未作更改", held_id
        raise _Refused("conflict", f"已有内容不同的第 {revision} 版（{held_hash or '未签名'}），未导入")
    # Everything that can refuse the file is checked before anything is added, so a refusal leaves the
    # session (and the batch it belongs to) untouched.
    rows = _value_rows(catalog, payload["indicators"])
    stored_id = _add_submission(source, path, envelope, text, catalog, period, unit, digest, rows)
    newer = [held_revision for _, held_revision, _ in held if held_revision > revision]
    if newer:
        return "superseded", f"已导入第 {revision} 版；已有更新的第 {max(newer)} 版，以新版为准", stored_id
    return "accepted", f"已导入第 {revision} 版", stored_id


def _template(session: Session, code: Any, version: Any, year: Any) -> _Template | None:
    cache = _cached(session)
    key = ("catalog", code, version, year)
    if key not in cache:
        catalog = session.scalar(
            select(Catalog).where(Catalog.code == code, Catalog.version == version, Catalog.year == year)
        )
        cache[key] = None
        if catalog is not None:
            indicators = session.execute(
                select(
                    Indicator.code,
                    Indicator.id,
                    Indicator.kind,
                    Indicator.decimals,
                    Indicator.numerator_decimals,
                    Indicator.denominator_decimals,
                ).where(Indicator.catalog_id == catalog.id)
            )
            cache[key] = _Template(
                catalog.id,
                catalog.code,
                catalog.year,
                catalog.content_hash,
                {row[0]: tuple(row[1:]) for row in indicators},  # type: ignore[misc]
            )
    template: _Template | None = cache[key]
    return template


def _unit(session: Session, code: Any) -> tuple[int, str, int | None] | None:
    """(id, code, parent id) of the unit ``code``."""
    cache = _cached(session)
    key = ("unit", code)
    if key not in cache:
        row = session.execute(select(Unit.id, Unit.code, Unit.parent_id).where(Unit.code == code)).first()
        cache[key] = None if row is None else tuple(row)
    unit: tuple[int, str, int | None] | None = cache[key]
    return unit


@dataclass(frozen=True)
class _UnitRef:
    id: int
    code: str


def _target(session: Session, payload: dict[str, Any]) -> tuple[_Template, Period, _UnitRef]:
    """The template, period and unit a payload is for, as this database holds them; refused when any is not."""
    cat = payload["catalog"]
    catalog = _template(session, cat["code"], cat["version"], cat["year"])
    if catalog is None or catalog.content_hash != cat["content_hash"]:
        raise _Refused(
            "wrong_template",
            f"报送使用的模板 {cat['code']} {cat['year']} 年 {cat['version']} 版与本机导入的不一致，请先导入相同的模板",
        )
    try:
        period = Period.parse(str(payload["period"]))
    except PeriodError as exc:
        raise _Refused("wrong_template", str(exc)) from exc
    if period.year != catalog.year:
        raise _Refused("wrong_template", f"报告期 {period} 不属于 {catalog.year} 年度的模板")
    unit = _unit(session, payload["unit"]["code"])
    if unit is None or unit[2] is None:
        raise _Refused("wrong_unit", f"单位 {payload['unit']['code']} 不是本市的报送单位")
    return catalog, period, _UnitRef(unit[0], unit[1])


ValueRow = tuple[int, str | None, str | None, str | None, str]


def _value_rows(catalog: _Template, indicators: list[dict[str, Any]]) -> list[ValueRow]:
    """The values to store, one per indicator that has anything (indicator id, value, numerator, denominator as
    their stored texts, explanation); refused when an indicator is not the template's (code, kind, decimals) or a
    figure is not written as the template declares it."""
    rows: list[ValueRow] = []
    for item in indicators:
        code = item["code"]
        spec = catalog.indicators.get(code)
        if spec is None:
            raise VerificationError("malformed", f"报送数据格式不合规：指标 {code} 不在模板中")
        indicator_id, kind, decimals, numerator_decimals, denominator_decimals = spec
        # The value is checked against the template's decimals there, and its figure then found remembered.
        check_indicator(item, decimals=decimals, kind=kind)
        try:
            value = _stored(item["value"], decimals, "") if kind == "base" else None
            numerator = _stored(item.get("numerator"), numerator_decimals) if kind == "ratio" else None
            denominator = _stored(item.get("denominator"), denominator_decimals) if kind == "ratio" else None
        except NumberError as exc:
            raise VerificationError("malformed", f"报送数据格式不合规：指标 {code} 的数值无效：{exc}") from exc
        explanation = str(item.get("explanation") or "")
        if value is not None or numerator is not None or denominator is not None or explanation:
            rows.append((indicator_id, value, numerator, denominator, explanation))
    return rows


# Plain statements, written once for both databases (see app/storage/sql.py): nothing reads these rows back here,
# and SQLAlchemy's handling of each statement and each row's parameters was most of the cost of storing a file.
_INSERT_SUBMISSION = (
    "INSERT INTO submissions (catalog_id, unit_id, period, revision, status, created_at, locked_at, locked_by, "
    "payload_hash, signature) VALUES (:catalog_id, :unit_id, :period, :revision, :status, :created_at, :locked_at, "
    ":locked_by, :payload_hash, :signature)"
)
_VALUE_COLUMNS = (
    "submission_id",
    "indicator_id",
    "value",
    "numerator",
    "denominator",
    "explanation",
    "updated_at",
    "updated_by",
)
_INSERT_VALUES = (
    f"INSERT INTO submission_values ({', '.join(_VALUE_COLUMNS)}) VALUES ({', '.join('?' for _ in _VALUE_COLUMNS)})"
)
_INSERT_AUDIT = (
    'INSERT INTO audit_log (at, "user", action, submission_id, unit_code, period, revision, indicator_code, field, '
    "old, new, detail) VALUES (:at, 'city-import', 'import', :submission_id, :unit_code, :period, :revision, '', '', "
    "NULL, NULL, :detail)"
)
# The revisions already held of a unit's period under a template code.
_HELD = (
    "SELECT s.id, s.revision, s.payload_hash FROM submissions s JOIN catalogs c ON c.id = s.catalog_id "
    "WHERE s.unit_id = :unit_id AND s.period = :period AND c.code = :catalog_code"
)


def _source(session: Session) -> sql.Source:
    """Where the statements run: on SQLite the session's own driver connection, in its transaction (a commit or
    rollback of the session takes them with it); on a server, the session."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        return driver
    return session


def _add_submission(
    source: sql.Source,
    path: Path,
    envelope: dict[str, Any],
    text: str | None,
    catalog: _Template,
    period: Period,
    unit: _UnitRef,
    digest: str,
    rows: list[ValueRow],
) -> int:
    """The locked revision, its values and the audit entry, written in the session's transaction; the revision's
    row id."""
    payload = envelope["payload"]
    revision = int(payload["revision"])
    signer = str(payload["signer"].get("user", ""))
    now = utcnow()
    sub_id = sql.insert(
        source,
        _INSERT_SUBMISSION,
        {
            "catalog_id": catalog.id,
            "unit_id": unit.id,
            "period": str(period),
            "revision": revision,
            "status": LOCKED,
            "created_at": now,
            "locked_at": payload["signed_at"],
            "locked_by": signer,
            "payload_hash": digest,
            # the text the file carried, when its verification read it whole: canonical JSON either way
            "signature": canonical_text(envelope) if text is None else text,
        },
    )
    _insert_values(
        source,
        [
            (sub_id, indicator_id, value, numerator, denominator, explanation, now, signer)
            for indicator_id, value, numerator, denominator, explanation in rows
        ],
    )
    sql.run(
        source,
        _INSERT_AUDIT,
        {
            "submission_id": sub_id,
            "at": now,
            "unit_code": unit.code,
            "period": str(period),
            "revision": revision,
            "detail": f"{path.name}：报送编号 {payload['submission_id']}",
        },
    )
    return sub_id


def _insert_values(source: sql.Source, rows: list[tuple[Any, ...]]) -> None:
    """Insert a revision's values (rows in the order of :data:`_VALUE_COLUMNS`, figures as their exact text).

    On PostgreSQL with one ``COPY``: a statement per value (what a driver's executemany sends) was most of the
    database's and the service's work in storing an upload."""
    if not rows:
        return
    if isinstance(source, sqlite3.Connection):
        source.executemany(_INSERT_VALUES, rows)
        return
    driver = source.connection().connection.driver_connection
    assert driver is not None
    statement = f"COPY submission_values ({', '.join(_VALUE_COLUMNS)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _stored(text: Any, places: int | None, what: str = "数值") -> str | None:
    """The text a figure is stored as; ``None`` for none."""
    if text is None or text == "":
        return None
    return figure(text, places, what)[1]
