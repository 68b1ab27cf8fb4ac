"""The location tree: facility → storage area → rack, each with its number of weapons."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from armoury.i18n import _
from armoury.services import browse
from armoury.services.browse import LocationNode, NodeKind
from ui.context import AppContext
from ui.icons import icon

NODE_ROLE = Qt.ItemDataRole.UserRole + 1  # "kind:id", e.g. "rack:12"; "all:0" for the whole depot
ICONS = {NodeKind.FACILITY: "facility", NodeKind.AREA: "area", NodeKind.RACK: "rack"}


def node_key(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


def parse_node_key(value: object) -> tuple[str, int] | None:
    if not isinstance(value, str) or ":" not in value:
        return None
    kind, _sep, ident = value.partition(":")
    return kind, int(ident)


class LocationTreeModel(QStandardItemModel):
    def __init__(self, context: AppContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setHorizontalHeaderLabels([_("Location"), _("Weapons")])
        self.nodes: dict[tuple[NodeKind, int], LocationNode] = {}

    def reload(self) -> None:
        self.show_nodes(browse.location_tree(self.context.db, self.context.actor))

    def show_nodes(self, nodes: list[LocationNode]) -> None:
        self.removeRows(0, self.rowCount())
        self.nodes = {}
        items: dict[tuple[NodeKind, int], QStandardItem] = {}
        root = self.invisibleRootItem()
        all_item = QStandardItem(icon("depot"), _("All weapons"))
        all_item.setData("all:0", NODE_ROLE)
        all_item.setEditable(False)
        total = sum(n.weapons for n in nodes if n.kind is NodeKind.FACILITY)
        count = QStandardItem(f"{total:,}".replace(",", "\u202f"))
        count.setEditable(False)
        count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        root.appendRow([all_item, count])
        parents = {NodeKind.AREA: NodeKind.FACILITY, NodeKind.RACK: NodeKind.AREA}
        for node in nodes:
            self.nodes[(node.kind, node.id)] = node
            label = f"{node.code} — {node.name}" if node.name and node.name != node.code else node.code
            item = QStandardItem(icon(ICONS[node.kind]), label)
            item.setData(node_key(node.kind.value, node.id), NODE_ROLE)
            item.setEditable(False)
            item.setToolTip(node.name)
            number = QStandardItem(f"{node.weapons:,}".replace(",", "\u202f"))
            number.setEditable(False)
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items[(node.kind, node.id)] = item
            if node.kind is NodeKind.FACILITY:
                root.appendRow([item, number])
            else:
                parent = items.get((parents[node.kind], node.parent_id or 0))
                if parent is not None:
                    parent.appendRow([item, number])

    def find(self, kind: NodeKind, ident: int) -> QStandardItem | None:
        matches = self.match(
            self.index(0, 0),
            NODE_ROLE,
            node_key(kind.value, ident),
            1,
            Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive,
        )
        return self.itemFromIndex(matches[0]) if matches else None
