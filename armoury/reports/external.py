"""Reports drawn by other areas in the house style (count sheets, discrepancy reports, inspection reports),
offered in the same catalogue so that the CLI and the report centre list and print them too. PDF only."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from armoury.db import Database
from armoury.errors import ValidationError
from armoury.i18n import N_, _
from armoury.reports.base import OutputFormat, Parameter, ReportData, ReportSpec, actor_display
from armoury.security.permissions import Actor

P_COUNT = Parameter("count", N_("Count number"))
P_INSPECTION = Parameter("inspection", N_("Inspection number"))


def _function(module: str, name: str) -> Callable[..., int] | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def _external(kind: str, title: str, actor: Actor, subtitle: str, write: Callable[..., int]) -> ReportData:
    return ReportData(
        kind=kind,
        title=title,
        subtitle=subtitle,
        depot_name="",
        generated_by=actor_display(actor),
        external_pdf=write,
        parameters={"subject": subtitle},
    )


def _count_report(kind: str, title: str, function: str, **options: Any) -> Callable[..., ReportData]:
    def build(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
        write = _function("armoury.services.count_reports", function)
        assert write is not None
        number = str(params.get("count") or "").strip()

        def pdf(target: Any, progress: Callable[[int], None] | None) -> int:
            return write(db, actor, number, target, **options)

        # Draw once now so that a wrong number is reported before anything is written.
        import io

        pdf(io.BytesIO(), None)
        return _external(kind, _(title), actor, number, pdf)

    return build


def _inspection_report(db: Database, actor: Actor, params: Mapping[str, Any]) -> ReportData:
    write = _function("armoury.services.inspections", "write_inspection_report")
    assert write is not None
    text = str(params.get("inspection") or "").strip().lstrip("#")
    if not text.isdigit():
        raise ValidationError(
            _("'{value}' is not an inspection number.").format(value=text),
            _("Give the inspection's number, for example 12."),
        )

    def pdf(target: Any, progress: Callable[[int], None] | None) -> int:
        return write(db, actor, int(text), target, progress)

    import io

    pdf(io.BytesIO(), None)
    return _external("inspection-report", _("Inspection report"), actor, text, pdf)


def external_specs() -> tuple[ReportSpec, ...]:
    """The specs whose modules are installed."""
    specs = []
    pdf_only = (OutputFormat.PDF,)
    if _function("armoury.services.count_reports", "count_sheet_pdf"):
        specs.append(
            ReportSpec(
                "count-sheet",
                N_("Count sheet"),
                N_("The sheet of a count (blind when the count is blind)."),
                (P_COUNT,),
                _count_report("count-sheet", N_("Count sheet"), "count_sheet_pdf"),
                pdf_only,
            )
        )
    if _function("armoury.services.count_reports", "discrepancy_report_pdf"):
        specs.append(
            ReportSpec(
                "count-discrepancies",
                N_("Count discrepancy report"),
                N_(
                    "What a count found missing, misplaced or unexpected, and how each difference was settled."
                ),
                (P_COUNT,),
                _count_report(
                    "count-discrepancies", N_("Count discrepancy report"), "discrepancy_report_pdf"
                ),
                pdf_only,
            )
        )
    if _function("armoury.services.inspections", "write_inspection_report"):
        specs.append(
            ReportSpec(
                "inspection-report",
                N_("Inspection report"),
                N_("An inspection's findings, photos, score and corrective-action plan."),
                (P_INSPECTION,),
                _inspection_report,
                pdf_only,
            )
        )
    return tuple(specs)
