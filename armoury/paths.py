"""Where Armoury finds its bundled resources and keeps the user's data."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import platformdirs

APP_NAME = "Armoury"


@cache
def resources_dir() -> Path:
    """The bundled ``resources/`` folder (icons, translations, checklists, fonts), installed or not."""
    try:
        from importlib.resources import files

        candidate = Path(str(files("armoury_resources")))
        if (candidate / "locale").is_dir():
            return candidate
    except (ImportError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "resources"


def data_dir() -> Path:
    """The user's data folder; ``ARMOURY_DATA_DIR`` overrides it (tests, portable installs)."""
    override = os.environ.get("ARMOURY_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_path() -> Path:
    return data_dir() / "armoury.sqlite3"


def default_backup_dir() -> Path:
    return data_dir() / "backups"
