"""The record/replay transport: record real traffic once into a cassette, replay it offline
forever, byte for byte, stream chunk boundaries included.

Modes (``record_mode``):

- ``replay`` (the default): never touches the network; a request with no recording is a
  :class:`ReplayError` naming the closest recording and how the request differs from it.
- ``record``: always the network; the cassette is rewritten with what this run sent.
- ``once``: record if the cassette does not exist yet, else replay.
- ``new``: replay what matches, record (and add) what does not.

A cassette is one JSON file, diff-friendly, with a format version, written atomically after
every recorded interaction. It keeps the request (method, path, query, a few headers, the
JSON body as JSON) and the response (status, headers, the body as the exact chunks that
arrived, text where it is text, base64 where not, each with its time offset), and how the
stream ended: complete, cut (replayed as the same error), or closed early by the caller.
It never keeps Authorization, api-key, organization or project headers, cookies (``Cookie``
and ``Set-Cookie``), a key or token in the query (Azure's ``api-key``) or proxy credentials,
and a cassette that would still contain the API key, a query token or a cookie the request
sent is refused.
"""

from __future__ import annotations

import base64
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qs, urlsplit

import openaistream
from openaistream import (
    APIConnectionError,
    APITimeoutError,
    ReplayError,
    Request,
    Response,
    Transport,
    TransportOptions,
)
from openaistream.http import Network
from openaistream.redact import SECRET_PARAMS

__all__ = ["MODES", "Cassette", "ReplayTransport"]

FORMAT = "openaistream-cassette"
VERSION = 1
# The record modes, this transport's own vocabulary: the core passes record_mode on as given.
MODES = ("replay", "record", "once", "new")
FIELDS = ("method", "path", "query", "body")
# Request headers worth keeping: what shapes the answer, nothing that identifies the caller.
KEPT_REQUEST_HEADERS = ("accept", "content-type", "openai-beta")
# Response headers never written: they identify the account or carry secrets, or describe
# the framing on the wire (the chunks kept are the body as the transport handed it on).
DROPPED_RESPONSE_HEADERS = frozenset(
    {"set-cookie", "openai-organization", "openai-project", "authorization", "api-key",
     "x-api-key", "proxy-authorization", "cookie", "set-cookie2", "content-encoding",
     "content-length", "transfer-encoding", "connection", "keep-alive"}
)  # fmt: skip
# A cookie value this short cannot be told from ordinary text, nor be much of a secret.
SHORTEST_COOKIE_SECRET = 8
_ERRORS = {"APIConnectionError": APIConnectionError, "APITimeoutError": APITimeoutError}

Interaction = dict[str, Any]
Matcher = Callable[[Interaction, Interaction], bool]
Redactor = Callable[[Interaction], Interaction]


class Cassette:
    """The interactions of one cassette file, read and written whole."""

    def __init__(self, path: Union[str, os.PathLike[str]], *, load: bool = True) -> None:
        self.path = Path(path)
        self.interactions: list[Interaction] = []
        self.existed = self.path.exists()
        if self.existed and load:
            self.interactions = self._read()

    def _read(self) -> list[Interaction]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReplayError(f"cannot read the cassette {self.path}: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ReplayError(f"{self.path} is not an openaistream cassette")
        if document.get("version") != VERSION:
            raise ReplayError(
                f"{self.path} is a version {document.get('version')} cassette; this "
                f"openaistream reads version {VERSION}: record it again"
            )
        interactions: Any = document.get("interactions")
        problem = _interactions_problem(interactions)
        if problem:
            raise ReplayError(f"{self.path} is not a valid cassette: {problem}")
        return list(interactions)

    def check_writable(self) -> None:
        """Fail now if the cassette could not be written later: a recording is saved after
        its call, and a paid call whose answer cannot be kept is lost."""
        if self.path.is_dir():
            raise ReplayError(f"cannot record into {self.path}: it is a directory")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            raise ReplayError(f"cannot record into {self.path}: {exc}") from exc

    def save(self, secrets: Sequence[str]) -> None:
        """Write the cassette atomically: a crash mid-write leaves the old file whole."""
        text = json.dumps(
            {"format": FORMAT, "version": VERSION, "interactions": self.interactions},
            indent=2,
            ensure_ascii=False,
        )
        _refuse_secrets(self.path, text, self.interactions, secrets)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class ReplayTransport:
    """Replays a cassette, or records through the network transport into it.

    ``match_on`` picks the request fields compared (method, path, query, body: a JSON body is
    compared as parsed JSON, so key order does not matter); ``matcher(request, recorded)``
    adds a check of your own. ``timing=True`` replays the recorded gaps between chunks;
    ``resplit`` (True, or an int seed) cuts the replayed body into random chunk sizes, to
    shake out parsing that depends on where chunks end. ``redact(interaction)`` returns the
    interaction as it may be written, for fields of your own to scrub.
    """

    def __init__(
        self,
        cassette: Union[str, os.PathLike[str]],
        record_mode: str = "replay",
        *,
        network: Optional[Callable[[], Transport]] = None,
        match_on: Sequence[str] = FIELDS,
        matcher: Optional[Matcher] = None,
        timing: bool = False,
        resplit: Union[bool, int] = False,
        redact: Optional[Redactor] = None,
        proxy: Optional[str] = None,
    ) -> None:
        if record_mode not in MODES:
            raise ValueError(f"record_mode must be one of {', '.join(MODES)}, not {record_mode!r}")
        unknown = [field for field in match_on if field not in FIELDS]
        if unknown:
            raise ValueError(f"match_on: unknown fields {unknown}; fields: {', '.join(FIELDS)}")
        # "record" rewrites the cassette: what it held is neither read nor kept.
        self.cassette = Cassette(cassette, load=record_mode != "record")
        if record_mode == "replay" and not self.cassette.existed:
            raise ReplayError(
                f"the cassette {self.cassette.path} does not exist: record it first "
                "(record_mode='once' or 'record')"
            )
        self.record_mode = record_mode
        self.recording = record_mode == "record" or (
            record_mode == "once" and not self.cassette.existed
        )
        if self.recording or record_mode == "new":
            if isinstance(network, Network):
                network.check_key()  # what it records would be refused: fail before sending
            self.cassette.check_writable()
        self.match_on = tuple(match_on)
        self.matcher = matcher
        self.timing = timing
        self.resplit = resplit
        self.redact = redact
        self._network_factory = network
        self._network: Optional[Transport] = None
        self._played: set[int] = set()
        self._secrets: set[str] = set(filter(None, [urlsplit(proxy or "").password]))
        self._open: list[Response] = []
        self._lock = threading.Lock()

    @classmethod
    def from_options(cls, options: TransportOptions) -> ReplayTransport:
        """The transport as the core builds it: ``OpenAI(transport="replay", cassette=...,
        record_mode=...)``."""
        if not options.cassette:
            raise ValueError("the replay transport needs a cassette: OpenAI(cassette='path')")
        return cls(
            options.cassette,
            options.record_mode or "replay",
            network=options.network,
            proxy=options.proxy,
        )

    # -- sending -------------------------------------------------------------------------

    def send(self, request: Request) -> Response:
        self._note_secrets(request)
        recorded = described(request)
        if not self.recording:
            with self._lock:
                found = self._find(recorded)
            if found is not None:
                _consume(request.body)
                return self._track(self._replayed(self.cassette.interactions[found]))
            if self.record_mode != "new":
                raise self._no_match(recorded)
        return self._track(self._recorded(request, recorded))

    def _find(self, recorded: Interaction) -> Optional[int]:
        for index, interaction in enumerate(self.cassette.interactions):
            if index not in self._played and self._matches(recorded, interaction["request"]):
                self._played.add(index)
                return index
        return None

    def _matches(self, request: Interaction, candidate: Interaction) -> bool:
        if any(request.get(field) != candidate.get(field) for field in self.match_on):
            return False
        return self.matcher is None or bool(self.matcher(request, candidate))

    def _no_match(self, request: Interaction) -> ReplayError:
        title = f"{request['method']} {request['path']}"
        if not self.cassette.interactions:
            return ReplayError(f"no recording matches {title}: {self.cassette.path} is empty")
        ranked = sorted(
            enumerate(self.cassette.interactions),
            key=lambda pair: len(differences(request, pair[1]["request"], self.match_on)),
        )
        index, closest = ranked[0]
        changes = differences(request, closest["request"], self.match_on)
        played = " (already played)" if index in self._played and not changes else ""
        shown = "\n".join(f"  {change}" for change in changes) or "  (it was already played)"
        return ReplayError(
            f"no recording in {self.cassette.path} matches {title}; the closest is "
            f"#{index} ({closest['request']['method']} {closest['request']['path']}){played}, "
            f"which differs in:\n{shown}",
            closest=closest["request"],
            differences=changes,
        )

    # -- replaying -----------------------------------------------------------------------

    def _replayed(self, interaction: Interaction) -> Response:
        response = interaction["response"]
        chunks = [_chunk_bytes(chunk) for chunk in response.get("chunks", [])]
        times = [float(chunk.get("t", 0.0)) for chunk in response.get("chunks", [])]
        if self.resplit is not False:
            chunks, times = _resplit(chunks, self.resplit), []
        return Response(
            response["status"],
            response.get("headers", {}),
            _replay_body(chunks, times if self.timing else [], response.get("end", "complete")),
            info={"replay": str(self.cassette.path)},
        )

    # -- recording -----------------------------------------------------------------------

    def _recorded(self, request: Request, described_request: Interaction) -> Response:
        if self._network is None:
            if self._network_factory is None:
                raise ReplayError(
                    "recording needs the network transport: build the replay transport "
                    "through OpenAI(transport='replay', ...) or pass network="
                )
            self._network = self._network_factory()
        started = time.monotonic()
        live = self._network.send(request)
        response: Interaction = {
            "status": live.status,
            "headers": {
                name: value
                for name, value in live.headers.items()
                if name not in DROPPED_RESPONSE_HEADERS
            },
            "chunks": [],
            "end": "closed before the end",
        }
        interaction = {"request": described_request, "response": response}
        finished = threading.Event()

        def finish() -> None:
            if not finished.is_set():
                finished.set()
                live.close()
                self._store(interaction)

        return Response(
            live.status,
            live.headers,
            _recording_body(live, response, started, finish),
            close=finish,
            info=live.info,
            quick_reads=live.quick_reads,
        )

    def _store(self, interaction: Interaction) -> None:
        written = self.redact(interaction) if self.redact else interaction
        with self._lock:
            self.cassette.interactions.append(written)
            self._played.add(len(self.cassette.interactions) - 1)
            self.cassette.save(sorted(self._secrets))

    def _note_secrets(self, request: Request) -> None:
        """What this request carries that no cassette may hold, wherever it would show:
        keys and tokens in headers or in the query, and cookie values."""
        for name, value in request.headers.items():
            if name.lower() == "authorization":
                self._secrets.add(value.rpartition(" ")[2])
            elif name.lower() in ("api-key", "x-api-key"):
                self._secrets.add(value)
            elif name.lower() == "cookie":
                self._secrets.update(_cookie_values(value))
        for name, values in parse_qs(urlsplit(request.url).query).items():
            if name.lower() in SECRET_PARAMS:
                self._secrets.update(values)

    def _track(self, response: Response) -> Response:
        with self._lock:
            self._open = [kept for kept in self._open if not kept.closed]
            self._open.append(response)
        return response

    def close(self) -> None:
        """Close every response still open (a stream a test left unread is recorded as
        closed early), then the network transport."""
        with self._lock:
            still_open, self._open = self._open, []
        for response in still_open:
            response.close()
        if self._network is not None:
            self._network.close()


# -- what a cassette must hold --------------------------------------------------------------
# Checked when it is read, so a hand-edited or truncated cassette is one clear error naming
# the file and the fault, not a KeyError in the middle of a test.


def _interactions_problem(interactions: Any) -> Optional[str]:
    if not isinstance(interactions, list):
        return f"'interactions' is {_kind(interactions)}, not a list"
    for index, interaction in enumerate(interactions):
        problem = _interaction_problem(interaction)
        if problem:
            return f"interaction #{index}: {problem}"
    return None


def _interaction_problem(interaction: Any) -> Optional[str]:
    if not isinstance(interaction, dict):
        return f"it is {_kind(interaction)}, not an object"
    for part in ("request", "response"):
        if not isinstance(interaction.get(part), dict):
            return f"'{part}' is {_kind(interaction.get(part))}, not an object"
    return _request_problem(interaction["request"]) or _response_problem(interaction["response"])


def _request_problem(request: dict[str, Any]) -> Optional[str]:
    for field in ("method", "path"):
        if not isinstance(request.get(field), str):
            return f"the request's '{field}' is {_kind(request.get(field))}, not a string"
    for field in ("query", "headers"):
        if not isinstance(request.get(field, {}), dict):
            return f"the request's '{field}' is {_kind(request[field])}, not an object"
    return None


def _response_problem(response: dict[str, Any]) -> Optional[str]:
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return f"the response's 'status' is {_kind(status)}, not an HTTP status (100-599)"
    headers = response.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        return "the response's 'headers' is not an object of strings"
    chunks = response.get("chunks", [])
    if not isinstance(chunks, list):
        return f"the response's 'chunks' is {_kind(chunks)}, not a list"
    for index, chunk in enumerate(chunks):
        problem = _chunk_problem(chunk)
        if problem:
            return f"the response's chunk #{index} {problem}"
    if not isinstance(response.get("end", "complete"), (str, dict)):
        return f"the response's 'end' is {_kind(response['end'])}, not a string or an object"
    return None


def _chunk_problem(chunk: Any) -> Optional[str]:
    if not isinstance(chunk, dict):
        return f"is {_kind(chunk)}, not an object"
    time_offset = chunk.get("t", 0.0)
    if not isinstance(time_offset, (int, float)) or isinstance(time_offset, bool):
        return f"has a time 't' that is {_kind(time_offset)}, not a number"
    if "base64" in chunk:
        try:
            base64.b64decode(chunk["base64"], validate=True)
        except (TypeError, ValueError):
            return "has a 'base64' that is not base64"
    elif not isinstance(chunk.get("text"), str):
        return "has neither a 'text' string nor 'base64'"
    return None


def _kind(value: Any) -> str:
    """A JSON value's kind, as a message names it."""
    if value is None:
        return "missing or null"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {_shown(value)}"
    return "a list" if isinstance(value, list) else "an object"


def _consume(body: Any) -> None:
    """Read a streamed request body to its end, as sending it would: a replayed upload
    reports its progress and meets the errors of reading its file as a live one does."""
    if body is not None and not isinstance(body, (bytes, bytearray)):
        for _ in body:
            pass


def described(request: Request) -> Interaction:
    """The request as a cassette keeps it, and as matching compares it."""
    parts = urlsplit(request.url)
    headers = {name.lower(): value for name, value in request.headers.items()}
    kept = {name: headers[name] for name in KEPT_REQUEST_HEADERS if name in headers}
    if "content-type" in kept:
        kept["content-type"] = kept["content-type"].split(";")[0]  # no multipart boundary
    description: Interaction = {
        "method": request.method,
        "path": parts.path,
        "query": {
            name: values
            for name, values in parse_qs(parts.query, keep_blank_values=True).items()
            # Credentials are never written, nor matched on: a new key replays the cassette.
            if name.lower() not in SECRET_PARAMS
        },
        "headers": kept,
        "body": None,
    }
    body = request.body
    if isinstance(body, (bytes, bytearray)):
        description["body"] = _body_value(bytes(body), headers.get("content-type", ""))
    elif body is not None:
        length = headers.get("content-length", "unknown")
        description["body_note"] = f"{kept.get('content-type', 'streamed')} body, {length} bytes"
    return description


def _cookie_values(header: str) -> list[str]:
    """The values of a ``Cookie`` header's ``name=value`` pairs long enough to be secrets."""
    pairs = (pair.partition("=")[2].strip() for pair in header.split(";"))
    return [value for value in pairs if len(value) >= SHORTEST_COOKIE_SECRET]


def _body_value(body: bytes, content_type: str) -> Any:
    if "json" in content_type:
        try:
            return json.loads(body.decode())
        except ValueError:
            pass
    try:
        return {"text": body.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode()}


def differences(request: Any, recorded: Any, fields: Sequence[str] = FIELDS) -> list[str]:
    """How a request differs from a recorded one, field by field, as readable lines."""
    found: list[str] = []
    for field in fields:
        _diff(field, request.get(field), recorded.get(field), found)
    return found


def _diff(where: str, mine: Any, theirs: Any, found: list[str]) -> None:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in sorted(set(mine) | set(theirs), key=str):
            if key not in theirs:
                found.append(f"{where}.{key}: {_shown(mine[key])} (not in the recording)")
            elif key not in mine:
                found.append(f"{where}.{key}: missing (recorded {_shown(theirs[key])})")
            else:
                _diff(f"{where}.{key}", mine[key], theirs[key], found)
    elif isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        for index, (a, b) in enumerate(zip(mine, theirs)):
            _diff(f"{where}[{index}]", a, b, found)
    elif mine != theirs:
        found.append(f"{where}: {_shown(mine)} (recorded {_shown(theirs)})")


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _recording_body(
    live: Response, response: Interaction, started: float, finish: Callable[[], None]
) -> Iterator[bytes]:
    chunks = response["chunks"]
    try:
        for chunk in live:
            chunks.append({"t": round(time.monotonic() - started, 4), **_chunk_value(chunk)})
            yield chunk
    except (APIConnectionError, APITimeoutError) as exc:
        response["end"] = {"error": type(exc).__name__, "message": exc.message}
        raise
    else:
        response["end"] = "complete"
    finally:
        finish()


def _replay_body(chunks: list[bytes], times: list[float], end: Any) -> Iterator[bytes]:
    started = time.monotonic()
    for index, chunk in enumerate(chunks):
        if times:
            delay = times[index] - (time.monotonic() - started)
            if delay > 0:
                time.sleep(delay)
        yield chunk
    if isinstance(end, dict):
        raise _ERRORS.get(end.get("error", ""), APIConnectionError)(str(end.get("message")))
    if end != "complete":
        raise APIConnectionError(
            "the recording ends here: the stream was closed before its end when it was recorded"
        )


def _chunk_value(chunk: bytes) -> dict[str, str]:
    try:
        return {"text": chunk.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(chunk).decode()}


def _chunk_bytes(chunk: Mapping[str, Any]) -> bytes:
    if "base64" in chunk:
        return base64.b64decode(chunk["base64"])
    return str(chunk.get("text", "")).encode()


def _resplit(chunks: list[bytes], seed: Union[bool, int]) -> list[bytes]:
    body = b"".join(chunks)
    rng = random.Random(None if seed is True else int(seed))
    pieces, start = [], 0
    while start < len(body):
        size = rng.randint(1, max(1, min(len(body) - start, 512)))
        pieces.append(body[start : start + size])
        start += size
    return pieces


def _refuse_secrets(
    path: Path, text: str, interactions: list[Interaction], secrets: Sequence[str]
) -> None:
    """Refuse to write a cassette in which a secret still shows, in its text or in the bytes
    of a base64 chunk."""
    binary = b"".join(
        base64.b64decode(chunk["base64"])
        for interaction in interactions
        for chunk in interaction["response"].get("chunks", [])
        if "base64" in chunk
    )
    for secret in secrets:
        if secret and (secret in text or secret.encode() in binary):
            raise ReplayError(
                f"refusing to write {path}: it would contain the API key, a token, a cookie "
                "or a proxy password; scrub it with redact="
            )


@openaistream.hookimpl
def register_transports(register: Any) -> None:
    # It plays cassettes (a client given one picks it), and records through the network
    # transport, which takes the proxy: it is never picked to reach one itself.
    register("replay", ReplayTransport.from_options, serves="sync", cassettes=True, wraps=True)
