"""Counts: planning, scanning, blind rule, reconciliation with ledger resolutions, closing, due counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from armoury.db import Database
from armoury.errors import ConflictError, PermissionDenied, ValidationError
from armoury.labels.payload import LabelKind, encode
from armoury.models.counts import ResolutionAction, ScanKind
from armoury.services import count_reconcile as rec
from armoury.services import count_scan as cs
from armoury.services import counts
from armoury.services.count_reconcile import ResultList
from armoury.services.ledger import chain_head
from tests.core.test_count_world import World, build_world


@pytest.fixture
def world(sqlite_db: Database) -> World:
    return build_world(sqlite_db)


def _serials(result: rec.CountResult, kind: ResultList) -> set[str]:
    return {line.serial for line in result.lists[kind]}


def test_count_types_are_seeded_and_frequency_is_editable(world: World) -> None:
    types = {t.code: t for t in counts.list_count_types(world.db, world.admin)}
    assert set(types) == {"opening", "closing", "key_change", "monthly", "sample", "annual"}
    assert types["monthly"].independent_counter and types["monthly"].frequency_days == 30
    changed = counts.update_count_type(world.db, world.admin, "monthly", frequency_days=90)
    assert changed.frequency_days == 90
    with pytest.raises(ValidationError):
        counts.update_count_type(world.db, world.admin, "monthly", frequency_days=0)
    with pytest.raises(PermissionDenied):
        counts.update_count_type(world.db, world.commander, "monthly", frequency_days=10)


def test_due_counts_lists_never_counted_as_overdue_then_due_after_frequency(world: World) -> None:
    today = date(2026, 11, 22)
    due = counts.due_counts(world.db, world.admin, today)
    keys = {(d.facility_code, d.type_code) for d in due}
    assert ("F1", "monthly") in keys and ("F1", "annual") in keys and ("F1", "opening") not in keys
    assert all(d.overdue for d in due)
    c = counts.start_count(world.db, world.commander, counts.CountPlan("F1", "monthly"))
    rec.close_count(world.db, world.commander, c.number, leave_open_reason="test")
    after = counts.due_counts(world.db, world.admin, date.today())
    assert ("F1", "monthly") not in {(d.facility_code, d.type_code) for d in after}
    later = counts.due_counts(world.db, world.admin, date.today() + timedelta(days=25))
    monthly = [d for d in later if (d.facility_code, d.type_code) == ("F1", "monthly")]
    assert monthly and not monthly[0].overdue and monthly[0].due_on == date.today() + timedelta(days=30)


def test_independent_count_refuses_the_facility_storekeeper(world: World) -> None:
    assert world.storekeeper.user_id is not None and world.inspector.user_id is not None
    with pytest.raises(ValidationError, match="storekeeper"):
        counts.start_count(
            world.db,
            world.commander,
            counts.CountPlan("F1", "monthly", counter_ids=[world.storekeeper.user_id]),
        )
    ok = counts.start_count(
        world.db, world.commander, counts.CountPlan("F1", "opening", counter_ids=[world.storekeeper.user_id])
    )
    assert ok.counters == ("store",)


def test_start_snapshots_books_in_scope_and_ledger_head(world: World) -> None:
    whole = counts.start_count(world.db, world.commander, counts.CountPlan("F1", "monthly"))
    assert whole.expected_total == 10  # 9 on racks + 1 on issue
    assert whole.start_seq == chain_head(world.db).seq
    assert whole.number.startswith("CNT-")
    area = counts.start_count(world.db, world.commander, counts.CountPlan("F1", "monthly", areas=["A2"]))
    assert area.expected_total == 3 and area.racks_total == 1
    racks = counts.start_count(
        world.db, world.commander, counts.CountPlan("F1", "monthly", racks=["R1", "R3"])
    )
    assert racks.expected_total == 6


def test_sample_is_reproducible_from_its_recorded_seed(world: World) -> None:
    plan = counts.CountPlan("F1", "sample", sample_percent=30, seed=1234)
    a = counts.start_count(world.db, world.commander, plan)
    b = counts.start_count(world.db, world.commander, plan)
    assert a.sample_seed == 1234 and a.expected_total == 3  # ceil(10 * 30 %)
    sheet_a = {s.serial for s in cs.count_sheet(world.db, world.commander, a.number) or []}
    sheet_b = {s.serial for s in cs.count_sheet(world.db, world.commander, b.number) or []}
    assert sheet_a == sheet_b
    assert counts.draw_sample(list(range(100)), 10, 7) == counts.draw_sample(list(range(100)), 10, 7)


def test_scan_rack_then_weapons_flags_duplicate_foreign_and_unknown(world: World) -> None:
    c = counts.start_count(world.db, world.commander, counts.CountPlan("F1", "monthly"))
    first = cs.scan(world.db, world.commander, c.number, world.weapon_label("R1-1"))
    assert not first.ok and "rack label first" in first.message
    assert cs.scan(world.db, world.commander, c.number, world.rack_label("R1")).kind is ScanKind.RACK
    hit = cs.scan(world.db, world.commander, c.number, "r1-1")
    assert hit.ok and hit.kind is ScanKind.WEAPON and "In its place" in hit.message
    misplaced = cs.scan(world.db, world.commander, c.number, world.weapon_label("R2-1"))
    assert not misplaced.ok and "R2" in (misplaced.expected or "")
    again = cs.scan(world.db, world.commander, c.number, world.weapon_label("R1-1"))
    assert again.duplicate and not again.ok and "Duplicate" in again.message
    foreign = cs.scan(world.db, world.commander, c.number, encode(LabelKind.WEAPON, 5, _other(world.depot)))
    assert foreign.kind is ScanKind.FOREIGN and not foreign.ok and "another depot" in foreign.message
    unknown = cs.scan(world.db, world.commander, c.number, "NOPE-999")
    assert unknown.kind is ScanKind.UNKNOWN and not unknown.ok
    out_of_scope = cs.scan(world.db, world.commander, c.number, world.rack_label("X1"))
    assert out_of_scope.kind is ScanKind.REFUSED
    lines = cs.scan_lines(world.db, world.commander, c.number)
    assert len(lines) == 8 and lines[0].kind is ScanKind.REFUSED
    assert cs.current_place(world.db, world.commander, c.number) == "rack R1"


def _other(depot: str) -> str:
    return "0000" if depot != "0000" else "1111"


def test_only_counters_scan(world: World) -> None:
    c = counts.start_count(world.db, world.commander, counts.CountPlan("F1", "monthly"))
    with pytest.raises(ValidationError, match="not a counter"):
        cs.scan(world.db, world.inspector, c.number, world.rack_label("R1"))
    with pytest.raises(PermissionDenied):
        cs.scan(world.db, world.commander if False else _auditor(world), c.number, world.rack_label("R1"))


def _auditor(world: World):  # type: ignore[no-untyped-def]
    from armoury.domain.enums import Role
    from tests.core.test_count_world import create_user

    return create_user(world.db, "aud", Role.AUDITOR)


def test_blind_count_hides_the_books_from_counters_in_the_service(world: World) -> None:
    assert world.inspector.user_id is not None
    c = counts.start_count(
        world.db,
        world.commander,
        counts.CountPlan("F1", "monthly", blind=True, counter_ids=[world.inspector.user_id]),
    )
    assert cs.count_sheet(world.db, world.inspector, c.number) is None
    assert cs.count_sheet(world.db, world.commander, c.number)  # the planner, not counting, may see
    cs.scan(world.db, world.inspector, c.number, world.rack_label("R1"))
    wrong = cs.scan(world.db, world.inspector, c.number, "R2-1")
    assert wrong.ok and wrong.expected is None and "R2" not in wrong.message.replace("R2-1", "")
    with pytest.raises(PermissionDenied, match="blind"):
        rec.count_result(world.db, world.inspector, c.number)
    with pytest.raises(ValidationError):
        cs.tick(world.db, world.inspector, c.number, world.weapons["R1-2"])
    rec.finish_counting(world.db, world.inspector, c.number)
    result = rec.count_result(world.db, world.inspector, c.number)
    assert _serials(result, ResultList.ELSEWHERE) == {"R2-1"}


def test_reconcile_resolve_with_ledger_then_close_and_recount_is_clean(world: World) -> None:
    db, cmd = world.db, world.commander
    # A weapon lost earlier turns up on R3.
    from armoury.services import custody_incidents

    custody_incidents.report_loss(db, world.admin, [world.weapons["R3-3"]], "lost", circumstances="patrol")
    c = counts.start_count(db, cmd, counts.CountPlan("F1", "monthly", racks=["R1", "R3"]))
    for code in (
        world.rack_label("R1"), "R1-1", "R1-2",  # R1-3 missing
        world.rack_label("R3"), "R3-1", "R3-2", "R1-3x", "R3-3", "R2-1",  # R3-3 lost, R2-1 out of scope
    ):  # fmt: skip
        cs.scan(db, cmd, c.number, code)
    result = rec.finish_counting(db, cmd, c.number)
    assert _serials(result, ResultList.IN_PLACE) == {"R1-1", "R1-2", "R3-1", "R3-2"}
    assert _serials(result, ResultList.MISSING) == {"R1-3"}
    assert _serials(result, ResultList.UNEXPECTED) == {"R3-3", "R2-1", "R1-3x"}
    assert result.accuracy == pytest.approx(4 / 8)
    with pytest.raises(ConflictError, match="neither resolved"):
        rec.close_count(db, cmd, c.number)
    with pytest.raises(PermissionDenied):
        rec.resolve(db, world.inspector, c.number, weapon_id=world.weapons["R1-3"])
    lost = rec.resolve(db, cmd, c.number, weapon_id=world.weapons["R1-3"])
    assert lost.action is ResolutionAction.LOSS_REPORTED and lost.ledger_seq
    moved = rec.resolve(db, cmd, c.number, weapon_id=world.weapons["R2-1"])
    assert moved.action is ResolutionAction.MOVED
    recovered = rec.resolve(db, cmd, c.number, weapon_id=world.weapons["R3-3"], witnesses=[world.inspector])
    assert recovered.action is ResolutionAction.RECOVERED
    unknown = next(
        line for line in rec.count_result(db, cmd, c.number).lists[ResultList.UNEXPECTED] if line.scan_id
    )
    with pytest.raises(ValidationError):
        rec.resolve(db, cmd, c.number, scan_id=unknown.scan_id)
    rec.resolve(db, cmd, c.number, scan_id=unknown.scan_id, action=ResolutionAction.LEFT_OPEN, reason="typo?")
    closed = rec.close_count(db, cmd, c.number)
    assert closed.close_checkpoint == str(chain_head(db)) and closed.unresolved == 0
    # Closed means closed: no scan, no change, not even straight in the database.
    with pytest.raises(ConflictError):
        cs.scan(db, cmd, c.number, "R1-1")
    with pytest.raises(ConflictError):
        rec.close_count(db, cmd, c.number)
    with pytest.raises(Exception, match="closed count"), db.write() as session:
        session.execute(text("UPDATE counts SET status = 'counting' WHERE number = :n"), {"n": c.number})
    # The recount of the same racks with the same weapons comes out clean.
    again = counts.start_count(db, cmd, counts.CountPlan("F1", "monthly", racks=["R1", "R3"]))
    for code in (
        world.rack_label("R1"),
        "R1-1",
        "R1-2",
        world.rack_label("R3"),
        "R3-1",
        "R3-2",
        "R3-3",
        "R2-1",
    ):
        cs.scan(db, cmd, again.number, code)
    clean = rec.finish_counting(db, cmd, again.number)
    assert clean.accuracy == 1.0 and clean.unresolved == 0


def test_issued_weapon_verified_with_its_holder(world: World) -> None:
    c = counts.start_count(world.db, world.commander, counts.CountPlan("F1", "monthly"))
    cs.seen_with_holder(world.db, world.commander, c.number, world.weapons["ISS-1"])
    cs.scan(world.db, world.commander, c.number, world.person_label("S2"))
    cs.tick(world.db, world.commander, c.number, world.weapons["R1-1"])
    result = rec.count_result(world.db, world.commander, c.number)
    assert _serials(result, ResultList.IN_PLACE) == {"ISS-1", "R1-1"}
    assert "R1-2" in _serials(result, ResultList.MISSING)  # R1 was checked by the tick
    assert "R2-1" in _serials(result, ResultList.NOT_COUNTED)


def test_scans_are_refused_by_the_database_once_counting_finished(any_db: Database) -> None:
    world = build_world(any_db, per_rack=1)
    c = counts.start_count(any_db, world.commander, counts.CountPlan("F1", "opening"))
    cs.scan(any_db, world.commander, c.number, world.rack_label("R1"))
    rec.finish_counting(any_db, world.commander, c.number)
    with pytest.raises(Exception, match="no longer counting"), any_db.write() as session:
        session.execute(
            text("INSERT INTO count_scans (count_id, scanned_at, text, kind, method, duplicate) "
                 "VALUES (:c, CURRENT_TIMESTAMP, 'x', 'unknown', 'scan', false)"),
            {"c": c.id},
        )  # fmt: skip
    with pytest.raises(Exception, match="append-only"), any_db.write() as session:
        session.execute(text("DELETE FROM count_scans WHERE count_id = :c"), {"c": c.id})


def test_a_closed_count_is_refused_changes_by_the_database(any_db: Database) -> None:
    world = build_world(any_db, per_rack=1)
    c = counts.start_count(any_db, world.commander, counts.CountPlan("F1", "opening"))
    closed = rec.close_count(any_db, world.commander, c.number, leave_open_reason="not reached")
    assert closed.close_checkpoint == str(chain_head(any_db))
    assert closed.lists[ResultList.NOT_COUNTED] and all(
        line.resolution for line in closed.lists[ResultList.NOT_COUNTED]
    )
    with pytest.raises(Exception, match="closed count"), any_db.write() as session:
        session.execute(text("UPDATE counts SET status = 'counting' WHERE id = :c"), {"c": c.id})
    with pytest.raises(Exception, match="closed count"), any_db.write() as session:
        session.execute(
            text("INSERT INTO count_resolutions (count_id, weapon_id, result, action, reason, decided_at) "
                 "VALUES (:c, :w, 'missing', 'left_open', 'x', CURRENT_TIMESTAMP)"),
            {"c": c.id, "w": world.weapons["R1-1"]},
        )  # fmt: skip


def _lines_by_serial(result: rec.CountResult) -> dict[str, tuple[str, str, str, str, str]]:
    return {
        line.serial: (line.expected, line.found, line.books_now, line.item_type, str(line.suggested or ""))
        for lines in result.lists.values()
        for line in lines
    }


@pytest.mark.parametrize(
    ("language", "rack", "slot", "with_", "on_issue"),
    [("en", "rack", "slot", "with", "on issue"), ("fr", "râtelier", "emplacement", "chez", "en perception")],
)
def test_result_lines_say_where_each_weapon_was_expected_found_and_is_now(
    world: World, language: str, rack: str, slot: str, with_: str, on_issue: str
) -> None:
    from armoury.i18n import set_language

    db, cmd = world.db, world.commander
    c = counts.start_count(db, cmd, counts.CountPlan("F1", "monthly"))
    for code in (world.rack_label("R1"), "R1-1", "R2-1", "X1-1", "ZZ-9", world.person_label("S1"), "ISS-1"):
        cs.scan(db, cmd, c.number, code)
    set_language(language)
    try:
        result = rec.count_result(db, cmd, c.number)
    finally:
        set_language("en")
    lines = _lines_by_serial(result)
    model = "Kalashnikov AKM"
    assert lines["R1-1"] == (f"{rack} R1 {slot} 1", f"{rack} R1", f"{rack} R1 {slot} 1", model, "")
    holder = f"{with_} Sgt DIALLO A"
    assert lines["ISS-1"] == (holder, holder, f"{on_issue} {holder}", model, "")
    assert lines["R2-1"] == (f"{rack} R2 {slot} 1", f"{rack} R1", f"{rack} R2 {slot} 1", model, "moved")
    assert lines["R1-2"][:3] == (f"{rack} R1 {slot} 2", "", f"{rack} R1 {slot} 2")
    assert lines["R1-2"][4] == "loss_reported" and lines["R3-1"][4] == ""
    assert lines["X1-1"] == ("", f"{rack} R1", f"{rack} X1 {slot} 1 (F2)", model, "")
    assert lines["ZZ-9"][:3] == ("", "", "on no record" if language == "en" else lines["ZZ-9"][2])
    assert _serials(result, ResultList.MISSING) == {"R1-2", "R1-3"}
    assert _serials(result, ResultList.UNEXPECTED) == {"X1-1", "ZZ-9"}


def test_the_differences_only_result_is_the_full_result_without_the_in_place_lines(world: World) -> None:
    db, cmd = world.db, world.commander
    c = counts.start_count(db, cmd, counts.CountPlan("F1", "monthly"))
    for code in (
        world.rack_label("R1"),
        "R1-1",
        "R1-1",
        "R2-1",
        "X1-1",
        "ZZ-9",
        world.rack_label("R3"),
        "R3-2",
    ):
        cs.scan(db, cmd, c.number, code)
    rec.finish_counting(db, cmd, c.number)
    rec.resolve(db, cmd, c.number, weapon_id=world.weapons["R2-1"])
    full = rec.count_result(db, cmd, c.number)
    short = rec.count_result(db, cmd, c.number, in_place_lines=False)
    assert full.lists[ResultList.IN_PLACE] and short.lists[ResultList.IN_PLACE] == ()
    assert {k: v for k, v in full.lists.items() if k is not ResultList.IN_PLACE} == {
        k: v for k, v in short.lists.items() if k is not ResultList.IN_PLACE
    }
    assert full.counts_by_list == short.counts_by_list == {
        "in_place": 2, "elsewhere": 1, "missing": 4, "unexpected": 2, "not_counted": 3,
    }  # fmt: skip
    assert (full.accuracy, full.unresolved, full.scans_total, full.duplicates, full.expected_total) == (
        short.accuracy, short.unresolved, short.scans_total, short.duplicates, short.expected_total,
    ) == (2 / 9, 9, 8, 1, 10)  # fmt: skip
    moved = next(line for line in full.lists[ResultList.ELSEWHERE] if line.serial == "R2-1")
    assert moved.resolution == ResolutionAction.MOVED.label
