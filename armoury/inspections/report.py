"""The inspection report PDF, in the house style (armoury.reports.style).

Cover (facility, date, inspectors, score and level, the level table and section scores), critical findings
first, the other findings, the previous visit's findings and whether they were closed, every answer with
its note, racks and photos, the corrective-action plan, and signature blocks for the inspector and the
commander. :func:`render_inspection_report` only formats what the service gathered.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, Spacer

from armoury.i18n import _
from armoury.inspections.enums import InspectionStatus, Outcome
from armoury.inspections.records import ActionInfo, InspectionDetail, PreviousFinding, WeaponRef
from armoury.inspections.scoring import answer_label
from armoury.reports.style import Cell, ReportDocument, SignatureBlock, escape_text

PHOTO_WIDTH = 70 * mm
PHOTO_HEIGHT = 55 * mm


@dataclass(frozen=True)
class ReportInput:
    """Everything the report prints, gathered by the service in one read."""

    detail: InspectionDetail
    previous: Sequence[PreviousFinding]
    photos: Mapping[int, bytes]  # photo id -> bytes
    weapons: Mapping[str, Sequence[WeaponRef]]  # question id -> weapons on the racks its answer points to
    user: str
    checkpoint: str


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _level_text(level: int | None) -> str:
    if level is None:
        return "—"
    if level == 0:
        return _("No level reached")
    return _("Level {level}").format(level=level)


def _outcome_cell(outcome: Outcome | None) -> Cell | str:
    if outcome is None:
        return Cell(_("Not answered"), alert=True)
    if outcome is Outcome.FAIL:
        return Cell(outcome.label, bold=True, alert=True)
    return outcome.label


def render_inspection_report(
    data: ReportInput,
    path: str | os.PathLike[str] | BinaryIO,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the PDF; return the number of pages."""
    detail = data.detail
    summary = detail.summary
    template = detail.template
    card = detail.card
    facility = f"{summary.facility_name} ({summary.facility_code})"
    doc = ReportDocument(
        path,
        _("Inspection report"),
        depot_name=facility,
        user=data.user,
        checkpoint=data.checkpoint,
        landscape=False,
        subtitle=f"{template.title.text()} — v{summary.template_version}",
        reference=_("Inspection {id}").format(id=summary.id),
        progress=progress,
    )

    # ---- cover
    signed = summary.signed_at.strftime("%Y-%m-%d %H:%M UTC") if summary.signed_at else _("Not signed")
    inspectors = summary.inspector_name + (f", {summary.team}" if summary.team else "")
    doc.key_values(
        [
            (_("Facility"), facility),
            (_("Storage area"), summary.area_name or _("Whole facility")),
            (_("Checklist"), f"{summary.template_code} v{summary.template_version}"),
            (_("Standards"), ", ".join(template.standards) or "—"),
            (_("Started"), summary.started_at.strftime("%Y-%m-%d %H:%M UTC")),
            (_("Signed"), signed),
            (_("Inspectors"), inspectors),
            (_("Status"), summary.status.label),
            (_("Questions answered"), f"{card.answered} / {card.total}"),
            (_("Findings"), str(card.findings)),
        ]
    )
    score = summary.score if summary.status is InspectionStatus.SIGNED else card.percent
    level = summary.level if summary.status is InspectionStatus.SIGNED else card.level_reached
    doc.heading(
        _("Score: {score} — {level}").format(score=_percent(score), level=_level_text(level)),
    )
    if summary.status is not InspectionStatus.SIGNED:
        doc.paragraph(_("This inspection is not signed: its score may still change."), style="alert")
    doc.paragraph(
        _(
            "A level is reached when the weighted score of the questions of that level and below meets the "
            "threshold and every critical question of those levels is satisfied. Not-applicable answers are "
            "left out of the score."
        ),
        style="small",
    )
    doc.table(
        [_("Level"), _("Threshold"), _("Score"), _("Critical questions failed"), _("Reached")],
        [
            [
                str(r.level),
                f"{r.threshold:.0f} %",
                _percent(r.percent),
                Cell(", ".join(r.critical_failed), alert=True) if r.critical_failed else "—",
                _("Yes") if r.reached else Cell(_("No"), bold=True),
            ]
            for r in card.levels
        ],
        col_widths=[16, 22, 22, 90, 20],
    )
    doc.table(
        [_("Section"), _("Answered"), _("Findings"), _("Score")],
        [[s.title, f"{s.answered} / {s.total}", s.findings, _percent(s.percent)] for s in card.sections],
        col_widths=[95, 25, 25, 25],
        numeric_columns={2},
    )

    # ---- findings, critical first
    failed = [
        (section, q, detail.answers[q.id])
        for section, q in template.questions()
        if q.id in detail.answers and detail.answers[q.id].outcome is Outcome.FAIL
    ]
    critical = [f for f in failed if f[1].critical]
    others = [f for f in failed if not f[1].critical]
    for title, group in ((_("Critical findings"), critical), (_("Other findings"), others)):
        doc.heading(title)
        doc.table(
            [_("Question"), _("Finding"), _("Level"), _("Answer"), _("Note")],
            [
                [
                    q.id,
                    q.text.text(),
                    str(q.level),
                    Cell(answer_label(q, a.value), alert=True),
                    _note_with_targets(a.note, a, data.weapons.get(q.id, ())),
                ]
                for _s, q, a in group
            ],
            col_widths=[22, 68, 12, 24, 54],
            empty_text=_("None."),
        )

    # ---- the previous visit
    if data.previous:
        doc.heading(_("Findings of the previous inspection"))
        doc.table(
            [_("Inspection"), _("Question"), _("Finding"), _("Corrective actions"), _("Closed")],
            [
                [
                    str(f.inspection_id),
                    f.question_id,
                    f.question_text,
                    "; ".join(f"{a.what} ({a.status.label})" for a in f.actions) or _("No action recorded"),
                    _("Yes") if f.closed else Cell(_("No"), bold=True, alert=True),
                ]
                for f in data.previous
            ],
            col_widths=[18, 22, 66, 56, 18],
        )

    # ---- every answer, section by section, with notes and photos
    doc.page_break()
    doc.heading(_("All answers"))
    for section in template.sections:
        doc.heading(section.title.text(), level=2)
        rows = []
        for q in section.questions:
            answer = detail.answers.get(q.id)
            flags = " ★" if q.critical else ""
            rows.append(
                [
                    q.id + flags,
                    q.text.text()
                    + (f"\n{q.clause}" if q.clause else "")
                    + (f" · SOP {q.sop}" if q.sop else ""),
                    str(q.level),
                    answer_label(q, answer.value) if answer else "",
                    _outcome_cell(answer.outcome if answer else None),
                    _note_with_targets(answer.note, answer, ()) if answer else "",
                ]
            )
        doc.table(
            [_("Question"), _("Text and clause"), _("Level"), _("Answer"), _("Result"), _("Note")],
            rows,
            col_widths=[22, 70, 12, 24, 20, 32],
        )
        for q in section.questions:
            answer = detail.answers.get(q.id)
            for photo in answer.photos if answer else ():
                _add_photo(doc, data.photos.get(photo.id), q.id, photo.filename, photo.sha256)
    doc.paragraph(_("★ critical question"), style="small")

    # ---- corrective-action plan
    doc.heading(_("Corrective-action plan"))
    actions: list[ActionInfo] = [a for _s, _q, ans in failed for a in ans.actions]
    doc.table(
        [_("No."), _("Question"), _("Action"), _("Who"), _("Due"), _("Status"), _("Evidence of closure")],
        [
            [
                str(a.id),
                a.question_id,
                a.what,
                a.who,
                a.due_on.isoformat(),
                a.status.label,
                a.closure_evidence + (f" ({a.closed_on.isoformat()})" if a.closed_on else ""),
            ]
            for a in actions
        ],
        col_widths=[10, 20, 54, 28, 20, 18, 30],
        empty_text=_("No corrective action recorded."),
    )
    doc.certification(
        _(
            "I certify that this inspection was carried out as recorded above, and that the findings, photos "
            "and corrective actions are a true account of what was found."
        )
    )
    doc.signature_blocks(
        [
            SignatureBlock(
                _("Inspector"),
                name=summary.inspector_name,
                date=summary.signed_at.strftime("%Y-%m-%d") if summary.signed_at else "",
            ),
            SignatureBlock(_("Commander / officer in charge")),
        ]
    )
    return doc.build()


def _note_with_targets(note: str, answer: object, weapons: Sequence[WeaponRef]) -> str:
    from armoury.inspections.records import AnswerInfo

    parts = [note] if note else []
    if isinstance(answer, AnswerInfo):
        if answer.racks:
            racks = ", ".join(
                _("{rack} ({count} weapons)").format(rack=r.code, count=r.weapons) for r in answer.racks
            )
            parts.append(_("Racks: {racks}").format(racks=racks))
        if answer.areas:
            parts.append(_("Areas: {areas}").format(areas=", ".join(a.code for a in answer.areas)))
        if answer.photos:
            parts.append(_("{count} photo(s)").format(count=len(answer.photos)))
    if weapons:
        serials = ", ".join(f"{w.serial} ({w.rack_code}/{w.slot or '-'})" for w in weapons[:40])
        more = len(weapons) - 40
        parts.append(_("Weapons on these racks: {serials}").format(serials=serials))
        if more > 0:
            parts.append(_("and {count} more").format(count=more))
    return "\n".join(parts)


def _add_photo(doc: ReportDocument, data: bytes | None, question_id: str, filename: str, sha256: str) -> None:
    caption = _("Photo for {id}: {name} (SHA-256 {digest}…)").format(
        id=question_id, name=filename or "—", digest=sha256[:16]
    )
    if not data:
        doc.paragraph(caption, style="small")
        return
    try:
        image = Image(io.BytesIO(data))
        width, height = float(image.imageWidth), float(image.imageHeight)
        scale = min(PHOTO_WIDTH / width, PHOTO_HEIGHT / height)
        image.drawWidth, image.drawHeight = width * scale, height * scale
        image.hAlign = "LEFT"
    except Exception:  # an unreadable picture still leaves its caption and digest in the report
        doc.paragraph(caption + " — " + _("the picture cannot be shown"), style="small")
        return
    doc.flowable(KeepTogether([image, Paragraph(escape_text(caption), doc.styles["small"]), Spacer(1, 4)]))
