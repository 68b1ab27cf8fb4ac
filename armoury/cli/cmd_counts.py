"""``armoury count ...``: plan, scan, follow, resolve, close and print counts (stocktakes)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from armoury.cli.common import acting_user, add_user_arguments, database, print_json, witnesses
from armoury.errors import ValidationError
from armoury.i18n import _


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``count`` command group to the ``armoury`` parser."""
    group = subparsers.add_parser("count", help=_("counts (stocktakes): start, scan, status, close, report"))
    commands = group.add_subparsers(dest="count_command", metavar="ACTION", required=True)

    p = commands.add_parser("start", help=_("start a count and print its number"))
    p.add_argument("--facility", required=True, metavar="CODE", help=_("facility code"))
    p.add_argument("--area", action="append", default=[], metavar="CODE", help=_("storage area (repeatable)"))
    p.add_argument("--rack", nargs="+", action="extend", default=[], metavar="CODE", help=_("rack codes"))
    p.add_argument("--category", action="append", default=[], metavar="NAME", help=_("weapon category"))
    p.add_argument("--register", action="append", default=[], metavar="NAME", help=_("register"))
    p.add_argument("--type", default="monthly", metavar="TYPE", help=_("count type (default: monthly)"))
    p.add_argument("--blind", action="store_true", help=_("blind count: counters do not see the books"))
    p.add_argument("--counter", action="append", default=[], metavar="NAME", help=_("counter (repeatable)"))
    p.add_argument("--sample-percent", type=int, metavar="N", help=_("count a random sample of N %"))
    p.add_argument("--sample-racks", action="store_true", help=_("draw racks rather than weapons"))
    p.add_argument("--seed", type=int, metavar="N", help=_("seed of the random draw (recorded)"))
    add_user_arguments(p)
    p.set_defaults(handler=run_start)

    p = commands.add_parser("scan", help=_("record scans: rack labels, then serials or weapon labels"))
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("codes", nargs="+", metavar="CODE", help=_("serial number or label content"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    add_user_arguments(p)
    p.set_defaults(handler=run_scan)

    p = commands.add_parser("status", help=_("the result lists so far"))
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    add_user_arguments(p)
    p.set_defaults(handler=run_status)

    p = commands.add_parser("finish", help=_("end the scanning of a count"))
    p.add_argument("number", metavar="NUMBER")
    add_user_arguments(p)
    p.set_defaults(handler=run_finish)

    p = commands.add_parser(
        "resolve", help=_("settle a difference by its ledger operation, or leave it open")
    )
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("weapon", nargs="?", metavar="SERIAL", help=_("the weapon (serial or label content)"))
    p.add_argument("--scan", type=int, metavar="ID", help=_("an unknown serial's scan id instead"))
    p.add_argument("--leave-open", metavar="REASON", help=_("leave the difference open with this reason"))
    p.add_argument("--reason", default="", help=_("remark recorded with the operation"))
    add_user_arguments(p, witness=True)
    p.set_defaults(handler=run_resolve)

    p = commands.add_parser("close", help=_("close a count for good (it carries the ledger checkpoint)"))
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--leave-open", metavar="REASON", help=_("leave every unsettled difference open"))
    add_user_arguments(p)
    p.set_defaults(handler=run_close)

    p = commands.add_parser("report", help=_("count sheet or discrepancy report as PDF"))
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help=_("PDF file to write"))
    p.add_argument(
        "--kind",
        choices=["auto", "sheet", "blind-sheet", "discrepancies"],
        default="auto",
        help=_("which document (default: the sheet while counting, the discrepancies afterwards)"),
    )
    add_user_arguments(p)
    p.set_defaults(handler=run_report)

    p = commands.add_parser("list", help=_("counts, newest first"))
    p.add_argument("--open", action="store_true", help=_("only counts not closed"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    add_user_arguments(p)
    p.set_defaults(handler=run_list)

    p = commands.add_parser("due", help=_("counts due or overdue per facility"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    add_user_arguments(p)
    p.set_defaults(handler=run_due)


def run_start(args: argparse.Namespace) -> int:
    from armoury.models.counts import SampleUnit
    from armoury.services import counts

    db = database(args)
    actor = acting_user(args, db)
    counter_ids = [_user_id(db, name) for name in args.counter]
    plan = counts.CountPlan(
        facility=args.facility,
        type_code=args.type,
        areas=args.area,
        racks=args.rack,
        categories=args.category,
        registers=args.register,
        blind=args.blind,
        counter_ids=counter_ids,
        sample_percent=args.sample_percent,
        sample_unit=SampleUnit.RACKS if args.sample_racks else SampleUnit.WEAPONS,
        seed=args.seed,
    )
    info = counts.start_count(db, actor, plan)
    print(info.number)
    return 0


def _user_id(db: object, name: str) -> int:
    from sqlalchemy import select

    from armoury.db import Database
    from armoury.models import User

    assert isinstance(db, Database)
    with db.read() as session:
        found = session.scalar(select(User.id).where(User.username == name.strip().lower()))
    if found is None:
        raise ValidationError(_("No user {user}.").format(user=name), _("Check the user name."))
    return found


def run_scan(args: argparse.Namespace) -> int:
    from armoury.services import count_scan

    db = database(args)
    actor = acting_user(args, db)
    results = []
    for code in args.codes:
        result = count_scan.scan(db, actor, args.number, code)
        results.append(result)
        if not args.json:
            mark = "OK" if result.ok else ("DUP" if result.duplicate else "!!")
            print(f"{mark:3} {code}: {result.message}")
            sys.stdout.flush()
    if args.json:
        print_json(
            [
                {
                    "scan_id": r.scan_id, "text": r.text, "kind": r.kind.value, "ok": r.ok,
                    "duplicate": r.duplicate, "message": r.message, "weapon_id": r.weapon_id,
                    "place": r.place, "expected": r.expected,
                }
                for r in results
            ]
        )  # fmt: skip
    return 0


def run_status(args: argparse.Namespace) -> int:
    from armoury.services import count_reconcile, counts

    db = database(args)
    actor = acting_user(args, db)
    info = counts.get_count(db, actor, args.number)
    result = count_reconcile.count_result(db, actor, args.number)
    if args.json:
        print_json({**result.as_json(), "facility": info.facility_code, "type": info.type_code})
        return 0
    accuracy = "—" if result.accuracy is None else f"{result.accuracy * 100:.1f} %"
    print(
        _("{number} ({facility}, {type}): {status}; {scans} scans; accuracy {accuracy}").format(
            number=info.number, facility=info.facility_code, type=info.type_name,
            status=info.status.label, scans=result.scans_total, accuracy=accuracy,
        )
    )  # fmt: skip
    for kind, lines in result.lists.items():
        print(f"{kind.label}: {len(lines)}")
        if kind.value != "in_place":
            for line in lines:
                details = " · ".join(
                    p for p in (line.expected, line.found, line.books_now, line.resolution) if p
                )
                print(f"  {line.serial}  {line.item_type}  {details}")
    return 0


def run_finish(args: argparse.Namespace) -> int:
    from armoury.services import count_reconcile

    db = database(args)
    actor = acting_user(args, db)
    result = count_reconcile.finish_counting(db, actor, args.number)
    print(_("{number}: counting finished; {count} differences to settle.").format(
        number=result.number, count=result.unresolved))  # fmt: skip
    return 0


def run_resolve(args: argparse.Namespace) -> int:
    from armoury.models.counts import ResolutionAction
    from armoury.services import count_reconcile
    from armoury.services.custody_common import resolve_or_block

    db = database(args)
    actor = acting_user(args, db)
    confirm = witnesses(args, db, actor)
    if (args.weapon is None) == (args.scan is None):
        raise ValidationError(_("Name one weapon, or one scan with --scan ID."), "")
    weapon_id = resolve_or_block(db, [args.weapon])[0][1] if args.weapon else None
    done = count_reconcile.resolve(
        db,
        actor,
        args.number,
        weapon_id=weapon_id,
        scan_id=args.scan,
        action=ResolutionAction.LEFT_OPEN if args.leave_open else None,
        reason=args.leave_open or args.reason,
        witnesses=confirm,
    )
    print(f"{done.number}: {done.action.label} {done.document_ref}".rstrip())
    return 0


def run_close(args: argparse.Namespace) -> int:
    from armoury.services import count_reconcile

    db = database(args)
    actor = acting_user(args, db)
    result = count_reconcile.close_count(db, actor, args.number, leave_open_reason=args.leave_open or "")
    print(_("{number} closed at ledger checkpoint {checkpoint}.").format(
        number=result.number, checkpoint=result.close_checkpoint))  # fmt: skip
    return 0


def run_report(args: argparse.Namespace) -> int:
    from armoury.services import count_reports

    db = database(args)
    actor = acting_user(args, db)
    pages = count_reports.write_report(db, actor, args.number, Path(args.output), args.kind)
    print(_("{file}: {pages} pages.").format(file=args.output, pages=pages))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from armoury.services import counts

    db = database(args)
    actor = acting_user(args, db)
    found = counts.list_counts(db, actor, open_only=args.open)
    if args.json:
        print_json(
            [
                {"number": c.number, "facility": c.facility_code, "type": c.type_code, "status": c.status.value,
                 "blind": c.blind, "started_at": c.started_at.isoformat(), "scans": c.scans_total,
                 "close_checkpoint": c.close_checkpoint}
                for c in found
            ]
        )  # fmt: skip
        return 0
    for c in found:
        print(f"{c.number}  {c.facility_code:8} {c.type_code:10} {c.status.label:12} {c.started_at:%Y-%m-%d}")
    return 0


def run_due(args: argparse.Namespace) -> int:
    from armoury.services import counts

    db = database(args)
    actor = acting_user(args, db)
    due = counts.due_counts(db, actor, date.today())
    if args.json:
        print_json(
            [
                {"facility": d.facility_code, "type": d.type_code, "due_on": d.due_on.isoformat(),
                 "overdue": d.overdue, "open_count": d.open_count}
                for d in due
            ]
        )  # fmt: skip
        return 0
    for d in due:
        state = _("overdue") if d.overdue else _("due")
        print(f"{d.facility_code:8} {d.type_name:40} {state:8} {d.due_on.isoformat()} {d.open_count or ''}")
    return 0
