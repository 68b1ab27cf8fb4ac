"""The closed lists of the domain. Values are stored in the database; labels are translated for display."""

from __future__ import annotations

import enum

from armoury.i18n import N_, SUPPORTED_LANGUAGES, _, translate_to


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry an English label marked for translation."""

    def __new__(cls, value: str, label: str = "") -> LabelledEnum:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj._label = label or value  # type: ignore[attr-defined]
        return obj

    @property
    def label(self) -> str:
        """The translated, human-readable name."""
        return _(self._label)  # type: ignore[attr-defined]

    @classmethod
    def parse(cls, text: str) -> LabelledEnum | None:
        """Find a member by value or by its label in any supported language, ignoring case, accents,
        spaces and punctuation (spreadsheets arrive in English or French whatever the user's language)."""
        wanted = _fold(text)
        if not wanted:
            return None
        for member in cls:
            english = member._label  # type: ignore[attr-defined]
            names = [member.value, english, *(translate_to(lang, english) for lang in SUPPORTED_LANGUAGES)]
            if wanted in {_fold(name) for name in names}:
                return member
        return None


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in plain if c.isalnum())


class FacilityKind(LabelledEnum):
    NATIONAL_DEPOT = "national_depot", N_("National depot")
    UNIT_ARMOURY = "unit_armoury", N_("Unit armoury")
    POLICE_ARMOURY = "police_armoury", N_("Police armoury")
    MISSION_ARMOURY = "mission_armoury", N_("Mission armoury")
    TEMPORARY_STORAGE = "temporary_storage", N_("Temporary storage")


class AreaKind(LabelledEnum):
    BUILDING = "building", N_("Building")
    ROOM = "room", N_("Room")
    CONTAINER = "container", N_("Container")
    VAULT = "vault", N_("Vault")


class RackKind(LabelledEnum):
    RIFLE_RACK = "rifle_rack", N_("Rifle rack")
    PISTOL_CABINET = "pistol_cabinet", N_("Pistol cabinet")
    SHELF = "shelf", N_("Shelf")
    SAFE = "safe", N_("Safe")
    CRATE = "crate", N_("Crate")


class Category(LabelledEnum):
    PISTOL = "pistol", N_("Pistol")
    REVOLVER = "revolver", N_("Revolver")
    RIFLE_CARBINE = "rifle_carbine", N_("Rifle / carbine")
    ASSAULT_RIFLE = "assault_rifle", N_("Assault rifle")
    SUBMACHINE_GUN = "submachine_gun", N_("Submachine gun")
    SHOTGUN = "shotgun", N_("Shotgun")
    LIGHT_MACHINE_GUN = "light_machine_gun", N_("Light machine gun")
    GENERAL_PURPOSE_MACHINE_GUN = "gp_machine_gun", N_("General-purpose machine gun")
    HEAVY_MACHINE_GUN = "heavy_machine_gun", N_("Heavy machine gun")
    GRENADE_LAUNCHER = "grenade_launcher", N_("Grenade launcher")
    ROCKET_LAUNCHER = "rocket_launcher", N_("Rocket launcher / recoilless")
    MORTAR = "mortar", N_("Mortar")
    MANPADS = "manpads", N_("MANPADS")
    OTHER = "other", N_("Other")


class Register(LabelledEnum):
    """Registers are never mixed in counts and returns."""

    NATIONAL = "national", N_("National stock")
    CONTINGENT = "contingent", N_("Contingent-owned")
    RECOVERED = "recovered", N_("Recovered / seized")
    EVIDENCE = "evidence", N_("Evidence")


class Condition(LabelledEnum):
    SERVICEABLE = "serviceable", N_("Serviceable")
    UNSERVICEABLE = "unserviceable", N_("Unserviceable")
    AWAITING_REPAIR = "awaiting_repair", N_("Awaiting repair")
    QUARANTINED = "quarantined", N_("Quarantined")
    FOR_DISPOSAL = "for_disposal", N_("For disposal")


class Whereabouts(LabelledEnum):
    """Where a weapon is. The last four are terminal: the record and its history stay forever."""

    IN_STORE = "in_store", N_("In store")
    ISSUED = "issued", N_("On issue")
    IN_TRANSIT = "in_transit", N_("In transit")
    AT_REPAIR = "at_repair", N_("At repair")
    LOST = "lost", N_("Lost")
    STOLEN = "stolen", N_("Stolen")
    DESTROYED = "destroyed", N_("Destroyed")
    TRANSFERRED_OUT = "transferred_out", N_("Transferred out")

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_WHEREABOUTS


TERMINAL_WHEREABOUTS = frozenset(
    {Whereabouts.LOST, Whereabouts.STOLEN, Whereabouts.DESTROYED, Whereabouts.TRANSFERRED_OUT}
)


class MarkingKind(LabelledEnum):
    MANUFACTURER = "manufacturer", N_("Manufacturer")
    IMPORT = "import", N_("Import")
    NATIONAL = "national", N_("National")
    UNIT = "unit", N_("Unit")
    OTHER = "other", N_("Other")


class Role(LabelledEnum):
    ADMINISTRATOR = "administrator", N_("Administrator")
    STOREKEEPER = "storekeeper", N_("Storekeeper")
    INSPECTOR = "inspector", N_("Inspector")
    COMMANDER = "commander", N_("Commander")
    AUDITOR = "auditor", N_("Auditor")
