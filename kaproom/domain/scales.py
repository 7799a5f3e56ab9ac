"""Rating scales as protocol data: sedation (MOAA/S, RASS), a dissociation rating, and whatever
instrument a clinic holds a licence for (CADSS-6, say), added to a protocol file without code.

A scale is a list of items; each item has its choices, each choice its words and points. The
total is the sum of the points of the items answered. When it is due (at every check-in, at set
minutes after the dose, before discharge) and which answers or totals raise the room's calm
alerts are part of the definition too.

MOAA/S is special only in where it is stored: it has always been a field of the vitals check-in
(``moaas`` in the ``vitals`` payload), its alert is the vitals rule ``moaas_urgent_at_or_below``,
and so it stays; its definition here is what the other screens and exports read its words from.
Every other scale is recorded as a ``scale`` event (see ``Kind`` in :mod:`kaproom.domain.events`).

Nothing here raises on what a therapist types: answers are parsed into messages by item, as the
vitals are. A malformed definition in a protocol file is refused by the protocol loader
(:mod:`kaproom.domain.protocol`), which calls :func:`parse_scales` with its own reader.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from kaproom.domain.events import JSONDict, JSONMapping
from kaproom.domain.protocol_error import ProtocolError
from kaproom.domain.vitals_reading import MOAAS as MOAAS_WORDS

LEVELS = ("caution", "urgent")


@dataclass(frozen=True)
class Choice:
    """One answer to an item: its points and its words. ``alert`` ("caution" or "urgent", or "")
    is raised when the answer is given."""

    points: int
    words: str
    alert: str = ""

    @property
    def label(self) -> str:
        """'+2 · Agitated: ...' for signed scales is made by the item; this is '2 · words'."""
        return f"{self.points} · {self.words}"


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    choices: tuple[Choice, ...]

    def choice(self, points: int) -> Choice | None:
        return next((c for c in self.choices if c.points == points), None)

    @property
    def signed(self) -> bool:
        """Points below zero (RASS): shown and typed with their sign, '+2' and '-3'."""
        return any(c.points < 0 for c in self.choices)

    @property
    def yes_no(self) -> bool:
        return {c.words.split(":")[0].strip().lower() for c in self.choices} == {"yes", "no"}

    def show(self, points: int) -> str:
        return f"{points:+d}" if self.signed and points else str(points)

    def hint(self) -> str:
        """What may be typed: 'yes or no', '-5 to +4', '0 to 3 or a word'."""
        if self.yes_no:
            return "yes or no (y / n)"
        points = sorted(c.points for c in self.choices)
        return f"{self.show(points[0])} to {self.show(points[-1])}"


@dataclass(frozen=True)
class Due:
    """When a scale is asked for: with every check-in, at minutes after the dose, before discharge."""

    at_check_ins: bool = True
    after_dose_minutes: tuple[float, ...] = ()
    before_discharge: bool = False


@dataclass(frozen=True)
class TotalAlert:
    """A total at or above (``above`` True) or at or below ``total`` raises ``level``."""

    level: str
    total: int
    above: bool


@dataclass(frozen=True)
class Scale:
    id: str
    name: str
    short: str
    items: tuple[Item, ...]
    due: Due = field(default_factory=Due)
    total_alerts: tuple[TotalAlert, ...] = ()
    #: A scale kept in the vitals check-in rather than as an event of its own ("moaas").
    vitals_field: str = ""
    description: str = ""

    @property
    def single(self) -> bool:
        return len(self.items) == 1

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    @property
    def lowest(self) -> int:
        return sum(min(c.points for c in i.choices) for i in self.items)

    @property
    def highest(self) -> int:
        return sum(max(c.points for c in i.choices) for i in self.items)


# --------------------------------------------------------------------------- built-in scales

#: Modified Observer's Assessment of Alertness/Sedation: its words are the vitals form's.
MOAAS = Scale(
    "moaas", "Modified Observer's Assessment of Alertness/Sedation", "MOAA/S",
    (Item("moaas", "MOAA/S", tuple(Choice(level, words, "urgent" if level <= 2 else "")
                                   for level, words in MOAAS_WORDS.items())),),
    vitals_field="moaas",
    description="5 = responds readily to name in normal tone ... 0 = no response to painful stimulus; "
                "recorded with each vitals check-in.")

#: Richmond Agitation-Sedation Scale (Sessler et al. 2002).
RASS = Scale(
    "rass", "Richmond Agitation-Sedation Scale", "RASS",
    (Item("rass", "RASS", (
        Choice(4, "Combative: overtly combative, violent, immediate danger to staff", "urgent"),
        Choice(3, "Very agitated: pulls or removes tubes or catheters; aggressive", "caution"),
        Choice(2, "Agitated: frequent non-purposeful movement", "caution"),
        Choice(1, "Restless: anxious but movements not aggressive or vigorous"),
        Choice(0, "Alert and calm"),
        Choice(-1, "Drowsy: not fully alert, sustained awakening to voice (eyes open and contact > 10 s)"),
        Choice(-2, "Light sedation: briefly awakens to voice (eyes open and contact < 10 s)"),
        Choice(-3, "Moderate sedation: movement or eye opening to voice, no eye contact", "caution"),
        Choice(-4, "Deep sedation: no response to voice; movement or eye opening to physical stimulation",
               "urgent"),
        Choice(-5, "Unarousable: no response to voice or physical stimulation", "urgent"),
    )),),
    description="+4 combative ... 0 alert and calm ... -5 unarousable.")

_YES_NO = (Choice(0, "No"), Choice(1, "Yes"))

#: A simple dissociation rating with the yes/no questions an esketamine monitoring form asks.
DISSOCIATION = Scale(
    "dissociation", "Dissociation and monitoring questions", "Dissociation",
    (
        Item("severity", "Dissociation", (Choice(0, "None"), Choice(1, "Mild"), Choice(2, "Moderate"),
                                          Choice(3, "Severe", "caution"))),
        Item("sedation", "Sedation observed", _YES_NO),
        Item("dissociation", "Dissociation observed", _YES_NO),
        Item("respiratory_depression", "Respiratory depression", (Choice(0, "No"), Choice(1, "Yes", "urgent"))),
        Item("bp_change", "Blood pressure change", (Choice(0, "No"), Choice(1, "Yes", "caution"))),
    ),
    due=Due(at_check_ins=False, after_dose_minutes=(40.0,), before_discharge=True),
    description="None / mild / moderate / severe, and yes or no to sedation, dissociation, respiratory "
                "depression and a change in blood pressure.")

BUILTIN_SCALES: Mapping[str, Scale] = {s.id: s for s in (MOAAS, RASS, DISSOCIATION)}
#: What a protocol that names no scales has: MOAA/S in the vitals check-in, as the room always had.
DEFAULT_SCALES: tuple[Scale, ...] = (MOAAS,)


# --------------------------------------------------------------------------- answers and totals

@dataclass(frozen=True)
class Rating:
    """One scale as answered: points by item (items not answered are absent)."""

    scale: Scale
    answers: Mapping[str, int]

    @property
    def complete(self) -> bool:
        return all(item.id in self.answers for item in self.scale.items)

    @property
    def total(self) -> int:
        return sum(self.answers.values())

    def alerts(self) -> list[JSONDict]:
        """``alert`` payloads (urgent first) for the answers and the total the definition flags."""
        found: list[JSONDict] = []
        for item in self.scale.items:
            points = self.answers.get(item.id)
            choice = item.choice(points) if points is not None else None
            if choice is not None and choice.alert:
                name = self.scale.short if self.scale.single else f"{self.scale.short} {item.text.lower()}"
                found.append({"level": choice.alert, "field": f"{self.scale.id}.{item.id}", "value": points,
                              "reason": f"{name} {item.show(points or 0)}: {choice.words}"})
        if self.complete:
            for rule in self.scale.total_alerts:
                if (self.total >= rule.total) if rule.above else (self.total <= rule.total):
                    edge = "at or above" if rule.above else "at or below"
                    found.append({"level": rule.level, "field": self.scale.id, "value": self.total,
                                  "reason": f"{self.scale.short} total {self.total} ({edge} {rule.total})"})
        found.sort(key=lambda a: 0 if a["level"] == "urgent" else 1)
        return found

    @property
    def level(self) -> str:
        levels = {a["level"] for a in self.alerts()}
        return "urgent" if "urgent" in levels else "caution" if "caution" in levels else "ok"

    def words(self) -> str:
        """'RASS -2 (Light sedation)' or 'Dissociation 3/7: mild; sedation yes ...'."""
        if self.scale.single:
            item = self.scale.items[0]
            points = self.answers.get(item.id)
            choice = item.choice(points) if points is not None else None
            if choice is None:
                return f"{self.scale.short} not taken"
            return f"{self.scale.short} {item.show(choice.points)} ({choice.words.split(':')[0]})"
        parts = []
        for item in self.scale.items:
            points = self.answers.get(item.id)
            choice = item.choice(points) if points is not None else None
            if choice is not None:
                parts.append(f"{item.text.lower()} {choice.words.split(':')[0].lower()}")
        total = f" {self.total}" + ("" if self.complete else " (partial)")
        return f"{self.scale.short}{total}: " + "; ".join(parts)

    def payload(self) -> JSONDict:
        """The stored ``scale`` payload (see ``Kind`` in :mod:`kaproom.domain.events`)."""
        answers: JSONDict = {}
        for item in self.scale.items:
            points = self.answers.get(item.id)
            choice = item.choice(points) if points is not None else None
            if choice is not None:
                answers[item.id] = {"points": choice.points, "words": choice.words}
        return {"scale": self.scale.id, "name": self.scale.short, "answers": answers, "order": list(answers),
                "total": self.total,
                "complete": self.complete, "level": self.level, "words": self.words()}


@dataclass(frozen=True)
class ScaleParse:
    """Either a rating (None when nothing was typed) or messages by item id."""

    rating: Rating | None
    errors: Mapping[str, str] = field(default_factory=dict)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 24 else text[:23] + "…"


def parse_answer(item: Item, text: str) -> tuple[int | None, str]:
    """(points, "") for what was typed, (None, "") for nothing, (None, message) otherwise.

    Accepted: the points ('-3', '+2', '3'), the first word of a choice ('mild', 'yes'), or for a
    yes/no item 'y' and 'n'. Never raises."""
    raw = text.strip()
    if not raw:
        return None, ""
    lowered = raw.lower().replace("−", "-").replace("–", "-")
    number = re.fullmatch(r"([+-]?)\s*([0-9]{1,3})(?:\s*[·:].*)?", lowered, re.DOTALL)
    if number is not None:
        points = int(number.group(2)) * (-1 if number.group(1) == "-" else 1)
        if item.choice(points) is not None:
            return points, ""
    elif item.yes_no and lowered in ("y", "n"):
        lowered = "yes" if lowered == "y" else "no"
    if number is None:
        matches = [c for c in item.choices
                   if c.words.lower() == lowered or re.split(r"[:\s]", c.words.lower(), maxsplit=1)[0] == lowered]
        if len(matches) == 1:
            return matches[0].points, ""
    return None, f"{item.text}: '{_clip(raw)}' is not an answer; type {item.hint()}"


def parse_rating(scale: Scale, texts: Mapping[str, object]) -> ScaleParse:
    """A scale's answers typed as text by item id; never raises. Unknown keys are ignored."""
    answers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for item in scale.items:
        value = texts.get(item.id)
        points, message = parse_answer(item, value if isinstance(value, str) else "" if value is None else str(value))
        if message:
            errors[item.id] = message
        elif points is not None:
            answers[item.id] = points
    if errors:
        return ScaleParse(None, errors)
    return ScaleParse(Rating(scale, answers) if answers else None)


def rating_from_payload(scale: Scale, payload: JSONMapping) -> Rating:
    """A stored ``scale`` payload back as a Rating; answers the definition does not know are left out."""
    answers: dict[str, int] = {}
    stored = payload.get("answers")
    if isinstance(stored, Mapping):
        for item in scale.items:
            entry = stored.get(item.id)
            points = entry.get("points") if isinstance(entry, Mapping) else None
            if isinstance(points, int) and not isinstance(points, bool) and item.choice(points) is not None:
                answers[item.id] = points
    return Rating(scale, answers)


def stored_scale_words(payload: JSONMapping) -> str:
    """A stored ``scale`` payload in words without its definition (the review of an old record,
    an export): 'RASS -2 (Light sedation)' or 'Dissociation 2: severity mild; sedation yes'."""
    words = payload.get("words")
    if isinstance(words, str) and words:
        return words
    name = str(payload.get("name") or payload.get("scale") or "Scale")
    answers = payload.get("answers")
    parts: list[str] = []
    if isinstance(answers, Mapping):
        for item_id, entry in answers.items():
            if isinstance(entry, Mapping):
                parts.append(f"{str(item_id).replace('_', ' ')} {entry.get('words') or entry.get('points')}")
    total = payload.get("total")
    head = f"{name} {total}" if isinstance(total, int) and not isinstance(total, bool) else name
    return head + (": " + "; ".join(parts) if parts else "")


# --------------------------------------------------------------------------- when a scale is due

def due_scales(scales: Sequence[Scale], *, check_in: bool, minutes_since_dose: float | None,
               discharge: bool, window_minutes: float = 10.0) -> list[Scale]:
    """The scales to ask for now: at a check-in those due at check-ins, within ``window_minutes``
    of a set time after the dose those due then, before discharge those due before discharge."""
    out = []
    for scale in scales:
        due = scale.due
        if (check_in and due.at_check_ins) or (discharge and due.before_discharge) or (
                minutes_since_dose is not None
                and any(abs(minutes_since_dose - at) <= window_minutes for at in due.after_dose_minutes)):
            out.append(scale)
    return out


def due_after_dose(scales: Sequence[Scale], minutes_since_dose: float | None,
                   rated_at: Mapping[str, Sequence[float]], early: float = 5.0, late: float = 20.0) -> list[Scale]:
    """The scales whose set time after the dose has come (from ``early`` minutes before it to
    ``late`` after) and that have not been rated since that window opened. ``rated_at`` holds,
    by scale id, the minutes after the dose each rating was recorded at."""
    if minutes_since_dose is None:
        return []
    out = []
    for scale in scales:
        for at in scale.due.after_dose_minutes:
            if at - early <= minutes_since_dose <= at + late and not any(
                    r >= at - early for r in rated_at.get(scale.id, ())):
                out.append(scale)
                break
    return out


def due_with_check_in(scales: Sequence[Scale], last_check: float | None, now: float,
                      rated_at: Mapping[str, Sequence[float]], within_minutes: float = 10.0) -> list[Scale]:
    """The scales due with every check-in (not MOAA/S, which is part of it) whose check-in was
    saved in the last ``within_minutes`` and that have not been rated since. Times are session seconds."""
    if last_check is None or now - last_check > within_minutes * 60:
        return []
    return [s for s in scales if s.due.at_check_ins and not s.vitals_field
            and not any(at >= last_check for at in rated_at.get(s.id, ()))]


def due_before_discharge(scales: Sequence[Scale], now: float, rated_at: Mapping[str, Sequence[float]],
                         within_minutes: float = 30.0) -> list[Scale]:
    """The scales due before discharge without a rating in the last ``within_minutes`` (session seconds)."""
    return [s for s in scales if s.due.before_discharge and not s.vitals_field
            and not any(now - at <= within_minutes * 60 for at in rated_at.get(s.id, ()))]


# --------------------------------------------------------------------------- protocol files

class Reader(Protocol):
    """What :func:`parse_scales` needs from the protocol loader's reader."""

    source: str

    def fail(self, where: str, problem: str, fix: str, key: str | None = None) -> ProtocolError: ...

    def check_keys(self, table: object, allowed: set[str], where: str) -> None: ...

    def plain_id(self, value: str, where: str, what: str = "id") -> str: ...


_SCALE_KEYS = {"id", "name", "short", "description", "items", "due_at_check_ins", "due_after_dose_minutes",
               "due_before_discharge", "caution_total_at_or_above", "urgent_total_at_or_above",
               "caution_total_at_or_below", "urgent_total_at_or_below"}
_ITEM_KEYS = {"id", "text", "choices"}
_CHOICE_KEYS = {"points", "words", "alert"}
_CHOICE_EXAMPLE = 'choices = [{points = 0, words = "None"}, {points = 1, words = "Mild", alert = "caution"}]'


def _text(reader: Reader, table: Mapping[str, Any], key: str, where: str, example: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        problem = f"missing '{key}'" if value is None else f"'{key}' must be non-empty text"
        raise reader.fail(f"{where}.{key}" if value is not None else where, problem,
                          f'write {key} = "{example}"', key)
    return value.strip()


def _whole(reader: Reader, value: object, where: str, key: str, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -1000 <= value <= 1000:
        raise reader.fail(where, f"'{key}' must be a whole number from -1000 to 1000, not {value!r}", fix, key)
    return value


def _choices(reader: Reader, raw: object, where: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise reader.fail(f"{where}.choices", "an item needs a list of at least two choices",
                          f"write {_CHOICE_EXAMPLE}", "choices")
    out: list[Choice] = []
    for index, entry in enumerate(raw):
        spot = f"{where}.choices[{index + 1}]"
        if not isinstance(entry, dict):
            raise reader.fail(spot, "each choice must be a table with points and words",
                              f"write {_CHOICE_EXAMPLE}", "choices")
        reader.check_keys(entry, _CHOICE_KEYS, spot)
        points = _whole(reader, entry.get("points"), f"{spot}.points", "points",
                        "give each choice its points, e.g. points = 2")
        words = _text(reader, entry, "words", spot, "Mild")
        alert = entry.get("alert", "")
        if alert not in ("", *LEVELS):
            raise reader.fail(f"{spot}.alert", f"alert {alert!r} is not a level",
                              'write alert = "caution" or alert = "urgent", or leave it out', "alert")
        if any(c.points == points for c in out):
            raise reader.fail(f"{spot}.points", f"two choices have {points} points",
                              "give every choice of an item its own points (the record keeps the points)", "points")
        if any(c.words.lower() == words.lower() for c in out):
            raise reader.fail(f"{spot}.words", f"two choices are called '{words}'",
                              "give every choice of an item its own words", "words")
        out.append(Choice(points, words, str(alert)))
    return tuple(out)


def _items(reader: Reader, raw: object, where: str) -> tuple[Item, ...]:
    if not isinstance(raw, list) or not raw:
        raise reader.fail(f"{where}.items", "a scale needs at least one item",
                          f'add [[scales.items]] with id = "...", text = "..." and {_CHOICE_EXAMPLE}', "items")
    out: list[Item] = []
    for index, entry in enumerate(raw):
        spot = f"{where}.items[{index + 1}]"
        reader.check_keys(entry, _ITEM_KEYS, spot)
        item_id = reader.plain_id(_text(reader, entry, "id", spot, "q1"), spot, "item id")
        if any(i.id == item_id for i in out):
            raise reader.fail(f"{spot}.id", f"item id '{item_id}' is used twice", "give every item its own id", "id")
        out.append(Item(item_id, _text(reader, entry, "text", spot, "Felt detached from the body"),
                        _choices(reader, entry.get("choices"), spot)))
    return tuple(out)


def _scale(reader: Reader, raw: object, where: str) -> Scale:
    reader.check_keys(raw, _SCALE_KEYS, where)
    assert isinstance(raw, dict)  # check_keys refuses anything else
    scale_id = reader.plain_id(_text(reader, raw, "id", where, "rass"), where, "scale id")
    base = BUILTIN_SCALES.get(scale_id)
    if base is None or "items" in raw:
        if base is not None and base.vitals_field:
            raise reader.fail(f"{where}.items", f"'{scale_id}' is recorded with the vitals and cannot be redefined",
                              f'leave out its items (id = "{scale_id}" alone uses the built-in one)', "items")
        if "items" not in raw:
            raise reader.fail(where, f"'{scale_id}' is not a built-in scale and has no items",
                              f"use one of {', '.join(BUILTIN_SCALES)}, or define it with [[scales.items]]")
        name = _text(reader, raw, "name", where, "Clinician-Administered Dissociative States Scale, 6 items")
        base = Scale(scale_id, name, str(raw.get("short") or name), _items(reader, raw["items"], where),
                     Due(), ())
    elif "name" in raw or "short" in raw:
        base = replace(base, name=_text(reader, raw, "name", where, base.name) if "name" in raw else base.name,
                       short=_text(reader, raw, "short", where, base.short) if "short" in raw else base.short)
    if "short" in raw and not isinstance(raw["short"], str):
        raise reader.fail(f"{where}.short", "'short' must be text", 'write short = "CADSS-6"', "short")
    due = base.due
    for key in ("due_at_check_ins", "due_before_discharge"):
        if key in raw and not isinstance(raw[key], bool):
            raise reader.fail(f"{where}.{key}", f"'{key}' must be true or false", f"write {key} = true", key)
    if "due_after_dose_minutes" in raw:
        after = raw["due_after_dose_minutes"]
        if not isinstance(after, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 24 * 60 for v in after):
            raise reader.fail(f"{where}.due_after_dose_minutes", "must be a list of positive minutes",
                              "write due_after_dose_minutes = [40]", "due_after_dose_minutes")
        due = replace(due, after_dose_minutes=tuple(float(v) for v in sorted(after)))
    due = replace(due, at_check_ins=bool(raw.get("due_at_check_ins", due.at_check_ins)),
                  before_discharge=bool(raw.get("due_before_discharge", due.before_discharge)))
    rules = list(base.total_alerts)
    for key in sorted(k for k in raw if k.endswith("_total_at_or_above") or k.endswith("_total_at_or_below")):
        level = key.split("_", 1)[0]
        total = _whole(reader, raw[key], f"{where}.{key}", key, f"write {key} = <a total>")
        if not base.lowest <= total <= base.highest:
            raise reader.fail(f"{where}.{key}", f"'{key}' is {total}, but the total runs from {base.lowest} "
                              f"to {base.highest}", f"use a total from {base.lowest} to {base.highest}", key)
        rules.append(TotalAlert(level, total, key.endswith("above")))
    if base.vitals_field and (rules or due != base.due):
        raise reader.fail(where, f"'{scale_id}' is taken with every vitals check-in and alerts by the vitals rules",
                          f'write only id = "{scale_id}" (its threshold is [vitals.alerts] moaas_urgent_at_or_below)')
    return replace(base, due=due, total_alerts=tuple(rules))


def parse_scales(reader: Reader, raw: object) -> tuple[Scale, ...]:
    """The protocol's ``[[scales]]``: built-in scales by id (their due times and thresholds may be
    changed) or a clinic's own, defined in full. Raises the reader's ProtocolError on the first problem."""
    if not isinstance(raw, list) or not raw:
        raise reader.fail("scales", "scales must be a list of tables", 'write each as [[scales]] with id = "rass"',
                          "scales")
    out: list[Scale] = []
    for index, entry in enumerate(raw):
        scale = _scale(reader, entry, f"scales[{index + 1}]")
        if any(s.id == scale.id for s in out):
            raise reader.fail(f"scales[{index + 1}].id", f"scale '{scale.id}' is listed twice",
                              "list every scale once", "id")
        out.append(scale)
    if not any(s.vitals_field for s in out):  # MOAA/S is part of every check-in (NEWS2 needs it)
        out.insert(0, MOAAS)
    return tuple(out)
