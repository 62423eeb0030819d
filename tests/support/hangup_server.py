"""A one-connection stream server run as a process of its own (``python -m
tests.support.hangup_server``), for measuring how soon a client's hang-up reaches the server:
in the test's own process, its thread would wait for the interpreter lock (up to 5 ms) before
it could note the moment.

It prints its port, answers one request with a chunked SSE head and one event, holds the
stream open, and prints ``time.monotonic()`` (one clock for every process of the machine)
when the client hangs up, or "none" after ``HOLD`` seconds.
"""

from __future__ import annotations

import socket
import sys
import time

HOLD = 5.0
ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    b'10\r\ndata: {"n": 1}\n\n\r\n'
)


def main() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(HOLD)
    print(listener.getsockname()[1], flush=True)
    conn, _ = listener.accept()
    conn.settimeout(HOLD)
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(65536)
    conn.sendall(ANSWER)
    try:
        conn.recv(1)  # b"" (a FIN) or an error (a reset): either way, gone
        print(time.monotonic(), flush=True)
    except socket.timeout:
        print("none", flush=True)
    except OSError:
        print(time.monotonic(), flush=True)
    conn.close()
    listener.close()


if __name__ == "__main__":
    sys.exit(main())
