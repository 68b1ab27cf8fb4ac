"""Qt test settings: Fusion style, settings in a temporary folder, the worker inline, Qt warnings fail.

Nothing here calls a blocking ``exec()``: dialogs are opened with ``open()`` and driven with qtbot.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QtMsgType
from PySide6.QtWidgets import QApplication, QStyleFactory

from armoury.db import Database
from armoury.domain.enums import Category, Role
from armoury.security.permissions import Actor
from armoury.services import catalogue, locations, people, weapons
from armoury.services.catalogue import ItemTypeData
from armoury.services.locations import AreaData, FacilityData, RackData
from armoury.services.people import PersonData
from armoury.services.weapons import WeaponData
from tests.helpers import create_user
from ui.context import AppContext
from ui.worker import Task

# Qt messages that say nothing about our code (offscreen platform without a window manager or fonts).
_HARMLESS = ("This plugin does not support", "propagateSizeHints", "QFont::", "Fontconfig")


@pytest.fixture(autouse=True)
def _qt_test_settings(qapp: QApplication, tmp_path: Path) -> Iterator[None]:
    qapp.setStyle(QStyleFactory.create("Fusion"))
    qapp.setOrganizationName("ArmouryTests")
    qapp.setApplicationName("ArmouryTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    Task.inline = True
    yield
    Task.inline = False


@pytest.fixture(autouse=True)
def _qt_warnings_fail(qtlog: pytest.FixtureRequest) -> Iterator[None]:
    yield
    bad = [
        record.message
        for record in qtlog.records  # type: ignore[attr-defined]
        if record.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
        and not any(text in record.message for text in _HARMLESS)
    ]
    assert bad == [], f"Qt warnings: {bad}"


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


def _build_depot(db: Database) -> dict[str, int]:
    admin: Actor = create_user(db, "admin", Role.ADMINISTRATOR)
    f1 = locations.create_facility(db, admin, FacilityData("DEP-01", "Central depot"))
    a1 = locations.create_area(db, admin, AreaData(f1.id, "B1", "Building 1"))
    r1 = locations.create_rack(db, admin, RackData(a1.id, "R01", "Rifles", slots=20))
    r2 = locations.create_rack(db, admin, RackData(a1.id, "R02", "Pistols"))
    ak = catalogue.create_item_type(
        db, admin, ItemTypeData(Category.ASSAULT_RIFLE, "Kalashnikov", "AK-47", "7.62x39")
    )
    glock = catalogue.create_item_type(db, admin, ItemTypeData(Category.PISTOL, "Glock", "17", "9x19"))
    ids = {"admin": admin.user_id or 0, "f1": f1.id, "a1": a1.id, "r1": r1.id, "r2": r2.id, "ak": ak.id}
    ids["glock"] = glock.id
    for n in range(1, 31):
        w = weapons.create_weapon(
            db, admin, WeaponData(ak.id, f"KX-{n:04d}", rack_id=r1.id if n <= 20 else r2.id)
        )
        ids[f"KX-{n:04d}"] = w.id
    ids["GL-0001"] = weapons.create_weapon(db, admin, WeaponData(glock.id, "GL-0001", rack_id=r2.id)).id
    ids["p1"] = people.create_person(db, admin, PersonData("ML-1001", "Keita", "Aminata", "Sgt")).id
    ids["p2"] = people.create_person(db, admin, PersonData("ML-1002", "Coulibaly", "Ibrahim", "Cpl")).id
    return ids


@pytest.fixture(scope="session")
def depot_template(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, int]]:
    """A small depot built once: two facilities' worth of racks, two item types, 31 weapons, two people."""
    path = tmp_path_factory.mktemp("depot") / "depot.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    ids = _build_depot(db)
    db.dispose()
    return path, ids


@pytest.fixture
def depot(
    depot_template: tuple[Path, dict[str, int]], tmp_path: Path
) -> Iterator[tuple[AppContext, dict[str, int]]]:
    """A fresh copy of the small depot for this test, and the administrator acting on it."""
    template, ids = depot_template
    path = tmp_path / "depot.sqlite3"
    shutil.copyfile(template, path)
    db = Database(f"sqlite:///{path}")
    yield AppContext(db, Actor(ids["admin"], "admin", Role.ADMINISTRATOR, None, "Admin")), dict(ids)
    db.dispose()
