#!/usr/bin/env bash
# Build the standalone Linux app and smoke-test it (./run package calls this).
#
#   bash packaging/build-linux.sh            build dist/kaproom/ and the tarball, then smoke-test
#   bash packaging/build-linux.sh --no-smoke build only
#   bash packaging/build-linux.sh --smoke-only   smoke-test the existing dist/kaproom/
#
# Produces dist/kaproom/ (a runnable folder: ./kaproom) and dist/kaproom-VERSION-linux-ARCH.tar.gz
# (the same folder plus install.sh, the menu entry, icons and AppStream metadata).
# Needs: the project's .venv with PyInstaller 6 (./run package installs it), Debian's libvlc5,
# vlc-plugin-base and libvlc-bin (for vlc-cache-gen).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${KAPROOM_VENV:-$ROOT/.venv}
PY=$VENV/bin/python
DIST=$ROOT/dist
APP=$DIST/kaproom
APP_ID=org.kaproom.KAPRoom
say() { printf '\033[2m[package]\033[0m %s\n' "$*"; }

smoke=yes build=yes
for arg in "$@"; do
  case "$arg" in
    --no-smoke) smoke=no ;;
    --smoke-only) build=no ;;
    *) echo "build-linux.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

VERSION=$("$PY" -c 'import kaproom; print(kaproom.__version__)')
ARCH=$(uname -m)
TARBALL=$DIST/kaproom-$VERSION-linux-$ARCH.tar.gz

if [ "$build" = yes ]; then
  [ -x "$VENV/bin/pyinstaller" ] || { say "PyInstaller is missing: run ./run package (or $VENV/bin/pip install 'pyinstaller>=6.10,<7')"; exit 1; }
  say "freezing KAP Room $VERSION with PyInstaller $("$VENV/bin/pyinstaller" --version)"
  rm -rf "$APP" "$TARBALL"
  # Run from build/ so the source tree's stale *.egg-info cannot stand in for the installed metadata.
  mkdir -p build
  (cd build && "$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$DIST" \
      --workpath "$ROOT/build/pyinstaller" "$ROOT/packaging/kaproom.spec") 2> >(grep -v -E 'required via ctypes not found|libg[dt]k-3\.so\.0' >&2)

  # libvlc reads its plugin list from plugins.dat when it matches the files; without one it
  # opens every plugin at each start. Written for the bundled subset only.
  CACHE_GEN=$(ls /usr/lib/*/vlc/vlc-cache-gen 2>/dev/null | head -1 || true)
  if [ -n "$CACHE_GEN" ]; then
    "$CACHE_GEN" "$APP/_internal/vlc/plugins" && say "VLC plugin cache written"
  else
    say "note: vlc-cache-gen not found (Debian package libvlc-bin); libvlc will scan its plugins at each start"
  fi

  # Desktop integration beside the program, for install.sh.
  mkdir -p "$APP/share/applications" "$APP/share/metainfo" "$APP/share/icons"
  cp packaging/linux/$APP_ID.desktop "$APP/share/applications/"
  cp packaging/linux/$APP_ID.metainfo.xml "$APP/share/metainfo/"
  cp -r packaging/icons/hicolor "$APP/share/icons/"
  cp packaging/linux/install.sh "$APP/"
  ln -sfn _internal/licenses "$APP/licenses"

  say "packing $(basename "$TARBALL")"
  tar -C "$DIST" --transform "s,^kaproom,kaproom-$VERSION," -czf "$TARBALL" kaproom
  say "built $APP ($(du -sh "$APP" | cut -f1)) and $TARBALL ($(du -sh "$TARBALL" | cut -f1))"
fi

if [ "$smoke" = yes ]; then
  # A real M4A/AAC tone for the smoke test to import and measure, made by the build machine's VLC
  # (the bundle carries no AAC encoder); without one that step is skipped and says so.
  M4A_DIR=$(mktemp -d)
  trap 'rm -rf "$M4A_DIR"' EXIT
  m4a_arg=()
  if PYTHONPATH=$ROOT "$PY" -c 'import sys; from pathlib import Path; from tests._music_library_helpers import m4a; m4a(Path(sys.argv[1]), seconds=3)' \
      "$M4A_DIR/tone.m4a" 2>/dev/null; then
    m4a_arg=(--m4a "$M4A_DIR/tone.m4a")
  else
    say "note: no M4A could be made here (python-vlc and VLC's AAC encoder); the smoke test will not measure one"
  fi
  "$PY" packaging/smoke_test.py "$APP" --tarball "$TARBALL" --version "$VERSION" "${m4a_arg[@]}"
fi
