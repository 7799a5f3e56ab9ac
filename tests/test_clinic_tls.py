"""A clinic server on another computer is reached only over TLS with its certificate checked
(``sslmode=verify-full``), against a real PostgreSQL with ``ssl = on``.

The server's certificate is made here for the name ``clinic.test`` and signed by a throwaway
certificate authority (the clinic's CA, given to the rooms as ``sslrootcert=`` in the address).
Rooms connect with that name and ``hostaddr=127.0.0.1``, so no name lookup is needed and the name
is still what the certificate is checked against. A server whose certificate another authority
signed, a certificate for another name, and a server without TLS are each refused in one line that
a clinic's IT person can act on, and nothing recorded in the room is lost.
"""
from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pg_cluster import Cluster, remove_cluster, start_cluster

from kaproom.cli.main import main
from kaproom.clinic.errors import ClinicRefused
from kaproom.clinic.schema import ROOM_GROUP
from kaproom.clinic.server import connect, connection_params, init_schema, translate
from kaproom.services import clinic_sync
from kaproom.services.simulate import run_simulation
from kaproom.services.workspace import Workspace

HOST = "clinic.test"
TEMPLATE = "clinic_template"
_numbers = itertools.count(1)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_authority(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key, now = _key(), datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_certificate(authority: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
                            host: str, expired: bool = False) -> tuple[bytes, bytes]:
    """(certificate, key) as PEM, for ``host``, signed by ``authority`` (valid until yesterday if ``expired``)."""
    ca_key, ca_cert = authority
    key, now = _key(), datetime.now(UTC) - timedelta(days=2 if expired else 0)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return _pem(cert), key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())


class TlsServer:
    """A throwaway cluster serving TLS, the clinic's CA file, and the certificates to swap in."""

    def __init__(self, cluster: Cluster, ca_file: Path, certificates: dict[str, tuple[bytes, bytes]]) -> None:
        self.cluster = cluster
        self.database = TEMPLATE
        self.ca_file = ca_file
        self.certificates = certificates

    def serve(self, which: str) -> None:
        self.cluster.use_certificate(*self.certificates[which])

    def url(self, role: str = "room_a", ca: Path | None = None) -> str:
        root = f"&sslrootcert={ca or self.ca_file}" if ca != Path() else ""
        return f"postgresql://{role}:{role}-secret@{HOST}:{self.cluster.port}/{self.database}?hostaddr=127.0.0.1{root}"

    def events(self) -> list[tuple[str, int, str]]:
        with psycopg.connect(self.cluster.url(database=self.database)) as conn:  # the administrator, on 127.0.0.1
            rows = conn.execute("SELECT session_uid, seq, hash FROM kaproom.events ORDER BY 1, 2").fetchall()
        return [tuple(row) for row in rows]

    def authorized(self, role: str) -> int:
        """How many connections of ``role`` the server let in so far (its log: log_connections)."""
        return (self.cluster.folder / "log").read_text(errors="replace").count(f"connection authorized: user={role} ")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    clinic_ca = make_authority("Throwaway clinic CA")
    other_ca = make_authority("Someone else's CA")
    folder = tmp_path_factory.mktemp("tls")
    ca_file = folder / "clinic-ca.crt"
    ca_file.write_bytes(_pem(clinic_ca[1]))
    (folder / "other-ca.crt").write_bytes(_pem(other_ca[1]))
    certificates = {"clinic": make_server_certificate(clinic_ca, HOST),
                    "other authority": make_server_certificate(other_ca, HOST),
                    "other name": make_server_certificate(clinic_ca, "other.test"),
                    "expired": make_server_certificate(clinic_ca, HOST, expired=True)}
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.skip(f"no throwaway PostgreSQL: {exc}")
    try:
        cluster.use_certificate(*certificates["clinic"])
        with cluster.admin() as conn:
            conn.execute("ALTER SYSTEM SET log_connections = on")
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        with connect(connection_params(cluster.url(database=TEMPLATE))) as conn:
            init_schema(conn)
            conn.commit()
        with cluster.admin() as conn:
            for role in ("room_a", "room_b"):
                conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}-secret' IN ROLE {ROOM_GROUP}")
        cluster.reload()
        yield TlsServer(cluster, ca_file, certificates)
    finally:
        remove_cluster(cluster)


@pytest.fixture
def server(tls_server):
    """The TLS server with the clinic's own certificate, as each test finds it and leaves it, and a
    fresh clinic database (the schema applied) for the test."""
    tls_server.serve("clinic")
    tls_server.database = f"clinic_{next(_numbers)}"
    with tls_server.cluster.admin() as conn:
        conn.execute(f"CREATE DATABASE {tls_server.database} TEMPLATE {TEMPLATE}")
    yield tls_server
    tls_server.serve("clinic")
    with tls_server.cluster.admin() as conn:
        conn.execute(f"DROP DATABASE {tls_server.database} WITH (FORCE)")


def record_session(folder: Path, clock, seed: int) -> None:
    with Workspace(folder, clock) as workspace:
        run_simulation(workspace, "short-check", notes=3, vitals=2, tracks=1, seed=seed,
                       sleep=lambda s: clock.advance(s * clock.speed))


def local_events(folder: Path, clock) -> list[tuple[str, int, str]]:
    with Workspace(folder, clock) as workspace:
        return sorted((e.session_uid, e.seq, e.hash) for row in workspace.store.sessions()
                      for e in workspace.store.events(row.uid))


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def waiting(folder: Path) -> int:
    return int(clinic_sync.status(folder)["waiting"])


def test_verify_full_joins_and_sends_over_tls(server, tmp_path, clock, capsys):
    folder = tmp_path / "room_a"
    record_session(folder, clock, seed=1)
    params = connection_params(server.url())
    assert params["sslmode"] == "verify-full"  # another computer by its name: checked, never asked for
    with connect(params) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
    code, out, err = cli(capsys, "clinic", "join", server.url(), "--room", "Room A", "--data-dir", str(folder))
    assert code == 0 and "Caught up" in out, err
    assert server.events() == local_events(folder, clock)
    record_session(folder, clock, seed=2)  # later the same day: sent by the next sync, over TLS again
    code, out, err = cli(capsys, "clinic", "sync", "--data-dir", str(folder))
    assert code == 0 and "Caught up" in out, err
    assert server.events() == local_events(folder, clock) and waiting(folder) == 0
    assert "sslrootcert" in json.loads((folder / clinic_sync.CONFIG_FILE).read_text())["url"]


def test_a_server_signed_by_another_authority_is_refused_and_nothing_is_lost(server, tmp_path, clock, capsys):
    folder = tmp_path / "room_a"
    assert cli(capsys, "clinic", "join", server.url(), "--room", "Room A", "--data-dir", str(folder))[0] == 0
    server.serve("other authority")  # someone else's server answering at the clinic's address
    record_session(folder, clock, seed=3)
    before = server.events()
    code, out, err = cli(capsys, "clinic", "sync", "--data-dir", str(folder))
    assert code == 1 and "Caught up" not in out
    [line] = err.strip().splitlines()
    assert f"clinic server postgresql://room_a@{HOST}:" in line
    assert f"not signed by the certificate authority this computer trusts ({server.ca_file})" in line
    assert "Nothing was sent" in line and "every event" in line
    assert server.events() == before and waiting(folder) == len(local_events(folder, clock)) - len(before) > 0
    # A room that joins now is refused the same way, and has not joined.
    other = tmp_path / "room_b"
    code, out, err = cli(capsys, "clinic", "join", server.url("room_b"), "--room", "Room B", "--data-dir", str(other))
    assert code == 2 and "not signed by the certificate authority" in err and len(err.strip().splitlines()) == 1
    assert clinic_sync.status(other) == {"joined": False}
    # The clinic's own certificate back: everything recorded meanwhile arrives.
    server.serve("clinic")
    code, out, err = cli(capsys, "clinic", "sync", "--data-dir", str(folder))
    assert code == 0 and "Caught up" in out, err
    assert server.events() == local_events(folder, clock) and waiting(folder) == 0


def test_a_certificate_for_another_name_is_refused(server, tmp_path, clock, capsys):
    folder = tmp_path / "room_a"
    record_session(folder, clock, seed=4)
    server.serve("other name")  # signed by the clinic's CA, but for another computer
    code, out, err = cli(capsys, "clinic", "join", server.url(), "--room", "Room A", "--data-dir", str(folder))
    assert code == 2
    [line] = err.strip().splitlines()
    assert f"its certificate is for 'other.test', not for '{HOST}', the name in the address" in line
    assert "Nothing was sent" in line
    assert clinic_sync.status(folder) == {"joined": False} and server.events() == []


def test_an_expired_certificate_is_refused(server, tmp_path, capsys):
    server.serve("expired")  # the clinic's own certificate, left to expire
    folder = tmp_path / "room_a"
    code, out, err = cli(capsys, "clinic", "join", server.url(), "--room", "Room A", "--data-dir", str(folder))
    assert code == 2
    [line] = err.strip().splitlines()
    assert "or it has expired" in line and "Nothing was sent" in line
    assert clinic_sync.status(folder) == {"joined": False}


def test_libpq_words_for_a_certificate_with_several_names_are_read_too():
    params = connection_params(f"postgresql://room_a@{HOST}/kap")
    refused = translate(psycopg.OperationalError(
        'connection failed: connection to server at "10.0.0.5", port 5432 failed: server certificate for '
        '"db.clinic.lan" (and 2 other names) does not match host name "clinic.test"'), params)
    assert isinstance(refused, ClinicRefused)
    assert "its certificate is for 'db.clinic.lan', not for 'clinic.test'" in str(refused)
    assert "\n" not in str(refused)


def test_a_server_without_tls_is_refused_with_no_plaintext_fallback(server, tmp_path, clock, capsys):
    folder = tmp_path / "room_a"
    assert cli(capsys, "clinic", "join", server.url(), "--room", "Room A", "--data-dir", str(folder))[0] == 0
    record_session(folder, clock, seed=5)
    before, let_in = server.events(), server.authorized("room_a")
    server.cluster.set_ssl(False)
    try:
        code, out, err = cli(capsys, "clinic", "sync", "--data-dir", str(folder))
        assert code == 1
        [line] = err.strip().splitlines()
        assert "does not offer encrypted connections (TLS)" in line and "never in plain text" in line
        assert "Nothing was sent" in line
        # The room never logged in unencrypted: the server let no connection of it in.
        assert server.authorized("room_a") == let_in
        assert server.events() == before and waiting(folder) > 0
    finally:
        server.cluster.set_ssl(True)
    assert cli(capsys, "clinic", "sync", "--data-dir", str(folder))[0] == 0
    assert server.events() == local_events(folder, clock) and server.authorized("room_a") > let_in


def test_an_address_without_the_clinics_authority_says_how_to_give_it(server, tmp_path, clock, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.postgresql/root.crt to fall back on
    folder = tmp_path / "room_a"
    code, out, err = cli(capsys, "clinic", "join", server.url(ca=Path()), "--room", "Room A",
                         "--data-dir", str(folder))
    assert code == 2
    [line] = err.strip().splitlines()
    assert "no certificate authority to check its certificate with" in line and "sslrootcert=" in line
    assert clinic_sync.status(folder) == {"joined": False}
