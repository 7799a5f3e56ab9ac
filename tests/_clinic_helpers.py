"""Fixtures for the clinic-server tests: one throwaway PostgreSQL for the whole run (see
pg_cluster.py), a fresh clinic database per test made from a template that ``clinic init``
prepared once, and login roles for three rooms and an office computer.

Test modules import the fixtures by name: ``from _clinic_helpers import pg, clinic  # noqa: F401``.
"""
from __future__ import annotations

import atexit
import itertools
from dataclasses import dataclass

import psycopg
import pytest
from pg_cluster import Cluster, remove_cluster, start_cluster

from kaproom.clinic.schema import OFFICE_GROUP, ROOM_GROUP
from kaproom.clinic.server import connect, connection_params, init_schema

TEMPLATE = "kaproom_template"
ROLES = {"room_a": ROOM_GROUP, "room_b": ROOM_GROUP, "room_c": ROOM_GROUP, "office_1": OFFICE_GROUP,
         "office_2": OFFICE_GROUP}
_numbers = itertools.count(1)


def password_of(role: str) -> str:
    return f"{role}-secret"


_shared: list[Cluster] = []


def shared_cluster() -> Cluster:
    """One cluster for the whole run, whichever test module asks first (each module that imports
    the fixture gets its own fixture instance; they all share this). Removed when the run ends,
    and by its watchdog if the run is killed."""
    if not _shared:
        cluster = start_cluster()
        try:
            with psycopg.connect(cluster.url(), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {TEMPLATE}")
            with connect(connection_params(cluster.url(database=TEMPLATE))) as conn:
                init_schema(conn)
                conn.commit()
            with psycopg.connect(cluster.url(), autocommit=True) as conn:
                for role, group in ROLES.items():
                    conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password_of(role)}' IN ROLE {group}")
        except BaseException:
            remove_cluster(cluster)
            raise
        atexit.register(remove_cluster, cluster)
        _shared.append(cluster)
    return _shared[0]


@pytest.fixture(scope="session")
def pg():
    """The cluster, or a skip naming why there is none (CI installs PostgreSQL: ./run test)."""
    try:
        return shared_cluster()
    except RuntimeError as exc:
        pytest.skip(f"no throwaway PostgreSQL: {exc}")


@dataclass
class ClinicDb:
    cluster: Cluster
    name: str

    def url(self, role: str = "kaproom_admin", with_password: bool = True) -> str:
        if role == "kaproom_admin":
            return self.cluster.url(database=self.name)
        return self.cluster.url(role, password_of(role) if with_password else None, self.name)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url(), autocommit=True)

    def as_role(self, role: str) -> psycopg.Connection:
        return psycopg.connect(self.url(role), autocommit=True)

    def scalar(self, sql: str, params: tuple = ()):
        with self.admin() as conn:
            row = conn.execute(sql, params).fetchone()
            return row[0] if row else None


@pytest.fixture
def clinic(pg):
    """A fresh clinic database (schema applied) for one test."""
    name = f"clinic_{next(_numbers)}"
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield ClinicDb(pg, name)
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def app_theme_restored(qapp):
    """For a test that runs a window command in-process (`kaproom board`): the app-wide theme it
    applies is taken off afterwards, so later tests see the plain app they expect."""
    saved_sheet, saved_palette = qapp.styleSheet(), qapp.palette()
    yield qapp
    qapp.setStyleSheet(saved_sheet)
    qapp.setPalette(saved_palette)
    qapp.setProperty("kaproomThemed", False)
    qapp.setCursorFlashTime(1000)
