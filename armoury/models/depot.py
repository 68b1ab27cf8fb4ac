"""The depot: facilities, storage areas, racks, the item-type catalogue, weapons, markings, photos, people."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from armoury.domain.enums import (
    AreaKind,
    Category,
    Condition,
    FacilityKind,
    MarkingKind,
    RackKind,
    Register,
    Whereabouts,
)
from armoury.models.base import Base, UTCDateTime, str_enum, utcnow


class Facility(Base):
    """A site that keeps weapons: a depot, an armoury, a temporary store."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FacilityKind] = mapped_column(str_enum(FacilityKind, "facility_kind"))
    country: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    areas: Mapped[list[StorageArea]] = relationship(back_populates="facility", order_by="StorageArea.code")

    __table_args__ = (
        CheckConstraint("code <> ''", name="code_not_empty"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
    )


class StorageArea(Base):
    """A building, room, container or vault of a facility."""

    __tablename__ = "storage_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AreaKind] = mapped_column(str_enum(AreaKind, "area_kind"), default=AreaKind.ROOM)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    facility: Mapped[Facility] = relationship(back_populates="areas")
    racks: Mapped[list[Rack]] = relationship(back_populates="area", order_by="Rack.code")

    __table_args__ = (
        UniqueConstraint("facility_id", "code"),
        # Lets racks prove by foreign key that their area belongs to their facility.
        UniqueConstraint("id", "facility_id", name="uq_storage_areas_id_facility"),
        CheckConstraint("code <> ''", name="code_not_empty"),
    )


class Rack(Base):
    """A rack, cabinet, shelf or safe with numbered slots. Rack codes are unique within a facility."""

    __tablename__ = "racks"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"))
    area_id: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[RackKind] = mapped_column(str_enum(RackKind, "rack_kind"), default=RackKind.RIFLE_RACK)
    slots: Mapped[int] = mapped_column(Integer, default=0)
    lock_ref: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    area: Mapped[StorageArea] = relationship(back_populates="racks", foreign_keys=[area_id])

    __table_args__ = (
        ForeignKeyConstraint(
            ["area_id", "facility_id"],
            ["storage_areas.id", "storage_areas.facility_id"],
            name="fk_racks_area_facility",
            ondelete="RESTRICT",
        ),
        UniqueConstraint("facility_id", "code"),
        CheckConstraint("code <> ''", name="code_not_empty"),
        CheckConstraint("slots >= 0 AND slots <= 10000", name="slots_range"),
        Index("ix_racks_area_id", "area_id"),
    )


class ItemType(Base):
    """A make and model in the catalogue. Unique per manufacturer and model (compared by normalized keys)."""

    __tablename__ = "item_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(str_enum(Category, "category"))
    manufacturer: Mapped[str] = mapped_column(String(120))
    model: Mapped[str] = mapped_column(String(120))
    manufacturer_key: Mapped[str] = mapped_column(String(120))
    model_key: Mapped[str] = mapped_column(String(120))
    calibre: Mapped[str] = mapped_column(String(60), default="")
    country: Mapped[str] = mapped_column(String(80), default="")

    __table_args__ = (
        UniqueConstraint("manufacturer_key", "model_key"),
        CheckConstraint("manufacturer <> '' AND model <> ''", name="names_not_empty"),
    )

    @property
    def display_name(self) -> str:
        return f"{self.manufacturer} {self.model}"


class Unit(Base):
    """A military or police unit; a contingent's unit carries its contributing country."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(80), default="")

    __table_args__ = (CheckConstraint("code <> ''", name="code_not_empty"),)


class Person(Base):
    """Someone on the roster who can hold a weapon or a key. Not a login user."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_number: Mapped[str] = mapped_column(String(40), unique=True)
    surname: Mapped[str] = mapped_column(String(120))
    given_names: Mapped[str] = mapped_column(String(200), default="")
    rank: Mapped[str] = mapped_column(String(60), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    qualifications: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit: Mapped[Unit | None] = relationship()

    __table_args__ = (
        CheckConstraint("service_number <> ''", name="service_number_not_empty"),
        CheckConstraint("surname <> ''", name="surname_not_empty"),
    )

    @property
    def display_name(self) -> str:
        parts = [self.rank, self.surname.upper(), self.given_names]
        return " ".join(p for p in parts if p)


class Weapon(Base):
    """A serialized weapon. Where it is and what condition it is in are two separate fields.

    The current state (whereabouts, rack, slot, holder, condition) is kept in step with the custody ledger
    by the services, in the same transaction as the ledger entry that changes it.
    """

    __tablename__ = "weapons"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type_id: Mapped[int] = mapped_column(ForeignKey("item_types.id", ondelete="RESTRICT"))
    serial: Mapped[str] = mapped_column(String(80))
    serial_key: Mapped[str] = mapped_column(String(80))
    serial_skeleton: Mapped[str] = mapped_column(String(80), index=True)
    year_of_manufacture: Mapped[int | None] = mapped_column(Integer)

    register: Mapped[Register] = mapped_column(str_enum(Register, "register"), default=Register.NATIONAL)
    contingent_country: Mapped[str] = mapped_column(String(80), default="")
    contingent_unit: Mapped[str] = mapped_column(String(200), default="")
    recovered_on: Mapped[date | None] = mapped_column(Date)
    recovered_place: Mapped[str] = mapped_column(String(200), default="")
    recovered_circumstances: Mapped[str] = mapped_column(Text, default="")
    recovering_unit: Mapped[str] = mapped_column(String(200), default="")
    case_reference: Mapped[str] = mapped_column(String(80), default="")

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"), index=True)
    whereabouts: Mapped[Whereabouts] = mapped_column(
        str_enum(Whereabouts, "whereabouts"), default=Whereabouts.IN_STORE
    )
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("racks.id", ondelete="RESTRICT"))
    slot: Mapped[int | None] = mapped_column(Integer)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    condition: Mapped[Condition] = mapped_column(
        str_enum(Condition, "condition"), default=Condition.SERVICEABLE
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item_type: Mapped[ItemType] = relationship()
    rack: Mapped[Rack | None] = relationship()
    holder: Mapped[Person | None] = relationship()
    facility: Mapped[Facility] = relationship()
    markings: Mapped[list[Marking]] = relationship(
        back_populates="weapon", cascade="all, delete-orphan", order_by="Marking.id"
    )
    photos: Mapped[list[WeaponPhoto]] = relationship(
        back_populates="weapon", cascade="all, delete-orphan", order_by="WeaponPhoto.id"
    )

    __table_args__ = (
        UniqueConstraint("item_type_id", "serial_key"),
        CheckConstraint("serial_key <> ''", name="serial_not_empty"),
        CheckConstraint(
            "year_of_manufacture IS NULL OR (year_of_manufacture BETWEEN 1800 AND 2200)", name="year_range"
        ),
        CheckConstraint("slot IS NULL OR slot >= 1", name="slot_positive"),
        CheckConstraint("slot IS NULL OR rack_id IS NOT NULL", name="slot_needs_rack"),
        CheckConstraint("whereabouts <> 'in_store' OR rack_id IS NOT NULL", name="in_store_on_rack"),
        CheckConstraint("whereabouts <> 'issued' OR holder_id IS NOT NULL", name="issued_has_holder"),
        CheckConstraint("whereabouts = 'issued' OR holder_id IS NULL", name="holder_only_when_issued"),
        CheckConstraint(
            "register <> 'contingent' OR contingent_country <> ''", name="contingent_has_country"
        ),
        # One weapon per numbered slot.
        Index(
            "uq_weapons_rack_slot",
            "rack_id",
            "slot",
            unique=True,
            sqlite_where=text("slot IS NOT NULL"),
            postgresql_where=text("slot IS NOT NULL"),
        ),
        Index("ix_weapons_serial_key", "serial_key"),
        # Covers "how many weapons per rack / status" for the location tree and the returns.
        Index("ix_weapons_rack_whereabouts", "rack_id", "whereabouts"),
        # Covers the books of a facility by place, register and item type (returns, counts, the tree).
        Index("ix_weapons_books", "facility_id", "whereabouts", "register", "item_type_id"),
        # Lets the returns map ledger items to item types from the index alone.
        Index("ix_weapons_id_type", "id", "item_type_id"),
    )


class Marking(Base):
    """A marking on a weapon: where it is, what it says, and what kind it is."""

    __tablename__ = "markings"

    id: Mapped[int] = mapped_column(primary_key=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MarkingKind] = mapped_column(str_enum(MarkingKind, "marking_kind"))
    position: Mapped[str] = mapped_column(String(120), default="")
    transcription: Mapped[str] = mapped_column(String(200))
    import_country: Mapped[str] = mapped_column(String(80), default="")
    import_year: Mapped[int | None] = mapped_column(Integer)

    weapon: Mapped[Weapon] = relationship(back_populates="markings")

    __table_args__ = (
        CheckConstraint("transcription <> ''", name="transcription_not_empty"),
        CheckConstraint(
            "import_year IS NULL OR (import_year BETWEEN 1800 AND 2200)", name="import_year_range"
        ),
    )


class WeaponPhoto(Base):
    """A photo of a weapon or of one of its markings, identified by the SHA-256 of its bytes."""

    __tablename__ = "weapon_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    weapon: Mapped[Weapon] = relationship(back_populates="photos")

    __table_args__ = (
        UniqueConstraint("weapon_id", "sha256"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )
