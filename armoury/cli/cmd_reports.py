"""``armoury report``: every report of the catalogue, as PDF, CSV, XLSX or JSON.

armoury report --list
armoury report monthly-return --facility CODE --month YYYY-MM --format pdf -o FILE --user NAME
armoury report hand-receipt --document HR-000123 -o receipt.pdf --user NAME
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from armoury.cli.common import acting_user, database
from armoury.errors import AuthenticationError, ValidationError
from armoury.i18n import _

_OPTIONS = {
    # parameter name → (option, metavar)
    "facility": ("--facility", "CODE"),
    "month": ("--month", "YYYY-MM"),
    "start": ("--from", "YYYY-MM-DD"),
    "end": ("--to", "YYYY-MM-DD"),
    "person": ("--person", "SERVICE_NO"),
    "unit": ("--unit", "CODE"),
    "register": ("--register", "REGISTER"),
    "document": ("--document", "REF"),
    "weapon": ("--weapon", "SERIAL"),
    "count": ("--count", "NUMBER"),
    "inspection": ("--inspection", "NUMBER"),
}
_FORMATS = ("pdf", "csv", "xlsx", "json")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``armoury report`` and one sub-command per report."""
    from armoury.reports.catalogue import REPORTS

    parser = subparsers.add_parser(
        "report",
        help=_("print or export a report (monthly return, inventory, hand receipt, …)"),
        description=_("Print or export a report. 'armoury report --list' shows them all."),
    )
    parser.add_argument("--list", action="store_true", help=_("list the reports and their options"))
    parser.set_defaults(handler=run_report, report_name=None)
    names = parser.add_subparsers(dest="report_name", metavar="REPORT")
    for spec in REPORTS:
        sub = names.add_parser(spec.name, help=_(spec.title), description=_(spec.description))
        for parameter in spec.parameters:
            option, metavar = _OPTIONS.get(parameter.name, (f"--{parameter.name}", "VALUE"))
            sub.add_argument(
                option,
                dest=parameter.name,
                metavar=metavar,
                required=parameter.required,
                help=_(parameter.label),
            )
        sub.add_argument(
            "--format", choices=_FORMATS, help=_("output format (default: from the file name, else pdf)")
        )
        sub.add_argument(
            "-o", "--output", metavar="FILE", help=_("file to write (CSV and JSON: default stdout)")
        )
        sub.add_argument(
            "--user", metavar="NAME", help=_("user running the report (password: ARMOURY_PASSWORD or prompt)")
        )
        sub.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from armoury.reports.catalogue import REPORTS, build_report, export_report

    if args.list or not args.report_name:
        for spec in REPORTS:
            options = " ".join(_usage(p.name, p.required) for p in spec.parameters)
            print(f"{spec.name:<26} {_(spec.title)}")
            print(f"{'':<26} {_(spec.description)}")
            formats = "|".join(str(f) for f in spec.formats)
            print(f"{'':<26} {options} [--format {formats}] [-o FILE] --user NAME")
        return 0
    fmt = args.format or _format_from_name(args.output)
    if fmt in ("pdf", "xlsx") and not args.output:
        raise ValidationError(
            _("A {format} report needs a file to write to.").format(format=fmt.upper()),
            _("Give -o FILE."),
        )
    db = database(args)
    try:
        if not (getattr(args, "user", None) or os.environ.get("ARMOURY_USER")):
            raise AuthenticationError(
                _("Reports carry the name of the user who ran them."),
                _("Give --user NAME (and the password in ARMOURY_PASSWORD or at the prompt)."),
            )
        actor = acting_user(args, db)
        spec_params = {name: getattr(args, name, None) for name in _OPTIONS if hasattr(args, name)}
        report = build_report(db, actor, args.report_name, spec_params)
        if args.output:
            result = export_report(db, actor, report, fmt, Path(args.output))
            if fmt == "pdf":
                print(_("Wrote {path} ({pages} pages).").format(path=args.output, pages=result))
            else:
                print(_("Wrote {path}.").format(path=args.output))
        else:
            export_report(db, actor, report, fmt, sys.stdout.buffer)
            sys.stdout.flush()
    finally:
        db.dispose()
    return 0


def _usage(name: str, required: bool) -> str:
    option, metavar = _OPTIONS.get(name, (f"--{name}", "VALUE"))
    return f"{option} {metavar}" if required else f"[{option} {metavar}]"


def _format_from_name(output: str | None) -> str:
    if output:
        suffix = Path(output).suffix.lower().lstrip(".")
        if suffix in _FORMATS:
            return suffix
    return "pdf"
