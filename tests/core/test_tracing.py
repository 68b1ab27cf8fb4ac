"""Tracing requests of recovered weapons: the service, the database's own checks, the register, the CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from armoury.db import Database
from armoury.domain.enums import Role
from armoury.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from armoury.models import TracingRequest
from armoury.models.security import AuditEvent
from armoury.reports import catalogue
from armoury.reports.base import OutputFormat, write_report
from armoury.services import custody, tracing
from armoury.services.custody_receive import NewWeapon
from armoury.services.tracing import TracingRequestData
from tests.core.custody_world import World, build_world
from tests.helpers import TEST_PASSWORD, create_user

SENT = date.today() - timedelta(days=30)
ANSWERED = date.today() - timedelta(days=3)


def _world_with_seized(db: Database) -> tuple[World, int]:
    world = build_world(db)
    result = custody.register_recovered(
        db,
        world.store,
        [NewWeapon("AK-47", "SZ-777")],
        "R2",
        recovered_on=SENT - timedelta(days=10),
        place="Checkpoint 4",
        circumstances="Found in a truck",
        case_reference="CASE-9",
        witnesses=[world.witness],
    )
    return world, result.weapons[0].weapon_id


def _snapshot(db: Database) -> tuple[list[tuple[Any, ...]], int]:
    """Every tracing row and the number of tracing entries in the audit trail."""
    with db.read() as session:
        rows = [
            tuple(r)
            for r in session.execute(
                select(
                    TracingRequest.id,
                    TracingRequest.weapon_id,
                    TracingRequest.sent_on,
                    TracingRequest.sent_to,
                    TracingRequest.reference,
                    TracingRequest.details,
                    TracingRequest.answered_on,
                    TracingRequest.answer,
                ).order_by(TracingRequest.id)
            )
        ]
        events = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("tracing_%"))
        )
    return rows, int(events or 0)


def test_request_then_answer(any_db: Database) -> None:
    world, weapon_id = _world_with_seized(any_db)
    sent = tracing.record_request(
        any_db,
        world.store,
        weapon_id,
        TracingRequestData(SENT, "  Belgium ", "BE-T-17", "Asked by note verbale"),
    )
    assert (sent.serial, sent.sent_to, sent.reference, sent.is_open) == ("SZ-777", "Belgium", "BE-T-17", True)
    assert sent.created_by == "store"
    assert sent.summary == f"{SENT.isoformat()} → Belgium (BE-T-17): no answer yet"
    assert [r.id for r in tracing.open_requests(any_db, world.commander)] == [sent.id]
    assert [r.id for r in tracing.open_requests(any_db, world.commander, world.facility_b)] == []

    answered = tracing.record_answer(
        any_db, world.commander, sent.id, ANSWERED, "Made by FN in 1998, exported to X"
    )
    assert answered.answered_on == ANSWERED and not answered.is_open
    assert answered.summary.endswith(f"answered {ANSWERED.isoformat()}: Made by FN in 1998, exported to X")
    assert tracing.requests_for(any_db, world.users["aud"], weapon_id) == [answered]
    assert tracing.open_requests(any_db, world.commander) == []

    from armoury.services.audit import list_events, verify_audit_chain

    actions = [e.action for e in list_events(any_db, world.commander)]
    assert "tracing_requested" in actions and "tracing_answered" in actions
    assert verify_audit_chain(any_db, world.commander).ok


def test_every_refusal_changes_nothing(any_db: Database) -> None:
    world, weapon_id = _world_with_seized(any_db)
    first = tracing.record_request(any_db, world.store, weapon_id, TracingRequestData(SENT, "INTERPOL iARMS"))
    tracing.record_answer(any_db, world.store, first.id, ANSWERED, "No record")
    second = tracing.record_request(any_db, world.store, weapon_id, TracingRequestData(SENT, "UN panel"))
    before = _snapshot(any_db)
    national = world.weapons["AK0002"]
    refusals: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: tracing.record_request(any_db, world.store, national, TracingRequestData(SENT, "Belgium")),
         ValidationError, "only recovered or seized weapons are traced"),
        (lambda: tracing.record_request(any_db, world.store, weapon_id, TracingRequestData(SENT, "  ")),
         ValidationError, "Say to whom the request was sent."),
        (lambda: tracing.record_request(any_db, world.store, weapon_id, TracingRequestData(None, "Belgium")),
         ValidationError, "The date the request was sent is required."),
        (lambda: tracing.record_request(
            any_db, world.store, weapon_id, TracingRequestData(date.today() + timedelta(days=2), "Belgium")),
         ValidationError, "in the future"),
        (lambda: tracing.record_request(any_db, world.store, weapon_id, TracingRequestData(SENT, "x" * 201)),
         ValidationError, "too long"),
        (lambda: tracing.record_request(any_db, world.store, 999_999, TracingRequestData(SENT, "Belgium")),
         NotFoundError, "no weapon"),
        (lambda: tracing.record_request(any_db, world.users["aud"], weapon_id, TracingRequestData(SENT, "B")),
         PermissionDenied, "does not allow"),
        (lambda: tracing.record_answer(any_db, world.store, first.id, ANSWERED, "Again"),
         ConflictError, "already answered"),
        (lambda: tracing.record_answer(any_db, world.store, second.id, SENT - timedelta(days=1), "Early"),
         ValidationError, "before the request"),
        (lambda: tracing.record_answer(any_db, world.store, second.id, ANSWERED, " \n "),
         ValidationError, "The answer is empty."),
        (lambda: tracing.record_answer(any_db, world.store, second.id, None, "Something"),
         ValidationError, "The date of the answer is required."),
        (lambda: tracing.record_answer(any_db, world.store, 999_999, ANSWERED, "Something"),
         NotFoundError, "no tracing request"),
        (lambda: tracing.record_answer(any_db, world.users["aud"], second.id, ANSWERED, "Something"),
         PermissionDenied, "does not allow"),
    ]  # fmt: skip
    for call, error, message in refusals:
        with pytest.raises(error, match=message) as caught:
            call()
        assert caught.value.hint, message
        assert _snapshot(any_db) == before, message


def test_a_user_of_another_facility_is_refused(any_db: Database) -> None:
    world, weapon_id = _world_with_seized(any_db)
    user = create_user(any_db, "outsider", Role.STOREKEEPER)
    outsider = replace(user, facility_ids=frozenset({world.facility_b}))
    before = _snapshot(any_db)
    with pytest.raises(PermissionDenied, match="not allowed to act on this facility"):
        tracing.record_request(any_db, outsider, weapon_id, TracingRequestData(SENT, "Belgium"))
    with pytest.raises(PermissionDenied):
        tracing.requests_for(any_db, outsider, weapon_id)
    assert tracing.open_requests(any_db, outsider) == []
    assert _snapshot(any_db) == before


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"sent_to": ""}, "sent_to_not_empty"),
        ({"answered_on": SENT - timedelta(days=1), "answer": "Early"}, "answer_after_request"),
        ({"answered_on": ANSWERED, "answer": ""}, "answer_not_empty"),
    ],
)
def test_database_refuses_a_bad_row(any_db: Database, values: dict[str, Any], constraint: str) -> None:
    _world, weapon_id = _world_with_seized(any_db)
    row = {"weapon_id": weapon_id, "sent_on": SENT, "sent_to": "Belgium", "reference": "", "details": "",
           "answered_on": None, "answer": "", **values}  # fmt: skip
    with pytest.raises(IntegrityError, match=constraint), any_db.write() as session:
        session.execute(TracingRequest.__table__.insert().values(**row, created_at=func.now()))
    assert _snapshot(any_db)[0] == []


def _register(db: Database, world: World) -> Any:
    return catalogue.build_report(db, world.commander, "recovered-register", {"facility": "DEPOT-A"})


def _bytes(report: Any, fmt: OutputFormat) -> bytes:
    buffer = io.BytesIO()
    write_report(report, fmt, buffer)
    return buffer.getvalue()


def test_register_shows_requests_and_answers(any_db: Database) -> None:
    world, weapon_id = _world_with_seized(any_db)
    first = tracing.record_request(
        any_db, world.store, weapon_id, TracingRequestData(SENT, "Belgium", "BE-17")
    )
    tracing.record_answer(any_db, world.store, first.id, ANSWERED, "Exported 1998")
    tracing.record_request(any_db, world.store, weapon_id, TracingRequestData(ANSWERED, "iARMS", "IA-5"))
    later = ANSWERED + timedelta(days=1)
    tracing.record_request(
        any_db, world.store, weapon_id, TracingRequestData(later, "UN Panel of Experts", "S/2024/7")
    )
    report = _register(any_db, world)

    rows = json.loads(_bytes(report, OutputFormat.JSON))["tables"]["recovered"]
    assert [r["serial"] for r in rows] == ["SZ-777"]
    assert rows[0]["tracing"].split("\n") == [
        f"{SENT.isoformat()} → Belgium (BE-17): answered {ANSWERED.isoformat()}: Exported 1998",
        f"{ANSWERED.isoformat()} → iARMS (IA-5): no answer yet",
        f"{later.isoformat()} → UN Panel of Experts (S/2024/7): no answer yet",
    ]
    assert rows[0]["markings"] == "" and rows[0]["case_reference"] == "CASE-9"  # the rest is unchanged
    assert "Exported 1998" in _bytes(report, OutputFormat.CSV).decode("utf-8")

    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(_bytes(report, OutputFormat.PDF))).pages)
    words = " ".join(pdf.split())
    # A register of evidence prints the whole history of a weapon's tracing, however many lines it takes.
    for expected in ("Tracing requests", "Belgium", "BE-17", "Exported 1998", "iARMS", "Experts", "S/2024/7"):
        assert expected in words, expected


# --------------------------------------------------------------------------------------------- the CLI


def _armoury(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ARMOURY_PASSWORD=TEST_PASSWORD, ARMOURY_LANG="en")
    return subprocess.run(
        [sys.executable, "-m", "armoury", "--db", str(db.engine.url.database), "tracing", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_command_line(sqlite_db: Database) -> None:
    _world_with_seized(sqlite_db)
    done = _armoury(sqlite_db, "add", "SZ-777", "--to", "Belgium", "--on", SENT.isoformat(),
                    "--reference", "BE-17", "--user", "store", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    request_id = json.loads(done.stdout)[0]["id"]

    listed = _armoury(sqlite_db, "list", "--open", "--user", "aud")
    assert listed.returncode == 0 and "SZ-777" in listed.stdout and "no answer yet" in listed.stdout

    answered = _armoury(sqlite_db, "answer", str(request_id), "--on", ANSWERED.isoformat(),
                        "--text", "Exported 1998", "--user", "store")  # fmt: skip
    assert answered.returncode == 0, answered.stderr
    assert f"Answer to tracing request {request_id} recorded." in answered.stdout

    again = _armoury(sqlite_db, "answer", str(request_id), "--on", ANSWERED.isoformat(), "--text", "x",
                     "--user", "store")  # fmt: skip
    assert again.returncode == ConflictError.exit_code and "already answered" in again.stderr

    history = json.loads(_armoury(sqlite_db, "list", "SZ-777", "--json", "--user", "aud").stdout)
    assert [(h["sent_to"], h["answer"], h["answered_on"]) for h in history] == [
        ("Belgium", "Exported 1998", ANSWERED.isoformat())
    ]
    assert _armoury(sqlite_db, "list", "SZ-777", "--open", "--json", "--user", "aud").stdout.strip() == "[]"

    ambiguous = _armoury(sqlite_db, "add", "AK0001", "--to", "B", "--on", SENT.isoformat(), "--user", "store")
    assert ambiguous.returncode == ConflictError.exit_code
    assert "Several weapons have the serial number AK0001" in ambiguous.stderr
    unknown = _armoury(sqlite_db, "add", "NOPE-1", "--to", "B", "--on", SENT.isoformat(), "--user", "store")
    assert unknown.returncode != 0 and "No weapon has the serial number NOPE-1" in unknown.stderr
    national = _armoury(sqlite_db, "add", "AK0002", "--to", "B", "--on", SENT.isoformat(), "--user", "store")
    assert national.returncode == ValidationError.exit_code and "recover" in national.stderr
    bad_date = _armoury(sqlite_db, "add", "SZ-777", "--to", "B", "--on", "yesterday", "--user", "store")
    assert bad_date.returncode == ValidationError.exit_code and "is not a date" in bad_date.stderr
    with sqlite_db.read() as session:
        assert session.execute(text("SELECT count(*) FROM tracing_requests")).scalar() == 1
