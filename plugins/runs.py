"""The `runs` resource: runs of an assistant on a thread, and their steps (Assistants API
v2, `OpenAI-Beta: assistants=v2`). Streamed runs yield their events as
`{"event": "thread.run.created", "data": {...}}`, `thread.message.delta`, ... (the
`"sse-events"` decoder, whose items have that shape whatever the server sends).

Paths from the OpenAPI spec: `POST|GET /threads/{thread_id}/runs`,
`GET|POST /threads/{thread_id}/runs/{run_id}`, `POST .../cancel`,
`POST .../submit_tool_outputs`, `POST /threads/runs`, `GET .../steps` and
`GET .../steps/{step_id}`.
"""

from __future__ import annotations

import builtins
import warnings
from typing import Any, Callable, ClassVar, Optional

import openaistream
from openaistream.resource import check_flag, check_text, path_for

_ALL = "/threads/{thread_id}/runs"
_EVENTS = "sse-events"  # the decoder of streamed runs
_ONE = _ALL + "/{run_id}"


class Runs(openaistream.Resource):
    """Runs of an assistant on a thread, and their steps (Assistants API v2), as `client.runs`.

    Every request carries `OpenAI-Beta: assistants=v2`. With `stream=True`, `create`,
    `create_thread` and `submit_tool_outputs` answer a
    [`DataStream`][openaistream.stream.DataStream] of the run's events, each
    `{"event": "thread.message.delta", "data": {...}}`. `create_tread` is the R package's
    spelling of `create_thread`, deprecated.

    ```python
    with client.runs.create(thread["id"], assistant["id"], stream=True) as stream:
        for event in stream:
            if event["event"] == "thread.message.delta":
                print(event["data"]["delta"]["content"][0]["text"]["value"], end="")
    ```
    """

    endpoint = "/threads/{thread_id}/runs"
    extra_headers: ClassVar[dict[str, str]] = {"OpenAI-Beta": "assistants=v2"}

    def create(
        self,
        thread_id: str,
        assistant_id: str,
        stream: bool = False,
        *,
        include: Optional[list[str]] = None,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Run `assistant_id` on the thread: the run, or with `stream=True` a DataStream
        of its events. `include` goes in the query (`include[]`); `params` in the body:
        `instructions`, `additional_messages`, `tools`, `model`, ..."""
        body = _body(assistant_id, stream, params)
        return self.request(
            "POST",
            path_for(_ALL, thread_id=thread_id),
            json=body,
            params={"include": include},
            stream=stream,
            num=num,
            verbosity=verbosity,
            decoder=_EVENTS,
        )

    def retrieve(self, thread_id: str, run_id: str, *, verbosity: Optional[int] = None) -> Any:
        """A run of the thread: its `status` (`requires_action` when it waits for tool
        outputs), `required_action`, `usage`, ..."""
        path = path_for(_ONE, thread_id=thread_id, run_id=run_id)
        return self.request("GET", path, verbosity=verbosity)

    def modify(
        self, thread_id: str, run_id: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """`params`: `metadata`."""
        path = path_for(_ONE, thread_id=thread_id, run_id=run_id)
        return self.request("POST", path, json=params, verbosity=verbosity)

    def list(self, thread_id: str, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """`limit`, `order`, `after`, `before`."""
        path = path_for(_ALL, thread_id=thread_id)
        return self.request("GET", path, params=params, verbosity=verbosity)

    def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: builtins.list[dict[str, Any]],  # the method list() shadows the type
        stream: bool = False,
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
    ) -> Any:
        """Answer a run waiting in `requires_action`: `tool_outputs` is a list of
        `{"tool_call_id": ..., "output": ...}`. Streamed, the run's events from there on."""
        if not isinstance(tool_outputs, list):
            raise TypeError(f"tool_outputs must be a list of dicts, not {tool_outputs!r}")
        body: dict[str, Any] = {"tool_outputs": tool_outputs}
        if check_flag("stream", stream):
            body["stream"] = True
        path = path_for(_ONE + "/submit_tool_outputs", thread_id=thread_id, run_id=run_id)
        return self.request(
            "POST", path, json=body, stream=stream, num=num, verbosity=verbosity, decoder=_EVENTS
        )

    def cancel(self, thread_id: str, run_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Cancel a run that is `in_progress`."""
        path = path_for(_ONE + "/cancel", thread_id=thread_id, run_id=run_id)
        return self.request("POST", path, verbosity=verbosity)

    def create_thread(
        self,
        assistant_id: str,
        stream: bool = False,
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Create a thread and run `assistant_id` on it in one call; `params`: `thread`
        (its messages), `instructions`, `tools`, ... Streamed, it starts with
        `thread.created`."""
        body = _body(assistant_id, stream, params)
        return self.request(
            "POST",
            "/threads/runs",
            json=body,
            stream=stream,
            num=num,
            verbosity=verbosity,
            decoder=_EVENTS,
        )

    def create_tread(self, *args: Any, **kwargs: Any) -> Any:
        """Deprecated: the R package's spelling of
        [`create_thread()`][openaistream.plugins.runs.Runs.create_thread]."""
        warnings.warn(
            "runs.create_tread is the R package's spelling; use runs.create_thread",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.create_thread(*args, **kwargs)

    def steps_retrieve(
        self,
        thread_id: str,
        run_id: str,
        step_id: str,
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """One step of a run; `params`: `include`."""
        path = path_for(
            _ONE + "/steps/{step_id}", thread_id=thread_id, run_id=run_id, step_id=step_id
        )
        return self.request("GET", path, params=params, verbosity=verbosity)

    def steps_list(
        self, thread_id: str, run_id: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """The steps of a run; `limit`, `order`, `after`, `before`, `include`."""
        path = path_for(_ONE + "/steps", thread_id=thread_id, run_id=run_id)
        return self.request("GET", path, params=params, verbosity=verbosity)


def _body(assistant_id: str, stream: bool, params: dict[str, Any]) -> dict[str, Any]:
    body = {"assistant_id": check_text("assistant_id", assistant_id), **params}
    if check_flag("stream", stream):
        body["stream"] = True
    return body


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("runs", Runs)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.runs import command  # only the command line loads click

    cli.add_command(command())
