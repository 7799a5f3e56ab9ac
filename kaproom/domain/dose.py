"""How the dose ended: a lozenge spat out or swallowed is part of the record (it changes how much
ketamine was taken), and easily forgotten once the client lies back with eyeshades on. The
protocol names the quick tags that record it (``dose_end_tags``); the room asks for one when the
session leaves the dose phase without it.
"""
from __future__ import annotations

from typing import Any, Mapping

from .protocol import Protocol


def ends_the_dose(protocol: Protocol, label: str) -> bool:
    """Whether a quick tag with this label records how the dose ended."""
    return label in protocol.dose_end_tags


def dose_end_question(protocol: Protocol) -> str:
    """'How did the dose end? Ctrl+1 lozenge spat out, Ctrl+2 lozenge swallowed.' ('' if the protocol names none)."""
    keys = [f"{tag.key} {tag.label.lower()}" for tag in protocol.quick_tags if ends_the_dose(protocol, tag.label)]
    return f"How did the dose end? {', '.join(keys)}." if keys else ""


def asks_how_the_dose_ended(protocol: Protocol, phase_change: Mapping[str, Any], dose_end_recorded: bool) -> bool:
    """A phase change out of the dose phase, with no tag yet saying how the dose ended."""
    return (bool(protocol.dose_end_tags) and not dose_end_recorded
            and phase_change.get("from") == protocol.dose_phase and phase_change.get("to") != protocol.dose_phase)
