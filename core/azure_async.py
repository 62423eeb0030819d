"""`AsyncAzureOpenAI`: the async client for Azure OpenAI (see azure.py). Apart from
azure.py so that the blocking Azure client does not load asyncio."""

from __future__ import annotations

from .aclient import AsyncOpenAI
from .azure import AzureClient

__all__ = ["AsyncAzureOpenAI"]


class AsyncAzureOpenAI(AzureClient, AsyncOpenAI):
    """The async client for Azure OpenAI: `AzureOpenAI`'s arguments and environment,
    `AsyncOpenAI`'s way of calling (every method awaited, streams read with `async
    for`). `api_key` and `azure_ad_token_provider` may be coroutine functions, awaited
    for every attempt:

    ```python
    async with openaistream.AsyncAzureOpenAI(
        azure_endpoint="https://my-resource.openai.azure.com",
        api_version="2024-10-21",
        azure_ad_token_provider=get_token,
    ) as client:
        stream = await client.chat.create(messages, model="my-deployment", stream=True)
    ```
    """
