"""The record/replay transport: record real traffic once into a cassette, replay it offline
forever, byte for byte, stream chunk boundaries included.

Modes (`record_mode`):

- `replay` (the default): never touches the network; a request with no recording is a
  [`ReplayError`][openaistream.errors.ReplayError] naming the closest recording and how the request
  differs from it.
- `record`: always the network; the cassette is rewritten with what this run sent.
- `once`: record if the cassette does not exist yet, else replay.
- `new`: replay what matches, record (and add) what does not.

A cassette is one JSON file, diff-friendly, with a format version, written atomically after
every recorded interaction. It keeps the request (method, path, query, a few headers, the
JSON body as JSON) and the response (status, headers, the body as the exact chunks that
arrived, text where it is text, base64 where not, each with its time offset), and how the
stream ended: complete, cut (replayed as the same error), or closed early by the caller.
It never keeps Authorization, api-key, organization or project headers, cookies (`Cookie`
and `Set-Cookie`), a key or token in the query (Azure's `api-key`) or proxy credentials,
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
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, Protocol, TypeVar, Union
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

if TYPE_CHECKING:
    from openaistream.http import AsyncTransport

__all__ = ["MODES", "Cassette", "Playback", "Player", "Recording", "ReplayTransport"]

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
# The network transport a recording goes through: a sync one, or an async one.
NetworkT = TypeVar("NetworkT")


class _Closable(Protocol):
    closed: bool


OpenT = TypeVar("OpenT", bound=_Closable)
PlayerT = TypeVar("PlayerT", bound="Player[Any]")


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


class Player(Generic[NetworkT]):
    """What the sync and the async replay transports share, none of it I/O: the checks of
    their arguments and of the cassette, matching and the error when nothing matches, what a
    replay plays (`Playback`) and what a recording keeps (`Recording`), the
    secrets a cassette must not hold and its writing. Each transport adds only the moving of
    bytes, blocking (`ReplayTransport`) or awaited (`AsyncReplayTransport`).

    `match_on` picks the request fields compared (method, path, query, body: a JSON body is
    compared as parsed JSON, so key order does not matter); `matcher(request, recorded)`
    adds a check of your own. `timing=True` replays the recorded gaps between chunks;
    `resplit` (True, or an int seed) cuts the replayed body into random chunk sizes, to
    shake out parsing that depends on where chunks end. `redact(interaction)` returns the
    interaction as it may be written, for fields of your own to scrub.
    """

    def __init__(
        self,
        cassette: Union[str, os.PathLike[str]],
        record_mode: str = "replay",
        *,
        network: Optional[Callable[[], NetworkT]] = None,
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
        self._network: Optional[NetworkT] = None
        self._played: set[int] = set()
        self._secrets: set[str] = set(filter(None, [urlsplit(proxy or "").password]))
        self._open: list[Any] = []
        self._lock = threading.Lock()

    @classmethod
    def from_options(cls: type[PlayerT], options: TransportOptions) -> PlayerT:
        """The transport as the core builds it: `OpenAI(transport="replay", cassette=...,
        record_mode=...)`, and the same for the async client, whose `network` builds the
        async network transport."""
        if not options.cassette:
            raise ValueError(
                "the replay transport needs a cassette: give the client cassette='path'"
            )
        return cls(
            options.cassette,
            options.record_mode or "replay",
            network=options.network,
            proxy=options.proxy,
        )

    # -- choosing what to play -----------------------------------------------------------

    def chosen(self, request: Request) -> tuple[Interaction, Optional[Interaction]]:
        """The request as a cassette describes it, and the recording to replay for it, or None when
        it is to be recorded; a [`ReplayError`][openaistream.errors.ReplayError] when it can be
        neither."""
        self._note_secrets(request)
        recorded = described(request)
        if not self.recording:
            with self._lock:
                found = self._find(recorded)
            if found is not None:
                return recorded, self.cassette.interactions[found]
            if self.record_mode != "new":
                raise self._no_match(recorded)
        return recorded, None

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

    def playback(self, interaction: Interaction, deadline: Optional[float] = None) -> Playback:
        """The recorded response as this transport replays it (timing, resplit). With
        `timing`, the call's `deadline` ends a recorded gap that would pass it, as it
        ends a live read."""
        response = interaction["response"]
        chunks = [_chunk_bytes(chunk) for chunk in response.get("chunks", [])]
        times = [float(chunk.get("t", 0.0)) for chunk in response.get("chunks", [])]
        if self.resplit is not False:
            chunks, times = _resplit(chunks, self.resplit), []
        return Playback(
            response["status"],
            response.get("headers", {}),
            chunks,
            times if self.timing else [],
            response.get("end", "complete"),
            {"replay": str(self.cassette.path)},
            deadline if self.timing else None,
        )

    # -- recording -----------------------------------------------------------------------

    def network_transport(self) -> NetworkT:
        """The network transport recordings go through, built on first use."""
        if self._network is None:
            if self._network_factory is None:
                raise ReplayError(
                    "recording needs the network transport: build the replay transport "
                    "through the client (transport='replay', cassette=...) or pass network="
                )
            self._network = self._network_factory()
        return self._network

    def store(self, recording: Recording) -> None:
        """Add a finished recording to the cassette and write it."""
        interaction = recording.interaction
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

    # -- responses left open -------------------------------------------------------------

    def track(self, response: OpenT) -> OpenT:
        """Keep a response handed out, to close it with the transport if it is left open."""
        with self._lock:
            self._open = [kept for kept in self._open if not kept.closed]
            self._open.append(response)
        return response

    def left_open(self) -> list[Any]:
        """The responses handed out and still open, forgotten here: the caller closes them."""
        with self._lock:
            still_open, self._open = self._open, []
        return [response for response in still_open if not response.closed]


class Playback:
    """One recorded response as it is replayed, moving no bytes itself: its status and
    headers, its chunks in turn, how long to wait before each (with timing), and at the
    end the recorded end: nothing for a complete body, else the error it was cut by."""

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        chunks: list[bytes],
        times: list[float],
        end: Any,
        info: dict[str, Any],
        deadline: Optional[float] = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.info = info
        self._chunks = chunks
        self._times = times
        self._end = end
        self._deadline = deadline
        self._next = 0
        self._started: Optional[float] = None

    def wait(self) -> float:
        """Seconds until the next chunk is due: its recorded offset from the first read,
        with `timing`; 0 without."""
        if self._started is None:
            self._started = time.monotonic()
        if self._next >= len(self._times):
            return 0.0
        now = time.monotonic()
        due = self._started + self._times[self._next]
        return max(min(due, self._deadline or due) - now, 0.0)

    def next_chunk(self) -> Optional[bytes]:
        """The next chunk; None once the body has ended; the error it ended with when it was
        recorded cut or closed early (raised once: the body has ended then)."""
        if self._overdue():  # the body ends here, as a live one's read would
            self._chunks, self._end = self._chunks[: self._next], "complete"
            raise APITimeoutError("the call went on past its deadline")
        if self._next < len(self._chunks):
            self._next += 1
            return self._chunks[self._next - 1]
        end, self._end = self._end, "complete"
        if isinstance(end, dict):
            raise _ERRORS.get(end.get("error", ""), APIConnectionError)(str(end.get("message")))
        if end != "complete":
            raise APIConnectionError(
                "the recording ends here: the stream was closed before its end when it was recorded"
            )
        return None

    def _overdue(self) -> bool:
        """Whether the next chunk was recorded as due after the call's deadline."""
        if self._deadline is None or self._started is None or self._next >= len(self._times):
            return False
        return self._started + self._times[self._next] > self._deadline


class Recording:
    """One response as it is recorded, moving no bytes itself: made before the request is
    sent (the chunks' time offsets count from there), told the status and headers, then each
    chunk as it passes and how the body ended. `finishing()` is true once: for the close
    that stores it."""

    def __init__(self, described_request: Interaction) -> None:
        self.started = time.monotonic()
        self.response: Interaction = {}
        self.interaction = {"request": described_request, "response": self.response}
        self._finished = False
        self._lock = threading.Lock()

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        kept = {
            name: value for name, value in headers.items() if name not in DROPPED_RESPONSE_HEADERS
        }
        self.response.update(status=status, headers=kept, chunks=[], end="closed before the end")

    def passed(self, chunk: bytes) -> None:
        offset = round(time.monotonic() - self.started, 4)
        self.response["chunks"].append({"t": offset, **_chunk_value(chunk)})

    def completed(self) -> None:
        self.response["end"] = "complete"

    def cut(self, error: Union[APIConnectionError, APITimeoutError]) -> None:
        self.response["end"] = {"error": type(error).__name__, "message": error.message}

    def finishing(self) -> bool:
        with self._lock:
            first, self._finished = not self._finished, True
        return first


class ReplayTransport(Player[Transport]):
    """Replays a cassette, or records through the network transport into it, for the sync
    client. The arguments are `Player`'s."""

    def send(self, request: Request) -> Response:
        recorded, interaction = self.chosen(request)
        if interaction is not None:
            _consume(request.body)
            return self.track(_replayed(self.playback(interaction, request.deadline)))
        return self.track(self._recorded(request, Recording(recorded)))

    def _recorded(self, request: Request, recording: Recording) -> Response:
        live = self.network_transport().send(request)
        recording.answered(live.status, live.headers)

        def finish() -> None:
            if recording.finishing():
                live.close()
                self.store(recording)

        return Response(
            live.status,
            live.headers,
            _recording_body(live, recording, finish),
            close=finish,
            info=live.info,
            quick_reads=live.quick_reads,
        )

    def close(self) -> None:
        """Close every response still open (a stream a test left unread is recorded as
        closed early), then the network transport."""
        for response in self.left_open():
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
    """The values of a `Cookie` header's `name=value` pairs long enough to be secrets."""
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
    live: Response, recording: Recording, finish: Callable[[], None]
) -> Iterator[bytes]:
    try:
        for chunk in live:
            recording.passed(chunk)
            yield chunk
    except (APIConnectionError, APITimeoutError) as exc:
        recording.cut(exc)
        raise
    else:
        recording.completed()
    finally:
        finish()


def _replayed(playback: Playback) -> Response:
    return Response(playback.status, playback.headers, _replay_body(playback), info=playback.info)


def _replay_body(playback: Playback) -> Iterator[bytes]:
    while True:
        wait = playback.wait()
        if wait:
            time.sleep(wait)
        chunk = playback.next_chunk()
        if chunk is None:
            return
        yield chunk


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


def _async_replay(options: TransportOptions) -> AsyncTransport:
    # In a module of its own, loaded here: the sync client never loads asyncio.
    from openaistream.transports.replay_async import AsyncReplayTransport

    return AsyncReplayTransport.from_options(options)


@openaistream.hookimpl
def register_transports(register: Any) -> None:
    # It plays cassettes (a client given one picks it), and records through the network
    # transport, which takes the proxy: it is never picked to reach one itself. One cassette
    # serves both clients.
    register("replay", ReplayTransport.from_options, serves="sync", cassettes=True, wraps=True)
    register("replay", _async_replay, serves="async", cassettes=True, wraps=True)
