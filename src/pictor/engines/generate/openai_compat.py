"""OpenAI-compatible image APIs through ``openai`` (the only module importing it).

``images.generate`` and ``images.edit`` (multipart, several ``image[]`` parts and an
optional ``mask``); answers as ``b64_json`` or as ``url`` (fetched SSRF-guarded at once).
The base URL is a setting, so local servers speaking this API work too. ``chat_json``
asks a chat model for JSON to a schema (relayout's translations) with the same client
settings, error mapping and retries.
"""

from __future__ import annotations

import asyncio
from typing import Any

import openai
from openai.types import ImagesResponse

from pictor.engines.availability import Availability
from pictor.engines.generate.base import (
    GeneratedImage,
    GenerationResult,
    ImageRequest,
    InputImage,
    Waiting,
    redact,
)
from pictor.engines.generate.errors import (
    ContentBlocked,
    ProviderAuthFailed,
    ProviderError,
    ProviderNotConfigured,
)
from pictor.engines.generate.outputs import OutputFetcher, decode_b64
from pictor.engines.generate.retry import (
    RETRY_STATUSES,
    RetryableCall,
    RetryPolicy,
    parse_retry_after,
    with_retries,
)

SETTING = "PICTOR_PROVIDERS_OPENAI_API_KEY (or PICTOR_PROVIDERS_OPENAI_BASE_URL)"
#: Sizes by aspect ratio for GPT image models; other servers take any WxH we send.
_SIZES = {"1:1": "1024x1024", "2:3": "1024x1536", "3:2": "1536x1024", "3:4": "1024x1536",
          "4:3": "1536x1024", "4:5": "1024x1536", "5:4": "1536x1024", "9:16": "1024x1536",
          "16:9": "1536x1024", "21:9": "1536x1024"}  # fmt: skip
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class OpenAIImagesProvider:
    name = "openai"

    def __init__(
        self,
        api_key: str | None,
        *,
        default_model: str,
        fetcher: OutputFetcher,
        base_url: str | None = None,
        request_timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.default_model = default_model
        self._api_key = api_key
        self._base_url = base_url
        self._fetcher = fetcher
        self._request_timeout_s = request_timeout_s
        self._retry = retry or RetryPolicy()
        self._client: openai.AsyncOpenAI | None = None

    def availability(self) -> Availability:
        if not (self._api_key or self._base_url):
            return Availability.missing(f"not configured (set {SETTING})")
        return Availability.ok(f"model {self.default_model} at {self._base_url or 'OpenAI'}")

    def _sdk(self) -> openai.AsyncOpenAI:
        if not (self._api_key or self._base_url):
            raise ProviderNotConfigured(f"the openai provider is not configured; set {SETTING}")
        if self._client is None:
            self._client = make_client(self._api_key, self._base_url, self._request_timeout_s)
        return self._client

    async def generate(
        self, request: ImageRequest, *, waiting: Waiting | None = None
    ) -> GenerationResult:
        client = self._sdk()
        model = request.model or self.default_model
        args = {**self._common(request, model), **request.options}

        async def call() -> ImagesResponse:
            return await self._call(client.images.generate(**args))

        response = await with_retries(
            call, self._retry, provider=self.name, deadline=request.deadline, waiting=waiting
        )
        return await self._result(model, response)

    async def edit(
        self, request: ImageRequest, *, waiting: Waiting | None = None
    ) -> GenerationResult:
        client = self._sdk()
        model = request.model or self.default_model
        files = [_file(i, image) for i, image in enumerate(request.images)]
        args: dict[str, Any] = {**self._common(request, model), "image": files}
        if request.mask is not None:
            args["mask"] = _file(len(files), request.mask, "mask")
        args.update(request.options)

        async def call() -> ImagesResponse:
            return await self._call(client.images.edit(**args))

        response = await with_retries(
            call, self._retry, provider=self.name, deadline=request.deadline, waiting=waiting
        )
        return await self._result(model, response)

    def _common(self, request: ImageRequest, model: str) -> dict[str, Any]:
        prompt = request.prompt
        if request.negative_prompt:
            prompt += f"\n\nAvoid: {request.negative_prompt}"
        args: dict[str, Any] = {"model": model, "prompt": prompt, "n": request.n}
        if request.size is not None:
            args["size"] = f"{request.size[0]}x{request.size[1]}"
        elif request.aspect_ratio is not None:
            args["size"] = _SIZES[request.aspect_ratio]
        if request.seed is not None:
            # Not an OpenAI parameter, but many compatible servers take it.
            args["extra_body"] = {"seed": request.seed}
        return args

    async def _call(self, pending: Any) -> ImagesResponse:
        response: ImagesResponse = await _answer(pending, self._request_timeout_s, self._api_key)
        return response

    async def _result(self, model: str, response: ImagesResponse) -> GenerationResult:
        images: list[GeneratedImage] = []
        revised: str | None = None
        for item in response.data or []:
            revised = revised or item.revised_prompt
            if item.b64_json:
                data, content_type = decode_b64(self.name, item.b64_json), None
            elif item.url:
                data, content_type = await self._fetcher.fetch(self.name, item.url)
            else:
                raise ProviderError("openai: an image in the response has neither b64_json nor url")
            images.append(GeneratedImage(data, content_type))
        if not images:
            raise ProviderError(
                "openai: the response holds no image", details={"provider": self.name}
            )
        return GenerationResult(self.name, model, images, revised_prompt=revised)


def _file(index: int, image: InputImage, stem: str = "image") -> tuple[str, bytes, str]:
    ext = _EXT.get(image.content_type, "png")
    return (f"{stem}-{index}.{ext}", image.data, image.content_type)


def make_client(api_key: str | None, base_url: str | None, timeout_s: float) -> openai.AsyncOpenAI:
    """An SDK client with no retries of its own (``with_retries`` owns them)."""
    return openai.AsyncOpenAI(
        # Local servers often need no key; the SDK insists on one.
        api_key=api_key or "unused",
        base_url=base_url,
        max_retries=0,
        timeout=timeout_s,
    )


async def chat_json(
    client: openai.AsyncOpenAI,
    *,
    model: str,
    system: str,
    prompt: str,
    schema: dict[str, object],
    schema_name: str,
    api_key: str | None,
    request_timeout_s: float,
    retry: RetryPolicy,
    deadline: float,
) -> str:
    """One chat completion whose answer follows ``schema`` (``response_format``
    json_schema, strict); returns the answer's text, retried like image calls."""
    response_format: Any = {
        "type": "json_schema",
        "json_schema": {"name": schema_name, "strict": True, "schema": schema},
    }
    messages: list[Any] = [
        {"role": "system", "content": system},
        {"role": "user", "content": prompt},
    ]

    async def call() -> str:
        pending = client.chat.completions.create(
            model=model, messages=messages, response_format=response_format, temperature=0.2
        )
        reply = await _answer(pending, request_timeout_s, api_key)
        if not reply.choices or reply.choices[0].message.content is None:
            raise ProviderError("openai: the answer had no content", details={"model": model})
        return str(reply.choices[0].message.content)

    return await with_retries(call, retry, provider="openai", deadline=deadline)


async def _answer(pending: Any, timeout_s: float, api_key: str | None) -> Any:
    """Await one SDK call, turning its failures into retryable or final errors."""
    try:
        async with asyncio.timeout(timeout_s):
            return await pending
    except (openai.APITimeoutError, TimeoutError) as exc:
        raise RetryableCall("no answer in time", timed_out=True) from exc
    except openai.APIConnectionError as exc:
        raise RetryableCall("connection failed") from exc
    except openai.APIStatusError as exc:
        raise _status_error(exc, api_key) from exc
    except openai.APIResponseValidationError as exc:
        raise ProviderError("openai: malformed response", details={"provider": "openai"}) from exc


def _status_error(exc: openai.APIStatusError, api_key: str | None) -> Exception:
    status = exc.status_code
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    message = redact(str(error.get("message") or exc.message), [api_key])
    if status in RETRY_STATUSES:
        retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
        return RetryableCall(f"HTTP {status}: {message}", retry_after=retry_after)
    details = {"provider": "openai", "status": status}
    if status in (401, 403):
        return ProviderAuthFailed(
            f"openai refused the API key (HTTP {status}: {message}); check {SETTING}",
            details=details,
        )
    if error.get("code") in ("content_policy_violation", "moderation_blocked"):
        return ContentBlocked(f"openai refused to make this image: {message}")
    return ProviderError(f"openai: HTTP {status}: {message}", details=details)
