"""Started by bench_soak.py as its own process, so its memory and CPU are the app's alone.

``soak SPEED NOTES VITALS TRACKS DIR``  a whole default session on a clock SPEED times real time,
    in the real RoomWindow (offscreen) with its real extensions: the music strip on libvlc (the
    dummy audio output) and the vitals panel. Notes are typed into the note field with Enter,
    vitals typed into the form and saved as the F9 form does, tracks changed with the music
    strip's director (as its Next key does), the dose recorded, and the session discharged at
    the end. Prints JSON: resident memory after start-up and at the end, and what was recorded.
``idle SECONDS DIR [nomusic]``  a session at real speed, the room shown and left alone; prints
    JSON with the CPU time the process used over SECONDS.
"""
from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KAPROOM_AUDIO_OUTPUT", "dummy")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kaproom.domain.clock import ScaledClock, SystemClock
from kaproom.domain.events import Kind
from kaproom.domain.session import State
from kaproom.services.simulate import NOTE_TEXTS, plan, realistic_vitals
from kaproom.services.workspace import Workspace
from kaproom.ui.room.controller import SessionController
from kaproom.ui.room.window import RoomWindow


def open_room(folder: str, clock) -> tuple[QApplication, Workspace, RoomWindow]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    workspace = Workspace(folder, clock)
    runner = workspace.new_session(workspace.protocol("lozenge-3h"), "C-SOAK", "Dr Soak", "Room 1", start=False)
    controller = SessionController(workspace, runner)
    controller.start_if_needed()
    room = RoomWindow(controller)
    room.resize(1366, 768)
    room.show()
    return app, workspace, room


def director_of(room: RoomWindow, wait_seconds: float = 10.0):
    """The music director, once the room has started it (libvlc starts after the first paint)."""
    import time

    from kaproom.ui.music.strip import MusicStrip
    strip = room.findChild(MusicStrip)
    music = getattr(strip, "music", None)
    deadline = time.monotonic() + wait_seconds
    while music is not None and music.director is None and not music.off_reason and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    return getattr(music, "director", None), getattr(music, "off_reason", "no music strip") or "did not start"


def type_vitals(room: RoomWindow, values: dict) -> None:
    form = room.vitals.form
    for name, edit in form.fields.items():
        value = values.get(name)
        edit.setText("" if value is None else str(value))
    form.moaas.setCurrentIndex(max(0, form.moaas.findData(str(values["moaas"]))))
    form.nausea.setCurrentIndex(max(0, form.nausea.findData(values["nausea"])))
    room.vitals.save()


def soak(speed: float, notes: int, vitals: int, tracks: int, folder: str) -> None:
    import random
    rng = random.Random(11)
    app, workspace, room = open_room(folder, ScaledClock(speed))
    runner = room.controller.runner
    director, music_off = director_of(room)
    total = runner.protocol.total_seconds
    dose_at = sum(p.seconds for p in runner.protocol.phases[:runner.protocol.dose_phase_index]) + 30
    actions = [(t, "note", i) for i, t in enumerate(plan(total - 120, notes, 60))]
    actions += [(t, "vitals", i) for i, t in enumerate(plan(total - 120, vitals, 10))]
    actions += [(t, "track", i) for i, t in enumerate(plan(total - 120, tracks, 20))]
    actions += [(dose_at, "dose", 0), (total, "discharge", 0)]
    actions.sort()
    result: dict = {"music": "on" if director is not None else f"off: {music_off}"}

    def step() -> None:
        elapsed = runner.elapsed()
        while actions and actions[0][0] <= elapsed:
            _, what, index = actions.pop(0)
            if what == "note":
                QTest.keyClicks(room.note_input, f"{rng.choice(NOTE_TEXTS)} ({index})")
                QTest.keyClick(room.note_input, Qt.Key.Key_Return)
            elif what == "vitals":
                type_vitals(room, realistic_vitals(rng, index % 6))
            elif what == "track" and director is not None:
                director.next()
            elif what == "dose":
                room.vitals.record_dose()
            elif what == "discharge":
                while not runner.state.is_last_phase:
                    room.controller.advance("soak: discharge")
                room.controller.end(State.DISCHARGED, "", {"checklist": {q.id: True for q in
                                                                         runner.protocol.discharge_checklist}})
                QTimer.singleShot(2000, finish)

    def measure_start() -> None:
        result["rss_start_mb"] = _common.rss_mb()
        result["started_wall"] = time.monotonic()

    def finish() -> None:
        result["rss_end_mb"] = _common.rss_mb()
        result["soak_wall_seconds"] = time.monotonic() - result.pop("started_wall")
        events = workspace.store.events(runner.session_uid)
        counts: dict[str, int] = {}
        for event in events:
            counts[event.kind] = counts.get(event.kind, 0) + 1
        result["events"] = counts
        result["track_starts"] = sum(1 for e in events if e.kind == Kind.MUSIC
                                     and e.payload.get("action") == "track_started")
        result["intact"] = all(r.intact for r in workspace.store.verify(runner.session_uid))
        result["state"] = runner.state.state.value
        print(json.dumps(result), flush=True)
        os._exit(0)

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(step)
    QTimer.singleShot(2000, lambda: (measure_start(), timer.start()))  # start-up settled, music playing
    app.exec()


def idle(seconds: float, folder: str, music: bool) -> None:
    app, workspace, room = open_room(folder, SystemClock())
    director, off = director_of(room)
    if not music and director is not None:
        QTimer.singleShot(1500, director.pause)  # as the therapist's pause key does
    result = {"music": ("playing (dummy output)" if music else "paused") if director is not None else f"off: {off}",
              "seconds": seconds}

    def begin() -> None:
        result["cpu0"] = _common.cpu_seconds()
        result["wall0"] = time.monotonic()
        QTimer.singleShot(int(seconds * 1000), end)

    def end() -> None:
        used = _common.cpu_seconds() - result.pop("cpu0")
        wall = time.monotonic() - result.pop("wall0")
        result.update(cpu_seconds=used, wall_seconds=wall, core_percent=100 * used / wall,
                      rss_mb=_common.rss_mb())
        print(json.dumps(result), flush=True)
        os._exit(0)

    QTimer.singleShot(3000, begin)  # let start-up finish before measuring
    app.exec()


if __name__ == "__main__":
    if sys.argv[1] == "soak":
        soak(float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        idle(float(sys.argv[2]), sys.argv[3], music=len(sys.argv) < 5)
