"""Label stock: the sheets and rolls Armoury prints on, their geometry, and where each label sits.

Dimensions are the manufacturers' published templates, in millimetres. Positions on a sheet are numbered
from 1, left to right then top to bottom, as printed on Avery's packaging. Corrections move the whole grid
(margins) or widen the pitch (gaps) for a product; a printer calibration offset moves everything printed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from armoury.errors import NotFoundError, ValidationError
from armoury.i18n import N_, _

MM = 72.0 / 25.4  # points per millimetre


@dataclass(frozen=True)
class Corrections:
    """Saved adjustments, in millimetres: margins move the grid, gaps widen the pitch, offsets move all."""

    margin_x: float = 0.0
    margin_y: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0
    offset_x: float = 0.0
    offset_y: float = 0.0

    def __post_init__(self) -> None:
        for name in ("margin_x", "margin_y", "gap_x", "gap_y", "offset_x", "offset_y"):
            value = getattr(self, name)
            if not -10.0 <= value <= 10.0:
                raise ValidationError(
                    _("The correction {name} = {value} mm is out of range.").format(name=name, value=value),
                    _("Corrections go from -10 mm to +10 mm; measure a test print again."),
                )


@dataclass(frozen=True)
class LabelProduct:
    """One kind of label stock. A roll is one label per page (the page is the label)."""

    name: str
    title: str
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    margin_left: float = 0.0
    margin_top: float = 0.0
    pitch_x: float = 0.0
    pitch_y: float = 0.0
    roll: bool = False
    #: Distance kept clear inside the label edge (rounded corners, printer tolerance), mm.
    padding: float = 1.5
    #: Resolution the QR modules are snapped to (dots per inch): 300 for sheets, 203 for thermal rolls.
    dpi: int = 300
    qr_level: str = "M"
    qr_max_version: int = 3
    custom: bool = False

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def display_title(self) -> str:
        return self.title if self.custom else _(self.title)

    def validate(self) -> None:
        """Refuse a geometry where labels would overlap or fall off the page."""
        problems = []
        if self.columns < 1 or self.rows < 1 or self.columns * self.rows > 400:
            problems.append(_("the number of columns and rows"))
        if self.label_width < 10 or self.label_height < 10:
            problems.append(_("the label size (at least 10 × 10 mm)"))
        if self.columns > 1 and self.pitch_x < self.label_width - 1e-6:
            problems.append(_("the horizontal pitch (smaller than the label width)"))
        if self.rows > 1 and self.pitch_y < self.label_height - 1e-6:
            problems.append(_("the vertical pitch (smaller than the label height)"))
        right = self.margin_left + (self.columns - 1) * self.pitch_x + self.label_width
        bottom = self.margin_top + (self.rows - 1) * self.pitch_y + self.label_height
        if self.margin_left < 0 or self.margin_top < 0 or right > self.page_width + 0.05:
            problems.append(_("the width (labels fall off the page)"))
        if bottom > self.page_height + 0.05:
            problems.append(_("the height (labels fall off the page)"))
        if problems:
            raise ValidationError(
                _("The label product {name} is not possible: check {problems}.").format(
                    name=self.name, problems=", ".join(problems)
                ),
                _("Copy the dimensions from the manufacturer's template, in millimetres."),
            )

    def cell_origin(self, position: int, corrections: Corrections = Corrections()) -> tuple[float, float]:
        """Top-left corner (mm, from the page's top-left) of label ``position`` (1-based) on a page."""
        index = position - 1
        column, row = index % self.columns, index // self.columns
        x = self.margin_left + corrections.margin_x + column * (self.pitch_x + corrections.gap_x)
        y = self.margin_top + corrections.margin_y + row * (self.pitch_y + corrections.gap_y)
        return x + corrections.offset_x, y + corrections.offset_y


@dataclass(frozen=True)
class Placement:
    """Where one label goes: page number (0-based), position on the page (1-based), top-left corner in mm."""

    page: int
    position: int
    x: float
    y: float


def placements(
    product: LabelProduct, count: int, start: int = 1, corrections: Corrections = Corrections()
) -> list[Placement]:
    """Where ``count`` labels go, starting at position ``start`` of the first (partly used) sheet."""
    if not 1 <= start <= product.per_page:
        raise ValidationError(
            _("Start position {start} does not exist on {product}.").format(
                start=start, product=product.name
            ),
            _("Choose a position from 1 to {last}.").format(last=product.per_page),
        )
    out = []
    for n in range(count):
        slot = start - 1 + n
        page, index = divmod(slot, product.per_page)
        x, y = product.cell_origin(index + 1, corrections)
        out.append(Placement(page=page, position=index + 1, x=x, y=y))
    return out


def _sheet(
    name: str,
    title: str,
    page: tuple[float, float],
    grid: tuple[int, int],
    label: tuple[float, float],
    margins: tuple[float, float],
    pitch: tuple[float, float],
    level: str = "M",
) -> LabelProduct:
    return LabelProduct(
        name=name,
        title=title,
        page_width=page[0],
        page_height=page[1],
        columns=grid[0],
        rows=grid[1],
        label_width=label[0],
        label_height=label[1],
        margin_left=margins[0],
        margin_top=margins[1],
        pitch_x=pitch[0],
        pitch_y=pitch[1],
        qr_level=level,
    )


def _roll(name: str, title: str, width: float, height: float, level: str = "M") -> LabelProduct:
    return LabelProduct(
        name=name,
        title=title,
        page_width=width,
        page_height=height,
        columns=1,
        rows=1,
        label_width=width,
        label_height=height,
        pitch_x=width,
        pitch_y=height,
        roll=True,
        dpi=203,
        qr_level=level,
    )


A4 = (210.0, 297.0)
LETTER = (215.9, 279.4)

BUILT_IN: tuple[LabelProduct, ...] = (
    # Avery L7160: 63.5 × 38.1 mm, 3 × 7, top margin 15.15, side margin 7.25, horizontal gap 2.54.
    _sheet("avery-l7160", N_("Avery L7160 (A4, 21 labels 63.5 × 38.1 mm)"), A4, (3, 7), (63.5, 38.1),
           (7.25, 15.15), (66.04, 38.1), "Q"),
    # Avery L7163: 99.1 × 38.1 mm, 2 × 7, top 15.15, side 4.65, gap 2.5.
    _sheet("avery-l7163", N_("Avery L7163 (A4, 14 labels 99.1 × 38.1 mm)"), A4, (2, 7), (99.1, 38.1),
           (4.65, 15.15), (101.6, 38.1), "Q"),
    # Avery L7651: 38.1 × 21.2 mm, 5 × 13, top 10.7, side 4.75, gap 2.5.
    _sheet("avery-l7651", N_("Avery L7651 (A4, 65 labels 38.1 × 21.2 mm)"), A4, (5, 13), (38.1, 21.2),
           (4.75, 10.7), (40.6, 21.2)),
    # Avery 5160: 2 5/8 × 1 in, 3 × 10 on US Letter, top 0.5 in, side 3/16 in, gap 1/8 in.
    _sheet("avery-5160", N_("Avery 5160 (US Letter, 30 labels 66.7 × 25.4 mm)"), LETTER, (3, 10),
           (66.675, 25.4), (4.7625, 12.7), (69.85, 25.4)),
    _roll("roll-50x25", N_("Thermal roll 50 × 25 mm"), 50.0, 25.0),
    _roll("roll-62x29", N_("Thermal roll 62 × 29 mm"), 62.0, 29.0),
    _roll("roll-100x50", N_("Thermal roll 100 × 50 mm"), 100.0, 50.0, "Q"),
)  # fmt: skip

BUILT_IN_NAMES = tuple(p.name for p in BUILT_IN)


def built_in(name: str) -> LabelProduct:
    """The built-in product called ``name``, or NotFoundError listing the names."""
    for product in BUILT_IN:
        if product.name == name:
            return product
    raise NotFoundError(
        _("There is no label product called {name}.").format(name=name),
        _("Known products: {names}. Run 'armoury labels products' to list custom ones too.").format(
            names=", ".join(BUILT_IN_NAMES)
        ),
    )


def custom_product(
    name: str,
    title: str,
    page: tuple[float, float],
    grid: tuple[int, int],
    label: tuple[float, float],
    margins: tuple[float, float],
    pitch: tuple[float, float],
) -> LabelProduct:
    """A user-defined sheet product, checked for a possible geometry."""
    clean = name.strip().lower()
    if not clean or clean in BUILT_IN_NAMES or not all(c.isalnum() or c in "-_" for c in clean):
        raise ValidationError(
            _("The product name {name} cannot be used.").format(name=name),
            _("Use letters, digits, '-' and '_', different from the built-in product names."),
        )
    product = replace(
        _sheet(clean, title.strip() or clean, page, grid, label, margins, pitch),
        custom=True,
        qr_level="M",
    )
    product.validate()
    return product
