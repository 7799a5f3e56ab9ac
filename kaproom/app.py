"""Starts Qt. A placeholder window until the room screen lands."""
from __future__ import annotations

import argparse
import sys


def main_gui(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    label = QLabel("KAP Room")
    label.setWindowTitle("KAP Room")
    label.resize(640, 400)
    label.show()
    return app.exec()


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common], help="open a demo session on a fast clock (no sign-in)")
    p.set_defaults(func=main_gui)
