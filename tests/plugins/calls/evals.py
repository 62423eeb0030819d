# ruff: noqa: E501 - the tables of calls read best one call to a line
"""client.evals: evals, runs and output items, with the spec's example bodies. Their
messages carry ``input_text`` content: a message whose content is a plain string is valid
under two branches of the spec's ``oneOf`` at once (SimpleInputMessage and EvalItem), which
JSON Schema counts as invalid."""

from __future__ import annotations

from tests.plugins.calls import Call

EVAL, RUN = "eval_67e579652b548190aaa83ada4b125f47", "evalrun_67e57965b480819094274e3a32235e4c"
GRADER = {
    "type": "label_model", "model": "o3-mini", "name": "Example label grader",
    "input": [
        {"type": "message", "role": "developer", "content": {"type": "input_text", "text": "Classify the sentiment of the statement as 'positive', 'neutral' or 'negative'"}},
        {"type": "message", "role": "user", "content": {"type": "input_text", "text": "Statement: {{item.input}}"}},
    ],
    "passing_labels": ["positive"], "labels": ["positive", "neutral", "negative"],
}  # fmt: skip
CUSTOM = {
    "type": "custom", "include_sample_schema": True,
    "item_schema": {"type": "object", "properties": {"input": {"type": "string"}, "ground_truth": {"type": "string"}}},
}  # fmt: skip
STRING_CHECK = {
    "type": "string_check",
    "name": "Exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.ground_truth}}",
    "operation": "eq",
}
COMPLETIONS = {
    "type": "completions", "model": "gpt-4o-mini",
    "input_messages": {"type": "template", "template": [
        {"type": "message", "role": "developer", "content": {"type": "input_text", "text": "Categorize the news headline: Technology, Markets, World, Business or Sports."}},
        {"type": "message", "role": "user", "content": {"type": "input_text", "text": "{{item.input}}"}},
    ]},
    "sampling_params": {"temperature": 1, "max_completion_tokens": 2048, "top_p": 1, "seed": 42},
    "source": {"type": "file_content", "content": [
        {"item": {"input": "Tech Company Launches Advanced AI Platform", "ground_truth": "Technology"}},
    ]},
}  # fmt: skip
JSONL = {"type": "jsonl", "source": {"type": "file_id", "id": "file-9GYS6xbkWgWhmE7VoLUWFg"}}

CALLS = {
    "evals.create": Call(
        lambda c: c.evals.create(
            {"type": "stored_completions", "metadata": {"usecase": "chatbot"}},
            [GRADER],
            name="Sentiment",
        ),
        "POST /evals",
    ),
    "evals.create (custom data, by name)": Call(
        lambda c: c.evals.create(
            testing_criteria=[STRING_CHECK], data_source_config=CUSTOM, metadata={"team": "ml"}
        ),
        "POST /evals",
    ),
    "evals.list": Call(
        lambda c: c.evals.list(limit=20, order="desc", order_by="updated_at", after="eval_1"),
        "GET /evals",
    ),
    "evals.retrieve": Call(lambda c: c.evals.retrieve(EVAL), "GET /evals/{eval_id}"),
    "evals.update": Call(
        lambda c: c.evals.update(
            EVAL, name="Updated Eval", metadata={"description": "Updated description"}
        ),
        "POST /evals/{eval_id}",
    ),
    "evals.delete": Call(lambda c: c.evals.delete(EVAL), "DELETE /evals/{eval_id}"),
    "evals.runs_create": Call(
        lambda c: c.evals.runs_create(EVAL, COMPLETIONS, name="gpt-4o-mini"),
        "POST /evals/{eval_id}/runs",
    ),
    "evals.runs_create (jsonl file)": Call(
        lambda c: c.evals.runs_create(EVAL, data_source=JSONL, metadata={"run": "1"}),
        "POST /evals/{eval_id}/runs",
    ),
    "evals.runs_list": Call(
        lambda c: c.evals.runs_list(EVAL, status="completed", limit=10, order="asc"),
        "GET /evals/{eval_id}/runs",
    ),
    "evals.runs_retrieve": Call(
        lambda c: c.evals.runs_retrieve(EVAL, RUN), "GET /evals/{eval_id}/runs/{run_id}"
    ),
    "evals.runs_cancel": Call(
        lambda c: c.evals.runs_cancel(EVAL, RUN), "POST /evals/{eval_id}/runs/{run_id}"
    ),
    "evals.runs_delete": Call(
        lambda c: c.evals.runs_delete(EVAL, RUN), "DELETE /evals/{eval_id}/runs/{run_id}"
    ),
    "evals.output_items_list": Call(
        lambda c: c.evals.output_items_list(
            EVAL, RUN, status="fail", limit=5, after="outputitem_1"
        ),
        "GET /evals/{eval_id}/runs/{run_id}/output_items",
    ),
    "evals.output_items_retrieve": Call(
        lambda c: c.evals.output_items_retrieve(
            EVAL, RUN, "outputitem_67e5796c28e081909917bf79f6e6214d"
        ),
        "GET /evals/{eval_id}/runs/{run_id}/output_items/{output_item_id}",
    ),
}
