"""The monthly stock return: what a commander signs, computed from the custody ledger, reconciled.

For a facility and a period (a month, or any [start, end) in UTC) and per register, category and item type:

* **opening** and **closing** balances: weapons on the facility's books at the period's first and last
  ledger entry (see below), and of the closing balance how many are in store / on issue / at repair / in
  transit;
* the **movements** of the period, counted from the ledger items of the period: receipts (taking on charge,
  receipts), transfers in (accepted here from another facility), recoveries (lost weapon found, seized /
  collected weapon registered), transfers out (accepted elsewhere), losses and thefts, disposals
  (destructions);
* a **check** = opening + receipts + transfers in + recoveries − transfers out − losses − disposals. It must
  equal the closing balance, which is computed separately; a row where it does not is printed in red and
  counted on the first page — never hidden.

How it is computed, in SQL, without loading rows into Python: the period is the ledger entries
``first_seq .. last_seq`` recorded in [start, end). The books *now* are a grouped count of the weapons table
(kept equal to the ledger's replay, which ``armoury verify`` proves). A balance at entry *s* is the books now
with every later ledger item undone: one grouped pass over the items after the period's start, counting by
register, item type and the ``from_*``/``to_*`` whereabouts of each item (a weapon is on the books of F
when its facility is F and its whereabouts is in store, on issue, at repair or in transit). The same pass,
grouped by operation, gives the movements. The balances come from the states an item leaves and enters;
the movements from what the operation is. The check compares the two, so an item that changes the books
without being a receipt, transfer, recovery, loss or disposal (an unknown operation, a correction that
changes a balance, an item edited outside Armoury) shows as a difference, in red.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import TERMINAL_WHEREABOUTS, Category, Register, Whereabouts
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
from armoury.reports.style import Cell, SignatureBlock
from armoury.security.permissions import Actor

#: The figures of a row, in the order they are printed, with the names the JSON uses.
FIGURES = (
    "opening",
    "receipts",
    "transfers_in",
    "recoveries",
    "transfers_out",
    "losses",
    "disposals",
    "closing",
    "in_store",
    "on_issue",
    "at_repair",
    "in_transit",
)
INFLOWS = ("receipts", "transfers_in", "recoveries")
OUTFLOWS = ("transfers_out", "losses", "disposals")

_ON_BOOKS = tuple(w.value for w in Whereabouts if w not in TERMINAL_WHEREABOUTS)
_ON_BOOKS_SQL = ", ".join(f"'{w}'" for w in _ON_BOOKS)
_BREAKDOWN = {
    Whereabouts.IN_STORE.value: "in_store",
    Whereabouts.ISSUED.value: "on_issue",
    Whereabouts.AT_REPAIR.value: "at_repair",
    Whereabouts.IN_TRANSIT.value: "in_transit",
}


@dataclass(frozen=True)
class ReturnLine:
    """One line of the return: a register, a category and an item type, with its twelve figures."""

    register: Register
    category: Category
    item_type_id: int | None
    item_type: str
    figures: Mapping[str, int]

    @property
    def expected_closing(self) -> int:
        f = self.figures
        return f["opening"] + sum(f[k] for k in INFLOWS) - sum(f[k] for k in OUTFLOWS)

    @property
    def difference(self) -> int:
        """Closing as computed from the balances minus closing as computed from the movements."""
        return self.figures["closing"] - self.expected_closing

    def __getitem__(self, name: str) -> int:
        return self.figures[name]


@dataclass(frozen=True)
class MovedWeapon:
    seq: int
    recorded_at: datetime
    serial: str
    item_type: str
    register: Register
    operation: str
    detail: str
    document_ref: str


@dataclass(frozen=True)
class OpenInvestigation:
    number: str
    kind: str
    occurred_at: datetime
    place: str
    weapons: int
    days_open: int


@dataclass(frozen=True)
class LastCount:
    number: str
    count_type: str
    started_at: datetime
    closed_at: datetime | None
    expected: int
    found: int
    missing: int
    unexpected: int
    left_open: int
    checkpoint: str


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
    if session.get_bind().dialect.name == "sqlite":
        # The grouped passes read the period's items and the facility's weapons once each: a page cache
        # of 64 MB (SQLite's default is 2 MB) keeps the index pages they revisit in memory.
        session.execute(text("PRAGMA cache_size = -65536"))
    open_seq = _last_seq_before(session, _naive(start))
    close_seq = max(open_seq, _last_seq_before(session, _naive(end)))
    fid = facility.id

    figures_by_key: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    # The books now, per register, item type and whereabouts: the base of both balances.
    now: dict[tuple[str, int, str], int] = defaultdict(int)
    for register, type_id, where, count in session.execute(
        text(
            f"SELECT register, item_type_id, whereabouts, count(*) FROM weapons "
            f"WHERE facility_id = :f AND whereabouts IN ({_ON_BOOKS_SQL}) "
            f"GROUP BY register, item_type_id, whereabouts"
        ),
        {"f": fid},
    ):
        now[(register, type_id, where)] += int(count)
    opening = dict(now)
    closing = dict(now)

    # Every item after the period's start, grouped: undoing them from the books gives the balances, and
    # the period's ones, by operation, give the movements.
    rows = session.execute(
        text(
            "SELECT i.register, w.item_type_id, i.operation, "
            "CASE WHEN i.from_facility_id = :f THEN 1 ELSE 0 END, i.from_whereabouts, "
            "CASE WHEN i.to_facility_id = :f THEN 1 ELSE 0 END, i.to_whereabouts, "
            "CASE WHEN i.entry_seq <= :b THEN 1 ELSE 0 END, count(*) "
            "FROM ledger_items i CROSS JOIN weapons w "
            "WHERE i.entry_seq > :a AND w.id = i.weapon_id AND (i.from_facility_id = :f OR i.to_facility_id = :f) "
            "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
        ),
        {"f": fid, "a": open_seq, "b": close_seq},
    )
    for register, type_id, operation, from_here, from_where, to_here, to_where, in_period, count in rows:
        count = int(count)
        was_on = bool(from_here) and from_where in _ON_BOOKS
        is_on = bool(to_here) and to_where in _ON_BOOKS
        balances = (opening, closing) if not in_period else (opening,)
        for balance in balances:
            if is_on:
                balance[(register, type_id, to_where)] = balance.get((register, type_id, to_where), 0) - count
            if was_on:
                balance[(register, type_id, from_where)] = (
                    balance.get((register, type_id, from_where), 0) + count
                )
        if in_period:
            column = _movement_column(operation, was_on, is_on, bool(from_here), bool(to_here))
            if column is not None:
                figures_by_key[(register, type_id)][column] += count

    for (register, type_id, _where), count in opening.items():
        if count:
            figures_by_key[(register, type_id)]["opening"] += count
    for (register, type_id, where), count in closing.items():
        if count:
            figures = figures_by_key[(register, type_id)]
            figures["closing"] += count
            figures[_BREAKDOWN[where]] += count
    types = _item_types(session, {k[1] for k in figures_by_key})
    lines = []
    for (register_value, type_id), figures in figures_by_key.items():
        if not any(figures.values()):
            continue
        category, label = types.get(type_id, (Category.OTHER, _("Unknown item type")))
        lines.append(ReturnLine(Register(register_value), category, type_id, label, dict(figures)))
    register_order = {r: n for n, r in enumerate(Register)}
    lines.sort(key=lambda ln: (register_order[ln.register], ln.category.label, ln.item_type))

    return MonthlyReturn(
        facility=facility,
        start=start,
        end=end,
        first_seq=open_seq + 1,
        last_seq=close_seq,
        lines=tuple(lines),
        lost=_moved(session, fid, open_seq, close_seq, "lost"),
        recovered=_moved(session, fid, open_seq, close_seq, "recovered"),
        transferred=_moved(session, fid, open_seq, close_seq, "transferred"),
        destroyed=_moved(session, fid, open_seq, close_seq, "destroyed"),
        investigations=_open_investigations(session, fid, end),
        last_count=_last_count(session, fid, end),
        checkpoint=checkpoint_in(session),
    )


def _movement_column(operation: str, was_on: bool, is_on: bool, from_here: bool, to_here: bool) -> str | None:
    """Which movement column an item of the period counts in, from the facility's point of view."""
    if operation in ("take_on_charge", "receive") and is_on:
        return "receipts"
    if operation in ("recover", "register_recovered") and is_on:
        return "recoveries"
    if operation == "transfer_accept":
        if is_on and not from_here:
            return "transfers_in"
        if was_on and not to_here:
            return "transfers_out"
    if operation == "loss_report" and was_on:
        return "losses"
    if operation == "destroy" and was_on:
        return "disposals"
    return None


def _naive(moment: datetime) -> datetime:
    """UTC as stored in the columns (naive)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _last_seq_before(session: Session, moment: datetime) -> int:
    value = session.execute(
        text("SELECT max(seq) FROM ledger_entries WHERE recorded_at < :t"), {"t": moment}
    ).scalar()
    return int(value or 0)


def _item_types(session: Session, ids: set[int]) -> dict[int, tuple[Category, str]]:
    if not ids:
        return {}
    rows = session.execute(
        text(
            "SELECT id, category, manufacturer, model, calibre FROM item_types WHERE id IN ("
            + ", ".join(str(int(i)) for i in ids)
            + ")"
        )
    )
    found = {}
    for type_id, category, manufacturer, model, calibre in rows:
        label = f"{manufacturer} {model}" + (f" ({calibre})" if calibre else "")
        found[type_id] = (Category(category), label)
    return found


_LIST_SQL = {
    "lost": "i.operation = 'loss_report' AND i.from_facility_id = :f",
    "recovered": "i.operation IN ('recover', 'register_recovered') AND i.to_facility_id = :f",
    "transferred": "i.operation = 'transfer_accept' AND (i.from_facility_id = :f OR i.to_facility_id = :f) "
    "AND i.from_facility_id <> i.to_facility_id",
    "destroyed": "i.operation = 'destroy' AND i.from_facility_id = :f",
}


def _moved(session: Session, fid: int, after: int, upto: int, which: str) -> tuple[MovedWeapon, ...]:
    rows = session.execute(
        text(
            "SELECT e.seq, e.recorded_at, w.serial, t.manufacturer, t.model, i.register, i.operation, "
            "i.to_whereabouts, i.from_facility_id, i.to_facility_id, e.document_ref, e.reason, "
            "ff.code, tf.code, e.payload "
            "FROM ledger_items i JOIN ledger_entries e ON e.seq = i.entry_seq "
            "JOIN weapons w ON w.id = i.weapon_id JOIN item_types t ON t.id = w.item_type_id "
            "LEFT JOIN facilities ff ON ff.id = i.from_facility_id "
            "LEFT JOIN facilities tf ON tf.id = i.to_facility_id "
            f"WHERE i.entry_seq > :a AND i.entry_seq <= :b AND {_LIST_SQL[which]} "
            "ORDER BY e.seq, i.line"
        ),
        {"f": fid, "a": after, "b": upto},
    )
    out = []
    for (
        seq,
        at,
        serial,
        manufacturer,
        model,
        register,
        operation,
        to_where,
        f_from,
        _f_to,
        ref,
        reason,
        c_from,
        c_to,
        payload_text,
    ) in rows:
        if which == "lost":
            detail = Whereabouts(to_where).label
        elif which == "transferred":
            detail = (
                _("Out to {facility}").format(facility=c_to)
                if f_from == fid
                else _("In from {facility}").format(facility=c_from)
            )
        else:
            detail = _payload_detail(payload_text, reason or "")
        out.append(
            MovedWeapon(
                seq=int(seq),
                recorded_at=_as_utc(at),
                serial=serial,
                item_type=f"{manufacturer} {model}",
                register=Register(register),
                operation=operation,
                detail=detail,
                document_ref=ref or "",
            )
        )
    return tuple(out)


def _payload_detail(payload_text: str | None, reason: str) -> str:
    """The operation's own details worth printing (destruction method, place of recovery), then the reason."""
    try:
        payload = json.loads(payload_text or "{}")
    except ValueError:
        payload = {}
    parts = [str(payload[k]) for k in ("method", "place", "circumstances", "source") if payload.get(k)]
    if reason:
        parts.append(reason)
    return "; ".join(parts)


def _as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _has_tables(session: Session, *names: str) -> bool:
    existing = set(inspect(session.connection()).get_table_names())
    return all(n in existing for n in names)


def _open_investigations(session: Session, fid: int, end: datetime) -> tuple[OpenInvestigation, ...]:
    if not _has_tables(session, "incidents", "incident_weapons"):
        return ()
    rows = session.execute(
        text(
            "SELECT n.number, n.kind, n.occurred_at, n.place, "
            "(SELECT count(*) FROM incident_weapons iw WHERE iw.incident_id = n.id) "
            "FROM incidents n WHERE n.facility_id = :f AND n.status = 'open' ORDER BY n.occurred_at"
        ),
        {"f": fid},
    )
    now = min(datetime.now(UTC), end)
    out = []
    for number, kind, occurred, place, weapons in rows:
        occurred_at = _as_utc(occurred)
        out.append(
            OpenInvestigation(
                number=number,
                kind=kind,
                occurred_at=occurred_at,
                place=place or "",
                weapons=int(weapons),
                days_open=max(0, (now - occurred_at).days),
            )
        )
    return tuple(out)


def _last_count(session: Session, fid: int, end: datetime) -> LastCount | None:
    """The facility's last closed count before the end of the period, and its differences."""
    if not _has_tables(session, "counts", "count_types", "count_expected", "count_scans"):
        return None
    row = session.execute(
        text(
            "SELECT c.id, c.number, t.name, c.started_at, c.closed_at, c.close_checkpoint "
            "FROM counts c JOIN count_types t ON t.id = c.count_type_id "
            "WHERE c.facility_id = :f AND c.status = 'closed' AND c.closed_at < :end "
            "ORDER BY c.closed_at DESC LIMIT 1"
        ),
        {"f": fid, "end": _naive(end)},
    ).first()
    if row is None:
        return None
    count_id = row[0]
    figures = session.execute(
        text(
            "SELECT "
            "(SELECT count(*) FROM count_expected x WHERE x.count_id = :c), "
            "(SELECT count(DISTINCT s.weapon_id) FROM count_scans s JOIN count_expected x "
            " ON x.count_id = s.count_id AND x.weapon_id = s.weapon_id WHERE s.count_id = :c), "
            "(SELECT count(DISTINCT s.weapon_id) FROM count_scans s WHERE s.count_id = :c "
            " AND s.weapon_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM count_expected x "
            " WHERE x.count_id = s.count_id AND x.weapon_id = s.weapon_id)) "
            "+ (SELECT count(*) FROM count_scans s WHERE s.count_id = :c AND s.kind = 'unknown')"
        ),
        {"c": count_id},
    ).one()
    left_open = 0
    if _has_tables(session, "count_resolutions"):
        left_open = int(
            session.execute(
                text("SELECT count(*) FROM count_resolutions WHERE count_id = :c AND action = 'left_open'"),
                {"c": count_id},
            ).scalar()
            or 0
        )
    expected, found, unexpected = (int(v or 0) for v in figures)
    return LastCount(
        number=row[1],
        count_type=row[2],
        started_at=_as_utc(row[3]),
        closed_at=_as_utc(row[4]) if row[4] is not None else None,
        expected=expected,
        found=found,
        missing=expected - found,
        unexpected=unexpected,
        left_open=left_open,
        checkpoint=row[5] or "",
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
