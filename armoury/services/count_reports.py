"""Printed count documents in the house style (armoury.reports.style): the count sheet (a blind version
without the expected list: numbered blank lines per rack) and the discrepancy report with signatures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from armoury.db import Database
from armoury.i18n import _
from armoury.models import Facility, Rack
from armoury.models.counts import CountRack
from armoury.reports.style import Cell, ReportDocument, Section, SignatureBlock
from armoury.security.permissions import Actor, Permission
from armoury.services.count_reconcile import DIFFERENCES, ResultList, count_result
from armoury.services.count_scan import sheet_lines_in
from armoury.services.counts import count_info_in, find_count, hides_books_from
from armoury.services.guard import authorize

Target = str | os.PathLike[str] | BinaryIO

BLANK_LINES_PER_RACK = 12


def _user_text(actor: Actor) -> str:
    return f"{actor.full_name} ({actor.username})" if actor.full_name else actor.username


def _signatures() -> list[SignatureBlock]:
    return [SignatureBlock(_("Counter")), SignatureBlock(_("Storekeeper")), SignatureBlock(_("Commander"))]


def count_sheet_pdf(
    db: Database, actor: Actor, number: str | int, target: Target, *, blind: bool | None = None
) -> int:
    """The count sheet. ``blind`` (default: the count's own setting) prints no expected list, only racks
    and blank lines to write serial numbers on. A counter of a blind count still counting always gets the
    blind version. Returns the number of pages."""
    authorize(db, actor, Permission.VIEW)
    from armoury.services.ledger import chain_head_in

    with db.read() as session:
        count = find_count(session, number)
        authorize(db, actor, Permission.VIEW, count.facility_id)
        info = count_info_in(session, count.id)
        blind_version = count.blind if blind is None else blind
        if hides_books_from(session, count, actor):
            blind_version = True
        lines = [] if blind_version else sheet_lines_in(session, count)
        rack_codes = list(
            session.scalars(
                select(Rack.code)
                .join(CountRack, CountRack.rack_id == Rack.id)
                .where(CountRack.count_id == count.id)
                .order_by(Rack.code)
            )
        )
        facility = session.get(Facility, count.facility_id)
        assert facility is not None
        depot = f"{facility.name} ({facility.code})"
        checkpoint = str(chain_head_in(session))
    title = _("Count sheet (blind)") if blind_version else _("Count sheet")
    doc = ReportDocument(
        target, title, depot, _user_text(actor), checkpoint,
        subtitle=info.type_name, reference=info.number,
    )  # fmt: skip
    doc.key_values(
        [
            (_("Count"), info.number),
            (_("Type"), info.type_name),
            (_("Started"), info.started_at.strftime("%Y-%m-%d %H:%M UTC")),
            (_("Counters"), ", ".join(info.counters)),
            (_("Racks"), str(len(rack_codes))),
            (_("Blind count"), _("yes") if blind_version else _("no")),
        ]
    )
    if blind_version:
        doc.paragraph(_("Write down every serial number found on each rack, one per line."))
        rows: list[list[object] | Section] = []
        for code in rack_codes:
            rows.append(Section(_("Rack {rack}").format(rack=code)))
            rows.extend([[i, "", "", ""] for i in range(1, BLANK_LINES_PER_RACK + 1)])
        doc.table([_("No."), _("Serial number"), _("Model"), _("Remarks")], rows, [12, 60, 50, 58], {0})
    else:
        sheet_rows: list[list[object] | Section] = []
        last = None
        for line in lines:
            group = _("Rack {rack}").format(rack=line.rack) if line.rack else _("On issue")
            if group != last:
                sheet_rows.append(Section(group))
                last = group
            sheet_rows.append([line.serial, line.item_type, line.slot or "", line.holder, "☐"])
        doc.table(
            [_("Serial number"), _("Model"), _("Slot"), _("Holder"), _("Seen")],
            sheet_rows,
            [45, 50, 15, 55, 15],
            {2},
        )
    doc.signature_blocks(_signatures())
    return doc.build()


def discrepancy_report_pdf(db: Database, actor: Actor, number: str | int, target: Target) -> int:
    """The differences of a count, how each was settled, the accuracy, and signature blocks."""
    result = count_result(db, actor, number)
    with db.read() as session:
        count = find_count(session, number)
        info = count_info_in(session, count.id)
        facility = session.get(Facility, count.facility_id)
        assert facility is not None
        depot = f"{facility.name} ({facility.code})"
        from armoury.services.ledger import chain_head_in

        checkpoint = result.close_checkpoint or str(chain_head_in(session))
    doc = ReportDocument(
        target, _("Count discrepancy report"), depot, _user_text(actor),
        checkpoint, landscape=True, subtitle=info.type_name, reference=info.number,
    )  # fmt: skip
    accuracy = "—" if result.accuracy is None else f"{result.accuracy * 100:.1f} %"
    doc.key_values(
        [
            (_("Count"), info.number),
            (_("Status"), info.status.label),
            (_("Started"), info.started_at.strftime("%Y-%m-%d %H:%M UTC")),
            (_("Closed"), info.closed_at.strftime("%Y-%m-%d %H:%M UTC") if info.closed_at else "—"),
            (_("Weapons expected"), str(result.expected_total)),
            (_("Accuracy"), accuracy),
            (_("Found in its place"), str(len(result.lists[ResultList.IN_PLACE]))),
            (_("Duplicate scans"), str(result.duplicates)),
            (_("Ledger at start"), str(info.start_seq or 0)),
            (_("Differences not settled"), str(result.unresolved)),
        ]
    )
    for kind in DIFFERENCES:
        doc.heading(f"{kind.label} ({len(result.lists[kind])})", level=2)
        doc.table(
            [
                _("Serial number"),
                _("Model"),
                _("Expected"),
                _("Found"),
                _("Books now"),
                _("Resolution"),
                _("Reason"),
            ],
            [
                [
                    Cell(line.serial, bold=True),
                    line.item_type,
                    line.expected,
                    line.found,
                    line.books_now,
                    Cell(line.resolution or _("not settled"), alert=not line.resolution),
                    line.resolution_reason,
                ]
                for line in result.lists[kind]
            ],
            [35, 40, 35, 35, 40, 45, 40],
        )
    doc.certification(
        _("We certify that this count was made as recorded and that every difference listed above was "
          "settled as shown or left open for investigation.")
    )  # fmt: skip
    doc.signature_blocks(_signatures())
    return doc.build()


def write_report(db: Database, actor: Actor, number: str | int, path: Path, kind: str = "auto") -> int:
    """``kind``: ``sheet``, ``blind-sheet``, ``discrepancies`` or ``auto`` (the sheet while counting, the
    discrepancy report afterwards)."""
    if kind == "auto":
        with db.read() as session:
            counting = find_count(session, number).status.value == "counting"
        kind = "sheet" if counting else "discrepancies"
    if kind == "discrepancies":
        return discrepancy_report_pdf(db, actor, number, path)
    return count_sheet_pdf(db, actor, number, path, blind=True if kind == "blind-sheet" else None)
