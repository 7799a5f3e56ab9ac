"""Smoke test of a frozen Linux build: does the folder a clinic would get actually work?

    python packaging/smoke_test.py dist/kaproom [--tarball dist/kaproom-V-linux-x86_64.tar.gz]

Runs the build's own programs the way a clinic computer would, in a clean environment (no
virtual environment, no source tree, a fresh home and data folder), and prints one line per
step. Exit status 0 only if every step passed. Standard library only; finishes in about a
minute.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

STEP_TIMEOUT = 120


class StepFailed(Exception):
    pass


class Smoke:
    def __init__(self, app: Path, work: Path) -> None:
        self.app = app.resolve()
        self.work = work
        self.home = work / "home"
        self.home.mkdir()
        self.data = work / "data"
        self.passed = 0

    def env(self, **extra: str) -> dict[str, str]:
        """What a fresh desktop session has: no Python, no venv, nothing from the source tree."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8",
               "XDG_RUNTIME_DIR": str(self.work), "QT_QPA_PLATFORM": "offscreen"}
        env.update(extra)
        return env

    def run(self, *args: str, expect: int = 0, **env: str) -> str:
        command = [str(self.app / args[0]), *args[1:]]
        result = subprocess.run(command, cwd=self.work, env=self.env(**env), capture_output=True, text=True,
                                timeout=STEP_TIMEOUT)
        output = (result.stdout + result.stderr).strip()
        if result.returncode != expect:
            raise StepFailed(f"{' '.join(args)} exited {result.returncode} (expected {expect}):\n{output}")
        if "Traceback" in output:
            raise StepFailed(f"{' '.join(args)} printed a traceback:\n{output}")
        return output

    def step(self, title: str, check) -> None:
        started = time.monotonic()
        try:
            detail = check()
        except (StepFailed, subprocess.TimeoutExpired, OSError) as exc:
            print(f"FAIL  {title}\n      {str(exc).replace(chr(10), chr(10) + '      ')}", flush=True)
            raise SystemExit(1)
        print(f"PASS  {title} ({time.monotonic() - started:.1f} s){': ' + detail if detail else ''}", flush=True)
        self.passed += 1


def mapped_files(pid: int) -> set[str]:
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
            return {parts[5].strip() for parts in (line.split(None, 5) for line in maps) if len(parts) == 6}
    except OSError:
        return set()


def gui_starts(smoke: Smoke, platform_plugin: str, wrapper: list[str], **env: str) -> str:
    """Start the app with no command; pass once Qt's platform plugin from the bundle is loaded and
    the app is still running a few seconds later (it waits for the user: nothing should exit)."""
    command = [*wrapper, str(smoke.app / "kaproom"), "--data-dir", str(smoke.data / f"gui-{platform_plugin}")]
    log = smoke.work / f"gui-{platform_plugin}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=smoke.work, env=smoke.env(**env), stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        plugin = None
        while time.monotonic() < deadline and process.poll() is None and plugin is None:
            for pid in [process.pid, *child_pids(process.pid)]:
                plugin = next((f for f in mapped_files(pid) if f.endswith(f"/libq{platform_plugin}.so")), plugin)
            time.sleep(0.2)
        if plugin is None:
            raise StepFailed(f"Qt's {platform_plugin} platform plugin was never loaded; exit {process.poll()}:\n"
                             + log.read_text(errors="replace"))
        time.sleep(3)
        if process.poll() is not None:
            raise StepFailed(f"the app quit by itself (exit {process.returncode}):\n" + log.read_text(errors="replace"))
        if not plugin.startswith(str(smoke.app)):
            raise StepFailed(f"Qt's platform plugin came from outside the build: {plugin}")
        if "Traceback" in log.read_text(errors="replace"):
            raise StepFailed(log.read_text(errors="replace"))
        return f"window up, {Path(plugin).name} from the build, still running after 3 s"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def child_pids(pid: int) -> list[int]:
    """Descendants of ``pid`` (xvfb-run starts the app as its child)."""
    result, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        result += [int(c) for c in children]
        frontier += [int(c) for c in children]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", type=Path, help="the built folder (dist/kaproom)")
    parser.add_argument("--tarball", type=Path, help="also unpack this tarball and try install.sh")
    parser.add_argument("--version", help="the version the build must report (default: from pyproject.toml)")
    parser.add_argument("--require-bundled-track", action="store_true",
                        help="fail if the build carries no music (instead of playing a generated tone)")
    parser.add_argument("--m4a", type=Path,
                        help="an M4A/AAC file: import it and check its loudness was measured (through the "
                             "bundled libvlc, as libsndfile cannot decode it)")
    args = parser.parse_args(argv)
    version = args.version or re.search(r'^version = "([^"]+)"', (Path(__file__).parents[1] / "pyproject.toml")
                                        .read_text(), re.M).group(1)
    if not (args.app / "kaproom").exists():
        print(f"FAIL  no build at {args.app}: run bash packaging/build-linux.sh first")
        return 1
    started = time.monotonic()
    print(f"Smoke test of {args.app.resolve()} (KAP Room {version})", flush=True)
    with tempfile.TemporaryDirectory(prefix="kaproom-smoke-") as tmp:
        smoke = Smoke(args.app, Path(tmp))
        internal = smoke.app / "_internal"

        def layout() -> str:
            wanted = ["kaproom", "kaproom-check-audio", "_internal/libvlc.so.5", "_internal/libvlccore.so.9",
                      "_internal/vlc/plugins/codec/libvorbis_plugin.so", "_internal/licenses/THIRD-PARTY-NOTICES.md",
                      "_internal/licenses/debian/PACKAGES.txt", f"_internal/kaproom-{version}.dist-info/METADATA"]
            missing = [w for w in wanted if not (smoke.app / w).exists()]
            if missing:
                raise StepFailed("missing from the build: " + ", ".join(missing))
            plugins = list((internal / "vlc" / "plugins").rglob("*_plugin.so"))
            cache = "with" if (internal / "vlc" / "plugins" / "plugins.dat").exists() else "WITHOUT"
            size = sum(f.stat().st_size for f in smoke.app.rglob("*") if f.is_file() and not f.is_symlink())
            return f"{len(plugins)} VLC plugins {cache} plugin cache, licence notices, {size / 2**20:.0f} MB"
        smoke.step("the build holds the app, libvlc, its plugins and the licence notices", layout)

        def reports_version() -> str:
            output = smoke.run("kaproom", "--version")
            if output != f"KAP Room {version}":
                raise StepFailed(f"--version said {output!r}, expected 'KAP Room {version}'")
            return output
        smoke.step("kaproom --version", reports_version)

        smoke.step("the app starts offscreen (Qt offscreen platform)",
                   lambda: gui_starts(smoke, "offscreen", [], QT_QPA_PLATFORM="offscreen"))
        if shutil.which("xvfb-run"):
            smoke.step("the app starts on an X screen (Xvfb, Qt xcb platform)",
                       lambda: gui_starts(smoke, "xcb", ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"],
                                          QT_QPA_PLATFORM="xcb"))
        else:
            print("SKIP  the app starts on an X screen: xvfb-run is not installed", flush=True)

        data = str(smoke.data / "cli")

        def simulate() -> str:
            output = smoke.run("kaproom", "simulate", "--speed", "1200", "--protocol", "short-check", "--data-dir", data)
            return output.splitlines()[-1] if output else ""
        smoke.step("kaproom simulate --protocol short-check", simulate)

        def verify() -> str:
            output = smoke.run("kaproom", "verify", "--data-dir", data)
            summary = [line for line in output.splitlines()
                       if line.startswith(("All ", "The one log")) and line.endswith("intact.")]
            if not summary:  # (stderr follows stdout here: with no users yet it says nobody signs in)
                raise StepFailed(output)
            return summary[0]
        smoke.step("kaproom verify", verify)

        def sessions() -> str:
            output = smoke.run("kaproom", "sessions", "--json", "--data-dir", data)
            if '"short-check"' not in output:
                raise StepFailed(f"the simulated session is not listed:\n{output}")
            return "the simulated session is listed"
        smoke.step("kaproom sessions", sessions)

        def plays() -> str:
            extra = ["--require-bundled-track"] if args.require_bundled_track else []
            output = smoke.run("kaproom-check-audio", "--require-bundled-vlc", *extra)
            print("      " + output.replace("\n", "\n      "), flush=True)
            if "generated tone" in output:
                return "NOTE: the build carries no music yet, so a generated WAV was played"
            return "a bundled track played through the bundled libvlc"
        smoke.step("plays a track through the bundled libvlc with dummy audio output", plays)

        if args.m4a:
            smoke.step("measures an M4A's loudness at import through the bundled libvlc",
                       lambda: measures_m4a(smoke, args.m4a))
        else:
            print("SKIP  measures an M4A's loudness: no --m4a file given", flush=True)

        if args.tarball:
            smoke.step("the tarball unpacks and install.sh installs it for one user",
                       lambda: installs(smoke, args.tarball, version))
    print(f"All {smoke.passed} smoke steps passed in {time.monotonic() - started:.0f} s.", flush=True)
    return 0


def measures_m4a(smoke: Smoke, m4a: Path) -> str:
    folder = smoke.work / "m4a"
    folder.mkdir()
    shutil.copy(m4a, folder / m4a.name)
    data = str(smoke.data / "music")
    report = json.loads(smoke.run("kaproom", "music", "import", str(folder), "--json", "--data-dir", data))
    if report["added"] != 1 or report["problem_counts"] or report["warnings"]:
        raise StepFailed(f"the import did not measure it: {report}")
    [track] = json.loads(smoke.run("kaproom", "music", "list", "--json", "--data-dir", data))
    if track["loudness_source"] != "measured" or track["loudness"] is None:
        raise StepFailed(f"no loudness measured: {track}")
    return f"{m4a.name}: {track['loudness']:.1f} LUFS, measured"


def installs(smoke: Smoke, tarball: Path, version: str) -> str:
    unpacked = smoke.work / "unpacked"
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="tar")
    folder = unpacked / f"kaproom-{version}"
    env = smoke.env()
    subprocess.run([str(folder / "install.sh")], cwd=smoke.work, env=env, check=True, capture_output=True,
                   text=True, timeout=STEP_TIMEOUT)
    installed = smoke.home / ".local" / "bin" / "kaproom"
    said = subprocess.run([str(installed), "--version"], env=env, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT).stdout.strip()
    if said != f"KAP Room {version}":
        raise StepFailed(f"the installed kaproom says {said!r}")
    desktop = smoke.home / ".local" / "share" / "applications" / "org.kaproom.KAPRoom.desktop"
    exec_line = next(line for line in desktop.read_text().splitlines() if line.startswith("Exec="))
    if not Path(exec_line.removeprefix("Exec=").split()[0]).exists():
        raise StepFailed(f"the menu entry points at a missing program: {exec_line}")
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        if check.returncode != 0:
            raise StepFailed(check.stdout + check.stderr)
    subprocess.run([str(folder / "install.sh"), "--uninstall"], cwd=smoke.work, env=env, check=True,
                   capture_output=True, timeout=STEP_TIMEOUT)
    if installed.exists() or desktop.exists():
        raise StepFailed("install.sh --uninstall left the program or its menu entry behind")
    return f"installed {said}, menu entry valid, uninstalled cleanly"


if __name__ == "__main__":
    sys.exit(main())
