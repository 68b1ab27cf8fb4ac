"""``armoury init`` and ``armoury gui``."""

from __future__ import annotations

import argparse
import importlib

from armoury.db import Database
from armoury.db.database import opening_errors
from armoury.db.engine import database_url
from armoury.db.schema import init_database
from armoury.i18n import _


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = subparsers.add_parser("init", help=_("create the database or upgrade its schema"))
    init.set_defaults(handler=run_init)

    gui = subparsers.add_parser("gui", help=_("open the window (the default command)"))
    gui.add_argument(
        "--demo-if-new", action="store_true", help=_("load the demo depot when the database is new")
    )
    gui.set_defaults(handler=run_gui)


def run_init(args: argparse.Namespace) -> int:
    url = database_url(args.db)
    database = Database(url)
    try:
        with opening_errors():
            result = init_database(database.engine)
    finally:
        database.dispose()
    if result.created:
        print(
            _("Created the Armoury database at {where} (schema {revision}).").format(
                where=database.describe(), revision=result.revision
            )
        )
    elif result.upgraded_from:
        print(
            _("Upgraded the database at {where} from schema {old} to {new}.").format(
                where=database.describe(), old=result.upgraded_from, new=result.revision
            )
        )
        if result.backup:
            print(_("The previous file was kept as {path}.").format(path=result.backup))
    else:
        print(
            _("The database at {where} is up to date (schema {revision}).").format(
                where=database.describe(), revision=result.revision
            )
        )
    return 0


def run_gui(args: argparse.Namespace) -> int:
    # The core never imports Qt: the window is loaded only when asked for.
    app = importlib.import_module("ui.app")
    code: int = app.run(database_url(args.db), demo_if_new=getattr(args, "demo_if_new", False))
    return code
