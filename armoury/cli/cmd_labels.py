"""``armoury labels``: print label sheets or rolls to a PDF; ``armoury labels products`` lists the stock."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from armoury.cli.common import acting_user, add_user_arguments, database, print_json
from armoury.i18n import _
from armoury.security.permissions import SYSTEM_ACTOR

ACTIONS = ("print", "products", "correct", "calibrate")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this group's commands to the ``armoury`` parser."""
    parser = subparsers.add_parser(
        "labels",
        help=_("print QR labels to a PDF, list label products, save corrections"),
        description=_(
            "Print QR labels: the weapons in store in a facility, area or rack (default), named weapons "
            "(--items), the people roster (--people) or the location labels (--locations). "
            "'armoury labels products' lists the label products; 'correct' saves a product's margin and "
            "gap corrections; 'calibrate' saves a printer's offset."
        ),
    )
    parser.add_argument("action", nargs="?", choices=ACTIONS, default="print", help=_("default: print"))
    parser.add_argument("--facility", metavar="CODE", help=_("facility whose records are labelled"))
    parser.add_argument("--area", metavar="CODE", help=_("only this storage area"))
    parser.add_argument("--rack", metavar="CODE", help=_("only this rack"))
    parser.add_argument(
        "--items", nargs="+", default=[], metavar="REF", help=_("weapons by serial or label text")
    )
    parser.add_argument("--people", action="store_true", help=_("person cards for the roster"))
    parser.add_argument(
        "--locations", action="store_true", help=_("labels of the facility, its areas and racks")
    )
    parser.add_argument("--product", metavar="NAME", help=_("label product, e.g. avery-l7160, roll-62x29"))
    parser.add_argument(
        "--start", type=int, default=1, metavar="N", help=_("first free position (default 1)")
    )
    parser.add_argument("--copies", type=int, default=1, metavar="N", help=_("labels per record (default 1)"))
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help=_("PDF file to write"))
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    parser.add_argument("--margin-x", type=float, default=0.0, metavar="MM", help=_("correct: move right"))
    parser.add_argument("--margin-y", type=float, default=0.0, metavar="MM", help=_("correct: move down"))
    parser.add_argument("--gap-x", type=float, default=0.0, metavar="MM", help=_("correct: widen columns"))
    parser.add_argument("--gap-y", type=float, default=0.0, metavar="MM", help=_("correct: widen rows"))
    parser.add_argument("--offset-x", type=float, default=0.0, metavar="MM", help=_("calibrate: move right"))
    parser.add_argument("--offset-y", type=float, default=0.0, metavar="MM", help=_("calibrate: move down"))
    parser.add_argument("--printer", default="", metavar="NAME", help=_("printer to calibrate ('' = PDF)"))
    add_user_arguments(parser)
    parser.set_defaults(handler=run_labels)


def run_labels(args: argparse.Namespace) -> int:
    if args.action == "products":
        return _products(args)
    if args.action == "correct":
        return _correct(args)
    if args.action == "calibrate":
        return _calibrate(args)
    return _print(args)


def _usage(message: str) -> int:
    print(_("Error: {message}").format(message=message), file=sys.stderr)
    return 2


def _print(args: argparse.Namespace) -> int:
    from armoury.services import labels

    if not args.facility or not args.product or not args.output:
        return _usage(_("'armoury labels' needs --facility CODE, --product NAME and -o FILE.pdf."))
    db = database(args)
    try:
        actor = acting_user(args, db)
        product = labels.find_product(db, actor, args.product)
        records = labels.select_records(
            db, actor, args.facility, args.area, args.rack, args.items, args.people, args.locations
        )
        job = labels.write_pdf(
            db, actor, records, product, args.output, args.start, args.copies, args.printer
        )
    finally:
        db.dispose()
    if args.json:
        print_json(
            {
                "job": job.id,
                "file": str(args.output),
                "product": job.product,
                "labels": job.label_count,
                "records": job.record_count,
                "reprints": job.reprints,
            }
        )
    else:
        print(
            _("{labels} labels for {records} records written to {file} (print job {job}).").format(
                labels=job.label_count, records=job.record_count, file=args.output, job=job.id
            )
        )
    return 0


def _products(args: argparse.Namespace) -> int:
    from armoury.services import labels

    db = database(args)
    try:
        actor = acting_user(args, db) if args.user else SYSTEM_ACTOR
        products = labels.list_products(db, actor)
    finally:
        db.dispose()
    if args.json:
        print_json(
            [
                {
                    "name": p.name,
                    "title": p.display_title,
                    "per_page": p.per_page,
                    "label_mm": [p.label_width, p.label_height],
                    "page_mm": [p.page_width, p.page_height],
                    "roll": p.roll,
                    "custom": p.custom,
                }
                for p in products
            ]
        )
        return 0
    for p in products:
        print(f"{p.name:<16} {p.per_page:>3}  {p.display_title}")
    return 0


def _correct(args: argparse.Namespace) -> int:
    from armoury.services import labels

    if not args.product:
        return _usage(_("'armoury labels correct' needs --product NAME."))
    db = database(args)
    try:
        actor = acting_user(args, db)
        saved = labels.save_corrections(
            db, actor, args.product, args.margin_x, args.margin_y, args.gap_x, args.gap_y
        )
    finally:
        db.dispose()
    print(
        _("Corrections saved for {product}: margins {mx} / {my} mm, gaps {gx} / {gy} mm.").format(
            product=args.product, mx=saved.margin_x, my=saved.margin_y, gx=saved.gap_x, gy=saved.gap_y
        )
    )
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from armoury.services import labels

    db = database(args)
    try:
        actor = acting_user(args, db)
        labels.save_printer_offset(db, actor, args.printer, args.offset_x, args.offset_y)
    finally:
        db.dispose()
    print(
        _("Calibration offset saved for {printer}: {x} / {y} mm.").format(
            printer=args.printer or _("PDF files"), x=args.offset_x, y=args.offset_y
        )
    )
    return 0
