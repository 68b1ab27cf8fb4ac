"""``armoury tracing add|answer|list``: tracing requests of recovered and seized weapons."""

from __future__ import annotations

import argparse
from typing import Any

from armoury.cli.cmd_custody import parse_day
from armoury.cli.common import acting_user, add_user_arguments, database, print_json
from armoury.db import Database
from armoury.i18n import _


def _services() -> Any:
    # Imported when a command runs, so that ``armoury --help`` stays fast.
    from armoury.services import tracing

    return tracing


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the tracing commands to the ``armoury`` parser."""
    tracing = subparsers.add_parser(
        "tracing", help=_("tracing requests of recovered weapons: record, answer, list")
    )
    sub = tracing.add_subparsers(dest="tracing_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help=_("record a tracing request sent about a recovered weapon"))
    add.add_argument("ref", metavar="SERIAL", help=_("weapon: SERIAL, MODEL:SERIAL or label content"))
    add.add_argument("--to", required=True, metavar="TEXT", help=_("State or organisation asked"))
    add.add_argument("--on", required=True, metavar="DATE", help=_("date the request was sent (YYYY-MM-DD)"))
    add.add_argument("--reference", default="", help=_("reference of the request"))
    add.add_argument("--details", default="", help=_("what was asked, how it was sent"))
    add.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    add_user_arguments(add)
    add.set_defaults(handler=run_add)

    answer = sub.add_parser("answer", help=_("record the answer to a tracing request"))
    answer.add_argument("id", type=int, metavar="ID", help=_("tracing request number"))
    answer.add_argument("--on", required=True, metavar="DATE", help=_("date of the answer (YYYY-MM-DD)"))
    answer.add_argument("--text", required=True, metavar="TEXT", help=_("what was answered"))
    answer.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    add_user_arguments(answer)
    answer.set_defaults(handler=run_answer)

    listing = sub.add_parser(
        "list", help=_("the requests of one weapon, or those still waiting for an answer")
    )
    listing.add_argument(
        "ref", nargs="?", metavar="SERIAL", help=_("one weapon (default: every unanswered request)")
    )
    listing.add_argument("--open", action="store_true", help=_("only the requests without an answer"))
    listing.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    add_user_arguments(listing)
    listing.set_defaults(handler=run_list)


def _weapon_id(db: Database, ref: str) -> int:
    from armoury.services.custody_common import resolve_or_block

    return resolve_or_block(db, [ref])[0][1]


def _print(args: argparse.Namespace, infos: list[Any]) -> int:
    if args.json:
        print_json([info.as_dict() for info in infos])
        return 0
    for info in infos:
        print(f"{info.id:>6}  {info.item_type} {info.serial}  {info.summary}")
    if not infos:
        print(_("No tracing request."))
    return 0


def run_add(args: argparse.Namespace) -> int:
    tracing = _services()
    db = database(args)
    actor = acting_user(args, db)
    data = tracing.TracingRequestData(parse_day(args.on), args.to, args.reference, args.details)
    info = tracing.record_request(db, actor, _weapon_id(db, args.ref), data)
    if not args.json:
        print(_("Tracing request {id} recorded.").format(id=info.id))
    return _print(args, [info])


def run_answer(args: argparse.Namespace) -> int:
    tracing = _services()
    db = database(args)
    actor = acting_user(args, db)
    info = tracing.record_answer(db, actor, args.id, parse_day(args.on), args.text)
    if not args.json:
        print(_("Answer to tracing request {id} recorded.").format(id=info.id))
    return _print(args, [info])


def run_list(args: argparse.Namespace) -> int:
    tracing = _services()
    db = database(args)
    actor = acting_user(args, db)
    if args.ref is None:
        return _print(args, tracing.open_requests(db, actor))
    infos = tracing.requests_for(db, actor, _weapon_id(db, args.ref))
    return _print(args, [i for i in infos if i.is_open] if args.open else infos)
