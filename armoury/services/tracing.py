"""Tracing requests for recovered and seized weapons (International Tracing Instrument).

A depot that recovers an illicit weapon asks the manufacturing or importing State, INTERPOL iARMS or a UN
panel to trace it, then records the answer. Only weapons of the recovered and evidence registers are traced.
A request is written once; its answer is written once (a second answer is refused, never overwritten).
Each write is one unit of work with its entry in the security audit trail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.domain.enums import Register
from armoury.errors import ConflictError, NotFoundError, ValidationError
from armoury.i18n import _
from armoury.models import ItemType, TracingRequest, User, Weapon
from armoury.security.permissions import Actor, Permission
from armoury.services import audit
from armoury.services.fields import FieldProblem, clean, raise_first
from armoury.services.guard import authorize

TRACED_REGISTERS = (Register.RECOVERED, Register.EVIDENCE)
SENT_TO_MAX = 200
REFERENCE_MAX = 80


@dataclass(frozen=True)
class TracingRequestData:
    """What is recorded when a request is sent. ``sent_on`` is ``None`` when the form has no date yet."""

    sent_on: date | None
    sent_to: str
    reference: str = ""
    details: str = ""


@dataclass(frozen=True)
class TracingRequestInfo:
    id: int
    weapon_id: int
    serial: str
    item_type: str
    facility_id: int
    sent_on: date
    sent_to: str
    reference: str
    details: str
    answered_on: date | None
    answer: str
    created_at: datetime
    created_by: str

    @property
    def is_open(self) -> bool:
        return self.answered_on is None

    @property
    def summary(self) -> str:
        return describe_request(self.sent_on, self.sent_to, self.reference, self.answered_on, self.answer)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sent_on"] = self.sent_on.isoformat()
        data["answered_on"] = self.answered_on.isoformat() if self.answered_on else None
        data["created_at"] = self.created_at.isoformat()
        return data


def describe_request(
    sent_on: date, sent_to: str, reference: str, answered_on: date | None, answer: str
) -> str:
    """One line for a register or a list: ``2026-03-02 → Belgium (T-17): answered 2026-04-10: …``."""
    text = f"{sent_on.isoformat()} → {sent_to}" + (f" ({reference})" if reference else "")
    if answered_on is None:
        return text + ": " + _("no answer yet")
    return text + ": " + _("answered {date}: {answer}").format(date=answered_on.isoformat(), answer=answer)


# --------------------------------------------------------------------------------------------- checks


def check_request(data: TracingRequestData, today: date | None = None) -> list[FieldProblem]:
    """The problems of a request form (pure: no database)."""
    problems: list[FieldProblem] = []
    if data.sent_on is None:
        problems.append(
            FieldProblem(
                "sent_on",
                _("The date the request was sent is required."),
                _("Give the date written on the request."),
            )
        )
    elif data.sent_on > (today or date.today()):
        problems.append(
            FieldProblem("sent_on", _("The request date is in the future."), _("Check the date."))
        )
    sent_to = clean(data.sent_to)
    if not sent_to:
        problems.append(
            FieldProblem(
                "sent_to",
                _("Say to whom the request was sent."),
                _("Name the State or organisation asked (e.g. the manufacturing State, INTERPOL iARMS)."),
            )
        )
    elif len(sent_to) > SENT_TO_MAX:
        problems.append(
            FieldProblem(
                "sent_to",
                _("This is too long (at most {n} characters).").format(n=SENT_TO_MAX),
                _("Shorten it."),
            )
        )
    if len(clean(data.reference)) > REFERENCE_MAX:
        problems.append(
            FieldProblem(
                "reference",
                _("This is too long (at most {n} characters).").format(n=REFERENCE_MAX),
                _("Shorten it."),
            )
        )
    return problems


def check_answer(
    sent_on: date, answered_on: date | None, answer: str, today: date | None = None
) -> list[FieldProblem]:
    """The problems of an answer to a request sent on ``sent_on`` (pure: no database)."""
    problems: list[FieldProblem] = []
    if answered_on is None:
        problems.append(
            FieldProblem(
                "answered_on",
                _("The date of the answer is required."),
                _("Give the date written on the answer."),
            )
        )
    elif answered_on < sent_on:
        problems.append(
            FieldProblem(
                "answered_on",
                _("The answer cannot be dated before the request ({date}).").format(date=sent_on.isoformat()),
                _("Check the date of the answer."),
            )
        )
    elif answered_on > (today or date.today()):
        problems.append(
            FieldProblem("answered_on", _("The answer date is in the future."), _("Check the date."))
        )
    if not clean(answer):
        problems.append(
            FieldProblem(
                "answer",
                _("The answer is empty."),
                _("Write what the State or organisation answered (origin, last legal holder...)."),
            )
        )
    return problems


# --------------------------------------------------------------------------------------------- reading


def _weapon_not_found(weapon_id: int) -> NotFoundError:
    return NotFoundError(
        _("There is no weapon with number {id}.").format(id=weapon_id),
        _("It may have been removed by another workstation; refresh the view."),
    )


def _request_not_found(request_id: int) -> NotFoundError:
    return NotFoundError(
        _("There is no tracing request with number {id}.").format(id=request_id),
        _("List the requests with 'armoury tracing list' to find its number."),
    )


def _weapon_facility(db: Database, weapon_id: int) -> int:
    with db.read() as session:
        facility_id = session.scalar(select(Weapon.facility_id).where(Weapon.id == weapon_id))
    if facility_id is None:
        raise _weapon_not_found(weapon_id)
    return int(facility_id)


def _request_facility(db: Database, request_id: int) -> int:
    with db.read() as session:
        facility_id = session.scalar(
            select(Weapon.facility_id)
            .join(TracingRequest, TracingRequest.weapon_id == Weapon.id)
            .where(TracingRequest.id == request_id)
        )
    if facility_id is None:
        raise _request_not_found(request_id)
    return int(facility_id)


def _select() -> Any:
    return (
        select(
            TracingRequest,
            Weapon.serial,
            ItemType.manufacturer,
            ItemType.model,
            Weapon.facility_id,
            User.username,
        )
        .join(Weapon, Weapon.id == TracingRequest.weapon_id)
        .join(ItemType, ItemType.id == Weapon.item_type_id)
        .outerjoin(User, User.id == TracingRequest.created_by)
        .order_by(TracingRequest.sent_on, TracingRequest.id)
    )


def _infos(session: Session, query: Any) -> list[TracingRequestInfo]:
    return [
        TracingRequestInfo(
            id=row.id,
            weapon_id=row.weapon_id,
            serial=serial,
            item_type=f"{manufacturer} {model}",
            facility_id=facility_id,
            sent_on=row.sent_on,
            sent_to=row.sent_to,
            reference=row.reference,
            details=row.details,
            answered_on=row.answered_on,
            answer=row.answer,
            created_at=row.created_at,
            created_by=username or "system",
        )
        for row, serial, manufacturer, model, facility_id, username in session.execute(query)
    ]


def requests_for(db: Database, actor: Actor, weapon_id: int) -> list[TracingRequestInfo]:
    """The tracing requests of one weapon, oldest first."""
    authorize(db, actor, Permission.VIEW)
    authorize(db, actor, Permission.VIEW, _weapon_facility(db, weapon_id))
    with db.read() as session:
        return _infos(session, _select().where(TracingRequest.weapon_id == weapon_id))


def open_requests(db: Database, actor: Actor, facility_id: int | None = None) -> list[TracingRequestInfo]:
    """The requests still waiting for an answer, oldest first: at one facility, or at every facility the
    user may see."""
    authorize(db, actor, Permission.VIEW, facility_id)
    query = _select().where(TracingRequest.answered_on.is_(None))
    if facility_id is not None:
        query = query.where(Weapon.facility_id == facility_id)
    elif actor.facility_ids is not None:
        query = query.where(Weapon.facility_id.in_(sorted(actor.facility_ids)))
    with db.read() as session:
        return _infos(session, query)


def _info_of(session: Session, request_id: int) -> TracingRequestInfo:
    return _infos(session, _select().where(TracingRequest.id == request_id))[0]


# --------------------------------------------------------------------------------------------- writing


def record_request(
    db: Database, actor: Actor, weapon_id: int, data: TracingRequestData
) -> TracingRequestInfo:
    """Record a tracing request sent about a recovered or evidence weapon."""
    authorize(db, actor, Permission.RECOVER)
    facility_id = _weapon_facility(db, weapon_id)
    authorize(db, actor, Permission.RECOVER, facility_id)
    raise_first(check_request(data))
    assert data.sent_on is not None  # checked above

    def work(session: Session) -> TracingRequestInfo:
        weapon = session.get(Weapon, weapon_id)
        if weapon is None:
            raise _weapon_not_found(weapon_id)
        if weapon.register not in TRACED_REGISTERS:
            raise ValidationError(
                _(
                    "{serial} is in the {register} register; only recovered or seized weapons are traced."
                ).format(serial=weapon.serial, register=weapon.register.label),
                _("Register the weapon as recovered or evidence first ('armoury recover --seized')."),
            )
        request = TracingRequest(
            weapon_id=weapon.id,
            sent_on=data.sent_on,
            sent_to=clean(data.sent_to),
            reference=clean(data.reference),
            details=data.details.strip(),
            answered_on=None,
            answer="",
            created_by=actor.user_id,
        )
        session.add(request)
        session.flush()
        audit.record(
            session,
            actor,
            "tracing_requested",
            subject=weapon.serial,
            facility_id=weapon.facility_id,
            details={
                "request": request.id,
                "weapon": weapon.id,
                "sent_on": request.sent_on.isoformat(),
                "sent_to": request.sent_to,
                "reference": request.reference,
            },
        )
        return _info_of(session, request.id)

    return db.run_write(work)


def record_answer(
    db: Database, actor: Actor, request_id: int, answered_on: date | None, answer: str
) -> TracingRequestInfo:
    """Record the answer to a tracing request. An answer is written once: a second one is refused."""
    authorize(db, actor, Permission.RECOVER)
    authorize(db, actor, Permission.RECOVER, _request_facility(db, request_id))

    def work(session: Session) -> TracingRequestInfo:
        request = session.scalar(
            select(TracingRequest).where(TracingRequest.id == request_id).with_for_update()
        )
        if request is None:
            raise _request_not_found(request_id)
        if request.answered_on is not None:
            raise ConflictError(
                _("Tracing request {id} was already answered on {date}.").format(
                    id=request.id, date=request.answered_on.isoformat()
                ),
                _("An answer is never overwritten; record a new request if the question is asked again."),
            )
        raise_first(check_answer(request.sent_on, answered_on, answer))
        assert answered_on is not None  # checked above
        request.answered_on = answered_on
        request.answer = answer.strip()
        session.flush()
        info = _info_of(session, request.id)
        audit.record(
            session,
            actor,
            "tracing_answered",
            subject=info.serial,
            facility_id=info.facility_id,
            details={
                "request": request.id,
                "weapon": request.weapon_id,
                "answered_on": answered_on.isoformat(),
            },
        )
        return info

    return db.run_write(work)
