"""Render the review window to PNG files so it can be looked at (under Xvfb, as on a real X server).

Builds a sample clinic in a scratch folder (or uses ``--data-dir`` and ``--session``): a full
session with screening, intention, dose, vitals with statuses, caution and urgent alerts with
acknowledgements, music including a failed track, notes, tags, an amendment, a sign-off and an
amendment after it; a second session whose record was altered behind the app's back. Writes:

* ``review-list.png``        the session list
* ``review-session.png``     the session view (chart, timeline, details, sign-off, exports)
* ``review-amendments.png``  the timeline scrolled to the amended note, only notes and amendments shown
* ``review-broken.png``      the altered session with its "broken at event N" badge

Run: ``.venv/bin/python scripts/review_screenshot.py [--out build/screenshots]``. Without a
display it re-runs itself under ``xvfb-run``; ``--offscreen`` uses Qt's offscreen platform instead.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kaproom.domain.clock import FakeClock  # noqa: E402
from kaproom.domain.events import Kind  # noqa: E402
from kaproom.domain.session import SessionRunner, State  # noqa: E402
from kaproom.services.workspace import Workspace  # noqa: E402

SCREEN = "1920x1080x24"


def vitals(systolic: int, diastolic: int, pulse: int, spo2: int, rr: int = 14, moaas: int = 5,
           statuses: dict | None = None, comment: str = "") -> dict:
    return {"systolic": systolic, "diastolic": diastolic, "pulse": pulse, "spo2": spo2, "respiratory_rate": rr,
            "temperature": None, "moaas": moaas, "nausea": "none", "comment": comment, "partial": False,
            "statuses": statuses or {}}


def at(runner: SessionRunner, clock: FakeClock, minute: float) -> None:
    """Let session time reach ``minute``, recording due phase changes on the way."""
    while runner.elapsed() < minute * 60:
        clock.advance(min(30.0, minute * 60 - runner.elapsed()))
        runner.tick()


def sample_session(workspace: Workspace, clock: FakeClock, client: str, room: str) -> SessionRunner:
    protocol = workspace.protocol("lozenge-3h")
    runner = workspace.new_session(protocol, client, "Ana Ruiz", room,
                                   screening={q.id: q.id == "hypertension" for q in protocol.screening},
                                   intention="To revisit my grief about my father with kindness, not fear.")
    music = [("Tide pool", 2), ("Long light", 21), ("Low hills", 40), ("Slow river", 70), ("Evening field", 120)]
    runner.record(Kind.MUSIC, {"action": "track_started", "title": "Tide pool", "playlist": "arrival.m3u8"})
    at(runner, clock, 12)
    runner.record(Kind.VITALS, vitals(128, 82, 74, 98))
    runner.note("Settled in, eyeshades ready. Talked about the intention.")
    at(runner, clock, 21)
    runner.record(Kind.DOSE, {"route": "sublingual lozenge", "effective_time": round(runner.elapsed(), 3)})
    runner.tag("dosed")
    at(runner, clock, 35)
    runner.record(Kind.VITALS, vitals(146, 90, 88, 97, moaas=4, statuses={
        "systolic": {"level": "caution", "reason": "systolic up 14 % from baseline"}}))
    runner.note("Laughing quietly, then still.")
    at(runner, clock, 52)
    urgent = runner.record(Kind.VITALS, vitals(168, 102, 96, 96, moaas=3, statuses={
        "systolic": {"level": "urgent", "reason": "systolic 168 mmHg is at or above 160"},
        "diastolic": {"level": "urgent", "reason": "diastolic 102 mmHg is at or above 100"}}, comment="recheck in 5 min"))
    alert = runner.record(Kind.ALERT, {"level": "urgent", "field": "systolic", "value": 168, "source_seq": urgent.seq,
                                       "reason": "Systolic 168 mmHg is at or above 160"})
    runner.record(Kind.ALERT_ACK, {"alert_seq": alert.seq, "action": "Rechecked manually, calm room, lights lower"})
    first_note = runner.note("Client said the room was too warm.")
    at(runner, clock, 60)
    runner.record(Kind.VITALS, vitals(142, 88, 84, 97, moaas=3, statuses={
        "systolic": {"level": "caution", "reason": "systolic 142 mmHg is at or above 140"}}))
    runner.record(Kind.MUSIC, {"action": "error", "title": "Deep water", "message": "file could not be played"})
    runner.record(Kind.MUSIC, {"action": "skip", "title": "Deep water"})
    runner.amend(first_note, "It was the blanket that felt too warm, not the room.")
    for title, minute in music[3:]:
        at(runner, clock, minute)
        runner.record(Kind.MUSIC, {"action": "track_started", "title": title})
        runner.note("Quiet, breathing slow." if minute < 100 else "Sitting up, sipping water.")
    for minute, values in ((90, (132, 84, 78, 98)), (130, (126, 80, 72, 98)), (165, (122, 78, 70, 99))):
        at(runner, clock, minute)
        runner.record(Kind.VITALS, vitals(*values))
    runner.tag("integration talk")
    at(runner, clock, 178)
    while not runner.state.is_last_phase:
        runner.advance("ready for integration")
    runner.end(State.DISCHARGED, details={"checklist": {q.id: True for q in protocol.discharge_checklist}})
    return runner


def build_sample(folder: Path) -> tuple[Workspace, str, str]:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    workspace = Workspace(folder, clock)
    for number in range(6):
        runner = sample_session(workspace, clock, f"C-{101 + number}", "Room 1" if number % 2 else "Garden room")
        clock.advance(3600 * 20)
    good = runner.session_uid
    from kaproom.services.signoff import sign_off
    sign_off(workspace, good, "Reviewed. BP rise around 0:50 handled well; no further action.", "Dr Rao")
    first_note = next(e for e in workspace.store.events(good, (Kind.NOTE,)) if "too warm" in e.payload["text"])
    SessionRunner(workspace.protocol_of(workspace.store.session(good)), clock, workspace.store.log(good),
                  "Ana Ruiz", workspace.store.events(good)).amend(first_note, "Also asked for the window open.")
    broken = workspace.store.sessions()[-1].uid  # the oldest: altered with a plain SQLite tool
    note = workspace.store.events(broken, (Kind.NOTE,))[1]
    workspace.close()
    conn = sqlite3.connect(str(folder / "kaproom.sqlite3"))
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET payload=? WHERE session_uid=? AND seq=?",
                 ('{"text":"Nothing of note."}', broken, note.seq))
    conn.commit()
    conn.close()
    return Workspace(folder, clock), good, broken


def grab(window, path: Path) -> None:
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    for _ in range(5):
        app.processEvents()
    picture = None
    if app.platformName() == "xcb" and window.screen() is not None:
        geometry = window.frameGeometry()
        picture = window.screen().grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    if picture is None or picture.isNull():
        picture = window.grab()
    if not picture.save(str(path)):
        raise SystemExit(f"could not save {path}")
    print(f"wrote {path} ({picture.width()}x{picture.height()})")


def render(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from kaproom.ui.kit.theme import apply_theme
    from kaproom.ui.review import open_review

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = None
    if args.data_dir:
        workspace, good, broken = Workspace(Path(args.data_dir)), args.session, None
    else:
        scratch = Path(tempfile.mkdtemp(prefix="kaproom-review-shot-"))
        workspace, good, broken = build_sample(scratch / "data")
    try:
        window = open_review(workspace, "Dr Rao", lock=False)
        width, height = (int(v) for v in args.size.split("x"))
        window.resize(width, height)
        window.move(0, 0)
        window.show()
        grab(window, out / "review-list.png")
        if good:
            window.open_session(good)
            grab(window, out / "review-session.png")
            view = window.session_view
            for label, box in view.kinds.boxes.items():
                box.setChecked(label in ("Notes & tags", "Amendments", "Sign-off & record"))
            target = next((r.seq for r in view.report.timeline if r.amended_by), None) if view.report else None
            if target is not None:
                view.select_event(target)
            grab(window, out / "review-amendments.png")
            for box in view.kinds.boxes.values():
                box.setChecked(True)
        if broken:
            window.open_session(broken)
            grab(window, out / "review-broken.png")
        window.close()
    finally:
        workspace.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "build" / "screenshots"), help="folder for the PNG files")
    parser.add_argument("--data-dir", help="use this data folder instead of a sample")
    parser.add_argument("--session", help="with --data-dir: the session to show (number or id)")
    parser.add_argument("--size", default="1600x1000", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--offscreen", action="store_true", help="use Qt's offscreen platform, not Xvfb")
    args = parser.parse_args()
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not os.environ.get("DISPLAY") and not os.environ.get("KAPROOM_SHOT_UNDER_XVFB"):
        if shutil.which("xvfb-run") is None:
            print("No display and no xvfb-run: install xvfb or pass --offscreen.", file=sys.stderr)
            return 2
        env = {**os.environ, "KAPROOM_SHOT_UNDER_XVFB": "1", "QT_QPA_PLATFORM": "xcb"}
        return subprocess.call(["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN}", sys.executable, *sys.argv], env=env)
    return render(args)


if __name__ == "__main__":
    sys.exit(main())
