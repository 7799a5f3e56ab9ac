"""``kaproom music import FOLDER [--json]``, ``kaproom music list [--json]`` and ``kaproom music set``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaproom.cli.main import main
from tests._music_library_helpers import flac, tone


def test_import_then_list_as_json_and_as_text(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    music = tmp_path / "music"
    tone(music / "quiet.wav", dbfs=-30)
    flac(music / "song.flac", title="Song", artist="Band", replaygain_track_gain="-3.5 dB")
    (music / "notes.txt").write_text("not music")

    assert main(["music", "import", str(music), "--json"]) == 1  # ran; one file not used
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 2 and report["problem_counts"] == {"not audio": 1}
    assert report["problems"][0]["path"].endswith("notes.txt")

    assert main(["music", "list", "--json"]) == 0
    tracks = {t["title"]: t for t in json.loads(capsys.readouterr().out)}
    assert tracks["Song"]["loudness"] == pytest.approx(-14.5) and tracks["Song"]["loudness_source"] == "replaygain"
    assert tracks["quiet"]["loudness_source"] == "measured" and tracks["quiet"]["missing"] is False
    assert tracks["quiet"]["duration"] == pytest.approx(3.0, abs=0.05)

    assert main(["music", "set", str(tracks["Song"]["id"]), "--lyrics", "sung", "--language", "EN",
                 "--intensity", "4", "--note", "only for the return"]) == 0
    capsys.readouterr()
    (music / "quiet.wav").unlink()
    assert main(["music", "list"]) == 0
    text = capsys.readouterr().out
    assert "Band - Song" in text and "sung words (en)" in text and "intensity 4" in text
    assert "MISSING quiet" in text and "1 missing" in text


def test_bad_input_is_one_line_and_an_error_code(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["music", "import", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["music", "set", "1", "--intensity", "9"]) == 2
    assert "intensity goes from 1" in capsys.readouterr().err
    assert main(["music", "list"]) == 0
    assert "library is empty" in capsys.readouterr().out
