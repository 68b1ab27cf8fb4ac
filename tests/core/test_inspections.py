"""Inspecting: answers saved at once, photos, racks, sign-off locks, corrective actions, trend, report."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from armoury.db import Database
from armoury.errors import ConflictError, PermissionDenied, ValidationError
from armoury.i18n import set_language
from armoury.inspections.enums import ActionStatus, InspectionStatus, Outcome
from armoury.inspections.records import InspectionSummary
from armoury.services import checklists, inspections
from tests.core.test_inspection_support import PNG_PIXEL, Depot, make_depot

DAILY = "daily-armoury-check"


def _daily(db: Database, depot: Depot) -> int:
    return checklists.find_template(db, depot.inspector, DAILY).id


def _start(db: Database, depot: Depot) -> InspectionSummary:
    return inspections.start_inspection(
        db, depot.inspector, depot.facility_id, _daily(db, depot), area_id=depot.area_id, team="Sgt. B. Keita"
    )


def _complete_with_racks_finding(db: Database, depot: Depot, inspection_id: int) -> None:
    actor = depot.inspector
    for qid in ("DC-01", "DC-02", "DC-04", "DC-05", "DC-06"):
        inspections.record_answer(db, actor, inspection_id, qid, "compliant")
    inspections.record_answer(db, actor, inspection_id, "DC-07", "not_applicable")
    inspections.record_answer(db, actor, inspection_id, "DC-08", "Nothing to add.")
    inspections.record_answer(db, actor, inspection_id, "DC-03", "not_compliant")


def _fix_racks_finding(db: Database, depot: Depot, inspection_id: int) -> None:
    actor = depot.inspector
    inspections.set_note(db, actor, inspection_id, "DC-03", "Rack R1 not bolted to the wall.")
    inspections.add_photo(db, actor, inspection_id, "DC-03", PNG_PIXEL, "rack.png")
    inspections.set_targets(db, actor, inspection_id, "DC-03", rack_ids=[depot.rack_ids[0]])
    inspections.add_corrective_action(
        db, actor, inspection_id, "DC-03", "Bolt rack R1 to the wall", "Armourer Sgt. Diallo",
        date(2026, 12, 1),
    )  # fmt: skip


def test_full_inspection_then_sign_off_locks_it(any_db: Database) -> None:
    depot = make_depot(any_db)
    started = _start(any_db, depot)
    assert started.status is InspectionStatus.IN_PROGRESS and started.area_name == "Building 1"
    _complete_with_racks_finding(any_db, depot, started.id)

    detail = inspections.get_inspection(any_db, depot.inspector, started.id)
    assert detail.progress == (8, 8)
    assert detail.answers["DC-03"].outcome is Outcome.FAIL
    assert any("DC-03" in m and "note" in m for m in detail.missing)
    with pytest.raises(ConflictError, match="cannot be signed yet") as caught:
        inspections.sign_off(any_db, depot.inspector, started.id)
    assert "DC-03" in caught.value.message

    _fix_racks_finding(any_db, depot, started.id)
    detail = inspections.get_inspection(any_db, depot.inspector, started.id)
    assert detail.missing == ()
    answer = detail.answers["DC-03"]
    assert [r.code for r in answer.racks] == ["R1"] and answer.racks[0].weapons == 3
    assert answer.photos[0].sha256 == "a" * 0 + answer.photos[0].sha256 and len(answer.photos[0].sha256) == 64
    weapons = inspections.weapons_concerned(any_db, depot.inspector, started.id, "DC-03")
    assert [w.serial for w in weapons] == ["R1-0001", "R1-0002", "R1-0003"]

    signed = inspections.sign_off(any_db, depot.inspector, started.id)
    assert signed.summary.status is InspectionStatus.SIGNED
    # 6 scored and applicable questions (DC-07 n/a, DC-08 text): weights 3+3+3+3+2+2 = 16, DC-03 (3) failed.
    assert signed.summary.score == pytest.approx(round(100 * 13 / 16, 2))
    assert signed.summary.level == 0  # DC-03 is critical: no level whatever the score

    with pytest.raises(ConflictError, match="signed"):
        inspections.record_answer(any_db, depot.inspector, started.id, "DC-01", "not_compliant")
    with pytest.raises(ConflictError, match="signed"):
        inspections.add_photo(any_db, depot.inspector, started.id, "DC-01", PNG_PIXEL, "x.png")
    # The database refuses too, whatever program writes to it.
    with pytest.raises((IntegrityError, DBAPIError)), any_db.engine.begin() as connection:
        connection.execute(
            text("UPDATE inspection_answers SET value = 'compliant' WHERE question_id = 'DC-03'")
        )
    with pytest.raises((IntegrityError, DBAPIError)), any_db.engine.begin() as connection:
        connection.execute(text("UPDATE inspections SET score = 100"))
    with pytest.raises((IntegrityError, DBAPIError)), any_db.engine.begin() as connection:
        connection.execute(text("DELETE FROM inspection_photos"))
    # Corrective actions stay open to follow-up after sign-off.
    action = signed.answers["DC-03"].actions[0]
    closed = inspections.update_corrective_action(
        any_db, depot.commander, action.id, ActionStatus.CLOSED, evidence="Rack bolted; checked.",
        closed_on=date(2026, 11, 30),
    )  # fmt: skip
    assert closed.status is ActionStatus.CLOSED and closed.closed_on == date(2026, 11, 30)


def test_answers_are_checked_and_only_the_inspector_answers(sqlite_db: Database) -> None:
    depot = make_depot(sqlite_db)
    started = _start(sqlite_db, depot)
    with pytest.raises(ValidationError, match="not an answer"):
        inspections.record_answer(sqlite_db, depot.inspector, started.id, "DC-01", "maybe")
    with pytest.raises(PermissionDenied):
        inspections.record_answer(sqlite_db, depot.commander, started.id, "DC-01", "compliant")
    with pytest.raises(PermissionDenied):
        inspections.start_inspection(sqlite_db, depot.auditor, depot.facility_id, started.template_id)
    with pytest.raises(ValidationError, match="not a photo"):
        inspections.add_photo(
            sqlite_db, depot.inspector, started.id, "DC-01", b"%PDF-1.4 not a picture", "x.pdf"
        )
    with pytest.raises(ValidationError, match="not racks of the inspected facility"):
        inspections.set_targets(sqlite_db, depot.inspector, started.id, "DC-03", rack_ids=[999])
    assert inspections.get_inspection(sqlite_db, depot.inspector, started.id).card.answered == 0


def test_the_same_photo_is_kept_once(sqlite_db: Database) -> None:
    depot = make_depot(sqlite_db)
    started = _start(sqlite_db, depot)
    first = inspections.add_photo(sqlite_db, depot.inspector, started.id, "DC-01", PNG_PIXEL, "a.png")
    second = inspections.add_photo(sqlite_db, depot.inspector, started.id, "DC-01", PNG_PIXEL, "b.png")
    assert first.id == second.id and first.media_type == "image/png"
    info, data = inspections.photo_data(sqlite_db, depot.inspector, first.id)
    assert data == PNG_PIXEL and info.size == len(PNG_PIXEL)


def test_overdue_actions_previous_findings_and_trend(sqlite_db: Database) -> None:
    depot = make_depot(sqlite_db)
    first = _start(sqlite_db, depot)
    _complete_with_racks_finding(sqlite_db, depot, first.id)
    _fix_racks_finding(sqlite_db, depot, first.id)
    inspections.sign_off(sqlite_db, depot.inspector, first.id)

    overdue = inspections.overdue_corrective_actions(sqlite_db, depot.auditor, date(2026, 12, 2))
    assert [a.what for a in overdue] == ["Bolt rack R1 to the wall"]
    assert overdue[0].overdue(date(2026, 12, 2)) and overdue[0].facility_name == "1st Battalion armoury"
    assert inspections.overdue_corrective_actions(sqlite_db, depot.auditor, date(2026, 12, 1)) == []

    second = _start(sqlite_db, depot)
    previous = inspections.previous_findings(sqlite_db, depot.inspector, second.id)
    assert [(f.question_id, f.closed) for f in previous] == [("DC-03", False)]
    inspections.update_corrective_action(
        sqlite_db, depot.inspector, previous[0].actions[0].id, ActionStatus.CLOSED, evidence="Bolted."
    )
    previous = inspections.previous_findings(sqlite_db, depot.inspector, second.id)
    assert previous[0].closed

    for qid in ("DC-01", "DC-02", "DC-03", "DC-04", "DC-05", "DC-06", "DC-07"):
        inspections.record_answer(sqlite_db, depot.inspector, second.id, qid, "compliant")
    inspections.record_answer(sqlite_db, depot.inspector, second.id, "DC-08", "All fixed.")
    inspections.sign_off(sqlite_db, depot.inspector, second.id)
    trend = inspections.score_trend(sqlite_db, depot.auditor, depot.facility_id)
    assert [(p.score, p.level) for p in trend] == [(pytest.approx(81.25), 0), (100.0, 3)]
    assert inspections.score_trend(sqlite_db, depot.auditor, depot.other_facility_id) == []


def test_closing_an_action_needs_evidence(sqlite_db: Database) -> None:
    depot = make_depot(sqlite_db)
    started = _start(sqlite_db, depot)
    _complete_with_racks_finding(sqlite_db, depot, started.id)
    action = inspections.add_corrective_action(
        sqlite_db,
        depot.inspector,
        started.id,
        "DC-03",
        "Fix it",
        "Storekeeper",
        date.today() + timedelta(days=7),
    )
    with pytest.raises(ValidationError, match="evidence"):
        inspections.update_corrective_action(sqlite_db, depot.inspector, action.id, ActionStatus.CLOSED)
    with pytest.raises(ConflictError, match="not a finding"):
        inspections.add_corrective_action(
            sqlite_db, depot.inspector, started.id, "DC-01", "Nothing", "Nobody", date.today()
        )
    with pytest.raises(PermissionDenied):
        inspections.add_corrective_action(
            sqlite_db, depot.auditor, started.id, "DC-03", "Fix it", "Storekeeper", date.today()
        )


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def test_report_pdf_reads_back(sqlite_db: Database, tmp_path: Path) -> None:
    depot = make_depot(sqlite_db)
    started = _start(sqlite_db, depot)
    _complete_with_racks_finding(sqlite_db, depot, started.id)
    _fix_racks_finding(sqlite_db, depot, started.id)
    inspections.sign_off(sqlite_db, depot.inspector, started.id)
    path = tmp_path / "inspection.pdf"
    pages = inspections.write_inspection_report(sqlite_db, depot.inspector, started.id, path)
    assert pages >= 2
    content = _pdf_text(path)
    for expected in (
        "Inspection report",
        "1st Battalion armoury (ARM-1)",
        "Score: 81.2 %",
        "No level reached",
        "Critical findings",
        "Bolt rack R1 to the wall",
        "R1-0001",
        "Rack R1 not bolted to the wall.",
        "Commander / officer in charge",
        "Sgt. B. Keita",
        "Photo for DC-03: rack.png",
    ):
        assert expected in content, expected
    # Critical findings come before the list of all answers.
    assert content.index("Critical findings") < content.index("All answers")
    set_language("fr")
    french = tmp_path / "inspection-fr.pdf"
    inspections.write_inspection_report(sqlite_db, depot.inspector, started.id, french)
    text_fr = _pdf_text(french)
    assert "Rapport d'inspection" in text_fr and "Constats critiques" in text_fr
    assert "Les râteliers sont fixés et fermés à clé." in text_fr
