"""Checklist templates as data: the JSON format, its validation, and the built-in templates.

A template is a JSON object (see docs/inspections.md for the full format)::

    {"format": "armoury-checklist", "format_version": 1,
     "id": "physical-security", "version": 1,
     "title": {"en": "...", "fr": "..."}, "description": {"en": "...", "fr": "..."},
     "thresholds": {"1": 60, "2": 75, "3": 90},
     "sections": [{"id": "perimeter", "title": {...}, "questions": [
         {"id": "PS-PER-01", "text": {...}, "guidance": {...}, "clause": "ISACS 05.20 ...",
          "level": 1, "weight": 3, "critical": true, "answer": {"kind": "compliance"},
          "on_fail": {"note": true, "photo": false, "action": true}, "sop": "", "target": "racks"}]}]}

Every text the user reads is given in English and French. :func:`parse_template` checks everything and
raises one :class:`ValidationError` naming the problems; nothing is stored before a template is valid.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from armoury.errors import ValidationError
from armoury.i18n import _, current_language
from armoury.inspections.enums import AnswerKind
from armoury.paths import resources_dir

FORMAT_NAME = "armoury-checklist"
FORMAT_VERSION = 1
LANGUAGES = ("en", "fr")
LEVELS = (1, 2, 3)
TARGETS = ("racks", "areas")
DEFAULT_THRESHOLDS: Mapping[int, float] = {1: 60.0, 2: 75.0, 3: 90.0}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
MAX_PROBLEMS_SHOWN = 5


@dataclass(frozen=True)
class LocalText:
    """A text given in several languages; shown in the current language, English when missing."""

    en: str
    fr: str = ""

    def text(self, language: str | None = None) -> str:
        lang = language or current_language()
        value = self.fr if lang == "fr" else self.en
        return value or self.en

    def __str__(self) -> str:
        return self.text()

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "fr": self.fr}


EMPTY_TEXT = LocalText("", "")


@dataclass(frozen=True)
class Option:
    id: str
    label: LocalText


@dataclass(frozen=True)
class Question:
    id: str
    text: LocalText
    level: int
    weight: float
    kind: AnswerKind
    guidance: LocalText = EMPTY_TEXT
    clause: str = ""
    critical: bool = False
    allow_na: bool = True
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    fail_below: float | None = None
    fail_above: float | None = None
    options: tuple[Option, ...] = ()
    fail_values: tuple[str, ...] = ()
    requires_note: bool = False
    requires_photo: bool = False
    requires_action: bool = False
    sop: str = ""
    target: str | None = None

    @property
    def scored(self) -> bool:
        return self.kind is not AnswerKind.TEXT and self.weight > 0

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    def to_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"kind": self.kind.value}
        if self.kind is not AnswerKind.TEXT:
            answer["allow_na"] = self.allow_na
        if self.kind is AnswerKind.NUMBER:
            for key in ("minimum", "maximum", "fail_below", "fail_above"):
                if getattr(self, key) is not None:
                    answer[key] = getattr(self, key)
            if self.unit:
                answer["unit"] = self.unit
        if self.kind is AnswerKind.CHOICE:
            answer["options"] = [{"id": o.id, "label": o.label.to_json()} for o in self.options]
            answer["fail"] = list(self.fail_values)
        data: dict[str, Any] = {
            "id": self.id,
            "text": self.text.to_json(),
            "guidance": self.guidance.to_json(),
            "clause": self.clause,
            "level": self.level,
            "weight": _plain_number(self.weight),
            "critical": self.critical,
            "answer": answer,
            "on_fail": {
                "note": self.requires_note,
                "photo": self.requires_photo,
                "action": self.requires_action,
            },
        }
        if self.sop:
            data["sop"] = self.sop
        if self.target:
            data["target"] = self.target
        return data


@dataclass(frozen=True)
class Section:
    id: str
    title: LocalText
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Template:
    code: str
    version: int
    title: LocalText
    sections: tuple[Section, ...]
    description: LocalText = EMPTY_TEXT
    standards: tuple[str, ...] = ()
    thresholds: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def questions(self) -> Iterator[tuple[Section, Question]]:
        for section in self.sections:
            for question in section.questions:
                yield section, question

    def question(self, question_id: str) -> Question | None:
        return next((q for _s, q in self.questions() if q.id == question_id), None)

    @property
    def question_count(self) -> int:
        return sum(len(s.questions) for s in self.sections)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "id": self.code,
            "version": self.version,
            "title": self.title.to_json(),
            "description": self.description.to_json(),
            "standards": list(self.standards),
            "thresholds": {str(k): _plain_number(v) for k, v in sorted(self.thresholds.items())},
            "sections": [
                {"id": s.id, "title": s.title.to_json(), "questions": [q.to_json() for q in s.questions]}
                for s in self.sections
            ],
        }

    def content_json(self) -> str:
        """The canonical JSON text of the template (what the database stores and what is exported)."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"


def _plain_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class _Problems:
    """Collects what is wrong with a template, each prefixed with where it is."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}" if where else message)


def parse_template_text(text: str | bytes, source: str = "") -> Template:
    """Parse and check a template given as JSON text."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            _("The checklist file {source} is not valid JSON: {reason}").format(
                source=source, reason=str(exc)
            ),
            _("Check the file was exported by Armoury or follows the format in docs/inspections.md."),
        ) from exc
    return parse_template(data, source)


def parse_template(data: Any, source: str = "") -> Template:
    """Check ``data`` (a decoded JSON object) and return the template, or raise ValidationError."""
    problems = _Problems()
    template = _template(data, problems)
    if problems.items or template is None:
        shown = problems.items[:MAX_PROBLEMS_SHOWN]
        more = len(problems.items) - len(shown)
        message = _("The checklist {source} is not valid: {problems}").format(
            source=source, problems="; ".join(shown)
        )
        if more > 0:
            message += " " + _("(and {count} more problems)").format(count=more)
        raise ValidationError(
            message,
            _("Correct the file and import it again. Nothing was changed."),
            details="\n".join(problems.items),
        )
    return template


def _text(value: Any, where: str, problems: _Problems, required: bool = True) -> LocalText:
    if value is None:
        if required:
            problems.add(where, _("is missing"))
        return EMPTY_TEXT
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict):
        problems.add(where, _("must be an object with the English and French texts"))
        return EMPTY_TEXT
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        problems.add(where, _("unknown language {names}").format(names=", ".join(sorted(unknown))))
    for lang in LANGUAGES:
        if lang in value and not isinstance(value[lang], str):
            problems.add(where, _("the {language} text must be a string").format(language=lang))
            return EMPTY_TEXT
    en = str(value.get("en", "")).strip()
    fr = str(value.get("fr", "")).strip()
    if required and not en:
        problems.add(where, _("the English text is missing"))
    return LocalText(en, fr)


def _bool(obj: dict[str, Any], key: str, where: str, problems: _Problems, default: bool = False) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        problems.add(where, _("{field} must be true or false").format(field=key))
        return default
    return value


def _number(value: Any, key: str, where: str, problems: _Problems) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.add(where, _("{field} must be a number").format(field=key))
        return None
    return float(value)


def _string(obj: dict[str, Any], key: str, where: str, problems: _Problems, limit: int = 200) -> str:
    value = obj.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.add(where, _("{field} must be text").format(field=key))
        return ""
    if len(value) > limit:
        problems.add(where, _("{field} is longer than {limit} characters").format(field=key, limit=limit))
    return value.strip()


def _template(data: Any, problems: _Problems) -> Template | None:
    if not isinstance(data, dict):
        problems.add("", _("the file must hold one JSON object"))
        return None
    if data.get("format") != FORMAT_NAME:
        problems.add("format", _('must be "{name}"').format(name=FORMAT_NAME))
    if data.get("format_version") != FORMAT_VERSION:
        problems.add(
            "format_version",
            _("this program reads version {version} of the format").format(version=FORMAT_VERSION),
        )
    code = data.get("id")
    if not isinstance(code, str) or not _CODE.match(code):
        problems.add("id", _("must be lower-case letters, digits, dots, dashes or underscores"))
        code = ""
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.add("version", _("must be a whole number from 1"))
        version = 1
    title = _text(data.get("title"), "title", problems)
    description = _text(data.get("description"), "description", problems, required=False)
    standards_raw = data.get("standards", [])
    standards: tuple[str, ...] = ()
    if not isinstance(standards_raw, list) or not all(isinstance(s, str) for s in standards_raw):
        problems.add("standards", _("must be a list of texts"))
    else:
        standards = tuple(standards_raw)
    thresholds = _thresholds(data.get("thresholds"), problems)
    sections_raw = data.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        problems.add("sections", _("at least one section is needed"))
        return None
    seen_sections: set[str] = set()
    seen_questions: set[str] = set()
    sections: list[Section] = []
    for index, raw in enumerate(sections_raw, start=1):
        section = _section(raw, index, seen_sections, seen_questions, problems)
        if section is not None:
            sections.append(section)
    return Template(
        code=code,
        version=version,
        title=title,
        sections=tuple(sections),
        description=description,
        standards=standards,
        thresholds=thresholds,
    )


def _thresholds(raw: Any, problems: _Problems) -> dict[int, float]:
    thresholds = dict(DEFAULT_THRESHOLDS)
    if raw is None:
        return thresholds
    if not isinstance(raw, dict):
        problems.add("thresholds", _("must be an object giving a percentage for levels 1, 2 and 3"))
        return thresholds
    for key, value in raw.items():
        if str(key) not in ("1", "2", "3"):
            problems.add("thresholds", _("unknown level {level}").format(level=key))
            continue
        number = _number(value, "thresholds." + str(key), "thresholds", problems)
        if number is None:
            continue
        if not 0 <= number <= 100:
            problems.add("thresholds", _("level {level} must be between 0 and 100").format(level=key))
            continue
        thresholds[int(key)] = number
    return thresholds


def _section(
    raw: Any, index: int, seen: set[str], seen_questions: set[str], problems: _Problems
) -> Section | None:
    where = _("section {number}").format(number=index)
    if not isinstance(raw, dict):
        problems.add(where, _("must be an object"))
        return None
    section_id = raw.get("id")
    if not isinstance(section_id, str) or not _ID.match(section_id):
        problems.add(where, _("id must be 1 to 40 letters, digits, dots, dashes or underscores"))
        section_id = f"section-{index}"
    elif section_id in seen:
        problems.add(where, _('the id "{id}" is used twice').format(id=section_id))
    seen.add(section_id)
    where = _('section "{id}"').format(id=section_id)
    title = _text(raw.get("title"), where + " title", problems)
    questions_raw = raw.get("questions")
    if not isinstance(questions_raw, list) or not questions_raw:
        problems.add(where, _("at least one question is needed"))
        return Section(section_id, title, ())
    questions = []
    for q_index, q_raw in enumerate(questions_raw, start=1):
        question = _question(q_raw, where, q_index, seen_questions, problems)
        if question is not None:
            questions.append(question)
    return Section(section_id, title, tuple(questions))


def _question(
    raw: Any, section_where: str, index: int, seen: set[str], problems: _Problems
) -> Question | None:
    where = _("{section}, question {number}").format(section=section_where, number=index)
    if not isinstance(raw, dict):
        problems.add(where, _("must be an object"))
        return None
    question_id = raw.get("id")
    if not isinstance(question_id, str) or not _ID.match(question_id):
        problems.add(where, _("id must be 1 to 40 letters, digits, dots, dashes or underscores"))
        question_id = f"q-{index}"
    else:
        if question_id in seen:
            problems.add(where, _('the id "{id}" is used twice').format(id=question_id))
        where = _('question "{id}"').format(id=question_id)
    seen.add(question_id)
    text = _text(raw.get("text"), where + " text", problems)
    guidance = _text(raw.get("guidance"), where + " guidance", problems, required=False)
    level = raw.get("level")
    if level not in LEVELS or isinstance(level, bool):
        problems.add(where, _("level must be 1, 2 or 3 (found {value})").format(value=json.dumps(level)))
        level = 1
    weight = _number(raw.get("weight", 1), "weight", where, problems)
    if weight is None or not 0 <= weight <= 100:
        if weight is not None:
            problems.add(where, _("weight must be between 0 and 100"))
        weight = 1.0
    critical = _bool(raw, "critical", where, problems)
    answer = raw.get("answer", {"kind": "compliance"})
    if not isinstance(answer, dict):
        problems.add(where, _("answer must be an object with a kind"))
        answer = {"kind": "compliance"}
    kind = AnswerKind.parse(str(answer.get("kind", "")))
    if not isinstance(kind, AnswerKind) or answer.get("kind") != kind.value:
        problems.add(
            where,
            _("answer kind must be compliance, number, choice or text (found {value})").format(
                value=json.dumps(answer.get("kind"))
            ),
        )
        kind = AnswerKind.COMPLIANCE
    on_fail = raw.get("on_fail", {})
    if not isinstance(on_fail, dict):
        problems.add(where, _("on_fail must be an object"))
        on_fail = {}
    target = raw.get("target")
    if target is not None and target not in TARGETS:
        problems.add(where, _("target must be racks or areas"))
        target = None
    values: dict[str, Any] = {}
    if kind is AnswerKind.NUMBER:
        values = _number_answer(answer, where, problems)
    elif kind is AnswerKind.CHOICE:
        values = _choice_answer(answer, where, problems)
    if kind is AnswerKind.TEXT:
        if critical:
            problems.add(where, _("a text question cannot be critical: it is never scored"))
        weight = 0.0
    allow_na = _bool(answer, "allow_na", where, problems, default=True)
    return Question(
        id=question_id,
        text=text,
        guidance=guidance,
        clause=_string(raw, "clause", where, problems),
        level=int(level),
        weight=weight,
        critical=critical,
        kind=kind,
        allow_na=allow_na and kind is not AnswerKind.TEXT,
        requires_note=_bool(on_fail, "note", where, problems),
        requires_photo=_bool(on_fail, "photo", where, problems),
        requires_action=_bool(on_fail, "action", where, problems),
        sop=_string(raw, "sop", where, problems, limit=80),
        target=target,
        **values,
    )


def _number_answer(answer: dict[str, Any], where: str, problems: _Problems) -> dict[str, Any]:
    values = {
        key: _number(answer.get(key), key, where, problems)
        for key in ("minimum", "maximum", "fail_below", "fail_above")
    }
    lo, hi = values["minimum"], values["maximum"]
    if lo is not None and hi is not None and lo > hi:
        problems.add(where, _("minimum is greater than maximum"))
    if values["fail_below"] is None and values["fail_above"] is None:
        problems.add(where, _("a number answer needs fail_below or fail_above"))
    unit = _string(answer, "unit", where, problems, limit=20)
    return {**values, "unit": unit}


def _choice_answer(answer: dict[str, Any], where: str, problems: _Problems) -> dict[str, Any]:
    raw_options = answer.get("options")
    options: list[Option] = []
    if not isinstance(raw_options, list) or len(raw_options) < 2:
        problems.add(where, _("a choice answer needs at least two options"))
        raw_options = []
    if len(raw_options) > 9:
        problems.add(where, _("a choice answer has at most nine options (one key each)"))
    for number, raw in enumerate(raw_options, start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not _ID.match(raw["id"]):
            problems.add(where, _("option {number} needs an id").format(number=number))
            continue
        if raw["id"] in {o.id for o in options}:
            problems.add(where, _('the option id "{id}" is used twice').format(id=raw["id"]))
        label = _text(raw.get("label"), where + " " + raw["id"], problems)
        options.append(Option(raw["id"], label))
    fail = answer.get("fail", [])
    if not isinstance(fail, list) or not all(isinstance(f, str) for f in fail):
        problems.add(where, _("fail must be a list of option ids"))
        fail = []
    known = {o.id for o in options}
    for value in fail:
        if value not in known:
            problems.add(where, _('fail names the unknown option "{id}"').format(id=value))
    return {"options": tuple(options), "fail_values": tuple(fail)}


def builtin_template_dir() -> Path:
    return resources_dir() / "checklists"


def builtin_templates() -> list[Template]:
    """The templates shipped in resources/checklists/, in file-name order."""
    return [
        parse_template_text(path.read_bytes(), path.name)
        for path in sorted(builtin_template_dir().glob("*.json"))
    ]


def all_texts(template: Template) -> Iterator[tuple[str, LocalText]]:
    """Every text of ``template`` with where it is (for the translation test and the editor)."""
    yield "title", template.title
    if template.description.en:
        yield "description", template.description
    for section in template.sections:
        yield f"section {section.id}", section.title
        for q in section.questions:
            yield f"{q.id} text", q.text
            if q.guidance.en:
                yield f"{q.id} guidance", q.guidance
            for option in q.options:
                yield f"{q.id} option {option.id}", option.label
