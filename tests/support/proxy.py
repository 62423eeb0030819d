"""A small forwarding HTTP proxy on loopback for plain-http targets, with optional Basic
credentials. It records what it carried, so a test can show the traffic went through it."""

from __future__ import annotations

import base64
import socket
from typing import Optional
from urllib.parse import urlsplit

from tests.support.servers import TIMEOUT, Conn, RawServer


class ForwardProxy:
    def __init__(self, credentials: Optional[str] = None) -> None:
        self.credentials = credentials
        self.carried: list[str] = []  # absolute URLs forwarded
        self.refused = 0
        self.server = RawServer(self._handle)

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.server.url)
        return parts.hostname or "127.0.0.1", parts.port or 0

    def url(self, userinfo: str = "") -> str:
        host, port = self.address
        return f"http://{userinfo + '@' if userinfo else ''}{host}:{port}"

    def _handle(self, conn: Conn) -> None:
        request = conn.read_request()
        if request is None:
            return
        if self.credentials is not None:
            expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
            if request.headers.get("proxy-authorization") != expected:
                self.refused += 1
                conn.send(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                    b"Connection: close\r\n\r\n"
                )
                return
        target = urlsplit(request.target)
        self.carried.append(request.target)
        headers = {
            name: value
            for name, value in request.headers.items()
            if not name.startswith("proxy-") and name != "connection"
        }
        headers["connection"] = "close"
        path = target.path + (f"?{target.query}" if target.query else "")
        lines = [f"{request.method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
        with socket.create_connection((target.hostname, target.port or 80), timeout=TIMEOUT) as up:
            up.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body)
            while True:
                data = up.recv(65536)
                if not data:
                    break
                conn.send(data)

    def close(self) -> None:
        self.server.close()

    def __enter__(self) -> ForwardProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
