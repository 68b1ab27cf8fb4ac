"""Every table model passes qtmodeltester; rows are fetched a page at a time."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from armoury.services.browse import NodeKind, WeaponFilter
from ui.context import AppContext
from ui.models.item_types import ItemTypeTableModel
from ui.models.locations import LocationTreeModel
from ui.models.paged import PAGE_SIZE
from ui.models.people import PersonTableModel
from ui.models.weapons import WeaponColumn, WeaponTableModel


def test_weapon_model_passes_modeltester(
    qtmodeltester: Any, depot: tuple[AppContext, dict[str, int]]
) -> None:
    context, ids = depot
    model = WeaponTableModel(context)
    model.reload()
    assert model.rowCount() == 31
    qtmodeltester.check(model)
    assert model.index(0, WeaponColumn.SERIAL).data() == "GL-0001"
    assert model.index(1, WeaponColumn.LOCATION).data() == "DEP-01 · R01"
    model.sort(WeaponColumn.SERIAL, Qt.SortOrder.DescendingOrder)
    assert model.index(0, WeaponColumn.SERIAL).data() == "KX-0030"
    model.set_filter(WeaponFilter(text="GL-00"))
    assert model.rowCount() == 1 and model.id_at(0) == ids["GL-0001"]
    qtmodeltester.check(model)


def test_other_models_pass_modeltester(qtmodeltester: Any, depot: tuple[AppContext, dict[str, int]]) -> None:
    context, ids = depot
    people = PersonTableModel(context)
    people.reload()
    assert people.rowCount() == 2
    qtmodeltester.check(people)
    people.set_search("keita")
    assert people.rowCount() == 1
    types = ItemTypeTableModel(context)
    types.reload()
    assert types.index(0, 0).data() == "Glock"
    qtmodeltester.check(types)
    tree = LocationTreeModel(context)
    tree.reload()
    qtmodeltester.check(tree)
    item = tree.find(NodeKind.RACK, ids["r1"])
    assert item is not None
    assert item.index().siblingAtColumn(1).data() == "20"


def test_rows_are_fetched_by_page_only_when_shown(
    depot: tuple[AppContext, dict[str, int]], monkeypatch: Any
) -> None:
    context, _ids = depot
    model = WeaponTableModel(context)
    monkeypatch.setattr("ui.models.paged.PAGE_SIZE", 10)
    model.reload()
    assert model.fetches == 0
    model.index(25, 0).data()
    assert model.fetches == 1
    model.index(29, 1).data()
    assert model.fetches == 1  # same page
    model.index(0, 0).data()
    assert model.fetches == 2
    assert PAGE_SIZE == 200


def test_ids_come_in_blocks_and_far_rows_are_found(
    depot: tuple[AppContext, dict[str, int]], monkeypatch: Any
) -> None:
    context, ids = depot
    monkeypatch.setattr("ui.models.paged.BLOCK_SIZE", 4)
    monkeypatch.setattr("ui.models.paged.PAGE_SIZE", 2)
    model = WeaponTableModel(context)
    model.reload()
    assert model.rowCount() == 31 and list(model._blocks) == [0]
    assert model.index(30, WeaponColumn.SERIAL).data() == "KX-0030"
    assert sorted(model._blocks) == [0, 7]
    # a weapon in a block not loaded yet: its row comes from the database
    assert model.row_of(ids["KX-0013"]) == 13
    assert model.id_at(13) == ids["KX-0013"]
