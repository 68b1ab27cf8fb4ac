"""The custody commands through real ``armoury`` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from armoury.db import Database
from armoury.labels.payload import LabelKind, encode
from armoury.labels.resolver import depot_code
from armoury.services import custody
from armoury.services.ledger import chain_head, verify_unchecked
from tests.core.custody_world import build_world
from tests.helpers import TEST_PASSWORD


def _armoury(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, ARMOURY_PASSWORD=TEST_PASSWORD, ARMOURY_WITNESS_PASSWORD=TEST_PASSWORD, ARMOURY_LANG="en"
    )
    path = str(db.engine.url.database)
    return subprocess.run(
        [sys.executable, "-m", "armoury", "--db", path, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_issue_history_transfer_and_verify_from_the_command_line(sqlite_db: Database) -> None:
    world = build_world(sqlite_db)
    label = encode(LabelKind.WEAPON, world.weapons["AK0003"], depot_code(sqlite_db))

    issued = _json(
        _armoury(
            sqlite_db, "issue", "AK0002", label, "--to", "SN-1", "--due", "+8h",
            "--user", "store", "--witness", "store2", "--json",
        )
    )  # fmt: skip
    assert issued["operation"] == "issue" and issued["document_ref"] == f"HR-{issued['seq']:06d}"
    assert [w["serial"] for w in issued["weapons"]] == ["AK0002", "AK0003"]

    refused = _armoury(
        sqlite_db, "issue", "AK0002", "--to", "SN-2", "--long-term", "--user", "store", "--witness", "store2"
    )
    assert refused.returncode == 5
    assert "AK0002 is already issued to Sgt DIALLO (SN-1)" in refused.stderr

    moved = _armoury(
        sqlite_db, "transfer", "AK0004", "--to-facility", "ARM-B", "--user", "store", "--witness", "store2"
    )
    assert moved.returncode == 0, moved.stderr
    voucher = next(
        line.split(": ")[1] for line in moved.stdout.splitlines() if line.startswith("Transfer voucher")
    )
    accepted = _armoury(
        sqlite_db, "accept-transfer", voucher, "--rack", "RB1", "--user", "store", "--witness", "store2"
    )
    assert accepted.returncode == 0 and "Transfer accepted" in accepted.stdout

    history = _json(_armoury(sqlite_db, "history", "AK0004", "--user", "aud", "--json"))
    assert [h["operation"] for h in history] == ["take_on_charge", "transfer_dispatch", "transfer_accept"]
    assert history[-1]["to"].startswith("In store RB1")

    head = chain_head(sqlite_db)
    verified = _json(_armoury(sqlite_db, "verify", "--checkpoint", str(head), "--json"))
    assert verified["ok"] and verified["checkpoint_ok"] and verified["head"] == str(head)
    assert verified["entries"] == head.seq


def test_loss_investigation_recovery_destruction_and_correction_commands(sqlite_db: Database) -> None:
    world = build_world(sqlite_db)
    lost = _armoury(
        sqlite_db,
        "report-loss",
        "AK0005",
        "--kind",
        "stolen",
        "--details",
        "armoury break-in",
        "--user",
        "store",
    )
    assert lost.returncode == 0, lost.stderr
    incident = next(line.split()[1] for line in lost.stdout.splitlines() if line.startswith("Incident:"))
    concluded = _armoury(
        sqlite_db,
        "conclude-investigation",
        incident,
        "--conclusion",
        "theft",
        "--findings",
        "lock cut",
        "--user",
        "cmd",
    )
    assert concluded.returncode == 0, concluded.stderr
    recovered = _armoury(
        sqlite_db, "recover", "AK0005", "--rack", "R2", "--user", "store", "--witness", "store2"
    )
    assert recovered.returncode == 0 and "Quarantined" in recovered.stdout

    seized = _json(
        _armoury(
            sqlite_db, "recover", "--seized", "--type", "Kalashnikov:AK-47", "--serial", "SZ-77", "--rack", "R2",
            "--place", "Gao checkpoint", "--details", "seized from a truck", "--case", "CASE-9",
            "--user", "store", "--witness", "store2", "--json",
        )
    )  # fmt: skip
    assert seized["operation"] == "register_recovered" and seized["document_ref"] == "CASE-9"

    custody.change_condition(sqlite_db, world.store, ["AK0006"], "for_disposal")
    destroyed = _armoury(
        sqlite_db, "destroy", "AK0006", "--method", "cutting", "--certificate", "PV-2026-01",
        "--user", "cmd", "--witness", "store2", "--witness", "cmd2",
    )  # fmt: skip
    assert destroyed.returncode == 0, destroyed.stderr

    moved = _json(
        _armoury(sqlite_db, "move", "AK0002", "--rack", "R2", "--slot", "7", "--user", "store", "--json")
    )
    corrected = _armoury(sqlite_db, "correct", str(moved["seq"]), "--reason", "wrong rack", "--user", "cmd")
    assert corrected.returncode == 0 and "Correction" in corrected.stdout
    overdue = _armoury(sqlite_db, "overdue", "--user", "aud")
    assert overdue.returncode == 0 and "No weapon is overdue" in overdue.stdout
    assert verify_unchecked(sqlite_db).ok


def test_verify_command_fails_on_tampering(sqlite_db: Database) -> None:
    build_world(sqlite_db)
    with sqlite_db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER ledger_items_no_update")
        connection.exec_driver_sql("UPDATE ledger_items SET to_slot = 19 WHERE line = 2")
    result = _armoury(sqlite_db, "verify")
    assert result.returncode == 9
    assert "the first bad entry is 1" in result.stdout
