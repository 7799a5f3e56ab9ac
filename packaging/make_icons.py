"""Render the app icon's PNG sizes, the Windows .ico and the macOS .icns from the one SVG.

The rendered files are committed, so a build needs no image tool; run this again after
changing the SVG:  .venv/bin/python packaging/make_icons.py
It uses Qt's own SVG renderer (PySide6-Essentials), offscreen.
"""
from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
APP_ID = "org.kaproom.KAPRoom"
SVG = PACKAGING / "icons" / f"{APP_ID}.svg"
HICOLOR = PACKAGING / "icons" / "hicolor"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(size: int) -> bytes:
    """The icon at ``size`` pixels as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG images (Windows Vista and later read these)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in sorted(pngs.items()):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset + len(images))
        images += png
    return header + entries + images


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding PNG images (the modern 'ic07'..'ic10' types)."""
    types = {128: b"ic07", 256: b"ic08", 512: b"ic09"}
    chunks = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                      for size, kind in types.items())
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts and image plugins
    pngs = {size: render(size) for size in PNG_SIZES}
    for size, png in pngs.items():
        target = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png)
    scalable = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SVG.read_bytes())
    (PACKAGING / "windows").mkdir(exist_ok=True)
    (PACKAGING / "windows" / "kaproom.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (PACKAGING / "macos").mkdir(exist_ok=True)
    (PACKAGING / "macos" / "kaproom.icns").write_bytes(icns(pngs))
    print(f"wrote {len(pngs)} PNG sizes under {HICOLOR}, windows/kaproom.ico and macos/kaproom.icns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
