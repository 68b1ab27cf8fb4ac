"""The labels dialog and "Decode from image": preview from the same QR matrix, start position, copies,
PDF and printer output (the worker runs inline), every print logged."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from armoury.labels.payload import LabelKind, encode
from armoury.labels.render import LabelRunCancelled
from armoury.labels.resolver import depot_code, resolve
from armoury.services import labels
from ui.context import AppContext
from ui.decode_image import DecodeImageDialog, decode_image
from ui.labels_dialog import LabelsDialog, LabelSheet, open_labels_dialog, paint_page

Depot = tuple[AppContext, dict[str, int]]


def _qimage_to_pil(image: QImage) -> Image.Image:
    image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    data = bytes(image.constBits())[: image.bytesPerLine() * height]
    return Image.frombuffer("L", (width, height), data, "raw", "L", image.bytesPerLine(), 1)


def _payloads(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCodeModel2)
    return sorted(r.text for r in found if r.text.startswith("LB1"))


def _weapons(ids: dict[str, int], count: int) -> list[tuple[LabelKind, int]]:
    return [(LabelKind.WEAPON, ids[f"KX-{n:04d}"]) for n in range(1, count + 1)]


def test_preview_draws_the_same_codes_as_the_pdf(qtbot: QtBot, depot: Depot) -> None:
    context, ids = depot
    records = [*_weapons(ids, 5), (LabelKind.RACK, ids["r1"]), (LabelKind.PERSON, ids["p1"])]
    dialog = LabelsDialog(context, records)
    qtbot.addWidget(dialog)
    dialog.select_product("avery-l7163")
    # Paint the page as the preview does, large enough to decode, and read every code back.
    sheet = dialog.sheet()
    image = QImage(1240, 1754, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    paint_page(painter, sheet, 0, 1240 / 210.0, outlines=True)
    painter.end()
    assert _payloads(_qimage_to_pil(image)) == sorted(c.payload for c in dialog.contents)
    dialog.open()
    qtbot.waitExposed(dialog)
    grabbed = dialog.preview.grab().toImage()
    assert grabbed.width() > 0


def test_start_position_picker_copies_and_pages(qtbot: QtBot, depot: Depot) -> None:
    context, ids = depot
    dialog = LabelsDialog(context, _weapons(ids, 20))
    qtbot.addWidget(dialog)
    dialog.select_product("avery-l7160")
    dialog.show()
    qtbot.waitExposed(dialog)
    picker = dialog.picker
    target = picker.cell_rect(8).center()
    qtbot.mouseClick(picker, Qt.MouseButton.LeftButton, pos=QPoint(int(target.x()), int(target.y())))
    assert dialog.start.value() == 8 and picker.start() == 8
    dialog.copies.setValue(2)
    sheet = dialog.preview.sheet
    assert sheet is not None and len(sheet.items) == 40 and sheet.spots[0].position == 8
    assert sheet.page_count == 3  # 14 on the first sheet, then 21 and 5
    assert "40 labels for 20 records on 3 pages" in dialog.summary.text()
    assert not dialog.previous_page.isEnabled()
    dialog.next_page.click()
    assert dialog.preview.page == 1 and "Page 2 of 3" in dialog.page_label.text()
    dialog.start.setValue(30)  # out of range for the sheet: clamped
    assert dialog.start.value() == 21
    dialog.select_product("roll-62x29")
    assert not dialog.picker.isEnabled() and dialog.start.value() == 1


def test_save_pdf_runs_in_the_worker_and_is_logged(qtbot: QtBot, depot: Depot, tmp_path: Path) -> None:
    context, ids = depot
    records = _weapons(ids, 3)
    dialog = LabelsDialog(context, records)
    qtbot.addWidget(dialog)
    dialog.select_product("roll-50x25")
    target = tmp_path / "labels.pdf"
    dialog.choose_pdf_path = lambda: str(target)
    with qtbot.waitSignal(dialog.printed) as signal:
        dialog.pdf_button.click()
    job = signal.args[0]
    assert job.label_count == 3 and target.exists()
    document = pdfium.PdfDocument(str(target))
    assert len(document) == 3
    payload = _payloads(document[1].render(scale=203 / 72, grayscale=True).to_pil())[0]
    document.close()
    assert resolve(context.db, payload).record_id == records[1][1]
    history = labels.print_history(context.db, context.actor, LabelKind.WEAPON, records[0][1])
    assert [h.job_id for h in history] == [job.id]
    dialog.choose_pdf_path = lambda: ""  # cancelled file dialog: nothing happens
    dialog.pdf_button.click()
    assert len(labels.print_history(context.db, context.actor, LabelKind.WEAPON, records[0][1])) == 1


def test_print_to_a_printer_is_logged_and_scans(qtbot: QtBot, depot: Depot, tmp_path: Path) -> None:
    context, ids = depot
    records = [(LabelKind.RACK, ids["r1"]), (LabelKind.PERSON, ids["p2"])]
    dialog = LabelsDialog(context, records)
    qtbot.addWidget(dialog)
    dialog.select_product("avery-5160")
    opened: list[QPrinter] = []
    dialog.open_print_dialog = opened.append
    dialog.print_button.click()
    printer = opened[0]
    assert printer.pageLayout().pageSize().size(printer.pageLayout().pageSize().Unit.Millimeter).width() > 215
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setResolution(300)
    with qtbot.waitSignal(dialog.printed) as signal:
        dialog.print_to(printer)
    assert signal.args[0].destination == "printer"
    document = pdfium.PdfDocument(str(tmp_path / "printed.pdf"))
    found = _payloads(document[0].render(scale=300 / 72, grayscale=True).to_pil())
    document.close()
    assert found == sorted(c.payload for c in dialog.contents)
    assert (
        labels.print_history(context.db, context.actor, LabelKind.PERSON, ids["p2"])[0].destination
        == "printer"
    )


def test_cancelled_run_logs_nothing(qtbot: QtBot, depot: Depot, tmp_path: Path) -> None:
    context, ids = depot
    dialog = LabelsDialog(context, _weapons(ids, 30))
    qtbot.addWidget(dialog)
    dialog.select_product("roll-62x29")
    dialog._failed(LabelRunCancelled())
    assert "cancelled" in dialog.status_text
    sheet = LabelSheet(dialog.contents, dialog.current_product())
    assert sheet.page_count == 30
    assert labels.print_history(context.db, context.actor, LabelKind.WEAPON, ids["KX-0001"]) == ()


def test_no_selection_says_so(qtbot: QtBot, depot: Depot) -> None:
    context, _ids = depot
    assert open_labels_dialog(context, []) is None


def test_decode_from_image_resolves_labels_and_names_foreign_ones(
    qtbot: QtBot, depot: Depot, tmp_path: Path
) -> None:
    context, ids = depot
    code = depot_code(context.db)
    ours = labels.label_contents(context.db, context.actor, [(LabelKind.WEAPON, ids["KX-0003"])])
    foreign = encode(LabelKind.WEAPON, 5, "B9C2" if code != "B9C2" else "C9B2")
    from armoury.labels import render
    from armoury.labels.products import built_in

    pdf = tmp_path / "photo.pdf"
    other = render.LabelContent(LabelKind.WEAPON, 5, foreign, render.weapon_lines("X", "Y", "Z", "W"))
    render.render_pdf(str(pdf), [ours[0], other], built_in("avery-l7163"))
    document = pdfium.PdfDocument(str(pdf))
    photo = tmp_path / "photo.png"
    document[0].render(scale=150 / 72).to_pil().save(photo)
    document.close()
    results = decode_image(context, photo)
    assert {r.text for r in results} == {ours[0].payload, foreign}
    dialog = DecodeImageDialog(context)
    qtbot.addWidget(dialog)
    dialog.choose_image = lambda: str(photo)
    dialog.choose_button.click()
    assert "2 codes found" in dialog.message.text()
    assert dialog.open_button.isEnabled()
    with qtbot.waitSignal(dialog.targetChosen) as chosen:
        dialog.open_button.click()
    assert chosen.args[0].record_id == ids["KX-0003"]
    texts = [dialog.found.item(i).text() for i in range(dialog.found.count())]
    assert any("another depot" in t for t in texts)
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    dialog.load(not_image)
    assert "cannot be read as an image" in dialog.message.text()
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    dialog.load(blank)
    assert "No label was found" in dialog.message.text()
