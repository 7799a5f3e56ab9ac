"""Start-up: from process start to a shown, idle main window, and to the session screen when an
open session is resumed, against a bare PySide6 window measured in the same run.

Each sample is a fresh process (``bench/_startup_harness.py``), timed from just before it is
spawned to the line it prints once its window is exposed and the event loop is idle. Modes are
interleaved in random order; the first runs of each warm the disk cache and are discarded. The
home page starts as the desktop launcher starts it (``kaproom``, no arguments, the data folder in
``$KAPROOM_DATA_DIR``); resume runs ``kaproom resume --data-dir DIR``.

Where no screen is available the runs happen on a private Xvfb screen if Xvfb is installed (a
real X server: windows are really mapped and exposed), else on Qt's offscreen platform.

Target: median app start at most 1.3x the bare window. Run:
``.venv/bin/python bench/bench_startup.py [--runs 15] [--platform xcb|offscreen] [--quick] [--against DIR]``.
``--against DIR`` adds the same modes started from another checkout of KAP Room (e.g. a
``git worktree`` of the commit before a restructuring), interleaved in the same run, so a change's
effect on start-up is measured against the same machine at the same moment.
"""
from __future__ import annotations

import compileall
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _common

from kaproom.domain.clock import FakeClock
from kaproom.domain.session import State
from kaproom.services.workspace import Workspace

TARGET = 1.3
HARNESS = Path(__file__).resolve().parent / "_startup_harness.py"


def make_clinic_folder(folder: Path, sessions: int = 30) -> None:
    """A data folder as a clinic has it: some finished sessions, none open."""
    clock = FakeClock()
    with Workspace(folder, clock) as workspace:
        protocol = workspace.protocol("lozenge-3h")
        for index in range(sessions):
            runner = workspace.new_session(protocol, f"C-{index:03d}", "Dr Bench", "Room 1")
            for minute in range(0, 180, 6):
                clock.advance(360)
                runner.tick()
                runner.note(f"Observation at minute {minute}.")
            while not runner.state.is_last_phase:
                runner.advance("bench")
            runner.end(State.DISCHARGED, details={"checklist": {}})
            clock.advance(3600)


def make_open_session(folder: Path) -> None:
    """A clinic folder whose last session is still open (the app was killed mid-session)."""
    make_clinic_folder(folder, sessions=10)
    with Workspace(folder) as workspace:
        runner = workspace.new_session(workspace.protocol("lozenge-3h"), "C-OPEN", "Dr Bench", "Room 1")
        runner.note("Settled; eyeshades on.")


def make_folders_with(checkout: str, folder: Path) -> None:
    """The same clinic and open-session folders, made by the other checkout's own code (its
    ``bench_startup.py``): an older KAP Room refuses a database a newer one wrote, and would show
    its start-failure window instead of its home page."""
    code = ("import sys; from pathlib import Path; import bench_startup as b; "
            "b.make_clinic_folder(Path(sys.argv[1]) / 'clinic'); b.make_open_session(Path(sys.argv[1]) / 'resume')")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([checkout, str(Path(checkout) / "bench")]))
    subprocess.run([sys.executable, "-c", code, str(folder)], check=True, env=env, cwd=checkout)


def start_display(platform: str) -> tuple[str, subprocess.Popen | None]:
    """Choose the Qt platform; start a private Xvfb when xcb is wanted and no screen exists."""
    if platform == "offscreen" or (platform == "auto" and not os.environ.get("DISPLAY")
                                   and not shutil.which("Xvfb")):
        return "offscreen", None
    if os.environ.get("DISPLAY"):
        return "xcb", None
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    os.environ["DISPLAY"] = f":{number}"
    return f"xcb (private Xvfb :{number})", xvfb


def one_run(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HARNESS), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    _, err = proc.communicate(timeout=60)
    if not line.startswith("shown ") or line.split()[1] == "QMessageBox":  # a start-failure window is no start
        raise RuntimeError(f"{' '.join(argv)}: no window was shown\n{line}{err[-2000:]}")
    return elapsed, line.split()[1]


def compile_app() -> None:
    """Compile KAP Room's modules first, as pip and PyInstaller do when they install it: a source
    checkout run with PYTHONDONTWRITEBYTECODE set (as on the development VM) would otherwise
    recompile every module at every start, which no installed app does (PySide6 is compiled)."""
    import kaproom
    compileall.compile_dir(Path(kaproom.__file__).parent, quiet=1)


def room_screen_exists() -> bool:
    try:
        import kaproom.ui.room.window  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    p = _common.parser("Process start to a shown window: KAP Room against a bare PySide6 window")
    p.add_argument("--runs", type=int, default=15, help="measured runs per mode (default 15)")
    p.add_argument("--platform", choices=["auto", "xcb", "offscreen"], default="auto")
    p.add_argument("--against", metavar="DIR", help="also start the app from this other checkout, in the same run")
    args = _common.parse(p)
    runs, warmup = (5, 1) if args.quick else (args.runs, 2)
    compile_app()
    folder = _common.scratch_dir(args.dir, "startup")
    make_clinic_folder(folder / "clinic")
    # The home page starts as the desktop launcher starts it: `kaproom` with no arguments, the data
    # folder from $KAPROOM_DATA_DIR (set for that mode only, below).
    modes: dict[str, list[str]] = {
        "bare PySide6 window": ["bare"],
        "KAP Room, idle main window": ["app"],
    }
    mode_env = {"KAP Room, idle main window": {"KAPROOM_DATA_DIR": str(folder / "clinic")}}
    if room_screen_exists():
        make_open_session(folder / "resume")
        modes["KAP Room, resume to session"] = ["app-session", "resume", "--data-dir", str(folder / "resume")]
    else:
        print("  (no room screen yet: the resume-to-session figure is skipped)")

    if args.against:
        other = str(Path(args.against).resolve())
        compileall.compile_dir(Path(other) / "kaproom", quiet=1)
        make_folders_with(other, folder / "against")
        for name in [n for n in modes if n.startswith("KAP Room")]:
            label = f"{name} [against]"
            modes[label] = [str(folder / "against" / "resume") if word == str(folder / "resume") else word
                            for word in modes[name]]
            mode_env[label] = {**mode_env.get(name, {}), "PYTHONPATH": other}
            if "KAPROOM_DATA_DIR" in mode_env[label]:
                mode_env[label]["KAPROOM_DATA_DIR"] = str(folder / "against" / "clinic")
        mode_env.update({name: {**mode_env.get(name, {}), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
                         for name in modes if name.startswith("KAP Room") and not name.endswith("[against]")})

    platform, xvfb = start_display(args.platform)
    env = dict(os.environ, QT_QPA_PLATFORM="xcb" if platform.startswith("xcb") else "offscreen")
    env.pop("KAPROOM_DATA_DIR", None)
    samples: dict[str, list[float]] = {name: [] for name in modes}
    shown: dict[str, str] = {}
    rng = random.Random(5)
    try:
        for index in range(warmup + runs):
            order = list(modes)
            rng.shuffle(order)
            for name in order:
                elapsed, window = one_run(modes[name], {**env, **mode_env.get(name, {})})
                shown[name] = window
                if index >= warmup:
                    samples[name].append(elapsed)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)

    print("Start-up (process start -> window shown and idle)")
    print(f"  {_common.machine_line()}")
    print(f"  Qt platform: {platform}; {runs} runs per mode after {warmup} warm-up")
    base = statistics.median(samples["bare PySide6 window"])
    worst = 0.0
    print(f"  {'mode':<40} {'median s':>9} {'p90 s':>7} {'min s':>7}  window            ratio (median)")
    for name, values in samples.items():
        median = statistics.median(values)
        ratio = median / base
        if name != "bare PySide6 window" and not name.endswith("[against]"):
            worst = max(worst, ratio)
        print(f"  {name:<40} {median:>9.3f} {_common.percentile(values, 0.9):>7.3f} {min(values):>7.3f}  "
              f"{shown[name]:<17} {ratio:.2f}x")
    _common.cleanup(folder, args.dir)
    print(f"  RESULT startup worst median ratio {worst:.2f}x (target <= {TARGET}x): {_common.verdict(worst, TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
