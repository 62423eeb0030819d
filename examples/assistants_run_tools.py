"""A streamed assistants run that calls a tool: print the answer as it arrives, and when the
run stops for the tool's output, compute it and stream the rest of the run.

Runs offline against ``cassettes/assistants_run_tools.json`` (a real run of an assistant with
a ``get_current_weather`` function). Live, set OPENAI_API_KEY, pass ``--live`` and your own
assistant's id as ASSISTANT_ID.

    python examples/assistants_run_tools.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import openaistream

CASSETTE = Path(__file__).parent / "cassettes" / "assistants_run_tools.json"
ASSISTANT_ID = os.environ.get("ASSISTANT_ID", "asst_BFMmpHsel3a7MuFuKKY9i5uG")


def get_current_weather() -> str:
    return "warm and sunny"  # a real tool would ask a weather service


TOOLS: dict[str, Callable[..., str]] = {"get_current_weather": get_current_weather}


def run(client: openaistream.OpenAI) -> None:
    thread = {"messages": [{"role": "user", "content": "What should I wear outside right now?"}]}
    stream: Optional[Any] = client.runs.create_thread(ASSISTANT_ID, stream=True, thread=thread)
    while stream is not None:
        with stream:
            stream = follow(client, stream)
    print()


def follow(client: openaistream.OpenAI, stream: Any) -> Optional[Any]:
    """Print a run's text as it streams; the stream that goes on after a tool call, if any."""
    for event in stream:
        name, data = event["event"], event["data"]
        if name == "thread.message.delta":
            for part in data["delta"].get("content", []):
                if part["type"] == "text":
                    print(part["text"]["value"], end="", flush=True)
        elif name == "thread.run.requires_action":
            calls = data["required_action"]["submit_tool_outputs"]["tool_calls"]
            outputs = [
                {"tool_call_id": call["id"], "output": call_tool(call["function"])}
                for call in calls
            ]
            print(f"[tools answered: {', '.join(o['output'] for o in outputs)}]")
            return client.runs.submit_tool_outputs(data["thread_id"], data["id"], outputs, True)
        elif name == "thread.run.completed":
            print(f"\n[run {data['id']} completed]", end="")
    return None


def call_tool(function: dict[str, Any]) -> str:
    arguments = json.loads(function["arguments"] or "{}")
    return TOOLS[function["name"]](**arguments)


if __name__ == "__main__":
    # Replayed from the cassette, no key needed; with --live, the API (set OPENAI_API_KEY).
    with openaistream.OpenAI(cassette=None if "--live" in sys.argv else CASSETTE) as client:
        run(client)
