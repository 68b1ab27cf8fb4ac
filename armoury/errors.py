"""Errors a user can understand and fix.

Every error raised on purpose by the core is an :class:`ArmouryError`: ``message`` says what is wrong and
``hint`` says what to do. The CLI prints both and exits non-zero; the GUI shows them in one error dialog.
Anything else escaping a service is a bug and is logged with its traceback.
"""

from __future__ import annotations


class ArmouryError(Exception):
    """Base of all domain errors. ``message`` and ``hint`` are already translated."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "", details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class ValidationError(ArmouryError):
    """Input that breaks a rule (a field, a row of a file, a parameter)."""

    exit_code = 3


class NotFoundError(ArmouryError):
    """A record named by the user does not exist."""

    exit_code = 4


class ConflictError(ArmouryError):
    """The action clashes with the current state (duplicate serial, weapon already issued, ...)."""

    exit_code = 5


class PermissionDenied(ArmouryError):
    """The acting user's role or facilities do not allow the action."""

    exit_code = 6


class AuthenticationError(ArmouryError):
    """Wrong user name or password, locked or disabled account."""

    exit_code = 7


class DatabaseError(ArmouryError):
    """The database cannot be opened or used: schema too new, corrupted file, server unreachable."""

    exit_code = 8
