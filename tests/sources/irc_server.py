"""A real IRC server for the IRC source's tests: Debian's ngircd on 127.0.0.1, and a plain IRC client.

`Ngircd` writes a minimal ngircd.conf into the test's directory and runs `ngircd -n`
(no daemon) on a free port; `restart` kills it and starts it again on the same port.
`IrcClient` is a person in the channel: plain asyncio streams speaking IRC, keeping each
line as the raw bytes the server relayed (so the 512-byte limit is checked on the wire).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.sources.irc_protocol import Line, parse_line
from tests.servers import free_port
from tooling.processes import stop as stop_process

NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"
SERVER_NAME = "irc.test.local"


class Ngircd:
    """One ngircd process: `port` stays the same across `restart`."""

    def __init__(self, directory: Path, *, password: str = "", tls: bool = False) -> None:
        self.directory = directory
        self.port = free_port()
        self.password = password
        # With `tls`, a second port speaks TLS with a certificate for 127.0.0.1 (`ca_file` trusts it).
        self.tls_port = free_port() if tls else 0
        self.ca_file = directory / "irc-cert.pem"
        self.process: subprocess.Popen[bytes] | None = None
        # ngircd drops root for `nobody` after reading its config: the pid file's folder must be writable.
        run = directory / "run"
        run.mkdir(exist_ok=True)
        run.chmod(0o777)
        self.config = directory / "ngircd.conf"
        self.config.write_text("\n".join([
            "[Global]", f"Name = {SERVER_NAME}", "Info = Botless test server", "Listen = 127.0.0.1",
            f"Ports = {self.port}", f"PidFile = {run / 'ngircd.pid'}", "MotdPhrase = Botless tests",
            *([f"Password = {password}"] if password else []),
            "[Limits]", "PingTimeout = 120", "MaxNickLength = 30",
            "[Options]", "PAM = no", "DNS = no", "Ident = no",
            "[Channel]", "Name = #team",
            *(self._tls_section() if tls else []), "",
        ]))

    def _tls_section(self) -> list[str]:
        key_file = self.directory / "irc-key.pem"
        write_certificate(self.ca_file, key_file)
        return ["[SSL]", f"CertFile = {self.ca_file}", f"KeyFile = {key_file}", f"Ports = {self.tls_port}"]

    def start(self) -> Ngircd:
        log = (self.directory / "ngircd.log").open("ab")
        self.process = subprocess.Popen([NGIRCD, "-n", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 15
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"ngircd exited: {(self.directory / 'ngircd.log').read_text()[-2000:]}")
            if all(_listening(port) for port in (self.port, self.tls_port) if port):
                return self
            if time.monotonic() > deadline:
                raise RuntimeError("ngircd did not listen within 15 s")
            time.sleep(0.05)

    def kill(self) -> None:
        """Gone at once, as a crash: no ERROR line to the clients, the connections just drop."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process:
            stop_process(self.process)

    def restart(self) -> None:
        self.kill()
        self.start()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def write_certificate(cert_file: Path, key_file: Path) -> None:
    """A self-signed certificate for 127.0.0.1 (its own CA), valid for a day."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


@pytest.fixture
def ngircd(tmp_path: Path) -> Iterator[Ngircd]:
    if not os.access(NGIRCD, os.X_OK):
        pytest.skip("ngircd is not installed (apt-get install ngircd; .ci/services.sh does)")
    server = Ngircd(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


class IrcClient:
    """A person on the server: registers, joins, speaks, and reads PRIVMSGs as the server relays them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, nick: str) -> None:
        self.reader, self.writer, self.nick = reader, writer, nick

    @classmethod
    async def connect(cls, port: int, nick: str, *, password: str = "") -> IrcClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer, nick)
        if password:
            client.send(f"PASS {password}")
        client.send(f"NICK {nick}")
        client.send(f"USER {nick} 0 * :test client")
        await client.wait_for("001")
        return client

    def send(self, line: str) -> None:
        self.writer.write(line.encode() + b"\r\n")

    async def join(self, channel: str) -> None:
        self.send(f"JOIN {channel}")
        await self.wait_for("366")  # end of NAMES: joined

    def say(self, target: str, text: str) -> None:
        self.send(f"PRIVMSG {target} :{text}")

    async def next_line(self, timeout: float = 20.0) -> tuple[bytes, Line]:
        """The next line (raw bytes as relayed, and parsed); PINGs answered."""
        while True:
            raw = await asyncio.wait_for(self.reader.readline(), timeout)
            if not raw:
                raise ConnectionError("the server closed the client's connection")
            line = parse_line(raw.decode("utf-8"))
            if line.command == "PING":
                self.send(f"PONG :{line.param(0)}")
                continue
            return raw, line

    async def wait_for(self, command: str, timeout: float = 20.0) -> Line:
        while True:
            _, line = await self.next_line(timeout)
            if line.command == command:
                return line

    async def wait_joined(self, nick: str, channel: str, timeout: float = 30.0) -> None:
        """Until `nick` joins `channel` (the bot, after it connected or reconnected)."""
        while True:
            _, line = await self.next_line(timeout)
            if line.command == "JOIN" and line.nick == nick and line.param(0) == channel:
                return

    async def messages_from(self, nick: str, until: str, timeout: float = 30.0) -> list[tuple[bytes, Line]]:
        """The PRIVMSGs from `nick` up to and including the first whose text holds `until`."""
        received = []
        while True:
            raw, line = await self.next_line(timeout)
            if line.command == "PRIVMSG" and line.nick == nick:
                received.append((raw, line))
                if until in line.param(1):
                    return received

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
