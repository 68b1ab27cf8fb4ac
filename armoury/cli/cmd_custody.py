"""Custody commands: issue, return, move, transfer, receive, repair, losses, recovery, destruction,
corrections, history, overdue returns and ``verify``."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from armoury.cli.common import acting_user, add_user_arguments, database, print_json, witnesses
from armoury.db import Database
from armoury.domain.enums import Register
from armoury.errors import ValidationError
from armoury.i18n import _
from armoury.security.permissions import Actor

EXIT_VERIFY_FAILED = 9


def _services() -> Any:
    # Imported when a command runs, so that ``armoury --help`` stays fast.
    return importlib.import_module("armoury.services.custody")


def parse_when(text: str) -> datetime:
    """``2026-11-23T18:00`` (UTC unless an offset is given) or ``+8h`` / ``+2d`` from now."""
    value = text.strip()
    if value.startswith("+") and value[-1:] in ("h", "d") and value[1:-1].isdigit():
        amount = int(value[1:-1])
        return datetime.now(UTC) + (timedelta(hours=amount) if value[-1] == "h" else timedelta(days=amount))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            _("'{value}' is not a date and time.").format(value=text),
            _("Write it as 2026-11-23T18:00 (UTC), or +8h / +2d from now."),
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            _("'{value}' is not a date.").format(value=text), _("Write it as 2026-11-23.")
        ) from None


def _add(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    handler: Callable[[argparse.Namespace], int],
    refs: bool = True,
    witness: bool = True,
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text)
    if refs:
        parser.add_argument(
            "refs", nargs="+", metavar="REF", help=_("weapon: SERIAL, MODEL:SERIAL or label content")
        )
    add_user_arguments(parser, witness=witness)
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    parser.set_defaults(handler=handler)
    return parser


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the custody commands to the ``armoury`` parser."""
    p = _add(subparsers, "issue", _("issue weapons to a person on one hand receipt"), run_issue)
    p.add_argument("--to", required=True, metavar="SERVICE_NO", help=_("service number of the person"))
    due = p.add_mutually_exclusive_group(required=True)
    due.add_argument("--due", metavar="DATETIME", help=_("due back (UTC, or +8h / +2d)"))
    due.add_argument("--long-term", action="store_true", help=_("long-term assignment"))
    p.add_argument("--reason", default="", help=_("duty or remark"))

    p = _add(subparsers, "return", _("take weapons back into store"), run_return)
    p.add_argument("--rack", metavar="CODE", help=_("rack (default: the rack each came from)"))
    p.add_argument("--slot", type=int, metavar="N", help=_("first slot"))
    p.add_argument("--condition", metavar="C", help=_("condition found at the check"))

    p = _add(subparsers, "move", _("move weapons to another rack"), run_move)
    p.add_argument("--rack", required=True, metavar="CODE", help=_("rack"))
    p.add_argument("--slot", type=int, metavar="N", help=_("first slot"))
    p.add_argument("--reason", default="", help=_("remark"))

    p = _add(
        subparsers, "transfer", _("send weapons to another facility on a transfer voucher"), run_transfer
    )
    p.add_argument("--to-facility", required=True, metavar="CODE", help=_("receiving facility"))
    p.add_argument("--reason", default="", help=_("remark"))

    p = _add(
        subparsers, "accept-transfer", _("accept the weapons of a transfer voucher"), run_accept, refs=False
    )
    p.add_argument("voucher", metavar="VOUCHER", help=_("transfer voucher number"))
    p.add_argument("--rack", required=True, metavar="CODE", help=_("rack at the receiving facility"))
    p.add_argument("--weapon", action="append", default=[], metavar="REF", help=_("only these weapons"))

    p = _add(
        subparsers, "reject-transfer", _("refuse the weapons of a transfer voucher"), run_reject, refs=False
    )
    p.add_argument("voucher", metavar="VOUCHER", help=_("transfer voucher number"))
    p.add_argument("--weapon", action="append", default=[], metavar="REF", help=_("only these weapons"))
    p.add_argument("--reason", required=True, help=_("why they are refused"))

    p = _add(subparsers, "receive", _("receive new weapons into a rack"), run_receive, refs=False)
    p.add_argument("--type", required=True, metavar="MANUFACTURER:MODEL", help=_("make and model"))
    p.add_argument("--serial", action="append", required=True, metavar="SERIAL", help=_("repeatable"))
    p.add_argument("--rack", required=True, metavar="CODE", help=_("rack"))
    p.add_argument("--facility", metavar="CODE", help=_("facility of the rack"))
    p.add_argument("--slot", type=int, metavar="N", help=_("first slot"))
    p.add_argument("--supplier", default="", help=_("supplier or sending depot"))
    p.add_argument("--voucher", default="", help=_("voucher number"))
    p.add_argument("--condition", default="serviceable", metavar="C", help=_("condition"))
    p.add_argument("--register", choices=["national", "contingent"], default="national", help=_("register"))
    p.add_argument("--country", default="", help=_("contributing country (contingent)"))
    p.add_argument("--unit", default="", help=_("contingent unit"))

    p = _add(subparsers, "repair", _("send weapons to repair or take them back"), run_repair)
    p.add_argument("--back", action="store_true", help=_("back from repair (default: send)"))
    p.add_argument("--rack", metavar="CODE", help=_("rack (when back)"))
    p.add_argument("--condition", default="serviceable", metavar="C", help=_("condition (when back)"))
    p.add_argument("--repairer", default="", help=_("workshop"))
    p.add_argument("--document", default="", help=_("repair order"))

    p = _add(subparsers, "condition", _("record the condition of weapons"), run_condition)
    p.add_argument("--set", required=True, metavar="C", help=_("new condition"))
    p.add_argument("--reason", default="", help=_("remark"))

    p = _add(subparsers, "report-loss", _("report weapons lost or stolen"), run_report_loss)
    p.add_argument("--kind", required=True, choices=["lost", "stolen"], help=_("lost or stolen"))
    p.add_argument("--details", required=True, help=_("circumstances"))
    p.add_argument("--when", metavar="DATETIME", help=_("when it happened (default: now)"))
    p.add_argument("--place", default="", help=_("where"))
    p.add_argument("--reported-to", default="", help=_("authority informed"))
    p.add_argument("--reference", default="", help=_("their reference"))

    p = _add(
        subparsers,
        "conclude-investigation",
        _("conclude the investigation of a loss"),
        run_conclude,
        refs=False,
    )
    p.add_argument("incident", metavar="INCIDENT", help=_("incident number (INC-…)"))
    p.add_argument(
        "--conclusion", required=True, choices=["theft", "loss", "accounting_error"], help=_("conclusion")
    )
    p.add_argument("--findings", required=True, help=_("what the investigation found"))

    p = subparsers.add_parser("recover", help=_("record the recovery of lost or seized weapons"))
    p.add_argument("refs", nargs="*", metavar="REF", help=_("lost or stolen weapons found again"))
    add_user_arguments(p, witness=True)
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.add_argument("--rack", required=True, metavar="CODE", help=_("rack"))
    p.add_argument("--facility", metavar="CODE", help=_("facility of the rack"))
    p.add_argument("--condition", default="quarantined", metavar="C", help=_("condition"))
    p.add_argument("--place", default="", help=_("where they were recovered"))
    p.add_argument("--details", default="", help=_("circumstances"))
    p.add_argument("--date", metavar="DATE", help=_("date of recovery (default: today)"))
    p.add_argument("--seized", action="store_true", help=_("register seized / collected weapons"))
    p.add_argument("--type", metavar="MANUFACTURER:MODEL", help=_("make and model (with --seized)"))
    p.add_argument("--serial", action="append", default=[], metavar="SERIAL", help=_("with --seized"))
    p.add_argument("--unit", default="", help=_("recovering unit"))
    p.add_argument("--case", default="", help=_("case reference"))
    p.add_argument("--received-from", default="", help=_("handed over by"))
    p.add_argument("--evidence", action="store_true", help=_("register as evidence"))
    p.set_defaults(handler=run_recover)

    p = _add(subparsers, "destroy", _("record the destruction of weapons"), run_destroy)
    p.add_argument("--method", required=True, help=_("method of destruction"))
    p.add_argument("--certificate", required=True, metavar="NO", help=_("certificate number"))
    p.add_argument("--date", metavar="DATE", help=_("date of destruction (default: today)"))
    p.add_argument("--reason", default="", help=_("remark"))

    p = _add(subparsers, "correct", _("reverse a wrong ledger entry"), run_correct, refs=False)
    p.add_argument("seq", type=int, metavar="SEQ", help=_("ledger entry to reverse"))
    p.add_argument("--reason", required=True, help=_("why it was wrong"))

    p = _add(subparsers, "history", _("a weapon's history"), run_history, witness=False)
    p.set_defaults(handler=run_history)

    p = subparsers.add_parser("overdue", help=_("weapons not back by their due time"))
    add_user_arguments(p)
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run_overdue)

    p = subparsers.add_parser("verify", help=_("check the ledger's hash chain, replay it and check places"))
    p.add_argument("--checkpoint", metavar="SEQ:HASH", help=_("a chain head printed earlier on a report"))
    add_user_arguments(p)
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run_verify)


# ------------------------------------------------------------------------------------------- handlers


def _signed_in(args: argparse.Namespace) -> tuple[Database, Actor, list[Actor]]:
    db = database(args)
    actor = acting_user(args, db)
    return db, actor, witnesses(args, db, actor)


def _report(args: argparse.Namespace, result: Any) -> int:
    if getattr(args, "json", False):
        print_json(
            {
                "operation": str(result.operation),
                "seq": result.seq,
                "hash": result.hash,
                "document_ref": result.document_ref,
                "recorded_at": result.recorded_at.isoformat(),
                "weapons": [
                    {"weapon_id": w.weapon_id, "serial": w.serial, "before": w.before, "after": w.after}
                    for w in result.weapons
                ],
            }
        )
        return 0
    print(
        _("Entry {seq} recorded: {operation}, {count} weapon(s).").format(
            seq=result.seq, operation=result.operation.label, count=len(result.weapons)
        )
    )
    if result.document_ref:
        print(_("Document: {ref}").format(ref=result.document_ref))
    for weapon in result.weapons:
        print(f"  {weapon.item_type} {weapon.serial}: {weapon.before or '—'} → {weapon.after}")
    print(_("Chain head: {checkpoint}").format(checkpoint=result.checkpoint))
    return 0


def run_issue(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    due = parse_when(args.due) if args.due else None
    result = _services().issue(
        db,
        actor,
        args.refs,
        args.to,
        due_back=due,
        long_term=args.long_term,
        witnesses=seen,
        reason=args.reason,
    )
    return _report(args, result)


def run_return(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().return_weapons(
        db, actor, args.refs, rack=args.rack, slot=args.slot, condition=args.condition, witnesses=seen
    )
    return _report(args, result)


def run_move(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().move(
        db, actor, args.refs, args.rack, slot=args.slot, witnesses=seen, reason=args.reason
    )
    return _report(args, result)


def run_transfer(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().transfer(db, actor, args.refs, args.to_facility, witnesses=seen, reason=args.reason)
    code = _report(args, result)
    if not args.json:
        print(_("Transfer voucher: {voucher}").format(voucher=result.document_ref))
    return code


def run_accept(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().accept_transfer(
        db, actor, args.voucher, args.rack, weapons=args.weapon or None, witnesses=seen
    )
    return _report(args, result)


def run_reject(args: argparse.Namespace) -> int:
    db, actor, _seen = _signed_in(args)
    result = _services().reject_transfer(
        db, actor, args.voucher, weapons=args.weapon or None, reason=args.reason
    )
    return _report(args, result)


def run_receive(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    services = _services()
    items = [services.NewWeapon(args.type, serial) for serial in args.serial]
    result = services.receive(
        db,
        actor,
        items,
        args.rack,
        facility=args.facility,
        slot=args.slot,
        supplier=args.supplier,
        voucher=args.voucher,
        condition=args.condition,
        register=Register(args.register),
        contingent_country=args.country,
        contingent_unit=args.unit,
        witnesses=seen,
    )
    return _report(args, result)


def run_repair(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    services = _services()
    if args.back:
        if not args.rack:
            raise ValidationError(
                _("Say which rack the weapons go back on."), _("Give --rack CODE with --back.")
            )
        result = services.back_from_repair(
            db,
            actor,
            args.refs,
            args.rack,
            condition=args.condition,
            document_ref=args.document,
            witnesses=seen,
        )
    else:
        result = services.send_to_repair(
            db, actor, args.refs, repairer=args.repairer, document_ref=args.document, witnesses=seen
        )
    return _report(args, result)


def run_condition(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().change_condition(db, actor, args.refs, args.set, reason=args.reason, witnesses=seen)
    return _report(args, result)


def run_report_loss(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().report_loss(
        db,
        actor,
        args.refs,
        args.kind,
        circumstances=args.details,
        occurred_at=parse_when(args.when) if args.when else None,
        place=args.place,
        reported_to=args.reported_to,
        reference=args.reference,
        witnesses=seen,
    )
    code = _report(args, result)
    if not args.json:
        print(_("Incident: {incident} (investigation open)").format(incident=result.document_ref))
    return code


def run_conclude(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().conclude_investigation(
        db, actor, args.incident, args.conclusion, args.findings, witnesses=seen
    )
    return _report(args, result)


def run_recover(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    services = _services()
    day = parse_day(args.date) if args.date else date.today()
    if args.seized:
        if not args.type or not args.serial or args.refs:
            raise ValidationError(
                _("Seized weapons are named by --type and --serial, not by REF."),
                _("Give --type MANUFACTURER:MODEL and one --serial per weapon."),
            )
        result = services.register_recovered(
            db,
            actor,
            [services.NewWeapon(args.type, serial) for serial in args.serial],
            args.rack,
            recovered_on=day,
            place=args.place,
            circumstances=args.details,
            recovering_unit=args.unit,
            case_reference=args.case,
            received_from=args.received_from,
            facility=args.facility,
            register=Register.EVIDENCE if args.evidence else Register.RECOVERED,
            condition=args.condition,
            witnesses=seen,
        )
    else:
        if not args.refs:
            raise ValidationError(
                _("Name the weapons found again."), _("Give their serial numbers, or --seized for new ones.")
            )
        result = services.recover(
            db,
            actor,
            args.refs,
            args.rack,
            facility=args.facility,
            condition=args.condition,
            recovered_on=day,
            place=args.place,
            circumstances=args.details,
            witnesses=seen,
        )
    return _report(args, result)


def run_destroy(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().destroy(
        db,
        actor,
        args.refs,
        method=args.method,
        certificate=args.certificate,
        destroyed_on=parse_day(args.date) if args.date else None,
        witnesses=seen,
        reason=args.reason,
    )
    return _report(args, result)


def run_correct(args: argparse.Namespace) -> int:
    db, actor, seen = _signed_in(args)
    result = _services().correct(db, actor, args.seq, args.reason, witnesses=seen)
    return _report(args, result)


def _read_actor(args: argparse.Namespace, db: Database) -> Actor:
    return acting_user(args, db)


def run_history(args: argparse.Namespace) -> int:
    from armoury.services.custody_common import resolve_or_block
    from armoury.services.ledger import weapon_history

    db = database(args)
    actor = _read_actor(args, db)
    if len(args.refs) != 1:
        raise ValidationError(_("Name one weapon."), _("Give one REF."))
    weapon_id = resolve_or_block(db, args.refs)[0][1]
    lines = weapon_history(db, actor, weapon_id)
    if args.json:
        print_json(
            [
                {
                    "seq": line.seq,
                    "recorded_at": line.recorded_at.isoformat(),
                    "operation": str(line.operation),
                    "actor": line.actor,
                    "witnesses": list(line.witnesses),
                    "document_ref": line.document_ref,
                    "reason": line.reason,
                    "corrects_seq": line.corrects_seq,
                    "payload": line.payload,
                    "from": line.from_state,
                    "to": line.to_state,
                    "hash": line.hash,
                }
                for line in lines
            ]
        )
        return 0
    for line in lines:
        stamp = line.recorded_at.strftime("%Y-%m-%d %H:%M")
        extra = f" [{line.document_ref}]" if line.document_ref else ""
        print(f"{line.seq:>8}  {stamp}  {line.operation_label}{extra}  {line.actor}")
        print(f"          {line.from_state} → {line.to_state}")
        if line.reason:
            print(f"          {line.reason}")
    return 0


def run_overdue(args: argparse.Namespace) -> int:
    db = database(args)
    actor = _read_actor(args, db)
    loans = _services().overdue_loans(db, actor)
    if args.json:
        print_json(
            [
                {
                    "weapon_id": loan.weapon_id,
                    "serial": loan.serial,
                    "item_type": loan.item_type,
                    "person": loan.person,
                    "service_number": loan.service_number,
                    "hand_receipt": loan.hand_receipt,
                    "due_back": loan.due_back.isoformat() if loan.due_back else None,
                }
                for loan in loans
            ]
        )
        return 0
    if not loans:
        print(_("No weapon is overdue."))
    for loan in loans:
        due = loan.due_back.strftime("%Y-%m-%d %H:%M") if loan.due_back else ""
        print(
            f"{due}  {loan.item_type} {loan.serial}  {loan.person} ({loan.service_number})  {loan.hand_receipt}"
        )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from armoury.services.ledger import Checkpoint, verify, verify_unchecked

    db = database(args)
    checkpoint = Checkpoint.parse(args.checkpoint) if args.checkpoint else None
    report = verify(db, acting_user(args, db), checkpoint) if args.user else verify_unchecked(db, checkpoint)
    audit = _verify_audit(db)
    ok = report.ok and (audit is None or bool(getattr(audit, "ok", True)))
    if args.json:
        print_json(
            {
                "ok": ok,
                "entries": report.entries,
                "weapons": report.weapons,
                "head": str(report.head),
                "first_bad_seq": report.first_bad_seq,
                "checkpoint_ok": report.checkpoint_ok,
                "problems": list(report.problems),
                "audit": None
                if audit is None
                else {"ok": getattr(audit, "ok", None), "message": getattr(audit, "message", "")},
                "seconds": round(report.seconds, 3),
            }
        )
        return 0 if ok else EXIT_VERIFY_FAILED
    if report.ok:
        print(
            _(
                "Custody ledger: {entries} entries, {weapons} weapons — the chain and the replay are correct."
            ).format(entries=report.entries, weapons=report.weapons)
        )
        if report.checkpoint_ok:
            print(
                _("The ledger still extends the checkpoint {seq}.").format(
                    seq=report.checkpoint.seq if report.checkpoint else 0
                )
            )
    else:
        if report.first_bad_seq is not None:
            print(_("Custody ledger: the first bad entry is {seq}.").format(seq=report.first_bad_seq))
        for problem in report.problems:
            print(_("Problem: {problem}").format(problem=problem))
    print(_("Chain head: {checkpoint}").format(checkpoint=report.head))
    message = getattr(audit, "message", "") if audit is not None else ""
    if message:
        print(_("Security audit trail: {message}").format(message=message))
    return 0 if ok else EXIT_VERIFY_FAILED


def _verify_audit(db: Database) -> Any:
    try:
        audit = importlib.import_module("armoury.services.audit")
    except ImportError:
        return None
    check = getattr(audit, "verify_audit_chain", None)
    return None if check is None else check(db)
