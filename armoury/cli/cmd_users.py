"""``armoury user ...``, ``armoury backup``, ``armoury restore``, ``armoury audit ...``, ``armoury settings ...``.

Commands that change data take ``--user NAME`` (password from ARMOURY_PASSWORD or a prompt). A new
password (user add, reset-password, passwd) comes from ARMOURY_NEW_PASSWORD or is typed twice; the first
administrator of an empty database takes ARMOURY_PASSWORD (or typed twice) and needs no --user.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from armoury.cli.common import acting_user, add_user_arguments, database, print_json
from armoury.domain.enums import Role
from armoury.errors import AuthenticationError, ValidationError
from armoury.i18n import _
from armoury.security.permissions import SYSTEM_ACTOR


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the ``armoury`` parser."""
    roles = [r.value for r in Role]
    user = subparsers.add_parser("user", help=_("manage the users who sign in"))
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    add = user_sub.add_parser("add", help=_("add a user (the first one needs no --user)"))
    add.add_argument("name", help=_("user name"))
    add.add_argument("--role", required=True, choices=roles, help=_("role of the new user"))
    add.add_argument("--full-name", default="", help=_("the person's full name"))
    add.add_argument("--facility", action="append", default=[], metavar="CODE",
                     help=_("limit the user to this facility (repeatable; default: every facility)"))  # fmt: skip
    add_user_arguments(add)
    add.set_defaults(handler=run_user_add)

    lst = user_sub.add_parser("list", help=_("list the users"))
    lst.add_argument("--json", action="store_true", help=_("print JSON"))
    add_user_arguments(lst)
    lst.set_defaults(handler=run_user_list)

    for name, help_text in (
        ("disable", _("disable a user (they can no longer sign in)")),
        ("enable", _("enable a disabled user")),
        ("unlock", _("end a user's lockout after too many wrong passwords")),
        ("reset-password", _("give a user a new password they must change at next sign-in")),
    ):
        cmd = user_sub.add_parser(name, help=help_text)
        cmd.add_argument("name", help=_("user name"))
        add_user_arguments(cmd)
        cmd.set_defaults(handler=run_user_change, action=name)

    change = user_sub.add_parser("change", help=_("change a user's role, name or facilities"))
    change.add_argument("name", help=_("user name"))
    change.add_argument("--role", choices=roles, help=_("new role"))
    change.add_argument("--full-name", help=_("the person's full name"))
    change.add_argument("--facility", action="append", metavar="CODE",
                        help=_("limit the user to this facility (repeatable)"))  # fmt: skip
    change.add_argument("--all-facilities", action="store_true", help=_("let the user act on every facility"))
    add_user_arguments(change)
    change.set_defaults(handler=run_user_change, action="change")

    passwd = user_sub.add_parser("passwd", help=_("change your own password"))
    add_user_arguments(passwd)
    passwd.set_defaults(handler=run_user_passwd)

    backup = subparsers.add_parser("backup", help=_("write a consistent copy of the database"))
    target = backup.add_mutually_exclusive_group(required=True)
    target.add_argument("-o", "--output", metavar="FILE", help=_("the backup file to write"))
    target.add_argument("--auto", action="store_true",
                        help=_("automatic backup into the backup folder, at most daily, with rotation"))  # fmt: skip
    backup.add_argument("--force", action="store_true", help=_("with --auto: back up even if done today"))
    add_user_arguments(backup)
    backup.set_defaults(handler=run_backup)

    restore = subparsers.add_parser("restore", help=_("check a backup, then replace the database with it"))
    restore.add_argument("file", help=_("the backup file"))
    restore.add_argument("--check", action="store_true", help=_("only check the backup; change nothing"))
    restore.add_argument("--other-depot", action="store_true", help=_("accept a backup of another depot"))
    add_user_arguments(restore)
    restore.set_defaults(handler=run_restore)

    audit = subparsers.add_parser("audit", help=_("the security audit trail"))
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    alist = audit_sub.add_parser("list", help=_("list audit entries, newest first"))
    alist.add_argument("--action", help=_("only this action (for example sign_in_failed)"))
    alist.add_argument("--actor", help=_("only entries by or witnessed by this user"))
    alist.add_argument("--since", metavar="YYYY-MM-DD", help=_("only entries from this day on (UTC)"))
    alist.add_argument("--limit", type=int, default=50, help=_("how many entries (default 50)"))
    alist.add_argument("--json", action="store_true", help=_("print JSON"))
    add_user_arguments(alist)
    alist.set_defaults(handler=run_audit_list)
    averify = audit_sub.add_parser("verify", help=_("recompute the audit chain"))
    averify.set_defaults(handler=run_audit_verify)

    sett = subparsers.add_parser("settings", help=_("show or change settings"))
    sett_sub = sett.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    slist = sett_sub.add_parser("list", help=_("show every setting and its value"))
    slist.add_argument("--json", action="store_true", help=_("print JSON"))
    slist.set_defaults(handler=run_settings_list)
    sset = sett_sub.add_parser("set", help=_("change a setting"))
    sset.add_argument("key", help=_("the setting"))
    sset.add_argument("value", help=_("the new value (lists: comma-separated)"))
    add_user_arguments(sset)
    sset.set_defaults(handler=run_settings_set)


def new_password(env_name: str, username: str) -> str:
    """A new password from ``env_name``, or typed twice at the terminal."""
    value = os.environ.get(env_name)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise AuthenticationError(
            _("No password given."),
            _("Set {env} or run the command in a terminal to be asked for it.").format(env=env_name),
        )
    first = getpass.getpass(_("New password for {user}: ").format(user=username))
    second = getpass.getpass(_("Type the new password again: "))
    if first != second:
        raise ValidationError(_("The two passwords differ."), _("Type the same password twice."))
    return first


def run_user_add(args: argparse.Namespace) -> int:
    from armoury.services import auth, users

    db = database(args)
    try:
        role = Role(args.role)
        if not auth.has_users(db):
            if role is not Role.ADMINISTRATOR:
                raise ValidationError(
                    _("The first user of a database must be an administrator."),
                    _("Run: armoury user add NAME --role administrator"),
                )
            password = new_password("ARMOURY_PASSWORD", args.name)
            info = users.create_first_administrator(db, args.name, password, args.full_name)
            print(_("Created the first administrator, {user}.").format(user=info.username))
            return 0
        actor = acting_user(args, db)
        facility_ids = users.facility_ids_for_codes(db, args.facility) if args.facility else []
        password = new_password("ARMOURY_NEW_PASSWORD", args.name)
        info = users.add_user(
            db, actor, args.name, role, password, full_name=args.full_name, facility_ids=facility_ids
        )
        print(
            _("Added {user} ({role}); they must choose a new password at their first sign-in.").format(
                user=info.username, role=info.role.label
            )
        )
        return 0
    finally:
        db.dispose()


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def run_user_list(args: argparse.Namespace) -> int:
    from armoury.services import users

    db = database(args)
    try:
        actor = acting_user(args, db)
        found = users.list_users(db, actor)
    finally:
        db.dispose()
    if args.json:
        print_json(
            [
                {"username": u.username, "full_name": u.full_name, "role": u.role.value, "active": u.active,
                 "locked": u.is_locked(), "must_change_password": u.must_change_password,
                 "facility_ids": list(u.facility_ids), "last_sign_in_at": u.last_sign_in_at}
                for u in found
            ]
        )  # fmt: skip
        return 0
    for u in found:
        state = _("active") if u.active else _("disabled")
        if u.is_locked():
            state += ", " + _("locked until {time}").format(time=_when(u.locked_until))
        if u.must_change_password:
            state += ", " + _("must change password")
        print(f"{u.username:<20} {u.role.label:<16} {state:<40} {u.full_name}")
    return 0


def run_user_change(args: argparse.Namespace) -> int:
    from armoury.services import users

    db = database(args)
    try:
        actor = acting_user(args, db)
        action = args.action
        if action == "disable":
            info = users.disable_user(db, actor, args.name)
            print(_("{user} is disabled.").format(user=info.username))
        elif action == "enable":
            info = users.enable_user(db, actor, args.name)
            print(_("{user} is enabled.").format(user=info.username))
        elif action == "unlock":
            info = users.unlock_user(db, actor, args.name)
            print(_("{user} is unlocked.").format(user=info.username))
        elif action == "reset-password":
            password = new_password("ARMOURY_NEW_PASSWORD", args.name)
            info = users.reset_password(db, actor, args.name, password)
            print(
                _("{user} has a new password and must change it at the next sign-in.").format(
                    user=info.username
                )
            )
        else:
            facility_ids: list[int] | None = None
            if args.all_facilities:
                facility_ids = []
            elif args.facility:
                facility_ids = users.facility_ids_for_codes(db, args.facility)
            info = users.change_user(
                db, actor, args.name, role=Role(args.role) if args.role else None,
                full_name=args.full_name, facility_ids=facility_ids,
            )  # fmt: skip
            print(_("{user} is changed.").format(user=info.username))
        return 0
    finally:
        db.dispose()


def run_user_passwd(args: argparse.Namespace) -> int:
    from armoury.cli.common import read_password
    from armoury.services import auth

    db = database(args)
    try:
        username = args.user or os.environ.get("ARMOURY_USER")
        if not username:
            raise AuthenticationError(
                _("This command changes data and needs the acting user."),
                _("Give --user NAME (and the password in ARMOURY_PASSWORD or at the prompt)."),
            )
        old = read_password("ARMOURY_PASSWORD", _("Password for {user}: ").format(user=username))
        result = auth.sign_in(db, username, old)
        new = new_password("ARMOURY_NEW_PASSWORD", result.actor.username)
        auth.change_password(db, result.actor, old, new)
        print(_("The password of {user} is changed.").format(user=result.actor.username))
        return 0
    finally:
        db.dispose()


def run_backup(args: argparse.Namespace) -> int:
    from armoury.services import backup

    db = database(args)
    try:
        if args.auto:
            actor = acting_user(args, db) if args.user else SYSTEM_ACTOR
            result = backup.automatic_backup(db, actor, force=args.force)
            if result is None:
                print(_("No automatic backup was needed (one was made today, or they are turned off)."))
                return 0
        else:
            actor = acting_user(args, db)
            result = backup.backup_database(db, actor, Path(args.output))
        print(_("Backup written to {path} ({size} bytes, SHA-256 {sha}).").format(
            path=result.path, size=result.size, sha=result.sha256))  # fmt: skip
        return 0
    finally:
        db.dispose()


def run_restore(args: argparse.Namespace) -> int:
    from armoury.services import backup

    if args.check:
        check = backup.inspect_backup(Path(args.file))
        print(_("The backup is sound: schema {revision}, {count} audit entries verified.").format(
            revision=check.revision, count=check.audit.entries_checked))  # fmt: skip
        return 0
    db = database(args)
    try:
        actor = acting_user(args, db)
        result = backup.restore_database(db, actor, Path(args.file), allow_other_depot=args.other_depot)
    finally:
        db.dispose()
    print(_("The database was restored from {file}; {count} audit entries verified.").format(
        file=args.file, count=result.check.audit.entries_checked))  # fmt: skip
    print(_("The database it replaced was kept as {path}.").format(path=result.kept))
    return 0


def run_audit_list(args: argparse.Namespace) -> int:
    from armoury.services import audit

    since = None
    if args.since:
        try:
            since = datetime.strptime(args.since, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise ValidationError(
                _("{value} is not a date.").format(value=args.since), _("Write the date as YYYY-MM-DD.")
            ) from None
    db = database(args)
    try:
        actor = acting_user(args, db)
        entries = audit.list_events(
            db,
            actor,
            audit.AuditFilter(action=args.action, actor_name=args.actor, since=since),
            limit=args.limit,
        )
    finally:
        db.dispose()
    if args.json:
        print_json(
            [
                {"id": e.id, "occurred_at": e.occurred_at, "action": e.action, "actor": e.actor_name,
                 "witness": e.witness_name, "subject": e.subject, "facility_id": e.facility_id,
                 "details": dict(e.details)}
                for e in entries
            ]
        )  # fmt: skip
        return 0
    for e in entries:
        line = f"{e.id:>7} {_when(e.occurred_at)} {e.actor_name:<16} {e.action_label:<24} {e.subject}"
        if e.witness_name:
            line += " " + _("(witness {user})").format(user=e.witness_name)
        print(line)
    return 0


def run_audit_verify(args: argparse.Namespace) -> int:
    from armoury.services.audit import verify_audit_chain

    db = database(args)
    try:
        result = verify_audit_chain(db)
    finally:
        db.dispose()
    print(result.message, file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 9


def run_settings_list(args: argparse.Namespace) -> int:
    from armoury.services import settings

    db = database(args)
    try:
        values = settings.list_settings(db)
    finally:
        db.dispose()
    if args.json:
        print_json([{"key": v.key, "value": v.value, "default": v.default, "label": v.label} for v in values])
        return 0
    for v in values:
        shown = ", ".join(v.value) if isinstance(v.value, list) else str(v.value)
        print(f"{v.key:<34} {shown:<40} {v.label}")
    return 0


def run_settings_set(args: argparse.Namespace) -> int:
    from armoury.services import settings

    db = database(args)
    try:
        actor = acting_user(args, db)
        value = settings.set_value(db, actor, args.key, args.value)
    finally:
        db.dispose()
    print(_("{setting} is now {value}.").format(setting=value.key, value=value.value))
    return 0
