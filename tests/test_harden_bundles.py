"""Bundles and values that a careful attacker or a clumsy clinic brings (issue #23, points 8, 9, 12).

Every bundle here is correctly hashed, so the chain alone cannot refuse it: the importer must
refuse what no room writes (vitals outside the protocol's ranges, numbers JSON cannot carry, keys
named twice, deep nesting, more events or bytes than a session can have) with a message, never a
traceback; ``import`` must print a bundle's text without obeying its control characters; the chart
must stay bounded for any value; and the CSV must never hand a spreadsheet a formula.
"""
from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import math
import os
import signal
import time
from dataclasses import replace

import pytest
from _export_helpers import finished_session, rehash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QImage, QPainter

from kaproom.cli.main import main
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.export.chart import draw_vitals_chart
from kaproom.export.csv_export import FORMULA_START, render_csv
from kaproom.export.importer import import_bundle, import_bundle_data
from kaproom.export.json_bundle import MAX_DEPTH, MAX_EVENTS, BundleRefused
from kaproom.export.output import MAX_BUNDLE_BYTES, ExportError
from kaproom.export.report_data import gather
from kaproom.export.session_export import export_session
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME, Store
from kaproom.store.queries import SessionFilter, list_sessions

NOTE_TEXT = "Eyeshades on; breathing slow — «ça va»."


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    folder = tmp_path_factory.mktemp("room")
    workspace, uid = finished_session(folder / "data", signed=False)
    path = export_session(workspace, uid, "json", folder / "s.kaproom.json").path
    bundle = json.loads(path.read_text("utf-8"))
    yield workspace, uid, bundle
    workspace.close()


@pytest.fixture
def bundle(room) -> dict:
    return copy.deepcopy(room[2])


@pytest.fixture
def office(tmp_path):
    with Store(tmp_path / DB_FILENAME) as store:
        yield store


def dump(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def first(doc: dict, kind: str) -> dict:
    return next(e for e in doc["events"] if e["kind"] == kind)


def nothing_imported(store: Store) -> bool:
    return list_sessions(store, SessionFilter()) == []


@pytest.mark.parametrize("value", [1e17, 1e7, 400, 10**30, -120])
def test_vitals_outside_the_protocols_ranges_are_refused(bundle, office, value):
    """Before: a correctly hashed bundle with systolic 1e17 was imported, and its chart never finished."""
    first(bundle, Kind.VITALS)["payload"]["systolic"] = value
    with pytest.raises(BundleRefused, match=r"gives systolic .*outside what the session's protocol allows \(50–300\)"):
        import_bundle_data(office, dump(rehash(bundle)), "odd.kaproom.json")
    assert nothing_imported(office)


def test_the_room_own_bundle_is_still_imported(bundle, office):
    result = import_bundle_data(office, dump(bundle), "s.kaproom.json")
    assert result.new_session and result.added == len(bundle["events"])


@pytest.mark.parametrize("literal, words", [("1e999", "the number 1e999, too large"),
                                            ("-1e400", "the number -1e400, too large"),
                                            ("NaN", "NaN, which is not a number"),
                                            ("Infinity", "Infinity, which is not a number")])
def test_numbers_json_cannot_carry_are_refused_with_a_message(bundle, office, literal, words):
    """Before: 1e999 became infinity and the import ended in a traceback."""
    first(bundle, Kind.VITALS)["payload"]["temperature"] = 36.123456
    text = dump(rehash(bundle)).decode("utf-8").replace("36.123456", literal)
    with pytest.raises(BundleRefused, match=f"odd.kaproom.json was not imported: it holds {words}"):
        import_bundle_data(office, text.encode("utf-8"), "odd.kaproom.json")
    assert nothing_imported(office)


@pytest.mark.parametrize("where", ["payload", "header"])
def test_a_key_named_twice_is_refused(bundle, office, where):
    """Before: Python kept the last "text" (which the hash covered) while sqlite's json_extract and
    other tools read the first, so the same bundle said two things."""
    text = dump(rehash(bundle)).decode("utf-8")
    if where == "payload":
        original = json.dumps({"text": NOTE_TEXT}, ensure_ascii=False)[1:-1]
        assert original in text
        text = text.replace(original, f'"text": "FORGED", {original}', 1)
    else:
        text = text.replace('"client_code": "KAP-0042"', '"client_code": "KAP-9999", "client_code": "KAP-0042"', 1)
    with pytest.raises(BundleRefused, match="names the key '(text|client_code)' twice"):
        import_bundle_data(office, text.encode("utf-8"), "twice.kaproom.json")
    assert nothing_imported(office)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 900])
def test_deep_nesting_is_refused_with_a_message(bundle, office, depth):
    nested: list = []
    for _ in range(depth):
        nested = [nested]
    first(bundle, Kind.NOTE)["payload"]["extra"] = nested
    with pytest.raises(BundleRefused, match="nests deeper than a KAP Room bundle does"):
        import_bundle_data(office, dump(rehash(bundle)), "deep.kaproom.json")
    assert nothing_imported(office)


def test_more_events_than_a_session_can_hold_are_refused_quickly(bundle, office):
    """Before: a million-event bundle was accepted (42 s, 2 GB) and its PDF never finished."""
    note = first(bundle, Kind.NOTE)
    bundle["events"] += [dict(note, payload={"text": f"note {i}"}) for i in range(MAX_EVENTS)]
    data = dump(rehash(bundle))
    started = time.monotonic()
    with pytest.raises(BundleRefused, match="more than a KAP Room session can \\(5,000\\)"):
        import_bundle_data(office, data, "long.kaproom.json")
    assert time.monotonic() - started < 5
    assert nothing_imported(office)


def test_a_file_larger_than_a_bundle_can_be_is_not_read(tmp_path):
    big = tmp_path / "big.kaproom.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_BUNDLE_BYTES + 1)
    with Workspace(tmp_path / "office") as office, pytest.raises(ExportError, match="too large .*16 MB"):
        import_bundle(office, big)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.kaproom.json"
    os.mkfifo(fifo)
    with Workspace(tmp_path / "office") as office, deadline(10), pytest.raises(ExportError, match="not a file"):
        import_bundle(office, fifo)


def _with_escapes(bundle: dict) -> dict:
    created = bundle["events"][0]["payload"]
    created["client_code"] = "\x1b]0;owned\x07\x1b[2JKAP-1"
    created["therapist"] = "\x1b[31mAna\u202e"
    created["room"] = "Room\x1b[8m 9"
    bundle["session"].update(client_code=created["client_code"], therapist=created["therapist"],
                             room=created["room"], origin="local")
    return rehash(bundle)


def test_import_prints_a_bundles_control_characters_escaped(bundle, tmp_path, capsys):
    """Before: ANSI escapes in the client code, therapist and room went raw to the terminal."""
    path = tmp_path / "escapes.kaproom.json"
    path.write_bytes(dump(_with_escapes(bundle)))
    assert main(["import", "--data-dir", str(tmp_path / "office"), str(path)]) == 0
    said = capsys.readouterr().out
    assert "\x1b" not in said and "\x07" not in said and "\u202e" not in said
    assert r"client \x1b]0;owned\x07\x1b[2JKAP-1, \x1b[31mAna\u202e) from Room\x1b[8m 9" in said


def test_a_refusal_prints_a_bundles_control_characters_escaped(bundle, tmp_path, capsys):
    doc = _with_escapes(bundle)
    doc["session"]["client_code"] = "\x1b[2JKAP-2"  # the header disagrees with the hashed record
    path = tmp_path / "escapes\x1b[1m.kaproom.json"
    path.write_bytes(dump(doc))
    assert main(["import", "--data-dir", str(tmp_path / "office"), str(path)]) == 2
    said = capsys.readouterr().err
    assert "\x1b" not in said and "header says client code '\\x1b[2JKAP-2'" in said


WILD = (1e17, 1e7, -1e17, float("nan"), float("inf"), float("-inf"), 1e308, 5e-324)


def _wild_report(report, dose_time: float = float("inf"),
                 times: tuple[float, ...] = (1e17, float("nan"), 600.0, float("inf")),
                 values: tuple[float, ...] = WILD):
    rows = []
    for number, value in enumerate(values):
        template = report.vitals[number % len(report.vitals)]
        rows.append(replace(template, systolic=value, diastolic=value, pulse=value, spo2=value,
                            session_time=times[number % len(times)]))
    return replace(report, vitals=(*report.vitals, *rows), dose_time=dose_time)


@pytest.mark.parametrize("monochrome", [False, True])
def test_the_chart_stays_bounded_for_any_value(qapp, room, monochrome):
    """Before: one systolic of 1e17 made the axes loop forever; 1e7 cost seconds; NaN raised."""
    workspace, uid, _ = room
    report = _wild_report(gather(workspace, uid))
    image = QImage(900, 450, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        with deadline(10):
            started = time.monotonic()
            draw_vitals_chart(painter, image.rect().toRectF(), report, monochrome=monochrome)
            assert time.monotonic() - started < 2.0
    finally:
        painter.end()


def test_the_pdf_of_wild_values_finishes(qapp, room):
    from kaproom.export.pdf import render_pdf
    workspace, uid, _ = room
    with deadline(60):
        # the numbers a bundle can bring are finite (NaN and infinity are refused at import)
        data = render_pdf(_wild_report(gather(workspace, uid), dose_time=1e17, times=(1e17, 1e7, 600.0),
                                       values=tuple(v for v in WILD if math.isfinite(v))))
    assert data.startswith(b"%PDF")


def test_no_csv_cell_starts_a_formula_even_from_imported_fields(room):
    """Before: session id, wall time and kind went unescaped into the cells (as imported fields can
    hold anything that hashes), so =HYPERLINK(...) and =cmd|' /C calc'!A0 reached a spreadsheet."""
    workspace, uid, _ = room
    report = gather(workspace, uid)
    forged = [RecordedEvent(kind="=cmd|' /C calc'!A0", payload={"text": "x"}, session_time=1.0,
                            wall_time='=HYPERLINK("http://x","y")', author="@SUM(A1)", phase="+1+1",
                            session_uid='=HYPERLINK("http://evil")', seq=number, prev_hash="-1-1", hash="\t=1")
              for number in (1, 2)]
    data = render_csv(replace(report, events=(*report.events, *forged)))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), (cell, row)
    assert rows[-1][0] == "'=HYPERLINK(\"http://evil\")" and rows[-1][2] == "'=HYPERLINK(\"http://x\",\"y\")"


def test_a_bundle_with_wild_session_times_imports_and_renders(qapp, bundle, tmp_path):
    """Session times are not vitals values: a huge one is imported (the chain is intact), and the
    review and the PDF of it stay bounded."""
    from kaproom.export.pdf import render_pdf
    first(bundle, Kind.VITALS)["session_time"] = 1e17
    with Workspace(tmp_path / "office") as office:
        result = import_bundle_data(office.store, dump(rehash(bundle)), "late.kaproom.json")
        with deadline(60):
            assert render_pdf(gather(office, result.session_uid)).startswith(b"%PDF")


any_float = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e17, 1e7, -1e17, 0.0, 5e-324])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(readings=st.lists(st.tuples(any_float, st.one_of(st.none(), any_float), st.one_of(st.none(), any_float),
                                   st.one_of(st.none(), any_float)), min_size=0, max_size=12),
       dose_time=st.one_of(st.none(), any_float), width=st.integers(40, 1200), height=st.integers(40, 700))
def test_fuzz_the_chart_draws_any_readings_in_bounded_time(qapp, room, readings, dose_time, width, height):
    workspace, uid, _ = room
    report = gather(workspace, uid)
    template = report.vitals[0]
    rows = tuple(replace(template, session_time=t, systolic=bp, diastolic=bp, pulse=pulse, spo2=spo2)
                 for t, bp, pulse, spo2 in readings)
    report = replace(report, vitals=rows, dose_time=dose_time)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        with deadline(10):
            draw_vitals_chart(painter, image.rect().toRectF(), report)
    finally:
        painter.end()
