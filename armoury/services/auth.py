"""Signing in, the lockout, password changes and the two-person rule.

* A wrong password is counted; ``security.lockout_attempts`` failures (default 5) within
  ``security.lockout_window_minutes`` (15) lock the account for ``security.lockout_minutes`` (15), unless
  an administrator unlocks it (armoury.services.users.unlock_user).
* Every sign-in, failure, refusal and lockout is written to the audit trail, in its own transaction, so it
  stays recorded although the sign-in is refused.
* A hash made with weaker Argon2 parameters than today's is replaced at the next successful sign-in.
* Time comes from ``now`` (a callable returning an aware UTC datetime) so tests control the clock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import AuthenticationError
from armoury.i18n import _
from armoury.models import User, UserFacility
from armoury.models.base import utcnow
from armoury.security.passwords import HASHER, check_password
from armoury.security.passwords import hash_password as _hash_password
from armoury.security.permissions import Actor, Permission
from armoury.services import audit, settings

Clock = Callable[[], datetime]


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (never store or log the password itself)."""
    return _hash_password(password)


@cache
def _dummy_hash() -> str:
    # Verified against when the user name is unknown, so that a wrong name takes as long as a wrong password.
    return _hash_password("armoury-no-such-user-placeholder")


@dataclass(frozen=True)
class SignInResult:
    actor: Actor
    must_change_password: bool


def has_users(db: Database) -> bool:
    """False on a new database: the first start asks for the first administrator."""
    with db.read() as session:
        return bool(session.scalar(select(exists().where(User.id.is_not(None)))))


def actor_in(session: Session, user: User) -> Actor:
    ids = session.scalars(select(UserFacility.facility_id).where(UserFacility.user_id == user.id)).all()
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        facility_ids=frozenset(ids) if ids else None,
        full_name=user.full_name,
    )


def _format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _locked_error(username: str, until: datetime) -> AuthenticationError:
    return AuthenticationError(
        _("The account {user} is locked until {time} after too many wrong passwords.").format(
            user=username, time=_format_time(until)
        ),
        _("Wait until then, or ask an administrator to unlock it."),
    )


def _wrong_password_error() -> AuthenticationError:
    return AuthenticationError(
        _("Wrong user name or password."), _("Check both and try again; letters' case matters.")
    )


@dataclass(frozen=True)
class _Snapshot:
    id: int
    username: str
    role: Role
    password_hash: str
    locked_until: datetime | None

    @staticmethod
    def of(user: User) -> _Snapshot:
        return _Snapshot(user.id, user.username, user.role, user.password_hash, user.locked_until)


def _check_credentials(db: Database, username: str, password: str, now: Clock | None, purpose: str) -> User:
    """Verify the password and update the lockout counters; return the user row (detached) or raise."""
    clock = now or utcnow
    name = username.strip().lower()
    with db.read() as session:
        found = session.scalar(select(User).where(User.username == name))
        user = _Snapshot.of(found) if found is not None else None
    moment = clock()
    success_action = {"sign_in": "sign_in", "witness": "witness_confirmed"}.get(purpose)
    details = {"purpose": purpose}

    if user is None:
        with contextlib.suppress(VerificationError, InvalidHashError):
            HASHER.verify(_dummy_hash(), password)
        # Only the start of an unknown name is kept: people sometimes type their password there.
        masked = name[:3] + "…" if len(name) > 3 else name
        audit.record(db, None, "sign_in_failed", actor_name=masked, subject=masked, now=moment,
                     details={**details, "reason": "unknown_user"})  # fmt: skip
        raise _wrong_password_error()

    who = Actor(user_id=user.id, username=user.username, role=user.role)
    if user.locked_until is not None and user.locked_until > moment:
        audit.record(db, who, "sign_in_refused", subject=name, now=moment,
                     details={**details, "reason": "locked"})  # fmt: skip
        raise _locked_error(user.username, user.locked_until)

    try:
        valid = bool(HASHER.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        valid = False
    new_hash = hash_password(password) if valid and HASHER.check_needs_rehash(user.password_hash) else None

    def update(session: Session) -> tuple[User, datetime | None]:
        row = session.get(User, user.id)
        assert row is not None
        locked_now: datetime | None = None
        if row.locked_until is not None and row.locked_until > moment:
            # Locked by another workstation's failures since the row was read.
            audit.record(session, who, "sign_in_refused", subject=name, now=moment,
                         details={**details, "reason": "locked"})  # fmt: skip
            return row, row.locked_until
        if not valid:
            policy = settings.lockout_policy_in(session)
            window = timedelta(minutes=policy.window_minutes)
            if row.failures_since is None or moment - row.failures_since > window:
                row.failures_since = moment
                row.failed_attempts = 1
            else:
                row.failed_attempts += 1
            audit.record(session, who, "sign_in_failed", subject=name, now=moment,
                         details={**details, "reason": "wrong_password", "attempt": row.failed_attempts})  # fmt: skip
            if row.failed_attempts >= policy.attempts:
                locked_now = moment + timedelta(minutes=policy.lock_minutes)
                row.locked_until = locked_now
                row.failed_attempts = 0
                row.failures_since = None
                audit.record(session, who, "account_locked", subject=name, now=moment,
                             details={"until": _format_time(locked_now), "minutes": policy.lock_minutes})  # fmt: skip
            return row, locked_now
        if not row.active:
            audit.record(session, who, "sign_in_refused", subject=name, now=moment,
                         details={**details, "reason": "disabled"})  # fmt: skip
            return row, None
        row.failed_attempts = 0
        row.failures_since = None
        row.locked_until = None
        if purpose == "sign_in":
            row.last_sign_in_at = moment
        actor = actor_in(session, row)
        if new_hash is not None:
            row.password_hash = new_hash
            audit.record(session, actor, "password_rehashed", subject=name, now=moment)
        if success_action is not None:
            audit.record(session, actor, success_action, subject=name, now=moment,
                         details={**details, "must_change_password": row.must_change_password})  # fmt: skip
        return row, None

    row, locked_now = db.run_write(update)
    if locked_now is not None:
        raise _locked_error(row.username, locked_now)
    if not valid:
        raise _wrong_password_error()
    if not row.active:
        raise AuthenticationError(
            _("The account {user} is disabled.").format(user=row.username), _("Ask an administrator.")
        )
    return row


def sign_in(db: Database, username: str, password: str, *, now: Clock | None = None) -> SignInResult:
    """Sign in; ``must_change_password`` tells the caller to ask for a new password before anything else."""
    row = _check_credentials(db, username, password, now, "sign_in")
    with db.read() as session:
        user = session.get(User, row.id)
        assert user is not None
        return SignInResult(actor_in(session, user), bool(user.must_change_password))


def authenticate(db: Database, username: str, password: str, *, now: Clock | None = None) -> Actor:
    """Check ``username`` / ``password``; return the signed-in user or raise AuthenticationError.

    A user whose password was reset by an administrator must change it first (``armoury user passwd`` or
    the sign-in screen); until then this refuses.
    """
    result = sign_in(db, username, password, now=now)
    if result.must_change_password:
        raise AuthenticationError(
            _("{user} must change their password before doing anything else.").format(
                user=result.actor.username
            ),
            _("Sign in to the window, or run 'armoury user passwd --user {user}'.").format(
                user=result.actor.username
            ),
        )
    return result.actor


def confirm_witness(
    db: Database, actor: Actor, username: str, password: str, *, now: Clock | None = None
) -> Actor:
    """Sign in a second, different, active user whose role may witness (the two-person rule)."""
    name = username.strip().lower()
    if name == actor.username.lower():
        audit.record(db, actor, "witness_refused", subject=name, now=(now or utcnow)(),
                     details={"reason": "same_user"})  # fmt: skip
        raise AuthenticationError(
            _("The witness must be a different person from the user doing the action."),
            _("Ask a second user to confirm with their own password."),
        )
    row = _check_credentials(db, name, password, now, "witness")
    with db.read() as session:
        user = session.get(User, row.id)
        assert user is not None
        witness = actor_in(session, user)
    if witness.user_id == actor.user_id:
        raise AuthenticationError(
            _("The witness must be a different person from the user doing the action."),
            _("Ask a second user to confirm with their own password."),
        )
    if not witness.can(Permission.WITNESS):
        audit.record(db, actor, "witness_refused", subject=name, now=(now or utcnow)(),
                     details={"reason": "role", "role": witness.role.value})  # fmt: skip
        raise AuthenticationError(
            _("{user}'s role ({role}) may not witness actions.").format(
                user=witness.username, role=witness.role.label
            ),
            _("Ask a storekeeper, commander or inspector to confirm."),
        )
    return witness


def change_password(
    db: Database, actor: Actor, old_password: str, new_password: str, *, now: Clock | None = None
) -> None:
    """Change the signed-in user's own password (the old one is checked and counts towards lockout)."""
    check_password(new_password, actor.username)
    if new_password == old_password:
        from armoury.errors import ValidationError

        raise ValidationError(
            _("The new password must differ from the old one."),
            _("Choose a password you have not used here."),
        )
    row = _check_credentials(db, actor.username, old_password, now, "change_password")
    new_hash = hash_password(new_password)
    moment = (now or utcnow)()

    def work(session: Session) -> None:
        user = session.get(User, row.id)
        assert user is not None
        user.password_hash = new_hash
        user.must_change_password = False
        user.password_changed_at = moment
        audit.record(session, actor, "password_changed", subject=user.username, now=moment)

    db.run_write(work)


def end_session(db: Database, actor: Actor, reason: str = "sign_out", *, now: Clock | None = None) -> None:
    """Record that ``actor``'s session ended (signed out, replaced by another user at the idle lock)."""
    audit.record(db, actor, "sign_out", subject=actor.username, details={"reason": reason},
                 now=(now or utcnow)())  # fmt: skip
