# ruff: noqa: E501 - a table reads best one case to a line
"""Every JSON (non-multipart, non-streamed) resource method, the request it must send, as
a table: used by the request tests and by the contract test against the OpenAPI spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import openaistream

BETA = {"OpenAI-Beta": "assistants=v2"}


@dataclass(frozen=True)
class Case:
    call: Callable[[openaistream.OpenAI], Any]
    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    body: Optional[Any] = None
    headers: dict[str, str] = field(default_factory=dict)
    v1_retired: bool = False  # an endpoint OpenAI retired: kept from the R package, not in the spec


T, R, M, S = "thread_abc", "run_abc", "msg_abc", "step_abc"
TOOL_OUTPUTS = [{"tool_call_id": "call_1", "output": "22C"}]
# Structured outputs: a JSON schema dict, the strict schema parse sends for it, a tool of it.
SCHEMA = {"title": "reply", "type": "object", "properties": {"text": {"type": "string"}}}
STRICT = {**SCHEMA, "required": ["text"], "additionalProperties": False}
TOOL = openaistream.function_tool(SCHEMA)

CASES: dict[str, Case] = {
    # chat and models
    "chat.create": Case(
        lambda c: c.chat.create([{"role": "user", "content": "Hi"}], "gpt-4o-mini", n=2, seed=7),
        "POST", "/v1/chat/completions",
        body={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "seed": 7, "n": 2},
    ),
    "chat.parse": Case(
        lambda c: c.chat.parse([{"role": "user", "content": "Hi"}], "gpt-4o-mini", response_format=SCHEMA, tools=[TOOL], seed=7),
        "POST", "/v1/chat/completions",
        body={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "seed": 7,
              "response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": STRICT, "strict": True}},
              "tools": [{"type": "function", "function": {"name": "reply", "parameters": STRICT, "strict": True}}]},
    ),
    "models.list": Case(lambda c: c.models.list(), "GET", "/v1/models"),
    "models.retrieve": Case(lambda c: c.models.retrieve("gpt-4o"), "GET", "/v1/models/gpt-4o"),
    "models.delete": Case(lambda c: c.models.delete("ft:gpt-4o:x"), "DELETE", "/v1/models/ft:gpt-4o:x"),
    # files
    "files.list": Case(
        lambda c: c.files.list(purpose="batch", limit=2, order="asc"), "GET", "/v1/files",
        query={"purpose": ["batch"], "limit": ["2"], "order": ["asc"]},
    ),
    "files.retrieve": Case(lambda c: c.files.retrieve("file-1"), "GET", "/v1/files/file-1"),
    "files.delete": Case(lambda c: c.files.delete("file-1"), "DELETE", "/v1/files/file-1"),
    # fine_tuning
    "fine_tuning.create": Case(
        lambda c: c.fine_tuning.create("gpt-4o-mini-2024-07-18", "file-train", suffix="mine"),
        "POST", "/v1/fine_tuning/jobs",
        body={"model": "gpt-4o-mini-2024-07-18", "training_file": "file-train", "suffix": "mine",
              "hyperparameters": {"n_epochs": 1}},
    ),
    "fine_tuning.create (method)": Case(
        lambda c: c.fine_tuning.create(
            "gpt-4o-mini-2024-07-18", "file-train",
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
        ),
        "POST", "/v1/fine_tuning/jobs",
        body={"model": "gpt-4o-mini-2024-07-18", "training_file": "file-train",
              "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}}},
    ),
    "fine_tuning.list": Case(
        lambda c: c.fine_tuning.list(limit=5, after="ftjob-0", metadata={"team": "ml"}),
        "GET", "/v1/fine_tuning/jobs",
        query={"limit": ["5"], "after": ["ftjob-0"], "metadata[team]": ["ml"]},
    ),
    "fine_tuning.retrieve": Case(lambda c: c.fine_tuning.retrieve("ftjob-1"), "GET", "/v1/fine_tuning/jobs/ftjob-1"),
    "fine_tuning.cancel": Case(lambda c: c.fine_tuning.cancel("ftjob-1"), "POST", "/v1/fine_tuning/jobs/ftjob-1/cancel"),
    "fine_tuning.events": Case(
        lambda c: c.fine_tuning.events("ftjob-1", limit=10), "GET", "/v1/fine_tuning/jobs/ftjob-1/events",
        query={"limit": ["10"]},
    ),
    # embeddings, moderations, images
    "embeddings.create": Case(
        lambda c: c.embeddings.create("text-embedding-3-small", ["a", "b"], dimensions=512),
        "POST", "/v1/embeddings",
        body={"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 512},
    ),
    "moderations.create": Case(
        lambda c: c.moderations.create("I want to hurt them.", model="omni-moderation-latest"),
        "POST", "/v1/moderations",
        body={"input": "I want to hurt them.", "model": "omni-moderation-latest"},
    ),
    "images.create": Case(
        lambda c: c.images.create("A cute baby sea otter", model="dall-e-2", n=1, size="256x256"),
        "POST", "/v1/images/generations",
        body={"prompt": "A cute baby sea otter", "model": "dall-e-2", "n": 1, "size": "256x256"},
    ),
    # assistants
    "assistants.create": Case(
        lambda c: c.assistants.create("gpt-4o", name="Math Tutor", tools=[{"type": "code_interpreter"}]),
        "POST", "/v1/assistants",
        body={"model": "gpt-4o", "name": "Math Tutor", "tools": [{"type": "code_interpreter"}]},
        headers=BETA,
    ),
    "assistants.retrieve": Case(lambda c: c.assistants.retrieve("asst_1"), "GET", "/v1/assistants/asst_1", headers=BETA),
    "assistants.modify": Case(
        lambda c: c.assistants.modify("asst_1", instructions="Be brief."), "POST", "/v1/assistants/asst_1",
        body={"instructions": "Be brief."}, headers=BETA,
    ),
    "assistants.delete": Case(lambda c: c.assistants.delete("asst_1"), "DELETE", "/v1/assistants/asst_1", headers=BETA),
    "assistants.list": Case(
        lambda c: c.assistants.list(limit=20, order="desc"), "GET", "/v1/assistants",
        query={"limit": ["20"], "order": ["desc"]}, headers=BETA,
    ),
    "assistants.file_create": Case(
        lambda c: c.assistants.file_create("asst_1", "file-1"), "POST", "/v1/assistants/asst_1/files",
        body={"file_id": "file-1"}, headers=BETA, v1_retired=True,
    ),
    "assistants.file_retrieve": Case(
        lambda c: c.assistants.file_retrieve("asst_1", "file-1"), "GET", "/v1/assistants/asst_1/files/file-1",
        headers=BETA, v1_retired=True,
    ),
    "assistants.file_delete": Case(
        lambda c: c.assistants.file_delete("asst_1", "file-1"), "DELETE", "/v1/assistants/asst_1/files/file-1",
        headers=BETA, v1_retired=True,
    ),
    "assistants.file_list": Case(
        lambda c: c.assistants.file_list("asst_1", limit=3), "GET", "/v1/assistants/asst_1/files",
        query={"limit": ["3"]}, headers=BETA, v1_retired=True,
    ),
    # threads
    "threads.create": Case(
        lambda c: c.threads.create(messages=[{"role": "user", "content": "Hello"}]), "POST", "/v1/threads",
        body={"messages": [{"role": "user", "content": "Hello"}]}, headers=BETA,
    ),
    "threads.create (empty)": Case(lambda c: c.threads.create(), "POST", "/v1/threads", body={}, headers=BETA),
    "threads.retrieve": Case(lambda c: c.threads.retrieve(T), "GET", f"/v1/threads/{T}", headers=BETA),
    "threads.modify": Case(
        lambda c: c.threads.modify(T, metadata={"user": "u1"}), "POST", f"/v1/threads/{T}",
        body={"metadata": {"user": "u1"}}, headers=BETA,
    ),
    "threads.delete": Case(lambda c: c.threads.delete(T), "DELETE", f"/v1/threads/{T}", headers=BETA),
    # messages
    "messages.create": Case(
        lambda c: c.messages.create(T, "user", "How does AI work?", metadata={"k": "v"}),
        "POST", f"/v1/threads/{T}/messages",
        body={"role": "user", "content": "How does AI work?", "metadata": {"k": "v"}}, headers=BETA,
    ),
    "messages.retrieve": Case(lambda c: c.messages.retrieve(T, M), "GET", f"/v1/threads/{T}/messages/{M}", headers=BETA),
    "messages.modify": Case(
        lambda c: c.messages.modify(T, M, metadata={"seen": "yes"}), "POST", f"/v1/threads/{T}/messages/{M}",
        body={"metadata": {"seen": "yes"}}, headers=BETA,
    ),
    "messages.delete": Case(lambda c: c.messages.delete(T, M), "DELETE", f"/v1/threads/{T}/messages/{M}", headers=BETA),
    "messages.list": Case(
        lambda c: c.messages.list(T, order="asc", run_id=R), "GET", f"/v1/threads/{T}/messages",
        query={"order": ["asc"], "run_id": [R]}, headers=BETA,
    ),
    "messages.file_retrieve": Case(
        lambda c: c.messages.file_retrieve(T, M, "file-1"), "GET", f"/v1/threads/{T}/messages/{M}/files/file-1",
        headers=BETA, v1_retired=True,
    ),
    "messages.file_list": Case(
        lambda c: c.messages.file_list(T, M, limit=1), "GET", f"/v1/threads/{T}/messages/{M}/files",
        query={"limit": ["1"]}, headers=BETA, v1_retired=True,
    ),
    # runs
    "runs.create": Case(
        lambda c: c.runs.create(T, "asst_1", instructions="Be brief.", include=["step_details.tool_calls[*].file_search.results[*].content"]),
        "POST", f"/v1/threads/{T}/runs",
        query={"include[]": ["step_details.tool_calls[*].file_search.results[*].content"]},
        body={"assistant_id": "asst_1", "instructions": "Be brief."}, headers=BETA,
    ),
    "runs.retrieve": Case(lambda c: c.runs.retrieve(T, R), "GET", f"/v1/threads/{T}/runs/{R}", headers=BETA),
    "runs.modify": Case(
        lambda c: c.runs.modify(T, R, metadata={"a": "b"}), "POST", f"/v1/threads/{T}/runs/{R}",
        body={"metadata": {"a": "b"}}, headers=BETA,
    ),
    "runs.list": Case(
        lambda c: c.runs.list(T, limit=2), "GET", f"/v1/threads/{T}/runs", query={"limit": ["2"]}, headers=BETA,
    ),
    "runs.submit_tool_outputs": Case(
        lambda c: c.runs.submit_tool_outputs(T, R, TOOL_OUTPUTS), "POST",
        f"/v1/threads/{T}/runs/{R}/submit_tool_outputs", body={"tool_outputs": TOOL_OUTPUTS}, headers=BETA,
    ),
    "runs.cancel": Case(lambda c: c.runs.cancel(T, R), "POST", f"/v1/threads/{T}/runs/{R}/cancel", headers=BETA),
    "runs.create_thread": Case(
        lambda c: c.runs.create_thread("asst_1", thread={"messages": [{"role": "user", "content": "Hi"}]}),
        "POST", "/v1/threads/runs",
        body={"assistant_id": "asst_1", "thread": {"messages": [{"role": "user", "content": "Hi"}]}},
        headers=BETA,
    ),
    "runs.steps_retrieve": Case(
        lambda c: c.runs.steps_retrieve(T, R, S), "GET", f"/v1/threads/{T}/runs/{R}/steps/{S}", headers=BETA,
    ),
    "runs.steps_list": Case(
        lambda c: c.runs.steps_list(T, R, order="asc"), "GET", f"/v1/threads/{T}/runs/{R}/steps",
        query={"order": ["asc"]}, headers=BETA,
    ),
    # responses
    "responses.create": Case(
        lambda c: c.responses.create("gpt-4o-mini", "Tell me a joke", instructions="Be brief.", store=False),
        "POST", "/v1/responses",
        body={"model": "gpt-4o-mini", "input": "Tell me a joke", "instructions": "Be brief.", "store": False},
    ),
    "responses.parse": Case(
        lambda c: c.responses.parse("gpt-4o-mini", "Hi", text_format=SCHEMA, tools=[TOOL], store=False),
        "POST", "/v1/responses",
        body={"model": "gpt-4o-mini", "input": "Hi", "store": False,
              "text": {"format": {"type": "json_schema", "name": "reply", "schema": STRICT, "strict": True}},
              "tools": [{"type": "function", "name": "reply", "parameters": STRICT, "strict": True}]},
    ),
    "responses.retrieve": Case(
        lambda c: c.responses.retrieve("resp_1", include=["message.output_text.logprobs"]),
        "GET", "/v1/responses/resp_1", query={"include[]": ["message.output_text.logprobs"]},
    ),
    "responses.delete": Case(lambda c: c.responses.delete("resp_1"), "DELETE", "/v1/responses/resp_1"),
    "responses.cancel": Case(lambda c: c.responses.cancel("resp_1"), "POST", "/v1/responses/resp_1/cancel"),
    "responses.input_items": Case(
        lambda c: c.responses.input_items("resp_1", limit=5, order="asc"), "GET", "/v1/responses/resp_1/input_items",
        query={"limit": ["5"], "order": ["asc"]},
    ),
    # batches
    "batches.create": Case(
        lambda c: c.batches.create("file-in", "/v1/chat/completions", metadata={"job": "nightly"}),
        "POST", "/v1/batches",
        body={"input_file_id": "file-in", "endpoint": "/v1/chat/completions", "completion_window": "24h",
              "metadata": {"job": "nightly"}},
    ),
    "batches.retrieve": Case(lambda c: c.batches.retrieve("batch_1"), "GET", "/v1/batches/batch_1"),
    "batches.cancel": Case(lambda c: c.batches.cancel("batch_1"), "POST", "/v1/batches/batch_1/cancel"),
    "batches.list": Case(
        lambda c: c.batches.list(limit=10, after="batch_0"), "GET", "/v1/batches",
        query={"limit": ["10"], "after": ["batch_0"]},
    ),
}  # fmt: skip
