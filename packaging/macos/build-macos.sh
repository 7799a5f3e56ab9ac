#!/usr/bin/env bash
# Build KAP Room for macOS: "KAP Room.app" with libvlc and its audio plugins taken from VLC.app,
# every plugin and library signed, then a .dmg. Run on a Mac (it cannot be built on Linux):
#
#   bash packaging/macos/build-macos.sh
#
# Needs: Python 3.11+ from python.org (universal2) or Homebrew, matching VLC.app's architecture;
# VLC 3.0.x in /Applications (or VLC_APP=/path/to/VLC.app). Optional:
#   KAPROOM_MACOS_SIGN_IDENTITY="Developer ID Application: Clinic Name (TEAMID)"  (else ad-hoc signed,
#       which runs on the build Mac but is refused by Gatekeeper elsewhere)
#   KAPROOM_NOTARY_PROFILE=<notarytool keychain profile>  (notarize and staple the signed app)
set -euo pipefail
cd "$(dirname "$0")/../.."
VLC_APP=${VLC_APP:-/Applications/VLC.app}
IDENTITY=${KAPROOM_MACOS_SIGN_IDENTITY:-}
PYTHON=${PYTHON:-python3}

[ -f "$VLC_APP/Contents/MacOS/lib/libvlc.dylib" ] || { echo "VLC 3.0.x not found at $VLC_APP (set VLC_APP)"; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e . "pyinstaller>=6.10,<7"
VERSION=$(.venv/bin/python -c 'import kaproom; print(kaproom.__version__)')

export KAPROOM_VLC_LIB_DIR="$VLC_APP/Contents/MacOS/lib"
export KAPROOM_VLC_PLUGIN_DIR="$VLC_APP/Contents/MacOS/plugins"
export KAPROOM_MACOS_SIGN_IDENTITY="$IDENTITY"
.venv/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/kaproom.spec
APP="dist/KAP Room.app"

# VLC's own licence beside the other notices.
mkdir -p "$APP/Contents/Resources/licenses/vlc"
cp "$VLC_APP/Contents/Resources/COPYING" "$APP/Contents/Resources/licenses/vlc/" 2>/dev/null || true

# Sign from the inside out: every plugin and library, then the executables, then the app.
# (codesign --deep does not sign plugins that live outside the standard bundle folders.)
SIGN=(codesign --force --options runtime --sign "${IDENTITY:--}")
[ -n "$IDENTITY" ] && SIGN+=(--timestamp)
find "$APP/Contents" -type f \( -name '*.dylib' -o -name '*.so' \) -print0 | xargs -0 "${SIGN[@]}"
for exe in "$APP/Contents/MacOS/"*; do "${SIGN[@]}" --entitlements packaging/macos/entitlements.plist "$exe"; done
"${SIGN[@]}" --entitlements packaging/macos/entitlements.plist "$APP"
codesign --verify --deep --strict --verbose=2 "$APP"

# Smoke test: the version, a headless session, and one track through the bundled libvlc.
DATA=$(mktemp -d)
"$APP/Contents/MacOS/kaproom" --version
"$APP/Contents/MacOS/kaproom" simulate --speed 1200 --protocol short-check --data-dir "$DATA/data"
"$APP/Contents/MacOS/kaproom" verify --data-dir "$DATA/data"
"$APP/Contents/MacOS/kaproom-check-audio"
rm -rf "$DATA"

if [ -n "$IDENTITY" ] && [ -n "${KAPROOM_NOTARY_PROFILE:-}" ]; then
  ditto -c -k --keepParent "$APP" "dist/KAPRoom-$VERSION-macos.zip"
  xcrun notarytool submit "dist/KAPRoom-$VERSION-macos.zip" --keychain-profile "$KAPROOM_NOTARY_PROFILE" --wait
  xcrun stapler staple "$APP"
fi
hdiutil create -volname "KAP Room" -srcfolder "$APP" -ov -format UDZO "dist/KAPRoom-$VERSION-macos.dmg"
echo "Built $APP and dist/KAPRoom-$VERSION-macos.dmg"
