"""Label sheets and rolls: every QR decodes back to its record; every label and line stays in its cell."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
import zxingcpp

from armoury.db import Database
from armoury.errors import ValidationError
from armoury.labels import render
from armoury.labels.payload import LabelKind, encode
from armoury.labels.products import BUILT_IN, MM, Corrections, LabelProduct, built_in, placements
from armoury.labels.qr import QUIET_ZONE, build_matrix
from armoury.labels.render import LabelContent, TextSpec, layout_label, render_pdf
from armoury.labels.resolver import resolve
from armoury.security.permissions import SYSTEM_ACTOR
from armoury.services import labels
from tests.core.test_labels_depot import LONG_NAMES, build_depot

ROLL_LABELS = 6


def _rasterize(pdf_bytes: bytes, dpi: int) -> list[object]:
    document = pdfium.PdfDocument(pdf_bytes)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


def _decode(image: object) -> list[str]:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCodeModel2)
    return [r.text for r in found if r.text.startswith("LB1")]


@pytest.mark.parametrize("product", BUILT_IN, ids=lambda p: p.name)
def test_full_sheet_or_roll_decodes_and_resolves_to_each_record(
    sqlite_db: Database, product: LabelProduct
) -> None:
    depot = build_depot(sqlite_db, weapons=70, people=6)
    count = ROLL_LABELS if product.roll else product.per_page
    records = depot.records()
    chosen = (records * 2)[:count]
    contents = labels.label_contents(sqlite_db, SYSTEM_ACTOR, chosen)
    buffer = io.BytesIO()
    pages = render_pdf(buffer, contents, product)
    assert pages == (count if product.roll else 1)
    images = _rasterize(buffer.getvalue(), 203 if product.roll else 300)
    decoded: list[str] = []
    for image in images:
        decoded += _decode(image)
    assert sorted(decoded) == sorted(c.payload for c in contents)  # 100 %, nothing extra
    for content in contents:
        target = resolve(sqlite_db, content.payload)
        assert (target.kind, target.record_id) == (content.kind, content.record_id)


def test_start_position_and_copies_fill_the_rest_of_a_used_sheet() -> None:
    product = built_in("avery-l7160")
    spots = placements(product, 5, start=19)
    assert [(s.page, s.position) for s in spots] == [(0, 19), (0, 20), (0, 21), (1, 1), (1, 2)]
    with pytest.raises(ValidationError, match="Start position 22"):
        placements(product, 1, start=22)
    contents = [_content(LabelKind.WEAPON, i, "SER-1", "Make Model", "5.56", "DEP") for i in (1, 2)]
    buffer = io.BytesIO()
    assert render_pdf(buffer, contents, product, start=20, copies=2) == 2
    first, second = _rasterize(buffer.getvalue(), 300)
    assert len(_decode(first)) == 2 and len(_decode(second)) == 2


def test_corrections_and_calibration_move_the_labels() -> None:
    product = built_in("avery-l7163")
    plain = product.cell_origin(4)
    moved = product.cell_origin(4, Corrections(margin_x=1.0, gap_y=0.5, offset_x=-0.25, offset_y=2.0))
    assert moved[0] == pytest.approx(plain[0] + 0.75)
    assert moved[1] == pytest.approx(plain[1] + 0.5 + 2.0)  # position 4 is on the second row
    with pytest.raises(ValidationError, match="out of range"):
        Corrections(gap_x=11.0)


def _content(kind: LabelKind, record_id: int, *lines: str) -> LabelContent:
    specs = render.weapon_lines(*lines) if kind is LabelKind.WEAPON else render.place_lines(*lines)
    return LabelContent(kind, record_id, encode(kind, record_id, "K3XB"), specs)


@pytest.mark.parametrize("product", BUILT_IN, ids=lambda p: p.name)
def test_layout_stays_inside_the_cell_and_never_overflows(product: LabelProduct) -> None:
    long_text = " ".join(LONG_NAMES)
    cases = [
        _content(LabelKind.WEAPON, 7, "AK", "FN", "9 mm", "D"),
        _content(LabelKind.WEAPON, 8, long_text, long_text, long_text, long_text),
        _content(LabelKind.RACK, 9, "W" * 60, LONG_NAMES[2], LONG_NAMES[3]),
        LabelContent(LabelKind.PERSON, 3, encode(LabelKind.PERSON, 3, "K3XB"),
                     render.person_lines(LONG_NAMES[0], "Adjudant-chef major", "SN-000001")),
    ]  # fmt: skip
    for content in cases:
        layout = layout_label(content, product)
        pad = product.padding
        assert pad - 1e-6 <= layout.qr_x and layout.qr_x + layout.qr_side <= layout.width - pad
        assert pad - 1e-6 <= layout.qr_y and layout.qr_y + layout.qr_side <= layout.height - pad + 1e-6
        assert layout.qr.size == layout.qr.version * 4 + 17 + 2 * QUIET_ZONE
        x, y, w, h = layout.text_box
        assert x >= layout.qr_x + layout.qr_side  # text never in the quiet zone
        assert layout.lines, "the most important line is always printed"
        for line in layout.lines:
            assert line.size >= render.MIN_FONT_SIZE
            measured = render.pdfmetrics.stringWidth(line.text, line.font, line.size) / MM
            assert line.x >= x and line.x + measured <= x + w + 1e-6, line
            assert line.top >= y - 1e-6 and line.bottom <= y + h + 1e-6, line
        assert layout.lines[0].text.startswith(content.lines[0].text[:1])
    # Every cell of the product is on the page.
    for spot in placements(product, product.per_page):
        assert spot.x >= 0 and spot.x + product.label_width <= product.page_width + 0.05
        assert spot.y >= 0 and spot.y + product.label_height <= product.page_height + 0.05


def test_drawn_text_stays_inside_its_cell_in_the_pdf() -> None:
    """An independent check: read back every character's box from the PDF and find its cell."""
    product = built_in("avery-l7651")
    long_text = " ".join(LONG_NAMES)
    contents = [_content(LabelKind.WEAPON, i + 1, long_text, long_text, "7.62×39", "DEP") for i in range(65)]
    buffer = io.BytesIO()
    render_pdf(buffer, contents, product)
    document = pdfium.PdfDocument(buffer.getvalue())
    text_page = document[0].get_textpage()
    cells = [
        (s.x * MM, (product.page_height - s.y - product.label_height) * MM,
         (s.x + product.label_width) * MM, (product.page_height - s.y) * MM)
        for s in placements(product, product.per_page)
    ]  # fmt: skip
    count = text_page.count_chars()
    assert count > 65 * 10
    for i in range(count):
        left, bottom, right, top = text_page.get_charbox(i)
        if right - left <= 0:
            continue  # spaces
        assert any(
            c[0] - 0.01 <= left and right <= c[2] + 0.01 and c[1] - 0.01 <= bottom and top <= c[3] + 0.01
            for c in cells
        ), (i, left, bottom, right, top)
    document.close()


def test_shrink_then_ellipsis() -> None:
    render.register_fonts()
    text, size = render.fit_text("Short", render.FONT, 10, 50)
    assert (text, size) == ("Short", 10)
    text, size = render.fit_text("A fairly long line of text", render.FONT, 10, 30)
    assert text == "A fairly long line of text" and size < 10
    text, size = render.fit_text("W" * 200, render.FONT_BOLD, 10, 20)
    assert text.endswith(render.ELLIPSIS) and size == render.MIN_FONT_SIZE
    assert render.pdfmetrics.stringWidth(text, render.FONT_BOLD, size) / MM <= 20


def test_content_too_long_for_the_qr_size_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="too long for a QR code"):
        build_matrix("X" * 200, max_version=2)
    matrix = build_matrix(encode(LabelKind.WEAPON, 1, "K3XB"), max_version=1)
    assert matrix.version == 1
    # Runs cover exactly the dark modules.
    dark = sum(sum(row) for row in matrix.rows)
    assert sum(length for _r, _c, length in matrix.runs()) == dark
    assert not any(matrix.rows[0]) and not any(row[0] for row in matrix.rows)  # quiet zone


def test_any_name_prints_with_the_bundled_font() -> None:
    regular, bold = render.register_fonts()
    face = render.pdfmetrics.getFont(regular).face
    for char in "ễŁКж№×é":
        assert ord(char) in face.charToGlyph, char
    assert bold == render.FONT_BOLD


def test_outline_test_print_and_cancel() -> None:
    product = built_in("roll-62x29")
    contents = [_content(LabelKind.RACK, i, f"R-{i}", "Rack", "Area") for i in range(1, 121)]
    seen: list[int] = []

    def progress(done: int, total: int) -> bool:
        seen.append(done)
        return done < 100

    with pytest.raises(render.LabelRunCancelled):
        render_pdf(io.BytesIO(), contents, product, progress=progress, outlines=True)
    assert seen == [50, 100]
    with pytest.raises(ValidationError):
        render_pdf(io.BytesIO(), contents, product, copies=0)


def test_every_line_keeps_its_priority_when_space_runs_out() -> None:
    product = built_in("avery-l7651")
    specs = tuple(TextSpec(f"line {i}", 9) for i in range(12))
    layout = layout_label(LabelContent(LabelKind.KEY, 1, encode(LabelKind.KEY, 1, "K3XB"), specs), product)
    texts = [line.text for line in layout.lines]
    assert texts == [f"line {i}" for i in range(len(texts))] and 0 < len(texts) < 12
