"""Small builders shared by tests. They write directly through the models, not the services under test."""

from __future__ import annotations

from sqlalchemy import select

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.models import User
from armoury.security.permissions import Actor
from armoury.services.auth import hash_password

TEST_PASSWORD = "Tst-pass-7c1e9a"


def create_user(db: Database, username: str, role: Role, password: str = TEST_PASSWORD) -> Actor:
    with db.write() as session:
        user = User(
            username=username, full_name=username.title(), role=role, password_hash=hash_password(password)
        )
        session.add(user)
        session.flush()
        user_id = user.id
    return Actor(user_id=user_id, username=username, role=role, full_name=username.title())


def user_id(db: Database, username: str) -> int:
    with db.read() as session:
        found = session.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found
