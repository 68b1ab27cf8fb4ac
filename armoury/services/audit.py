"""The security audit trail: an append-only, hash-chained table.

Each entry is numbered (1, 2, 3, ... without gaps) and carries the SHA-256 hash of the previous entry;
its own hash covers its number, time, action, people, subject, facility and details. Database triggers
refuse UPDATE and DELETE on the table (SQLite and PostgreSQL). :func:`verify_audit_chain` recomputes the
chain and names the first entry that does not match, so an entry edited, deleted, inserted or moved by raw
SQL (with the triggers dropped) is found.

Write an entry in the same unit of work as the action it records (``record(session, ...)``), so that the
action and its trace are committed together; or on its own (``record(db, ...)``) for events that must be
kept although the action is refused (failed sign-ins, permission denials).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.i18n import N_, _
from armoury.models.base import utcnow
from armoury.models.security import AuditEvent
from armoury.security.permissions import Actor, Permission

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Any constant: PostgreSQL transactions that append to the trail take this advisory lock in turn.
_PG_LOCK_KEY = 0x41524D4F

# Actions written by the security services. Other areas may record their own (``export``, ``report_printed``).
ACTION_LABELS: dict[str, str] = {
    "sign_in": N_("Signed in"),
    "sign_in_failed": N_("Sign-in failed"),
    "sign_in_refused": N_("Sign-in refused"),
    "account_locked": N_("Account locked"),
    "account_unlocked": N_("Account unlocked"),
    "sign_out": N_("Session ended"),
    "screen_locked": N_("Screen locked"),
    "password_changed": N_("Password changed"),
    "password_reset": N_("Password reset"),
    "password_rehashed": N_("Password hash upgraded"),
    "witness_confirmed": N_("Witness confirmed"),
    "witness_refused": N_("Witness refused"),
    "user_added": N_("User added"),
    "user_disabled": N_("User disabled"),
    "user_enabled": N_("User enabled"),
    "user_changed": N_("User changed"),
    "permission_denied": N_("Permission denied"),
    "setting_changed": N_("Setting changed"),
    "backup": N_("Backup made"),
    "backup_failed": N_("Backup failed"),
    "restore": N_("Database restored"),
    "restore_refused": N_("Restore refused"),
    "export": N_("Data exported"),
    "report_printed": N_("Report printed"),
    "tracing_requested": N_("Tracing request recorded"),
    "tracing_answered": N_("Tracing answer recorded"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    action: str
    actor_user_id: int | None
    actor_name: str
    witness_user_id: int | None
    witness_name: str
    subject: str
    facility_id: int | None
    details: Mapping[str, Any] = field(default_factory=dict)
    entry_hash: str = ""

    @property
    def action_label(self) -> str:
        return action_label(self.action)


@dataclass(frozen=True)
class AuditVerification:
    """What ``armoury verify`` reports about the trail."""

    ok: bool
    first_bad_entry: int | None
    message: str
    entries_checked: int = 0
    head_hash: str = GENESIS_HASH


def _canonical_time(moment: datetime) -> str:
    # Stored as naive UTC with microseconds on both databases; hash exactly that.
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="microseconds")


def entry_hash(
    prev_hash: str,
    entry_id: int,
    occurred_at: datetime,
    action: str,
    actor_user_id: int | None,
    actor_name: str,
    witness_user_id: int | None,
    witness_name: str,
    subject: str,
    facility_id: int | None,
    details: str,
) -> str:
    """The SHA-256 of an entry: the previous hash, then every field in a fixed order as JSON."""
    payload = json.dumps(
        [
            entry_id,
            _canonical_time(occurred_at),
            action,
            actor_user_id,
            actor_name,
            witness_user_id,
            witness_name,
            subject,
            facility_id,
            details,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + "\n" + payload).encode("utf-8")).hexdigest()


def _hash_of(row: AuditEvent) -> str:
    return entry_hash(
        row.prev_hash,
        row.id,
        row.occurred_at,
        row.action,
        row.actor_user_id,
        row.actor_name,
        row.witness_user_id,
        row.witness_name,
        row.subject,
        row.facility_id,
        row.details,
    )


def _append(
    session: Session,
    action: str,
    actor: Actor | None,
    actor_name: str | None,
    subject: str,
    facility_id: int | None,
    witness: Actor | None,
    details: Mapping[str, Any] | None,
    now: datetime | None,
) -> AuditEntry:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.entry_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    entry_id, prev = (1, GENESIS_HASH) if last is None else (last[0] + 1, last[1])
    moment = now or utcnow()
    details_text = json.dumps(dict(details or {}), ensure_ascii=False, sort_keys=True, default=str)
    name = (actor_name if actor_name is not None else (actor.username if actor else ""))[:64]
    row = AuditEvent(
        id=entry_id,
        occurred_at=moment,
        action=action[:64],
        actor_user_id=actor.user_id if actor else None,
        actor_name=name,
        witness_user_id=witness.user_id if witness else None,
        witness_name=witness.username if witness else "",
        subject=subject[:200],
        facility_id=facility_id,
        details=details_text,
        prev_hash=prev,
    )
    row.entry_hash = _hash_of(row)
    session.add(row)
    session.flush()
    return _entry(row)


def record(
    session_or_db: Session | Database,
    actor: Actor | None,
    action: str,
    *,
    subject: str = "",
    facility_id: int | None = None,
    witness: Actor | None = None,
    details: Mapping[str, Any] | None = None,
    actor_name: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the trail.

    With a ``Session`` (a write unit of work) the entry is committed with the action it records; with a
    ``Database`` it is written in its own transaction. ``actor_name`` overrides the name written (for a
    sign-in under an unknown user name). Never put a password or secret in ``details``.
    """
    if isinstance(session_or_db, Database):
        db = session_or_db
        return db.run_write(
            lambda s: _append(s, action, actor, actor_name, subject, facility_id, witness, details, now)
        )
    return _append(session_or_db, action, actor, actor_name, subject, facility_id, witness, details, now)


def record_denial(db: Database, actor: Actor, permission: Permission, facility_id: int | None) -> None:
    """Record a refused action in its own transaction (called by guard.authorize).

    Called before the refused unit of work opens; a failure to write is logged, never hidden behind the
    permission error the user must see.
    """
    try:
        record(
            db,
            actor,
            "permission_denied",
            subject=permission.value,
            facility_id=facility_id,
            details={"permission": permission.value, "role": actor.role.value},
        )
    except Exception:
        log.exception("could not record the permission denial of %s for %s", permission, actor.username)


def _entry(row: AuditEvent) -> AuditEntry:
    try:
        details = json.loads(row.details)
    except ValueError:
        details = {"raw": row.details}
    return AuditEntry(
        id=row.id,
        occurred_at=row.occurred_at,
        action=row.action,
        actor_user_id=row.actor_user_id,
        actor_name=row.actor_name,
        witness_user_id=row.witness_user_id,
        witness_name=row.witness_name,
        subject=row.subject,
        facility_id=row.facility_id,
        details=details if isinstance(details, dict) else {"value": details},
        entry_hash=row.entry_hash,
    )


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_name: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None


def list_events(
    db: Database,
    actor: Actor,
    where: AuditFilter | None = None,
    limit: int = 200,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """The newest entries first (``before_id`` pages back), for the administrator and the auditor."""
    from armoury.services.guard import authorize

    authorize(db, actor, Permission.VIEW_AUDIT)
    where = where or AuditFilter()
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(max(1, min(limit, 10_000)))
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    if where.actor_name:
        name = where.actor_name.strip().lower()
        query = query.where((AuditEvent.actor_name == name) | (AuditEvent.witness_name == name))
    if where.since is not None:
        query = query.where(AuditEvent.occurred_at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.occurred_at < where.until)
    if where.text:
        pattern = "%" + where.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            AuditEvent.subject.like(pattern, escape="\\") | AuditEvent.details.like(pattern, escape="\\")
        )
    with db.read() as session:
        return [_entry(row) for row in session.scalars(query)]


def count_events(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def verify_audit_chain(db: Database, progress: Callable[[int], None] | None = None) -> AuditVerification:
    """Recompute the chain from the first entry; name the first entry that does not match.

    Needs no user (``armoury verify`` and restore call it). Reads in one snapshot, streaming the rows.
    """
    expected_id = 1
    prev = GENESIS_HASH
    checked = 0
    with db.read() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000))
        try:
            for row in rows:
                problem = _check_row(row, expected_id, prev)
                if problem is not None:
                    return AuditVerification(False, row.id, problem, checked, prev)
                prev = row.entry_hash
                expected_id += 1
                checked += 1
                if progress is not None and checked % 10_000 == 0:
                    progress(checked)
                session.expunge(row)
        finally:
            rows.close()
    return AuditVerification(
        True,
        None,
        _("The audit trail is intact: {count} entries, every hash matches.").format(count=checked),
        checked,
        prev,
    )


def _check_row(row: AuditEvent, expected_id: int, prev: str) -> str | None:
    if row.id != expected_id:
        if row.id > expected_id:
            return _(
                "Audit entry {entry} follows entry {previous}: entries are missing (deleted or renumbered)."
            ).format(entry=row.id, previous=expected_id - 1)
        return _("Audit entry {entry} is out of sequence.").format(entry=row.id)
    if row.prev_hash != prev:
        return _(
            "Audit entry {entry} does not follow the entry before it: entries were deleted, inserted or "
            "moved."
        ).format(entry=row.id)
    if _hash_of(row) != row.entry_hash:
        return _("Audit entry {entry} was changed after it was written: its hash does not match.").format(
            entry=row.id
        )
    return None
