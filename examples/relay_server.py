"""Relay a streamed chat answer to the browser as server-sent events, from a Starlette app.

One AsyncOpenAI serves the whole app: made when the app starts (its lifespan), closed when it
stops. Each request opens one upstream stream and relays its text as it arrives. When the
browser goes away, the server cancels the task relaying to it, and the cancellation closes
the upstream stream at once: no tokens are paid for that nobody reads.

Runs offline: the client replays ``cassettes/chat_joke.json``, a real answer recorded once,
which answers the page's question once (restart the server to ask again). To ask the real
API instead, set OPENAI_API_KEY and run it with ``--live``.

    pip install 'openaistream[async]' starlette uvicorn
    python examples/relay_server.py [--live] [--port 8000]    # then open http://127.0.0.1:8000/
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Optional, Union

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import openaistream

CASSETTE = Path(__file__).parent / "cassettes" / "chat_joke.json"
MODEL = "gpt-3.5-turbo"
QUESTION = "Tell me a joke about opentelemetry"

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>openaistream relay</title>
<pre id="answer"></pre>
<script>
  const answer = document.getElementById("answer");
  const events = new EventSource("/chat?prompt=" + encodeURIComponent(QUESTION));
  events.onmessage = (event) => { answer.textContent += JSON.parse(event.data); };
  events.addEventListener("done", () => events.close());
  events.addEventListener("failed", (event) => {
    answer.textContent += "\\n[" + JSON.parse(event.data) + "]";
    events.close();
  });
</script>
""".replace("QUESTION", json.dumps(QUESTION))


def create_app(cassette: Optional[Union[str, Path]] = CASSETTE) -> Starlette:
    """The app; ``cassette=None`` asks the API (OPENAI_API_KEY, OPENAI_BASE_URL)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # keep=False: every event is forwarded as it comes; none is held for `received`.
        async with openaistream.AsyncOpenAI(cassette=cassette, keep=False) as client:
            app.state.client = client
            yield  # the app serves; on shutdown the client closes its connections

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def chat(request: Request) -> Response:
        client: openaistream.AsyncOpenAI = request.app.state.client
        messages = [{"role": "user", "content": request.query_params.get("prompt", QUESTION)}]
        try:
            stream = await client.chat.create(messages, MODEL, stream=True)
        except openaistream.OpenAIError as exc:  # before any byte of the answer: a plain error
            return JSONResponse({"error": str(exc)}, status_code=502)
        return StreamingResponse(
            relay(stream), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    return Starlette(routes=[Route("/", page), Route("/chat", chat)], lifespan=lifespan)


async def relay(stream: openaistream.AsyncDataStream[Any]) -> AsyncIterator[str]:
    """The answer's text as server-sent events (each piece JSON-encoded, so a line break in
    the text cannot end an event), then a ``done`` event.

    The server runs this in a task it cancels when the browser disconnects (Starlette's
    StreamingResponse under uvicorn does). The cancellation reaches the ``async for`` while
    it waits for the API: the stream closes its connection there and then, and ``async with``
    makes sure of it wherever the cancellation lands.
    """
    pieces = 0
    try:
        async with stream:
            async for chunk in stream:
                for choice in chunk["choices"]:
                    text = choice["delta"].get("content")
                    if text:
                        pieces += 1
                        yield f"data: {json.dumps(text)}\n\n"
        yield "event: done\ndata: {}\n\n"
    except openaistream.APIError as exc:  # the stream broke midway: say so, and end
        yield f"event: failed\ndata: {json.dumps(str(exc))}\n\n"
    finally:
        state = stream.get_state()  # "complete", or "closed" when the browser left early
        print(
            f"relay ended: upstream stream {state}; text pieces relayed: {pieces}", file=sys.stderr
        )


if __name__ == "__main__":
    import uvicorn

    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 8000
    app = create_app(cassette=None if "--live" in sys.argv else CASSETTE)
    print(f"relaying on http://127.0.0.1:{port}/", file=sys.stderr, flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
