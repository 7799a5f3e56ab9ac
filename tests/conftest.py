"""Shared fixtures. Qt runs offscreen; libvlc (where used) plays to a dummy output."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KAPROOM_AUDIO_OUTPUT", "dummy")

from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from kaproom.domain.clock import FakeClock  # noqa: E402
from kaproom.domain.protocol import builtin_protocol  # noqa: E402
from kaproom.store import Store  # noqa: E402
from kaproom.workspace import Workspace  # noqa: E402


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc))


@pytest.fixture
def protocol():
    return builtin_protocol("lozenge-3h")


@pytest.fixture
def short_protocol():
    return builtin_protocol("short-check")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("KAPROOM_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def store(tmp_path: Path):
    opened = Store(tmp_path / "kaproom.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def workspace(data_dir: Path, clock: FakeClock):
    opened = Workspace(data_dir, clock)
    yield opened
    opened.close()
