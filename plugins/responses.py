"""The `responses` resource (the Responses API, which the R package predates).

Paths from the OpenAPI spec: `POST /responses`, `GET|DELETE /responses/{response_id}`,
`POST /responses/{response_id}/cancel`, `GET /responses/{response_id}/input_items`,
`POST /responses/input_tokens`, `POST /responses/compact`.
Streamed, every event is `{"event": "response.output_text.delta", "data": {...}}`, whether
the server sends `event:` lines (the OpenAI API) or not (the LiteLLM proxy): the name is then
the payload's `type` (the `"sse-events"` decoder).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.operation import operation
from openaistream.resource import check_flag, check_input, check_text, path_for

_ONE = "/responses/{response_id}"
_EVENTS = "sse-events"  # the decoder of streamed responses


class Responses(openaistream.Resource):
    """The Responses API: model responses, streamed or not, and the stored ones, as
    `client.responses`.

    `create` answers the response, or with `stream=True` a
    [`DataStream`][openaistream.stream.DataStream] of its semantic events, each
    `{"event": "response.output_text.delta", "data": {...}}`; `stream` adds helpers (the text
    deltas, the final response), and `parse` reads an answer that follows a strict JSON schema
    into its type. `retrieve` with `stream=True` follows a background response's events.

    ```python
    with client.responses.create("gpt-4o-mini", "Say hello", stream=True) as stream:
        for event in stream:
            if event["event"] == "response.output_text.delta":
                print(event["data"]["delta"], end="")
    ```
    """

    endpoint = "/responses"

    def create(
        self,
        model: str,
        input: Union[str, list[Any]],
        stream: bool = False,
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """A model response to `input` (text, or a list of input items): the response
        object, or with `stream=True` a DataStream of its semantic events. `params`:
        `instructions`, `tools`, `previous_response_id`, `reasoning`, `store`, ..."""
        body = {"model": check_text("model", model), "input": check_input("input", input), **params}
        if check_flag("stream", stream):
            body["stream"] = True
        return self.request(
            "POST",
            "/responses",
            json=body,
            stream=stream,
            num=num,
            verbosity=verbosity,
            decoder=_EVENTS,
        )

    def stream(
        self,
        model: str,
        input: Union[str, list[Any]],
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """A streamed response with helpers (`openaistream.plugins.responses_stream`): on `OpenAI` a
        `ResponseStream`; on `AsyncOpenAI` an awaitable of an `AsyncResponseStream`, which `async
        with` also enters. `s.text_deltas()`, the API's events (`for event in s`), `s.final()`: the
        final response. The arguments are those of
        [`create()`][openaistream.plugins.responses.Responses.create], which always streams here."""
        from .responses_stream import AsyncResponseStream, ResponseStream
        from .stream_helper import opened

        if "stream" in params:
            raise TypeError("responses.stream always streams: leave out stream=")
        started = self.create(model, input, stream=True, num=num, verbosity=verbosity, **params)
        return opened(started, ResponseStream, AsyncResponseStream)

    def parse(
        self,
        model: str,
        input: Union[str, list[Any]],
        text_format: Any = None,
        *,
        tools: Optional[Iterable[Any]] = None,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """A response whose text follows a strict JSON schema, read back into its type.

        `text_format`: a JSON schema dict, a type pydantic can describe, or what
        `openaistream.text_format()` built; it is sent as `text.format`, the strict schema
        the API requires (beside any other `text` setting given). `tools`: tool dicts, or
        types (and `openaistream.function_tool()`'s) for strict function tools. Returns the
        response with `output_parsed` (the text of its last answering message, read into
        the type) and `parsed_arguments` on each call of a strict function tool. Raises
        `LengthFinishReasonError`, `ContentFilterFinishReasonError` or `RefusalError`
        when there is nothing to parse. Never streamed. See docs/structured-outputs.md.
        """
        from .structured import read_response, responses_request

        body = {"model": check_text("model", model), "input": check_input("input", input)}
        if "stream" in params:
            raise TypeError("parse does not stream: use create(stream=True) for a stream")
        sent, reading = responses_request(text_format, tools, params.pop("text", None))
        body.update(params, **sent)

        def steps() -> Generator[Any, Any, Any]:
            response = yield self.request("POST", "/responses", json=body, verbosity=verbosity)
            return read_response(response, reading)

        return self.run(steps())

    def retrieve(
        self,
        response_id: str,
        stream: bool = False,
        *,
        num: int = 2,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """A stored response; `params`: `include`, `starting_after`. With
        `stream=True`, the events of a background response, from `starting_after` on."""
        query = {**params, "stream": True} if check_flag("stream", stream) else params
        path = path_for(_ONE, response_id=response_id)
        return self.request(
            "GET",
            path,
            params=query,
            stream=stream,
            num=num,
            verbosity=verbosity,
            decoder=_EVENTS,
        )

    def delete(self, response_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Delete a stored response."""
        return self.request("DELETE", path_for(_ONE, response_id=response_id), verbosity=verbosity)

    def cancel(self, response_id: str, *, verbosity: Optional[int] = None) -> Any:
        """Cancel a background response."""
        path = path_for(_ONE + "/cancel", response_id=response_id)
        return self.request("POST", path, verbosity=verbosity)

    def input_items(
        self, response_id: str, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """The input items of a response; `limit`, `order`, `after`, `include`."""
        path = path_for(_ONE + "/input_items", response_id=response_id)
        return self.request("GET", path, params=params, verbosity=verbosity)

    input_tokens = operation(
        "POST",
        "/responses/input_tokens",
        doc="Count the input tokens a response would take (model=, input=, tools=, ...).",
    )
    compact = operation(
        "POST",
        "/responses/compact",
        "model",
        doc="Compact a conversation into fewer input items (input=, previous_response_id=).",
    )


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("responses", Responses)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.responses import command  # only the command line loads click

    cli.add_command(command())
