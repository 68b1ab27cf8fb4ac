"""`armoury gui` starts from the command line on a new database and closes cleanly (smoke mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_gui_command_starts_on_a_new_database_and_closes(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    env = {**os.environ, "ARMOURY_SMOKE_TEST": "1", "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "armoury", "--db", str(db), "gui"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # The schema was created on the way to the first screen.
    assert db.exists() and db.stat().st_size > 0
