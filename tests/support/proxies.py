"""Real proxy servers for the tests: pproxy (from PyPI) run as its own process on loopback,
and an HTTPS test server whose certificate comes from a trustme CA."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import trustme
from pytest_httpserver import HTTPServer

START_TIMEOUT = 10.0  # seconds pproxy may take to listen


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


class Pproxy:
    """A pproxy process listening on 127.0.0.1 for one protocol, logging every connection
    it carries (``-v``) to a file the test can read."""

    def __init__(
        self,
        scheme: str,
        log: Path,
        credentials: Optional[str] = None,
        tls_file: Optional[Path] = None,
    ) -> None:
        """``tls_file``: a PEM of the proxy's key and certificate chain, for a proxy spoken
        to over TLS (``scheme`` "http+ssl": an https:// proxy)."""
        self.scheme = scheme
        self.port = free_port()
        self.credentials = credentials
        self.log = log
        auth = f"#{credentials}" if credentials else ""
        # --auth 0: check the credentials on every connection (pproxy trusts an address for
        # 30 days after one success otherwise).
        command = [sys.executable, "-m", "pproxy", "-l", f"{scheme}://127.0.0.1:{self.port}{auth}",
                   "-v", "--auth", "0"]  # fmt: skip
        if tls_file is not None:
            command += ["--ssl", str(tls_file)]
        self._log_file = log.open("w")
        self.process = subprocess.Popen(command, stdout=self._log_file, stderr=subprocess.STDOUT)
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pproxy exited: {self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"pproxy did not listen on {self.port} in {START_TIMEOUT} s")

    def url(self, userinfo: str = "") -> str:
        scheme = {"socks5": "socks5h"}.get(self.scheme, self.scheme)
        return f"{scheme}://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"

    def carried(self) -> str:
        """What pproxy logged: one line per connection it carried, or refused."""
        return self.log.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._log_file.close()


@contextmanager
def https_server(tmp: Path) -> Iterator[tuple[HTTPServer, Path]]:
    """A pytest-httpserver speaking TLS with a certificate for localhost and 127.0.0.1 from
    a fresh trustme CA; yields the server and the CA's PEM file for ``ca_bundle``."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    ca_file = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    try:
        yield server, ca_file
    finally:
        server.clear()
        if server.is_running():
            server.stop()
