"""``armoury import``, ``armoury export``, ``armoury demo`` and ``armoury lookup``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from armoury.cli.common import acting_user, add_user_arguments, database, print_json
from armoury.db import Database
from armoury.db.engine import database_url
from armoury.db.schema import init_database
from armoury.errors import ValidationError
from armoury.i18n import N_, _
from armoury.services.import_rows import ImportIssue, ImportReport

IMPORT_HELP = {
    "locations": N_("facilities, storage areas and racks"),
    "people": N_("the roster of people and their units"),
    "catalogue": N_("item types (manufacturer, model, category, calibre, country)"),
    "items": N_("weapons, placed on their racks"),
}

CREATED_LABELS = {
    "facilities": N_("facilities"),
    "areas": N_("storage areas"),
    "racks": N_("racks"),
    "item_types": N_("item types"),
    "people": N_("people"),
    "units": N_("units"),
    "weapons": N_("weapons"),
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = subparsers.add_parser("import", help=_("import a CSV or XLSX file (validated first)"))
    kinds = imp.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, text in IMPORT_HELP.items():
        sub = kinds.add_parser(kind, help=_(text))
        sub.add_argument("file", type=Path, metavar="FILE", help=_("CSV (UTF-8, comma or semicolon) or XLSX"))
        mode = sub.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help=_("only validate; write nothing"))
        mode.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_("write the good rows; save the rejected ones to FILE.rejected.csv"),
        )
        sub.add_argument("--json", action="store_true", help=_("print the report as JSON"))
        add_user_arguments(sub)
        sub.set_defaults(handler=run_import)

    exp = subparsers.add_parser("export", help=_("export data in the import's columns"))
    what = exp.add_subparsers(dest="what", metavar="WHAT", required=True)
    items = what.add_parser("items", help=_("the weapons on the books"))
    items.add_argument("--format", choices=["csv", "xlsx", "json"], default=None, help=_("default: from -o"))
    items.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help=_("file to write"))
    items.add_argument("--facility", metavar="CODE", help=_("only this facility"))
    add_user_arguments(items)
    items.set_defaults(handler=run_export)

    demo = subparsers.add_parser("demo", help=_("create the demo depot in a new database"))
    demo.add_argument("--seed", type=int, default=1, help=_("the same seed gives the same depot (default 1)"))
    demo.set_defaults(handler=run_demo)

    lookup = subparsers.add_parser("lookup", help=_("find a weapon by serial or label content"))
    lookup.add_argument("text", metavar="TEXT", help=_("a serial (any spacing or case) or a scanned label"))
    lookup.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    lookup.add_argument("--user", metavar="NAME", help=_("check as this user (optional; lookup only reads)"))
    lookup.set_defaults(handler=run_lookup)


# --- import -------------------------------------------------------------------------------------------


def _issue_line(issue: ImportIssue) -> str:
    if issue.row is None:
        return _("  column {column}: {reason}").format(column=issue.column, reason=issue.reason)
    return _("  row {row}, column {column}: {reason}").format(
        row=issue.row, column=issue.column, reason=issue.reason
    )


def print_report(report: ImportReport) -> None:
    print(
        _("{source}: {rows} rows checked, {valid} valid, {rejected} with errors.").format(
            source=report.source, rows=report.rows, valid=report.valid, rejected=report.rejected
        )
    )
    if report.errors:
        print(_("Errors ({n}):").format(n=len(report.errors)))
        for issue in report.errors:
            print(_issue_line(issue))
    if report.warnings:
        print(_("Warnings ({n}):").format(n=len(report.warnings)))
        for issue in report.warnings:
            print(_issue_line(issue))
    if report.dry_run:
        print(_("Dry run: nothing was written."))
    elif report.errors and not report.skip_invalid:
        print(_("Nothing was written. Correct the rows above and import again, or use --skip-invalid."))
    else:
        created = ", ".join(
            _("{what}: {n}").format(what=_(CREATED_LABELS.get(k, k)), n=v)
            for k, v in report.created.items()
            if v
        )
        print(_("Written: {n} records ({created}).").format(n=report.written, created=created or "-"))
    if report.rejected_file:
        print(_("Rejected rows saved to {path}.").format(path=report.rejected_file))


def run_import(args: argparse.Namespace) -> int:
    from armoury.services.imports import import_file

    db = database(args)
    try:
        actor = acting_user(args, db)
        report = import_file(
            db, actor, args.kind, args.file, dry_run=args.dry_run, skip_invalid=args.skip_invalid
        )
    finally:
        db.dispose()
    if args.json:
        print_json(report.as_dict())
    else:
        print_report(report)
    if report.errors and not report.skip_invalid:
        return ValidationError.exit_code
    return 0


# --- export -------------------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    from armoury.services.exports import export_items

    fmt = args.format or args.output.suffix.lower().lstrip(".")
    db = database(args)
    try:
        actor = acting_user(args, db)
        report = export_items(db, actor, args.output, fmt, facility_code=args.facility)
    finally:
        db.dispose()
    print(_("Exported {n} weapons to {path}.").format(n=report.rows, path=report.path))
    return 0


# --- demo ---------------------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    from armoury.services.demo import build_demo_depot

    db = Database(database_url(args.db))
    try:
        init_database(db.engine)
        summary = build_demo_depot(db, seed=args.seed)
    finally:
        db.dispose()
    print(
        _(
            "Demo depot created in {where} (seed {seed}): {facilities} facilities, {areas} storage areas, "
            "{racks} racks, {types} item types, {weapons} weapons ({recovered} recovered, {contingent} "
            "contingent-owned), {people} people."
        ).format(
            where=db.describe(),
            seed=summary.seed,
            facilities=summary.facilities,
            areas=summary.areas,
            racks=summary.racks,
            types=summary.item_types,
            weapons=summary.weapons,
            recovered=summary.recovered,
            contingent=summary.contingent,
            people=summary.people,
        )
    )
    if summary.demo_users:
        print(_("Demo users were created; see docs/security.md for their names."))
    return 0


# --- lookup -------------------------------------------------------------------------------------------


def run_lookup(args: argparse.Namespace) -> int:
    from armoury.services.lookup import lookup

    db = database(args)
    try:
        actor = acting_user(args, db) if args.user else None
        result = lookup(db, actor, args.text)
    finally:
        db.dispose()
    if args.json:
        print_json(result.as_dict())
        return 0
    if len(result.weapons) > 1:
        print(_("{n} weapons match {text}:").format(n=len(result.weapons), text=result.query))
    for weapon in result.weapons:
        place = weapon.rack_code + (f"/{weapon.slot}" if weapon.slot else "")
        print(
            _(
                "{serial}  {item_type} ({category})  {facility} {place}  {whereabouts}, {condition}  [{register}]"
            ).format(
                serial=weapon.serial,
                item_type=weapon.item_type,
                category=weapon.category,
                facility=weapon.facility_code,
                place=place,
                whereabouts=weapon.whereabouts,
                condition=weapon.condition,
                register=weapon.register,
            )
        )
        if weapon.holder:
            print(_("    held by {holder}").format(holder=weapon.holder))
    sys.stdout.flush()
    return 0
