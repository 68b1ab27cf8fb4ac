"""Password rules and hashing (Argon2id).

Rules: at least 10 characters, not the user name (nor containing it), not in the bundled list of common
passwords (resources/common-passwords.txt, compared without regard to case). Hashes use Argon2id with
argon2-cffi's RFC 9106 low-memory profile (t=3, 64 MiB, p=4), above OWASP's minimum (t=2, 19 MiB, p=1);
a hash made with weaker parameters is replaced at the next successful sign-in.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type

from armoury.errors import ValidationError
from armoury.i18n import _
from armoury.paths import resources_dir

MIN_LENGTH = 10
MAX_LENGTH = 256

# OWASP Password Storage Cheat Sheet, Argon2id minimum: m=19 MiB, t=2, p=1.
OWASP_MINIMUM = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}

HASHER = PasswordHasher(
    time_cost=3, memory_cost=64 * 1024, parallelism=4, hash_len=32, salt_len=16, type=Type.ID
)


@cache
def common_passwords() -> frozenset[str]:
    path = resources_dir() / "common-passwords.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return frozenset()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, username: str = "") -> list[str]:
    """Every rule ``password`` breaks, as translated sentences (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("The password must have at least {count} characters.").format(count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("The password must have at most {count} characters.").format(count=MAX_LENGTH))
    name = username.strip().casefold()
    if name and name in password.casefold():
        problems.append(_("The password must not contain the user name."))
    if password.casefold() in common_passwords() or password.strip().casefold() in common_passwords():
        problems.append(_("This password is in the list of common passwords that attackers try first."))
    return problems


def check_password(password: str, username: str = "") -> None:
    """Raise :class:`ValidationError` unless ``password`` follows the rules."""
    problems = password_problems(password, username)
    if problems:
        raise ValidationError(
            " ".join(problems),
            _("Choose a longer password that is not a common word or pattern, for example a short sentence."),
        )


def hash_password(password: str) -> str:
    return str(HASHER.hash(password))
