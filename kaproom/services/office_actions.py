"""Office actions: the sign-offs (and comments) office computers make on the clinic's sessions,
each in the office's own chain on the clinic server, never in the room's session chain.

A room sees them read-only: ``clinic sync`` brings those on its sessions into a small file in the
data folder (0600, not the record), and the review and the exports show them beside the session's
own sign-offs, with the office's name. No psycopg here: a computer that never joined reads only
that file (absent there).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from kaproom.domain.events import event_hash_of_text

OFFICE_CHAIN_PREFIX = "office:"
#: What the last ``clinic sync`` brought of the office actions on this room's sessions.
OFFICE_ACTIONS_FILE = "clinic-office-actions.json"


@dataclass(frozen=True)
class OfficeAction:
    """A sign-off (or comment) an office computer made on a session, in that office's chain."""

    computer: str
    seq: int
    session_uid: str
    wall_time: str
    author: str
    kind: str
    comment: str
    role: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {name.name: getattr(self, name.name) for name in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OfficeAction:
        return cls(**{name.name: data[name.name] for name in fields(cls)})


def office_action(computer: str, seq: int, session_uid: str | None, wall_time: str, author: str, kind: str,
                  payload: str, prev_hash: str, digest: str) -> OfficeAction | None:
    """An entry of an office chain as an action, or None when its content does not match its hash."""
    chain = OFFICE_CHAIN_PREFIX + str(computer)
    if event_hash_of_text(str(prev_hash), chain, int(seq), str(kind), str(wall_time), 0.0, str(author), "",
                          str(payload)) != digest:
        return None
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    body = body if isinstance(body, dict) else {}
    return OfficeAction(str(computer), int(seq), str(session_uid or body.get("session_uid") or ""), str(wall_time),
                        str(author), str(kind), str(body.get("comment") or ""), str(body.get("role") or ""),
                        str(digest))


def load_office_actions(folder: Path) -> list[OfficeAction]:
    """The office actions the last ``clinic sync`` brought (none on a computer that never joined)."""
    try:
        data = json.loads((Path(folder) / OFFICE_ACTIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    actions = []
    for item in data.get("actions", []) if isinstance(data, dict) else []:
        try:
            actions.append(OfficeAction.from_json(item))
        except (KeyError, TypeError):
            continue
    return actions


def office_actions_json(actions: list[OfficeAction]) -> dict[str, Any]:
    return {"actions": [action.to_json() for action in actions]}
