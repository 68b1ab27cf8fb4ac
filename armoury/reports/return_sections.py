"""The sections of the monthly stock return beside its figures: the weapons lost, recovered, transferred and
destroyed in the period (with their serials), the facility's open investigations and its last count."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from armoury.domain.enums import Register, Whereabouts
from armoury.i18n import _
from armoury.reports.return_figures import naive_utc


@dataclass(frozen=True)
class MovedWeapon:
    seq: int
    recorded_at: datetime
    serial: str
    item_type: str
    register: Register
    operation: str
    detail: str
    document_ref: str


@dataclass(frozen=True)
class OpenInvestigation:
    number: str
    kind: str
    occurred_at: datetime
    place: str
    weapons: int
    days_open: int


@dataclass(frozen=True)
class LastCount:
    number: str
    count_type: str
    started_at: datetime
    closed_at: datetime | None
    expected: int
    found: int
    missing: int
    unexpected: int
    left_open: int
    checkpoint: str


_LIST_SQL = {
    "lost": "i.operation = 'loss_report' AND i.from_facility_id = :f",
    "recovered": "i.operation IN ('recover', 'register_recovered') AND i.to_facility_id = :f",
    "transferred": "i.operation = 'transfer_accept' AND (i.from_facility_id = :f OR i.to_facility_id = :f) "
    "AND i.from_facility_id <> i.to_facility_id",
    "destroyed": "i.operation = 'destroy' AND i.from_facility_id = :f",
}


def moved_weapons(session: Session, fid: int, after: int, upto: int, which: str) -> tuple[MovedWeapon, ...]:
    rows = session.execute(
        text(
            "SELECT e.seq, e.recorded_at, w.serial, t.manufacturer, t.model, i.register, i.operation, "
            "i.to_whereabouts, i.from_facility_id, i.to_facility_id, e.document_ref, e.reason, "
            "ff.code, tf.code, e.payload "
            "FROM ledger_items i JOIN ledger_entries e ON e.seq = i.entry_seq "
            "JOIN weapons w ON w.id = i.weapon_id JOIN item_types t ON t.id = w.item_type_id "
            "LEFT JOIN facilities ff ON ff.id = i.from_facility_id "
            "LEFT JOIN facilities tf ON tf.id = i.to_facility_id "
            f"WHERE i.entry_seq > :a AND i.entry_seq <= :b AND {_LIST_SQL[which]} "
            "ORDER BY e.seq, i.line"
        ),
        {"f": fid, "a": after, "b": upto},
    )
    out = []
    for (
        seq,
        at,
        serial,
        manufacturer,
        model,
        register,
        operation,
        to_where,
        f_from,
        _f_to,
        ref,
        reason,
        c_from,
        c_to,
        payload_text,
    ) in rows:
        if which == "lost":
            detail = Whereabouts(to_where).label
        elif which == "transferred":
            detail = (
                _("Out to {facility}").format(facility=c_to)
                if f_from == fid
                else _("In from {facility}").format(facility=c_from)
            )
        else:
            detail = _payload_detail(payload_text, reason or "")
        out.append(
            MovedWeapon(
                seq=int(seq),
                recorded_at=_as_utc(at),
                serial=serial,
                item_type=f"{manufacturer} {model}",
                register=Register(register),
                operation=operation,
                detail=detail,
                document_ref=ref or "",
            )
        )
    return tuple(out)


def _payload_detail(payload_text: str | None, reason: str) -> str:
    """The operation's own details worth printing (destruction method, place of recovery), then the reason."""
    try:
        payload = json.loads(payload_text or "{}")
    except ValueError:
        payload = {}
    parts = [str(payload[k]) for k in ("method", "place", "circumstances", "source") if payload.get(k)]
    if reason:
        parts.append(reason)
    return "; ".join(parts)


def _as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _has_tables(session: Session, *names: str) -> bool:
    existing = set(inspect(session.connection()).get_table_names())
    return all(n in existing for n in names)


def open_investigations(session: Session, fid: int, end: datetime) -> tuple[OpenInvestigation, ...]:
    if not _has_tables(session, "incidents", "incident_weapons"):
        return ()
    rows = session.execute(
        text(
            "SELECT n.number, n.kind, n.occurred_at, n.place, "
            "(SELECT count(*) FROM incident_weapons iw WHERE iw.incident_id = n.id) "
            "FROM incidents n WHERE n.facility_id = :f AND n.status = 'open' ORDER BY n.occurred_at"
        ),
        {"f": fid},
    )
    now = min(datetime.now(UTC), end)
    out = []
    for number, kind, occurred, place, weapons in rows:
        occurred_at = _as_utc(occurred)
        out.append(
            OpenInvestigation(
                number=number,
                kind=kind,
                occurred_at=occurred_at,
                place=place or "",
                weapons=int(weapons),
                days_open=max(0, (now - occurred_at).days),
            )
        )
    return tuple(out)


def last_count(session: Session, fid: int, end: datetime) -> LastCount | None:
    """The facility's last closed count before the end of the period, and its differences."""
    if not _has_tables(session, "counts", "count_types", "count_expected", "count_scans"):
        return None
    row = session.execute(
        text(
            "SELECT c.id, c.number, t.name, c.started_at, c.closed_at, c.close_checkpoint "
            "FROM counts c JOIN count_types t ON t.id = c.count_type_id "
            "WHERE c.facility_id = :f AND c.status = 'closed' AND c.closed_at < :end "
            "ORDER BY c.closed_at DESC LIMIT 1"
        ),
        {"f": fid, "end": naive_utc(end)},
    ).first()
    if row is None:
        return None
    count_id = row[0]
    figures = session.execute(
        text(
            "SELECT "
            "(SELECT count(*) FROM count_expected x WHERE x.count_id = :c), "
            "(SELECT count(DISTINCT s.weapon_id) FROM count_scans s JOIN count_expected x "
            " ON x.count_id = s.count_id AND x.weapon_id = s.weapon_id WHERE s.count_id = :c), "
            "(SELECT count(DISTINCT s.weapon_id) FROM count_scans s WHERE s.count_id = :c "
            " AND s.weapon_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM count_expected x "
            " WHERE x.count_id = s.count_id AND x.weapon_id = s.weapon_id)) "
            "+ (SELECT count(*) FROM count_scans s WHERE s.count_id = :c AND s.kind = 'unknown')"
        ),
        {"c": count_id},
    ).one()
    left_open = 0
    if _has_tables(session, "count_resolutions"):
        left_open = int(
            session.execute(
                text("SELECT count(*) FROM count_resolutions WHERE count_id = :c AND action = 'left_open'"),
                {"c": count_id},
            ).scalar()
            or 0
        )
    expected, found, unexpected = (int(v or 0) for v in figures)
    return LastCount(
        number=row[1],
        count_type=row[2],
        started_at=_as_utc(row[3]),
        closed_at=_as_utc(row[4]) if row[4] is not None else None,
        expected=expected,
        found=found,
        missing=expected - found,
        unexpected=unexpected,
        left_open=left_open,
        checkpoint=row[5] or "",
    )
