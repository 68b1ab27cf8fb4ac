"""A normal, non-editable install carries the whole program and finds its resources."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("armoury-*.whl")
    return found


def _tracked_sources() -> set[str]:
    names: set[str] = set()
    for package in ("armoury", "ui"):
        names |= {
            str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts
        }
    for p in (ROOT / "resources").rglob("*"):
        if p.is_file() and "__pycache__" not in p.parts:
            names.add("armoury_resources/" + str(p.relative_to(ROOT / "resources")))
    return names


def test_wheel_contains_every_module_and_resource(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        contents = set(archive.namelist())
    missing = sorted(_tracked_sources() - contents)
    assert missing == [], "add the package to [tool.setuptools] packages in pyproject.toml"
    assert "armoury/migrations/script.py.mako" in contents


def test_installed_copy_finds_resources_and_creates_a_database(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import armoury, armoury.paths as p, armoury.i18n as i\n"
        "print(armoury.__file__)\n"
        "print(p.resources_dir())\n"
        "print(len(i.catalogue_files('fr')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    module_file, resources, catalogues = out.stdout.split("\n")[:3]
    assert module_file.startswith(str(target))
    assert resources.startswith(str(target)) and int(catalogues) >= 1
    db = tmp_path / "installed.sqlite3"
    init = subprocess.run(
        [sys.executable, "-m", "armoury", "--db", str(db), "init"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert init.returncode == 0, init.stderr
    assert "Created the Armoury database" in init.stdout
