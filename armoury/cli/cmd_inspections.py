"""``armoury inspection list|report`` and ``armoury checklist list|export|import``."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select

from armoury.cli.common import acting_user, add_user_arguments, database, print_json
from armoury.db import Database
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import _
from armoury.security.permissions import SYSTEM_ACTOR, Actor


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the ``armoury`` parser."""
    inspection = subparsers.add_parser("inspection", help=_("PSSM inspections: list them, print a report"))
    inspection_sub = inspection.add_subparsers(dest="inspection_command", metavar="ACTION", required=True)

    listing = inspection_sub.add_parser("list", help=_("list inspections, newest first"))
    listing.add_argument("--facility", metavar="CODE", help=_("only this facility"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    add_user_arguments(listing)
    listing.set_defaults(handler=run_inspection_list)

    report = inspection_sub.add_parser("report", help=_("write the inspection report PDF"))
    report.add_argument("id", type=int, metavar="ID", help=_("inspection number"))
    report.add_argument("-o", "--output", required=True, metavar="FILE", help=_("PDF file to write"))
    add_user_arguments(report)
    report.set_defaults(handler=run_inspection_report)

    checklist = subparsers.add_parser("checklist", help=_("checklist templates: list, export, import"))
    checklist_sub = checklist.add_subparsers(dest="checklist_command", metavar="ACTION", required=True)

    clist = checklist_sub.add_parser("list", help=_("one template a line: id, version, title"))
    clist.add_argument(
        "--all-versions", action="store_true", help=_("show every version, not only the newest")
    )
    clist.add_argument("--json", action="store_true", help=_("print JSON"))
    add_user_arguments(clist)
    clist.set_defaults(handler=run_checklist_list)

    export = checklist_sub.add_parser("export", help=_("write a template to a JSON file"))
    export.add_argument("id", metavar="ID", help=_("template id (newest version) or id:version"))
    export.add_argument("-o", "--output", required=True, metavar="FILE", help=_("JSON file to write"))
    add_user_arguments(export)
    export.set_defaults(handler=run_checklist_export)

    imp = checklist_sub.add_parser("import", help=_("check and store a template from a JSON file"))
    imp.add_argument("file", metavar="FILE", help=_("JSON file in the Armoury checklist format"))
    add_user_arguments(imp)
    imp.set_defaults(handler=run_checklist_import)


def _reader(args: argparse.Namespace, db: Database) -> Actor:
    """Reading commands run as ``--user`` when given, otherwise with the local system's rights."""
    return acting_user(args, db) if getattr(args, "user", None) else SYSTEM_ACTOR


def _facility_id(db: Database, code: str) -> int:
    from armoury.models import Facility

    with db.read() as session:
        found = session.scalar(select(Facility.id).where(Facility.code == code.strip()))
    if found is None:
        raise NotFoundError(
            _("There is no facility with the code {code}.").format(code=code), _("Check the facility code.")
        )
    return found


def run_inspection_list(args: argparse.Namespace) -> int:
    from armoury.services.inspections import list_inspections

    db = database(args)
    try:
        actor = _reader(args, db)
        facility = _facility_id(db, args.facility) if args.facility else None
        rows = list_inspections(db, actor, facility)
    finally:
        db.dispose()
    if args.json:
        print_json(
            [
                {
                    "id": r.id,
                    "facility": r.facility_code,
                    "area": r.area_name,
                    "template": r.template_code,
                    "version": r.template_version,
                    "status": r.status.value,
                    "started_at": r.started_at.isoformat(),
                    "signed_at": r.signed_at.isoformat() if r.signed_at else None,
                    "inspector": r.inspector_name,
                    "score": r.score,
                    "level": r.level,
                }
                for r in rows
            ]
        )
        return 0
    for r in rows:
        score = "—" if r.score is None else f"{r.score:.1f}%"
        level = "—" if r.level is None else str(r.level)
        print(
            f"{r.id}\t{r.started_at:%Y-%m-%d}\t{r.facility_code}\t{r.template_code} v{r.template_version}\t"
            f"{r.status.label}\t{score}\t{level}\t{r.inspector_name}"
        )
    if not rows:
        print(_("No inspection recorded."))
    return 0


def run_inspection_report(args: argparse.Namespace) -> int:
    from armoury.services.inspections import write_inspection_report

    db = database(args)
    try:
        pages = write_inspection_report(db, _reader(args, db), args.id, Path(args.output))
    finally:
        db.dispose()
    print(_("Wrote {path} ({pages} pages).").format(path=args.output, pages=pages))
    return 0


def run_checklist_list(args: argparse.Namespace) -> int:
    from armoury.services.checklists import list_templates

    db = database(args)
    try:
        rows = list_templates(db, _reader(args, db), all_versions=args.all_versions)
    finally:
        db.dispose()
    if args.json:
        print_json(
            [
                {
                    "id": r.code,
                    "version": r.version,
                    "title": r.title,
                    "questions": r.question_count,
                    "builtin": r.builtin,
                    "used": r.used,
                }
                for r in rows
            ]
        )
        return 0
    for r in rows:
        print(f"{r.code}\t{r.version}\t{r.title}")
    return 0


def run_checklist_export(args: argparse.Namespace) -> int:
    from armoury.services.checklists import export_template, find_template

    db = database(args)
    try:
        actor = _reader(args, db)
        found = find_template(db, actor, args.id)
        text = export_template(db, actor, found.id)
    finally:
        db.dispose()
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            _("The file {path} cannot be written: {reason}").format(path=args.output, reason=exc.strerror),
            _("Check the folder exists and that you may write there."),
        ) from exc
    print(
        _("Exported {code} version {version} to {path}.").format(
            code=found.code, version=found.version, path=args.output
        )
    )
    return 0


def run_checklist_import(args: argparse.Namespace) -> int:
    from armoury.services.checklists import import_template_file

    db = database(args)
    try:
        result = import_template_file(db, acting_user(args, db), Path(args.file))
    finally:
        db.dispose()
    if result.created:
        print(
            _("Imported {code} as version {version} ({count} questions).").format(
                code=result.template.code,
                version=result.template.version,
                count=result.template.question_count,
            )
        )
    else:
        print(
            _("{code} version {version} already holds these questions; nothing was changed.").format(
                code=result.template.code, version=result.template.version
            )
        )
    return 0
