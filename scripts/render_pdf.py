"""Render a demo session's PDF report and its first page as PNG, so people can look at it.

Runs a whole simulated session on a fake clock in a throwaway data folder (nothing touches the
real one), exports the PDF exactly as ``kaproom export`` does, then asks poppler's ``pdftoppm``
for page images.

    .venv/bin/python scripts/render_pdf.py [--out build/screenshots] [--pages 1] [--black-and-white]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kaproom.domain.clock import FakeClock, to_iso
from kaproom.domain.events import Event, Kind
from kaproom.export.session_export import export_session
from kaproom.services.simulate import run_simulation
from kaproom.services.workspace import Workspace


def demo_session(folder: Path, protocol: str) -> tuple[Workspace, str]:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    workspace = Workspace(folder, clock)
    result = run_simulation(workspace, protocol, notes=14, vitals=7, tracks=8, seed=7, sleep=clock.advance)
    store, uid = workspace.store, result.session_uid
    note = store.events(uid, (Kind.NOTE,))[2]
    last = store.events(uid)[-1]
    clock.advance(600)
    store.append(uid, Event(Kind.AMENDMENT, {"amends_seq": note.seq, "amends_id": note.id, "amends_kind": "note",
                                             "text": "Corrected: this was during the return, not the deep phase."},
                            last.session_time, to_iso(clock.now()), "simulator", last.phase))
    clock.advance(86400)
    store.append(uid, Event(Kind.SIGNOFF, {"comment": "Reviewed. Blood pressure rise expected; well handled.",
                                           "role": "supervisor"}, last.session_time, to_iso(clock.now()),
                            "Demo Supervisor", last.phase))
    return workspace, uid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/screenshots", help="folder for report.pdf and the PNGs")
    parser.add_argument("--pages", type=int, default=1, help="how many pages to render as PNG")
    parser.add_argument("--protocol", default="lozenge-3h")
    parser.add_argument("--black-and-white", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("pdftoppm is missing: install poppler-utils (./run setup does).", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        workspace, uid = demo_session(Path(tmp) / "data", args.protocol)
        with workspace:
            result = export_session(workspace, uid, "pdf", out / "report.pdf", monochrome=args.black_and_white)
    prefix = out / "report-page"
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", str(args.pages), str(result.path), str(prefix)],
                   check=True)
    for png in sorted(out.glob("report-page*.png")):
        print(png)
    print(result.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
