"""The report centre: generate in the worker, preview the pages, save, export and print (audited)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from armoury.db import Database
from armoury.services.audit import list_events
from tests.core.test_reports_world import run_month
from ui.report_centre import ReportCentre
from ui.worker import Task


def test_generate_preview_save_export_print(qtbot: QtBot, sqlite_db: Database, tmp_path: Path) -> None:
    Task.inline = True
    try:
        world, start, _end, *_rest = run_month(sqlite_db, seed=30, month_ops=20, after_ops=0)
        centre = ReportCentre(sqlite_db, world.actor, facility_codes=["F1", "F2"])
        qtbot.addWidget(centre)
        centre.select_report("monthly-return")
        assert set(centre.fields) == {"facility", "month", "start", "end"}
        centre.set_value("facility", "F2")
        centre.set_value("month", start.strftime("%Y-%m"))
        with qtbot.waitSignal(centre.generated, timeout=60_000):
            centre.generate()
        assert centre.generated_report is not None and len(centre.generated_report.pages) >= 1
        assert centre.pages_layout.count() == 1 + len(centre.generated_report.pages)
        assert centre.print_button.isEnabled()

        pdf = tmp_path / "return.pdf"
        centre.save_pdf(pdf)
        assert pdf.read_bytes() == centre.generated_report.pdf
        out = tmp_path / "return.json"
        centre.export(out, "json")
        assert json.loads(out.read_text(encoding="utf-8"))["facility"]["code"] == "F2"

        printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printed = tmp_path / "printed.pdf"
        printer.setOutputFileName(str(printed))
        centre.print_to(printer)
        assert printed.read_bytes().startswith(b"%PDF")

        actions = [e.action for e in list_events(sqlite_db, world.actor)]
        assert actions.count("report_printed") >= 2 and "export" in actions

        # A wrong parameter is reported, nothing is shown.
        centre.select_report("hand-receipt")
        centre.set_value("document", "HR-404")
        centre.generate()  # the worker runs inline in tests: the error is shown at once
        assert "HR-404" in centre.status.text()
        assert centre.generate_button.isEnabled()
    finally:
        Task.inline = False


def test_menu_actions_open_the_centre_on_the_selected_facility(qtbot: QtBot, sqlite_db: Database) -> None:
    from PySide6.QtWidgets import QMainWindow

    from ui.context import AppContext
    from ui.report_centre import install_report_actions

    world, *_rest = run_month(sqlite_db, seed=31, before_ops=2, month_ops=2, after_ops=0)

    class Window(QMainWindow):
        def __init__(self) -> None:
            super().__init__()
            self.context = AppContext(sqlite_db, world.actor)
            self.added: list[tuple[str, object]] = []

        def add_action(self, menu: str, action: object) -> None:
            self.added.append((menu, action))

        def current_node(self) -> tuple[str, int]:
            return ("facility", world.facilities[1])

    window = Window()
    qtbot.addWidget(window)
    actions = install_report_actions(window)
    assert [menu for menu, _a in window.added] == ["reports", "reports"]
    actions["monthly"].trigger()
    centre = window.report_centre  # type: ignore[attr-defined]
    assert centre.spec.name == "monthly-return"
    assert centre.value("facility") == "F2" and len(centre.value("month")) == 7
    actions["centre"].trigger()
    assert window.report_centre is centre  # type: ignore[attr-defined]
    centre.close()
