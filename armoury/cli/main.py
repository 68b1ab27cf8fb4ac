"""The ``armoury`` command: the same services as the window, without one.

Each command group lives in its own module with a ``register(subparsers)`` function; the handler of a
command takes the parsed arguments and returns an exit code. Domain errors are printed with what to do
and end the command with the error's exit code; nothing is half-written because every service call is one
transaction.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from armoury import __version__
from armoury.errors import ArmouryError
from armoury.i18n import _, set_language

COMMAND_MODULES = (
    "armoury.cli.cmd_db",
    "armoury.cli.cmd_data",
    "armoury.cli.cmd_users",
    "armoury.cli.cmd_custody",
    "armoury.cli.cmd_labels",
    "armoury.cli.cmd_counts",
    "armoury.cli.cmd_inspections",
    "armoury.cli.cmd_reports",
    "armoury.cli.cmd_tracing",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="armoury",
        description=_("Armoury keeps the books of weapons and ammunition stockpiles."),
    )
    parser.add_argument("--version", action="version", version=f"armoury {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL",
        help=_("SQLite file or postgresql:// URL (default: ARMOURY_DB, then the user's data folder)"),
    )
    parser.add_argument("--lang", choices=["en", "fr"], help=_("language of messages and reports"))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # The language must be known before the parser's help texts are built.
    lang = _peek_option(args_list, "--lang")
    set_language(lang)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        args = parser.parse_args([*args_list, "gui"])
    try:
        result: int = args.handler(args)
        return result
    except ArmouryError as exc:
        print(_("Error: {message}").format(message=exc.message), file=sys.stderr)
        if exc.hint:
            print(exc.hint, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(_("Interrupted; nothing more was written."), file=sys.stderr)
        return 130


def _peek_option(argv: list[str], option: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None
