"""What every command needs: the database, the acting user, a witness, output helpers."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from armoury.db import Database, open_database
from armoury.errors import AuthenticationError
from armoury.i18n import _
from armoury.security.permissions import Actor


def database(args: argparse.Namespace, check: bool = True) -> Database:
    return open_database(getattr(args, "db", None), check=check)


def add_user_arguments(parser: argparse.ArgumentParser, witness: bool = False) -> None:
    """``--user NAME`` (password from ARMOURY_PASSWORD or a prompt), and ``--witness NAME`` if asked."""
    parser.add_argument(
        "--user", metavar="NAME", help=_("acting user (password: ARMOURY_PASSWORD or prompt)")
    )
    if witness:
        parser.add_argument(
            "--witness",
            metavar="NAME",
            action="append",
            default=[],
            help=_("second person confirming (password: ARMOURY_WITNESS_PASSWORD or prompt); repeatable"),
        )


def read_password(env_name: str, prompt: str) -> str:
    value = os.environ.get(env_name)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise AuthenticationError(
            _("No password given."),
            _("Set {env} or run the command in a terminal to be asked for it.").format(env=env_name),
        )
    return getpass.getpass(prompt)


def acting_user(args: argparse.Namespace, db: Database) -> Actor:
    """Sign in the user named by ``--user`` for this one command."""
    from armoury.services import auth

    username = getattr(args, "user", None) or os.environ.get("ARMOURY_USER")
    if not username:
        raise AuthenticationError(
            _("This command changes data and needs the acting user."),
            _("Give --user NAME (and the password in ARMOURY_PASSWORD or at the prompt)."),
        )
    password = read_password("ARMOURY_PASSWORD", _("Password for {user}: ").format(user=username))
    return auth.authenticate(db, username, password)


def witnesses(args: argparse.Namespace, db: Database, actor: Actor) -> list[Actor]:
    """Sign in each ``--witness`` (one password from ARMOURY_WITNESS_PASSWORD, or a prompt each)."""
    from armoury.services import auth

    found: list[Actor] = []
    for name in getattr(args, "witness", []) or []:
        password = read_password(
            "ARMOURY_WITNESS_PASSWORD", _("Password for witness {user}: ").format(user=name)
        )
        found.append(auth.confirm_witness(db, actor, name, password))
    return found


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
