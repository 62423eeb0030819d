"""Azure OpenAI: `AzureOpenAI` (and `AsyncAzureOpenAI`, in azure_async.py), the clients
openai-python users know, on this library's core.

Azure differs from OpenAI in three things, all settled here and nowhere else, for the Azure
client alone (an `OpenAI` client in the same process sends nothing of them):

- the URL: `{azure_endpoint}/openai` and an `api-version` query parameter on every call;
  the calls that run on a model deployment (chat, completions, embeddings, audio, images) go
  to `/openai/deployments/{deployment}/...`, the deployment being `azure_deployment` or
  the request's `model`. The newer `/openai/v1` endpoint takes the model in the body as
  OpenAI does: given as `base_url` (or an endpoint ending in it), no path is rewritten and
  `api_version` is optional;
- the key: an Azure key goes in an `api-key` header; a Microsoft Entra ID token
  (`azure_ad_token`, or `azure_ad_token_provider` called for every attempt) as a bearer
  token;
- the environment: `AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_AD_TOKEN`,
  `AZURE_OPENAI_ENDPOINT` and `OPENAI_API_VERSION`.

What Azure adds to answers (content-filter results in error bodies and stream chunks) is
passed on as it came, as everything the API sends is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Optional
from urllib.parse import quote, urlsplit

from .client import OpenAI
from .clientbase import ClientBase
from .config import ClientConfig, KeyProvider
from .errors import OpenAIError
from .http import Request
from .multipart import Multipart
from .resource import path_segment

__all__ = ["AzureOpenAI"]

# The operations that run on a model deployment (the others, files or batches, do not).
DEPLOYMENT_PATHS = frozenset({
    "/completions", "/chat/completions", "/embeddings", "/audio/transcriptions",
    "/audio/translations", "/audio/speech", "/images/generations", "/images/edits",
})  # fmt: skip
# API versions that are served by the v1-style routes, which take the model in the body.
_UNVERSIONED = frozenset({"preview", "latest"})
# The constructor's own options, which with_options takes too.
AZURE_OPTIONS = (
    "azure_endpoint", "azure_deployment", "api_version", "azure_ad_token",
    "azure_ad_token_provider",
)  # fmt: skip
NO_CREDENTIALS = (
    "No Azure credentials: pass api_key, azure_ad_token or azure_ad_token_provider, or set "
    "the AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN environment variable."
)


@dataclass(frozen=True)
class AzureRoute:
    """Where an Azure client's requests go: the deployment of the deployment-based calls
    (None: the request's `model`), whether paths are rewritten at all."""

    deployment: Optional[str]
    rewrites: bool

    def path(self, path: str, body: Any) -> str:
        """The path of a request under the base URL: a deployment-based call under
        `/deployments/{deployment}`."""
        if not self.rewrites or path.partition("?")[0] not in DEPLOYMENT_PATHS:
            return path
        deployment = self.deployment or _model_of(body)
        if deployment is None:
            return path
        return f"/deployments/{quote(deployment, safe='')}{path}"


def _model_of(body: Any) -> Optional[str]:
    """The `model` of a JSON body, or of the text fields of a form (an upload)."""
    fields = body.fields if isinstance(body, Multipart) else body
    model = fields.get("model") if isinstance(fields, Mapping) else None
    return model if isinstance(model, str) and model else None


class AzureClient(ClientBase):
    """What both Azure clients add to theirs (see the module's docstring)."""

    _route = AzureRoute(None, rewrites=False)
    _sharing_options = ClientBase._sharing_options | frozenset(AZURE_OPTIONS)

    def __init__(
        self,
        api_key: Any = None,
        *,
        azure_endpoint: Optional[str] = None,
        azure_deployment: Optional[str] = None,
        api_version: Optional[str] = None,
        azure_ad_token: Optional[str] = None,
        azure_ad_token_provider: Optional[KeyProvider] = None,
        **options: Any,
    ) -> None:
        self._azure: dict[str, Any] = {
            "azure_endpoint": azure_endpoint,
            "azure_deployment": azure_deployment,
            "api_version": api_version,
            "azure_ad_token": azure_ad_token,
            "azure_ad_token_provider": azure_ad_token_provider,
        }
        super().__init__(api_key, **options)

    def _arguments(self) -> dict[str, Any]:
        # The base URL and the key as given (the resolved ones are Azure's own).
        return {**super()._arguments(), **self._azure, **self._azure_given_url_and_key}

    def _configured(self, arguments: dict[str, Any]) -> ClientConfig:
        self._azure = {name: arguments.get(name, self._azure[name]) for name in AZURE_OPTIONS}
        self._azure_given_url_and_key = {
            "base_url": arguments.get("base_url"),
            "api_key": arguments.get("api_key"),
        }
        return super()._configured(arguments)

    def _resolve(self, options: dict[str, Any], **checks: Any) -> ClientConfig:
        environ = os.environ
        base_url, route, version = _azure_url(self._azure, options["base_url"], environ)
        key, token = _azure_credentials(self._azure, options["api_key"], environ)
        query = dict(options["default_query"] or {})
        if version is not None:
            query["api-version"] = version
        config = ClientConfig.resolve(
            **{**options, "api_key": key or token, "base_url": base_url, "default_query": query},
            **checks,
        )
        self._route = route
        if key is not None:  # an Azure key is sent as api-key; a token as a bearer token
            config = replace(config, key_header="api-key", key_prefix="")
        return config

    def build_request(self, method: str, path: str, **options: Any) -> Request:
        body = options.get("json") if options.get("multipart") is None else options["multipart"]
        return super().build_request(method, self._route.path(path, body), **options)


def _azure_url(
    azure: dict[str, Any], base_url: Optional[str], environ: Mapping[str, str]
) -> tuple[str, AzureRoute, Optional[str]]:
    """(the base URL, the route of deployment-based calls, the API version)."""
    endpoint = azure["azure_endpoint"]
    deployment = azure["azure_deployment"]
    if base_url is not None and endpoint is not None:
        raise ValueError(
            "base_url and azure_endpoint are two ways to say where the API is: give one"
        )
    if base_url is None:
        endpoint = endpoint or environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise ValueError(
                "No Azure endpoint: pass azure_endpoint (https://<resource>.openai.azure.com) "
                "or base_url, or set the AZURE_OPENAI_ENDPOINT environment variable"
            )
        endpoint = str(endpoint).rstrip("/")
        base_url = endpoint if _is_v1(endpoint) else f"{endpoint}/openai"
    elif deployment is not None:
        raise ValueError("azure_deployment goes with azure_endpoint, not with base_url")
    if deployment is not None:
        path_segment("azure_deployment", deployment)  # checked as every path segment is
    version = azure["api_version"] or environ.get("OPENAI_API_VERSION") or None
    v1 = _is_v1(base_url)
    if version is None and not v1:
        raise ValueError(
            "No API version: pass api_version (such as '2024-10-21') or set the "
            "OPENAI_API_VERSION environment variable (the /openai/v1 endpoint needs none)"
        )
    rewrites = not v1 and "/deployments" not in urlsplit(base_url).path
    rewrites = rewrites and str(version).lower() not in _UNVERSIONED
    return base_url, AzureRoute(deployment, rewrites), version


def _is_v1(url: str) -> bool:
    """Whether `url` is Azure's v1-style endpoint (`.../openai/v1`)."""
    return urlsplit(url).path.rstrip("/").endswith("/openai/v1")


def _azure_credentials(
    azure: dict[str, Any], api_key: Any, environ: Mapping[str, str]
) -> tuple[Any, Any]:
    """(the Azure key or key provider, sent as api-key; or None and the Entra ID token or
    token provider, sent as a bearer token). One kind of credential, given or from the
    environment."""
    token = azure["azure_ad_token"]
    provider = azure["azure_ad_token_provider"]
    given = [name for name, value in (("api_key", api_key), ("azure_ad_token", token),
             ("azure_ad_token_provider", provider)) if value is not None]  # fmt: skip
    if len(given) > 1:
        raise OpenAIError(f"give one credential, not {' and '.join(given)}")
    if provider is not None:
        if not callable(provider):
            raise TypeError("azure_ad_token_provider must be a function that returns a token")
        return None, provider
    if token is not None:
        return None, token
    if api_key is not None:
        return api_key, None
    if environ.get("AZURE_OPENAI_API_KEY"):
        return environ["AZURE_OPENAI_API_KEY"], None
    if environ.get("AZURE_OPENAI_AD_TOKEN"):
        return None, environ["AZURE_OPENAI_AD_TOKEN"]
    raise OpenAIError(NO_CREDENTIALS)


class AzureOpenAI(AzureClient, OpenAI):
    """The blocking client for Azure OpenAI: `OpenAI`'s resources, options and streams,
    with Azure's URL, key and environment:

    ```python
    client = openaistream.AzureOpenAI(
        azure_endpoint="https://my-resource.openai.azure.com",
        api_version="2024-10-21",
        api_key="...",  # or azure_ad_token_provider=get_token
    )
    client.chat.create(messages, model="my-gpt-4o-deployment", stream=True)
    ```

    `azure_deployment` sends every deployment-based call to that deployment; without it,
    the request's `model` names the deployment. `base_url` (instead of
    `azure_endpoint`) is used as it is: the `/openai/v1` endpoint, or a gateway.
    Arguments fall back to `AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_AD_TOKEN`,
    `AZURE_OPENAI_ENDPOINT` and `OPENAI_API_VERSION`; every other argument is
    `OpenAI`'s.
    """
