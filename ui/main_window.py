"""The main window: location tree, weapons table, detail panel; roster and catalogue views.

Extension points for the other parts of the program (custody, labels, counts, inspections, reports,
administration) — they never need to edit this file:

* ``window.add_action(menu_name, action)`` puts a QAction in a named menu (created on first use, placed
  before Help); the known names are in :data:`MENU_TITLES`. ``add_action(..., toolbar=True)`` also shows it
  on the toolbar.
* ``window.context`` (database and signed-in user), ``window.selected_weapon_ids()``, the signal
  ``weapon_selected(int)`` and ``window.refresh()`` after a change.
* ``window.open_weapon(id)``, ``open_rack(id)``, ``open_person(id)`` (what a scan does).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPoint,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from armoury import __version__
from armoury.errors import ArmouryError
from armoury.i18n import N_, _
from armoury.security.permissions import Permission
from armoury.services import browse
from armoury.services.browse import LocationNode, NodeKind, WeaponFilter
from ui.context import AppContext
from ui.detail_panel import DetailPanel
from ui.editing import PAGE_CATALOGUE, PAGE_PEOPLE, PAGE_WEAPONS, EditingMixin
from ui.errors import show_error
from ui.filter_bar import FilterBar
from ui.icons import icon
from ui.models.locations import NODE_ROLE, LocationTreeModel, parse_node_key
from ui.models.weapons import WeaponColumn, WeaponTableModel
from ui.scanner import ScanFilter
from ui.views import CataloguePage, PeoplePage, table_view
from ui.worker import run_task

if TYPE_CHECKING:
    from ui.scan_target import ScanTarget

log = logging.getLogger(__name__)

MENU_TITLES = {
    "file": N_("&File"),
    "edit": N_("&Edit"),
    "view": N_("&View"),
    "custody": N_("&Custody"),
    "labels": N_("&Labels"),
    "counts": N_("C&ounts"),
    "inspections": N_("&Inspections"),
    "reports": N_("&Reports"),
    "admin": N_("&Administration"),
    "help": N_("&Help"),
}
FIRST_PAINT_MS = 1000  # the rest of the start-up work waits for the first painted rows, at most this long
COLUMN_WIDTHS = {
    WeaponColumn.SERIAL: 105,
    WeaponColumn.ITEM_TYPE: 150,
    WeaponColumn.CATEGORY: 115,
    WeaponColumn.CALIBRE: 85,
    WeaponColumn.REGISTER: 130,
    WeaponColumn.LOCATION: 135,
    WeaponColumn.HOLDER: 130,
    WeaponColumn.WHEREABOUTS: 80,
    WeaponColumn.CONDITION: 95,
}


class MainWindow(EditingMixin, QMainWindow):
    weapon_selected = Signal(int)

    def __init__(self, context: AppContext, settings: QSettings | None = None) -> None:
        super().__init__()
        self.context = context
        self.settings = settings or QSettings()
        self.setObjectName("mainWindow")
        self.setWindowTitle(_("Armoury — {where}").format(where=context.db.describe()))
        self.setWindowIcon(icon("armoury"))
        self.menus: dict[str, QMenu] = {}
        self.actions_by_name: dict[str, QAction] = {}
        self.last_message: QMessageBox | None = None
        self._rest_loaded = False
        self._build_central()
        self._build_actions()
        self._build_status_bar()
        self.scanner = ScanFilter(self)
        self.scanner.scanned.connect(self.handle_scan)
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.resize(max(1000, area.width()), max(700, area.height()))
        self.splitter.setSizes([340, max(600, self.width() - 340 - 360), 360])

    # --- building -------------------------------------------------------------------------------------

    def _build_central(self) -> None:
        self.tree_model = LocationTreeModel(self.context, self)
        self.tree = QTreeView()
        self.tree.setObjectName("locationTree")
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._tree_menu)
        self.tree.setMinimumWidth(180)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.selectionModel().currentChanged.connect(self._tree_changed)

        self.filters = FilterBar()
        self.filters.changed.connect(self.apply_filter)
        self.weapon_model = WeaponTableModel(self.context, self)
        self.weapon_model.counted.connect(self._update_count)
        self.table = table_view("weaponTable")
        self.table.setModel(self.weapon_model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setSortIndicator(WeaponColumn.SERIAL, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(self._table_selection)
        for column, width in (
            (WeaponColumn.SERIAL, 130),
            (WeaponColumn.ITEM_TYPE, 170),
            (WeaponColumn.LOCATION, 160),
        ):
            self.table.setColumnWidth(column, width)
        weapons_page = QWidget()
        column = QVBoxLayout(weapons_page)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.filters)
        column.addWidget(self.table)

        self.people_page = PeoplePage(self.context)
        self.people_page.activated.connect(lambda _id: self.edit_selected())
        self.catalogue_page = CataloguePage(self.context)
        self.catalogue_page.activated.connect(lambda _id: self.edit_selected())
        self.pages = QStackedWidget()
        self.pages.addWidget(weapons_page)
        self.pages.addWidget(self.people_page)
        self.pages.addWidget(self.catalogue_page)
        self.pages.currentChanged.connect(self._page_changed)

        self.detail = DetailPanel(self.context)
        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.pages)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.setCentralWidget(self.splitter)

    def _action(
        self,
        name: str,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon_name: str = "",
        permission: Permission | None = None,
    ) -> QAction:
        action = QAction(icon(icon_name) if icon_name else icon("blank"), text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        if permission is not None and not self.context.can(permission):
            action.setEnabled(False)
            action.setToolTip(_("Your role does not allow this."))
        self.actions_by_name[name] = action
        return action

    def _build_actions(self) -> None:
        P = Permission
        a = self._action
        new_weapon = a(
            "newWeapon", _("New &weapon…"), self.new_weapon, "Ctrl+N", "weapon-add", P.MANAGE_WEAPONS
        )
        edit = a("editSelected", _("&Edit selected…"), self.edit_selected, "F2", "edit")
        # F5 is the counter's Issue screen (ui/counter_actions.py); refreshing is rarer.
        refresh = a("refresh", _("&Refresh"), self.refresh, "Ctrl+R", "refresh")
        find = a("find", _("&Find"), self.focus_search, QKeySequence.StandardKey.Find, "search")
        scan = a("scanField", _("&Scan or type a code…"), self.show_scan_field, "Ctrl+L", "scan")
        quit_ = a("quit", _("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        self.add_action("file", new_weapon)
        self.add_action(
            "file",
            a("newFacility", _("New &facility…"), self.new_facility, None, "facility", P.MANAGE_LOCATIONS),
        )
        self.add_action(
            "file", a("newArea", _("New storage &area…"), self.new_area, None, "area", P.MANAGE_LOCATIONS)
        )
        self.add_action(
            "file", a("newRack", _("New &rack…"), self.new_rack, None, "rack", P.MANAGE_LOCATIONS)
        )
        self.add_action(
            "file",
            a("newItemType", _("New &item type…"), self.new_item_type, None, "catalogue", P.MANAGE_CATALOGUE),
        )
        self.add_action(
            "file",
            a("newPerson", _("New &person…"), self.new_person, "Ctrl+Shift+P", "person", P.MANAGE_PEOPLE),
        )
        self.menus["file"].addSeparator()
        self.add_action("file", quit_)
        self.add_action("edit", edit)
        self.add_action(
            "edit", a("deactivate", _("&Deactivate selected location or person"), self.deactivate_selected)
        )
        self.add_action("edit", find)
        self.add_action("edit", scan)
        self.add_action(
            "edit", a("clearFilters", _("&Clear search and filters"), self.filters.clear, "Ctrl+Shift+L")
        )
        self.add_action(
            "view", a("viewWeapons", _("&Weapons"), lambda: self.show_page(PAGE_WEAPONS), "Ctrl+1", "weapon")
        )
        self.add_action(
            "view", a("viewPeople", _("&People"), lambda: self.show_page(PAGE_PEOPLE), "Ctrl+2", "person")
        )
        self.add_action(
            "view",
            a(
                "viewCatalogue",
                _("Item &types"),
                lambda: self.show_page(PAGE_CATALOGUE),
                "Ctrl+3",
                "catalogue",
            ),
        )
        self.add_action("view", refresh)
        self.add_action("help", a("about", _("&About Armoury"), self.show_about, None, "armoury"))

        self.toolbar = QToolBar(_("Main toolbar"))
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(self.toolbar)
        for action in (new_weapon, edit, refresh):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for name in ("viewWeapons", "viewPeople", "viewCatalogue"):
            self.toolbar.addAction(self.actions_by_name[name])
        self.scan_bar = QToolBar(_("Scan"))
        self.scan_bar.setObjectName("scanToolbar")
        self.addToolBarBreak()
        self.addToolBar(self.scan_bar)
        self.scan_bar.addWidget(QLabel(_("Scan or type a code:") + " "))
        self.scan_field = QLineEdit()
        self.scan_field.setObjectName("scanField")
        self.scan_field.setPlaceholderText(
            _("Scan or type a label, serial, rack or service number, then Enter")
        )
        self.scan_field.returnPressed.connect(self._scan_field_entered)
        self.scan_bar.addWidget(self.scan_field)
        self.scan_bar.hide()

    def add_action(self, menu_name: str, action: QAction, toolbar: bool = False) -> QAction:
        """Extension point: add ``action`` to the menu ``menu_name`` (see MENU_TITLES), creating it."""
        menu = self.menus.get(menu_name)
        if menu is None:
            title = _(MENU_TITLES[menu_name]) if menu_name in MENU_TITLES else menu_name
            menu = QMenu(title, self)
            menu.setObjectName(f"menu_{menu_name}")
            help_menu = self.menus.get("help")
            bar = self.menuBar()
            if help_menu is not None and menu_name != "help":
                bar.insertMenu(help_menu.menuAction(), menu)
            else:
                bar.addMenu(menu)
            self.menus[menu_name] = menu
        menu.addAction(action)
        if action.parent() is None:
            action.setParent(self)
        self.addAction(action)  # shortcuts work even while the menu bar is hidden
        if toolbar and hasattr(self, "toolbar"):
            self.toolbar.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_db = QLabel(_("Database: {where}").format(where=self.context.db.describe()))
        self.status_user = QLabel(
            _("User: {user} ({role})").format(
                user=self.context.actor.username, role=self.context.actor.role.label
            )
        )
        self.status_count = QLabel("")
        self.status_count.setObjectName("statusCount")
        bar.addWidget(self.status_count, 1)
        bar.addPermanentWidget(self.status_user)
        bar.addPermanentWidget(self.status_db)

    # --- loading --------------------------------------------------------------------------------------

    def load(self) -> None:
        """Show the first rows now; the tree's counts and the last selection come right after."""
        self.weapon_model.reload()
        self._update_count()
        self._rest_loaded = False
        # The rest waits for the first painted rows (see eventFilter), or at most FIRST_PAINT_MS.
        self.table.viewport().installEventFilter(self)
        QTimer.singleShot(FIRST_PAINT_MS, self.load_rest)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self.table.viewport() and not self._rest_loaded:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.load_rest)
        return super().eventFilter(watched, event)

    def load_rest(self) -> None:
        """The tree's weapon counts (one grouped query over every weapon) come from a worker thread;
        the remembered selection (whose detail panel loads the full record) comes after the first rows,
        and so does the table's cached-text delegate: its module builds some forty of PySide's Python
        enums on import (20 ms), while the first rows are painted as well by Qt's own delegate."""
        if self._rest_loaded:
            return
        self._rest_loaded = True
        from ui.fast_delegate import CachedTextDelegate

        self.table.setItemDelegate(CachedTextDelegate(self.weapon_model, self.table))
        self.reload_tree()
        self._restore_selection()

    def reload_tree(self) -> None:
        ctx = self.context
        run_task(
            self,
            _("Counting weapons…"),
            lambda _progress: browse.location_tree(ctx.db, ctx.actor),
            on_done=self._show_tree,
            quiet=True,
        )

    def _show_tree(self, nodes: list[LocationNode]) -> None:
        current = self._tree_node()
        self.tree_model.show_nodes(nodes)
        self.tree.expandToDepth(0)
        if current is not None and current[0] != "all":
            item = self.tree_model.find(NodeKind(current[0]), current[1])
            if item is not None:
                self.tree.selectionModel().blockSignals(True)
                self.tree.setCurrentIndex(item.index())
                self.tree.selectionModel().blockSignals(False)

    def refresh(self) -> None:
        current = self.selected_weapon_id()
        self.weapon_model.reload()
        self.reload_tree()
        if self.pages.currentIndex() == PAGE_PEOPLE:
            self.people_page.model.reload()
        elif self.pages.currentIndex() == PAGE_CATALOGUE:
            self.catalogue_page.model.reload()
        if current is not None:
            self.select_weapon(current)
        self._update_count()

    def _update_count(self) -> None:
        if self.weapon_model.uncounted:  # the first rows are shown; their number comes just after
            self.status_count.setText(_("Counting the weapons shown…"))
            return
        shown = self.weapon_model.rowCount()
        self.status_count.setText(
            _("{shown} weapons shown").format(shown=f"{shown:,}".replace(",", "\u202f"))
        )

    # --- filtering ------------------------------------------------------------------------------------

    def current_node(self) -> tuple[str, int] | None:
        """The selected node of the location tree: ("facility" | "area" | "rack" | "all", id)."""
        node = parse_node_key(self.tree.currentIndex().siblingAtColumn(0).data(NODE_ROLE))
        return node

    def current_filter(self) -> WeaponFilter:
        values = self.filters.values()
        node = self.current_node()
        where: dict[str, int] = {}
        if node is not None and node[0] != "all":
            where = {
                "facility": {"facility_id": node[1]},
                "area": {"area_id": node[1]},
                "rack": {"rack_id": node[1]},
            }[node[0]]
        return WeaponFilter(**values, **where)

    def apply_filter(self) -> None:
        self.filters.timer.stop()
        self.weapon_model.set_filter(self.current_filter())
        # Lay the rows out now: after a model reset the view does it on a timer, just after its first paint,
        # and then paints every row a second time.
        self.table.doItemsLayout()
        self._update_count()
        if self.weapon_model.rowCount():
            self.table.scrollToTop()

    def _tree_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.show_page(PAGE_WEAPONS)
        self.apply_filter()

    def focus_search(self) -> None:
        if self.pages.currentIndex() == PAGE_PEOPLE:
            self.people_page.search.setFocus()
            self.people_page.search.selectAll()
            return
        self.show_page(PAGE_WEAPONS)
        self.filters.search.setFocus()
        self.filters.search.selectAll()

    def show_page(self, page: int) -> None:
        self.pages.setCurrentIndex(page)

    def _page_changed(self, page: int) -> None:
        if page == PAGE_PEOPLE and not self.people_page.model.rowCount():
            self.people_page.model.reload()
        if page == PAGE_CATALOGUE:
            self.catalogue_page.model.reload()

    # --- selection ------------------------------------------------------------------------------------

    def _table_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        weapon_id = self.selected_weapon_id()
        self.detail.show_weapon_id(weapon_id)
        if weapon_id is not None:
            self.settings.setValue("main/last_weapon", weapon_id)
            self.weapon_selected.emit(weapon_id)

    def selected_weapon_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.weapon_model.id_at(index.row())

    def selected_weapon_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [i for i in (self.weapon_model.id_at(r) for r in rows) if i is not None]

    def select_weapon(self, weapon_id: int) -> bool:
        row = self.weapon_model.row_of(weapon_id)
        if row is None:
            return False
        index = self.weapon_model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.selectRow(row)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def _restore_selection(self) -> None:
        """Select the weapon selected last time, or the first one, so the detail panel is never empty."""
        value = self.settings.value("main/last_weapon")
        with contextlib.suppress(ValueError, TypeError):
            if value is not None and self.select_weapon(int(str(value))):
                return
        if self.weapon_model.rowCount():
            self.table.selectRow(0)

    # --- opening what a scan names --------------------------------------------------------------------

    def open_weapon(self, weapon_id: int) -> None:
        self.show_page(PAGE_WEAPONS)
        if not self.select_weapon(weapon_id):
            self.tree.setCurrentIndex(self.tree_model.index(0, 0))
            self.filters.clear()
            self.apply_filter()
            self.select_weapon(weapon_id)
        self.table.setFocus()

    def open_rack(self, rack_id: int) -> None:
        item = self.tree_model.find(NodeKind.RACK, rack_id)
        if item is None:
            self.tree_model.reload()
            item = self.tree_model.find(NodeKind.RACK, rack_id)
        if item is not None:
            self.tree.setCurrentIndex(item.index())
            self.tree.scrollTo(item.index())

    def open_person(self, person_id: int) -> None:
        self.show_page(PAGE_PEOPLE)
        self.people_page.select_id(person_id)

    def handle_scan(self, text: str) -> ScanTarget | None:
        """Open the record a scanned code names, or say clearly that it names nothing here."""
        from ui.scan_target import resolve_scan

        if self.filters.timer.isActive():  # a search typed before the scan: apply it now, not after
            self.apply_filter()
        try:
            target = resolve_scan(self.context, text)
        except ArmouryError as error:
            self.last_message = show_error(self, error)
            return None
        {"weapon": self.open_weapon, "rack": self.open_rack, "person": self.open_person}[target.kind](
            target.id
        )
        self.statusBar().showMessage(_("Scanned: {code}").format(code=text.strip()), 5000)
        return target

    def show_scan_field(self) -> None:
        self.scan_bar.show()
        self.scan_field.setFocus()
        self.scan_field.selectAll()

    def _scan_field_entered(self) -> None:
        text = self.scan_field.text().strip()
        if text:
            self.handle_scan(text)
        self.scan_field.clear()

    # --- context menus --------------------------------------------------------------------------------

    def _table_menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        for name in ("editSelected", "newWeapon", "refresh"):
            menu.addAction(self.actions_by_name[name])
        extra = self.menus.get("custody")
        if extra is not None and extra.actions():
            menu.addSeparator()
            menu.addActions(extra.actions())
        menu.popup(self.table.viewport().mapToGlobal(point))

    def _tree_menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        edit = menu.addAction(icon("edit"), _("&Edit…"))
        edit.triggered.connect(self.edit_location)
        for name in ("newFacility", "newArea", "newRack", "newWeapon", "deactivate"):
            menu.addAction(self.actions_by_name[name])
        menu.popup(self.tree.viewport().mapToGlobal(point))

    # --- about, settings ------------------------------------------------------------------------------

    def about_text(self) -> str:
        db = self.context.db
        return _("Armoury {version}\nDatabase: {where} ({dialect})\nSigned in as {user}").format(
            version=__version__, where=db.describe(), dialect=db.dialect, user=self.context.actor.username
        )

    def show_about(self) -> QMessageBox:
        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setWindowTitle(_("About Armoury"))
        box.setIconPixmap(icon("armoury").pixmap(64, 64))
        box.setText(_("<b>Armoury</b> keeps the books of weapons and ammunition stockpiles."))
        box.setInformativeText(self.about_text())
        box.open()
        self.last_message = box
        return box

    def restore_state(self) -> None:
        geometry = self.settings.value("main/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.restore_docks()
        splitter = self.settings.value("main/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        header = self.settings.value("main/weapon_header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)

    def restore_docks(self) -> None:
        """Put the docks and toolbars back where they were (again once the capabilities add their docks)."""
        state = self.settings.value("main/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def save_state(self) -> None:
        self.settings.setValue("main/geometry", self.saveGeometry())
        self.settings.setValue("main/state", self.saveState())
        self.settings.setValue("main/splitter", self.splitter.saveState())
        self.settings.setValue("main/weapon_header", self.table.horizontalHeader().saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        from ui.worker import Task

        Task.wait_all()
        self.save_state()
        super().closeEvent(event)
