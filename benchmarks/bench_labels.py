"""Labels per second for an N-weapon label PDF, and the ratio to a bare baseline measured in the same run.

* ``labels``: armoury.labels.render.render_pdf of N weapon labels on Avery L7160 (QR matrices, layout with
  fitted text in the bundled TTF font, vector QR, PDF written to memory).
* ``end-to-end``: armoury.services.labels.write_pdf from an SQLite depot of N weapons (reading the records,
  building the payloads, rendering, logging the print, writing the file).
* ``baseline``: the same N QR matrices computed with ``qrcode`` (same text, level, quiet zone, mask) and
  drawn as one ``canvas.rect`` per run of dark modules on a bare ReportLab canvas at the same positions,
  no text, PDF written to memory.

Goals (issue 6): >= 300 labels/s, and labels <= 1.5x baseline. Usage: ``python benchmarks/bench_labels.py
[N] [--repeat R]``; prints medians.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qrcode
import qrcode.util
from qrcode.constants import ERROR_CORRECT_Q
from reportlab.pdfgen.canvas import Canvas

from armoury.labels import render
from armoury.labels.payload import LabelKind, encode
from armoury.labels.products import MM, built_in, placements
from armoury.labels.qr import MASK_PATTERN, QUIET_ZONE

PRODUCT = "avery-l7160"


def contents(n: int) -> list[render.LabelContent]:
    return [
        render.LabelContent(
            LabelKind.WEAPON,
            i,
            encode(LabelKind.WEAPON, i, "K3XB"),
            render.weapon_lines(f"KA-{i:07d}", "Kalashnikov Concern AKM", "7.62×39 mm", "DEP-CENTRAL · K3XB"),
        )
        for i in range(1, n + 1)
    ]


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def _clock() -> Timing:
    return time.perf_counter(), time.process_time()


def _since(start: Timing) -> Timing:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def run_labels(items: list[render.LabelContent]) -> Timing:
    start = _clock()
    render.render_pdf(io.BytesIO(), items, built_in(PRODUCT))
    return _since(start)


def run_baseline(items: list[render.LabelContent]) -> Timing:
    product = built_in(PRODUCT)
    start = _clock()
    spots = placements(product, len(items))
    canvas = Canvas(io.BytesIO(), pagesize=(product.page_width * MM, product.page_height * MM))
    page = 0
    side = 30.0 * MM
    for item, spot in zip(items, spots, strict=True):
        if spot.page != page:
            canvas.showPage()
            page = spot.page
        code = qrcode.QRCode(
            version=2, error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE, mask_pattern=MASK_PATTERN
        )
        code.add_data(qrcode.util.QRData(item.payload, mode=qrcode.util.MODE_ALPHA_NUM), optimize=0)
        code.make(fit=False)
        matrix = code.get_matrix()
        module = side / len(matrix)
        x0 = (spot.x + 1.5) * MM
        y_top = (product.page_height - spot.y - 1.5) * MM
        for r, row in enumerate(matrix):
            c = 0
            while c < len(row):
                if row[c]:
                    first = c
                    while c < len(row) and row[c]:
                        c += 1
                    canvas.rect(x0 + first * module, y_top - (r + 1) * module, (c - first) * module, module,
                                stroke=0, fill=1)  # fmt: skip
                else:
                    c += 1
    canvas.showPage()
    canvas.save()
    return _since(start)


def run_end_to_end(n: int) -> Timing:
    from sqlalchemy import insert

    from armoury.db import Database
    from armoury.db.engine import make_engine
    from armoury.db.schema import init_database
    from armoury.domain.enums import Category, FacilityKind, Whereabouts
    from armoury.models import Facility, ItemType, Rack, StorageArea, Weapon
    from armoury.security.permissions import SYSTEM_ACTOR
    from armoury.services import labels

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        engine = make_engine(url)
        init_database(engine)
        engine.dispose()
        db = Database(url)
        with db.write() as session:
            facility = Facility(code="DEP", name="Depot", kind=FacilityKind.NATIONAL_DEPOT)
            session.add(facility)
            session.flush()
            area = StorageArea(facility_id=facility.id, code="B1", name="Building")
            session.add(area)
            session.flush()
            rack = Rack(facility_id=facility.id, area_id=area.id, code="R1", name="Rack")
            kind = ItemType(category=Category.ASSAULT_RIFLE, manufacturer="Kalashnikov Concern", model="AKM",
                            manufacturer_key="k", model_key="akm", calibre="7.62×39 mm")  # fmt: skip
            session.add_all([rack, kind])
            session.flush()
            session.execute(
                insert(Weapon),
                [
                    {
                        "item_type_id": kind.id,
                        "serial": f"KA-{i:07d}",
                        "serial_key": f"ka{i:07d}",
                        "serial_skeleton": f"ka{i:07d}",
                        "facility_id": facility.id,
                        "whereabouts": Whereabouts.IN_STORE,
                        "rack_id": rack.id,
                    }
                    for i in range(n)
                ],
            )
        records = labels.select_records(db, SYSTEM_ACTOR, "DEP")
        start = _clock()
        labels.write_pdf(db, SYSTEM_ACTOR, records, built_in(PRODUCT), Path(folder) / "labels.pdf")
        elapsed = _since(start)
        db.dispose()
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", type=int, nargs="?", default=1000, help="number of weapon labels")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    items = contents(args.size)
    render.register_fonts()
    run_labels(items[:50])  # warm up fonts and caches
    ours, bare = [], []
    for _i in range(args.repeat):  # interleaved, so machine noise hits both alike
        ours.append(run_labels(items))
        bare.append(run_baseline(items))
    whole = [run_end_to_end(args.size) for _i in range(max(1, args.repeat // 2))]
    n = args.size

    def line(name: str, runs: list[Timing], goal: str = "") -> tuple[float, float]:
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"{name:<11} median {wall:.3f} s wall = {n / wall:,.0f} labels/s; "
              f"{cpu:.3f} s CPU = {n / cpu:,.0f} labels/s {goal}")  # fmt: skip
        return wall, cpu

    print(f"{n} weapon labels on {PRODUCT}, {args.repeat} runs")
    ours_wall, ours_cpu = line("labels", ours, "(goal >= 300)")
    bare_wall, bare_cpu = line("baseline", bare)
    print(
        f"ratio       labels / baseline = {ours_wall / bare_wall:.2f} wall, {ours_cpu / bare_cpu:.2f} CPU (goal <= 1.5)"
    )
    line("end-to-end", whole)


if __name__ == "__main__":
    main()
