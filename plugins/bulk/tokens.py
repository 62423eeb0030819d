"""How many tokens a request will cost, told before it is sent, as the API's rate limiter
counts them: the prompt's tokens plus the most the answer may take (`max_tokens`,
`max_completion_tokens` or `max_output_tokens`).

The prompt is estimated at four characters a token (OpenAI's rule of thumb for English),
then corrected by what the answers' `usage` says the prompts really cost: a run of Chinese
text or of code learns its own ratio after a few answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

__all__ = ["TokenEstimator"]

CHARS_PER_TOKEN = 4.0
_ANSWER_LIMITS = ("max_completion_tokens", "max_tokens", "max_output_tokens")
_PROMPT_FIELDS = ("messages", "input", "prompt", "instructions", "system")
_LEARNING = 0.05  # weight of one answer in the learned ratio


class TokenEstimator:
    def __init__(self) -> None:
        self.ratio = 1.0  # the prompt's real tokens over the estimate, learned from usage

    def prompt_guess(self, body: Any) -> int:
        """The prompt's tokens by characters alone, before any correction."""
        if not isinstance(body, Mapping):
            return 0
        characters = sum(_characters(body.get(field)) for field in _PROMPT_FIELDS)
        return int(characters / CHARS_PER_TOKEN) + 1 if characters else 0

    def estimate(self, body: Any) -> tuple[int, int]:
        """(the request's token cost, the uncorrected prompt guess it came from)."""
        guess = self.prompt_guess(body)
        return round(guess * self.ratio) + _answer_limit(body), guess

    def learn(self, guess: int, usage: Any) -> None:
        """Move the ratio toward what an answer's `usage` says its prompt cost."""
        real = _prompt_tokens(usage)
        if guess > 0 and real is not None:
            self.ratio += _LEARNING * (real / guess - self.ratio)


def _answer_limit(body: Any) -> int:
    if not isinstance(body, Mapping):
        return 0
    for field in _ANSWER_LIMITS:
        value = body.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0


def _prompt_tokens(usage: Any) -> Optional[int]:
    if not isinstance(usage, Mapping):
        return None
    for field in ("prompt_tokens", "input_tokens"):  # chat and embeddings; responses
        value = usage.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _characters(value: Any) -> int:
    """Characters of the text in a prompt, however nested (messages, content parts)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(_characters(item) for key, item in value.items() if key != "image_url")
    if isinstance(value, list):
        return sum(_characters(item) for item in value)
    return 0
