"""Guard against PySide6 6.12.0 dropping a reference to ``None`` on every call of a void method.

On Python 3.11 (where ``None`` is still reference-counted), PySide6-Essentials 6.12.0 returns
``None`` from methods such as ``QPainter.setPen`` without taking a reference; a process starts
with only a few thousand, so drawing one PDF report (thousands of such calls) ends in
"Fatal Python error: none_dealloc" when the interpreter exits, or sooner. Painting code runs
inside :func:`keep_none_alive`, which puts back whatever ``None`` lost meanwhile. Giving back
more than was wrongly taken is harmless (``None`` is never freed), and on Python 3.12+
``None`` is immortal, so this does nothing there.
"""
from __future__ import annotations

import ctypes
import gc
import sys
from contextlib import contextmanager
from typing import Iterator

_NEEDED = sys.version_info < (3, 12)


def restore_none(before: int) -> None:
    """Give ``None`` back the references it has lost since ``before`` (``sys.getrefcount(None)``)."""
    if not _NEEDED:
        return
    lost = before - sys.getrefcount(None)
    # A few references held only while we measure (frames, the generator) vanish just after; cover them.
    for _ in range(max(0, lost) + 16):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))


@contextmanager
def keep_none_alive(collect: bool = False) -> Iterator[None]:
    """Restore ``None``'s references on leaving the block.

    ``collect``: first free the cyclic garbage the block made (e.g. a layout's closures), so the
    ``None`` those objects held is counted as released before we compare.
    """
    before = sys.getrefcount(None)
    try:
        yield
    finally:
        if collect and _NEEDED:
            gc.collect()
        restore_none(before)
