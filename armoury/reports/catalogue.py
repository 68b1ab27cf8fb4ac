"""Every report the product offers, by command name: the CLI and the report centre both read this list."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from armoury.db import Database
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import _
from armoury.reports import custody_documents, external, listings, monthly_return
from armoury.reports.base import OutputFormat, ReportData, ReportSpec, record_output, write_report
from armoury.security.permissions import Actor

REPORTS: tuple[ReportSpec, ...] = (
    monthly_return.SPEC,
    *listings.SPECS,
    *custody_documents.SPECS,
    *external.external_specs(),
)


def find_report(name: str) -> ReportSpec:
    for spec in REPORTS:
        if spec.name == name:
            return spec
    raise NotFoundError(
        _("There is no report called {name}.").format(name=name),
        _("'armoury report --list' shows the reports."),
    )


def build_report(db: Database, actor: Actor, name: str, params: Mapping[str, Any]) -> ReportData:
    """Read the database and return the report's content (checks the permission and the parameters)."""
    spec = find_report(name)
    for parameter in spec.parameters:
        if parameter.required and not params.get(parameter.name):
            raise ValidationError(
                _("The report {report} needs: {parameter}.").format(
                    report=_(spec.title), parameter=_(parameter.label)
                ),
                _("Give --{option}.").format(option=parameter.name),
            )
    return spec.build(db, actor, params)


def export_report(
    db: Database,
    actor: Actor,
    report: ReportData,
    fmt: OutputFormat | str,
    target: str | os.PathLike[str] | BinaryIO,
    progress: Callable[[int], None] | None = None,
    printed: bool = False,
) -> int:
    """Write ``report`` and record the printing or export in the security audit trail."""
    spec = next((s for s in REPORTS if s.name == report.kind), None)
    if spec is not None and OutputFormat(fmt) not in spec.formats:
        raise ValidationError(
            _("The report {report} exists as PDF only.").format(report=report.title),
            _("Choose the PDF format."),
        )
    result = write_report(report, fmt, target, progress)
    record_output(db, actor, report, str(OutputFormat(fmt)), printed=printed)
    return result
