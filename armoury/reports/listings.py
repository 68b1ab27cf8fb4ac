"""Listings of a facility's books: inventory rack by rack, holdings, overdue returns, the recovered-materiel
register and the weapon list. Each is one read transaction and a few grouped or ordered queries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Category, Condition, Register, Whereabouts
from armoury.errors import ValidationError
from armoury.i18n import N_, _
from armoury.models.ledger import ON_BOOKS_WHEREABOUTS, sql_list
from armoury.reports.base import (
    P_FACILITY,
    Column,
    FacilityInfo,
    Parameter,
    QrHeadingBlock,
    ReportData,
    ReportSpec,
    TableBlock,
    TextBlock,
    actor_display,
    authorize_report,
    checkpoint_in,
    find_facility,
)
from armoury.reports.style import Cell, SignatureBlock
from armoury.security.permissions import Actor

P_REGISTER = Parameter("register", N_("Register (national, contingent, recovered, evidence)"), required=False)
P_PERSON = Parameter("person", N_("Service number of a person"), required=False)
P_UNIT = Parameter("unit", N_("Unit code"), required=False)

_ON_BOOKS_SQL = f"({sql_list(ON_BOOKS_WHEREABOUTS)})"


def _open(db: Database, actor: Actor, params: Mapping[str, Any]) -> tuple[FacilityInfo, str]:
    with db.read() as session:
        facility = find_facility(session, str(params.get("facility") or ""))
    authorize_report(db, actor, facility.id)
    return facility, actor_display(actor)


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _base(kind: str, title: str, facility: FacilityInfo, user: str, checkpoint: str, **kw: Any) -> ReportData:
    return ReportData(
        kind=kind,
        title=title,
        depot_name=facility.display,
        generated_by=user,
        checkpoint=checkpoint,
        facility_id=facility.id,
        **{"parameters": {"facility": facility.code}, **kw},
    )


def _register_param(params: Mapping[str, Any]) -> Register | None:
    value = params.get("register")
    if not value:
        return None
    found = Register.parse(str(value))
    if found is None:
        raise ValidationError(
            _("'{value}' is not a register.").format(value=value),
            _("Use one of: national, contingent, recovered, evidence."),
        )
    return Register(found)


def _rack_payloads(session: Session, rack_ids: list[int]) -> dict[int, str]:
    """The QR payload of each rack's label, when the labels module is installed."""
    try:
        from armoury.labels.payload import LabelKind, depot_code_from_identity, encode
    except ImportError:
        return {}
    identity = session.execute(text("SELECT value FROM settings WHERE key = 'depot.id'")).scalar()
    if not identity:
        return {}
    try:
        depot = depot_code_from_identity(str(json.loads(identity)))
        return {rack_id: encode(LabelKind.RACK, rack_id, depot) for rack_id in rack_ids}
    except (ValidationError, ValueError):
        return {}


# --------------------------------------------------------------------------------------------- inventory


def inventory(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    """Every weapon on the facility's books, rack by rack (with each rack's QR), then those not on a rack."""
    facility, user = _open(db, actor, params)
    with db.read() as session:
        checkpoint = checkpoint_in(session)
        racks = session.execute(
            text(
                "SELECT r.id, r.code, r.name, a.code, a.name, "
                "(SELECT count(*) FROM weapons w WHERE w.rack_id = r.id AND w.whereabouts = 'in_store') "
                "FROM racks r JOIN storage_areas a ON a.id = r.area_id "
                "WHERE r.facility_id = :f ORDER BY a.code, r.code"
            ),
            {"f": facility.id},
        ).all()
        rows = session.execute(
            text(
                "SELECT r.code, w.slot, w.serial, t.manufacturer, t.model, t.calibre, t.category, "
                "w.register, w.condition FROM weapons w "
                "JOIN racks r ON r.id = w.rack_id JOIN storage_areas a ON a.id = r.area_id "
                "JOIN item_types t ON t.id = w.item_type_id "
                "WHERE w.facility_id = :f AND w.whereabouts = 'in_store' "
                "ORDER BY a.code, r.code, w.slot, w.serial"
            ),
            {"f": facility.id},
        ).all()
        away = session.execute(
            text(
                "SELECT w.serial, t.manufacturer, t.model, t.category, w.register, w.whereabouts, "
                "p.rank, p.surname, p.given_names, p.service_number FROM weapons w "
                "JOIN item_types t ON t.id = w.item_type_id LEFT JOIN people p ON p.id = w.holder_id "
                "WHERE w.facility_id = :f AND w.whereabouts IN ('issued', 'at_repair', 'in_transit') "
                "ORDER BY w.whereabouts, w.serial"
            ),
            {"f": facility.id},
        ).all()
        payloads = _rack_payloads(session, [r[0] for r in racks])
    rack_title = {r[1]: _("Rack {code}").format(code=r[1]) + (f" — {r[2]}" if r[2] else "") for r in racks}
    headings = {
        rack_title[r[1]]: QrHeadingBlock(
            rack_title[r[1]],
            payloads.get(r[0], ""),
            [
                _("Storage area: {area}").format(area=f"{r[3]} {r[4]}".strip()),
                _("Weapons on the rack: {count}").format(count=r[5]),
            ],
        )
        for r in racks
    }
    cat = {c.value: c.label for c in Category}
    reg = {r.value: r.label for r in Register}
    cond = {c.value: c.label for c in Condition}
    table_rows = [
        [rack_title[r[0]], r[0], r[1], r[2], f"{r[3]} {r[4]}", r[5], cat.get(r[6], r[6]), reg.get(r[7], r[7]),
         cond.get(r[8], r[8]), "☐"]
        for r in rows
    ]  # fmt: skip
    where = {w.value: w.label for w in Whereabouts}
    away_rows = [
        [r[0], f"{r[1]} {r[2]}", cat.get(r[3], r[3]), reg.get(r[4], r[4]), where.get(r[5], r[5]),
         " ".join(p for p in (r[6], (r[7] or "").upper(), r[8]) if p) + (f" ({r[9]})" if r[9] else ""), "☐"]
        for r in away
    ]  # fmt: skip
    blocks: list[Any] = [
        TextBlock(
            _("{stored} weapons in store on {racks} racks; {away} on issue, at repair or in transit.").format(
                stored=len(rows), racks=len(racks), away=len(away)
            ),
            "small",
        ),
        TableBlock(
            name="in_store",
            title=_("In store, rack by rack"),
            columns=[
                Column("rack_title", _("Rack"), 0),
                Column("rack", "rack", 0, pdf=False),
                Column("slot", _("Slot"), 10, numeric=True),
                Column("serial", _("Serial"), 30),
                Column("item_type", _("Item type"), 34),
                Column("calibre", _("Calibre"), 16),
                Column("category", _("Category"), 26),
                Column("register", _("Register"), 30),
                Column("condition", _("Condition"), 24),
                Column("seen", _("Seen"), 10),
            ],
            rows=table_rows,
            group_key="rack_title",
            group_headings=headings,
            empty_text=_("No weapon in store."),
        ),
        TableBlock(
            name="not_on_a_rack",
            title=_("On the books but not on a rack"),
            columns=[
                Column("serial", _("Serial"), 33),
                Column("item_type", _("Item type"), 40),
                Column("category", _("Category"), 22),
                Column("register", _("Register"), 22),
                Column("whereabouts", _("Whereabouts"), 20),
                Column("holder", _("Holder"), 33),
                Column("seen", _("Seen"), 10),
            ],
            rows=away_rows,
            empty_text=_("None."),
        ),
    ]
    return _base(
        "inventory",
        _("Inventory by location"),
        facility,
        user,
        checkpoint,
        facts=[(_("Facility"), facility.display), (_("Weapons on the books"), str(len(rows) + len(away)))],
        blocks=blocks,
        signatures=[SignatureBlock(_("Checked by")), SignatureBlock(_("Storekeeper"))],
        landscape=False,
    )


# --------------------------------------------------------------------------------------------- holdings


def holdings(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    """Weapons on issue, per person (optionally one person or one unit)."""
    facility, user = _open(db, actor, params)
    conditions = ["w.facility_id = :f", "w.whereabouts = 'issued'"]
    args: dict[str, Any] = {"f": facility.id}
    if params.get("person"):
        conditions.append("p.service_number = :p")
        args["p"] = str(params["person"]).strip()
    if params.get("unit"):
        conditions.append("u.code = :u")
        args["u"] = str(params["unit"]).strip()
    with db.read() as session:
        checkpoint = checkpoint_in(session)
        rows = session.execute(
            text(
                "SELECT p.service_number, p.rank, p.surname, p.given_names, u.code, w.serial, t.manufacturer, "
                "t.model, w.register, l.hand_receipt, l.issued_at, l.due_back, l.long_term "
                "FROM weapons w JOIN people p ON p.id = w.holder_id LEFT JOIN units u ON u.id = p.unit_id "
                "JOIN item_types t ON t.id = w.item_type_id "
                "LEFT JOIN custody_loans l ON l.weapon_id = w.id AND l.closed_seq IS NULL "
                f"WHERE {' AND '.join(conditions)} ORDER BY u.code, p.surname, p.service_number, w.serial"
            ),
            args,
        ).all()
    reg = {r.value: r.label for r in Register}
    table_rows = []
    for r in rows:
        person = " ".join(x for x in (r[1], (r[2] or "").upper(), r[3]) if x) + f" ({r[0]})"
        group = f"{r[4]} — {person}" if r[4] else person
        due = _("long-term") if r[12] else _as_utc(r[11])
        table_rows.append(
            [
                group,
                r[0],
                r[4] or "",
                r[5],
                f"{r[6]} {r[7]}",
                reg.get(r[8], r[8]),
                r[9] or "",
                _as_utc(r[10]),
                due,
            ]
        )
    return _base(
        "holdings",
        _("Holdings per person and unit"),
        facility,
        user,
        checkpoint,
        facts=[
            (_("Facility"), facility.display),
            (_("Weapons on issue"), str(len(rows))),
            (_("Holders"), str(len({r[0] for r in rows}))),
        ],
        blocks=[
            TableBlock(
                name="holdings",
                title="",
                columns=[
                    Column("holder", _("Holder"), 0),
                    Column("service_number", "service_number", 0, pdf=False),
                    Column("unit", "unit", 0, pdf=False),
                    Column("serial", _("Serial"), 34),
                    Column("item_type", _("Item type"), 44),
                    Column("register", _("Register"), 28),
                    Column("hand_receipt", _("Hand receipt"), 26),
                    Column("issued_at", _("Issued (UTC)"), 28),
                    Column("due_back", _("Due back (UTC)"), 28),
                ],
                rows=table_rows,
                group_key="holder",
                empty_text=_("No weapon is on issue."),
            )
        ],
        parameters={k: v for k, v in params.items() if v},
    )


def overdue_returns(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    """Weapons whose due-back time has passed, longest overdue first."""
    facility, user = _open(db, actor, params)
    now = datetime.now(UTC)
    with db.read() as session:
        checkpoint = checkpoint_in(session)
        rows = session.execute(
            text(
                "SELECT l.due_back, w.serial, t.manufacturer, t.model, p.rank, p.surname, p.given_names, "
                "p.service_number, u.code, l.hand_receipt, l.issued_at FROM custody_loans l "
                "JOIN weapons w ON w.id = l.weapon_id JOIN item_types t ON t.id = w.item_type_id "
                "JOIN people p ON p.id = l.person_id LEFT JOIN units u ON u.id = p.unit_id "
                "WHERE l.facility_id = :f AND l.closed_seq IS NULL AND NOT l.long_term AND l.due_back < :now "
                "ORDER BY l.due_back, w.serial"
            ),
            {"f": facility.id, "now": now.replace(tzinfo=None)},
        ).all()
    table_rows = []
    for r in rows:
        due = _as_utc(r[0])
        assert due is not None
        hours = int((now - due).total_seconds() // 3600)
        holder = " ".join(x for x in (r[4], (r[5] or "").upper(), r[6]) if x)
        table_rows.append(
            [due, Cell(hours, alert=hours >= 24), r[1], f"{r[2]} {r[3]}", holder, r[7], r[8] or "", r[9],
             _as_utc(r[10])]
        )  # fmt: skip
    return _base(
        "overdue-returns",
        _("Overdue returns"),
        facility,
        user,
        checkpoint,
        facts=[(_("Facility"), facility.display), (_("Overdue weapons"), str(len(rows)))],
        blocks=[
            TableBlock(
                name="overdue",
                title="",
                columns=[
                    Column("due_back", _("Due back (UTC)"), 28),
                    Column("hours_overdue", _("Hours late"), 15, numeric=True),
                    Column("serial", _("Serial"), 30),
                    Column("item_type", _("Item type"), 34),
                    Column("holder", _("Holder"), 40),
                    Column("service_number", _("Service no."), 22),
                    Column("unit", _("Unit"), 18),
                    Column("hand_receipt", _("Hand receipt"), 24),
                    Column("issued_at", _("Issued (UTC)"), 28),
                ],
                rows=table_rows,
                empty_text=_("No weapon is overdue."),
            )
        ],
        landscape=True,
    )


# --------------------------------------------------------------------------------------------- registers


def _tracing_lines(session: Session, weapon_ids: list[int]) -> dict[int, list[str]]:
    """Each weapon's tracing requests, oldest first, one line each (sent, to whom, reference, answer)."""
    from armoury.services.tracing import describe_request

    lines: dict[int, list[str]] = {}
    for start in range(0, len(weapon_ids), 500):
        chunk = ", ".join(str(int(i)) for i in weapon_ids[start : start + 500])
        for weapon_id, sent_on, sent_to, reference, answered_on, answer in session.execute(
            text(
                "SELECT weapon_id, sent_on, sent_to, reference, answered_on, answer FROM tracing_requests "
                f"WHERE weapon_id IN ({chunk}) ORDER BY weapon_id, sent_on, id"
            )
        ):
            lines.setdefault(weapon_id, []).append(
                describe_request(_as_date(sent_on), sent_to, reference, _as_date_or_none(answered_on), answer)
            )
    return lines


def _as_date_or_none(value: Any) -> date | None:
    return None if value is None else _as_date(value)


def _as_date(value: Any) -> date:
    # Plain SQL on SQLite returns dates as ISO text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def recovered_register(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    """The recovered / seized materiel register with what tracing needs: markings, circumstances and the
    tracing requests sent and answered."""
    facility, user = _open(db, actor, params)
    with db.read() as session:
        checkpoint = checkpoint_in(session)
        rows = session.execute(
            text(
                "SELECT w.id, w.serial, t.manufacturer, t.model, t.calibre, t.country, w.year_of_manufacture, "
                "w.recovered_on, w.recovered_place, w.recovering_unit, w.case_reference, "
                "w.recovered_circumstances, w.whereabouts "
                "FROM weapons w JOIN item_types t ON t.id = w.item_type_id "
                "WHERE w.facility_id = :f AND w.register = 'recovered' ORDER BY w.recovered_on, w.serial"
            ),
            {"f": facility.id},
        ).all()
        markings: dict[int, list[str]] = {}
        ids = [r[0] for r in rows]
        for start in range(0, len(ids), 500):
            chunk = ", ".join(str(int(i)) for i in ids[start : start + 500])
            for weapon_id, kind, position, transcription, country, year in session.execute(
                text(
                    "SELECT weapon_id, kind, position, transcription, import_country, import_year "
                    f"FROM markings WHERE weapon_id IN ({chunk}) ORDER BY weapon_id, id"
                )
            ):
                extra = " ".join(str(x) for x in (country, year) if x)
                where = f" [{position}]" if position else ""
                markings.setdefault(weapon_id, []).append(
                    f"{kind}: {transcription}{where}" + (f" ({extra})" if extra else "")
                )
        tracing = _tracing_lines(session, ids)
    where_label = {w.value: w.label for w in Whereabouts}
    table_rows = [
        [r[7], r[1], f"{r[2]} {r[3]}", r[4] or "", r[5] or "", r[6], r[8] or "", r[9] or "", r[10] or "",
         r[11] or "", "\n".join(markings.get(r[0], [])), "\n".join(tracing.get(r[0], [])),
         where_label.get(r[12], r[12])]
        for r in rows
    ]  # fmt: skip
    return _base(
        "recovered-register",
        _("Recovered materiel register"),
        facility,
        user,
        checkpoint,
        facts=[(_("Facility"), facility.display), (_("Weapons in the register"), str(len(rows)))],
        blocks=[
            TableBlock(
                name="recovered",
                title="",
                columns=[
                    Column("recovered_on", _("Recovered on"), 19),
                    Column("serial", _("Serial"), 20),
                    Column("item_type", _("Item type"), 25),
                    Column("calibre", _("Calibre"), 16),
                    Column("country", _("Country of make"), 16),
                    Column("year", _("Year"), 10, numeric=True, grouped=False),
                    Column("place", _("Place"), 20),
                    Column("recovering_unit", _("Recovering unit"), 21),
                    Column("case_reference", _("Case ref."), 16),
                    Column("circumstances", _("Circumstances"), 24),
                    Column("markings", _("Markings (for tracing)"), 29),
                    Column("tracing", _("Tracing requests"), 36),
                    Column("whereabouts", _("Now"), 15),
                ],
                rows=table_rows,
                empty_text=_("No recovered weapon is recorded at this facility."),
                max_lines=14,  # circumstances and tracing histories are printed whole, not cut
            )
        ],
        landscape=True,
    )


def weapon_list(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    """Every weapon on the facility's books (optionally one register), with where it is."""
    facility, user = _open(db, actor, params)
    register = _register_param(params)
    args: dict[str, Any] = {"f": facility.id}
    extra = ""
    if register is not None:
        extra = " AND w.register = :g"
        args["g"] = register.value
    with db.read() as session:
        checkpoint = checkpoint_in(session)
        rows = session.execute(
            text(
                "SELECT w.serial, t.manufacturer, t.model, t.calibre, t.category, w.register, "
                "w.year_of_manufacture, w.whereabouts, r.code, w.slot, p.service_number, w.condition "
                "FROM weapons w JOIN item_types t ON t.id = w.item_type_id "
                "LEFT JOIN racks r ON r.id = w.rack_id LEFT JOIN people p ON p.id = w.holder_id "
                f"WHERE w.facility_id = :f AND w.whereabouts IN {_ON_BOOKS_SQL}{extra} "
                "ORDER BY t.category, t.manufacturer, t.model, w.serial"
            ),
            args,
        ).all()
    cat = {c.value: c.label for c in Category}
    reg = {r.value: r.label for r in Register}
    cond = {c.value: c.label for c in Condition}
    where = {w.value: w.label for w in Whereabouts}
    table_rows = [
        [r[0], r[1], r[2], r[3] or "", cat.get(r[4], r[4]), reg.get(r[5], r[5]), r[6],
         where.get(r[7], r[7]), (r[8] or "") + (f"/{r[9]}" if r[9] else ""), r[10] or "",
         cond.get(r[11], r[11])]
        for r in rows
    ]  # fmt: skip
    facts = [(_("Facility"), facility.display), (_("Weapons"), str(len(rows)))]
    if register is not None:
        facts.append((_("Register"), register.label))
    return _base(
        "weapon-list",
        _("Weapon list"),
        facility,
        user,
        checkpoint,
        facts=facts,
        blocks=[
            TableBlock(
                name="weapons",
                title="",
                columns=[
                    Column("serial", _("Serial"), 32),
                    Column("manufacturer", _("Manufacturer"), 28),
                    Column("model", _("Model"), 24),
                    Column("calibre", _("Calibre"), 18),
                    Column("category", _("Category"), 32),
                    Column("register", _("Register"), 32),
                    Column("year", _("Year"), 11, numeric=True, grouped=False),
                    Column("whereabouts", _("Whereabouts"), 22),
                    Column("rack_slot", _("Rack/slot"), 20),
                    Column("holder", _("Holder"), 22),
                    Column("condition", _("Condition"), 26),
                ],
                rows=table_rows,
                empty_text=_("No weapon."),
            )
        ],
        landscape=True,
        parameters={k: v for k, v in params.items() if v},
    )


SPECS = (
    ReportSpec(
        "inventory",
        N_("Inventory by location"),
        N_("Every weapon in store, rack by rack with each rack's QR code, and those on issue or away."),
        (P_FACILITY,),
        inventory,
    ),
    ReportSpec(
        "holdings",
        N_("Holdings per person and unit"),
        N_("Weapons on issue, grouped by holder; optionally one person or one unit."),
        (P_FACILITY, P_PERSON, P_UNIT),
        holdings,
    ),
    ReportSpec(
        "overdue-returns",
        N_("Overdue returns"),
        N_("Weapons on issue whose due-back time has passed."),
        (P_FACILITY,),
        overdue_returns,
    ),
    ReportSpec(
        "recovered-register",
        N_("Recovered materiel register"),
        N_("Recovered / seized weapons with circumstances, case references, markings and tracing requests."),
        (P_FACILITY,),
        recovered_register,
    ),
    ReportSpec(
        "weapon-list",
        N_("Weapon list"),
        N_("Every weapon on the books with where it is (optionally one register)."),
        (P_FACILITY, P_REGISTER),
        weapon_list,
    ),
)
