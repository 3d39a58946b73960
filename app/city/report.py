"""The city report: the city's aggregated figures, statuses and sentence, signed by the city like a submission.

It is built afresh from what is imported at the moment it is made (it is an output, not a locked revision), so
the same Excel and PDF exports, and the same verification, serve it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.engine.calendar import Punctuality, summarize_timeliness
from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.storage.calendar import punctuality_for
from app.storage.checks import check_unit
from app.storage.db import Database
from app.storage.models import utcnow
from app.storage.store import catalog_for_year, city_code, current_user, latest_submission, unit_by_code
from app.submissions.signing import build_payload, sign_payload
from app.trust.keys import KeyStore, check_issued_by, fingerprint


def city_report_envelope(db: Database, keys: KeyStore, period: Period, passphrase: str) -> dict[str, Any]:
    """A signed envelope of the city's check for ``period``, with the city unit's own certificate."""
    city = city_code(db)
    with db.session() as session:
        result = check_unit(session, city, period)
        catalog = catalog_for_year(session, period.year)
        assert catalog is not None
        unit = unit_by_code(session, city)
        own = None if unit is None else latest_submission(session, unit, period, catalog.code)
        revision = own.revision if own is not None else 1
        content_hash = catalog.content_hash
        # Completeness goes into the signed sentence, so the report says on which units its figures rest.
        children = result.catalog.children_of(city)
        missing, returned = [], []
        for code in children:
            child = unit_by_code(session, code)
            sub = None if child is None else latest_submission(session, child, period, catalog.code)
            spec_unit = result.catalog.unit(code)
            name = spec_unit.name if spec_unit else code
            if sub is None:
                missing.append(name)
            elif sub.status == "returned":
                # Its figures still count until the corrected revision arrives; the report says so.
                returned.append(name)
        judged = punctuality_for(session, result.catalog, period, children)
    cert = keys.unit_certificate(city)
    check_issued_by(cert, keys.city_certificate())
    key = keys.unit_key(city, passphrase)
    payload = build_payload(result, revision, content_hash, fingerprint(cert), current_user(), utcnow())
    payload["report"] = {
        "kind": "city",
        "contributors": _contributors(result),
        "missing_units": missing,
        "returned_units": returned,
    }
    reported = len(children) - len(missing)
    note = f"{len(children)} 个单位中已报送 {reported} 个"
    if missing:
        note += f"，未报送：{'、'.join(missing)}"
    if returned:
        note += f"；已退回待更正（仍按退回的数字计入）：{'、'.join(returned)}"
    payload["summary"] += f"（{note}）"
    if judged:
        payload["report"]["timeliness"] = timeliness_part(result.catalog, children, judged)
    return sign_payload(payload, key, cert)


def timeliness_part(spec: CatalogSpec, codes: list[str], judged: dict[str, Punctuality]) -> dict[str, Any]:
    """The report's 按时 / 逾期 N 天 / 未报 of each unit in template order, the counts, 按时报送率 and the sentence."""
    summary = summarize_timeliness(judged[code] for code in codes)
    units = []
    for code in codes:
        p = judged[code]
        listed = spec.unit(code)
        units.append(
            {
                "code": code,
                "name": listed.name if listed else code,
                "timeliness": p.timeliness.value,
                "days_late": p.days_late,
                "received_at": _utc(p.received_at),
            }
        )
    return {
        "units": units,
        "on_time": summary.on_time,
        "late": summary.late,
        "missing": summary.missing,
        "not_due": summary.not_due,
        "on_time_rate": None if summary.on_time_rate is None else str(summary.on_time_rate),
        "sentence": summary.sentence,
    }


def _utc(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _contributors(result: Any) -> dict[str, int]:
    """How many units each city figure rests on (completeness at a glance)."""
    return {ic.spec.code: len(ic.contributors or []) for ic in result.indicators}
