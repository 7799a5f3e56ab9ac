"""Screenshots of the real app under a virtual X screen (Xvfb), for anyone to look at.

Prepares a session that is some minutes in (notes, tags, a dose, baseline vitals, phase changes),
then starts the real app on it - ``kaproom resume`` through the xcb platform, as on a desktop -
at 1920x1080 and at 1366x768, plus the start page, the home page and the demo. PNGs go to
build/screenshots/. Run with ``./run screenshots`` (it installs Xvfb and Qt's X libraries).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kaproom.domain.clock import FakeClock  # noqa: E402
from kaproom.domain.events import Kind  # noqa: E402
from kaproom.services.simulate import realistic_vitals  # noqa: E402
from kaproom.services.workspace import Workspace  # noqa: E402

SIZES = ((1920, 1080), (1366, 768))
MINUTES_IN = 47

NOTES = [
    (3, "note", "Arrived on time, calm, a little nervous about the music."),
    (6, "note", "Intention read aloud together; client chose the eyeshades."),
    (21.5, "note", "Lozenge in at 21 min; holding it under the tongue."),
    (30, "tag", "Lozenge spat out"),
    (33, "note", "Eyeshades on, lying back, blanket over the legs."),
    (38, "tag", "Speaking"),
    (38.5, "note", "Said 'it feels like floating above the house'; long pause after, breathing slow and even. "
                   "Hands relaxed on the blanket."),
    (41, "tag", "Tearful"),
    (44, "note", "Quiet again, eyes closed under the shades, face soft."),
]


def prepare_session(folder: Path, minutes_in: float = MINUTES_IN) -> None:
    """A session that started ``minutes_in`` ago, written on a clock running from then to now."""
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(minutes=minutes_in))
    with Workspace(folder, clock) as workspace:
        protocol = workspace.protocol("lozenge-3h")
        runner = workspace.new_session(protocol, "C-0042", "Dr Ada Moreau", "Room 2", start=False,
                                       prescribed_dose_mg=300)
        runner.record(Kind.SCREENING, {"answers": {q.id: False for q in protocol.screening}, "proceed_confirmed": False})
        runner.record(Kind.INTENTION, {"text": "To meet the grief about my father with curiosity, not fear."})
        runner.start()
        plan = [*NOTES, (12, "vitals", 0), (20.5, "dose", None)]
        import random
        rng = random.Random(3)
        for at, what, value in sorted(plan, key=lambda item: item[0]):
            clock.advance(at * 60 - runner.elapsed())
            runner.tick()
            if what == "note":
                runner.note(str(value))
            elif what == "tag":
                runner.tag(str(value))
            elif what == "vitals":
                runner.record(Kind.VITALS, realistic_vitals(rng, 0))
            elif what == "dose":
                runner.give_dose(protocol.dose_route)
        clock.advance(max(0.0, minutes_in * 60 - 3 - runner.elapsed()))
        runner.tick()


def run_app(command: list[str], width: int, height: int, out: Path, delay_ms: int) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", KAPROOM_AUDIO_OUTPUT="dummy", QT_SCALE_FACTOR="1")
    env.pop("DISPLAY", None)
    args = ["xvfb-run", "-a", "-s", f"-screen 0 {width}x{height}x24",
            sys.executable, "-m", "kaproom", *command, "--screenshot", str(out), "--screenshot-delay", str(delay_ms)]
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    noise = ("propagateSizeHints", "XDG_RUNTIME_DIR")
    for line in (result.stderr or "").splitlines():
        if not any(word in line for word in noise):
            print(f"  app: {line}", file=sys.stderr)
    if result.returncode != 0 or not out.exists():
        raise SystemExit(f"screenshot {out.name} failed (exit {result.returncode})")
    print(f"saved {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "screenshots"), help="folder for the PNGs")
    parser.add_argument("--delay", type=int, default=3000, help="ms to wait after start before the picture")
    args = parser.parse_args()
    if shutil.which("xvfb-run") is None:
        print("xvfb-run is missing: install Xvfb (./run screenshots does it)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kaproom-shots-") as tmp:
        prepared = Path(tmp) / "prepared"
        prepare_session(prepared)
        for width, height in SIZES:
            folder = Path(tmp) / f"room-{width}"
            shutil.copytree(prepared, folder)
            run_app(["resume", "--data-dir", str(folder)], width, height, out / f"room-{width}x{height}.png", args.delay)
        home = Path(tmp) / "home"
        shutil.copytree(prepared, home)
        run_app(["home", "--data-dir", str(home)], 1366, 768, out / "home-1366x768.png", args.delay)
        run_app(["start", "--data-dir", str(Path(tmp) / "fresh")], 1366, 768, out / "start-1366x768.png", args.delay)
        run_app(["demo", "--data-dir", str(Path(tmp) / "demo")], 1920, 1080, out / "demo-1920x1080.png", args.delay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
