"""Property tests of the reconciliation.

* For any books and any scans, every weapon in scope lands in exactly one result list, and the unexpected
  list is exactly what was found but not expected (pure :func:`classify`).
* Resolving every difference makes a recount of the same reality come out clean: first on the pure model,
  then end to end through the real services and the custody ledger on SQLite.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from armoury.db import Database
from armoury.models.counts import CountExpected, CountScan, ResolutionAction, ScanKind
from armoury.services import count_reconcile as rec
from armoury.services import count_scan as cs
from armoury.services import counts
from armoury.services.count_reconcile import Place, ResultList, classify
from tests.core.test_count_world import build_world

RACKS = [Place(rack_id=r) for r in range(1, 5)]
PEOPLE = [Place(person_id=p) for p in range(1, 3)]
PLACES = st.sampled_from(RACKS + PEOPLE)
WEAPONS = st.integers(min_value=1, max_value=30)


@st.composite
def counts_and_scans(draw: st.DrawFn) -> tuple[dict[int, Place], dict[int, Place], list[Place]]:
    expected = draw(st.dictionaries(WEAPONS, PLACES, max_size=20))
    found = draw(st.dictionaries(WEAPONS, PLACES, max_size=20))
    visited = draw(st.lists(PLACES, max_size=6))
    return expected, found, visited


@given(counts_and_scans(), st.lists(st.integers(1, 1000), max_size=3, unique=True))
def test_every_weapon_in_scope_lands_in_exactly_one_list(
    data: tuple[dict[int, Place], dict[int, Place], list[Place]], unknown: list[int]
) -> None:
    expected, found, visited = data
    result = classify(expected, found, visited, unknown)
    in_scope_lists = [ResultList.IN_PLACE, ResultList.ELSEWHERE, ResultList.MISSING, ResultList.NOT_COUNTED]
    for weapon_id in expected:
        assert sum(weapon_id in result.lists[k] for k in ResultList) == 1
    landed = [w for k in in_scope_lists for w in result.lists[k]]
    assert sorted(landed) == sorted(expected)
    assert set(result.lists[ResultList.UNEXPECTED]) == set(found) - set(expected)
    assert set(result.lists[ResultList.IN_PLACE]) == {w for w in expected if found.get(w) == expected[w]}
    assert result.unknown_scans == tuple(sorted(unknown))
    if result.accuracy is not None:
        assert 0.0 <= result.accuracy <= 1.0


@given(counts_and_scans())
def test_resolving_every_difference_makes_the_recount_clean_on_the_model(
    data: tuple[dict[int, Place], dict[int, Place], list[Place]],
) -> None:
    expected, found, visited = data
    first = classify(expected, found, visited)
    books = dict(expected)
    for w in first.lists[ResultList.ELSEWHERE] + first.lists[ResultList.UNEXPECTED]:
        books[w] = found[w]  # moved / returned / recovered to where it was found
    for w in first.lists[ResultList.MISSING]:
        del books[w]  # loss reported: off the books
    again = classify(books, found, visited)
    for kind in (ResultList.ELSEWHERE, ResultList.MISSING, ResultList.UNEXPECTED):
        assert again.lists[kind] == ()
    assert again.lists[ResultList.NOT_COUNTED] == first.lists[ResultList.NOT_COUNTED]


# --- end to end ---------------------------------------------------------------------------------------

RACK_CODES = ["R1", "R2", "R3"]
SERIALS = ["R1-1", "R1-2", "R2-1", "R2-2", "R3-1", "R3-2", "ISS-1"]


@st.composite
def realities(draw: st.DrawFn) -> tuple[dict[str, str | None], list[str], bool, set[str], list[str]]:
    """Where each weapon physically is (a rack, "S1" the holder, or None: gone), which weapons were
    reported lost before the count, which racks are counted, whether the holder is checked, duplicates."""
    places: dict[str, str | None] = {}
    for serial in SERIALS:
        choices: list[str | None] = [*RACK_CODES, None]
        if serial == "ISS-1":
            choices.append("S1")
        places[serial] = draw(st.sampled_from(choices))
    visited = draw(st.lists(st.sampled_from(RACK_CODES), unique=True, max_size=3))
    holder_checked = draw(st.booleans())
    lost_before = draw(st.sets(st.sampled_from(SERIALS[:-1]), max_size=2))
    duplicates = draw(st.lists(st.sampled_from(SERIALS), max_size=2))
    return places, visited, holder_checked, lost_before, duplicates


def _scan_reality(
    db: Database,
    world: object,
    number: str,
    reality: tuple[dict[str, str | None], list[str], bool, set[str], list[str]],
) -> None:
    places, visited, holder_checked, _lost, duplicates = reality
    for rack in visited:
        cs.scan(db, world.commander, number, world.rack_label(rack))  # type: ignore[attr-defined]
        for serial, place in places.items():
            if place == rack:
                cs.scan(db, world.commander, number, serial)  # type: ignore[attr-defined]
                if serial in duplicates:
                    assert cs.scan(db, world.commander, number, serial).duplicate  # type: ignore[attr-defined]
    if holder_checked:
        cs.scan(db, world.commander, number, world.person_label("S1"))  # type: ignore[attr-defined]
        if places["ISS-1"] == "S1":
            cs.scan(db, world.commander, number, "ISS-1")  # type: ignore[attr-defined]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reality=realities())
def test_resolving_every_difference_makes_the_recount_clean_end_to_end(
    sqlite_template: Path, reality: tuple[dict[str, str | None], list[str], bool, set[str], list[str]]
) -> None:
    from armoury.services import custody_incidents

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "count.sqlite3"
        shutil.copyfile(sqlite_template, path)
        db = Database(f"sqlite:///{path}")
        try:
            world = build_world(db, per_rack=2)
            cmd = world.commander
            for serial in reality[3]:
                custody_incidents.report_loss(
                    db, world.admin, [world.weapons[serial]], "lost", circumstances="x"
                )
            first = counts.start_count(
                db, cmd, counts.CountPlan("F1", "monthly", counter_ids=[cmd.user_id or 0])
            )
            _scan_reality(db, world, first.number, reality)
            result = rec.finish_counting(db, cmd, first.number)
            _assert_as_the_model_classifies(db, first.id, result)
            expected_total = sum(len(result.lists[k]) for k in ResultList if k is not ResultList.UNEXPECTED)
            assert expected_total == first.expected_total
            for kind in rec.DIFFERENCES:
                for line in result.lists[kind]:
                    if line.suggested is not None:
                        rec.resolve(
                            db, cmd, first.number, weapon_id=line.weapon_id, witnesses=[world.inspector]
                        )
                    else:
                        assert kind is ResultList.NOT_COUNTED
                        rec.resolve(
                            db, cmd, first.number, weapon_id=line.weapon_id,
                            action=ResolutionAction.LEFT_OPEN, reason="not reached",
                        )  # fmt: skip
            closed = rec.close_count(db, cmd, first.number)
            assert closed.unresolved == 0 and closed.close_checkpoint
            recount = counts.start_count(db, cmd, counts.CountPlan("F1", "monthly"))
            _scan_reality(db, world, recount.number, reality)
            clean = rec.finish_counting(db, cmd, recount.number)
            _assert_as_the_model_classifies(db, recount.id, clean)
            for kind in (ResultList.ELSEWHERE, ResultList.MISSING, ResultList.UNEXPECTED):
                assert clean.lists[kind] == (), (kind, clean.lists[kind])
        finally:
            db.dispose()


def _assert_as_the_model_classifies(db: Database, count_id: int, result: rec.CountResult) -> None:
    """The service's lists (built by SQL) are what the pure :func:`classify` makes of the stored rows."""
    with db.read() as session:
        books = session.scalars(select(CountExpected).where(CountExpected.count_id == count_id)).all()
        scans = session.scalars(select(CountScan).where(CountScan.count_id == count_id)).all()
        expected = {e.weapon_id: _place(e.rack_id, e.holder_id) for e in books}
        found = {
            s.weapon_id: _place(s.rack_id, s.person_id)
            for s in scans
            if s.kind is ScanKind.WEAPON and not s.duplicate and s.weapon_id is not None
        }
        visited = [
            _place(s.rack_id, s.person_id) for s in scans if s.kind in (ScanKind.RACK, ScanKind.PERSON)
        ]
        unknown = [s.id for s in scans if s.kind is ScanKind.UNKNOWN]
        duplicates = sum(1 for s in scans if s.kind is ScanKind.WEAPON and s.duplicate)
    model = classify(expected, found, visited, unknown)
    for kind in ResultList:
        assert (
            tuple(line.weapon_id for line in result.lists[kind] if line.weapon_id is not None)
            == model.lists[kind]
        )
    assert (
        tuple(line.scan_id for line in result.lists[ResultList.UNEXPECTED] if line.scan_id)
        == model.unknown_scans
    )
    assert result.accuracy == model.accuracy
    assert result.scans_total == len(scans) and result.expected_total == len(expected)
    assert result.duplicates == duplicates


def _place(rack_id: int | None, person_id: int | None) -> Place:
    return Place(rack_id=rack_id) if rack_id is not None else Place(person_id=person_id)
