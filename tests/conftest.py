"""Test set-up shared by every test: quiet, strict, isolated.

* Qt runs offscreen with the Fusion style; settings and data go to temporary folders; language English.
* ``sqlite_db`` gives each test a fresh SQLite database copied from a schema made once per session.
* ``pg_db`` gives each test a fresh PostgreSQL database cloned from a template, on a real server that the
  fixtures start (tests/pgserver.py). With ``ARMOURY_REQUIRE_PG=1`` (CI) a missing server is a failure.
* ``any_db`` runs a test on both.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ARMOURY_LANG"] = "en"

from armoury.db import Database
from armoury.db.engine import make_engine
from armoury.db.schema import init_database
from armoury.i18n import set_language
from tests.pgserver import PostgresServer

REQUIRE_PG = os.environ.get("ARMOURY_REQUIRE_PG") == "1"
_counter = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("ARMOURY_DATA_DIR", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(data / "config"))
    monkeypatch.delenv("ARMOURY_DB", raising=False)
    monkeypatch.delenv("ARMOURY_PASSWORD", raising=False)
    monkeypatch.delenv("ARMOURY_WITNESS_PASSWORD", raising=False)
    set_language("en")


@pytest.fixture(scope="session", autouse=True)
def _no_test_password_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole run, no database, log, backup or export written by a test holds a test password."""
    yield
    from tests.helpers import TEST_PASSWORD

    needles = (TEST_PASSWORD.encode(), TEST_PASSWORD.encode("utf-16-le"))
    leaks = [
        str(path)
        for path in tmp_path_factory.getbasetemp().rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    ]
    assert leaks == [], f"test password found in: {leaks}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "armoury.sqlite3"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
        server.start()
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (ARMOURY_REQUIRE_PG=1) but could not start: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    template = make_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with template.connect() as connection:
        connection.exec_driver_sql("CREATE DATABASE armoury_template")
    template.dispose()
    engine = make_engine(server.url("armoury_template"))
    init_database(engine)
    engine.dispose()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """The URL of a fresh, migrated PostgreSQL database for this test."""
    name = f"armoury_test_{os.getpid()}_{next(_counter)}"
    admin = make_engine(pg_server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE armoury_template")
    admin.dispose()
    return pg_server.url(name)


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    database = Database(pg_url)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def any_db(request: pytest.FixtureRequest) -> Database:
    name = "sqlite_db" if request.param == "sqlite" else "pg_db"
    database: Database = request.getfixturevalue(name)
    return database
