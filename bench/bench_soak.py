"""Three-hour soak: a whole default session at high clock speed in the real room screen
(offscreen) with the real libvlc (dummy audio output): 1,000 notes typed, 60 vitals check-ins,
60 track changes, the dose and the discharge. Reports the app process's resident memory after
start-up and at the end, then the CPU it uses while idle in a session at real speed (1x), with
the music playing and with it paused.

Each part runs in a fresh process (``bench/_soak_harness.py``), so the figures are the app's
alone. Targets: memory grows by less than 10 MB; idle CPU under 1 % of one core. Run:
``.venv/bin/python bench/bench_soak.py [--speed 60] [--idle-seconds 60] [--quick]``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import _common

HARNESS = Path(__file__).resolve().parent / "_soak_harness.py"
RSS_TARGET_MB, CPU_TARGET_PERCENT = 10.0, 1.0


def run(args: list[str], timeout: float) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KAPROOM_AUDIO_OUTPUT="dummy")
    done = subprocess.run([sys.executable, str(HARNESS), *args], capture_output=True, text=True, timeout=timeout,
                          env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        fatal = [line for line in done.stderr.splitlines() if "Fatal" in line or "Error" in line]
        return {"crashed": (fatal or done.stderr.strip().splitlines() or ["no output"])[0],
                "exit": done.returncode}
    return json.loads(lines[-1])


def report_crash(what: str, result: dict) -> None:
    print(f"  {what}: THE APP CRASHED (exit {result['exit']}): {result['crashed']}")
    if "none_dealloc" in result["crashed"] or "bool_dealloc" in result["crashed"]:
        print("    (PySide6 6.12.0 on Python 3.11 drops a reference to None/True on each call into Qt: "
              "pin PySide6-Essentials<6.12 or run on Python 3.12+; see tests/test_faults_long_session.py)")


def main() -> int:
    p = _common.parser("A whole session at high speed in the real room screen: memory, and CPU while idle")
    p.add_argument("--speed", type=float, default=60.0, help="clock speed of the soak (default 60: 3 h in 3 min)")
    p.add_argument("--idle-seconds", type=float, default=60.0, help="length of each idle measurement (default 60)")
    p.add_argument("--notes", type=int, default=1000)
    p.add_argument("--vitals", type=int, default=60)
    p.add_argument("--tracks", type=int, default=60)
    args = _common.parse(p)
    speed, idle_seconds = (600.0, 10.0) if args.quick else (args.speed, args.idle_seconds)
    folder = _common.scratch_dir(args.dir, "soak")
    session_seconds = 3 * 3600 / speed

    soak = run(["soak", str(speed), str(args.notes), str(args.vitals), str(args.tracks), str(folder / "soak")],
               timeout=session_seconds * 3 + 120)
    playing = run(["idle", str(idle_seconds), str(folder / "idle-music")], timeout=idle_seconds * 2 + 60)
    paused = run(["idle", str(idle_seconds), str(folder / "idle-paused"), "nomusic"], timeout=idle_seconds * 2 + 60)
    _common.cleanup(folder, args.dir)

    import PySide6
    print("Three-hour soak (real room screen offscreen, libvlc with the dummy output)")
    print(f"  {_common.machine_line()} · PySide6 {PySide6.__version__}")
    crashed = [(name, r) for name, r in (("soak", soak), ("idle, music playing", playing),
                                         ("idle, music paused", paused)) if "crashed" in r]
    if crashed:
        for name, result in crashed:
            report_crash(name, result)
        print("  RESULT soak: THE APP CRASHED")
        return 1
    growth = soak["rss_end_mb"] - soak["rss_start_mb"]
    events = soak["events"]
    print(f"  session: 3 h at {speed:g}x in {soak['soak_wall_seconds']:.0f} s; music {soak['music']}; "
          f"ended {soak['state']}; chain {'intact' if soak['intact'] else 'BROKEN'}")
    print(f"  recorded: {events.get('note', 0)} notes, {events.get('vitals', 0)} vitals, {events.get('alert', 0)} alerts, "
          f"{soak['track_starts']} track starts ({events.get('music', 0)} music events), "
          f"{events.get('phase_changed', 0)} phase changes, {sum(events.values())} events in all")
    print(f"  resident memory: {soak['rss_start_mb']:.1f} MB after start-up, {soak['rss_end_mb']:.1f} MB at the end: "
          f"{growth:+.1f} MB (target < {RSS_TARGET_MB:g} MB)")
    for name, idle in (("music playing", playing), ("music paused", paused)):
        print(f"  idle at 1x, {name}: {idle['cpu_seconds']:.2f} s CPU over {idle['wall_seconds']:.1f} s = "
              f"{idle['core_percent']:.2f} % of a core (target < {CPU_TARGET_PERCENT:g} %)")
    worst_cpu = max(playing["core_percent"], paused["core_percent"])
    ok = growth < RSS_TARGET_MB and worst_cpu < CPU_TARGET_PERCENT
    print(f"  RESULT soak memory {growth:+.1f} MB, idle CPU up to {worst_cpu:.2f} % of a core: "
          f"{'within targets' if ok else 'ABOVE TARGET'}")
    return 0 if soak["intact"] else 1


if __name__ == "__main__":
    sys.exit(main())
