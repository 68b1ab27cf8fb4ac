"""Backups that are proven by restore.

* :func:`backup_database` takes a consistent copy while other workstations write: on SQLite through the
  online backup API (all pages copied under one read lock), on PostgreSQL with ``pg_dump`` (custom format,
  one snapshot). The copy is checked before it replaces anything at the destination.
* :func:`automatic_backup` runs when the application closes, at most once a day, into the backup folder
  (setting ``backup.folder``), and keeps 7 daily, 4 weekly and 12 monthly copies.
* :func:`restore_database` (SQLite) checks the candidate (SQLite header, ``integrity_check``, Armoury
  schema version, audit chain, same depot) on a scratch copy before anything is replaced; the replaced
  database is kept next to it. A refused file leaves the current database untouched.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from armoury.db import Database
from armoury.db.engine import BUSY_TIMEOUT_MS, sqlite_path
from armoury.db.schema import SchemaState, init_database, schema_state
from armoury.errors import DatabaseError, NotFoundError
from armoury.i18n import _
from armoury.models.base import utcnow
from armoury.models.settings import Setting
from armoury.security.permissions import SYSTEM_ACTOR, Actor, Permission
from armoury.services import audit, settings
from armoury.services.audit import AuditVerification, verify_audit_chain
from armoury.services.guard import authorize

Clock = Callable[[], datetime]
SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
AUTO_NAME = re.compile(r"^armoury-(\d{8}T\d{6}Z)\.(sqlite3|dump)$")
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    sha256: str
    kind: str  # "sqlite" or "pg_dump"


@dataclass(frozen=True)
class BackupCheck:
    """What a candidate backup holds, once it has passed every check."""

    revision: str
    depot_id: str | None
    audit: AuditVerification
    upgraded_from: str | None


@dataclass(frozen=True)
class RestoreResult:
    kept: Path
    check: BackupCheck


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


# --- SQLite -------------------------------------------------------------------------------------------


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` with the online backup API, all pages in one step (one snapshot)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    finally:
        src.close()


def _integrity_problem(path: Path) -> str | None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except (sqlite3.Error, ValueError) as exc:
        return str(exc)
    result = "; ".join(str(r[0]) for r in rows[:5])
    return None if result == "ok" else result


def _sqlite_backup(source: Path, output: Path) -> None:
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _sqlite_copy(source, partial)
        problem = _integrity_problem(partial)
        if problem is not None:
            raise DatabaseError(
                _("The copy failed its integrity check: {problem}").format(problem=problem),
                _("Run 'armoury verify' on the database, then try again."),
            )
        _fsync(partial)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


# --- PostgreSQL ---------------------------------------------------------------------------------------


def find_pg_tool(name: str) -> Path | None:
    """A PostgreSQL client program: ``ARMOURY_PG_BINDIR``, then the newest installed version, then PATH."""
    override = os.environ.get("ARMOURY_PG_BINDIR")
    if override and Path(override, name).exists():
        return Path(override, name)
    patterns = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "C:/Program Files/PostgreSQL/*/bin"]
    candidates = [c for pattern in patterns for c in glob.glob(pattern)]

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)

    for folder in sorted(candidates, key=version, reverse=True):
        for exe in (name, name + ".exe"):
            if Path(folder, exe).exists():
                return Path(folder, exe)
    found = shutil.which(name)
    return Path(found) if found else None


def _libpq_environment(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    args = ["--dbname", parsed.database or ""]
    env = dict(os.environ)
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)  # never on the command line, where others can read it
    return args, env


def _pg_backup(url: str, output: Path) -> None:
    pg_dump = find_pg_tool("pg_dump")
    if pg_dump is None:
        raise DatabaseError(
            _("pg_dump was not found, so the PostgreSQL database cannot be backed up."),
            _("Install the PostgreSQL client programs, or set ARMOURY_PG_BINDIR to their folder."),
        )
    partial = output.with_name(output.name + ".partial")
    args, env = _libpq_environment(url)
    try:
        done = subprocess.run(
            [str(pg_dump), "--format=custom", "--no-owner", "--no-password", "--file", str(partial), *args],
            env=env, capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
        if done.returncode != 0:
            raise DatabaseError(
                _("pg_dump failed: {reason}").format(reason=done.stderr.strip()[:500]),
                _("Check that the server is running and that pg_dump is as new as the server."),
            )
        pg_restore = find_pg_tool("pg_restore")
        if pg_restore is not None:
            listed = subprocess.run([str(pg_restore), "--list", str(partial)], capture_output=True, text=True)
            if listed.returncode != 0 or "audit_events" not in listed.stdout:
                raise DatabaseError(
                    _("The PostgreSQL dump could not be read back: {reason}").format(
                        reason=listed.stderr.strip()[:500]
                    ),
                    _("Try again; if it fails again, check the disk."),
                )
        _fsync(partial)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


# --- Backups ------------------------------------------------------------------------------------------


def _take(db: Database, output: Path) -> BackupResult:
    output = output.expanduser().resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite_path(db.url)
    if db.is_sqlite:
        if source is None:
            raise DatabaseError(_("An in-memory database cannot be backed up."), _("Use a database file."))
        if output == source.resolve():
            raise DatabaseError(
                _("The backup cannot replace the database itself."), _("Choose another file name.")
            )
        _sqlite_backup(source, output)
        kind = "sqlite"
    else:
        _pg_backup(db.url, output)
        kind = "pg_dump"
    return BackupResult(output, output.stat().st_size, _sha256(output), kind)


def backup_database(db: Database, actor: Actor, output: Path, *, now: Clock | None = None) -> BackupResult:
    """Write a consistent, checked copy of the database to ``output`` (``Permission.BACKUP``)."""
    authorize(db, actor, Permission.BACKUP)
    try:
        result = _take(db, Path(output))
    except DatabaseError as exc:
        audit.record(db, actor, "backup_failed", subject=Path(output).name, details={"reason": exc.message})
        raise
    audit.record(db, actor, "backup", subject=result.path.name, now=(now or utcnow)(),
                 details={"file": str(result.path), "size": result.size, "sha256": result.sha256,
                          "kind": result.kind})  # fmt: skip
    return result


def automatic_backup(
    db: Database,
    actor: Actor | None = None,
    *,
    folder: Path | None = None,
    now: Clock | None = None,
    force: bool = False,
) -> BackupResult | None:
    """The backup made when the application closes: at most daily, then rotation. ``None`` when skipped.

    It is policy rather than a user's request, so it needs no permission; it is audited under ``actor``.
    """
    if not force and not settings.get(db, settings.BACKUP_AUTOMATIC.key):
        return None
    moment = (now or utcnow)()
    target_folder = folder or settings.backup_folder(db)
    target_folder.mkdir(parents=True, exist_ok=True)
    existing = list_automatic_backups(target_folder)
    if not force and any(stamp.date() == moment.date() for stamp, _path in existing):
        return None
    extension = "sqlite3" if db.is_sqlite else "dump"
    output = target_folder / f"armoury-{moment.strftime('%Y%m%dT%H%M%SZ')}.{extension}"
    who = actor or SYSTEM_ACTOR
    result = _take(db, output)
    removed = rotate_backups(target_folder, moment)
    audit.record(db, who, "backup", subject=output.name, now=moment,
                 details={"file": str(output), "size": result.size, "sha256": result.sha256,
                          "automatic": True, "removed": [p.name for p in removed]})  # fmt: skip
    return result


def list_automatic_backups(folder: Path) -> list[tuple[datetime, Path]]:
    """Automatic backups in ``folder``, newest first."""
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = AUTO_NAME.match(path.name)
            if match:
                stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                found.append((stamp, path))
    return sorted(found, reverse=True)


def backups_to_keep(stamps: Iterable[datetime]) -> set[datetime]:
    """Grandfather-father-son: the newest backup of each of the 7 latest days, 4 latest ISO weeks and
    12 latest months that have one."""
    ordered = sorted(stamps, reverse=True)
    keep: set[datetime] = set()
    buckets: list[tuple[Callable[[datetime], object], int]] = [
        (lambda s: s.date(), KEEP_DAILY),
        (lambda s: s.isocalendar()[:2], KEEP_WEEKLY),
        (lambda s: (s.year, s.month), KEEP_MONTHLY),
    ]
    for key, count in buckets:
        seen: set[object] = set()
        for stamp in ordered:
            bucket = key(stamp)
            if bucket in seen:
                continue
            if len(seen) == count:
                break
            seen.add(bucket)
            keep.add(stamp)
    return keep


def rotate_backups(folder: Path, now: datetime | None = None) -> list[Path]:
    """Delete the automatic backups the rotation no longer keeps (only files named by Armoury)."""
    existing = list_automatic_backups(folder)
    keep = backups_to_keep(stamp for stamp, _path in existing)
    removed = []
    for stamp, path in existing:
        if stamp not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# --- Restore ------------------------------------------------------------------------------------------


def _refuse(message: str, hint: str = "") -> DatabaseError:
    return DatabaseError(
        message, hint or _("Nothing was changed: the current database is untouched. Choose another backup.")
    )


def _depot_id_of(db: Database) -> str | None:
    try:
        with db.read() as session:
            stored = session.scalar(select(Setting.value).where(Setting.key == "depot.id"))
    except Exception:
        return None
    if stored is None:
        return None
    try:
        return str(json.loads(stored))
    except ValueError:
        return stored


def check_backup_copy(scratch: Path) -> BackupCheck:
    """Check an SQLite file that may be replaced (upgraded if older); raise DatabaseError if refused."""
    with scratch.open("rb") as handle:
        header = handle.read(16)
    if header.startswith(PG_DUMP_HEADER):
        raise _refuse(
            _("This file is a PostgreSQL dump; it cannot be restored into an SQLite database."),
            _(
                "Restore it on the PostgreSQL server with pg_restore into a new database (see docs/security.md)."
            ),
        )
    if header != SQLITE_HEADER:
        raise _refuse(_("This file is not an Armoury backup: it is not an SQLite database."))
    problem = _integrity_problem(scratch)
    if problem is not None:
        raise _refuse(
            _("This backup is damaged: the integrity check found {problem}.").format(problem=problem)
        )
    candidate = Database(f"sqlite:///{scratch}")
    try:
        state, revision = schema_state(candidate.engine)
        upgraded_from = None
        if state in (SchemaState.EMPTY, SchemaState.FOREIGN):
            raise _refuse(_("This file is not an Armoury backup: it has no Armoury schema version."))
        if state is SchemaState.NEWER:
            raise _refuse(
                _("This backup was made by a newer version of Armoury (schema {revision}).").format(
                    revision=revision
                ),
                _("Install the newer version of Armoury to restore it. Nothing was changed."),
            )
        if state is SchemaState.OLDER:
            init_database(candidate.engine)
            upgraded_from = revision
        chain = verify_audit_chain(candidate)
        if not chain.ok:
            raise _refuse(
                _("The audit trail in this backup does not verify: {problem}").format(problem=chain.message)
            )
        _state, current = schema_state(candidate.engine)
        return BackupCheck(current or "", _depot_id_of(candidate), chain, upgraded_from)
    except DatabaseError:
        raise
    except Exception as exc:
        raise _refuse(_("This backup cannot be read: {reason}").format(reason=exc)) from exc
    finally:
        candidate.dispose()


def inspect_backup(path: Path, scratch_folder: Path | None = None) -> BackupCheck:
    """Check a backup file without changing it (the checks run on a scratch copy)."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(_("There is no file {path}.").format(path=path), _("Check the path."))
    folder = scratch_folder or path.parent
    scratch = folder / f".{path.name}.checking-{os.getpid()}"
    shutil.copyfile(path, scratch)
    try:
        return check_backup_copy(scratch)
    finally:
        scratch.unlink(missing_ok=True)
        scratch.with_name(scratch.name + "-journal").unlink(missing_ok=True)


def restore_database(
    db: Database,
    actor: Actor,
    backup: Path,
    *,
    allow_other_depot: bool = False,
    now: Clock | None = None,
) -> RestoreResult:
    """Replace the (SQLite) database with a checked backup, keeping the replaced one (``Permission.RESTORE``)."""
    authorize(db, actor, Permission.RESTORE)
    live = sqlite_path(db.url)
    if not db.is_sqlite or live is None:
        raise DatabaseError(
            _("Restoring is done here only for SQLite databases."),
            _("Restore a PostgreSQL dump with pg_restore into a new database (see docs/security.md)."),
        )
    backup = Path(backup)
    if not backup.is_file():
        raise NotFoundError(_("There is no file {path}.").format(path=backup), _("Check the path."))
    moment = (now or utcnow)()
    scratch = live.with_name(f".{live.name}.restoring-{os.getpid()}")
    shutil.copyfile(backup, scratch)
    try:
        try:
            check = check_backup_copy(scratch)
        except DatabaseError as exc:
            audit.record(db, actor, "restore_refused", subject=backup.name, now=moment,
                         details={"reason": exc.message})  # fmt: skip
            raise
        current_depot = _depot_id_of(db)
        if check.depot_id and current_depot and check.depot_id != current_depot and not allow_other_depot:
            audit.record(db, actor, "restore_refused", subject=backup.name, now=moment,
                         details={"reason": "other depot"})  # fmt: skip
            raise _refuse(
                _("This backup belongs to another depot (identity {other}, this one is {mine}).").format(
                    other=check.depot_id, mine=current_depot
                ),
                _("Nothing was changed. Give --other-depot to replace this depot's data with it anyway."),
            )
        kept = live.with_name(f"{live.stem}.before-restore-{moment.strftime('%Y%m%dT%H%M%SZ')}{live.suffix}")
        _sqlite_copy(live, kept)
        db.engine.dispose()
        # Copy page by page into the live file under SQLite's own lock, so that other open connections
        # see either the old or the new database, never a half-written file.
        src = sqlite3.connect(f"file:{scratch}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(live, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                src.backup(dst, pages=-1)
            finally:
                dst.close()
        finally:
            src.close()
        audit.record(db, actor, "restore", subject=backup.name, now=moment,
                     details={"file": str(backup), "kept": str(kept), "entries": check.audit.entries_checked,
                              "upgraded_from": check.upgraded_from})  # fmt: skip
        return RestoreResult(kept, check)
    finally:
        scratch.unlink(missing_ok=True)
        scratch.with_name(scratch.name + "-journal").unlink(missing_ok=True)
