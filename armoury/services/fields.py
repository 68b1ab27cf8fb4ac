"""Field-level validation shared by the depot editing services and their dialogs.

Each ``check_*`` function of a service is pure (no database): it returns the problems of a form as
:class:`FieldProblem` values, so a dialog can show them next to the fields as the user types. The service
itself runs the same check and raises :func:`invalid` for the first problem before writing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from armoury.errors import ConflictError, ValidationError


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a form (already translated)."""

    field: str
    message: str
    hint: str = ""


class FieldValidationError(ValidationError):
    """A :class:`ValidationError` naming the form field at fault (``field``; also in ``details``)."""

    def __init__(self, field: str, message: str, hint: str = "") -> None:
        super().__init__(message, hint, details=field)
        self.field = field


class FieldConflictError(ConflictError):
    """A :class:`ConflictError` (duplicate code, serial...) naming the form field at fault."""

    def __init__(self, field: str, message: str, hint: str = "") -> None:
        super().__init__(message, hint, details=field)
        self.field = field


def raise_first(problems: Sequence[FieldProblem]) -> None:
    """Raise the first problem as a :class:`FieldValidationError`; do nothing when there is none."""
    if problems:
        first = problems[0]
        raise FieldValidationError(first.field, first.message, first.hint)


def clean(text: str | None) -> str:
    """Trim a typed value; ``None`` becomes the empty string."""
    return (text or "").strip()
