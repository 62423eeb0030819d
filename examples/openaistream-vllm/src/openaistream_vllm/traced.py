"""The ``traced`` transport: every request leaves with an ``X-Trace-Id`` header, and one log
line says what it was, how it was answered and how long the headers took, so a call can be
followed from the application's logs to a proxy's or server's.

It wraps the transport the client would otherwise use (``options.network``: urllib3, or
SOCKS for a socks:// proxy), so proxies, timeouts and streaming are left as they are. It says
so when it registers (``wraps=True``, in the package's ``__init__``).
"""

from __future__ import annotations

import logging
import time
import uuid
from urllib.parse import urlsplit

import openaistream

logger = logging.getLogger(__name__)


class TracedTransport:
    def __init__(self, options: openaistream.TransportOptions) -> None:
        if options.network is None:
            raise ValueError("the traced transport wraps a network transport; none was given")
        self.inner = options.network()

    def send(self, request: openaistream.Request) -> openaistream.Response:
        trace_id = uuid.uuid4().hex
        request.headers["X-Trace-Id"] = trace_id
        started = time.monotonic()
        path = urlsplit(request.url).path
        try:
            response = self.inner.send(request)
        except openaistream.APIConnectionError as exc:
            logger.warning("%s %s failed: %s [trace %s]", request.method, path, exc, trace_id)
            raise
        elapsed = (time.monotonic() - started) * 1000
        logger.info(
            "%s %s -> %d in %.0f ms [trace %s]",
            request.method, path, response.status, elapsed, trace_id,
        )  # fmt: skip
        return response

    def close(self) -> None:
        self.inner.close()
