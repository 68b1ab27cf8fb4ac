"""Demo users for the demo depot: one per role, with passwords the sign-in screen shows.

The passwords are shown only when the database is a demo database (setting ``depot.demo``); a real
depot's sign-in screen never lists users or passwords.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.models import User
from armoury.models.base import utcnow
from armoury.services import audit
from armoury.services.auth import actor_in, hash_password
from armoury.services.settings import DEMO, is_demo_database, set_internal


@dataclass(frozen=True)
class DemoCredential:
    username: str
    role: Role
    password: str
    full_name: str


DEMO_USERS: tuple[DemoCredential, ...] = (
    DemoCredential("admin", Role.ADMINISTRATOR, "alpha-depot-2031", "Demo Administrator"),
    DemoCredential("store", Role.STOREKEEPER, "bravo-depot-2032", "Demo Storekeeper"),
    DemoCredential("inspect", Role.INSPECTOR, "charlie-depot-2033", "Demo Inspector"),
    DemoCredential("command", Role.COMMANDER, "delta-depot-2034", "Demo Commander"),
    DemoCredential("audit", Role.AUDITOR, "echo-depot-2035", "Demo Auditor"),
)


def create_demo_users(db: Database) -> list[DemoCredential]:
    """Create the missing demo users and mark the database as a demo (``depot.demo`` = true)."""
    hashes = {c.username: hash_password(c.password) for c in DEMO_USERS}
    moment = utcnow()

    def work(session: Session) -> list[DemoCredential]:
        set_internal(session, DEMO.key, True)
        created = []
        for cred in DEMO_USERS:
            if session.scalar(select(User.id).where(User.username == cred.username)) is not None:
                continue
            user = User(
                username=cred.username,
                full_name=cred.full_name,
                role=cred.role,
                password_hash=hashes[cred.username],
                active=True,
                must_change_password=False,
                failed_attempts=0,
                password_changed_at=moment,
                created_at=moment,
            )
            session.add(user)
            session.flush()
            audit.record(session, actor_in(session, user), "user_added", subject=cred.username, now=moment,
                         details={"role": cred.role.value, "demo": True})  # fmt: skip
            created.append(cred)
        return created

    return db.run_write(work)


def demo_credentials(db: Database) -> list[DemoCredential]:
    """The demo users and passwords to show on the sign-in screen; empty unless this is a demo database."""
    if not is_demo_database(db):
        return []
    with db.read() as session:
        present = set(session.scalars(select(User.username).where(User.active.is_(True))))
    return [c for c in DEMO_USERS if c.username in present]
