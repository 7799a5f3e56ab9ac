"""The clinic server's indexes serve the review list at a large clinic: the list's default order
(newest first) is read from an index, not by sorting every session, and a database made before
the index came is upgraded by ``clinic init``."""
from __future__ import annotations

import _clinic_helpers
import psycopg

import kaproom.clinic.server as server
from kaproom.clinic.schema import MIGRATIONS, SCHEMA_VERSION
from kaproom.clinic.server import connect, connection_params, init_schema, schema_version
from kaproom.services.clinic_review import LIST_COLUMNS, NO_FILTER, POSTGRESQL
from kaproom.store.queries import order_clause, where_clause

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures


def list_plan(conn: psycopg.Connection, descending: bool = True) -> str:
    """The plan of the review list's first page (the SQL ClinicReader.page sends), with sorting
    priced out, so the plan says whether an index can give the order at all."""
    where, params = where_clause(NO_FILTER, POSTGRESQL)
    conn.execute("SET enable_sort = off")
    conn.execute("SET enable_seqscan = off")
    rows = conn.execute(f"EXPLAIN SELECT {LIST_COLUMNS} FROM kaproom.sessions WHERE {where} "
                        f"ORDER BY {order_clause('date', descending, POSTGRESQL)} LIMIT 200 OFFSET 0", params).fetchall()
    return "\n".join(row[0] for row in rows)


def test_the_review_list_is_read_newest_first_from_an_index(clinic):
    with clinic.admin() as conn:
        for descending in (True, False):
            plan = list_plan(conn, descending)
            assert "Index Scan" in plan and "Sort" not in plan, plan


def test_a_clinic_database_from_before_the_index_is_upgraded(pg, monkeypatch):
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE clinic_before_index")
    try:
        params = connection_params(pg.url(database="clinic_before_index"))
        before = MIGRATIONS[:4]  # up to 0004, the last before the index
        monkeypatch.setattr(server, "MIGRATIONS", before)
        with connect(params) as conn:
            init_schema(conn)
            conn.commit()
            assert schema_version(conn) == len(before) and "Sort" in list_plan(conn)
        monkeypatch.undo()
        with connect(params) as conn:
            assert init_schema(conn) == ["0005_review_list_order", "0006_no_mutable_staff_table"]
            conn.commit()
            assert schema_version(conn) == SCHEMA_VERSION == 6
            assert "Sort" not in list_plan(conn)
            assert init_schema(conn) == []  # again: nothing to do
    finally:
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS clinic_before_index WITH (FORCE)")
