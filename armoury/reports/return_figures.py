"""The figures of the monthly stock return: balances, movements and their check, per register and item type.

For a facility and a period (the ledger entries ``first_seq .. last_seq`` recorded in [start, end), UTC):

* **opening** and **closing** balances: weapons on the facility's books at the period's first and last
  entry, and of the closing balance how many are in store / on issue / at repair / in transit (a weapon is
  on the books of F when its facility is F and its whereabouts is in store, on issue, at repair or in
  transit);
* the **movements** of the period, counted from its ledger items: receipts (taking on charge, receipts),
  transfers in (accepted here from another facility), recoveries (lost weapon found, seized / collected
  weapon registered), transfers out (accepted elsewhere), losses and thefts, disposals (destructions);
* a **check** = opening + receipts + transfers in + recoveries − transfers out − losses − disposals. It must
  equal the closing balance, which is computed separately; a line where it does not is printed in red and
  counted on the first page — never hidden.

How, in SQL, without loading rows into Python:

1. The books *now*: a grouped count of the weapons table (kept equal to the ledger's replay, which
   ``armoury verify`` proves), read from a covering index.
2. The **closing** balance is the books now with every item after the period undone (none for the current
   month): one grouped pass over those items by register, item type and the ``from_*``/``to_*`` states.
3. The **opening** balance is the closing one with the period's items undone. An item that leaves its
   weapon on the books of the same facility (an issue, a return, a move, a repair: 99 % of a depot's
   month) changes only the breakdown by whereabouts, which the opening balance does not show. So only the
   items that take a weapon on or off the facility's books, or whose operation is a movement, are read:
   the partial index ``ix_ledger_items_books_changes`` (migration 0009) holds just those, and the same
   grouped pass by operation gives the movements.

The balances come from the states an item leaves and enters, the movements from what the operation is. The
check compares the two, so an item that changes the books without being a receipt, transfer, recovery,
loss or disposal (an unknown operation, a correction that changes a balance, a "move" to another facility)
shows as a difference, in red; the index's condition is wide enough to hold every such item.

The item type of a line is the weapon's item type *now*: a corrected item type moves the weapon's whole
history to the corrected line, so every line still adds up with the books now (the ledger items do not
record the item type).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from armoury.domain.enums import Category, Register, Whereabouts
from armoury.i18n import _
from armoury.models.ledger import (
    BOOKS_CHANGE_WHERE,
    BOOKS_MOVEMENT_OPERATIONS,
    ON_BOOKS_WHEREABOUTS,
    sql_list,
)

#: The figures of a row, in the order they are printed, with the names the JSON uses.
FIGURES = (
    "opening",
    "receipts",
    "transfers_in",
    "recoveries",
    "transfers_out",
    "losses",
    "disposals",
    "closing",
    "in_store",
    "on_issue",
    "at_repair",
    "in_transit",
)
INFLOWS = ("receipts", "transfers_in", "recoveries")
OUTFLOWS = ("transfers_out", "losses", "disposals")

_ON_BOOKS = ON_BOOKS_WHEREABOUTS
_ON_BOOKS_SQL = sql_list(ON_BOOKS_WHEREABOUTS)
_BREAKDOWN = {
    Whereabouts.IN_STORE.value: "in_store",
    Whereabouts.ISSUED.value: "on_issue",
    Whereabouts.AT_REPAIR.value: "at_repair",
    Whereabouts.IN_TRANSIT.value: "in_transit",
}


@dataclass(frozen=True)
class ReturnLine:
    """One line of the return: a register, a category and an item type, with its twelve figures."""

    register: Register
    category: Category
    item_type_id: int | None
    item_type: str
    figures: Mapping[str, int]

    @property
    def expected_closing(self) -> int:
        f = self.figures
        return f["opening"] + sum(f[k] for k in INFLOWS) - sum(f[k] for k in OUTFLOWS)

    @property
    def difference(self) -> int:
        """Closing as computed from the balances minus closing as computed from the movements."""
        return self.figures["closing"] - self.expected_closing

    def __getitem__(self, name: str) -> int:
        return self.figures[name]


def period_seqs(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """The last ledger entry before the period and the last one in it (equal when the period has none)."""
    open_seq = _last_seq_before(session, naive_utc(start))
    return open_seq, max(open_seq, _last_seq_before(session, naive_utc(end)))


def compute_lines(session: Session, fid: int, open_seq: int, close_seq: int) -> tuple[ReturnLine, ...]:
    """The lines of the return of facility ``fid`` for the entries ``open_seq < seq <= close_seq``, sorted by
    register, category and item type; lines whose figures are all zero are left out."""
    # The closing balance per register, item type and whereabouts: the books now with every item after the
    # period undone (none when the period is the current month).
    closing: dict[tuple[str, int, str], int] = defaultdict(int)
    for register, type_id, where, count in session.execute(
        text(
            f"SELECT register, item_type_id, whereabouts, count(*) FROM weapons "
            f"WHERE facility_id = :f AND whereabouts IN ({_ON_BOOKS_SQL}) "
            f"GROUP BY register, item_type_id, whereabouts"
        ),
        {"f": fid},
    ):
        closing[(register, type_id, where)] += int(count)
    for item in _grouped_items(session, fid, close_seq, None, changes_only=False):
        if item.after is not None:
            closing[(item.register, item.type_id, item.after)] -= item.count
        if item.before is not None:
            closing[(item.register, item.type_id, item.before)] += item.count

    figures_by_key: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for (register, type_id, where), count in closing.items():
        if count:
            figures = figures_by_key[(register, type_id)]
            figures["closing"] += count
            figures[_BREAKDOWN[where]] += count
            figures["opening"] += count
    # The opening balance is the closing one with the period's items undone. An item that leaves the
    # weapon on (or off) the books of the facility, such as an issue or a move, changes only the breakdown,
    # which the opening balance does not show: only the items that change whether a weapon is on the books,
    # and the movements, are read (a few thousand of a depot's 800,000 items a month).
    for item in _grouped_items(session, fid, open_seq, close_seq, changes_only=True):
        figures = figures_by_key[(item.register, item.type_id)]
        figures["opening"] += (item.was_on - item.is_on) * item.count
        column = _movement_column(item.operation, item.was_on, item.is_on, item.from_here, item.to_here)
        if column is not None:
            figures[column] += item.count

    types = _item_types(session, {k[1] for k in figures_by_key})
    lines = []
    for (register_value, type_id), figures in figures_by_key.items():
        if not any(figures.values()):
            continue
        category, label = types.get(type_id, (Category.OTHER, _("Unknown item type")))
        lines.append(ReturnLine(Register(register_value), category, type_id, label, dict(figures)))
    register_order = {r: n for n, r in enumerate(Register)}
    lines.sort(key=lambda ln: (register_order[ln.register], ln.category.label, ln.item_type))

    return tuple(lines)


_MOVEMENT_OPERATIONS_SQL = sql_list(BOOKS_MOVEMENT_OPERATIONS)  # see _movement_column


@dataclass(frozen=True)
class _ItemGroup:
    """Items of the same register, item type and operation that move weapons alike for the facility."""

    register: str
    type_id: int
    operation: str
    from_here: bool
    from_where: str | None
    to_here: bool
    to_where: str
    count: int

    @property
    def before(self) -> str | None:
        """Where the weapons were on the facility's books before the item; None when off its books."""
        return self.from_where if self.from_here and self.from_where in _ON_BOOKS else None

    @property
    def after(self) -> str | None:
        """Where the weapons are on the facility's books after the item; None when off its books."""
        return self.to_where if self.to_here and self.to_where in _ON_BOOKS else None

    @property
    def was_on(self) -> bool:
        return self.before is not None

    @property
    def is_on(self) -> bool:
        return self.after is not None


def _grouped_items(
    session: Session, fid: int, after: int, upto: int | None, *, changes_only: bool
) -> list[_ItemGroup]:
    """The items of entries ``after < seq <= upto`` (no upper bound when None) that touch the facility, counted
    per register, item type, operation and the states they leave and enter (see :func:`grouped_items_sql`)."""
    rows = session.execute(
        text(grouped_items_sql(upto is not None, changes_only=changes_only)),
        {"f": fid, "a": after, "b": upto},
    )
    return [
        _ItemGroup(
            register, type_id, operation, bool(from_here), from_where, bool(to_here), to_where, int(count)
        )
        for register, type_id, operation, from_here, from_where, to_here, to_where, count in rows
    ]


def grouped_items_sql(bounded: bool, *, changes_only: bool) -> str:
    """The grouped query of :func:`_grouped_items` (parameters ``:f``, ``:a`` and, when bounded, ``:b``).

    With ``changes_only``, only the items that can count in a movement column (by their operation) or
    change whether a weapon is on the facility's books, read through the partial index of those items
    (``BOOKS_CHANGE_WHERE``, repeated here so that the planner may use it): the many issues, returns and moves
    of a month are not read at all. The weapon is looked up for its item type only for the items kept.
    """
    bounds = "i.entry_seq > :a" + (" AND i.entry_seq <= :b" if bounded else "")
    changes = ""
    if changes_only:
        was_on = (
            f"CASE WHEN i.from_facility_id = :f AND i.from_whereabouts IN ({_ON_BOOKS_SQL}) THEN 1 ELSE 0 END"
        )
        is_on = f"CASE WHEN i.to_facility_id = :f AND i.to_whereabouts IN ({_ON_BOOKS_SQL}) THEN 1 ELSE 0 END"
        changes = (
            f" AND ({BOOKS_CHANGE_WHERE.format(p='i.')})"
            f" AND (i.operation IN ({_MOVEMENT_OPERATIONS_SQL}) OR {was_on} <> {is_on})"
        )
    # The unary + keeps SQLite (without ANALYZE statistics) from reading the facility indexes instead of the
    # range of entries: every item of a facility's whole history would be read.
    return (
        "SELECT i.register, w.item_type_id, i.operation, "
        "CASE WHEN i.from_facility_id = :f THEN 1 ELSE 0 END, i.from_whereabouts, "
        "CASE WHEN i.to_facility_id = :f THEN 1 ELSE 0 END, i.to_whereabouts, count(*) "
        "FROM ledger_items i CROSS JOIN weapons w "
        f"WHERE {bounds} AND (+i.from_facility_id = :f OR +i.to_facility_id = :f){changes} "
        "AND w.id = i.weapon_id "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7"
    )


def _movement_column(operation: str, was_on: bool, is_on: bool, from_here: bool, to_here: bool) -> str | None:
    """Which movement column an item of the period counts in, from the facility's point of view."""
    if operation in ("take_on_charge", "receive") and is_on:
        return "receipts"
    if operation in ("recover", "register_recovered") and is_on:
        return "recoveries"
    if operation == "transfer_accept":
        if is_on and not from_here:
            return "transfers_in"
        if was_on and not to_here:
            return "transfers_out"
    if operation == "loss_report" and was_on:
        return "losses"
    if operation == "destroy" and was_on:
        return "disposals"
    return None


def naive_utc(moment: datetime) -> datetime:
    """UTC as stored in the columns (naive)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _last_seq_before(session: Session, moment: datetime) -> int:
    value = session.execute(
        text("SELECT max(seq) FROM ledger_entries WHERE recorded_at < :t"), {"t": moment}
    ).scalar()
    return int(value or 0)


def _item_types(session: Session, ids: set[int]) -> dict[int, tuple[Category, str]]:
    if not ids:
        return {}
    rows = session.execute(
        text(
            "SELECT id, category, manufacturer, model, calibre FROM item_types WHERE id IN ("
            + ", ".join(str(int(i)) for i in ids)
            + ")"
        )
    )
    found = {}
    for type_id, category, manufacturer, model, calibre in rows:
        label = f"{manufacturer} {model}" + (f" ({calibre})" if calibre else "")
        found[type_id] = (Category(category), label)
    return found
