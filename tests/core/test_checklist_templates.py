"""Checklist templates: built-ins, import validation (nothing changed on refusal), export, versions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from armoury.db import Database
from armoury.errors import PermissionDenied, ValidationError
from armoury.inspections.templates import builtin_template_dir, builtin_templates, parse_template
from armoury.models.inspections import ChecklistTemplate
from armoury.security.permissions import SYSTEM_ACTOR
from armoury.services import checklists, inspections
from tests.core.test_inspection_support import make_depot


def _valid() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (builtin_template_dir() / "50-daily-armoury-check.json").read_text("utf-8")
    )
    data["id"] = "imported-check"
    return data


def _count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count(ChecklistTemplate.id))) or 0


def test_builtin_templates_cover_the_topics_and_sizes() -> None:
    by_code = {t.code: t for t in builtin_templates()}
    assert set(by_code) == {
        "physical-security",
        "key-control",
        "records-accounting",
        "ammunition-storehouse",
        "daily-armoury-check",
    }
    assert 40 <= by_code["physical-security"].question_count <= 70
    physical = {s.id for s in by_code["physical-security"].sections}
    assert {
        "perimeter",
        "building",
        "doors",
        "locks",
        "racks",
        "alarm",
        "lighting",
        "guarding",
        "access",
    } <= physical
    ammo = {s.id for s in by_code["ammunition-storehouse"].sections}
    assert {"stacking", "lots", "separation", "fire", "climate"} <= ammo
    for t in by_code.values():
        assert any(q.critical for _s, q in t.questions())
        assert all(q.clause.startswith(("ISACS", "IATG")) for _s, q in t.questions() if q.scored)


def test_builtin_templates_are_stored_once(sqlite_db: Database) -> None:
    depot = make_depot(sqlite_db)
    listed = checklists.list_templates(sqlite_db, depot.inspector)
    assert len(listed) == 5 and all(s.builtin and s.version == 1 for s in listed)
    assert checklists.ensure_builtin_templates(sqlite_db) == 0
    assert _count(sqlite_db) == 5


def _mutations() -> list[tuple[str, Any, str]]:
    def level4(d: dict[str, Any]) -> None:
        d["sections"][0]["questions"][1]["level"] = 4

    def dup(d: dict[str, Any]) -> None:
        d["sections"][0]["questions"][1]["id"] = d["sections"][0]["questions"][0]["id"]

    def no_text(d: dict[str, Any]) -> None:
        del d["sections"][0]["questions"][2]["text"]

    def bad_kind(d: dict[str, Any]) -> None:
        d["sections"][0]["questions"][0]["answer"] = {"kind": "yesno"}

    def bad_threshold(d: dict[str, Any]) -> None:
        d["thresholds"] = {"1": 120}

    def no_sections(d: dict[str, Any]) -> None:
        d["sections"] = []

    def bad_fail(d: dict[str, Any]) -> None:
        d["sections"][0]["questions"][0]["answer"] = {
            "kind": "choice",
            "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
            "fail": ["c"],
        }

    def wrong_format(d: dict[str, Any]) -> None:
        d["format"] = "something-else"

    return [
        ("level", level4, 'question "DC-02": level must be 1, 2 or 3 (found 4)'),
        ("duplicate", dup, 'the id "DC-01" is used twice'),
        ("text", no_text, 'question "DC-03" text: is missing'),
        ("kind", bad_kind, 'answer kind must be compliance, number, choice or text (found "yesno")'),
        ("threshold", bad_threshold, "level 1 must be between 0 and 100"),
        ("sections", no_sections, "sections: at least one section is needed"),
        ("fail", bad_fail, 'fail names the unknown option "c"'),
        ("format", wrong_format, 'format: must be "armoury-checklist"'),
    ]


@pytest.mark.parametrize(("name", "mutate", "expected"), _mutations(), ids=[m[0] for m in _mutations()])
def test_import_rejects_malformed_files_naming_the_problem(
    sqlite_db: Database, tmp_path: Path, name: str, mutate: Any, expected: str
) -> None:
    checklists.ensure_builtin_templates(sqlite_db)
    before = _count(sqlite_db)
    data = copy.deepcopy(_valid())
    mutate(data)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        checklists.import_template_file(sqlite_db, SYSTEM_ACTOR, path)
    assert expected in caught.value.message
    assert f"{name}.json" in caught.value.message
    assert "Nothing was changed" in caught.value.hint
    assert _count(sqlite_db) == before


def test_import_rejects_files_that_are_not_json(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "armoury-checklist", ', encoding="utf-8")
    with pytest.raises(ValidationError, match="not valid JSON"):
        checklists.import_template_file(sqlite_db, SYSTEM_ACTOR, path)
    assert _count(sqlite_db) == 0


def test_import_export_round_trip_and_identical_import_changes_nothing(sqlite_db: Database) -> None:
    depot = make_depot(sqlite_db)
    first = checklists.import_template(sqlite_db, depot.inspector, json.dumps(_valid()), "x.json")
    assert first.created and first.template.version == 1
    exported = checklists.export_template(sqlite_db, depot.inspector, first.template.id)
    assert parse_template(json.loads(exported)) == parse_template(_valid())
    again = checklists.import_template(sqlite_db, depot.inspector, exported, "again.json")
    assert not again.created and again.template.id == first.template.id
    changed = _valid()
    changed["sections"][0]["questions"][0]["weight"] = 5
    second = checklists.import_template(sqlite_db, depot.inspector, json.dumps(changed), "y.json")
    assert second.created and second.template.version == 2


def test_only_checklist_managers_import(sqlite_db: Database) -> None:
    depot = make_depot(sqlite_db)
    with pytest.raises(PermissionDenied):
        checklists.import_template(sqlite_db, depot.commander, json.dumps(_valid()))
    assert _count(sqlite_db) == 0


def test_editing_a_used_template_makes_a_new_version_and_past_inspections_keep_theirs(
    sqlite_db: Database,
) -> None:
    depot = make_depot(sqlite_db)
    summary = checklists.import_template(sqlite_db, depot.inspector, json.dumps(_valid())).template
    _s, template = checklists.load_template(sqlite_db, depot.inspector, summary.id)

    # Not used yet: the edit stays in the same version.
    edited = _edit_first_text(template, "Doors were checked.")
    same = checklists.save_template(sqlite_db, depot.inspector, summary.id, edited)
    assert (same.id, same.version) == (summary.id, 1)

    inspection = inspections.start_inspection(sqlite_db, depot.inspector, depot.facility_id, summary.id)
    _s, template = checklists.load_template(sqlite_db, depot.inspector, summary.id)
    newer = checklists.save_template(
        sqlite_db, depot.inspector, summary.id, _edit_first_text(template, "Changed.")
    )
    assert newer.version == 2 and newer.id != summary.id
    detail = inspections.get_inspection(sqlite_db, depot.inspector, inspection.id)
    assert detail.summary.template_version == 1
    assert detail.template.sections[0].questions[0].text.en == "Doors were checked."
    assert checklists.find_template(sqlite_db, depot.inspector, "imported-check").version == 2
    assert checklists.find_template(sqlite_db, depot.inspector, "imported-check:1").id == summary.id


def _edit_first_text(template: Any, text: str) -> Any:
    data = template.to_json()
    data["sections"][0]["questions"][0]["text"]["en"] = text
    return parse_template(data)


def test_edit_that_breaks_the_rules_is_refused(sqlite_db: Database) -> None:
    depot = make_depot(sqlite_db)
    summary = checklists.import_template(sqlite_db, depot.inspector, json.dumps(_valid())).template
    _s, template = checklists.load_template(sqlite_db, depot.inspector, summary.id)
    data = template.to_json()
    data["id"] = "other-code"
    with pytest.raises(ValidationError, match="code cannot be changed"):
        checklists.save_template(sqlite_db, depot.inspector, summary.id, parse_template(data))
