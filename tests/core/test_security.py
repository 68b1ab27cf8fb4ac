"""Sign-in, lockout (with a controllable clock), rehashing, password rules, users, the two-person rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import AuthenticationError, ConflictError, PermissionDenied, ValidationError
from armoury.models import User
from armoury.models.security import AuditEvent
from armoury.security.passwords import HASHER, OWASP_MINIMUM, common_passwords, password_problems
from armoury.services import auth, settings, users
from armoury.services.demo_users import DEMO_USERS, create_demo_users, demo_credentials
from tests.helpers import TEST_PASSWORD, create_user, user_id


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def _actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_lockout_after_five_failures_within_fifteen_minutes_then_expiry(any_db: Database) -> None:
    create_user(any_db, "sam", Role.STOREKEEPER)
    clock = Clock()
    for _ in range(4):
        with pytest.raises(AuthenticationError, match="Wrong user name or password"):
            auth.authenticate(any_db, "sam", "wrong-password-1", now=clock)
        clock.advance(minutes=3)
    with pytest.raises(AuthenticationError, match="locked until 2026-03-01 08:27"):
        auth.authenticate(any_db, "sam", "wrong-password-1", now=clock)
    # While locked, even the right password is refused.
    clock.advance(minutes=14)
    with pytest.raises(AuthenticationError, match="locked"):
        auth.authenticate(any_db, "sam", TEST_PASSWORD, now=clock)
    clock.advance(minutes=2)
    assert auth.authenticate(any_db, "sam", TEST_PASSWORD, now=clock).username == "sam"
    actions = _actions(any_db)
    assert actions.count("sign_in_failed") == 5
    assert actions[-3:] == ["account_locked", "sign_in_refused", "sign_in"]


def test_failures_spread_over_more_than_the_window_do_not_lock(sqlite_db: Database) -> None:
    create_user(sqlite_db, "sam", Role.STOREKEEPER)
    clock = Clock()
    for _ in range(6):
        with pytest.raises(AuthenticationError, match="Wrong"):
            auth.authenticate(sqlite_db, "sam", "wrong-password-1", now=clock)
        clock.advance(minutes=4)  # the fifth failure falls outside the first one's 15 minutes
    assert "account_locked" not in _actions(sqlite_db)


def test_administrator_unlocks_and_lockout_settings_apply(sqlite_db: Database) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    create_user(sqlite_db, "sam", Role.STOREKEEPER)
    settings.set_value(sqlite_db, admin, "security.lockout_attempts", 3)
    settings.set_value(sqlite_db, admin, "security.lockout_minutes", "60")
    clock = Clock()
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="Wrong"):
            auth.authenticate(sqlite_db, "sam", "wrong-password-1", now=clock)
    with pytest.raises(AuthenticationError, match="locked until 2026-03-01 09:00"):
        auth.authenticate(sqlite_db, "sam", "wrong-password-1", now=clock)
    info = users.get_user(sqlite_db, admin, "sam")
    assert info.is_locked(clock())
    users.unlock_user(sqlite_db, admin, "sam")
    assert auth.authenticate(sqlite_db, "sam", TEST_PASSWORD, now=clock).username == "sam"
    assert "account_unlocked" in _actions(sqlite_db)


def test_unknown_user_is_refused_and_only_the_start_of_the_name_is_kept(sqlite_db: Database) -> None:
    with pytest.raises(AuthenticationError, match="Wrong user name or password"):
        auth.authenticate(sqlite_db, "Tst-pass-typed-in-name", "whatever-it-is")
    with sqlite_db.read() as session:
        name = session.scalar(select(AuditEvent.actor_name))
    assert name == "tst…"


def test_hash_is_argon2id_above_owasp_minimum_and_weaker_hashes_are_upgraded(sqlite_db: Database) -> None:
    assert HASHER.time_cost >= OWASP_MINIMUM["time_cost"]
    assert HASHER.memory_cost >= OWASP_MINIMUM["memory_cost"]
    assert HASHER.parallelism >= OWASP_MINIMUM["parallelism"]
    assert auth.hash_password(TEST_PASSWORD).startswith("$argon2id$")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(TEST_PASSWORD)
    create_user(sqlite_db, "old", Role.INSPECTOR)
    with sqlite_db.write() as session:
        session.execute(update(User).where(User.username == "old").values(password_hash=weak))
    auth.authenticate(sqlite_db, "old", TEST_PASSWORD)
    with sqlite_db.read() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "old"))
    assert stored != weak and "m=65536,t=3,p=4" in str(stored)
    assert "password_rehashed" in _actions(sqlite_db)
    assert auth.authenticate(sqlite_db, "old", TEST_PASSWORD).username == "old"


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short-1", "at least 10"), ("xx-alice-xx-1", "user name"), ("Password123", "common"),
     ("qwertyuiop", "common"), ("1234567890", "common")],
)  # fmt: skip
def test_password_rules(password: str, problem: str) -> None:
    assert any(problem in p for p in password_problems(password, "alice"))


def test_a_good_password_passes_and_the_common_list_is_large() -> None:
    assert password_problems(TEST_PASSWORD, "alice") == []
    assert len(common_passwords()) > 3000


def test_first_administrator_only_on_an_empty_database(sqlite_db: Database) -> None:
    assert not auth.has_users(sqlite_db)
    with pytest.raises(ValidationError, match="at least 10"):
        users.create_first_administrator(sqlite_db, "boss", "short")
    info = users.create_first_administrator(sqlite_db, "Boss", TEST_PASSWORD)
    assert (info.username, info.role) == ("boss", Role.ADMINISTRATOR)
    assert auth.has_users(sqlite_db)
    with pytest.raises(ConflictError, match="already has users"):
        users.create_first_administrator(sqlite_db, "other", TEST_PASSWORD)


def test_only_an_administrator_manages_users_and_the_last_one_stays(sqlite_db: Database) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    keeper = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    with pytest.raises(PermissionDenied, match="manage_users"):
        users.add_user(sqlite_db, keeper, "eve", Role.ADMINISTRATOR, TEST_PASSWORD)
    with pytest.raises(ConflictError, match="last active administrator"):
        users.disable_user(sqlite_db, admin, "root")
    with pytest.raises(ConflictError, match="last active administrator"):
        users.change_user(sqlite_db, admin, "root", role=Role.AUDITOR)
    added = users.add_user(sqlite_db, admin, "Nina", Role.INSPECTOR, TEST_PASSWORD, full_name="Nina K")
    assert added.must_change_password and added.username == "nina"
    with pytest.raises(ConflictError, match="already exists"):
        users.add_user(sqlite_db, admin, "nina", Role.INSPECTOR, TEST_PASSWORD)
    users.disable_user(sqlite_db, admin, "sam")
    with pytest.raises(AuthenticationError, match="disabled"):
        auth.authenticate(sqlite_db, "sam", TEST_PASSWORD)
    users.enable_user(sqlite_db, admin, "sam")
    assert auth.authenticate(sqlite_db, "sam", TEST_PASSWORD).role is Role.STOREKEEPER
    assert [u.username for u in users.list_users(sqlite_db, admin)] == ["nina", "root", "sam"]
    actions = _actions(sqlite_db)
    assert {"user_added", "user_disabled", "user_enabled", "permission_denied"} <= set(actions)


def test_reset_forces_a_change_at_next_sign_in(sqlite_db: Database) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    create_user(sqlite_db, "sam", Role.STOREKEEPER)
    temporary = "Temporary-pass-93"
    users.reset_password(sqlite_db, admin, "sam", temporary)
    with pytest.raises(AuthenticationError, match="must change their password"):
        auth.authenticate(sqlite_db, "sam", temporary)
    result = auth.sign_in(sqlite_db, "sam", temporary)
    assert result.must_change_password
    with pytest.raises(ValidationError, match="common"):
        auth.change_password(sqlite_db, result.actor, temporary, "password123")
    auth.change_password(sqlite_db, result.actor, temporary, TEST_PASSWORD)
    assert auth.authenticate(sqlite_db, "sam", TEST_PASSWORD).username == "sam"
    assert "password_changed" in _actions(sqlite_db)


def test_witness_must_be_another_active_user_whose_role_may_witness(sqlite_db: Database) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    keeper = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    create_user(sqlite_db, "cdt", Role.COMMANDER)
    create_user(sqlite_db, "aud", Role.AUDITOR)
    create_user(sqlite_db, "gone", Role.INSPECTOR)
    users.disable_user(sqlite_db, admin, "gone")
    with pytest.raises(AuthenticationError, match="different person"):
        auth.confirm_witness(sqlite_db, keeper, "SAM", TEST_PASSWORD)
    with pytest.raises(AuthenticationError, match="may not witness"):
        auth.confirm_witness(sqlite_db, keeper, "aud", TEST_PASSWORD)
    with pytest.raises(AuthenticationError, match="disabled"):
        auth.confirm_witness(sqlite_db, keeper, "gone", TEST_PASSWORD)
    with pytest.raises(AuthenticationError, match="Wrong"):
        auth.confirm_witness(sqlite_db, keeper, "cdt", "not-the-password")
    witness = auth.confirm_witness(sqlite_db, keeper, "cdt", TEST_PASSWORD)
    assert witness.user_id == user_id(sqlite_db, "cdt")
    actions = _actions(sqlite_db)
    assert actions.count("witness_refused") == 2 and "witness_confirmed" in actions


def test_witness_settings_and_setting_changes_are_audited(sqlite_db: Database) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    keeper = create_user(sqlite_db, "sam", Role.STOREKEEPER)
    for action in (
        "issue",
        "receipt",
        "receive",
        "transfer",
        "destruction",
        "destroy",
        "write-off",
        "key_handover",
    ):
        assert settings.requires_witness(sqlite_db, action)
    assert not settings.requires_witness(sqlite_db, "return")
    with pytest.raises(ValueError, match="unknown two-person-rule action"):
        settings.requires_witness(sqlite_db, "dance")
    with pytest.raises(PermissionDenied):
        settings.set_value(sqlite_db, keeper, "security.witness_actions", ["issue"])
    settings.set_value(sqlite_db, admin, "security.witness_actions", "issue, return")
    assert settings.requires_witness(sqlite_db, "return") and not settings.requires_witness(
        sqlite_db, "transfer"
    )
    with pytest.raises(ValidationError, match="between 1 and 15"):
        settings.set_value(sqlite_db, admin, "security.idle_lock_minutes", 30)
    assert settings.idle_lock_minutes(sqlite_db) == 10
    with sqlite_db.read() as session:
        changed = session.execute(
            select(AuditEvent.subject, AuditEvent.details).where(AuditEvent.action == "setting_changed")
        ).all()
    assert [c[0] for c in changed] == ["security.witness_actions"]
    assert '"return"' in changed[0][1]


def test_demo_passwords_are_offered_only_on_a_demo_database(sqlite_db: Database) -> None:
    assert demo_credentials(sqlite_db) == []
    created = create_demo_users(sqlite_db)
    assert {c.role for c in created} == set(Role)
    assert settings.is_demo_database(sqlite_db)
    shown = demo_credentials(sqlite_db)
    assert len(shown) == len(DEMO_USERS)
    for cred in shown:
        assert password_problems(cred.password, cred.username) == []
        assert auth.authenticate(sqlite_db, cred.username, cred.password).role is cred.role
    with sqlite_db.write() as session:
        settings.set_internal(session, "depot.demo", False)
    assert demo_credentials(sqlite_db) == []


def test_settings_are_listed_with_documented_defaults(sqlite_db: Database) -> None:
    admin = create_user(sqlite_db, "root", Role.ADMINISTRATOR)
    settings.set_value(sqlite_db, admin, "security.lockout_minutes", 30)
    listed = {v.key: v for v in settings.list_settings(sqlite_db)}
    assert listed["security.lockout_attempts"].value == 5 and listed["security.lockout_attempts"].is_default
    assert (
        listed["security.lockout_minutes"].value == 30 and not listed["security.lockout_minutes"].is_default
    )
    assert listed["security.lockout_minutes"].updated_at is not None
    assert listed["security.witness_actions"].value == [
        "destruction", "issue", "key_handover", "receipt", "transfer", "write_off"
    ]  # fmt: skip
