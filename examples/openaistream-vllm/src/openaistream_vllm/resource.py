"""``client.vllm``: the endpoints vLLM's OpenAI-compatible server adds to the OpenAI API.

vLLM serves them at the server's root (``/tokenize``, ``/detokenize``, ``/rerank``), beside
the OpenAI API under ``/v1``, not under it: so every request of this resource goes to the
client's base URL without its ``/v1`` (see :meth:`Vllm.request`). The shapes are vLLM's
(its Tokenizer API and its Jina- and Cohere-compatible Re-rank API).
"""

from __future__ import annotations

from typing import Any, Optional, Union

import openaistream
from openaistream.operation import operation
from openaistream.resource import check_input


class Vllm(openaistream.Resource):
    # What get_api_endpoints() reports: the server the client talks to. Its paths are not
    # under the base URL (see request), so no one path would be true.
    endpoint = ""

    tokenize = operation("POST", "/tokenize", "prompt", doc="The token IDs of a prompt.")
    tokenize_chat = operation(
        "POST", "/tokenize", "messages",
        doc="The token IDs of chat messages, as the model's chat template renders them.",
    )  # fmt: skip
    detokenize = operation("POST", "/detokenize", "tokens", doc="The text of token IDs.")
    rerank = operation(
        "POST", "/rerank", "query", "documents",
        doc="The documents ordered by their relevance to the query, each with its score.",
    )  # fmt: skip

    def fits(
        self,
        prompt: Union[str, list[Any]],
        max_tokens: int,
        *,
        verbosity: Optional[int] = None,
        **params: Any,
    ) -> Any:
        """Whether ``prompt`` (a string, or chat messages) leaves room for ``max_tokens``
        more in the model's context: the answer of ``tokenize`` (``count``, ``tokens``,
        ``max_model_len``) with ``fits`` and ``room`` (the tokens left after the answer)."""
        check_input("prompt", prompt)
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
            raise TypeError(f"max_tokens must be an int, not {type(max_tokens).__name__}")
        if max_tokens < 0:
            raise ValueError(f"max_tokens must not be negative, not {max_tokens}")
        tokenize = self.tokenize if isinstance(prompt, str) else self.tokenize_chat

        def steps() -> Any:
            answer = yield tokenize(prompt, verbosity=verbosity, **params)
            room = answer["max_model_len"] - answer["count"] - max_tokens
            return {**answer, "fits": room >= 0, "room": room}

        return self.run(steps())

    def request(self, method: str, path: str, **options: Any) -> Any:
        """As every resource's ``request``, but at the server's root: ``/tokenize`` is
        sent to ``http://host:8000/tokenize`` when the base URL is ``http://host:8000/v1``.
        The client at the root shares this one's connections, options and per-call
        options (``with_options``)."""
        root = server_root(self.client.base_url)
        at_root = self
        if root != self.client.base_url:
            at_root = type(self)(self.client.with_options(base_url=root))
        return openaistream.Resource.request(at_root, method, path, **options)


def server_root(base_url: str) -> str:
    """The base URL without its last ``/v1`` (its query, if any, kept)."""
    base, mark, query = base_url.partition("?")
    base = base.rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    return base + mark + query
