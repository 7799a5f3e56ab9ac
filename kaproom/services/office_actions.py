"""Office actions: the sign-offs (and comments) office computers make on the clinic's sessions,
each in the office's own chain on the clinic server, never in the room's session chain.

A room sees them read-only: ``clinic sync`` (and the app's background sender) brings those on its
sessions into a small file in the data folder (0600, not the record), and the review and the
exports show them beside the session's own sign-offs, with the office's name. No psycopg here: a
computer that never joined reads only that file (absent there).

The file also holds every office chain whole, as links (seq, previous hash, hash; the content of
entries on other rooms' sessions never leaves the server for a room): so ``kaproom verify`` can
tell that an entry is missing here, or was withheld, naming the office and the seq, and that the
clinic server's head of each chain is at or ahead of what the room received (a witness).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from kaproom.domain.events import GENESIS, ChainReport, event_hash_of_text

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
    prev_hash: str = ""  # the entry as hashed (empty in a file received before they were kept)
    payload: str = ""

    def to_json(self) -> dict[str, Any]:
        return {name.name: getattr(self, name.name) for name in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OfficeAction:
        return cls(**{name.name: data[name.name] for name in fields(cls) if name.name in data
                      or name.name not in OPTIONAL_FIELDS})

    def hash_holds(self) -> bool:
        """Whether the entry's content gives its hash (True when the file holds no content to check)."""
        if not self.payload:
            return True
        return entry_hash(self.computer, self.seq, self.kind, self.wall_time, self.author, self.payload,
                          self.prev_hash) == self.hash


OPTIONAL_FIELDS = frozenset({"prev_hash", "payload"})


@dataclass(frozen=True)
class Link:
    """One entry of an office chain as the room keeps it: enough to tell that none is missing."""

    seq: int
    prev_hash: str
    hash: str
    ours: bool = False  # on one of this room's sessions: its action is held here too


def entry_hash(computer: str, seq: int, kind: str, wall_time: str, author: str, payload: str, prev_hash: str) -> str:
    return event_hash_of_text(str(prev_hash), OFFICE_CHAIN_PREFIX + str(computer), int(seq), str(kind),
                              str(wall_time), 0.0, str(author), "", str(payload))


def office_action(computer: str, seq: int, session_uid: str | None, wall_time: str, author: str, kind: str,
                  payload: str, prev_hash: str, digest: str) -> OfficeAction | None:
    """An entry of an office chain as an action, or None when its content does not match its hash."""
    if entry_hash(computer, seq, kind, wall_time, author, payload, prev_hash) != digest:
        return None
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    body = body if isinstance(body, dict) else {}
    return OfficeAction(str(computer), int(seq), str(session_uid or body.get("session_uid") or ""), str(wall_time),
                        str(author), str(kind), str(body.get("comment") or ""), str(body.get("role") or ""),
                        str(digest), str(prev_hash), str(payload))


def _load(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((Path(folder) / OFFICE_ACTIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_office_actions(folder: Path) -> list[OfficeAction]:
    """The office actions the last ``clinic sync`` brought (none on a computer that never joined)."""
    return _actions(_load(folder))


def _actions(data: dict[str, Any]) -> list[OfficeAction]:
    actions = []
    for item in data.get("actions", []):
        try:
            actions.append(OfficeAction.from_json(item))
        except (KeyError, TypeError):
            continue
    return actions


def _chains(data: dict[str, Any]) -> dict[str, list[Link]]:
    chains: dict[str, list[Link]] = {}
    raw = data.get("chains")
    for computer, links in (raw.items() if isinstance(raw, dict) else []):
        kept = []
        for link in links if isinstance(links, list) else []:
            try:
                seq, prev, digest, ours = link
                kept.append(Link(int(seq), str(prev), str(digest), bool(ours)))
            except (TypeError, ValueError):
                continue
        chains[str(computer)] = sorted(kept, key=lambda one: one.seq)
    return chains


@dataclass(frozen=True)
class Received:
    """What the room holds of the office chains: its sessions' actions, and every chain's links."""

    actions: list[OfficeAction]
    chains: dict[str, list[Link]]

    def complete_to(self, computer: str) -> int:
        """The last seq of the chain held here from entry 1 without a gap (0: none)."""
        held = {link.seq for link in self.chains.get(computer, [])}
        seq = 0
        while seq + 1 in held:
            seq += 1
        return seq

    def to_json(self) -> dict[str, Any]:
        return {"actions": [action.to_json() for action in self.actions],
                "chains": {computer: [[link.seq, link.prev_hash, link.hash, link.ours] for link in links]
                           for computer, links in sorted(self.chains.items())}}


def load_received(folder: Path) -> Received:
    data = _load(folder)
    return Received(_actions(data), _chains(data))


def merge_received(held: Received, entries: list[tuple[str, OfficeAction | None, Link]]) -> Received:
    """What the room held, with the entries the clinic sent (each: its office computer; its action,
    None for an entry on another room's session, of which only the link is sent; and its link,
    which says whether it is on this room's sessions). An entry held here already is kept as held;
    one on this room's sessions without its action (its content did not give its hash) is left out
    (so ``verify`` names it missing); an entry that does not follow the one held before it (its
    history differs from what the room received) is refused with every later one of that office,
    never merged."""
    chains = {computer: list(links) for computer, links in held.chains.items()}
    # By office and seq: an action a file from before the links were kept holds is replaced, not doubled.
    actions = {(action.computer, action.seq): action for action in held.actions}
    refused: set[str] = set()
    for computer, action, link in entries:
        if (link.ours and action is None) or computer in refused:
            continue
        links = chains.setdefault(computer, [])
        by_seq = {one.seq: one for one in links}
        if link.seq in by_seq:
            continue
        before = by_seq.get(link.seq - 1)
        if (link.seq == 1 and link.prev_hash != GENESIS) or (before is not None and before.hash != link.prev_hash):
            refused.add(computer)
            continue
        links.append(link)
        links.sort(key=lambda one: one.seq)
        if action is not None and link.ours:
            actions[(action.computer, action.seq)] = action
    return Received(sorted(actions.values(), key=lambda a: (a.wall_time, a.computer, a.seq)), chains)


def held_chain_label(computer: str) -> str:
    return f"office chain of {computer} as received here"


def held_chain_reports(received: Received) -> list[ChainReport]:
    """Each office chain the room holds: entries from 1 without a gap, each linked to the one
    before, and each of this room's sign-offs the entry its link says (its content giving its hash)."""
    reports = []
    for computer, links in sorted(received.chains.items()):
        label = held_chain_label(computer)
        report = ChainReport(label, len(links))
        expected_prev = GENESIS
        for expected, link in enumerate(links, start=1):
            if link.seq != expected:
                report = ChainReport(label, len(links), expected, None,
                                     f"entry {expected} of {computer}'s chain is missing here (the next held is "
                                     f"{link.seq}): withheld, or removed from this computer's copy")
                break
            if link.prev_hash != expected_prev:
                report = ChainReport(label, len(links), link.seq, None,
                                     f"entry {link.seq} of {computer}'s chain does not follow entry {link.seq - 1} "
                                     "held here (an entry was changed or replaced)")
                break
            expected_prev = link.hash
        if report.intact:
            shown = {action.seq for action in received.actions if action.computer == computer}
            hidden = next((link.seq for link in links if link.ours and link.seq not in shown), None)
            if hidden is not None:
                report = ChainReport(label, len(links), hidden, None,
                                     f"entry {hidden} of {computer}'s chain is on this room's sessions and its "
                                     "sign-off is missing here (removed from this computer's copy)")
        if report.intact:
            by_seq = {link.seq: link for link in links}
            for action in received.actions:
                if action.computer != computer:
                    continue
                held = by_seq.get(action.seq)
                if held is None or held.hash != action.hash or not action.hash_holds():
                    report = ChainReport(label, len(links), action.seq, None,
                                         f"the sign-off held here as entry {action.seq} of {computer}'s chain is not "
                                         "that entry (changed in this computer's copy)")
                    break
        reports.append(report)
    return reports


def held_against_server(received: Received, server: dict[str, tuple[int, str | None]]) -> list[ChainReport]:
    """Each office chain held here against the clinic server's copy of it (computer -> the server's
    last seq, and its hash at the last seq held here): the server at or ahead of the room, on the
    same history; an entry withheld or removed there is named."""
    reports = []
    for computer, links in sorted(received.chains.items()):
        if not links:
            continue
        label = f"office chain of {computer} against the clinic server"
        last = links[-1]
        server_seq, server_hash = server.get(computer, (0, None))
        if server_seq < last.seq:
            reports.append(ChainReport(label, len(links), server_seq + 1, None,
                                       f"the clinic server holds {server_seq} entries of {computer}'s chain and this "
                                       f"room received {last.seq}: entry {server_seq + 1} is missing on the server "
                                       "(withheld or removed there)"))
        elif server_hash is None:
            reports.append(ChainReport(label, len(links), last.seq, None,
                                       f"entry {last.seq} of {computer}'s chain, received here, is missing on the "
                                       "clinic server (withheld or removed there)"))
        elif server_hash != last.hash:
            reports.append(ChainReport(label, len(links), last.seq, None,
                                       f"entry {last.seq} of {computer}'s chain here is not the entry the clinic "
                                       "server holds (its copy was rewritten)"))
        else:
            reports.append(ChainReport(label, len(links)))
    return reports
