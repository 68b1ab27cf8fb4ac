"""All tables. Importing this package registers every model on ``Base.metadata``."""

from armoury.models import counts, inspections, labels, ledger  # noqa: F401  (register their tables)
from armoury.models.base import Base, UTCDateTime, utcnow
from armoury.models.depot import (
    Facility,
    ItemType,
    Marking,
    Person,
    Rack,
    StorageArea,
    Unit,
    Weapon,
    WeaponPhoto,
)
from armoury.models.security import User, UserFacility
from armoury.models.settings import Setting
from armoury.models.tracing import TracingRequest

__all__ = [
    "Base",
    "Facility",
    "ItemType",
    "Marking",
    "Person",
    "Rack",
    "Setting",
    "StorageArea",
    "TracingRequest",
    "UTCDateTime",
    "Unit",
    "User",
    "UserFacility",
    "Weapon",
    "WeaponPhoto",
    "utcnow",
]
