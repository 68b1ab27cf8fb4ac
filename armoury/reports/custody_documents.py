"""The papers of custody operations, made from the ledger: hand receipt, transfer voucher, loss report,
destruction certificate, and a weapon's history card.

A document is found by its reference (``HR-000123``, ``TV-000045``, ``INC-000007``, a certificate number):
the ledger entries that carry it are the document's content, so a reprint is always identical to the
original. The custody screens and the CLI call e.g. ``hand_receipt_pdf(db, actor, "HR-000123", path)``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO

from sqlalchemy import text
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Condition, Register, Whereabouts
from armoury.domain.serials import serial_key
from armoury.errors import NotFoundError
from armoury.i18n import N_, _
from armoury.reports.base import (
    Column,
    FacilityInfo,
    OutputFormat,
    Parameter,
    ReportData,
    ReportSpec,
    TableBlock,
    TextBlock,
    actor_display,
    authorize_report,
    checkpoint_in,
    write_report,
)
from armoury.reports.style import SignatureBlock
from armoury.security.permissions import Actor

P_DOCUMENT = Parameter("document", N_("Document reference (HR-…, TV-…, INC-…, certificate number)"))
P_WEAPON = Parameter("weapon", N_("Weapon serial (or #id)"))

Target = str | os.PathLike[str] | BinaryIO


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _facility(session: Session, facility_id: int) -> FacilityInfo:
    row = session.execute(
        text("SELECT id, code, name FROM facilities WHERE id = :f"), {"f": facility_id}
    ).one()
    return FacilityInfo(row[0], row[1], row[2])


def _entries(session: Session, ref: str, operations: tuple[str, ...]) -> list[Any]:
    ops = ", ".join(f"'{o}'" for o in operations)
    return list(
        session.execute(
            text(
                "SELECT seq, recorded_at, operation, facility_id, actor_username, witness_ids, reason, payload "
                f"FROM ledger_entries WHERE document_ref = :r AND operation IN ({ops}) ORDER BY seq"
            ),
            {"r": ref.strip()},
        )
    )


def _items(session: Session, seqs: list[int]) -> list[Any]:
    if not seqs:
        return []
    listed = ", ".join(str(int(s)) for s in seqs)
    return list(
        session.execute(
            text(
                "SELECT i.entry_seq, i.line, w.serial, t.manufacturer, t.model, t.calibre, i.register, "
                "i.from_whereabouts, i.to_whereabouts, fr.code, tr.code, i.to_condition, "
                "p.rank, p.surname, p.given_names, p.service_number, ff.code, tf.code "
                "FROM ledger_items i JOIN weapons w ON w.id = i.weapon_id "
                "JOIN item_types t ON t.id = w.item_type_id "
                "LEFT JOIN racks fr ON fr.id = i.from_rack_id LEFT JOIN racks tr ON tr.id = i.to_rack_id "
                "LEFT JOIN people p ON p.id = i.to_holder_id "
                "LEFT JOIN facilities ff ON ff.id = i.from_facility_id "
                "LEFT JOIN facilities tf ON tf.id = i.to_facility_id "
                f"WHERE i.entry_seq IN ({listed}) ORDER BY i.entry_seq, i.line"
            )
        )
    )


def _witnesses(session: Session, witness_ids: str) -> str:
    ids = [int(i) for i in json.loads(witness_ids or "[]")]
    if not ids:
        return "—"
    rows = session.execute(
        text(f"SELECT username, full_name FROM users WHERE id IN ({', '.join(str(i) for i in ids)})")
    )
    return ", ".join(f"{full} ({name})" if full else name for name, full in rows)


def _not_found(ref: str, what: str) -> NotFoundError:
    return NotFoundError(
        _("There is no {what} with the reference {ref}.").format(what=what, ref=ref),
        _("Check the reference printed on the document (for example HR-000123)."),
    )


_REG = {r.value: r for r in Register}
_WHERE = {w.value: w for w in Whereabouts}


def _item_rows(items: list[Any]) -> list[list[Any]]:
    rows = []
    for n, it in enumerate(items, start=1):
        rows.append(
            [n, it[2], f"{it[3]} {it[4]}", it[5] or "", _REG[it[6]].label if it[6] in _REG else it[6],
             _place(it[7], it[9], it[16]), _place(it[8], it[10], it[17])]
        )  # fmt: skip
    return rows


def _place(where: str | None, rack: str | None, facility: str | None) -> str:
    if where is None:
        return "—"
    label = _WHERE[where].label if where in _WHERE else where
    if rack:
        label += f" {rack}"
    if facility:
        label += f" ({facility})"
    return label


_ITEM_COLUMNS = [
    Column("line", N_("No."), 9, numeric=True),
    Column("serial", N_("Serial"), 32),
    Column("item_type", N_("Item type"), 36),
    Column("calibre", N_("Calibre"), 16),
    Column("register", N_("Register"), 32),
    Column("from", N_("From"), 27),
    Column("to", N_("To"), 27),
]


def _item_columns() -> list[Column]:
    return [Column(c.key, _(c.title), c.width_mm, c.numeric) for c in _ITEM_COLUMNS]


def _document(
    db: Database,
    actor: Actor,
    ref: str,
    operations: tuple[str, ...],
    what: str,
    kind: str,
    title: str,
) -> tuple[ReportData, list[Any], list[Any]]:
    with db.read() as session:
        entries = _entries(session, ref, operations)
        if not entries:
            raise _not_found(ref, what)
        facility = _facility(session, entries[0][3])
    authorize_report(db, actor, facility.id)
    with db.read() as session:
        items = _items(session, [e[0] for e in entries])
        first = entries[0]
        payload = json.loads(first[7] or "{}")
        facts: list[tuple[str, str]] = [
            (_("Document"), ref.strip()),
            (_("Facility"), facility.display),
            (_("Date (UTC)"), (_as_utc(first[1]) or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M")),
            (_("Ledger entry"), ", ".join(str(e[0]) for e in entries)),
            (_("Recorded by"), first[4]),
            (_("Witnesses"), _witnesses(session, first[5])),
        ]
        if first[6]:
            facts.append((_("Reason"), first[6]))
        report = ReportData(
            kind=kind,
            title=title,
            reference=ref.strip(),
            subtitle=ref.strip(),
            depot_name=facility.display,
            generated_by=actor_display(actor),
            checkpoint=checkpoint_in(session),
            facility_id=facility.id,
            facts=facts,
            parameters={"document": ref.strip()},
            json_extra={"payload": payload},
        )
        return report, entries, items


def hand_receipt(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    ref = str(params.get("document") or "")
    report, entries, items = _document(
        db, actor, ref, ("issue",), _("hand receipt"), "hand-receipt", _("Hand receipt")
    )
    payload = json.loads(entries[0][7] or "{}")
    holder = next((it for it in items if it[15]), None)
    holder_text = (
        " ".join(x for x in (holder[12], (holder[13] or "").upper(), holder[14]) if x) + f" ({holder[15]})"
        if holder
        else payload.get("person", "")
    )
    due = _("long-term assignment") if payload.get("long_term") else (payload.get("due_back") or "—")
    report.facts = [*report.facts, (_("Issued to"), holder_text), (_("Due back"), str(due))]
    report.blocks = [
        TableBlock("items", _("Weapons issued"), _item_columns(), _item_rows(items)),
        TextBlock(_("Number of weapons: {count}").format(count=len(items))),
    ]
    report.certification = _(
        "I, the undersigned, acknowledge receipt of the {count} weapon(s) listed above, in the condition "
        "stated, and accept personal responsibility for their safekeeping until they are returned to the "
        "armoury."
    ).format(count=len(items))
    report.signatures = [
        SignatureBlock(_("Received by (holder)"), name=holder_text),
        SignatureBlock(_("Issued by (storekeeper)"), name=entries[0][4]),
        SignatureBlock(_("Witness")),
    ]
    return report


def transfer_voucher(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    ref = str(params.get("document") or "")
    report, entries, items = _document(
        db,
        actor,
        ref,
        ("transfer_dispatch", "transfer_accept", "transfer_reject"),
        _("transfer voucher"),
        "transfer-voucher",
        _("Transfer voucher"),
    )
    dispatch_seqs = {e[0] for e in entries if e[2] == "transfer_dispatch"}
    settled = {it[2]: it for it in items if it[0] not in dispatch_seqs}
    payload = json.loads(entries[0][7] or "{}")
    rows = []
    for row, it in zip(
        _item_rows([i for i in items if i[0] in dispatch_seqs]),
        [i for i in items if i[0] in dispatch_seqs],
        strict=True,
    ):
        after = settled.get(it[2])
        status = (
            _("In transit") if after is None else (_("Accepted") if after[17] != it[16] else _("Rejected"))
        )
        rows.append([*row[:5], row[5], status])
    columns = [*_item_columns()[:6], Column("status", _("Status"), 27)]
    report.facts = [*report.facts, (_("Destination"), str(payload.get("to_facility", "")))]
    report.blocks = [
        TableBlock("items", _("Weapons dispatched"), columns, rows),
        TextBlock(_("Number of weapons: {count}").format(count=len(rows))),
    ]
    report.certification = _(
        "The weapons listed above were dispatched under this voucher. The receiving facility checks every "
        "serial number on arrival and accepts or rejects each weapon in Armoury."
    )
    report.signatures = [
        SignatureBlock(_("Dispatched by"), name=entries[0][4]),
        SignatureBlock(_("Carrier / escort")),
        SignatureBlock(_("Received by")),
    ]
    return report


def loss_report(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    ref = str(params.get("document") or "")
    report, entries, items = _document(
        db, actor, ref, ("loss_report",), _("loss report"), "loss-report", _("Loss report")
    )
    with db.read() as session:
        incident = session.execute(
            text(
                "SELECT kind, occurred_at, place, circumstances, reported_to, reference, status, conclusion, "
                "findings FROM incidents WHERE number = :r"
            ),
            {"r": ref.strip()},
        ).first()
    blocks: list[Any] = []
    if incident is not None:
        occurred = _as_utc(incident[1])
        report.facts = [
            *report.facts,
            (_("Kind"), _("Stolen") if incident[0] == "stolen" else _("Lost")),
            (_("Occurred (UTC)"), occurred.strftime("%Y-%m-%d %H:%M") if occurred else ""),
            (_("Place"), incident[2] or ""),
            (_("Reported to"), incident[4] or ""),
            (_("External reference"), incident[5] or ""),
            (
                _("Investigation"),
                _("open") if incident[6] == "open" else _("concluded: {c}").format(c=incident[7]),
            ),
        ]
        blocks.append(TextBlock(_("Circumstances: {text}").format(text=incident[3])))
        if incident[8]:
            blocks.append(TextBlock(_("Findings: {text}").format(text=incident[8])))
    blocks.append(TableBlock("items", _("Weapons reported"), _item_columns(), _item_rows(items)))
    report.blocks = blocks
    report.certification = _(
        "The weapons above are reported lost or stolen. They stay on the record, and the investigation stays "
        "open until a commander concludes it; a loss is not written off as an accounting error before theft "
        "is ruled out."
    )
    report.signatures = [
        SignatureBlock(_("Reported by"), name=entries[0][4]),
        SignatureBlock(_("Commander")),
    ]
    return report


def destruction_certificate(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    ref = str(params.get("document") or "")
    report, entries, items = _document(
        db, actor, ref, ("destroy",), _("destruction certificate"), "destruction-certificate",
        _("Destruction certificate"),
    )  # fmt: skip
    payload = json.loads(entries[0][7] or "{}")
    method = str(payload.get("method", ""))
    report.facts = [*report.facts, (_("Method"), method)]
    report.blocks = [
        TableBlock("items", _("Weapons destroyed"), _item_columns(), _item_rows(items)),
        TextBlock(_("Number of weapons destroyed: {count}").format(count=len(items))),
    ]
    report.certification = _(
        "We certify that the {count} weapon(s) listed above, identified by their serial numbers, were "
        "destroyed by the method stated ({method}) in our presence, and that they can no longer be used or "
        "restored."
    ).format(count=len(items), method=method or "—")
    report.signatures = [
        SignatureBlock(_("Officer in charge"), name=entries[0][4]),
        SignatureBlock(_("First witness")),
        SignatureBlock(_("Second witness")),
    ]
    return report


def weapon_history_card(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    """A weapon's identity, markings and whole custody history."""
    ref = str(params.get("weapon") or "").strip()
    with db.read() as session:
        if ref.startswith("#") and ref[1:].isdigit():
            ids = [int(ref[1:])]
        else:
            ids = [r[0] for r in session.execute(
                text("SELECT id FROM weapons WHERE serial_key = :k ORDER BY id"), {"k": serial_key(ref)}
            )]  # fmt: skip
        if not ids:
            raise _not_found(ref, _("weapon"))
        if len(ids) > 1:
            raise NotFoundError(
                _("{count} weapons have the serial {serial}.").format(count=len(ids), serial=ref),
                _("Name one by its record number, e.g. #{id}.").format(id=ids[0]),
            )
        w = session.execute(
            text(
                "SELECT w.id, w.serial, t.manufacturer, t.model, t.calibre, t.category, w.register, "
                "w.year_of_manufacture, w.facility_id, w.whereabouts, w.condition, t.country, "
                "w.contingent_country, w.case_reference FROM weapons w "
                "JOIN item_types t ON t.id = w.item_type_id WHERE w.id = :w"
            ),
            {"w": ids[0]},
        ).one()
        facility = _facility(session, w[8])
        markings = session.execute(
            text(
                "SELECT kind, position, transcription, import_country, import_year FROM markings "
                "WHERE weapon_id = :w ORDER BY id"
            ),
            {"w": w[0]},
        ).all()
        checkpoint = checkpoint_in(session)
    authorize_report(db, actor, facility.id)
    from armoury.services.ledger import weapon_history

    history = weapon_history(db, actor, w[0])
    facts = [
        (_("Serial"), w[1]),
        (_("Item type"), f"{w[2]} {w[3]}"),
        (_("Calibre"), w[4] or ""),
        (_("Country of make"), w[11] or ""),
        (_("Year"), str(w[7] or "")),
        (_("Register"), _REG[w[6]].label if w[6] in _REG else w[6]),
        (_("On the books of"), facility.display),
        (_("Now"), f"{_WHERE[w[9]].label}, {Condition(w[10]).label}"),
    ]
    if w[12]:
        facts.append((_("Contributing country"), w[12]))
    if w[13]:
        facts.append((_("Case reference"), w[13]))
    return ReportData(
        kind="weapon-history",
        title=_("Weapon history card"),
        subtitle=f"{w[1]} — {w[2]} {w[3]}",
        depot_name=facility.display,
        generated_by=actor_display(actor),
        checkpoint=checkpoint,
        facility_id=facility.id,
        facts=facts,
        blocks=[
            TableBlock(
                "markings",
                _("Markings"),
                [
                    Column("kind", _("Kind"), 24),
                    Column("position", _("Position"), 34),
                    Column("transcription", _("Transcription"), 80),
                    Column("import", _("Import"), 40),
                ],
                [[m[0], m[1] or "", m[2], " ".join(str(x) for x in (m[3], m[4]) if x)] for m in markings],
                empty_text=_("No marking recorded."),
            ),
            TableBlock(
                "history",
                _("Custody history"),
                [
                    Column("seq", _("Entry"), 14, numeric=True),
                    Column("recorded_at", _("Date (UTC)"), 28),
                    Column("operation", _("Operation"), 34),
                    Column("from", _("From"), 60),
                    Column("to", _("To"), 60),
                    Column("document_ref", _("Document"), 28),
                    Column("actor", _("By"), 30),
                ],
                [
                    [
                        h.seq,
                        h.recorded_at,
                        h.operation_label,
                        h.from_state,
                        h.to_state,
                        h.document_ref,
                        h.actor + (" / " + ", ".join(h.witnesses) if h.witnesses else ""),
                    ]
                    for h in history
                ],
                empty_text=_("No ledger entry."),
            ),
        ],
        landscape=True,
        parameters={"weapon": ref},
    )


# --------------------------------------------------------------------------------------------- PDF shortcuts


def hand_receipt_pdf(db: Database, actor: Actor, document_ref: str, path: Target) -> int:
    """Write the hand receipt ``HR-…`` as a PDF; returns the page count."""
    return write_report(hand_receipt(db, actor, {"document": document_ref}), OutputFormat.PDF, path)


def transfer_voucher_pdf(db: Database, actor: Actor, document_ref: str, path: Target) -> int:
    return write_report(transfer_voucher(db, actor, {"document": document_ref}), OutputFormat.PDF, path)


def loss_report_pdf(db: Database, actor: Actor, document_ref: str, path: Target) -> int:
    return write_report(loss_report(db, actor, {"document": document_ref}), OutputFormat.PDF, path)


def destruction_certificate_pdf(db: Database, actor: Actor, certificate: str, path: Target) -> int:
    return write_report(destruction_certificate(db, actor, {"document": certificate}), OutputFormat.PDF, path)


def weapon_history_pdf(db: Database, actor: Actor, weapon: str, path: Target) -> int:
    return write_report(weapon_history_card(db, actor, {"weapon": weapon}), OutputFormat.PDF, path)


SPECS = (
    ReportSpec("weapon-history", N_("Weapon history card"), N_("A weapon's identity, markings and whole custody history."), (P_WEAPON,), weapon_history_card),
    ReportSpec("hand-receipt", N_("Hand receipt"), N_("The weapons issued under one hand receipt (HR-…), with signature lines."), (P_DOCUMENT,), hand_receipt),
    ReportSpec("transfer-voucher", N_("Transfer voucher"), N_("The weapons dispatched under one transfer voucher (TV-…) and their status."), (P_DOCUMENT,), transfer_voucher),
    ReportSpec("loss-report", N_("Loss report"), N_("A loss or theft report (INC-…): circumstances, weapons, investigation."), (P_DOCUMENT,), loss_report),
    ReportSpec("destruction-certificate", N_("Destruction certificate"), N_("The weapons destroyed under one certificate number, with witnesses."), (P_DOCUMENT,), destruction_certificate),
)  # fmt: skip
