"""Session protocols: phases, music, vitals schedule and thresholds, all as data (TOML).

A clinic adds "IM injection, 1 h" by dropping a TOML file into its data folder, not by changing
code. Because a typo in such a file could silently change a clinical threshold, the loader is
strict: unknown keys, missing phases, impossible numbers and bad TOML are refused with one
message that names the file, the line or key, and how to fix it.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaproom.domain.pre_dose import FIELDS as PRE_DOSE_FIELDS
from kaproom.domain.protocol_error import ProtocolError
from kaproom.domain.protocol_settings import (
    DEFAULT_ADVERSE_EVENT_KINDS,
    DEFAULT_ALERTS,
    DEFAULT_DISCHARGE,
    DEFAULT_QUICK_TAGS,
    DEFAULT_RANGES,
    DEFAULT_SCREENING,
    DEFAULT_STANDING_ORDERS,
    OBSERVED_ITEM,
    AdverseEventKind,
    DoseRules,
    MusicSettings,
    Phase,
    Question,
    QuickTag,
    StandingOrder,
    VitalsSchedule,
    observation_item,
)
from kaproom.domain.scales import DEFAULT_SCALES, Scale, parse_scales

#: Besides what it defines, the protocol module offers the settings types a Protocol is made of
#: and the error its loader raises, so that a caller reading protocols needs this one import.
__all__ = [
    "BUILTIN_DIR",
    "DEFAULT_ALERTS",
    "DEFAULT_DISCHARGE",
    "DEFAULT_QUICK_TAGS",
    "DEFAULT_RANGES",
    "DEFAULT_SCREENING",
    "OBSERVED_ITEM",
    "AdverseEventKind",
    "DoseRules",
    "MusicSettings",
    "Phase",
    "Protocol",
    "ProtocolError",
    "Question",
    "QuickTag",
    "StandingOrder",
    "VitalsSchedule",
    "available_protocols",
    "builtin_protocol",
    "default_discharge",
    "integration_protocols",
    "load_protocol",
    "observation_item",
    "parse_protocol",
]

#: A table of a protocol file as tomllib parses it: free-form until the reader has checked it.
TOMLTable = dict[str, Any]

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "protocols"
#: Sessions without medicine (integration): offered apart from the medicine protocols on the start page.
INTEGRATION_DIR = BUILTIN_DIR / "integration"


@dataclass(frozen=True)
class Protocol:
    id: str
    name: str
    phases: tuple[Phase, ...]
    dose_phase: str
    description: str = ""
    dose_route: str = ""  # how the dose is given, as the record names it ("sublingual ketamine lozenge")
    dose_end_tags: tuple[str, ...] = ()  # quick tags that record how the dose ended (lozenge spat out, swallowed)
    quick_tags: tuple[QuickTag, ...] = DEFAULT_QUICK_TAGS
    screening: tuple[Question, ...] = DEFAULT_SCREENING
    discharge_checklist: tuple[Question, ...] = DEFAULT_DISCHARGE
    vitals_schedule: VitalsSchedule = field(default_factory=VitalsSchedule)
    vitals_ranges: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_RANGES))
    alerts: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_ALERTS))
    music: MusicSettings = field(default_factory=MusicSettings)
    source: str = "<built-in>"
    text: str = ""  # the TOML it was read from, kept in each session's record
    #: How long after a phase change made by hand it can still be undone (as a correction).
    undo_phase_minutes: float = 2.0
    #: The rating scales the room asks for (see :mod:`kaproom.domain.scales`); MOAA/S is always one.
    scales: tuple[Scale, ...] = DEFAULT_SCALES
    #: Pre-dose facts the start page asks for, and those F10 needs in the record (kaproom.domain.pre_dose).
    pre_dose_ask: tuple[str, ...] = ()
    pre_dose_required: tuple[str, ...] = ()
    #: False for a session without medicine (an integration session): no dose, no schedule after it.
    has_dose: bool = True

    def scale(self, scale_id: str) -> Scale | None:
        return next((s for s in self.scales if s.id == scale_id), None)
    #: Further doses (a booster): how many, how far apart, in which phases.
    doses: DoseRules = field(default_factory=DoseRules)
    #: The drugs staff may give on their own judgement (the clinic's medical director sets them).
    standing_orders: tuple[StandingOrder, ...] = DEFAULT_STANDING_ORDERS
    adverse_event_kinds: tuple[AdverseEventKind, ...] = DEFAULT_ADVERSE_EVENT_KINDS

    def standing_order(self, name: str) -> StandingOrder | None:
        """The standing order called ``name`` (its id or its name, any case), or None."""
        wanted = name.strip().lower()
        return next((o for o in self.standing_orders if wanted in (o.id.lower(), o.name.lower())), None)

    def adverse_event_kind(self, kind_id: str) -> AdverseEventKind | None:
        return next((k for k in self.adverse_event_kinds if k.id == kind_id), None)

    @property
    def total_seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    def phase_index(self, phase_id: str) -> int:
        for index, phase in enumerate(self.phases):
            if phase.id == phase_id:
                return index
        raise KeyError(phase_id)

    @property
    def dose_phase_index(self) -> int:
        return self.phase_index(self.dose_phase)


# --------------------------------------------------------------------------- loading

_TOP_KEYS = {"protocol", "phases", "quick_tags", "screening", "discharge", "vitals", "music", "scales", "pre_dose",
             "doses", "standing_orders", "adverse_event_kinds"}
_DOSES_KEYS = set(DoseRules.__dataclass_fields__)
_ORDER_KEYS = set(StandingOrder.__dataclass_fields__)
_AE_KEYS = {"id", "label"}
_PROTOCOL_KEYS = {"id", "name", "description", "dose_phase", "dose_route", "dose_end_tags", "undo_phase_minutes",
                  "dose"}
_PHASE_KEYS = {"id", "name", "minutes", "playlist", "description", "auto_advance"}
_TAG_KEYS = {"label", "key"}
_QUESTION_KEYS = {"id", "text"}
_VITALS_KEYS = {"schedule", "ranges", "alerts"}
_SCHEDULE_KEYS = set(VitalsSchedule.__dataclass_fields__)
_MUSIC_KEYS = set(MusicSettings.__dataclass_fields__)
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class _Reader:
    """Walks one parsed TOML document, turning every problem into a ProtocolError."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = text.splitlines()

    def fail(self, where: str, problem: str, fix: str, key: str | None = None) -> ProtocolError:
        line = self._line_of(where, key) if key else None
        place = f"line {line}, {where}" if line else where
        return ProtocolError(self.source, place, problem, fix)

    def _line_of(self, where: str, key: str) -> int | None:
        """Best-effort line of ``key`` inside the table that ``where`` names (e.g. phases[3])."""
        start = 0
        table = where.rsplit(".", 1)[0] if "." in where else ""
        match = re.match(r"^(\w+)\[(\d+)\]", table)
        header = None
        if match:
            header, nth = re.compile(rf"^\s*\[\[\s*{match.group(1)}\s*\]\]"), int(match.group(2))
        elif table:
            header, nth = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]"), 1
        if header is not None:
            seen = 0
            for number, line in enumerate(self.lines):
                if header.match(line):
                    seen += 1
                    if seen == nth:
                        start = number + 1
                        break
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            if number > start and line.lstrip().startswith("[") and header is not None:
                break
            if pattern.match(line):
                return number + 1
        return None

    def check_keys(self, table: object, allowed: set[str], where: str) -> None:
        if not isinstance(table, dict):
            raise self.fail(where, "expected a table of settings", f"write [{where}] with key = value lines")
        for key in table:
            if key not in allowed:
                # Only to word the refusal. difflib: 3 ms to import, of the home page's 0.166 s start
                # (bench_startup.py, bench/README.md), which loads this module.
                import difflib  # noqa: PLC0415 - start-up time, see above
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys are: {', '.join(sorted(allowed))}"
                raise self.fail(f"{where}.{key}" if where else key, f"unknown key '{key}'",
                                f"remove it or rename it; {hint}", key)

    def text(self, table: TOMLTable, key: str, where: str, required: bool = True, default: str = "") -> str:
        if key not in table:
            if required:
                raise self.fail(where, f"missing '{key}'", f'add {key} = "..." to {where or "the file"}')
            return default
        value = table[key]
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"{where}.{key}", f"'{key}' must be non-empty text", f'write {key} = "..."', key)
        return value.strip()

    def number(self, table: TOMLTable, key: str, where: str, low: float, high: float,
               default: float | None = None) -> float:
        if key not in table:
            if default is None:
                raise self.fail(where, f"missing '{key}'", f"add {key} = <number from {low:g} to {high:g}>")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{where}.{key}", f"'{key}' must be a number, not {value!r}", f"write {key} = <number>",
                            key)
        if not low <= value <= high:
            raise self.fail(
                f"{where}.{key}", f"'{key}' is {value if isinstance(value, int) else format(value, 'g')}, "
                f"outside {low:g} to {high:g}",
                f"use a value from {low:g} to {high:g}", key)
        return float(value)

    def plain_id(self, value: str, where: str, what: str = "id") -> str:
        """``value``, the ``id`` of the table at ``where``, if it is a plain identifier; refused
        otherwise, calling it ``what``."""
        if not _ID_RE.match(value):
            raise self.fail(f"{where}.id", f"{what} '{value}' is not a plain identifier",
                            "use lower-case letters, digits, '-' or '_'", "id")
        return value

    def rxnorm(self, table: TOMLTable, where: str, example: str) -> str:
        """The table's ``rxnorm`` code (digits), or "" where it has none; ``example`` is a code to suggest."""
        code = self.text(table, "rxnorm", where, required=False)
        if code and not code.isdigit():
            raise self.fail(f"{where}.rxnorm", f"rxnorm '{code}' is not an RxNorm code (digits)",
                            f"write rxnorm = {example} or leave it out", "rxnorm")
        return code


def parse_protocol(text: str, source: str = "<text>") -> Protocol:
    """Parse and check protocol TOML; raise ProtocolError on the first problem."""
    reader = _Reader(source, text)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        where = f"line {match.group(1)}" if match else "file"
        raise ProtocolError(source, where, f"not valid TOML ({exc})",
                            "check quotes, brackets and '=' on that line") from None
    reader.check_keys(doc, _TOP_KEYS, "")

    head = doc.get("protocol")
    if head is None:
        raise reader.fail("[protocol]", "missing the [protocol] table",
                          'add [protocol] with id = "..." and name = "..."')
    reader.check_keys(head, _PROTOCOL_KEYS, "protocol")
    pid = reader.plain_id(reader.text(head, "id", "protocol"), "protocol")
    name = reader.text(head, "name", "protocol")
    description = reader.text(head, "description", "protocol", required=False)
    dose_route = reader.text(head, "dose_route", "protocol", required=False)

    raw_phases = doc.get("phases")
    if not raw_phases:
        raise reader.fail("phases", "no phases", "add at least one [[phases]] table with id, name and minutes")
    if not isinstance(raw_phases, list):
        raise reader.fail("phases", "phases must be a list of tables", "write each phase as [[phases]]", "phases")
    phases: list[Phase] = []
    for index, raw in enumerate(raw_phases):
        where = f"phases[{index + 1}]"
        reader.check_keys(raw, _PHASE_KEYS, where)
        phase_id = reader.plain_id(reader.text(raw, "id", where), where, "phase id")
        if any(p.id == phase_id for p in phases):
            raise reader.fail(f"{where}.id", f"phase id '{phase_id}' is used twice", "give every phase its own id")
        minutes = reader.number(raw, "minutes", where, 0.1, 24 * 60)
        playlist = raw.get("playlist")
        if playlist is not None and (not isinstance(playlist, str) or not playlist.strip()):
            raise reader.fail(f"{where}.playlist", "playlist must be a file name",
                              'write playlist = "deep.m3u8" or leave it out', "playlist")
        auto = raw.get("auto_advance", True)
        if not isinstance(auto, bool):
            raise reader.fail(f"{where}.auto_advance", "auto_advance must be true or false",
                              "write auto_advance = true", "auto_advance")
        phases.append(Phase(phase_id, reader.text(raw, "name", where), minutes, playlist,
                            reader.text(raw, "description", where, required=False), auto))

    has_dose = head.get("dose", True)
    if not isinstance(has_dose, bool):
        raise reader.fail("protocol.dose", "dose must be true or false",
                          "write dose = false for a session without medicine, or leave it out", "dose")
    if not has_dose and "dose_phase" in head:
        raise reader.fail("protocol.dose_phase", "a protocol with dose = false has no dose phase",
                          "remove dose_phase, or remove dose = false", "dose_phase")
    # Without a dose, the last phase stands in as the dose phase: never passed, so never a dose assumed.
    dose_phase = head.get("dose_phase", phases[0].id if len(phases) == 1 else phases[-1].id if not has_dose else None)
    if dose_phase is None:
        raise reader.fail("protocol", "missing 'dose_phase'",
                          f"add dose_phase = one of: {', '.join(p.id for p in phases)}")
    if not isinstance(dose_phase, str) or dose_phase not in {p.id for p in phases}:
        raise reader.fail("protocol.dose_phase", f"dose_phase {dose_phase!r} is not one of the phases",
                          f"use one of: {', '.join(p.id for p in phases)}", "dose_phase")

    tags = DEFAULT_QUICK_TAGS
    if "quick_tags" in doc:
        tags = tuple(_quick_tags(reader, doc["quick_tags"]))
    dose_end_tags = _dose_end_tags(reader, head.get("dose_end_tags", []), tags)
    screening = _questions(reader, doc["screening"], "screening") if "screening" in doc else DEFAULT_SCREENING

    schedule, ranges, alerts = VitalsSchedule(), dict(DEFAULT_RANGES), dict(DEFAULT_ALERTS)
    if "vitals" in doc:
        schedule, ranges, alerts = _vitals(reader, doc["vitals"])
    discharge = _questions(reader, doc["discharge"], "discharge") if "discharge" in doc else default_discharge(
        alerts["discharge_observation_minutes"])
    music = _music(reader, doc["music"]) if "music" in doc else MusicSettings()

    undo_minutes = reader.number(head, "undo_phase_minutes", "protocol", 0, 60, default=2.0)
    scales = parse_scales(reader, doc["scales"]) if "scales" in doc else DEFAULT_SCALES
    ask, required = _pre_dose(reader, doc["pre_dose"]) if "pre_dose" in doc else ((), ())
    doses = _doses(reader, doc["doses"], phases) if "doses" in doc else DoseRules()
    orders = _standing_orders(reader, doc["standing_orders"]) if "standing_orders" in doc \
        else DEFAULT_STANDING_ORDERS
    ae_kinds = _adverse_event_kinds(reader, doc["adverse_event_kinds"]) if "adverse_event_kinds" in doc \
        else DEFAULT_ADVERSE_EVENT_KINDS
    return Protocol(pid, name, tuple(phases), dose_phase, description, dose_route, dose_end_tags, tags, screening,
                    discharge, schedule, ranges, alerts, music, source, text, undo_minutes, scales, ask, required,
                    has_dose, doses=doses, standing_orders=orders, adverse_event_kinds=ae_kinds)


def _pre_dose(reader: _Reader, raw: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``[pre_dose]``: ``ask`` (the facts the start page asks for) and ``required`` (those F10 needs;
    asked too, whether listed in ``ask`` or not)."""
    reader.check_keys(raw, {"ask", "required"}, "pre_dose")
    found: dict[str, tuple[str, ...]] = {}
    for key in ("ask", "required"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise reader.fail(f"pre_dose.{key}", f"'{key}' must be a list of fact names",
                              f'write {key} = ["escort_name", "escort_phone"]', key)
        unknown = [v for v in value if v not in PRE_DOSE_FIELDS]
        if unknown:
            raise reader.fail(f"pre_dose.{key}", f"'{unknown[0]}' is not a pre-dose fact",
                              f"use any of: {', '.join(PRE_DOSE_FIELDS)}", key)
        found[key] = tuple(dict.fromkeys(value))
    required = found["required"]
    ask = tuple(name for name in PRE_DOSE_FIELDS if name in found["ask"] or name in required)
    return ask, required


def _doses(reader: _Reader, raw: Any, phases: list[Phase]) -> DoseRules:
    reader.check_keys(raw, _DOSES_KEYS, "doses")
    base = DoseRules()
    ids = [p.id for p in phases]
    allowed = raw.get("booster_phases", list(base.booster_phases))
    if not isinstance(allowed, list) or not all(isinstance(item, str) for item in allowed):
        raise reader.fail("doses.booster_phases", "booster_phases must be a list of phase ids",
                          'write booster_phases = ["onset", "deep"]', "booster_phases")
    for item in allowed:
        if item not in ids:
            raise reader.fail("doses.booster_phases", f"'{item}' is not one of the phases",
                              f"use phase ids from: {', '.join(ids)}", "booster_phases")
    booster_mg = reader.number(raw, "booster_mg", "doses", 1, 2000, -1.0) if "booster_mg" in raw else None
    rxnorm = reader.rxnorm(raw, "doses", '"6130" (ketamine)')
    return DoseRules(
        max_doses=int(reader.number(raw, "max_doses", "doses", 1, 10, base.max_doses)),
        min_interval_minutes=reader.number(raw, "min_interval_minutes", "doses", 0, 24 * 60,
                                           base.min_interval_minutes),
        booster_phases=tuple(allowed), booster_mg=booster_mg,
        check_before_booster_minutes=reader.number(raw, "check_before_booster_minutes", "doses", 0, 24 * 60,
                                                   base.check_before_booster_minutes), rxnorm=rxnorm)


def _standing_orders(reader: _Reader, raw: Any) -> tuple[StandingOrder, ...]:
    if not isinstance(raw, list):
        raise reader.fail("standing_orders", "standing_orders must be a list of tables",
                          "write each as [[standing_orders]]", "standing_orders")
    out: list[StandingOrder] = []
    for index, item in enumerate(raw):
        where = f"standing_orders[{index + 1}]"
        reader.check_keys(item, _ORDER_KEYS, where)
        order_id = reader.plain_id(reader.text(item, "id", where), where)
        if any(o.id == order_id for o in out):
            raise reader.fail(f"{where}.id", f"standing order '{order_id}' is listed twice",
                              "give every standing order its own id")
        amount = reader.number(item, "amount", where, 0.001, 10000)
        highest = reader.number(item, "max_amount", where, amount, 10000) if "max_amount" in item else None
        rxnorm = reader.rxnorm(item, where, '"26225"')
        out.append(StandingOrder(order_id, reader.text(item, "name", where), amount, reader.text(item, "unit", where),
                                 reader.text(item, "route", where), reader.text(item, "indication", where),
                                 highest, rxnorm))
    return tuple(out)


def _adverse_event_kinds(reader: _Reader, raw: Any) -> tuple[AdverseEventKind, ...]:
    if not isinstance(raw, list) or not raw:
        raise reader.fail("adverse_event_kinds", "adverse_event_kinds must be a non-empty list of tables",
                          "write each as [[adverse_event_kinds]] with id and label", "adverse_event_kinds")
    out: list[AdverseEventKind] = []
    for index, item in enumerate(raw):
        where = f"adverse_event_kinds[{index + 1}]"
        reader.check_keys(item, _AE_KEYS, where)
        kind = AdverseEventKind(reader.text(item, "id", where), reader.text(item, "label", where))
        if not _ID_RE.match(kind.id) or any(k.id == kind.id for k in out):
            raise reader.fail(f"{where}.id", f"adverse event id '{kind.id}' is not a plain, unique identifier",
                              "use lower-case letters, digits, '-' or '_', each id once", "id")
        out.append(kind)
    return tuple(out)


def _quick_tags(reader: _Reader, raw: Any) -> list[QuickTag]:
    if not isinstance(raw, list):
        raise reader.fail("quick_tags", "quick_tags must be a list of tables", "write each as [[quick_tags]]",
                          "quick_tags")
    tags: list[QuickTag] = []
    for index, item in enumerate(raw):
        where = f"quick_tags[{index + 1}]"
        reader.check_keys(item, _TAG_KEYS, where)
        tag = QuickTag(reader.text(item, "label", where), reader.text(item, "key", where))
        if any(t.key.lower() == tag.key.lower() for t in tags):
            raise reader.fail(f"{where}.key", f"shortcut '{tag.key}' is used twice", "give every quick tag its own key")
        tags.append(tag)
    return tags


def _dose_end_tags(reader: _Reader, raw: Any, tags: tuple[QuickTag, ...]) -> tuple[str, ...]:
    labels = [tag.label for tag in tags]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise reader.fail("protocol.dose_end_tags", "dose_end_tags must be a list of quick tag labels",
                          'write dose_end_tags = ["Lozenge spat out", "Lozenge swallowed"]', "dose_end_tags")
    for item in raw:
        if item not in labels:
            raise reader.fail("protocol.dose_end_tags", f"'{item}' is not one of the quick tags",
                              f"use one of: {', '.join(labels)}", "dose_end_tags")
    return tuple(raw)


def default_discharge(observation_minutes: float) -> tuple[Question, ...]:
    """The default checklist, its observation item in the protocol's own minimum."""
    return tuple(observation_item(observation_minutes) if q.id == OBSERVED_ITEM else q for q in DEFAULT_DISCHARGE)


def _questions(reader: _Reader, raw: Any, where: str) -> tuple[Question, ...]:
    if not isinstance(raw, list):
        raise reader.fail(where, f"{where} must be a list of tables", f"write each as [[{where}]]", where)
    out: list[Question] = []
    for index, item in enumerate(raw):
        spot = f"{where}[{index + 1}]"
        reader.check_keys(item, _QUESTION_KEYS, spot)
        question = Question(reader.text(item, "id", spot), reader.text(item, "text", spot))
        if any(q.id == question.id for q in out):  # one answer would silently stand for two questions
            raise reader.fail(f"{spot}.id", f"question id '{question.id}' is used twice",
                              "give every question its own id")
        out.append(question)
    return tuple(out)


def _vitals(reader: _Reader, raw: Any) -> tuple[VitalsSchedule, dict[str, tuple[float, float]], dict[str, float]]:
    reader.check_keys(raw, _VITALS_KEYS, "vitals")
    schedule = VitalsSchedule()
    if "schedule" in raw:
        table = raw["schedule"]
        reader.check_keys(table, _SCHEDULE_KEYS, "vitals.schedule")
        after = table.get("after_dose_minutes", list(schedule.after_dose_minutes))
        if not isinstance(after, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 24 * 60 for v in after):
            raise reader.fail("vitals.schedule.after_dose_minutes",
                              "after_dose_minutes must be a list of positive minutes",
                              "write after_dose_minutes = [40]", "after_dose_minutes")
        baseline = table.get("baseline_before_dose", True)
        if not isinstance(baseline, bool):
            raise reader.fail("vitals.schedule.baseline_before_dose", "must be true or false",
                              "write baseline_before_dose = true", "baseline_before_dose")
        schedule = VitalsSchedule(
            baseline, tuple(float(v) for v in sorted(after)),
            reader.number(table, "then_every_minutes", "vitals.schedule", 1, 24 * 60, schedule.then_every_minutes),
            reader.number(table, "due_soon_minutes", "vitals.schedule", 0, 120, schedule.due_soon_minutes),
            reader.number(table, "recheck_after_urgent_minutes", "vitals.schedule", 1, 24 * 60,
                          schedule.recheck_after_urgent_minutes),
        )
    ranges = dict(DEFAULT_RANGES)
    if "ranges" in raw:
        table = raw["ranges"]
        reader.check_keys(table, set(DEFAULT_RANGES), "vitals.ranges")
        for key, value in table.items():
            if (not isinstance(value, list) or len(value) != 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
                    or not all(abs(v) < 1e9 for v in value) or value[0] >= value[1]):  # refuses nan, inf, 1e400
                raise reader.fail(f"vitals.ranges.{key}", f"'{key}' must be [lowest, highest]",
                                  f"write {key} = [{DEFAULT_RANGES[key][0]:g}, {DEFAULT_RANGES[key][1]:g}]", key)
            ranges[key] = (float(value[0]), float(value[1]))
    alerts = dict(DEFAULT_ALERTS)
    if "alerts" in raw:
        table = raw["alerts"]
        reader.check_keys(table, set(DEFAULT_ALERTS), "vitals.alerts")
        for key in table:
            highest = 10 if key == "discharge_aldrete_minimum" else 1000  # the Aldrete score's own top
            alerts[key] = reader.number(table, key, "vitals.alerts", 0, highest)
    return schedule, ranges, alerts


def _music(reader: _Reader, raw: Any) -> MusicSettings:
    reader.check_keys(raw, _MUSIC_KEYS, "music")
    base = MusicSettings()
    settings = MusicSettings(
        crossfade_seconds=reader.number(raw, "crossfade_seconds", "music", 0, 60, base.crossfade_seconds),
        fade_in_seconds=reader.number(raw, "fade_in_seconds", "music", 0, 120, base.fade_in_seconds),
        fade_out_seconds=reader.number(raw, "fade_out_seconds", "music", 0, 120, base.fade_out_seconds),
        volume_ceiling=int(reader.number(raw, "volume_ceiling", "music", 0, 100, base.volume_ceiling)),
        start_volume=int(reader.number(raw, "start_volume", "music", 0, 100, base.start_volume)),
        duck_level=int(reader.number(raw, "duck_level", "music", 0, 100, base.duck_level)),
    )
    if settings.start_volume > settings.volume_ceiling:
        raise reader.fail("music.start_volume", "start_volume is above volume_ceiling",
                          "lower start_volume or raise volume_ceiling", "start_volume")
    return settings


def load_protocol(path: Path | str) -> Protocol:
    """Read one protocol file; unreadable files are reported like malformed ones."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(str(path), "file", "not UTF-8 text", "save the file as UTF-8") from None
    except OSError as exc:
        raise ProtocolError(str(path), "file", f"cannot be read ({exc.strerror or exc})",
                            "check that the file exists and is readable") from None
    return parse_protocol(text, str(path))


def available_protocols(extra_dir: Path | None = None) -> tuple[list[Protocol], list[ProtocolError]]:
    """Built-in protocols, overridden or extended by ``extra_dir/*.toml`` (the clinic's folder).

    A broken clinic file never hides the others: its error is returned for the UI to show.
    """
    return _load_folders([BUILTIN_DIR] + ([extra_dir] if extra_dir and extra_dir.is_dir() else []))


def integration_protocols(extra_dir: Path | None = None) -> tuple[list[Protocol], list[ProtocolError]]:
    """The integration protocols (sessions without medicine): built in, and the clinic's own in
    ``extra_dir/integration/*.toml``, which override the built-in ones by id."""
    clinic = extra_dir / "integration" if extra_dir is not None else None
    return _load_folders([INTEGRATION_DIR] + ([clinic] if clinic is not None and clinic.is_dir() else []))


def _load_folders(folders: list[Path]) -> tuple[list[Protocol], list[ProtocolError]]:
    """Every ``*.toml`` in ``folders``, a later folder's protocol replacing an earlier one's of the
    same id; the files that cannot be used, as their errors."""
    found: dict[str, Protocol] = {}
    errors: list[ProtocolError] = []
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            try:
                protocol = load_protocol(path)
            except ProtocolError as exc:
                errors.append(exc)
                continue
            found[protocol.id] = protocol
    return list(found.values()), errors


def builtin_protocol(protocol_id: str = "lozenge-3h") -> Protocol:
    path = BUILTIN_DIR / f"{protocol_id}.toml"
    if not path.exists() and (INTEGRATION_DIR / f"{protocol_id}.toml").exists():
        path = INTEGRATION_DIR / f"{protocol_id}.toml"
    return load_protocol(path)
