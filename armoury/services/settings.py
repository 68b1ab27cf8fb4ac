"""Settings that change behaviour, declared once with their type, default and limits.

Values live in the ``settings`` table as JSON. Reading needs no permission (the sign-in screen and the
services read them); changing one needs ``Permission.MANAGE_SETTINGS`` and is written to the audit trail.
Other areas may declare their own settings with :func:`declare` at import time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from armoury.db import Database
from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import N_, _
from armoury.models.base import utcnow
from armoury.models.settings import Setting
from armoury.paths import default_backup_dir
from armoury.security.permissions import Actor, Permission


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its key, Python type (``bool``, ``int``, ``str`` or ``list``), default and limits."""

    key: str
    kind: type
    default: Any
    label: str
    description: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None

    def parse(self, value: Any) -> Any:
        """Check ``value`` (a Python value, or text typed by a user) and return it in this setting's type."""
        if isinstance(value, str) and self.kind is not str:
            value = _from_text(self, value)
        if self.kind is bool:
            if not isinstance(value, bool):
                raise _invalid(self, value)
            return value
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _invalid(self, value)
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                raise ValidationError(
                    _("{setting} must be between {low} and {high}.").format(
                        setting=_(self.label), low=self.minimum, high=self.maximum
                    ),
                    _("Enter a whole number in that range."),
                )
            return value
        if self.kind is list:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise _invalid(self, value)
            items = sorted({v.strip() for v in value if v.strip()})
            if self.choices is not None:
                unknown = [v for v in items if v not in self.choices]
                if unknown:
                    raise ValidationError(
                        _("Unknown values for {setting}: {values}.").format(
                            setting=_(self.label), values=", ".join(unknown)
                        ),
                        _("Choose among: {choices}.").format(choices=", ".join(self.choices)),
                    )
            return items
        if not isinstance(value, str):
            raise _invalid(self, value)
        return value.strip()


def _from_text(spec: SettingSpec, value: str) -> Any:
    text = value.strip()
    if spec.kind is bool:
        folded = text.lower()
        if folded in ("true", "yes", "on", "1", "oui", "vrai"):
            return True
        if folded in ("false", "no", "off", "0", "non", "faux"):
            return False
        raise _invalid(spec, value)
    if spec.kind is int:
        try:
            return int(text)
        except ValueError:
            raise _invalid(spec, value) from None
    if spec.kind is list:
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise _invalid(spec, value) from None
        return [part for part in text.replace(";", ",").split(",")]
    return value


def _invalid(spec: SettingSpec, value: Any) -> ValidationError:
    return ValidationError(
        _("{value} is not a valid value for {setting}.").format(value=value, setting=_(spec.label)),
        _(spec.description),
    )


SETTINGS: dict[str, SettingSpec] = {}


def declare(spec: SettingSpec) -> SettingSpec:
    """Register a setting (once per key)."""
    if spec.key in SETTINGS and SETTINGS[spec.key] != spec:
        raise ValueError(f"setting {spec.key} declared twice")
    SETTINGS[spec.key] = spec
    return spec


# The actions the two-person rule can cover, with their labels. ``requires_witness`` accepts these names
# (and the permission names that mean the same: receive, destroy, recover, correct).
WITNESS_ACTIONS: dict[str, str] = {
    "issue": N_("Issue"),
    "return": N_("Return"),
    "receipt": N_("Receipt"),
    "move": N_("Move"),
    "transfer": N_("Transfer"),
    "repair": N_("Send to repair"),
    "destruction": N_("Destruction"),
    "write_off": N_("Write-off"),
    "key_handover": N_("Key handover"),
    "recovery": N_("Recovered materiel"),
    "correction": N_("Correction"),
    "close_count": N_("Closing a count"),
}
_WITNESS_ALIASES = {
    "receive": "receipt",
    "destroy": "destruction",
    "writeoff": "write_off",
    "recover": "recovery",
    "correct": "correction",
    "key_handover": "key_handover",
    "keys": "key_handover",
}
DEFAULT_WITNESS_ACTIONS = ("destruction", "issue", "key_handover", "receipt", "transfer", "write_off")

LOCKOUT_ATTEMPTS = declare(
    SettingSpec(
        "security.lockout_attempts",
        int,
        5,
        N_("Failed sign-ins before lockout"),
        N_("How many wrong passwords within the lockout window lock the account."),
        minimum=2,
        maximum=100,
    )
)
LOCKOUT_WINDOW = declare(
    SettingSpec(
        "security.lockout_window_minutes",
        int,
        15,
        N_("Lockout window (minutes)"),
        N_("Failed sign-ins are counted over this many minutes."),
        minimum=1,
        maximum=1440,
    )
)
LOCKOUT_DURATION = declare(
    SettingSpec(
        "security.lockout_minutes",
        int,
        15,
        N_("Lockout duration (minutes)"),
        N_("How long a locked account stays locked, unless an administrator unlocks it."),
        minimum=1,
        maximum=1440,
    )
)
IDLE_LOCK = declare(
    SettingSpec(
        "security.idle_lock_minutes",
        int,
        10,
        N_("Idle lock (minutes)"),
        N_("The window hides all data after this many minutes without input (at most 15)."),
        minimum=1,
        maximum=15,
    )
)
WITNESSED = declare(
    SettingSpec(
        "security.witness_actions",
        list,
        list(DEFAULT_WITNESS_ACTIONS),
        N_("Actions that need a witness"),
        N_("A second user confirms these actions with their password (two-person rule)."),
        choices=tuple(WITNESS_ACTIONS),
    )
)
BACKUP_FOLDER = declare(
    SettingSpec(
        "backup.folder",
        str,
        "",
        N_("Backup folder"),
        N_("Where automatic backups are kept; empty means the backups folder in the user's data folder."),
    )
)
BACKUP_AUTOMATIC = declare(
    SettingSpec(
        "backup.automatic",
        bool,
        True,
        N_("Automatic backup"),
        N_("Back up when the application closes, at most once a day, keeping 7 daily, 4 weekly and "
           "12 monthly copies."),
    )
)  # fmt: skip
DEMO = declare(
    SettingSpec(
        "depot.demo",
        bool,
        False,
        N_("Demo database"),
        N_("A demo database shows its demo users' passwords on the sign-in screen."),
    )
)


@dataclass(frozen=True)
class SettingValue:
    key: str
    value: Any
    default: Any
    label: str
    description: str
    is_default: bool
    updated_at: datetime | None


def _spec(key: str) -> SettingSpec:
    spec = SETTINGS.get(key)
    if spec is None:
        raise NotFoundError(
            _("There is no setting called {key}.").format(key=key),
            _("Run 'armoury settings list' to see the settings."),
        )
    return spec


def _decode(spec: SettingSpec, stored: str | None) -> Any:
    if stored is None:
        return spec.default
    try:
        return spec.parse(json.loads(stored))
    except (ValueError, ValidationError):
        # A value written by hand that no longer parses: behave as documented (the default).
        return spec.default


def get_in(session: Session, key: str) -> Any:
    """A setting's value inside an open unit of work."""
    spec = _spec(key)
    return _decode(spec, session.scalar(select(Setting.value).where(Setting.key == key)))


def get(db: Database, key: str) -> Any:
    """A setting's value (its default when never set)."""
    with db.read() as session:
        return get_in(session, key)


def list_settings(db: Database) -> list[SettingValue]:
    with db.read() as session:
        rows = {
            key: (value, updated)
            for key, value, updated in session.execute(
                select(Setting.key, Setting.value, Setting.updated_at).where(Setting.key.in_(SETTINGS))
            )
        }
    result = []
    for key in sorted(SETTINGS):
        spec = SETTINGS[key]
        row = rows.get(key)
        value = _decode(spec, row[0] if row else None)
        result.append(
            SettingValue(
                key, value, spec.default, _(spec.label), _(spec.description), value == spec.default,
                row[1] if row else None,
            )
        )  # fmt: skip
    return result


def set_value(db: Database, actor: Actor, key: str, value: Any, now: datetime | None = None) -> SettingValue:
    """Change a setting (``Permission.MANAGE_SETTINGS``); the old and new values go to the audit trail."""
    from armoury.services import audit
    from armoury.services.guard import authorize

    authorize(db, actor, Permission.MANAGE_SETTINGS)
    spec = _spec(key)
    parsed = spec.parse(value)
    moment = now or utcnow()

    def work(session: Session) -> SettingValue:
        row = session.get(Setting, key)
        old = _decode(spec, row.value if row else None)
        encoded = json.dumps(parsed, ensure_ascii=False)
        if row is None:
            session.add(Setting(key=key, value=encoded, updated_at=moment))
        else:
            row.value = encoded
            row.updated_at = moment
        if old != parsed:
            audit.record(
                session,
                actor,
                "setting_changed",
                subject=key,
                details={"old": old, "new": parsed},
                now=moment,
            )
        return SettingValue(
            key, parsed, spec.default, _(spec.label), _(spec.description), parsed == spec.default, moment
        )

    return db.run_write(work)


def set_internal(session: Session, key: str, value: Any) -> None:
    """Write a setting inside a unit of work without a permission check (demo depot, first start)."""
    spec = _spec(key)
    parsed = spec.parse(value)
    row = session.get(Setting, key)
    encoded = json.dumps(parsed, ensure_ascii=False)
    if row is None:
        session.add(Setting(key=key, value=encoded, updated_at=utcnow()))
    else:
        row.value = encoded


# Typed shortcuts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int
    window_minutes: int
    lock_minutes: int


def lockout_policy_in(session: Session) -> LockoutPolicy:
    return LockoutPolicy(
        get_in(session, LOCKOUT_ATTEMPTS.key),
        get_in(session, LOCKOUT_WINDOW.key),
        get_in(session, LOCKOUT_DURATION.key),
    )


def idle_lock_minutes(db: Database) -> int:
    return int(min(15, get(db, IDLE_LOCK.key)))


def witness_action_name(action: str) -> str:
    """The canonical name of a two-person-rule action (``ValueError`` for a name that is not one)."""
    name = action.strip().lower().replace("-", "_").replace(" ", "_")
    name = _WITNESS_ALIASES.get(name, name)
    if name not in WITNESS_ACTIONS:
        raise ValueError(f"unknown two-person-rule action {action!r}; known: {', '.join(WITNESS_ACTIONS)}")
    return name


def requires_witness(db: Database, action: str) -> bool:
    """True when the two-person rule applies to ``action`` (see :data:`WITNESS_ACTIONS`)."""
    return witness_action_name(action) in get(db, WITNESSED.key)


def requires_witness_in(session: Session, action: str) -> bool:
    return witness_action_name(action) in get_in(session, WITNESSED.key)


def backup_folder(db: Database) -> Path:
    folder = str(get(db, BACKUP_FOLDER.key))
    return Path(folder).expanduser() if folder else default_backup_dir()


def is_demo_database(db: Database) -> bool:
    """True for the demo depot (setting ``depot.demo``: JSON ``true`` or the text ``"true"``)."""
    return bool(get(db, DEMO.key))
