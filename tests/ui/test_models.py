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
    assert PAGE_SIZE == 100  # the patch stayed inside this test


def test_ids_come_in_blocks_and_far_rows_are_found(
    depot: tuple[AppContext, dict[str, int]], monkeypatch: Any
) -> None:
    context, ids = depot
    monkeypatch.setattr("ui.models.paged.BLOCK_SIZE", 4)
    monkeypatch.setattr("ui.models.paged.PAGE_SIZE", 2)
    model = WeaponTableModel(context)
    model.reload()
    model.finish_count()  # what the event loop does right after the first rows
    assert model.rowCount() == 31 and list(model._blocks) == [0]
    assert model.index(30, WeaponColumn.SERIAL).data() == "KX-0030"
    assert sorted(model._blocks) == [0, 7]
    # a weapon in a block not loaded yet: its row comes from the database
    assert model.row_of(ids["KX-0013"]) == 13
    assert model.id_at(13) == ids["KX-0013"]


def test_a_search_shows_its_first_ids_then_counts_and_fetches_the_rest(
    qtbot: Any, qtmodeltester: Any, depot: tuple[AppContext, dict[str, int]], monkeypatch: Any
) -> None:
    """A search shows the first FIRST_IDS ids at once; the count (and the rows past them) come on the
    event loop's next turn, announced by ``counted``; the rest of the first block comes when needed."""
    context, ids = depot
    monkeypatch.setattr("ui.models.paged.BLOCK_SIZE", 10)
    monkeypatch.setattr("ui.models.paged.FIRST_IDS", 3)
    monkeypatch.setattr("ui.models.paged.PAGE_SIZE", 3)  # a page inside the short block, as in use
    model = WeaponTableModel(context)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    with qtbot.waitSignal(model.counted, timeout=2000):
        model.reload()
        assert model.uncounted and model.rowCount() == 3  # not counted yet: only what is known
        assert model.index(2, WeaponColumn.SERIAL).data() == "KX-0002"
    assert not model.uncounted and model.rowCount() == 31 and inserted == [(3, 30)]
    assert len(model._blocks[0]) == 3
    asked: list[tuple[int, int]] = []
    load_ids = model.load_ids
    monkeypatch.setattr(
        model, "load_ids", lambda offset, limit: asked.append((offset, limit)) or load_ids(offset, limit)
    )
    assert model.index(7, WeaponColumn.SERIAL).data() == "KX-0007"  # past the short block: all of block 0
    assert asked == [(3, 7)]  # only the ids not read yet
    assert len(model._blocks[0]) == 10 and model.id_at(9) == ids["KX-0009"]
    # Finding a weapon counts at once (a scan opens a weapon right after a search).
    model.reload()
    assert model.uncounted and model.row_of(ids["KX-0030"]) == 30 and not model.uncounted
    # Few hits: counted with the first ids, no second query.
    model.set_filter(WeaponFilter(text="GL-00"))
    assert not model.uncounted and model.rowCount() == 1
    with qtbot.waitSignal(model.counted, timeout=2000):
        model.set_filter(WeaponFilter())
    qtmodeltester.check(model)
    assert model.rowCount() == 31 and model.index(30, WeaponColumn.SERIAL).data() == "KX-0030"
