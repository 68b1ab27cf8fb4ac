"""The monthly stock return: what a commander signs, computed from the custody ledger, reconciled.

:mod:`armoury.reports.return_figures` computes its figures (how, and why they add up by construction, is
explained there), :mod:`armoury.reports.return_sections` its lists of weapons, open investigations and last
count; this module puts them together and lays the return out (PDF, CSV, XLSX and JSON all come from the
same :class:`ReportData`, so they carry the same numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.db.engine import large_page_cache
from armoury.domain.enums import Register
from armoury.i18n import N_, _
from armoury.reports.base import (
    P_END,
    P_FACILITY,
    P_MONTH,
    P_START,
    Column,
    FacilityInfo,
    HeadingBlock,
    ReportData,
    ReportSpec,
    TableBlock,
    TextBlock,
    actor_display,
    authorize_report,
    checkpoint_in,
    find_facility,
    period_from,
    period_text,
)
from armoury.reports.return_figures import FIGURES, INFLOWS, OUTFLOWS, ReturnLine, compute_lines, period_seqs
from armoury.reports.return_sections import (
    LastCount,
    MovedWeapon,
    OpenInvestigation,
    last_count,
    moved_weapons,
    open_investigations,
)
from armoury.reports.style import Cell, SignatureBlock
from armoury.security.permissions import Actor

__all__ = [
    "FIGURES",
    "SPEC",
    "FacilityInfo",
    "LastCount",
    "MonthlyReturn",
    "MovedWeapon",
    "OpenInvestigation",
    "ReturnLine",
    "build_report",
    "compute_in",
    "compute_monthly_return",
    "return_columns",
    "return_rows",
]


@dataclass(frozen=True)
class MonthlyReturn:
    """The whole return, as plain data (the CLI's JSON, the report centre and the PDF read this)."""

    facility: FacilityInfo
    start: datetime
    end: datetime
    first_seq: int  # first ledger entry of the period (last_seq + 1 when the period has none)
    last_seq: int
    lines: tuple[ReturnLine, ...]
    lost: tuple[MovedWeapon, ...]
    recovered: tuple[MovedWeapon, ...]
    transferred: tuple[MovedWeapon, ...]
    destroyed: tuple[MovedWeapon, ...]
    investigations: tuple[OpenInvestigation, ...]
    last_count: LastCount | None
    checkpoint: str
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def totals(self, register: Register | None = None) -> dict[str, int]:
        lines = [ln for ln in self.lines if register is None or ln.register == register]
        return {name: sum(ln.figures[name] for ln in lines) for name in FIGURES}

    @property
    def registers(self) -> list[Register]:
        present = {ln.register for ln in self.lines}
        return [r for r in Register if r in present]

    @property
    def mismatches(self) -> tuple[ReturnLine, ...]:
        return tuple(ln for ln in self.lines if ln.difference != 0)

    @property
    def reconciled(self) -> bool:
        return not self.mismatches


# --------------------------------------------------------------------------------------------- computing


def compute_monthly_return(
    db: Database, actor: Actor, facility_code: str, start: datetime, end: datetime
) -> MonthlyReturn:
    """Compute the return of ``facility_code`` for [start, end) (UTC) in one read transaction."""
    with db.read() as session:
        facility = find_facility(session, facility_code)
    authorize_report(db, actor, facility.id)
    with db.read() as session:
        return compute_in(session, facility, start, end)


def compute_in(session: Session, facility: FacilityInfo, start: datetime, end: datetime) -> MonthlyReturn:
    # The grouped passes read the facility's weapons and the period's items once each: a large page cache
    # keeps the index pages they revisit in memory.
    with large_page_cache(session.connection()):
        return _compute(session, facility, start, end)


def _compute(session: Session, facility: FacilityInfo, start: datetime, end: datetime) -> MonthlyReturn:
    open_seq, close_seq = period_seqs(session, start, end)
    fid = facility.id
    return MonthlyReturn(
        facility=facility,
        start=start,
        end=end,
        first_seq=open_seq + 1,
        last_seq=close_seq,
        lines=compute_lines(session, fid, open_seq, close_seq),
        lost=moved_weapons(session, fid, open_seq, close_seq, "lost"),
        recovered=moved_weapons(session, fid, open_seq, close_seq, "recovered"),
        transferred=moved_weapons(session, fid, open_seq, close_seq, "transferred"),
        destroyed=moved_weapons(session, fid, open_seq, close_seq, "destroyed"),
        investigations=open_investigations(session, fid, end),
        last_count=last_count(session, fid, end),
        checkpoint=checkpoint_in(session),
    )


# --------------------------------------------------------------------------------------------- the report


def _figure_columns() -> list[Column]:
    titles = {
        "opening": _("Opening"),
        "receipts": _("Receipts"),
        "transfers_in": _("Transfers in"),
        "recoveries": _("Recoveries"),
        "transfers_out": _("Transfers out"),
        "losses": _("Losses, thefts"),
        "disposals": _("Disposals"),
        "closing": _("Closing"),
        "in_store": _("In store"),
        "on_issue": _("On issue"),
        "at_repair": _("At repair"),
        "in_transit": _("In transit"),
    }
    return [Column(name, titles[name], 15.7, numeric=True) for name in FIGURES]


def return_columns() -> list[Column]:
    return [
        Column("row_type", "row_type", 0, pdf=False),
        Column("register", "register", 0, pdf=False),
        Column("register_label", _("Register"), 0),
        Column("category", _("Category"), 24),
        Column("item_type", _("Item type"), 40),
        *_figure_columns(),
        Column("check", _("Check"), 14, numeric=True),
        Column("difference", "difference", 0, numeric=True, pdf=False),
    ]


def _figure_cells(figures: Mapping[str, int], bold: bool, expected: int) -> list[Any]:
    cells: list[Any] = [Cell(figures[n], bold=True) if bold else figures[n] for n in FIGURES]
    closing = figures["closing"]
    mismatch = expected != closing
    cells.append(Cell(expected, bold=bold or mismatch, alert=mismatch))
    cells.append(closing - expected)
    return cells


def _expected(figures: Mapping[str, int]) -> int:
    return figures["opening"] + sum(figures[k] for k in INFLOWS) - sum(figures[k] for k in OUTFLOWS)


def return_rows(result: MonthlyReturn) -> tuple[list[list[Any]], int]:
    rows: list[list[Any]] = []
    for register in result.registers:
        for line in (ln for ln in result.lines if ln.register == register):
            rows.append(
                [
                    "line",
                    register.value,
                    register.label,
                    line.category.label,
                    line.item_type,
                    *_figure_cells(line.figures, False, line.expected_closing),
                ]
            )
        totals = result.totals(register)
        rows.append(
            [
                "register_total",
                register.value,
                register.label,
                Cell(_("Total"), bold=True),
                Cell(register.label, bold=True),
                *_figure_cells(totals, True, _expected(totals)),
            ]
        )
    totals = result.totals()
    rows.append(["total", "", "", _("All registers"), "", *_figure_cells(totals, True, _expected(totals))])
    return rows, 1


def _moved_table(name: str, title: str, items: Sequence[MovedWeapon], detail_title: str) -> TableBlock:
    return TableBlock(
        name=name,
        title=title,
        columns=[
            Column("seq", _("Entry"), 14, numeric=True),
            Column("recorded_at", _("Date (UTC)"), 28),
            Column("serial", _("Serial"), 34),
            Column("item_type", _("Item type"), 48),
            Column("register", _("Register"), 30),
            Column("detail", detail_title, 60),
            Column("document_ref", _("Document"), 30),
        ],
        rows=[
            [m.seq, m.recorded_at, m.serial, m.item_type, m.register.label, m.detail, m.document_ref]
            for m in items
        ],
        empty_text=_("None in the period."),
        heading_level=2,
    )


def build_report(result: MonthlyReturn, generated_by: str) -> ReportData:
    """The return as a :class:`ReportData` (PDF, CSV, XLSX and JSON all come from it)."""
    last = result.end
    rows, total_rows = return_rows(result)
    blocks: list[Any] = []
    mismatches = result.mismatches
    if mismatches:
        blocks.append(
            TextBlock(
                _(
                    "WARNING: {count} line(s) do not reconcile: opening + in − out differs from the closing "
                    "balance (shown in red in the Check column). Run 'armoury verify' and investigate before "
                    "signing."
                ).format(count=len(mismatches)),
                "alert",
            )
        )
    else:
        blocks.append(
            TextBlock(
                _(
                    "Every line reconciles: opening + receipts + transfers in + recoveries − transfers out − "
                    "losses − disposals = closing (Check column)."
                ),
                "small",
            )
        )
    blocks.append(
        TableBlock(
            name="return",
            title=_("Stock by register, category and item type"),
            columns=return_columns(),
            rows=rows,
            total_rows=total_rows,
            group_key="register_label",
        )
    )
    blocks.append(HeadingBlock(_("Weapons that left or entered the books in the period")))
    blocks.append(_moved_table("lost", _("Lost or stolen"), result.lost, _("Reported as")))
    blocks.append(_moved_table("recovered", _("Recovered"), result.recovered, _("Details")))
    blocks.append(_moved_table("transferred", _("Transferred"), result.transferred, _("Direction")))
    blocks.append(_moved_table("destroyed", _("Destroyed / disposed of"), result.destroyed, _("Details")))
    blocks.append(
        TableBlock(
            name="investigations",
            title=_("Open investigations"),
            columns=[
                Column("number", _("Incident"), 28),
                Column("kind", _("Kind"), 22),
                Column("occurred_at", _("Occurred (UTC)"), 30),
                Column("place", _("Place"), 80),
                Column("weapons", _("Weapons"), 20, numeric=True),
                Column("days_open", _("Days open"), 20, numeric=True),
            ],
            rows=[
                [i.number, _kind_label(i.kind), i.occurred_at, i.place, i.weapons, i.days_open]
                for i in result.investigations
            ],
            empty_text=_("No open investigation."),
        )
    )
    count = result.last_count
    count_rows = (
        []
        if count is None
        else [
            [
                count.number,
                count.count_type,
                count.closed_at,
                count.expected,
                count.found,
                count.missing,
                count.unexpected,
                count.left_open,
            ]
        ]
    )
    blocks.append(
        TableBlock(
            name="last_count",
            title=_("Last count and its differences"),
            columns=[
                Column("number", _("Count"), 26),
                Column("count_type", _("Type"), 60),
                Column("closed_at", _("Closed (UTC)"), 30),
                Column("expected", _("On the books"), 22, numeric=True),
                Column("found", _("Found"), 20, numeric=True),
                Column("missing", _("Missing"), 20, numeric=True),
                Column("unexpected", _("Unexpected"), 22, numeric=True),
                Column("left_open", _("Left open"), 20, numeric=True),
            ],
            rows=count_rows,
            empty_text=_("No closed count of this facility before the end of the period."),
        )
    )
    if result.first_seq <= result.last_seq:
        entries = _("entries {first} to {last}").format(first=result.first_seq, last=result.last_seq)
    else:
        entries = _("no entry in the period")
    totals = result.totals()
    certification = _(
        "We certify that this return was computed by Armoury from the custody ledger ({entries}; chain "
        "head at printing {checkpoint}), that the closing balance of {closing} weapons was on the books "
        "of {facility} at the end of the period, and that the weapons listed as lost, recovered, transferred "
        "and destroyed are all the movements recorded in the period."
    ).format(
        entries=entries,
        checkpoint=result.checkpoint,
        closing=totals["closing"],
        facility=result.facility.display,
    )
    json_extra = {
        "facility": {"code": result.facility.code, "name": result.facility.name},
        "period": {
            "start": _iso(result.start),
            "end": _iso(last),
            "first_seq": result.first_seq,
            "last_seq": result.last_seq,
        },
        "reconciled": result.reconciled,
        "rows": [
            {
                "register": ln.register.value,
                "category": ln.category.value,
                "item_type": ln.item_type,
                **{name: ln.figures[name] for name in FIGURES},
                "check": ln.expected_closing,
                "difference": ln.difference,
            }
            for ln in result.lines
        ],
        "totals_by_register": {r.value: result.totals(r) for r in result.registers},
        "totals": totals,
    }
    return ReportData(
        kind="monthly-return",
        title=_("Monthly stock return"),
        subtitle=period_text(result.start, result.end),
        depot_name=result.facility.display,
        generated_by=generated_by,
        checkpoint=result.checkpoint,
        facility_id=result.facility.id,
        facts=[
            (_("Facility"), result.facility.display),
            (_("Period"), period_text(result.start, result.end)),
            (_("Ledger entries"), entries),
            (_("Reconciled"), _("yes") if result.reconciled else _("NO — see the lines in red")),
        ],
        blocks=blocks,
        certification=certification,
        signatures=[
            SignatureBlock(_("Storekeeper")),
            SignatureBlock(_("Counting officer")),
            SignatureBlock(_("Commander")),
        ],
        landscape=True,
        generated_at=result.generated_at,
        json_extra=json_extra,
        parameters={"facility": result.facility.code, "start": result.start, "end": result.end},
    )


def _kind_label(kind: str) -> str:
    return {"lost": _("Lost"), "stolen": _("Stolen")}.get(kind, kind)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def run(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    start, end = period_from(params)
    result = compute_monthly_return(db, actor, str(params["facility"]), start, end)
    return build_report(result, actor_display(actor))


SPEC = ReportSpec(
    name="monthly-return",
    title=N_("Monthly stock return"),
    description=N_(
        "Opening and closing balances, movements and their check, per register, category and item type."
    ),
    parameters=(P_FACILITY, P_MONTH, P_START, P_END),
    build=run,
)
