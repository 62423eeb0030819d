"""A batch from start to end: write the input file, upload it, create the batch, wait for it,
and read the output as it arrives. Input and output go line by line, so a batch of a million
requests costs no more memory than one.

Runs offline against ``cassettes/batch_input_output.json``. Live, set OPENAI_API_KEY and pass
``--live`` (a real batch can take up to 24 hours; this polls every minute).

    python examples/batch_input_output.py      # writes batch_input.jsonl here
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import openaistream

CASSETTE = Path(__file__).parent / "cassettes" / "batch_input_output.json"
FINISHED = {"completed", "failed", "expired", "cancelled"}


def run(client: openaistream.OpenAI, poll_seconds: float = 60) -> None:
    questions = ["Tell me a joke about opentelemetry"]
    requests = (
        {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": q}]} for q in questions
    )
    lines = client.batches.write_input("batch_input.jsonl", requests)
    uploaded = client.files.upload("batch_input.jsonl", "batch")
    batch = client.batches.create(uploaded["id"], "/v1/chat/completions")
    print(f"{batch['id']}: {lines} request(s), {batch['status']}")
    while True:
        batch = client.batches.retrieve(batch["id"])
        if batch["status"] in FINISHED:
            break
        time.sleep(poll_seconds)
    print(f"{batch['id']}: {batch['status']}")
    with client.batches.read_output(batch["output_file_id"]) as results:
        for result in results:
            answer = result["response"]["body"]["choices"][0]["message"]["content"]
            print(f"{result['custom_id']}: {answer}")


if __name__ == "__main__":
    # Replayed from the cassette, no key needed; with --live, the API (set OPENAI_API_KEY).
    with openaistream.OpenAI(cassette=None if "--live" in sys.argv else CASSETTE) as client:
        run(client)
