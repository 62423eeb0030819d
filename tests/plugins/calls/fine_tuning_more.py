# ruff: noqa: E501 - the tables of calls read best one call to a line
"""The calls of client.fine_tuning added with issue 15: pause and resume, a job's checkpoints,
who may use a checkpoint, and the graders of reinforcement fine-tuning."""

from __future__ import annotations

from tests.plugins.calls import Call

JOB = "ftjob-abc123"
CHECKPOINT = "ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd"
PROJECT = "proj_abGMw1llN8IrBb6SvvY5A1iH"
GRADER = {
    "type": "score_model",
    "name": "Example score model grader",
    "input": [
        {
            "role": "user",
            "content": [
                {
                    "type": "input_text",
                    "text": "Score how close the reference answer is to the model answer on a 0-1 scale. Return only the score.\n\nReference answer: {{item.reference_answer}}\n\nModel answer: {{sample.output_text}}",
                }
            ],
        }
    ],
    "model": "gpt-5-mini",
    "sampling_params": {"temperature": 1, "top_p": 1, "seed": 42},
}
STRING_CHECK = {
    "type": "string_check",
    "name": "Example string check grader",
    "input": "{{sample.output_text}}",
    "reference": "{{item.label}}",
    "operation": "eq",
}

CALLS = {
    "fine_tuning.pause": Call(lambda c: c.fine_tuning.pause(JOB), "POST /fine_tuning/jobs/{fine_tuning_job_id}/pause"),
    "fine_tuning.resume": Call(lambda c: c.fine_tuning.resume(JOB), "POST /fine_tuning/jobs/{fine_tuning_job_id}/resume"),
    "fine_tuning.checkpoints": Call(
        lambda c: c.fine_tuning.checkpoints(JOB, after="ftckpt_zc4Q7MP6XxulcVzj4MZdwsAB", limit=10),
        "GET /fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
    ),
    "fine_tuning.checkpoint_permissions_list": Call(
        lambda c: c.fine_tuning.checkpoint_permissions_list(CHECKPOINT, project_id=PROJECT, limit=10, order="ascending"),
        "GET /fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions",
    ),
    "fine_tuning.checkpoint_permissions_create": Call(
        lambda c: c.fine_tuning.checkpoint_permissions_create(CHECKPOINT, [PROJECT]),
        "POST /fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions",
    ),
    "fine_tuning.checkpoint_permissions_delete": Call(
        lambda c: c.fine_tuning.checkpoint_permissions_delete(CHECKPOINT, "cp_zc4Q7MP6XxulcVzj4MZdwsAB"),
        "DELETE /fine_tuning/checkpoints/{fine_tuned_model_checkpoint}/permissions/{permission_id}",
    ),
    "fine_tuning.alpha_graders_run": Call(
        lambda c: c.fine_tuning.alpha_graders_run(GRADER, "fuzzy wuzzy was a bear", item={"reference_answer": "fuzzy wuzzy was a bear"}),
        "POST /fine_tuning/alpha/graders/run",
    ),
    "fine_tuning.alpha_graders_run (string check)": Call(
        lambda c: c.fine_tuning.alpha_graders_run(STRING_CHECK, "positive", item={"label": "positive"}),
        "POST /fine_tuning/alpha/graders/run",
    ),
    "fine_tuning.alpha_graders_validate": Call(
        lambda c: c.fine_tuning.alpha_graders_validate(STRING_CHECK), "POST /fine_tuning/alpha/graders/validate"
    ),
}  # fmt: skip
