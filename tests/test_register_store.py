"""The stock register in the room's SQLite: one transaction per movement, append-only, hash-chained,
and a hand edit of the database file caught by verify."""
from __future__ import annotations

import sqlite3

import pytest

from kaproom.domain.register import Balance, Movement, MovementKind, Product, RegisterRefused, Rule
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME, Store
from kaproom.store.register import REGISTER_LABEL, StockRegister
from kaproom.store.schema import SCHEMA_VERSION

K = MovementKind
AT = "2026-12-07T10:00:00+00:00"
TROCHE = Product("ketamine", 100, "sublingual troche")


def _fill(store: Store) -> StockRegister:
    register = StockRegister(store)
    register.record(Movement(K.RECEIVED, "L1", 1000, "Ana", AT, product=TROCHE, expiry="2027-06-30", supplier="P"))
    register.record(Movement(K.DISPENSED, "L1", 100, "Ana", AT, session="s1"))
    register.record(Movement(K.WASTED, "L1", 50, "Ana", AT, witness="Ben", session="s1"))
    return register


def _sqlite(path):
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    return conn


def test_movements_are_chained_and_replayed_after_reopening(tmp_path) -> None:
    path = tmp_path / DB_FILENAME
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert StockRegister(store).verify() == []  # a register never used says nothing
        _fill(store)
    with Store(path) as store:
        register = StockRegister(store)
        state = register.state()
        assert state.balance("L1") == Balance(900, 50)
        assert [line.seq for line in state.lines] == [1, 2, 3]
        (report,) = register.verify()
        assert report.intact and report.events == 3
        events = register.events()
        assert events[1].prev_hash == events[0].hash and events[0].session_uid == "register"


def test_a_refused_movement_writes_nothing(tmp_path) -> None:
    with Store(tmp_path / DB_FILENAME) as store:
        register = _fill(store)
        with pytest.raises(RegisterRefused) as caught:
            register.record(Movement(K.DISPENSED, "L1", 5000, "Ana", AT))
        assert caught.value.rule == Rule.OVER_BALANCE
        assert register.count() == 3 and register.verify()[0].intact


def test_update_and_delete_are_refused_by_the_database(tmp_path) -> None:
    path = tmp_path / DB_FILENAME
    with Store(path) as store:
        _fill(store)
    conn = _sqlite(path)
    for sql in ("UPDATE register SET payload='{}' WHERE seq=1", "DELETE FROM register WHERE seq=3",
                "DELETE FROM register_head"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    conn.close()


@pytest.mark.parametrize(("edit", "says"), [
    # the quantity received raised by hand, with the trigger dropped first
    ("UPDATE register SET payload=replace(payload, '\"quantity\":10,', '\"quantity\":12,') WHERE seq=1",
     "content does not match its hash"),
    ("DELETE FROM register WHERE seq=3", "removed from its end"),
    ("UPDATE register SET lot='L9' WHERE seq=2", "lot column says 'L9'"),
])
def test_a_hand_edit_of_the_file_is_caught_by_verify(tmp_path, edit, says) -> None:
    path = tmp_path / DB_FILENAME
    with Store(path) as store:
        _fill(store)
    conn = _sqlite(path)
    conn.execute("DROP TRIGGER register_no_update")
    conn.execute("DROP TRIGGER register_no_delete")
    conn.execute(edit)
    conn.close()
    with Store(path) as store:
        (report,) = StockRegister(store).verify()
        assert not report.intact and says in report.reason and report.chain == REGISTER_LABEL


def test_kaproom_verify_includes_the_register(data_dir, clock) -> None:
    with Workspace(data_dir, clock) as workspace:
        assert workspace.verify_extra() == []
        _fill(workspace.store)
        assert [r.chain for r in workspace.verify_extra()] == [REGISTER_LABEL]


def test_lines_another_process_added_are_seen_and_checked_against(tmp_path) -> None:
    """Each Store keeps the register as last read and reads only the lines after it; lines added
    through another connection (a command while the app runs) count in the next check."""
    path = tmp_path / DB_FILENAME
    with Store(path) as app, Store(path) as command:
        register = _fill(app)
        assert register.state().balance("L1") == Balance(900, 50)
        StockRegister(command).record(Movement(K.DISPENSED, "L1", 900, "Ana", AT))
        with pytest.raises(RegisterRefused) as caught:  # the app knows the stock is gone
            register.record(Movement(K.DISPENSED, "L1", 100, "Ana", AT))
        assert caught.value.rule == Rule.OVER_BALANCE
        assert register.state().balance("L1") == Balance(0, 950)
        state = register.state()
        state.balances.clear()  # a caller's copy: changing it changes nothing known
        assert register.state().balance("L1") == Balance(0, 950)


def test_a_rewritten_end_is_read_again_in_full(tmp_path) -> None:
    path = tmp_path / DB_FILENAME
    with Store(path) as store:
        register = _fill(store)
        assert register.state().balance("L1") == Balance(900, 50)
        conn = _sqlite(path)
        conn.execute("DROP TRIGGER register_no_delete")
        conn.execute("DELETE FROM register WHERE seq=3")  # the waste cut off behind the store's back
        conn.execute("UPDATE register_head SET last_seq=2, last_hash=(SELECT hash FROM register WHERE seq=2)")
        conn.close()
        assert register.state().balance("L1") == Balance(900, 100)


def test_a_line_made_unreadable_by_hand_is_said_in_words(tmp_path) -> None:
    from kaproom.store import StoreError
    path = tmp_path / DB_FILENAME
    with Store(path) as store:
        _fill(store)
    conn = _sqlite(path)
    conn.execute("DROP TRIGGER register_no_update")
    conn.execute("UPDATE register SET payload='not json' WHERE seq=2")
    conn.close()
    with Store(path) as store:
        register = StockRegister(store)
        with pytest.raises(StoreError, match="stock register cannot be read.*line 2.*kaproom verify"):
            register.state()
        with pytest.raises(StoreError):
            register.record(Movement(K.DISPENSED, "L1", 100, "Ana", AT))
        assert register.count() == 3
        (report,) = register.verify()
        assert not report.intact and report.broken_at == 2
