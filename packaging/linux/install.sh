#!/bin/sh
# Install KAP Room from this unpacked folder, with its menu entry and icon.
#
#   ./install.sh              for you only: ~/.local/lib/kaproom, ~/.local/bin/kaproom, your menu
#   sudo ./install.sh --system  for everyone: /opt/kaproom, /usr/local/bin/kaproom, the menu
#   ./install.sh --uninstall  (add --system for a system install) removes the program again
#
# Session records are never touched: they live in the data folder (~/.local/share/kaproom by
# default), which neither installing, updating nor uninstalling changes.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
APP_ID=org.kaproom.KAPRoom
MARK=.kaproom-install

scope=user action=install
for arg in "$@"; do
  case "$arg" in
    --system) scope=system ;;
    --uninstall) action=uninstall ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

if [ "$scope" = system ]; then
  [ "$(id -u)" = 0 ] || { echo "install.sh: --system needs root (sudo ./install.sh --system)" >&2; exit 1; }
  APP=/opt/kaproom BIN=/usr/local/bin SHARE=/usr/local/share
else
  APP=$HOME/.local/lib/kaproom BIN=$HOME/.local/bin SHARE=${XDG_DATA_HOME:-$HOME/.local/share}
fi
ICON_SIZES="16 22 24 32 48 64 128 256 512"

remove_program() {
  # Only a folder this script installed (it holds the mark) is ever deleted.
  if [ -e "$APP" ] && [ ! -f "$APP/$MARK" ]; then
    echo "install.sh: $APP exists but was not installed by KAP Room's install.sh; leaving it alone" >&2; exit 1
  fi
  rm -rf "$APP"
  for tool in kaproom kaproom-check-audio; do
    [ -L "$BIN/$tool" ] && rm -f "$BIN/$tool"
  done
  rm -f "$SHARE/applications/$APP_ID.desktop" "$SHARE/metainfo/$APP_ID.metainfo.xml" \
        "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
  for size in $ICON_SIZES; do rm -f "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"; done
}

refresh_menus() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" 2>/dev/null || true
}

if [ "$action" = uninstall ]; then
  remove_program; refresh_menus
  echo "KAP Room removed from $APP. Session records in the data folder were not touched."
  exit 0
fi

[ -x "$HERE/kaproom" ] && [ -d "$HERE/_internal" ] || { echo "install.sh: run me from the unpacked KAP Room folder" >&2; exit 1; }
remove_program
mkdir -p "$APP" "$BIN" "$SHARE/applications" "$SHARE/metainfo"
cp -a "$HERE/kaproom" "$HERE/kaproom-check-audio" "$HERE/_internal" "$APP/"
[ -e "$HERE/licenses" ] && cp -a "$HERE/licenses" "$APP/"
: > "$APP/$MARK"
ln -sf "$APP/kaproom" "$BIN/kaproom"
ln -sf "$APP/kaproom-check-audio" "$BIN/kaproom-check-audio"
# The menu entry names the installed program by its full path, so it works without $BIN on PATH.
sed "s|^Exec=kaproom|Exec=$APP/kaproom|" "$HERE/share/applications/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
mkdir -p "$SHARE/icons/hicolor/scalable/apps"
cp "$HERE/share/icons/hicolor/scalable/apps/$APP_ID.svg" "$SHARE/icons/hicolor/scalable/apps/"
for size in $ICON_SIZES; do
  mkdir -p "$SHARE/icons/hicolor/${size}x${size}/apps"
  cp "$HERE/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png" "$SHARE/icons/hicolor/${size}x${size}/apps/"
done
refresh_menus
echo "KAP Room $("$APP/kaproom" --version | sed 's/^KAP Room //') installed in $APP; start it from the menu or with: $BIN/kaproom"
