"""Every permission under every role through guard.authorize, checked against the matrix in
docs/security.md (parsed here, so the page and the code cannot drift); every denial is audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import PermissionDenied
from armoury.models.security import AuditEvent
from armoury.security.permissions import ROLE_PERMISSIONS, Actor, Permission
from armoury.services.audit import verify_audit_chain
from armoury.services.guard import authorize

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def documented_matrix() -> dict[tuple[Role, Permission], bool]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("| Permission |"))
    roles = [Role(cell.strip()) for cell in lines[header_at].strip("|").split("|")[1:]]
    matrix: dict[tuple[Role, Permission], bool] = {}
    for line in lines[header_at + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        permission = Permission(cells[0].strip("`"))
        for role, cell in zip(roles, cells[1:], strict=True):
            assert cell in ("yes", "—"), f"unreadable cell {cell!r} for {permission} / {role}"
            matrix[(role, permission)] = cell == "yes"
    return matrix


def test_the_document_lists_every_permission_and_role_and_matches_the_code() -> None:
    matrix = documented_matrix()
    assert set(matrix) == {(r, p) for r in Role for p in Permission}
    for (role, permission), allowed in matrix.items():
        assert (permission in ROLE_PERMISSIONS[role]) is allowed, (role, permission)


def test_every_permission_under_every_role_is_enforced_and_denials_are_audited(sqlite_db: Database) -> None:
    matrix = documented_matrix()
    denied = 0
    for index, role in enumerate(Role, start=1):
        actor = Actor(user_id=100 + index, username=f"user-{role.value}", role=role)
        for permission in Permission:
            if matrix[(role, permission)]:
                authorize(sqlite_db, actor, permission)
            else:
                with pytest.raises(PermissionDenied, match=permission.value):
                    authorize(sqlite_db, actor, permission)
                denied += 1
                with sqlite_db.read() as session:
                    last = session.execute(
                        select(AuditEvent.action, AuditEvent.subject, AuditEvent.actor_name)
                        .order_by(AuditEvent.id.desc())
                        .limit(1)
                    ).one()
                assert tuple(last) == (
                    "permission_denied",
                    permission.value,
                    actor.username,
                )
    assert denied > 20
    with sqlite_db.read() as session:
        assert len(session.scalars(select(AuditEvent.id)).all()) == denied
    assert verify_audit_chain(sqlite_db).ok


def test_facility_limits_are_enforced_and_audited(sqlite_db: Database) -> None:
    actor = Actor(user_id=7, username="kept", role=Role.STOREKEEPER, facility_ids=frozenset({1}))
    authorize(sqlite_db, actor, Permission.ISSUE, 1)
    with pytest.raises(PermissionDenied, match="not allowed to act on this facility"):
        authorize(sqlite_db, actor, Permission.ISSUE, 2)
    with sqlite_db.read() as session:
        event = session.execute(select(AuditEvent.action, AuditEvent.facility_id)).one()
    assert tuple(event) == ("permission_denied", 2)
