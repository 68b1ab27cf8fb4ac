"""Inspecting a facility: start, answer (each answer saved at once), photos, racks, sign-off, follow-up.

Every function is one unit of work. A signed inspection is immutable (the services refuse, and the
database triggers of migration 0006 refuse too); an amendment is a new inspection. Corrective actions stay
open to follow-up after sign-off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from armoury.i18n import _
from armoury.inspections.enums import ActionStatus, InspectionStatus, Outcome
from armoury.inspections.records import (
    ActionInfo,
    AnswerInfo,
    AreaRef,
    InspectionDetail,
    InspectionSummary,
    PhotoInfo,
    PreviousFinding,
    RackRef,
    TrendPoint,
    WeaponRef,
)
from armoury.inspections.scoring import normalize_answer, outcome, score
from armoury.inspections.templates import Question, Template
from armoury.models import Facility, ItemType, Rack, StorageArea, User, Weapon
from armoury.models.base import utcnow
from armoury.models.inspections import (
    ChecklistTemplate,
    CorrectiveAction,
    Inspection,
    InspectionAnswer,
    InspectionAnswerArea,
    InspectionAnswerRack,
    InspectionPhoto,
)
from armoury.security.permissions import Actor, Permission
from armoury.services.checklists import ensure_builtin_templates, template_of
from armoury.services.guard import authorize

MAX_PHOTO_BYTES = 20_000_000
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


# ----------------------------------------------------------------------------------------------- helpers


def _inspection(session: Session, inspection_id: int) -> Inspection:
    row = session.get(Inspection, inspection_id)
    if row is None:
        raise NotFoundError(
            _("There is no inspection {id}.").format(id=inspection_id),
            _("Run 'armoury inspection list' to see the inspections."),
        )
    return row


def _facility_of(db: Database, inspection_id: int) -> int:
    with db.read() as session:
        return _inspection(session, inspection_id).facility_id


def _authorize_inspection(db: Database, actor: Actor, permission: Permission, inspection_id: int) -> None:
    authorize(db, actor, permission, _facility_of(db, inspection_id))


def _open_for_answers(session: Session, actor: Actor, inspection_id: int) -> tuple[Inspection, Template]:
    row = _inspection(session, inspection_id)
    if row.status is InspectionStatus.SIGNED:
        raise ConflictError(
            _("Inspection {id} is signed and can no longer be changed.").format(id=inspection_id),
            _("Start a new inspection to record an amendment."),
        )
    if actor.user_id is not None and row.inspector_id != actor.user_id:
        raise PermissionDenied(
            _("Only the inspector who started inspection {id} may answer it.").format(id=inspection_id),
            _("Ask that inspector, or start your own inspection."),
        )
    template = template_of(_template_row(session, row.template_id))
    return row, template


def _template_row(session: Session, template_id: int) -> ChecklistTemplate:
    row = session.get(ChecklistTemplate, template_id)
    if row is None:
        raise NotFoundError(
            _("There is no checklist template {id}.").format(id=template_id),
            _("Run 'armoury checklist list' to see the templates."),
        )
    return row


def _question(template: Template, question_id: str) -> Question:
    question = template.question(question_id)
    if question is None:
        raise NotFoundError(
            _("The checklist has no question {id}.").format(id=question_id),
            _("Check the question id shown in the inspection."),
        )
    return question


def _answer_row(session: Session, inspection_id: int, question_id: str, actor: Actor) -> InspectionAnswer:
    row = session.scalar(
        select(InspectionAnswer).where(
            InspectionAnswer.inspection_id == inspection_id, InspectionAnswer.question_id == question_id
        )
    )
    if row is None:
        row = InspectionAnswer(
            inspection_id=inspection_id, question_id=question_id, note="", answered_by_id=actor.user_id
        )
        session.add(row)
        session.flush()
    return row


def _summaries(session: Session, rows: Iterable[Inspection]) -> list[InspectionSummary]:
    result = []
    for row in rows:
        facility = session.get(Facility, row.facility_id)
        area = session.get(StorageArea, row.area_id) if row.area_id is not None else None
        template_row = _template_row(session, row.template_id)
        inspector = session.get(User, row.inspector_id)
        assert facility is not None and inspector is not None
        result.append(
            InspectionSummary(
                id=row.id,
                facility_id=row.facility_id,
                facility_code=facility.code,
                facility_name=facility.name,
                area_id=row.area_id,
                area_name=area.name if area is not None else "",
                template_id=row.template_id,
                template_code=template_row.code,
                template_version=template_row.version,
                template_title=template_of(template_row).title.text(),
                inspector_id=row.inspector_id,
                inspector_name=inspector.full_name or inspector.username,
                team=row.team,
                status=row.status,
                started_at=row.started_at,
                signed_at=row.signed_at,
                score=row.score,
                level=row.level,
            )
        )
    return result


def _action_infos(session: Session, rows: Iterable[CorrectiveAction]) -> list[ActionInfo]:
    infos = []
    for row in rows:
        answer = session.get(InspectionAnswer, row.answer_id)
        inspection = session.get(Inspection, row.inspection_id)
        facility = session.get(Facility, row.facility_id)
        assert answer is not None and inspection is not None and facility is not None
        template = template_of(_template_row(session, inspection.template_id))
        question = template.question(answer.question_id)
        infos.append(
            ActionInfo(
                id=row.id,
                inspection_id=row.inspection_id,
                facility_id=row.facility_id,
                facility_name=facility.name,
                question_id=answer.question_id,
                question_text=question.text.text() if question else answer.question_id,
                what=row.what,
                who=row.who,
                due_on=row.due_on,
                status=row.status,
                closure_evidence=row.closure_evidence,
                closed_on=row.closed_on,
            )
        )
    return infos


# ------------------------------------------------------------------------------------------ inspections


def start_inspection(
    db: Database,
    actor: Actor,
    facility_id: int,
    template_id: int,
    area_id: int | None = None,
    team: str = "",
) -> InspectionSummary:
    """Open a new inspection of a facility (and optionally one storage area) with a template version."""
    authorize(db, actor, Permission.INSPECT, facility_id)
    if actor.user_id is None:
        raise PermissionDenied(
            _("An inspection needs a signed-in inspector."),
            _("Sign in with your own account and start again."),
        )
    ensure_builtin_templates(db)

    def work(session: Session) -> InspectionSummary:
        facility = session.get(Facility, facility_id)
        if facility is None:
            raise NotFoundError(
                _("There is no facility {id}.").format(id=facility_id), _("Choose an existing facility.")
            )
        _template_row(session, template_id)
        if area_id is not None:
            area = session.get(StorageArea, area_id)
            if area is None or area.facility_id != facility_id:
                raise ValidationError(
                    _("Storage area {id} is not part of facility {facility}.").format(
                        id=area_id, facility=facility.code
                    ),
                    _("Choose an area of the facility being inspected."),
                )
        row = Inspection(
            facility_id=facility_id,
            area_id=area_id,
            template_id=template_id,
            inspector_id=actor.user_id,
            team=team.strip()[:400],
            status=InspectionStatus.IN_PROGRESS,
            remarks="",
        )
        session.add(row)
        session.flush()
        return _summaries(session, [row])[0]

    return db.run_write(work)


def record_answer(db: Database, actor: Actor, inspection_id: int, question_id: str, value: str) -> AnswerInfo:
    """Save the answer to one question at once (a crash loses nothing). Returns the stored answer."""
    _authorize_inspection(db, actor, Permission.INSPECT, inspection_id)

    def work(session: Session) -> AnswerInfo:
        row, template = _open_for_answers(session, actor, inspection_id)
        question = _question(template, question_id)
        stored = normalize_answer(question, value)
        answer = _answer_row(session, row.id, question_id, actor)
        answer.value = stored
        answer.outcome = outcome(question, stored)
        answer.answered_at = utcnow()
        answer.answered_by_id = actor.user_id
        session.flush()
        return _answer_info(session, answer)

    return db.run_write(work)


def set_note(db: Database, actor: Actor, inspection_id: int, question_id: str, note: str) -> AnswerInfo:
    """Save the inspector's note on a question (before or after answering it)."""
    _authorize_inspection(db, actor, Permission.INSPECT, inspection_id)

    def work(session: Session) -> AnswerInfo:
        row, template = _open_for_answers(session, actor, inspection_id)
        _question(template, question_id)
        answer = _answer_row(session, row.id, question_id, actor)
        if answer.note != note.strip():
            answer.note = note.strip()
            session.flush()
        return _answer_info(session, answer)

    return db.run_write(work)


def _media_type(data: bytes) -> str | None:
    for signature, media_type in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def add_photo(
    db: Database, actor: Actor, inspection_id: int, question_id: str, data: bytes, filename: str = ""
) -> PhotoInfo:
    """Attach a photo (PNG, JPEG, GIF, BMP or WebP) to a question; the same picture twice is kept once."""
    _authorize_inspection(db, actor, Permission.INSPECT, inspection_id)
    media_type = _media_type(data)
    if media_type is None:
        raise ValidationError(
            _("The file {name} is not a photo Armoury can keep.").format(name=filename or "?"),
            _("Choose a PNG, JPEG, GIF, BMP or WebP picture."),
        )
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("The photo {name} is larger than 20 MB.").format(name=filename or "?"),
            _("Reduce its size and add it again."),
        )
    digest = hashlib.sha256(data).hexdigest()

    def work(session: Session) -> PhotoInfo:
        row, template = _open_for_answers(session, actor, inspection_id)
        _question(template, question_id)
        answer = _answer_row(session, row.id, question_id, actor)
        photo = session.scalar(
            select(InspectionPhoto).where(
                InspectionPhoto.answer_id == answer.id, InspectionPhoto.sha256 == digest
            )
        )
        if photo is None:
            photo = InspectionPhoto(
                answer_id=answer.id, sha256=digest, media_type=media_type, filename=filename[:200], data=data
            )
            session.add(photo)
            session.flush()
        return PhotoInfo(photo.id, photo.sha256, photo.media_type, photo.filename, len(photo.data))

    return db.run_write(work)


def add_photo_file(db: Database, actor: Actor, inspection_id: int, question_id: str, path: Path) -> PhotoInfo:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            _("The photo {path} cannot be read: {reason}").format(path=path, reason=exc.strerror),
            _("Check the path and that you may read the file."),
        ) from exc
    return add_photo(db, actor, inspection_id, question_id, data, path.name)


def photo_data(db: Database, actor: Actor, photo_id: int) -> tuple[PhotoInfo, bytes]:
    """The bytes of a photo (for the viewer and the report)."""
    with db.read() as session:
        photo = session.get(InspectionPhoto, photo_id)
        if photo is None:
            raise NotFoundError(_("There is no photo {id}.").format(id=photo_id), _("Reload the inspection."))
        answer = session.get(InspectionAnswer, photo.answer_id)
        assert answer is not None
        inspection = _inspection(session, answer.inspection_id)
        facility_id = inspection.facility_id
        info = PhotoInfo(photo.id, photo.sha256, photo.media_type, photo.filename, len(photo.data))
        data = photo.data
    authorize(db, actor, Permission.VIEW, facility_id)
    return info, data


def set_targets(
    db: Database,
    actor: Actor,
    inspection_id: int,
    question_id: str,
    rack_ids: Sequence[int] = (),
    area_ids: Sequence[int] = (),
) -> AnswerInfo:
    """Point an answer to racks and storage areas of the inspected facility (replacing earlier ones)."""
    _authorize_inspection(db, actor, Permission.INSPECT, inspection_id)

    def work(session: Session) -> AnswerInfo:
        row, template = _open_for_answers(session, actor, inspection_id)
        _question(template, question_id)
        answer = _answer_row(session, row.id, question_id, actor)
        racks = session.scalars(select(Rack).where(Rack.id.in_(rack_ids))).all() if rack_ids else []
        areas = (
            session.scalars(select(StorageArea).where(StorageArea.id.in_(area_ids))).all() if area_ids else []
        )
        if len(racks) != len(set(rack_ids)) or any(r.facility_id != row.facility_id for r in racks):
            raise ValidationError(
                _("Some of the racks chosen are not racks of the inspected facility."),
                _("Choose racks of the facility being inspected."),
            )
        if len(areas) != len(set(area_ids)) or any(a.facility_id != row.facility_id for a in areas):
            raise ValidationError(
                _("Some of the areas chosen are not areas of the inspected facility."),
                _("Choose areas of the facility being inspected."),
            )
        for link in session.scalars(
            select(InspectionAnswerRack).where(InspectionAnswerRack.answer_id == answer.id)
        ):
            if link.rack_id not in set(rack_ids):
                session.delete(link)
        for area_link in session.scalars(
            select(InspectionAnswerArea).where(InspectionAnswerArea.answer_id == answer.id)
        ):
            if area_link.area_id not in set(area_ids):
                session.delete(area_link)
        session.flush()
        have_racks = set(
            session.scalars(
                select(InspectionAnswerRack.rack_id).where(InspectionAnswerRack.answer_id == answer.id)
            )
        )
        have_areas = set(
            session.scalars(
                select(InspectionAnswerArea.area_id).where(InspectionAnswerArea.answer_id == answer.id)
            )
        )
        session.add_all(
            InspectionAnswerRack(answer_id=answer.id, rack_id=r) for r in set(rack_ids) - have_racks
        )
        session.add_all(
            InspectionAnswerArea(answer_id=answer.id, area_id=a) for a in set(area_ids) - have_areas
        )
        session.flush()
        return _answer_info(session, answer)

    return db.run_write(work)


def weapons_concerned(db: Database, actor: Actor, inspection_id: int, question_id: str) -> list[WeaponRef]:
    """The weapons on the racks an answer points to (e.g. the weapons on racks found unsecured)."""
    _authorize_inspection(db, actor, Permission.VIEW, inspection_id)
    with db.read() as session:
        rows = session.execute(
            select(Weapon.id, Weapon.serial, ItemType.manufacturer, ItemType.model, Rack.code, Weapon.slot)
            .join(ItemType, ItemType.id == Weapon.item_type_id)
            .join(Rack, Rack.id == Weapon.rack_id)
            .join(InspectionAnswerRack, InspectionAnswerRack.rack_id == Rack.id)
            .join(InspectionAnswer, InspectionAnswer.id == InspectionAnswerRack.answer_id)
            .where(
                InspectionAnswer.inspection_id == inspection_id, InspectionAnswer.question_id == question_id
            )
            .order_by(Rack.code, Weapon.slot, Weapon.serial)
        ).all()
    return [
        WeaponRef(i, serial, f"{maker} {model}", rack, slot) for i, serial, maker, model, rack, slot in rows
    ]


def _answer_info(session: Session, answer: InspectionAnswer) -> AnswerInfo:
    photos = session.execute(
        select(
            InspectionPhoto.id,
            InspectionPhoto.sha256,
            InspectionPhoto.media_type,
            InspectionPhoto.filename,
            func.length(InspectionPhoto.data),
        )
        .where(InspectionPhoto.answer_id == answer.id)
        .order_by(InspectionPhoto.id)
    ).all()
    racks = session.execute(
        select(Rack.id, Rack.code, StorageArea.code, func.count(Weapon.id))
        .join(InspectionAnswerRack, InspectionAnswerRack.rack_id == Rack.id)
        .join(StorageArea, StorageArea.id == Rack.area_id)
        .outerjoin(Weapon, Weapon.rack_id == Rack.id)
        .where(InspectionAnswerRack.answer_id == answer.id)
        .group_by(Rack.id, Rack.code, StorageArea.code)
        .order_by(Rack.code)
    ).all()
    areas = session.execute(
        select(StorageArea.id, StorageArea.code, StorageArea.name)
        .join(InspectionAnswerArea, InspectionAnswerArea.area_id == StorageArea.id)
        .where(InspectionAnswerArea.answer_id == answer.id)
        .order_by(StorageArea.code)
    ).all()
    actions = _action_infos(
        session,
        session.scalars(
            select(CorrectiveAction)
            .where(CorrectiveAction.answer_id == answer.id)
            .order_by(CorrectiveAction.id)
        ),
    )
    return AnswerInfo(
        question_id=answer.question_id,
        value=answer.value,
        outcome=answer.outcome,
        note=answer.note,
        answered_at=answer.answered_at,
        photos=tuple(PhotoInfo(*p) for p in photos),
        racks=tuple(RackRef(*r) for r in racks),
        areas=tuple(AreaRef(*a) for a in areas),
        actions=tuple(actions),
    )


def _blocking(template: Template, answers: dict[str, AnswerInfo], has_racks: bool) -> tuple[str, ...]:
    """What still stops sign-off: unanswered questions, findings missing their note, photo or action, and
    critical rack findings that do not name the racks concerned (when the facility has racks on record)."""
    problems = []
    for _section, q in template.questions():
        answer = answers.get(q.id)
        if answer is None or answer.value is None:
            problems.append(_("{id}: not answered").format(id=q.id))
            continue
        if answer.outcome is not Outcome.FAIL:
            continue
        if q.requires_note and not answer.note:
            problems.append(_("{id}: the finding needs a note").format(id=q.id))
        if q.requires_photo and not answer.photos:
            problems.append(_("{id}: the finding needs a photo").format(id=q.id))
        if q.requires_action and not answer.actions:
            problems.append(_("{id}: the finding needs a corrective action").format(id=q.id))
        if has_racks and q.target == "racks" and q.critical and not answer.racks:
            problems.append(_("{id}: choose the racks concerned by the finding").format(id=q.id))
    return tuple(problems)


def _detail(session: Session, row: Inspection) -> InspectionDetail:
    template = template_of(_template_row(session, row.template_id))
    answers = {
        a.question_id: _answer_info(session, a)
        for a in session.scalars(select(InspectionAnswer).where(InspectionAnswer.inspection_id == row.id))
    }
    values = {qid: a.value for qid, a in answers.items() if a.value is not None}
    has_racks = (
        session.scalar(select(Rack.id).where(Rack.facility_id == row.facility_id).limit(1)) is not None
    )
    return InspectionDetail(
        summary=_summaries(session, [row])[0],
        template=template,
        answers=answers,
        card=score(template, values),
        missing=() if row.status is InspectionStatus.SIGNED else _blocking(template, answers, has_racks),
    )


def get_inspection(db: Database, actor: Actor, inspection_id: int) -> InspectionDetail:
    """An inspection with its template, answers, photos, racks, actions and score."""
    _authorize_inspection(db, actor, Permission.VIEW, inspection_id)
    with db.read() as session:
        return _detail(session, _inspection(session, inspection_id))


def list_inspections(db: Database, actor: Actor, facility_id: int | None = None) -> list[InspectionSummary]:
    """Inspections the actor may see, newest first."""
    authorize(db, actor, Permission.VIEW, facility_id)
    with db.read() as session:
        query = select(Inspection).order_by(Inspection.started_at.desc(), Inspection.id.desc())
        if facility_id is not None:
            query = query.where(Inspection.facility_id == facility_id)
        if actor.facility_ids is not None:
            query = query.where(Inspection.facility_id.in_(actor.facility_ids))
        return _summaries(session, session.scalars(query))


def sign_off(db: Database, actor: Actor, inspection_id: int, remarks: str = "") -> InspectionDetail:
    """The inspector signs: the score and level are fixed and the inspection can no longer change."""
    _authorize_inspection(db, actor, Permission.INSPECT, inspection_id)

    def work(session: Session) -> InspectionDetail:
        row, _template = _open_for_answers(session, actor, inspection_id)
        detail = _detail(session, row)
        if detail.missing:
            shown = "; ".join(detail.missing[:5])
            more = len(detail.missing) - 5
            message = _("Inspection {id} cannot be signed yet: {problems}").format(
                id=inspection_id, problems=shown
            )
            if more > 0:
                message += " " + _("(and {count} more problems)").format(count=more)
            raise ConflictError(message, _("Complete these answers, then sign again."))
        percent = detail.card.percent
        row.score = round(percent if percent is not None else 100.0, 2)
        row.level = detail.card.level_reached
        row.remarks = remarks.strip()
        row.signed_at = utcnow()
        row.status = InspectionStatus.SIGNED
        session.flush()
        return _detail(session, row)

    return db.run_write(work)


def previous_findings(db: Database, actor: Actor, inspection_id: int) -> list[PreviousFinding]:
    """The findings of the facility's previous signed inspection with the same template, and their actions."""
    _authorize_inspection(db, actor, Permission.VIEW, inspection_id)
    with db.read() as session:
        row = _inspection(session, inspection_id)
        code = _template_row(session, row.template_id).code
        previous = session.scalars(
            select(Inspection)
            .join(ChecklistTemplate, ChecklistTemplate.id == Inspection.template_id)
            .where(
                Inspection.facility_id == row.facility_id,
                Inspection.status == InspectionStatus.SIGNED,
                ChecklistTemplate.code == code,
                Inspection.id != row.id,
                Inspection.started_at <= row.started_at,
            )
            .order_by(Inspection.signed_at.desc(), Inspection.id.desc())
        ).first()
        if previous is None:
            return []
        template = template_of(_template_row(session, previous.template_id))
        findings = []
        answers = session.scalars(
            select(InspectionAnswer)
            .where(InspectionAnswer.inspection_id == previous.id, InspectionAnswer.outcome == Outcome.FAIL)
            .order_by(InspectionAnswer.id)
        )
        for answer in answers:
            question = template.question(answer.question_id)
            actions = _action_infos(
                session,
                session.scalars(
                    select(CorrectiveAction)
                    .where(CorrectiveAction.answer_id == answer.id)
                    .order_by(CorrectiveAction.id)
                ),
            )
            findings.append(
                PreviousFinding(
                    inspection_id=previous.id,
                    signed_at=previous.signed_at,
                    question_id=answer.question_id,
                    question_text=question.text.text() if question else answer.question_id,
                    note=answer.note,
                    actions=tuple(actions),
                )
            )
        return findings


def score_trend(
    db: Database, actor: Actor, facility_id: int, template_code: str | None = None
) -> list[TrendPoint]:
    """Scores and levels of the facility's signed inspections, oldest first (for the trend chart)."""
    authorize(db, actor, Permission.VIEW, facility_id)
    with db.read() as session:
        query = (
            select(
                Inspection.id,
                Inspection.signed_at,
                ChecklistTemplate.code,
                Inspection.score,
                Inspection.level,
            )
            .join(ChecklistTemplate, ChecklistTemplate.id == Inspection.template_id)
            .where(Inspection.facility_id == facility_id, Inspection.status == InspectionStatus.SIGNED)
            .order_by(Inspection.signed_at, Inspection.id)
        )
        if template_code:
            query = query.where(ChecklistTemplate.code == template_code)
        return [
            TrendPoint(i, signed_at, code, float(s), int(level))
            for i, signed_at, code, s, level in session.execute(query)
            if signed_at is not None and s is not None and level is not None
        ]


# ------------------------------------------------------------------------------------ corrective actions


def add_corrective_action(
    db: Database, actor: Actor, inspection_id: int, question_id: str, what: str, who: str, due_on: date
) -> ActionInfo:
    """Record what must be done about a finding, by whom and by when."""
    _authorize_inspection(db, actor, Permission.MANAGE_CORRECTIVE_ACTIONS, inspection_id)
    if not what.strip() or not who.strip():
        raise ValidationError(
            _("A corrective action needs what is to be done and who is to do it."), _("Fill in both.")
        )

    def work(session: Session) -> ActionInfo:
        row = _inspection(session, inspection_id)
        answer = session.scalar(
            select(InspectionAnswer).where(
                InspectionAnswer.inspection_id == inspection_id, InspectionAnswer.question_id == question_id
            )
        )
        if answer is None or answer.outcome is not Outcome.FAIL:
            raise ConflictError(
                _("Question {id} is not a finding of inspection {inspection}.").format(
                    id=question_id, inspection=inspection_id
                ),
                _("Corrective actions are recorded against failed answers."),
            )
        action = CorrectiveAction(
            inspection_id=row.id,
            answer_id=answer.id,
            facility_id=row.facility_id,
            what=what.strip(),
            who=who.strip()[:200],
            due_on=due_on,
            status=ActionStatus.OPEN,
            closure_evidence="",
            created_by_id=actor.user_id,
        )
        session.add(action)
        session.flush()
        return _action_infos(session, [action])[0]

    return db.run_write(work)


def _action_row(session: Session, action_id: int) -> CorrectiveAction:
    row = session.get(CorrectiveAction, action_id)
    if row is None:
        raise NotFoundError(
            _("There is no corrective action {id}.").format(id=action_id), _("Reload the list of actions.")
        )
    return row


def update_corrective_action(
    db: Database,
    actor: Actor,
    action_id: int,
    status: ActionStatus | None = None,
    who: str | None = None,
    due_on: date | None = None,
    evidence: str = "",
    closed_on: date | None = None,
) -> ActionInfo:
    """Change an action's status, person or due date. Closing needs the evidence of closure."""
    with db.read() as session:
        facility_id = _action_row(session, action_id).facility_id
    authorize(db, actor, Permission.MANAGE_CORRECTIVE_ACTIONS, facility_id)

    def work(session: Session) -> ActionInfo:
        row = _action_row(session, action_id)
        if row.status is ActionStatus.CLOSED:
            raise ConflictError(
                _("Corrective action {id} is closed.").format(id=action_id),
                _("Record a new action if more work is needed."),
            )
        if who is not None:
            if not who.strip():
                raise ValidationError(_("Who is to do the action cannot be empty."), _("Name a person."))
            row.who = who.strip()[:200]
        if due_on is not None:
            row.due_on = due_on
        if status is ActionStatus.CLOSED:
            if not evidence.strip():
                raise ValidationError(
                    _("Closing corrective action {id} needs the evidence of closure.").format(id=action_id),
                    _("Describe what was done and how it was checked."),
                )
            row.closure_evidence = evidence.strip()
            row.closed_on = closed_on or date.today()
            row.closed_by_id = actor.user_id
        if status is not None:
            row.status = status
        session.flush()
        return _action_infos(session, [row])[0]

    return db.run_write(work)


def list_corrective_actions(
    db: Database, actor: Actor, facility_id: int | None = None, open_only: bool = False
) -> list[ActionInfo]:
    """Corrective actions the actor may see, by due date."""
    authorize(db, actor, Permission.VIEW, facility_id)
    with db.read() as session:
        query = select(CorrectiveAction).order_by(CorrectiveAction.due_on, CorrectiveAction.id)
        if facility_id is not None:
            query = query.where(CorrectiveAction.facility_id == facility_id)
        if actor.facility_ids is not None:
            query = query.where(CorrectiveAction.facility_id.in_(actor.facility_ids))
        if open_only:
            query = query.where(CorrectiveAction.status != ActionStatus.CLOSED)
        return _action_infos(session, session.scalars(query))


def overdue_corrective_actions(db: Database, actor: Actor, today: date) -> list[ActionInfo]:
    """Actions not closed whose due date is before ``today`` (for the start screen), oldest due first."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        query = (
            select(CorrectiveAction)
            .where(CorrectiveAction.status != ActionStatus.CLOSED, CorrectiveAction.due_on < today)
            .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
        )
        if actor.facility_ids is not None:
            query = query.where(CorrectiveAction.facility_id.in_(actor.facility_ids))
        return _action_infos(session, session.scalars(query))


# ---------------------------------------------------------------------------------------------- report


def write_inspection_report(
    db: Database,
    actor: Actor,
    inspection_id: int,
    path: str | Path | BinaryIO,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the inspection report PDF to ``path``; return its number of pages."""
    from armoury.inspections.report import ReportInput, render_inspection_report
    from armoury.reports.base import actor_display, checkpoint_in

    _authorize_inspection(db, actor, Permission.RUN_REPORTS, inspection_id)
    detail = get_inspection(db, actor, inspection_id)
    previous = previous_findings(db, actor, inspection_id)
    weapons = {
        qid: weapons_concerned(db, actor, inspection_id, qid)
        for qid, answer in detail.answers.items()
        if answer.outcome is Outcome.FAIL and answer.racks
    }
    photo_ids = [p.id for a in detail.answers.values() for p in a.photos]
    with db.read() as session:
        photos = {
            pid: data
            for pid, data in session.execute(
                select(InspectionPhoto.id, InspectionPhoto.data).where(InspectionPhoto.id.in_(photo_ids))
            )
        }
        checkpoint = checkpoint_in(session)
    data = ReportInput(detail, previous, photos, weapons, actor_display(actor), checkpoint)
    return render_inspection_report(data, path, progress)
