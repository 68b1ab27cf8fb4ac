"""Checklist templates in the database: built-ins, import, export, editing with versions.

A template row is one version. Saving an edited template updates its row only while no inspection uses it
and it is the newest version; otherwise the edit becomes a new version and past inspections keep theirs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import _
from armoury.inspections.templates import Template, builtin_templates, parse_template, parse_template_text
from armoury.models.inspections import ChecklistTemplate, Inspection
from armoury.security.permissions import SYSTEM_ACTOR, Actor, Permission
from armoury.services.guard import authorize

MAX_TEMPLATE_BYTES = 2_000_000


@dataclass(frozen=True)
class TemplateSummary:
    id: int
    code: str
    version: int
    title: str
    title_en: str
    builtin: bool
    question_count: int
    used: bool
    latest: bool
    created_at: datetime


@dataclass(frozen=True)
class ImportResult:
    template: TemplateSummary
    created: bool


_cache: dict[tuple[int, str], Template] = {}


def template_of(row: ChecklistTemplate) -> Template:
    """The parsed template of a stored version (parsed once per process)."""
    key = (row.id, row.content_sha256)
    found = _cache.get(key)
    if found is None:
        found = parse_template(json.loads(row.content), f"{row.code} v{row.version}")
        _cache[key] = found
    return found


def content_digest(template: Template) -> str:
    """SHA-256 of the template's content without its version number (same questions, same digest)."""
    data = template.to_json()
    data.pop("version", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _summary(session: Session, row: ChecklistTemplate) -> TemplateSummary:
    used = session.scalar(select(func.count(Inspection.id)).where(Inspection.template_id == row.id)) or 0
    newest = session.scalar(
        select(func.max(ChecklistTemplate.version)).where(ChecklistTemplate.code == row.code)
    )
    template = template_of(row)
    return TemplateSummary(
        id=row.id,
        code=row.code,
        version=row.version,
        title=template.title.text(),
        title_en=row.title,
        builtin=row.builtin,
        question_count=template.question_count,
        used=used > 0,
        latest=newest == row.version,
        created_at=row.created_at,
    )


def _insert(session: Session, template: Template, actor: Actor, builtin: bool) -> ChecklistTemplate:
    row = ChecklistTemplate(
        code=template.code,
        version=template.version,
        title=template.title.en[:300],
        content=template.content_json(),
        content_sha256=content_digest(template),
        builtin=builtin,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    return row


def ensure_builtin_templates(db: Database) -> int:
    """Store the shipped templates that the database does not hold yet; return how many were added.

    Run by the system (no acting user): it only adds versions, never changes one. A shipped template is
    added when its code has no stored version as new as the shipped one (ship a new version by raising the
    ``version`` in its file) and no stored version has the same questions.
    """
    shipped = builtin_templates()

    def wanted(session: Session) -> list[Template]:
        rows = session.execute(
            select(ChecklistTemplate.code, ChecklistTemplate.version, ChecklistTemplate.content_sha256)
        ).all()
        newest: dict[str, int] = {}
        for code, version, _digest in rows:
            newest[code] = max(version, newest.get(code, 0))
        digests = {(code, digest) for code, _version, digest in rows}
        return [
            t
            for t in shipped
            if newest.get(t.code, 0) < t.version and (t.code, content_digest(t)) not in digests
        ]

    with db.read() as session:
        if not wanted(session):
            return 0

    def work(session: Session) -> int:
        missing = wanted(session)
        for template in missing:
            _insert(session, template, SYSTEM_ACTOR, builtin=True)
        return len(missing)

    try:
        return db.run_write(work)
    except IntegrityError:
        # Another workstation stored the same built-ins at the same moment: they are there now.
        return 0


def list_templates(db: Database, actor: Actor, all_versions: bool = False) -> list[TemplateSummary]:
    """The templates (newest version of each, or every version), by code."""
    authorize(db, actor, Permission.VIEW)
    ensure_builtin_templates(db)
    with db.read() as session:
        rows = session.scalars(
            select(ChecklistTemplate).order_by(ChecklistTemplate.code, ChecklistTemplate.version)
        )
        summaries = [_summary(session, row) for row in rows]
    return summaries if all_versions else [s for s in summaries if s.latest]


def _row(session: Session, template_id: int) -> ChecklistTemplate:
    row = session.get(ChecklistTemplate, template_id)
    if row is None:
        raise NotFoundError(
            _("There is no checklist template {id}.").format(id=template_id),
            _("Run 'armoury checklist list' to see the templates."),
        )
    return row


def find_template(db: Database, actor: Actor, reference: str) -> TemplateSummary:
    """A template named by its database id, its code (newest version) or ``code:version``."""
    authorize(db, actor, Permission.VIEW)
    ensure_builtin_templates(db)
    with db.read() as session:
        if reference.isdigit():
            return _summary(session, _row(session, int(reference)))
        code, _sep, version = reference.partition(":")
        query = select(ChecklistTemplate).where(ChecklistTemplate.code == code.strip())
        if version.strip().isdigit():
            query = query.where(ChecklistTemplate.version == int(version))
        row = session.scalars(query.order_by(ChecklistTemplate.version.desc())).first()
        if row is None:
            raise NotFoundError(
                _("There is no checklist template {name}.").format(name=reference),
                _("Run 'armoury checklist list' to see the templates."),
            )
        return _summary(session, row)


def load_template(db: Database, actor: Actor, template_id: int) -> tuple[TemplateSummary, Template]:
    """A stored version and its questions."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        row = _row(session, template_id)
        return _summary(session, row), template_of(row)


def export_template(db: Database, actor: Actor, template_id: int) -> str:
    """The JSON text of a stored version, ready to write to a file and import elsewhere."""
    authorize(db, actor, Permission.VIEW)
    with db.read() as session:
        return template_of(_row(session, template_id)).content_json()


def import_template_file(db: Database, actor: Actor, path: Path) -> ImportResult:
    authorize(db, actor, Permission.MANAGE_CHECKLISTS)
    try:
        size = path.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise ValidationError(
                _("The checklist file {path} is too large ({size} bytes).").format(path=path, size=size),
                _("A checklist file is at most 2 MB. Nothing was changed."),
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            _("The checklist file {path} cannot be read: {reason}").format(path=path, reason=exc.strerror),
            _("Check the path and that you may read the file."),
        ) from exc
    return import_template(db, actor, data, path.name)


def import_template(db: Database, actor: Actor, data: str | bytes, source: str = "") -> ImportResult:
    """Check and store a template. Identical questions already stored: nothing changes.

    A template whose code exists with other questions becomes the next version of that code; nothing stored
    is ever overwritten by an import.
    """
    authorize(db, actor, Permission.MANAGE_CHECKLISTS)
    template = parse_template_text(data, source)
    digest = content_digest(template)

    def work(session: Session) -> ImportResult:
        same = session.scalars(
            select(ChecklistTemplate).where(
                ChecklistTemplate.code == template.code, ChecklistTemplate.content_sha256 == digest
            )
        ).first()
        if same is not None:
            return ImportResult(_summary(session, same), created=False)
        newest = session.scalar(
            select(func.max(ChecklistTemplate.version)).where(ChecklistTemplate.code == template.code)
        )
        version = template.version if newest is None else newest + 1
        row = _insert(session, dataclasses.replace(template, version=version), actor, builtin=False)
        return ImportResult(_summary(session, row), created=True)

    return db.run_write(work)


def save_template(db: Database, actor: Actor, template_id: int, edited: Template) -> TemplateSummary:
    """Save an edited template. A version already used, or not the newest, is kept: a new one is made."""
    authorize(db, actor, Permission.MANAGE_CHECKLISTS)
    # Check the edit through the same validation as an import.
    checked = parse_template(edited.to_json(), edited.code)

    def work(session: Session) -> TemplateSummary:
        row = _row(session, template_id)
        if checked.code != row.code:
            raise ValidationError(
                _("The template code cannot be changed ({old} to {new}).").format(
                    old=row.code, new=checked.code
                ),
                _("Export the template, change its id in the file and import it as a new template."),
            )
        digest = content_digest(checked)
        if digest == row.content_sha256:
            return _summary(session, row)
        summary = _summary(session, row)
        if summary.used or not summary.latest:
            newest = session.scalar(
                select(func.max(ChecklistTemplate.version)).where(ChecklistTemplate.code == row.code)
            )
            new_row = _insert(session, dataclasses.replace(checked, version=(newest or 0) + 1), actor, False)
            return _summary(session, new_row)
        updated = dataclasses.replace(checked, version=row.version)
        row.title = updated.title.en[:300]
        row.content = updated.content_json()
        row.content_sha256 = digest
        row.builtin = False
        session.flush()
        return _summary(session, row)

    return db.run_write(work)
