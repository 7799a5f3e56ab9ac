"""Packaging checks that run in the normal test suite (fast; the frozen build itself is
smoke-tested by ``./run package``, see packaging/README.md).

What a clinic would notice: the menu entry and software-centre page are valid and show the
right version, the icon exists at every size a desktop asks for, the frozen app finds its own
libvlc and music, and the bundled audio subset really plays."""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import kaproom

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP_ID = "org.kaproom.KAPRoom"
DESKTOP = PACKAGING / "linux" / f"{APP_ID}.desktop"
METAINFO = PACKAGING / "linux" / f"{APP_ID}.metainfo.xml"
VERSION = kaproom.__version__  # pyproject.toml takes it from there (dynamic = ["version"])
HOOK_VARS = ("PYTHON_VLC_LIB_PATH", "PYTHON_VLC_MODULE_PATH", "VLC_PLUGIN_PATH", "KAPROOM_ASSETS_DIR")


def load(name: str):
    """A module from packaging/ (not importable by name: 'packaging' is also a PyPI library)."""
    spec = importlib.util.spec_from_file_location(f"kaproom_packaging_{name}", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def desktop_entry() -> dict[str, str]:
    lines = DESKTOP.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


# --- the menu entry and the software-centre page ---------------------------------------------

@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_desktop_entry_starts_kaproom_with_its_icon():
    entry = desktop_entry()
    assert entry["Exec"] == "kaproom"  # install.sh rewrites this to the installed program's full path
    assert entry["Icon"] == APP_ID
    assert entry["Name"] == "KAP Room"
    assert entry["Terminal"] == "false"
    assert "SingleMainWindow" not in entry  # Debian 12's desktop-file-validate refuses it


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_passes_appstreamcli_validate():
    result = subprocess.run(["appstreamcli", "validate", "--no-net", "--no-color", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not re.search(r"^[EW]:", result.stdout, re.M), result.stdout


def test_metainfo_names_the_desktop_entry_and_the_current_version():
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == DESKTOP.name
    newest = root.find("releases/release")
    assert newest.get("version") == VERSION, "add a <release> for the new version in the metainfo"


# --- the icon ----------------------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("size", [16, 22, 24, 32, 48, 64, 128, 256, 512])
def test_icon_exists_at_every_size_a_desktop_asks_for(size):
    path = PACKAGING / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    assert png_size(path) == (size, size)


def test_scalable_icon_is_the_source_svg():
    source = PACKAGING / "icons" / f"{APP_ID}.svg"
    installed = PACKAGING / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert installed.read_bytes() == source.read_bytes(), "run packaging/make_icons.py after editing the SVG"
    svg = ET.parse(source).getroot()
    assert svg.get("viewBox") == "0 0 512 512"


def test_windows_and_macos_icons_hold_their_pngs():
    ico = (PACKAGING / "windows" / "kaproom.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 5
    for index in range(count):
        width, _h, _c, _r, _planes, _bits, length, offset = struct.unpack("<BBBBHHII", ico[6 + 16 * index:22 + 16 * index])
        assert ico[offset:offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + length <= len(ico)
    icns = (PACKAGING / "macos" / "kaproom.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)


# --- the runtime hook: the frozen app finds its own libvlc and music -----------------------

@pytest.fixture
def hook(monkeypatch):
    # The hook writes os.environ directly: give it a copy, so nothing leaks into other tests.
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k not in HOOK_VARS})
    monkeypatch.setattr(sys, "_MEIPASS", str(ROOT / "no-such-bundle"), raising=False)
    return load("rthook_kaproom")._point_at_bundle  # running it with no bundle changes nothing


def fake_bundle(base: Path, lib: str, plugins: str) -> Path:
    (base / plugins).mkdir(parents=True)
    (base / lib).write_bytes(b"")
    (base / "assets").mkdir()
    return base


def test_hook_points_python_vlc_at_the_bundled_libvlc_on_linux(hook, tmp_path):
    base = fake_bundle(tmp_path, "libvlc.so.5", "vlc/plugins")
    hook(str(base), "linux")
    assert os.environ["PYTHON_VLC_LIB_PATH"] == str(base / "libvlc.so.5")
    assert os.environ["PYTHON_VLC_MODULE_PATH"] == os.environ["VLC_PLUGIN_PATH"] == str(base / "vlc" / "plugins")
    assert os.environ["KAPROOM_ASSETS_DIR"] == str(base / "assets")


def test_hook_uses_the_windows_layout_on_windows(hook, tmp_path):
    base = fake_bundle(tmp_path, "libvlc.dll", "plugins")
    hook(str(base), "win32")
    assert os.environ["PYTHON_VLC_LIB_PATH"] == str(base / "libvlc.dll")
    assert os.environ["VLC_PLUGIN_PATH"] == str(base / "plugins")


def test_hook_leaves_the_system_vlc_alone_when_the_build_has_none(hook, tmp_path):
    (tmp_path / "assets").mkdir()
    hook(str(tmp_path), "linux")
    assert not any(name in os.environ for name in HOOK_VARS[:3])
    assert os.environ["KAPROOM_ASSETS_DIR"] == str(tmp_path / "assets")


def test_hook_keeps_an_assets_folder_the_user_chose(hook, tmp_path, monkeypatch):
    monkeypatch.setenv("KAPROOM_ASSETS_DIR", "/srv/clinic-music")
    hook(str(fake_bundle(tmp_path, "libvlc.so.5", "vlc/plugins")), "linux")
    assert os.environ["KAPROOM_ASSETS_DIR"] == "/srv/clinic-music"


# --- the VLC subset ------------------------------------------------------------------------

def test_plugins_are_found_in_vlc_app_flat_folder_and_windows_category_folders(tmp_path):
    vlc_bundle = load("vlc_bundle")
    mac = tmp_path / "mac"
    mac.mkdir()
    for name in ("ogg", "vorbis", "auhal", "float_mixer"):
        (mac / f"lib{name}_plugin.dylib").write_bytes(b"")
    found, missing = vlc_bundle.find_plugins(mac, "darwin")
    assert {dest for _path, dest in found} == {"plugins"}
    assert "auhal" not in missing and "filesystem" in missing

    win = tmp_path / "win"
    (win / "codec").mkdir(parents=True)
    (win / "codec" / "libvorbis_plugin.dll").write_bytes(b"")
    found, _missing = vlc_bundle.find_plugins(win, "win32")
    assert found == [(win / "codec" / "libvorbis_plugin.dll", "plugins/codec")]


def test_a_build_without_a_required_plugin_stops_with_its_name(tmp_path):
    vlc_bundle = load("vlc_bundle")
    for name in ("libvlc.so.5", "libvlccore.so.9"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "plugins" / "demux").mkdir(parents=True)
    (tmp_path / "plugins" / "demux" / "libogg_plugin.so").write_bytes(b"")
    with pytest.raises(SystemExit, match="vorbis"):
        vlc_bundle.vlc_binaries("linux", lib_dir=tmp_path, plugin_root=tmp_path / "plugins")


@pytest.mark.vlc
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Debian's VLC layout")
def test_debian_vlc_has_every_plugin_the_linux_build_takes():
    vlc_bundle = load("vlc_bundle")
    _lib, plugin_root = vlc_bundle.default_vlc_dirs()
    found, missing = vlc_bundle.find_plugins(plugin_root, "linux")
    assert missing == [], f"Debian's VLC no longer has {missing}: update packaging/vlc_bundle.py"
    assert len(vlc_bundle.vlc_binaries("linux")) == len(found) + 2


_MEASURE_IN_SUBSET = """
import json, sys
from pathlib import Path
from kaproom.services.loudness import measure_through_libvlc
loudness = measure_through_libvlc(Path(sys.argv[1]), temp_root=Path(sys.argv[2]))
with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
    loaded = sorted({line.split(None, 5)[5].strip() for line in maps if len(line.split(None, 5)) == 6})
vlc = [p for p in loaded if p.endswith("_plugin.so") or Path(p).name in ("libvlc.so.5", "libvlccore.so.9")]
print(json.dumps({"loudness": loudness, "vlc": vlc}))
"""


@pytest.mark.vlc
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Debian's VLC layout")
def test_the_linux_subset_alone_measures_an_m4a(tmp_path):
    """libvlc, libvlccore and only the plugins the build takes, laid out as in the bundle: an M4A
    (made with the full VLC) is decoded and measured through them, and nothing else is loaded."""
    from tests._music_library_helpers import m4a

    vlc_bundle = load("vlc_bundle")
    lib_dir, plugin_root = vlc_bundle.default_vlc_dirs()
    bundle = tmp_path / "bundle"
    for name in ("libvlc.so.5", "libvlccore.so.9"):
        bundle.mkdir(exist_ok=True)
        shutil.copy(lib_dir / name, bundle / name)
    for path, dest in vlc_bundle.find_plugins(plugin_root, "linux")[0]:
        (bundle / dest).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, bundle / dest / path.name)
    track = m4a(tmp_path / "tone.m4a", seconds=3, dbfs=-20)
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in HOOK_VARS}
    env.update(PYTHON_VLC_LIB_PATH=str(bundle / "libvlc.so.5"), PYTHON_VLC_MODULE_PATH=str(bundle / "vlc" / "plugins"),
               VLC_PLUGIN_PATH=str(bundle / "vlc" / "plugins"), LD_LIBRARY_PATH=str(bundle), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", _MEASURE_IN_SUBSET, str(track), str(temp)], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    said = json.loads(result.stdout.strip().splitlines()[-1])
    assert said["loudness"] == pytest.approx(-20.7, abs=0.5)  # a stereo sine peaking at -20 dBFS
    outside = [p for p in said["vlc"] if not Path(p).resolve().is_relative_to(bundle.resolve())]
    assert said["vlc"] and outside == []
    loaded = {Path(p).name.removeprefix("lib").removesuffix("_plugin.so") for p in said["vlc"]}
    assert {"stream_out_transcode", "stream_out_standard", "mux_wav", "access_output_file", "faad"} <= loaded
    assert list(temp.iterdir()) == []


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian system")
def test_licence_notices_name_the_debian_package_of_libvlc(tmp_path):
    notices = load("notices")
    lib = "/usr/lib/x86_64-linux-gnu/libvlc.so.5"
    if not Path(lib).exists():
        pytest.skip("libvlc5 not installed at the Debian path")
    entries = notices.debian_notices([lib], tmp_path)
    listing = (tmp_path / "PACKAGES.txt").read_text()
    assert re.search(r"^libvlc5 \S+ \(source package vlc\): libvlc\.so\.5$", listing, re.M)
    assert (str(tmp_path / "libvlc5.copyright"), "licenses/debian") in entries


@pytest.mark.vlc
def test_audio_check_plays_a_track_through_libvlc_with_dummy_output(tmp_path):
    env = {**os.environ, "KAPROOM_ASSETS_DIR": str(tmp_path)}  # no music there: it plays a generated tone
    result = subprocess.run([sys.executable, str(PACKAGING / "check_audio.py")], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^played: .* [1-9]\d* buffers played", result.stdout, re.M), result.stdout


@pytest.mark.vlc
def test_audio_check_fails_on_a_file_that_is_not_audio(tmp_path):
    bad = tmp_path / "not-music.ogg"
    bad.write_text("this is not an Ogg file")
    result = subprocess.run([sys.executable, str(PACKAGING / "check_audio.py"), str(bad)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "FAIL" in result.stdout, result.stdout + result.stderr


# --- the spec ------------------------------------------------------------------------------

def spec_excludes() -> list[str]:
    tree = ast.parse((PACKAGING / "kaproom.spec").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "excludes" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("no excludes list in kaproom.spec")


def test_the_spec_leaves_out_no_qt_module_the_app_uses():
    used = set()
    for source in (ROOT / "kaproom").rglob("*.py"):
        used.update(re.findall(r"PySide6\.(Qt\w+)", source.read_text(encoding="utf-8")))
    excluded = {name.removeprefix("PySide6.") for name in spec_excludes() if name.startswith("PySide6.")}
    assert not used & excluded, f"kaproom uses {used & excluded}, which packaging/kaproom.spec leaves out"


def test_windows_installer_names_files_the_build_makes():
    iss = (PACKAGING / "windows" / "kaproom.iss").read_text(encoding="utf-8")
    for key in ("SetupIconFile", "LicenseFile"):
        relative = re.search(rf"^{key}=(.+)$", iss, re.M).group(1).strip()
        assert (PACKAGING / "windows" / relative.replace("\\", "/")).exists(), f"{key} {relative} is missing"
    start_menu_exe = re.search(r'^#define AppExe "(.+)\.exe"', iss, re.M).group(1)
    assert f'exe(app, app_pyz, "{start_menu_exe}"' in (PACKAGING / "kaproom.spec").read_text()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None,
                    reason="PyInstaller is installed by ./run test and ./run package")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux build")
def test_the_standalone_linux_build_passes_its_smoke_test():
    """The frozen app as a clinic gets it: built with its own Qt and libvlc, then started offscreen
    and on an X screen, made to simulate, verify and list a session, play a bundled track through
    its own libvlc, and installed and uninstalled from its tarball (packaging/smoke_test.py)."""
    env = dict(os.environ, KAPROOM_VENV=str(Path(sys.executable).parent.parent))
    result = subprocess.run(["bash", "packaging/build-linux.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1200)
    shown = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                      if not line.startswith("WARNING: Location"))
    assert result.returncode == 0, shown[-6000:]
    assert "smoke steps passed" in result.stdout, shown[-6000:]

