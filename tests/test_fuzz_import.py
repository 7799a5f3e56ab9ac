"""Session bundles from other computers, fuzzed: any bytes, and real bundles with any value
changed, any key removed, events dropped, repeated or reordered. Each import either adds exactly
what the bundle holds with its chain intact, or is refused with a message that names the file
(BundleRefused). Never another exception, and this computer's record stays intact either way."""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from _export_helpers import finished_session, rehash
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kaproom.domain.protocol_settings import DEFAULT_RANGES
from kaproom.export.importer import import_bundle_data
from kaproom.export.json_bundle import BundleRefused
from kaproom.export.session_export import export_session
from kaproom.store import DB_FILENAME, Store

SOURCE = "fuzzed.kaproom.json"
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("export")
    workspace, uid = finished_session(folder / "data")
    try:
        result = export_session(workspace, uid, "json", folder / "session.kaproom.json")
        path = Path(getattr(result, "path", folder / "session.kaproom.json"))
        return json.loads(path.read_text(encoding="utf-8"))
    finally:
        workspace.close()


def import_or_refuse(store: Store, data: bytes) -> bool:
    """True if imported; False if refused with a message naming the source. Anything else fails."""
    try:
        import_bundle_data(store, data, SOURCE)
    except BundleRefused as exc:
        assert SOURCE in str(exc) or "bundle" in str(exc), str(exc)
        return False
    return True


def assert_local_record_intact(store: Store) -> None:
    assert all(report.intact for report in store.verify())
    assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@settings(max_examples=150, **SETTINGS)
@given(data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
@example(data=b'{"format": "kaproom-session", "version": 1e999}')
@example(data=b"[" * 100_000)
def test_any_bytes_are_imported_or_refused_clearly(tmp_path_factory, data):
    with Store(tmp_path_factory.mktemp("bytes") / DB_FILENAME) as store:
        import_or_refuse(store, data)
        assert_local_record_intact(store)


json_leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.just(10**400),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                        st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.integers(),
                                                                                  max_size=2))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, prefix + (index,))


@st.composite
def mutated(draw, original: dict) -> bytes:
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["set", "set", "delete", "events"]))
        if action == "set":
            parent[path[-1]] = draw(json_leaves)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(doc.get("events"), list) and doc["events"]:
            events = doc["events"]
            how = draw(st.sampled_from(["drop", "repeat", "swap", "truncate"]))
            i = draw(st.integers(0, len(events) - 1))
            if how == "drop":
                del events[i]
            elif how == "repeat":
                events.insert(i, copy.deepcopy(events[i]))
            elif how == "swap" and len(events) > 1:
                j = (i + 1) % len(events)
                events[i], events[j] = events[j], events[i]
            else:
                del events[i + 1:]
    return json.dumps(doc, allow_nan=True).encode("utf-8")


@settings(max_examples=250, **SETTINGS)
@given(data=st.data())
def test_an_altered_bundle_is_refused_or_imported_exactly(bundle, tmp_path_factory, data):
    changed = data.draw(mutated(bundle))
    folder = tmp_path_factory.mktemp("import")
    with Store(folder / DB_FILENAME) as store:
        imported = import_or_refuse(store, changed)
        assert_local_record_intact(store)
        if imported:
            doc = json.loads(changed)
            uid = doc["session"]["uid"]
            stored = store.events(uid)
            assert [e.hash for e in stored] == [e["hash"] for e in doc["events"]], "imported exactly as bundled"
            assert import_or_refuse(store, changed) in (True, False)  # a second import adds nothing new
            assert [e.hash for e in store.events(uid)] == [e.hash for e in stored]


def test_the_untouched_bundle_imports_once_and_twice_adds_nothing(bundle, tmp_path):
    data = json.dumps(bundle).encode("utf-8")
    with Store(tmp_path / DB_FILENAME) as store:
        assert import_or_refuse(store, data)
        count = len(store.events(bundle["session"]["uid"]))
        assert count == len(bundle["events"])
        assert import_or_refuse(store, data)
        assert len(store.events(bundle["session"]["uid"])) == count
        assert_local_record_intact(store)


# ---------------------------------------------------------------- the parser's own limits (issue #23)
EXTREME_NUMBERS = ("1e999", "-1e999", "1e308", "5e-324", "-0.0", "NaN", "Infinity", "-Infinity", "1" * 5000,
                   "0.1", "72", "1E+2")


@st.composite
def json_text(draw, depth: int = 0) -> str:
    """JSON text as a forger writes it: extreme number literals, keys named twice, deep nesting."""
    kind = draw(st.sampled_from(["number", "string", "list", "object", "deep"] if depth < 4 else ["number", "string"]))
    if kind == "number":
        return draw(st.sampled_from(EXTREME_NUMBERS))
    if kind == "string":
        return json.dumps(draw(st.text(max_size=6)))
    if kind == "deep":
        levels = draw(st.integers(1, 1200))
        return "[" * levels + draw(json_text(depth + 1)) + "]" * levels
    items = draw(st.lists(json_text(depth + 1), max_size=3))
    if kind == "list":
        return "[" + ",".join(items) + "]"
    keys = draw(st.lists(st.sampled_from(["text", "seq", "uid", "a"]), min_size=len(items), max_size=len(items)))
    return "{" + ",".join(f'"{key}":{item}' for key, item in zip(keys, items)) + "}"


@settings(max_examples=200, **SETTINGS)
@given(value=json_text(), where=st.sampled_from(["payload", "header", "top", "event"]))
def test_any_value_anywhere_in_a_bundle_is_imported_or_refused_clearly(bundle, tmp_path_factory, value, where):
    doc = copy.deepcopy(bundle)
    placeholder = "\"@@value@@\""
    if where == "payload":
        doc["events"][-1]["payload"]["extra"] = "@@value@@"
    elif where == "header":
        doc["session"]["extra"] = "@@value@@"
    elif where == "event":
        doc["events"][0]["session_time"] = "@@value@@"
    else:
        doc["extra"] = "@@value@@"
    data = json.dumps(doc).replace(placeholder, value).encode("utf-8")
    with Store(tmp_path_factory.mktemp("values") / DB_FILENAME) as store:
        if import_or_refuse(store, data):
            uid = doc["session"]["uid"]
            assert all(math.isfinite(e.session_time) for e in store.events(uid))
        assert_local_record_intact(store)


vital_values = st.one_of(st.none(), st.integers(-10**20, 10**20), st.floats(-1e20, 1e20, allow_nan=False),
                         st.sampled_from([50, 300, 20, 250, 100, 49.999, 300.001, 0, True, "128"]))


@settings(max_examples=150, **SETTINGS)
@given(changes=st.dictionaries(st.sampled_from(["systolic", "diastolic", "pulse", "spo2", "respiratory_rate",
                                                 "temperature"]), vital_values, min_size=1, max_size=4),
       session_time=st.floats(0, 1e18, allow_nan=False))
def test_correctly_hashed_vitals_are_imported_only_inside_the_protocols_ranges(bundle, tmp_path_factory, changes,
                                                                               session_time):
    """A forger who recomputes every hash still cannot bring a reading no check-in could save."""
    doc = copy.deepcopy(bundle)
    vitals = next(e for e in doc["events"] if e["kind"] == "vitals")
    vitals["payload"].update(changes)
    vitals["session_time"] = session_time
    data = json.dumps(rehash(doc)).encode("utf-8")
    inside = all(value is None or isinstance(value, (bool, str)) or DEFAULT_RANGES[name][0] <= value
                 <= DEFAULT_RANGES[name][1] for name, value in changes.items())
    with Store(tmp_path_factory.mktemp("vitals") / DB_FILENAME) as store:
        assert import_or_refuse(store, data) == inside
        assert_local_record_intact(store)
