"""This computer and the clinic server: joining, sending, and how far the server has the record.

Two small files in the data folder, both 0600 and neither part of the record:

- ``clinic.json``: the server's address, this computer's name, room or office, and the password
  (when the address had none, it was read from standard input at ``clinic join``).
- ``clinic-sent.json``: how far the server has this computer's record (see
  :class:`kaproom.clinic.sender.Position`). Losing it costs nothing but a resend: the server
  skips what it already holds.
- ``clinic-accounts.json`` (rooms): when the clinic's accounts were last received, and what that
  changed or refused. The accounts themselves are in the record (users table and audit log).

A computer without ``clinic.json`` never loads psycopg and never opens a socket.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo

from kaproom.clinic import accounts as clinic_accounts
from kaproom.clinic import reader
from kaproom.clinic.errors import ClinicError
from kaproom.clinic.sender import RECEIVE_EVERY_S, Position, Sender, SenderThread, SendStatus, join
from kaproom.clinic.server import connect, connection_params, describe, translate
from kaproom.domain.events import ChainReport
from kaproom.domain.people import (
    AccountVersion,
    AuditKind,
    OfficeEntry,
    account_version_problem,
    name_key,
    user_state,
)
from kaproom.services.office_actions import (
    OFFICE_ACTIONS_FILE,
    Link,
    OfficeAction,
    held_against_server,
    held_chain_reports,
    load_received,
    merge_received,
    office_action,
)
from kaproom.services.paths import ensure_private_dir
from kaproom.services.people import People
from kaproom.store import DB_FILENAME, NotFound, SessionRow, Store
from kaproom.store.accounts import Accounts
from kaproom.store.outbox import Outbox
from kaproom.store.register import StockRegister

CONFIG_FILE = "clinic.json"
POSITION_FILE = "clinic-sent.json"
ACCOUNTS_FILE = "clinic-accounts.json"
KINDS = ("room", "office")
#: How a stock register the clinic refused is sent again, once the cause is put right.
RETRY_REGISTER = ("once the cause is put right (the right record back here, or the clinic's copy mended), "
                  "send it again: kaproom clinic sync --retry-register")


@dataclass(frozen=True)
class ClinicConfig:
    url: str  # without the password
    computer: str
    kind: str  # "room" | "office"
    password: str | None = None

    def params(self) -> dict[str, Any]:
        return connection_params(self.url, self.password)

    @property
    def server(self) -> str:
        return describe(conninfo.conninfo_to_dict(self.url))


def is_joined(folder: Path) -> bool:
    return (Path(folder) / CONFIG_FILE).exists()


def write_private(path: Path, data: Any) -> None:
    """Write JSON atomically, readable by the owner only (0600 from the start, never wider)."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def load_config(folder: Path) -> ClinicConfig | None:
    path = Path(folder) / CONFIG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ClinicError(f"{path} cannot be read ({exc}). Join the clinic again: "
                          "kaproom clinic join URL --room NAME") from None
    return ClinicConfig(str(data["url"]), str(data["computer"]), str(data.get("kind", "room")),
                        data.get("password"))


def required_config(folder: Path) -> ClinicConfig:
    config = load_config(folder)
    if config is None:
        raise ClinicError("This computer has not joined a clinic server: "
                          "kaproom clinic join postgresql://ROLE@HOST/DATABASE --room NAME")
    return config


def url_has_password(url: str) -> bool:
    try:
        return bool(conninfo.conninfo_to_dict(url).get("password"))
    except Exception:  # noqa: BLE001 - an unreadable address is reported by join itself
        return False


def join_clinic(folder: Path, url: str, computer: str, kind: str = "room", password: str | None = None) -> ClinicConfig:
    """Register this computer on the server and remember it (the backlog is sent by the next sync)."""
    computer = computer.strip()
    if not computer:
        raise ClinicError("Give this computer a name: --room 'Room 1' (or --office NAME).")
    if kind not in KINDS:
        raise ClinicError(f"A computer joins as one of {', '.join(KINDS)}, not '{kind}'.")
    try:
        params: dict[str, Any] = conninfo.conninfo_to_dict(url)
    except Exception as exc:  # noqa: BLE001 - psycopg's ProgrammingError: said in words
        raise ClinicError(f"That is not a PostgreSQL address ({exc}). "
                          "Write it as postgresql://ROLE@HOST/DATABASE.") from None
    given = params.pop("password", None)
    secret = str(given) if given else password
    bare = conninfo.make_conninfo("", **params)
    config = ClinicConfig(bare, computer, kind, secret)
    join(config.params(), computer, kind)
    ensure_private_dir(Path(folder))
    write_private(Path(folder) / CONFIG_FILE, {"url": bare, "computer": computer, "kind": kind, "password": secret,
                                               "joined_at": datetime.now(UTC).isoformat(timespec="seconds")})
    return config


def load_position(folder: Path) -> Position:
    try:
        return Position.from_json(json.loads((Path(folder) / POSITION_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return Position()


def save_position(folder: Path, position: Position) -> None:
    write_private(Path(folder) / POSITION_FILE, position.to_json())


def new_sender(folder: Path, config: ClinicConfig) -> Sender:
    if not (Path(folder) / DB_FILENAME).exists():  # joined before the first session: an empty record to read
        Store(Path(folder) / DB_FILENAME).close()
    return Sender(config.params(), config.computer, Outbox(Path(folder) / DB_FILENAME), kind=config.kind)


@dataclass(frozen=True)
class SyncResult:
    sent: int
    position: Position
    office_actions: int = 0  # sign-offs made at office computers on this room's sessions, now in view here
    accounts: int = 0  # clinic accounts changed here
    accounts_said: tuple[str, ...] = ()  # what that changed, in words (a room account taken over, ...)
    accounts_refused: tuple[str, ...] = ()  # account versions refused, each naming its office and entry
    accounts_published: int = 0  # an office computer: versions of its clinic-wide accounts published


def not_sent_words(count: int, all_imported: bool, kind: str) -> str:
    """What ``clinic sync`` says, quietly, of the sessions held here that this computer does not send
    (``status()["not_sent_sessions"]``, see :meth:`Sender.not_sent`)."""
    session = f"{'imported ' if all_imported else ''}session{'s' if count != 1 else ''}"
    office = "" if kind == "room" else "; an office computer sends its own audit log and register"
    return (f"{count} {session} {'is' if count == 1 else 'are'} not sent from this {kind}: each session is sent by "
            f"the room that recorded it (one writer per chain){office}.")


#: The office chains' entries after what the room holds of each from entry 1 without a gap (an entry
#: missing here is asked for again), and whether each is on one of this room's sessions. Only the
#: entries on this room's sessions come with their content (session, time, author, kind, payload);
#: of the others, only their links (seq, previous hash, hash) leave the server: enough to tell that
#: none is missing, nothing of another room's sessions.
OFFICE_ENTRIES_SQL = """
SELECT e.computer, e.seq, CASE WHEN e.ours THEN e.session_uid END, CASE WHEN e.ours THEN e.wall_time END,
       CASE WHEN e.ours THEN e.author END, CASE WHEN e.ours THEN e.kind END, CASE WHEN e.ours THEN e.payload END,
       e.prev_hash, e.hash, e.ours
  FROM (SELECT o.computer, o.seq, o.session_uid, o.wall_time, o.author, o.kind, o.payload, o.prev_hash, o.hash,
               COALESCE(s.room = %s, false) AS ours
          FROM kaproom.office_events o
          LEFT JOIN kaproom.sessions s ON s.uid = o.session_uid
          LEFT JOIN unnest(%s::text[], %s::int[]) AS k(computer, after) ON k.computer = o.computer
         WHERE o.seq > COALESCE(k.after, 0)) AS e
 ORDER BY e.computer, e.seq
"""


def receive_office_actions(folder: Path, config: ClinicConfig) -> int:
    """Bring the office computers' actions on this room's sessions into view here: a file beside
    the record (0600), never the room's own chains, with every office chain's links so that
    ``verify`` can tell none is missing (see :mod:`kaproom.services.office_actions`). Only what
    the room does not hold yet is read, and of other rooms' sessions only the links. An entry on
    this room's sessions whose content does not match its hash is left out; one that does not
    follow what the room received is refused, never merged. Returns how many actions on this
    room's sessions there are."""
    folder = Path(folder)
    held = load_received(folder)
    after = {computer: held.complete_to(computer) for computer in held.chains}
    try:
        with connect(config.params()) as conn:
            rows = conn.execute(OFFICE_ENTRIES_SQL, (config.computer, list(after), list(after.values()))).fetchall()
    except psycopg.Error as exc:
        raise translate(exc, config.params()) from None
    entries: list[tuple[str, OfficeAction | None, Link]] = []
    for row in rows:
        link = Link(int(row[1]), str(row[7]), str(row[8]), bool(row[9]))
        action = office_action(*row[:9]) if link.ours else None
        if link.ours and action is None:
            continue  # its content does not give its hash: left out, so ``verify`` names it missing
        entries.append((str(row[0]), action, link))
    merged = merge_received(held, entries)
    data = merged.to_json()
    if data != held.to_json() or not (folder / OFFICE_ACTIONS_FILE).exists():
        write_private(folder / OFFICE_ACTIONS_FILE, data)
    return len(merged.actions)


@dataclass(frozen=True)
class Received:
    """What :func:`receive_from_clinic` brought."""

    office_actions: int = 0  # sign-offs made at office computers on this room's sessions, now in view here
    accounts: int = 0  # clinic accounts changed here (see :func:`receive_accounts`)


def receive_from_clinic(folder: Path, config: ClinicConfig) -> Received:
    """Receive what the clinic added for this computer, one step after another: ``clinic sync``
    and the app's background sender (:func:`start_sender`) both call this, so a step added here
    runs in both. Raises ClinicUnreachable (try again later: nothing here is lost) or ClinicError
    (said in the room's quiet line, and by ``clinic sync``)."""
    folder = Path(folder)
    try:
        office = receive_office_actions(folder, config) if config.kind == "room" else 0
        accounts = receive_accounts(folder, config)
    except OSError as exc:  # the data folder is full or read-only: said, tried again later
        raise ClinicError(f"what the clinic sent could not be kept in {folder} ({exc})") from None
    return Received(office, accounts)


def _store(folder: Path) -> Store:
    return Store(Path(folder) / DB_FILENAME)


def pending_accounts(folder: Path, config: ClinicConfig, published: list[AccountVersion]) -> list[AccountVersion]:
    """The versions of this office's clinic-wide accounts the server does not have yet: for each
    account, its state now with the audit entry that made it, unless the clinic's latest version of
    that account already says the same (an unlock here changes nothing clinic-wide)."""
    latest = {name_key(v.name): v for v in published}
    mine = {v.audit_seq for v in published if v.office == config.computer}
    store = _store(folder)
    try:
        people = People(store)
        last_change = {name_key(str(e.payload.get("user", ""))): e
                       for e in people.accounts.audit_events(AuditKind.LOCAL_USER_CHANGES)}
        new = []
        for name in people.clinic_names():
            user, entry = people.find(name), last_change.get(name_key(name))
            if user is None or entry is None:
                continue
            secret_hash = people.accounts.secret_hash(user.name)
            if {k: entry.payload.get(k) for k in ("user", "role", "active", "secret_fingerprint")} \
                    != user_state(user, secret_hash):
                continue  # the users table disagrees with the audit log: `kaproom verify` says so; nothing sent
            version = AccountVersion(user.name, user.role.value, user.active, secret_hash, user.secret_kind,
                                     config.computer, entry.seq, entry.hash, entry.wall_time)
            held = latest.get(name_key(name))
            same = held is not None and (held.name, held.role, held.active, held.secret_hash, held.secret_kind) == (
                version.name, version.role, version.active, version.secret_hash, version.secret_kind)
            if entry.seq not in mine and not same:
                new.append(version)
        return new
    finally:
        store.close()


def publish_accounts(folder: Path, config: ClinicConfig) -> int:
    """An office computer publishes its clinic-wide accounts' new versions (its audit log must be on
    the server first: ``sync_now`` sends it before). Returns how many were published."""
    store = _store(folder)
    try:
        if not People(store).clinic_names():
            return 0  # nothing managed clinic-wide here: the server is not asked
    finally:
        store.close()
    params = config.params()
    with connect(params) as conn:
        held = [version for version, _ in clinic_accounts.versions(conn, params)]
        conn.rollback()
        new = pending_accounts(folder, config, held)
        if new:
            clinic_accounts.publish(conn, params, new)
    return len(new)


def receive_accounts(folder: Path, config: ClinicConfig) -> int:
    """A room (or another office computer) takes the clinic's accounts: for each name, the clinic's
    latest version, checked against the office's audit entry on the server, becomes this computer's
    account (with an account_from_clinic audit entry, in one transaction); a version taken before
    changes nothing, and an office skips its own. An account of the same name made here is taken
    over by the clinic's. A version whose office entry is missing or differs is refused, naming the
    office and the entry, and nothing of it is applied. What happened is kept in
    ``clinic-accounts.json`` (see :func:`accounts_received`). Returns how many accounts changed here.
    A clinic server not yet upgraded to hold accounts (``clinic init``) has none to give: 0."""
    params = config.params()
    try:
        with connect(params) as conn:
            found = clinic_accounts.versions(conn, params)
    except clinic_accounts.NoAccountsYet:
        return 0
    latest: dict[str, tuple[AccountVersion, OfficeEntry | None]] = {}
    for version, entry in found:
        latest[name_key(version.name)] = (version, entry)
    said, refused, changed = [], [], 0
    store = _store(folder)
    try:
        people = People(store)
        for version, entry in latest.values():
            if version.office == config.computer:
                continue  # this office's own version: its account here is what it published
            problem = account_version_problem(version, entry)
            if problem is not None or entry is None:
                refused.append(problem or "")
                continue
            taken = people.take_from_clinic(version, entry.actor)
            if taken is None:
                continue
            changed += 1
            if taken.replaced_local:
                said.append(f"the {config.kind} account '{version.name}' was taken over by the clinic's account of "
                            f"the same name (from office '{version.office}')")
    finally:
        store.close()
    write_private(Path(folder) / ACCOUNTS_FILE, {
        "received_at": datetime.now(UTC).isoformat(timespec="seconds"), "accounts": len(latest), "changed": changed,
        "said": said, "refused": refused})
    return changed


def accounts_received(folder: Path) -> dict[str, Any]:
    """What the last receipt of the clinic's accounts did (empty before the first)."""
    try:
        data = json.loads((Path(folder) / ACCOUNTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def retry_register(folder: Path) -> bool:
    """``clinic sync --retry-register``: a stock register the clinic refused is no longer set aside,
    and is sent again from its first line at the next send (the server skips what it holds, and
    refuses again, by name, a line that still differs). False when none was refused."""
    position = load_position(folder)
    if not position.register_refused:
        return False
    save_position(folder, replace(position, register_refused="", register_seq=0))
    return True


def sync_now(folder: Path) -> SyncResult:
    """Send everything not yet sent, then receive what the clinic added (a room: the office actions;
    every computer: the clinic's accounts) and (an office) publish its clinic-wide accounts' changes.
    Raises ClinicUnreachable (nothing lost) or ClinicRefused."""
    folder = Path(folder)
    config = required_config(folder)
    sender = new_sender(folder, config)
    try:
        before = sender.reconcile(load_position(folder))
        save_position(folder, before)  # kept even when nothing is to be sent (refusals not this computer's dropped)
        waiting = sender.waiting(before)
        after = sender.send_pending(before, lambda p: save_position(folder, p))
    finally:
        sender.close()
        sender.source.close()  # type: ignore[attr-defined]
    received = receive_from_clinic(folder, config)
    published = publish_accounts(folder, config) if config.kind == "office" else 0
    if published:
        receive_accounts(folder, config)  # changes nothing here (its own versions): counts the clinic's accounts anew
    note = accounts_received(folder)  # what this receipt said and refused
    return SyncResult(waiting, after, received.office_actions, received.accounts, tuple(note.get("said", ())),
                      tuple(note.get("refused", ())), published)


def status(folder: Path) -> dict[str, Any]:
    """What ``clinic status`` says: server, name, last send, events waiting, sessions set aside."""
    folder = Path(folder)
    config = load_config(folder)
    if config is None:
        return {"joined": False}
    position = load_position(folder)
    outbox = Outbox(folder / DB_FILENAME) if (folder / DB_FILENAME).exists() else None
    try:
        # A sender that never connects: only what it would send, and what it holds and does not.
        sender = Sender(config.params(), config.computer, outbox, kind=config.kind) if outbox else None
        waiting = sender.waiting(position) if sender else 0
        not_sent, all_imported = sender.not_sent() if sender else (0, True)
    finally:
        if outbox:
            outbox.close()
    accounts = accounts_received(folder)
    return {"joined": True, "server": config.server, "computer": config.computer, "kind": config.kind,
            "last_sent_at": position.last_sent_at, "waiting": waiting,
            "not_sent_sessions": not_sent, "not_sent_all_imported": all_imported,
            "refused": [{"session_uid": uid, "reason": reason} for uid, reason in position.refused],
            "register_sent": position.register_seq, "register_refused": position.register_refused or None,
            "accounts_received_at": accounts.get("received_at"), "accounts": accounts.get("accounts"),
            "accounts_refused": accounts.get("refused") or []}


def start_sender(folder: Path, report: Any = None, receive_every_s: float = RECEIVE_EVERY_S) -> SenderThread | None:
    """The background sender for a joined computer (None when it has not joined): it sends what is
    committed here and receives what the clinic added (:func:`receive_from_clinic`) once caught up,
    then every ``receive_every_s``."""
    folder = Path(folder)
    config = load_config(folder)
    if config is None:
        return None
    thread = SenderThread(new_sender(folder, config), load_position(folder), lambda p: save_position(folder, p),
                          report or (lambda s: None), receive=lambda: receive_from_clinic(folder, config),
                          receive_every_s=receive_every_s, reload=lambda: load_position(folder))
    thread.start()
    return thread


def describe_status(status: SendStatus, now: datetime | None = None) -> str:
    """The room's quiet line: "sent to the clinic 0:00:04 ago" / "clinic server unreachable since …"."""
    now = now or datetime.now(UTC)
    if status.unreachable_since:
        since = datetime.fromisoformat(status.unreachable_since).astimezone().strftime("%H:%M")
        return f"clinic server unreachable since {since}, {status.waiting} events waiting"
    if status.problem:
        return f"clinic server: {status.problem}"
    if status.last_sent_at:
        seconds = max(0, int((now - datetime.fromisoformat(status.last_sent_at)).total_seconds()))
        return f"sent to the clinic {seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d} ago"
    return "not sent to the clinic yet"


def server_sessions(folder: Path, limit: int) -> list[SessionRow]:
    """``kaproom sessions --clinic``: every room's sessions as the clinic server holds them, newest first."""
    config = required_config(folder)
    with connect(config.params()) as conn:
        return [SessionRow(**row) for row in reader.list_sessions(conn, limit=limit)]


def room_against_server(store: Store, conn: Any, room: str) -> list[ChainReport]:
    """This room's sessions against what the server holds of them: a chain rewritten or cut short
    here, after the server received it, is caught by the server's copy (a witness)."""
    return room_against_heads(store, reader.heads_of_room(conn, room))


def room_against_heads(store: Store, heads: dict[str, tuple[int, str]]) -> list[ChainReport]:
    """This room's sessions against the heads the server holds of them (uid -> (seq, hash))."""
    reports = []
    for uid, (server_seq, server_hash) in heads.items():
        try:
            row = store.session(uid)
        except NotFound:
            reports.append(ChainReport(f"session {uid[:8]} (on the clinic server)", server_seq, 1, None,
                                       "the clinic server holds it and this computer's record does not"))
            continue
        reports.append(chain_against_head(
            f"session {row.id} ({uid[:8]}) against the clinic server", {e.seq: e.hash for e in store.events(uid)},
            (server_seq, server_hash), ("event", "events", ""), "events were removed here", "this record"))
    return reports


def chain_against_head(label: str, local: dict[int, str], head: tuple[int, str], words: tuple[str, str, str],
                       removed: str, whose: str) -> ChainReport:
    """One chain here (seq -> hash) against the last link of it the server holds: links cut from
    the end here, or rewritten, after the server received them. ``words``: the link in the
    singular and plural and what follows the count ("event", "events", ""), for the message."""
    server_seq, server_hash = head
    one, many, of_it = words
    if server_seq > len(local):
        return ChainReport(label, len(local), len(local) + 1, None,
                           f"the clinic server holds {server_seq} {many}{of_it} and this record only {len(local)} "
                           f"({removed})")
    if local.get(server_seq) != server_hash:
        return ChainReport(label, len(local), server_seq, None,
                           f"{one} {server_seq} here is not the {one} the clinic server holds ({whose} was rewritten)")
    return ChainReport(label, len(local))


def audit_against_head(store: Store, head: tuple[int, str] | None) -> list[ChainReport]:
    """This computer's audit log against the last entry of it the server holds: entries cut from
    the end here, or rewritten, after the server received them, are caught by the server's copy."""
    if head is None:
        return []
    local = {entry.seq: entry.hash for entry in Accounts(store).audit_events()}
    return [chain_against_head("this computer's audit log against the clinic server", local, head,
                               ("entry", "entries", " of it"), "entries were removed here", "this audit log")]


def register_against_head(store: Store, head: tuple[int, str] | None) -> list[ChainReport]:
    """This computer's stock register against the last line of it the server holds: lines cut from
    the end here (a register put back to an older copy), or rewritten, after the server received
    them, are caught by the server's copy (a witness)."""
    if head is None:
        return []
    local = {event.seq: event.hash for event in StockRegister(store).events()}
    return [chain_against_head("this computer's stock register against the clinic server", local, head,
                               ("line", "lines", " of it"),
                               "lines were removed here, or the record was put back to an older copy",
                               "this register")]


WITNESSES_OF = """
SELECT a.computer, a.seq, a.hash FROM kaproom.audit a
  JOIN unnest(%s::text[], %s::integer[]) AS named(computer, seq) ON a.computer = named.computer AND a.seq = named.seq
"""


def accounts_against_server(store: Store, conn: Any) -> list[ChainReport]:
    """Each account this computer took from the clinic against the office audit entry it names, on
    the server: an account_from_clinic entry written here by hand (in the name of an office that
    never made that change) is caught by the office's audit log, its witness."""
    taken = Accounts(store).audit_events((AuditKind.ACCOUNT_FROM_CLINIC,))
    if not taken:
        return []
    named = [(str(e.payload.get("office", "")), int(e.payload.get("office_audit_seq") or 0)) for e in taken]
    held = {(str(c), int(seq)): str(digest) for c, seq, digest in conn.execute(
        WITNESSES_OF, ([c for c, _ in named], [seq for _, seq in named])).fetchall()}
    conn.rollback()
    label = "this computer's accounts from the clinic against the offices' audit logs on the clinic server"
    for event, key in zip(taken, named, strict=True):
        if held.get(key) != event.payload.get("office_audit_hash"):
            where = "is not on the clinic server" if key not in held else "differs from the one it names"
            return [ChainReport(label, len(taken), event.seq, event.id,
                                f"audit entry {event.seq} here gives '{event.payload.get('user')}' an account from "
                                f"office '{key[0]}', but that office's audit entry {key[1]} {where} (written here "
                                "by hand?)")]
    return [ChainReport(label, len(taken))]


def server_reports(folder: Path, store: Store) -> list[ChainReport]:
    """``kaproom verify --clinic``: every chain on the server and, on a room, its record against it."""
    config = required_config(folder)
    with connect(config.params()) as conn:
        reports = [*reader.verify_sessions(conn), *reader.verify_entry_chains(conn), *reader.verify_registers(conn)]
        if config.kind == "room":
            reports += room_against_server(store, conn, config.computer)
            # The office chains this room received: whole here, and the server at or ahead of them.
            received = load_received(folder)
            held = {computer: links[-1].seq for computer, links in received.chains.items() if links}
            reports += held_chain_reports(received) + held_against_server(received, reader.office_heads(conn, held))
        # Any computer's own stock register against the server's copy of it (a rolled-back or
        # rewritten register is caught there).
        reports += register_against_head(store, reader.register_head_of(conn, config.computer))
        reports += accounts_against_server(store, conn)
    return reports
