"""The user commands: first administrator, wrong password, must-change, lockout message, missing
permission; each ends with its own exit code and a message that says which. Two commands run as real
subprocesses; the others call the same ``main()`` in-process to keep the run short."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from armoury.cli.main import main
from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import AuthenticationError
from armoury.services import auth, settings
from tests.helpers import TEST_PASSWORD, create_user


def _subprocess(db_path: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMOURY_PASSWORD")}
    if password is not None:
        env["ARMOURY_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "armoury", "--db", db_path, *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip


class Cli:
    def __init__(
        self, path: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.path, self.monkeypatch, self.capsys = path, monkeypatch, capsys

    def __call__(
        self, *args: str, password: str | None = None, new: str | None = None
    ) -> tuple[int, str, str]:
        for name, value in (("ARMOURY_PASSWORD", password), ("ARMOURY_NEW_PASSWORD", new)):
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, value)
        self.capsys.readouterr()
        code = main(["--db", self.path, *args])
        out, err = self.capsys.readouterr()
        return code, out, err


def test_user_commands_end_to_end(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(sqlite_db.engine.url.database)
    sqlite_db.dispose()
    cli = Cli(path, monkeypatch, capsys)

    code, _out, err = cli("user", "add", "sam", "--role", "storekeeper", password=TEST_PASSWORD)
    assert code == 3 and "first user" in err

    first = _subprocess(path, "user", "add", "boss", "--role", "administrator", password=TEST_PASSWORD)
    assert first.returncode == 0, first.stderr
    assert "first administrator" in first.stdout

    code, _out, err = cli("user", "add", "sam", "--role", "storekeeper", "--user", "boss",
                          password=TEST_PASSWORD, new=TEST_PASSWORD + "-x2")  # fmt: skip
    assert code == 0, err

    wrong = _subprocess(path, "user", "list", "--user", "boss", password="not-the-password")
    assert wrong.returncode == 7 and "Wrong user name or password" in wrong.stderr

    code, _out, err = cli("user", "list", "--user", "sam", password=TEST_PASSWORD + "-x2")
    assert code == 7 and "must change their password" in err
    code, _out, err = cli(
        "user", "passwd", "--user", "sam", password=TEST_PASSWORD + "-x2", new=TEST_PASSWORD
    )
    assert code == 0, err

    code, _out, err = cli("user", "list", "--user", "sam", password=TEST_PASSWORD)
    assert code == 6 and "does not allow this action: manage_users" in err

    code, out, err = cli(
        "audit", "list", "--action", "permission_denied", "--user", "boss", password=TEST_PASSWORD
    )
    assert code == 0 and "Permission denied" in out and "sam" in out, err

    code, out, _err = cli("settings", "list")
    assert code == 0 and "security.lockout_attempts" in out
    code, out, err = cli(
        "settings", "set", "security.idle_lock_minutes", "20", "--user", "boss", password=TEST_PASSWORD
    )
    assert code == 3 and "between 1 and 15" in err

    code, out, _err = cli("audit", "verify")
    assert code == 0 and "intact" in out

    assert TEST_PASSWORD.encode() not in Path(path).read_bytes()


def test_locked_account_message_and_unlock(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = create_user(sqlite_db, "boss", Role.ADMINISTRATOR)
    create_user(sqlite_db, "sam", Role.STOREKEEPER)
    settings.set_value(sqlite_db, admin, "security.lockout_attempts", 2)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            auth.authenticate(sqlite_db, "sam", "not-the-password")
    path = str(sqlite_db.engine.url.database)
    sqlite_db.dispose()
    cli = Cli(path, monkeypatch, capsys)
    code, _out, err = cli("user", "list", "--user", "sam", password=TEST_PASSWORD)
    assert code == 7 and "is locked until" in err
    code, out, err = cli("user", "unlock", "sam", "--user", "boss", password=TEST_PASSWORD)
    assert code == 0 and "sam is unlocked" in out, err
    code, _out, err = cli("user", "list", "--user", "sam", password=TEST_PASSWORD)
    assert code == 6  # signed in again; only the permission is missing
