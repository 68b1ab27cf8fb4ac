"""Signing in (minimal first version; the security issue adds lockout, auditing and rehashing)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from armoury.db import Database
from armoury.errors import AuthenticationError
from armoury.i18n import _
from armoury.models import User, UserFacility
from armoury.security.permissions import Actor, Permission

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _actor(db: Database, user: User) -> Actor:
    with db.read() as session:
        ids = session.scalars(select(UserFacility.facility_id).where(UserFacility.user_id == user.id)).all()
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        facility_ids=frozenset(ids) if ids else None,
        full_name=user.full_name,
    )


def authenticate(db: Database, username: str, password: str) -> Actor:
    """Check ``username`` / ``password``; return the signed-in user or raise AuthenticationError."""
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
    valid = False
    if user is not None:
        try:
            valid = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            valid = False
    if user is None or not valid:
        raise AuthenticationError(
            _("Wrong user name or password."), _("Check both and try again; letters' case matters.")
        )
    if not user.active:
        raise AuthenticationError(
            _("The account {user} is disabled.").format(user=user.username), _("Ask an administrator.")
        )
    return _actor(db, user)


def confirm_witness(db: Database, actor: Actor, username: str, password: str) -> Actor:
    """Sign in a second, different, active user whose role may witness."""
    witness = authenticate(db, username, password)
    if witness.user_id == actor.user_id:
        raise AuthenticationError(
            _("The witness must be a different person from the user doing the action."),
            _("Ask a second user to confirm with their own password."),
        )
    if not witness.can(Permission.WITNESS):
        raise AuthenticationError(
            _("{user}'s role ({role}) may not witness actions.").format(
                user=witness.username, role=witness.role.label
            ),
            _("Ask a storekeeper, commander or inspector to confirm."),
        )
    return witness
