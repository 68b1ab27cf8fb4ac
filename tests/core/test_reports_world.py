"""A small depot and a random month of custody operations, written through the real ledger
(``armoury.services.ledger.append_entry``), with an independent Python model of every weapon's state.

The report tests compare the monthly return computed in SQL against figures computed here from the model.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from armoury.db import Database
from armoury.domain.enums import (
    TERMINAL_WHEREABOUTS,
    AreaKind,
    Category,
    Condition,
    FacilityKind,
    Register,
    Role,
    Whereabouts,
)
from armoury.domain.serials import serial_key, serial_skeleton
from armoury.models import Facility, ItemType, Person, Rack, StorageArea, Unit, Weapon
from armoury.models.ledger import LedgerOperation as Op
from armoury.security.permissions import Actor
from armoury.services.ledger import ItemChange, WeaponState, append_entry
from tests.helpers import create_user

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


@dataclass
class World:
    db: Database
    actor: Actor
    facilities: list[int] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)
    racks: dict[int, list[int]] = field(default_factory=dict)
    people: list[int] = field(default_factory=list)
    item_types: list[int] = field(default_factory=list)
    states: dict[int, WeaponState] = field(default_factory=dict)
    weapon_types: dict[int, int] = field(default_factory=dict)
    serials: dict[int, str] = field(default_factory=dict)
    log: list[tuple[Op, int, WeaponState | None, WeaponState]] = field(default_factory=list)
    _next_serial: int = 1

    # ------------------------------------------------------------------ building

    @classmethod
    def create(cls, db: Database, facilities: int = 2, racks: int = 3) -> World:
        actor = create_user(db, "store", Role.ADMINISTRATOR)
        world = cls(db, actor)
        with db.write() as session:
            unit = Unit(code="U1", name="1st Battalion")
            session.add(unit)
            for n in range(facilities):
                facility = Facility(code=f"F{n + 1}", name=f"Dépôt {n + 1}", kind=FacilityKind.UNIT_ARMOURY)
                session.add(facility)
                session.flush()
                area = StorageArea(facility_id=facility.id, code="A", name="Armoury", kind=AreaKind.ROOM)
                session.add(area)
                session.flush()
                world.facilities.append(facility.id)
                world.codes[facility.id] = facility.code
                world.racks[facility.id] = []
                for r in range(racks):
                    rack = Rack(facility_id=facility.id, area_id=area.id, code=f"R-{r + 1:02d}", slots=0)
                    session.add(rack)
                    session.flush()
                    world.racks[facility.id].append(rack.id)
            for n, (category, maker, model) in enumerate(
                [
                    (Category.ASSAULT_RIFLE, "Kalashnikov", "AKM"),
                    (Category.PISTOL, "Glock", "17"),
                    (Category.LIGHT_MACHINE_GUN, "FN", "Minimi"),
                ]
            ):
                item = ItemType(
                    category=category,
                    manufacturer=maker,
                    model=model,
                    manufacturer_key=maker.upper(),
                    model_key=model.upper(),
                    calibre=["7.62x39", "9x19", "5.56x45"][n],
                )
                session.add(item)
                session.flush()
                world.item_types.append(item.id)
            for n in range(3):
                person = Person(service_number=f"SN{n}", surname=f"Traoré{n}", unit_id=None)
                session.add(person)
                session.flush()
                world.people.append(person.id)
        return world

    def _state(self, facility: int, rng: random.Random, register: Register) -> WeaponState:
        return WeaponState(
            facility, Whereabouts.IN_STORE, rng.choice(self.racks[facility]), None, None,
            Condition.SERVICEABLE, register,
        )  # fmt: skip

    def new_weapons(self, rng: random.Random, facility: int, count: int, op: Op, register: Register) -> None:
        """Create weapons and bring them on the books with one entry (take on charge, receive, recovered)."""
        with self.db.write() as session:
            changes = []
            for _n in range(count):
                state = self._state(facility, rng, register)
                serial = f"SN-{self._next_serial:05d}"
                self._next_serial += 1
                type_id = rng.choice(self.item_types)
                weapon = Weapon(
                    item_type_id=type_id,
                    serial=serial,
                    serial_key=serial_key(serial),
                    serial_skeleton=serial_skeleton(serial_key(serial)),
                    register=register,
                    contingent_country="SN" if register is Register.CONTINGENT else "",
                    facility_id=facility,
                    whereabouts=Whereabouts.IN_STORE,
                    rack_id=state.rack_id,
                    condition=Condition.SERVICEABLE,
                )
                session.add(weapon)
                session.flush()
                self.states[weapon.id] = state
                self.weapon_types[weapon.id] = type_id
                self.serials[weapon.id] = serial
                changes.append(ItemChange(weapon.id, None, state))
                self.log.append((op, weapon.id, None, state))
            append_entry(session, self.actor, op, facility, changes, document_ref="RCV-1", apply=False)

    def change(self, op: Op, weapon_id: int, after: WeaponState, ref: str = "") -> None:
        before = self.states[weapon_id]
        with self.db.write() as session:
            facility = before.facility_id if op is not Op.TRANSFER_ACCEPT else after.facility_id
            append_entry(
                session, self.actor, op, facility, [ItemChange(weapon_id, before, after)], document_ref=ref
            )
        self.states[weapon_id] = after
        self.log.append((op, weapon_id, before, after))

    # ------------------------------------------------------------------ random operations

    def random_operation(self, rng: random.Random) -> None:
        kind = rng.choice(
            ["new", "new", "receive", "recovered", "issue", "return", "move", "dispatch", "accept",
             "reject", "repair", "back", "loss", "recover", "destroy", "condition"]
        )  # fmt: skip
        facility = rng.choice(self.facilities)
        if kind in ("new", "receive", "recovered"):
            op = {"new": Op.TAKE_ON_CHARGE, "receive": Op.RECEIVE, "recovered": Op.REGISTER_RECOVERED}[kind]
            register = (
                Register.RECOVERED
                if kind == "recovered"
                else rng.choice([Register.NATIONAL, Register.NATIONAL, Register.CONTINGENT])
            )
            self.new_weapons(rng, facility, rng.randint(1, 3), op, register)
            return
        by_where: dict[Whereabouts, list[int]] = defaultdict(list)
        for wid, state in self.states.items():
            by_where[state.whereabouts].append(wid)
        pick = lambda where: rng.choice(by_where[where]) if by_where[where] else None  # noqa: E731
        if kind == "issue" and (wid := pick(Whereabouts.IN_STORE)):
            s = self.states[wid]
            self.change(Op.ISSUE, wid, replace(s, whereabouts=Whereabouts.ISSUED, rack_id=None,
                                               holder_id=rng.choice(self.people)), "HR-1")  # fmt: skip
        elif kind == "return" and (wid := pick(Whereabouts.ISSUED)):
            s = self.states[wid]
            rack = rng.choice(self.racks[s.facility_id])
            self.change(
                Op.RETURN, wid, replace(s, whereabouts=Whereabouts.IN_STORE, rack_id=rack, holder_id=None)
            )
        elif kind == "move" and (wid := pick(Whereabouts.IN_STORE)):
            s = self.states[wid]
            self.change(Op.MOVE, wid, replace(s, rack_id=rng.choice(self.racks[s.facility_id])))
        elif kind == "dispatch" and (wid := pick(Whereabouts.IN_STORE)):
            s = self.states[wid]
            self.change(
                Op.TRANSFER_DISPATCH,
                wid,
                replace(s, whereabouts=Whereabouts.IN_TRANSIT, rack_id=None),
                "TV-1",
            )
        elif kind == "accept" and (wid := pick(Whereabouts.IN_TRANSIT)):
            s = self.states[wid]
            other = rng.choice([f for f in self.facilities if f != s.facility_id])
            self.change(Op.TRANSFER_ACCEPT, wid, replace(s, facility_id=other, whereabouts=Whereabouts.IN_STORE,
                                                         rack_id=rng.choice(self.racks[other])), "TV-1")  # fmt: skip
        elif kind == "reject" and (wid := pick(Whereabouts.IN_TRANSIT)):
            s = self.states[wid]
            rack = rng.choice(self.racks[s.facility_id])
            self.change(
                Op.TRANSFER_REJECT, wid, replace(s, whereabouts=Whereabouts.IN_STORE, rack_id=rack), "TV-1"
            )
        elif kind == "repair" and (wid := pick(Whereabouts.IN_STORE)):
            s = self.states[wid]
            self.change(Op.REPAIR_SEND, wid, replace(s, whereabouts=Whereabouts.AT_REPAIR, rack_id=None))
        elif kind == "back" and (wid := pick(Whereabouts.AT_REPAIR)):
            s = self.states[wid]
            rack = rng.choice(self.racks[s.facility_id])
            self.change(Op.REPAIR_BACK, wid, replace(s, whereabouts=Whereabouts.IN_STORE, rack_id=rack))
        elif kind == "loss":
            candidates = [w for w, s in self.states.items() if s.whereabouts not in TERMINAL_WHEREABOUTS]
            if candidates:
                wid = rng.choice(candidates)
                s = self.states[wid]
                where = rng.choice([Whereabouts.LOST, Whereabouts.STOLEN])
                self.change(
                    Op.LOSS_REPORT, wid, replace(s, whereabouts=where, rack_id=None, holder_id=None), "INC-1"
                )
        elif kind == "recover":
            candidates = [
                w for w, s in self.states.items() if s.whereabouts in (Whereabouts.LOST, Whereabouts.STOLEN)
            ]
            if candidates:
                wid = rng.choice(candidates)
                s = self.states[wid]
                rack = rng.choice(self.racks[s.facility_id])
                self.change(
                    Op.RECOVER, wid, replace(s, whereabouts=Whereabouts.IN_STORE, rack_id=rack), "INC-1"
                )
        elif kind == "destroy" and (wid := pick(Whereabouts.IN_STORE)):
            s = self.states[wid]
            self.change(Op.DESTROY, wid, replace(s, whereabouts=Whereabouts.DESTROYED, rack_id=None,
                                                 condition=Condition.FOR_DISPOSAL), "DC-1")  # fmt: skip
        elif kind == "condition" and (wid := pick(Whereabouts.IN_STORE)):
            s = self.states[wid]
            self.change(Op.CONDITION_CHANGE, wid, replace(s, condition=rng.choice(list(Condition))))

    # ------------------------------------------------------------------ the independent computation

    def snapshot(self) -> dict[int, WeaponState]:
        return dict(self.states)

    def expected_return(
        self,
        facility: int,
        before: dict[int, WeaponState],
        after: dict[int, WeaponState],
        period_log: list[tuple[Op, int, WeaponState | None, WeaponState]],
    ) -> dict[tuple[str, int], dict[str, int]]:
        """Figures per (register, item type) computed from the model, not from the database."""
        rows: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))

        def on_books(state: WeaponState | None) -> bool:
            return (
                state is not None
                and state.facility_id == facility
                and state.whereabouts not in TERMINAL_WHEREABOUTS
            )

        for wid, state in before.items():
            if on_books(state):
                rows[(state.register.value, self.weapon_types[wid])]["opening"] += 1
        names = {Whereabouts.IN_STORE: "in_store", Whereabouts.ISSUED: "on_issue",
                 Whereabouts.AT_REPAIR: "at_repair", Whereabouts.IN_TRANSIT: "in_transit"}  # fmt: skip
        for wid, state in after.items():
            if on_books(state):
                key = (state.register.value, self.weapon_types[wid])
                rows[key]["closing"] += 1
                rows[key][names[state.whereabouts]] += 1
        for op, wid, old, new in period_log:
            key = (new.register.value, self.weapon_types[wid])
            if op in (Op.TAKE_ON_CHARGE, Op.RECEIVE) and on_books(new):
                rows[key]["receipts"] += 1
            elif op in (Op.RECOVER, Op.REGISTER_RECOVERED) and on_books(new):
                rows[key]["recoveries"] += 1
            elif op is Op.TRANSFER_ACCEPT and old is not None:
                if new.facility_id == facility:
                    rows[key]["transfers_in"] += 1
                elif old.facility_id == facility:
                    rows[key]["transfers_out"] += 1
            elif op is Op.LOSS_REPORT and on_books(old):
                rows[key]["losses"] += 1
            elif op is Op.DESTROY and on_books(old):
                rows[key]["disposals"] += 1
        return {k: v for k, v in rows.items() if any(v.values())}


def run_month(db: Database, seed: int, before_ops: int = 25, month_ops: int = 40, after_ops: int = 10):
    """Operations before, during and after a period; returns the world, the period and the model's views."""
    rng = random.Random(seed)
    world = World.create(db)
    for facility in world.facilities:
        world.new_weapons(rng, facility, 6, Op.TAKE_ON_CHARGE, Register.NATIONAL)
    for _n in range(before_ops):
        world.random_operation(rng)
    start = datetime.now(UTC)
    opening = world.snapshot()
    first = len(world.log)
    for _n in range(month_ops):
        world.random_operation(rng)
    end = datetime.now(UTC)
    closing = world.snapshot()
    period_log = world.log[first:]
    for _n in range(after_ops):
        world.random_operation(rng)
    return world, start, end, opening, closing, period_log


def test_world_model_matches_the_database(sqlite_db: Database) -> None:
    world, *_rest = run_month(sqlite_db, seed=1, before_ops=5, month_ops=5, after_ops=0)
    from sqlalchemy import select

    with sqlite_db.read() as session:
        rows = session.execute(select(Weapon.id, Weapon.facility_id, Weapon.whereabouts)).all()
    assert {r[0]: (r[1], r[2]) for r in rows} == {
        w: (s.facility_id, s.whereabouts) for w, s in world.states.items()
    }
