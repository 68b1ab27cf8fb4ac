"""The roster: units and the people who can hold a weapon or a key (not the users who sign in).

Service numbers and unit codes are unique. A person who still holds a weapon cannot be deactivated.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Whereabouts
from armoury.errors import ConflictError, NotFoundError
from armoury.i18n import _
from armoury.models import Person, Unit, Weapon
from armoury.security.permissions import Actor, Permission
from armoury.services.fields import FieldConflictError, FieldProblem, clean, raise_first
from armoury.services.guard import authorize


@dataclass(frozen=True)
class UnitData:
    code: str
    name: str
    country: str = ""


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    country: str


@dataclass(frozen=True)
class PersonData:
    service_number: str
    surname: str
    given_names: str = ""
    rank: str = ""
    unit_id: int | None = None
    qualifications: str = ""


@dataclass(frozen=True)
class PersonInfo:
    id: int
    service_number: str
    surname: str
    given_names: str
    rank: str
    unit_id: int | None
    unit_code: str
    qualifications: str
    active: bool

    @property
    def display_name(self) -> str:
        parts = [self.rank, self.surname.upper(), self.given_names]
        return " ".join(p for p in parts if p)


def _unit_info(u: Unit) -> UnitInfo:
    return UnitInfo(u.id, u.code, u.name, u.country)


def _person_info(p: Person) -> PersonInfo:
    return PersonInfo(
        p.id,
        p.service_number,
        p.surname,
        p.given_names,
        p.rank,
        p.unit_id,
        p.unit.code if p.unit is not None else "",
        p.qualifications,
        p.active,
    )


# --- checks -------------------------------------------------------------------------------------------


def check_unit(data: UnitData) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not clean(data.code):
        problems.append(FieldProblem("code", _("The code is required."), _("Type a short code, e.g. 1BI.")))
    elif len(clean(data.code)) > 40:
        problems.append(
            FieldProblem("code", _("The code is too long (at most {n} characters).").format(n=40))
        )
    if not clean(data.name):
        problems.append(FieldProblem("name", _("The name is required."), _("Type the name people use.")))
    return problems


def check_person(data: PersonData) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    number = clean(data.service_number)
    if not number:
        problems.append(
            FieldProblem(
                "service_number",
                _("The service number is required."),
                _("Copy it from the identity card or the unit's nominal roll."),
            )
        )
    elif len(number) > 40:
        problems.append(
            FieldProblem("service_number", _("The code is too long (at most {n} characters).").format(n=40))
        )
    if not clean(data.surname):
        problems.append(FieldProblem("surname", _("The surname is required.")))
    elif len(clean(data.surname)) > 120:
        problems.append(
            FieldProblem("surname", _("This is too long (at most {n} characters).").format(n=120))
        )
    if len(clean(data.rank)) > 60:
        problems.append(FieldProblem("rank", _("This is too long (at most {n} characters).").format(n=60)))
    return problems


def _not_found(what: str, ident: int) -> NotFoundError:
    return NotFoundError(
        _("There is no {what} with number {id}.").format(what=what, id=ident),
        _("It may have been removed by another workstation; refresh the view."),
    )


# --- units --------------------------------------------------------------------------------------------


def create_unit(db: Database, actor: Actor, data: UnitData) -> UnitInfo:
    authorize(db, actor, Permission.MANAGE_PEOPLE)
    raise_first(check_unit(data))

    def work(session: Session) -> UnitInfo:
        if session.scalar(select(Unit.id).where(Unit.code == clean(data.code))) is not None:
            raise FieldConflictError(
                "code",
                _("The code {code} is already used.").format(code=clean(data.code)),
                _("Choose another code; codes must be unique."),
            )
        unit = Unit(code=clean(data.code), name=clean(data.name), country=clean(data.country))
        session.add(unit)
        session.flush()
        return _unit_info(unit)

    return db.run_write(work)


def update_unit(db: Database, actor: Actor, unit_id: int, data: UnitData) -> UnitInfo:
    authorize(db, actor, Permission.MANAGE_PEOPLE)
    raise_first(check_unit(data))

    def work(session: Session) -> UnitInfo:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise _not_found(_("unit"), unit_id)
        clash = session.scalar(select(Unit.id).where(Unit.code == clean(data.code), Unit.id != unit_id))
        if clash is not None:
            raise FieldConflictError(
                "code",
                _("The code {code} is already used.").format(code=clean(data.code)),
                _("Choose another code; codes must be unique."),
            )
        unit.code, unit.name, unit.country = clean(data.code), clean(data.name), clean(data.country)
        session.flush()
        return _unit_info(unit)

    return db.run_write(work)


def list_units(db: Database, actor: Actor) -> list[UnitInfo]:
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        return [_unit_info(u) for u in session.scalars(select(Unit).order_by(Unit.code))]


# --- people -------------------------------------------------------------------------------------------


def _check_unique_number(session: Session, number: str, exclude: int | None) -> None:
    query = select(Person).where(Person.service_number == number)
    if exclude is not None:
        query = query.where(Person.id != exclude)
    existing = session.scalar(query)
    if existing is not None:
        raise FieldConflictError(
            "service_number",
            _("The service number {number} is already on the roster ({name}).").format(
                number=number, name=existing.display_name
            ),
            _("Open the existing person instead of adding them twice."),
        )


def _check_unit_exists(session: Session, unit_id: int | None) -> None:
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise _not_found(_("unit"), unit_id)


def _fill(person: Person, data: PersonData) -> None:
    person.service_number = clean(data.service_number)
    person.surname = clean(data.surname)
    person.given_names = clean(data.given_names)
    person.rank = clean(data.rank)
    person.unit_id = data.unit_id
    person.qualifications = clean(data.qualifications)


def create_person(db: Database, actor: Actor, data: PersonData) -> PersonInfo:
    """Add someone to the roster."""
    authorize(db, actor, Permission.MANAGE_PEOPLE)
    raise_first(check_person(data))

    def work(session: Session) -> PersonInfo:
        _check_unique_number(session, clean(data.service_number), None)
        _check_unit_exists(session, data.unit_id)
        person = Person(active=True)
        _fill(person, data)
        session.add(person)
        session.flush()
        session.refresh(person)
        return _person_info(person)

    return db.run_write(work)


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise _not_found(_("person"), person_id)
    return person


def update_person(db: Database, actor: Actor, person_id: int, data: PersonData) -> PersonInfo:
    """Correct a person's details (promotion, new unit, spelling)."""
    authorize(db, actor, Permission.MANAGE_PEOPLE)
    raise_first(check_person(data))

    def work(session: Session) -> PersonInfo:
        person = _person(session, person_id)
        _check_unique_number(session, clean(data.service_number), person_id)
        _check_unit_exists(session, data.unit_id)
        _fill(person, data)
        session.flush()
        session.refresh(person)
        return _person_info(person)

    return db.run_write(work)


def deactivate_person(db: Database, actor: Actor, person_id: int) -> PersonInfo:
    """Take someone off the active roster (left the unit). Refused while they hold a weapon."""
    authorize(db, actor, Permission.MANAGE_PEOPLE)

    def work(session: Session) -> PersonInfo:
        person = _person(session, person_id)
        held = int(
            session.scalar(
                select(func.count())
                .select_from(Weapon)
                .where(Weapon.holder_id == person_id, Weapon.whereabouts == Whereabouts.ISSUED)
            )
            or 0
        )
        if held:
            raise ConflictError(
                _("{name} still holds {n} weapons.").format(name=person.display_name, n=held),
                _("Take the weapons back first, then deactivate the person."),
            )
        person.active = False
        session.flush()
        return _person_info(person)

    return db.run_write(work)


def get_person(db: Database, actor: Actor, person_id: int) -> PersonInfo:
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        return _person_info(_person(session, person_id))


def find_person(db: Database, actor: Actor, service_number: str) -> PersonInfo | None:
    """The person with this exact service number, if any."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        person = session.scalar(select(Person).where(Person.service_number == clean(service_number)))
        return _person_info(person) if person is not None else None
