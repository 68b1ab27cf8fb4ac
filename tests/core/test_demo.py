"""The demo depot: deterministic, big enough, realistic, and only ever loaded into an empty database."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from armoury.db import Database
from armoury.domain.enums import Register, Role
from armoury.domain.serials import serial_skeleton
from armoury.errors import ConflictError
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, Weapon
from armoury.models.ledger import LedgerItem
from armoury.services.demo import build_demo_depot
from armoury.services.settings import is_demo_database
from tests.core.test_import import load_depot
from tests.helpers import create_user


def serials(db: Database) -> list[tuple[object, ...]]:
    with db.read() as session:
        rows = session.execute(
            select(Weapon.serial, ItemType.model, Weapon.register, Weapon.slot)
            .join(ItemType, ItemType.id == Weapon.item_type_id)
            .order_by(Weapon.id)
        ).all()
    return [tuple(r) for r in rows]


def test_demo_is_deterministic_and_big_enough(
    sqlite_db: Database, sqlite_template: Path, tmp_path: Path
) -> None:
    start = time.perf_counter()
    summary = build_demo_depot(sqlite_db, seed=5)
    assert time.perf_counter() - start < 10
    assert summary.facilities == 2 and summary.areas >= 6 and summary.racks >= 30
    assert summary.weapons >= 1500 and summary.item_types >= 20 and summary.people >= 100
    assert summary.demo_users
    assert summary.recovered > 0 and summary.contingent > 0 and summary.look_alikes > 0
    with sqlite_db.read() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert (count(Facility), count(StorageArea), count(Rack)) == (2, summary.areas, summary.racks)
        assert count(Weapon) == summary.weapons and count(Person) == summary.people
        assert count(LedgerItem) == summary.weapons  # every weapon taken on charge
        assert session.scalar(select(func.count(func.distinct(Weapon.item_type_id)))) >= 20
        recovered = session.scalars(select(Weapon).where(Weapon.register == Register.RECOVERED)).all()
        assert all(w.recovered_on and w.recovered_place and w.case_reference for w in recovered)
        contingent = session.scalars(select(Weapon).where(Weapon.register == Register.CONTINGENT)).all()
        assert all(w.contingent_country and w.contingent_unit for w in contingent)
        assert len({w.condition for w in session.scalars(select(Weapon))}) >= 4
        keys = session.execute(select(Weapon.item_type_id, Weapon.serial_key)).all()
        skeletons = {(t, serial_skeleton(k)) for t, k in keys}
        assert len(skeletons) < len(keys)  # some near-look-alike serials
    assert is_demo_database(sqlite_db)

    for seed, same in ((5, True), (6, False)):
        other_path = tmp_path / f"seed{seed}.sqlite3"
        shutil.copyfile(sqlite_template, other_path)
        other = Database(f"sqlite:///{other_path}")
        try:
            build_demo_depot(other, seed=seed, with_users=False)
            assert (serials(other) == serials(sqlite_db)) is same
        finally:
            other.dispose()


def test_demo_refuses_a_database_with_weapons(sqlite_db: Database) -> None:
    load_depot(sqlite_db, create_user(sqlite_db, "store", Role.STOREKEEPER))
    with sqlite_db.read() as session:
        before = session.scalar(select(func.count()).select_from(Weapon))
    with pytest.raises(ConflictError):
        build_demo_depot(sqlite_db)
    with sqlite_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Weapon)) == before
