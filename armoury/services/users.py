"""Login users: add, list, disable, enable, reset a password, unlock, change role and facilities.

Only an administrator (``Permission.MANAGE_USERS``) manages users, except for the very first
administrator of an empty database (:func:`create_first_administrator`). The last active administrator
cannot be disabled or demoted. Every change is written to the audit trail in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import ConflictError, NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models import Facility, User, UserFacility
from armoury.models.base import utcnow
from armoury.security.passwords import check_password
from armoury.security.permissions import Actor, Permission
from armoury.services import audit
from armoury.services.auth import actor_in, hash_password
from armoury.services.guard import authorize

Clock = Callable[[], datetime]
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    full_name: str
    role: Role
    active: bool
    must_change_password: bool
    locked_until: datetime | None
    failed_attempts: int
    last_sign_in_at: datetime | None
    facility_ids: tuple[int, ...]
    person_id: int | None
    created_at: datetime

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


def _info(session: Session, user: User) -> UserInfo:
    ids = session.scalars(
        select(UserFacility.facility_id)
        .where(UserFacility.user_id == user.id)
        .order_by(UserFacility.facility_id)
    ).all()
    return UserInfo(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        active=user.active,
        must_change_password=user.must_change_password,
        locked_until=user.locked_until,
        failed_attempts=user.failed_attempts,
        last_sign_in_at=user.last_sign_in_at,
        facility_ids=tuple(ids),
        person_id=user.person_id,
        created_at=user.created_at,
    )


def normalize_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.match(name):
        raise ValidationError(
            _("{name} is not a valid user name.").format(name=username),
            _(
                "Use 1 to 64 letters a-z, digits, dots, dashes or underscores, starting with a letter or digit."
            ),
        )
    return name


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFoundError(
            _("There is no user called {name}.").format(name=username),
            _("Run 'armoury user list' to see the users."),
        )
    return user


def _check_facilities(session: Session, facility_ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(facility_ids))
    if not wanted:
        return []
    found = set(session.scalars(select(Facility.id).where(Facility.id.in_(wanted))))
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise NotFoundError(
            _("These facilities do not exist: {ids}.").format(ids=", ".join(missing)),
            _("Choose facilities from the list."),
        )
    return wanted


def facility_ids_for_codes(db: Database, codes: Iterable[str]) -> list[int]:
    """Facility ids for facility codes typed on the command line."""
    codes = [c.strip() for c in codes if c.strip()]
    with db.read() as session:
        found = dict(
            session.execute(select(Facility.code, Facility.id).where(Facility.code.in_(codes))).tuples()
        )
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFoundError(
            _("These facilities do not exist: {ids}.").format(ids=", ".join(missing)),
            _("Check the facility codes."),
        )
    return [found[c] for c in codes]


def _active_administrators(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMINISTRATOR, User.active.is_(True))
        )
        or 0
    )


def _new_user(
    session: Session,
    username: str,
    role: Role,
    password_hash: str,
    full_name: str,
    facility_ids: list[int],
    must_change_password: bool,
    person_id: int | None,
    moment: datetime,
) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(
            _("A user called {name} already exists.").format(name=username), _("Choose another user name.")
        )
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role,
        password_hash=password_hash,
        active=True,
        must_change_password=must_change_password,
        person_id=person_id,
        failed_attempts=0,
        password_changed_at=moment,
        created_at=moment,
    )
    session.add(user)
    session.flush()
    for facility_id in facility_ids:
        session.add(UserFacility(user_id=user.id, facility_id=facility_id))
    session.flush()
    return user


def create_first_administrator(
    db: Database, username: str, password: str, full_name: str = "", *, now: Clock | None = None
) -> UserInfo:
    """Create the first administrator of a database that has no users yet (no sign-in needed)."""
    name = normalize_username(username)
    check_password(password, name)
    password_hash = hash_password(password)
    moment = (now or utcnow)()

    def work(session: Session) -> UserInfo:
        if session.scalar(select(func.count()).select_from(User)):
            raise ConflictError(
                _("This database already has users."),
                _("Sign in as an administrator to add users."),
            )
        user = _new_user(session, name, Role.ADMINISTRATOR, password_hash, full_name, [], False, None, moment)
        actor = actor_in(session, user)
        audit.record(session, actor, "user_added", subject=name, now=moment,
                     details={"role": Role.ADMINISTRATOR.value, "first_administrator": True})  # fmt: skip
        return _info(session, user)

    return db.run_write(work)


def add_user(
    db: Database,
    actor: Actor,
    username: str,
    role: Role,
    password: str,
    *,
    full_name: str = "",
    facility_ids: Iterable[int] = (),
    must_change_password: bool = True,
    person_id: int | None = None,
    now: Clock | None = None,
) -> UserInfo:
    """Add a user (administrators only). By default the user must choose a new password at first sign-in."""
    authorize(db, actor, Permission.MANAGE_USERS)
    role = Role(role)
    name = normalize_username(username)
    check_password(password, name)
    password_hash = hash_password(password)
    moment = (now or utcnow)()
    wanted = list(facility_ids)

    def work(session: Session) -> UserInfo:
        ids = _check_facilities(session, wanted)
        user = _new_user(
            session, name, role, password_hash, full_name, ids, must_change_password, person_id, moment
        )
        audit.record(session, actor, "user_added", subject=name, now=moment,
                     details={"role": role.value, "facilities": ids})  # fmt: skip
        return _info(session, user)

    return db.run_write(work)


def list_users(db: Database, actor: Actor, include_disabled: bool = True) -> list[UserInfo]:
    authorize(db, actor, Permission.MANAGE_USERS)
    with db.read() as session:
        query = select(User).order_by(User.username)
        if not include_disabled:
            query = query.where(User.active.is_(True))
        return [_info(session, user) for user in session.scalars(query)]


def get_user(db: Database, actor: Actor, username: str) -> UserInfo:
    authorize(db, actor, Permission.MANAGE_USERS)
    with db.read() as session:
        return _info(session, _user(session, username))


def _change(
    db: Database,
    actor: Actor,
    username: str,
    action: str,
    change: Callable[[Session, User], dict[str, object]],
    now: Clock | None,
) -> UserInfo:
    authorize(db, actor, Permission.MANAGE_USERS)
    moment = (now or utcnow)()

    def work(session: Session) -> UserInfo:
        user = _user(session, username)
        details = change(session, user)
        session.flush()
        audit.record(session, actor, action, subject=user.username, details=details, now=moment)
        return _info(session, user)

    return db.run_write(work)


def _refuse_losing_last_admin(session: Session, user: User) -> None:
    if user.role is Role.ADMINISTRATOR and user.active and _active_administrators(session) <= 1:
        raise ConflictError(
            _("{name} is the last active administrator.").format(name=user.username),
            _("Make another user an administrator first."),
        )


def disable_user(db: Database, actor: Actor, username: str, *, now: Clock | None = None) -> UserInfo:
    """Disable an account: it can no longer sign in or witness. Its history stays."""

    def change(session: Session, user: User) -> dict[str, object]:
        _refuse_losing_last_admin(session, user)
        user.active = False
        return {}

    return _change(db, actor, username, "user_disabled", change, now)


def enable_user(db: Database, actor: Actor, username: str, *, now: Clock | None = None) -> UserInfo:
    def change(session: Session, user: User) -> dict[str, object]:
        user.active = True
        return {}

    return _change(db, actor, username, "user_enabled", change, now)


def unlock_user(db: Database, actor: Actor, username: str, *, now: Clock | None = None) -> UserInfo:
    """End a lockout at once and forget the failed attempts."""

    def change(session: Session, user: User) -> dict[str, object]:
        user.locked_until = None
        user.failed_attempts = 0
        user.failures_since = None
        return {}

    return _change(db, actor, username, "account_unlocked", change, now)


def reset_password(
    db: Database, actor: Actor, username: str, new_password: str, *, now: Clock | None = None
) -> UserInfo:
    """Give a user a new password that they must change at their next sign-in."""
    check_password(new_password, username.strip().lower())
    password_hash = hash_password(new_password)
    moment = (now or utcnow)()

    def change(session: Session, user: User) -> dict[str, object]:
        user.password_hash = password_hash
        user.must_change_password = True
        user.password_changed_at = moment
        user.locked_until = None
        user.failed_attempts = 0
        user.failures_since = None
        return {}

    return _change(db, actor, username, "password_reset", change, now)


def change_user(
    db: Database,
    actor: Actor,
    username: str,
    *,
    role: Role | None = None,
    full_name: str | None = None,
    facility_ids: Iterable[int] | None = None,
    now: Clock | None = None,
) -> UserInfo:
    """Change a user's role, name or facilities (an empty list of facilities means every facility)."""
    wanted = None if facility_ids is None else list(facility_ids)

    def change(session: Session, user: User) -> dict[str, object]:
        details: dict[str, object] = {}
        if role is not None and role is not user.role:
            if role is not Role.ADMINISTRATOR:
                _refuse_losing_last_admin(session, user)
            details["role"] = [user.role.value, role.value]
            user.role = role
        if full_name is not None and full_name.strip() != user.full_name:
            details["full_name"] = [user.full_name, full_name.strip()]
            user.full_name = full_name.strip()
        if wanted is not None:
            ids = _check_facilities(session, wanted)
            old = sorted(
                session.scalars(select(UserFacility.facility_id).where(UserFacility.user_id == user.id))
            )
            if ids != old:
                session.execute(delete(UserFacility).where(UserFacility.user_id == user.id))
                for facility_id in ids:
                    session.add(UserFacility(user_id=user.id, facility_id=facility_id))
                details["facilities"] = [old, ids]
        return details

    return _change(db, actor, username, "user_changed", change, now)
