"""Replicate predictions through ``replicate`` (the only module importing it).

Create (with ``Prefer: wait``), poll until a final status, cancel the prediction when
the job is canceled or times out, and copy output files into our hands at once:
Replicate's URLs expire within an hour.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import functools
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pydantic
from replicate.client import Client
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction

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
    ProviderTimeout,
)
from pictor.engines.generate.outputs import OutputFetcher
from pictor.engines.generate.retry import (
    RETRY_STATUSES,
    RetryableCall,
    RetryPolicy,
    parse_retry_after,
    with_retries,
)

T = TypeVar("T")
SETTING = "PICTOR_PROVIDERS_REPLICATE_API_TOKEN"
_RUNNING = ("starting", "processing")
_VERSION_ID = re.compile(r"^[0-9a-f]{64}$")
_BLOCKED = re.compile(r"nsfw|safety|flagged|sensitive", re.IGNORECASE)
# The SDK's errors drop the response headers; this keeps Retry-After of the last
# response seen by the current task (hooks run in the caller's context).
_retry_after: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "replicate_retry_after", default=None
)


async def _remember_retry_after(response: httpx.Response) -> None:
    _retry_after.set(response.headers.get("retry-after"))


def api_root(base_url: str) -> str:
    """Accept both ``https://host`` and ``https://host/v1``: the SDK adds ``/v1`` itself."""
    root = base_url.rstrip("/")
    return root.removesuffix("/v1")


def _data_uri(image: InputImage) -> str:
    return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode('ascii')}"


class ReplicateProvider:
    name = "replicate"

    def __init__(
        self,
        api_token: str | None,
        *,
        default_model: str,
        edit_model: str,
        fetcher: OutputFetcher,
        base_url: str = "https://api.replicate.com",
        wait_s: int = 60,
        poll_interval_s: float = 1.0,
        request_timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.default_model = default_model
        self.edit_model = edit_model
        self._token = api_token
        self._base_url = api_root(base_url)
        self._fetcher = fetcher
        self._wait_s = wait_s
        self._poll_interval_s = poll_interval_s
        self._request_timeout_s = request_timeout_s
        self._retry = retry or RetryPolicy()
        self._client: Client | None = None

    def availability(self) -> Availability:
        if not self._token:
            return Availability.missing(f"not configured (set {SETTING})")
        return Availability.ok(f"model {self.default_model}")

    def _sdk(self) -> Client:
        if not self._token:
            raise ProviderNotConfigured(f"the replicate provider is not configured; set {SETTING}")
        if self._client is None:
            self._client = Client(
                api_token=self._token,
                base_url=self._base_url,
                timeout=httpx.Timeout(self._request_timeout_s, connect=10.0),
                event_hooks={"response": [_remember_retry_after]},
            )
        return self._client

    async def generate(
        self, request: ImageRequest, *, waiting: Waiting | None = None
    ) -> GenerationResult:
        return await self._run(request.model or self.default_model, request, waiting)

    async def edit(
        self, request: ImageRequest, *, waiting: Waiting | None = None
    ) -> GenerationResult:
        return await self._run(request.model or self.edit_model, request, waiting)

    async def _run(
        self, model: str, request: ImageRequest, waiting: Waiting | None
    ) -> GenerationResult:
        client = self._sdk()
        payload = _input(request)

        def retried(make: Callable[[], Awaitable[T]], timeout_s: float) -> Awaitable[T]:
            return with_retries(
                lambda: self._api(make(), timeout_s),
                self._retry,
                provider=self.name,
                deadline=request.deadline,
                waiting=waiting,
            )

        prediction = await retried(
            lambda: _create(client, model, payload, self._wait_s),
            # Prefer: wait holds the answer up to wait_s seconds: allow for it.
            max(self._request_timeout_s, self._wait_s + 5.0),
        )
        try:
            while prediction.status in _RUNNING:
                if waiting is not None:
                    await waiting(f"replicate prediction {prediction.status}")
                if time.monotonic() + self._poll_interval_s > request.deadline:
                    raise ProviderTimeout(
                        f"replicate prediction {prediction.id} did not finish in time",
                        details={"provider": self.name},
                    )
                await asyncio.sleep(self._poll_interval_s)
                prediction = await retried(
                    functools.partial(client.predictions.async_get, prediction.id),
                    self._request_timeout_s,
                )
        except BaseException:
            # Canceled job, job timeout, our own deadline: stop paying for the prediction.
            await self._cancel(client, prediction.id)
            raise
        return await self._finish(model, prediction)

    async def _api(self, pending: Awaitable[T], timeout_s: float) -> T:
        _retry_after.set(None)
        try:
            async with asyncio.timeout(timeout_s):
                return await pending
        except ReplicateError as exc:
            raise self._api_error(exc) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise RetryableCall("no answer in time", timed_out=True) from exc
        except httpx.TransportError as exc:
            raise RetryableCall(f"connection failed ({type(exc).__name__})") from exc
        except (pydantic.ValidationError, ValueError, KeyError, TypeError) as exc:
            raise ProviderError(
                f"replicate: malformed response ({type(exc).__name__})",
                details={"provider": self.name},
            ) from exc

    def _api_error(self, exc: ReplicateError) -> Exception:
        status = int(exc.status or 0)
        message = redact(str(exc.detail or exc.title or "no detail"), [self._token])
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(_retry_after.get())
            return RetryableCall(f"HTTP {status}: {message}", retry_after=retry_after)
        details = {"provider": self.name, "status": status}
        if status in (401, 403):
            return ProviderAuthFailed(
                f"replicate refused the API token (HTTP {status}: {message}); check {SETTING}",
                details=details,
            )
        return ProviderError(f"replicate: HTTP {status}: {message}", details=details)

    async def _cancel(self, client: Client, prediction_id: str) -> None:
        try:
            await asyncio.wait_for(
                asyncio.shield(client.predictions.async_cancel(prediction_id)), 10.0
            )
        except (Exception, asyncio.CancelledError):  # best effort: the job ends either way
            return

    async def _finish(self, model: str, prediction: Prediction) -> GenerationResult:
        meta = {"prediction_id": prediction.id}
        if prediction.status == "failed":
            error = redact(str(prediction.error or "no reason given"), [self._token])
            if _BLOCKED.search(error):
                raise ContentBlocked(f"replicate refused to make this image: {error}")
            raise ProviderError(f"replicate prediction failed: {error}", details=meta)
        if prediction.status != "succeeded":
            raise ProviderError(f"replicate prediction ended {prediction.status}", details=meta)
        urls = _output_urls(prediction.output)
        if not urls:
            raise ProviderError("replicate: the prediction has no output file", details=meta)
        images = []
        for url in urls:
            data, content_type = await self._fetcher.fetch(self.name, url)
            images.append(GeneratedImage(data, content_type, dict(meta)))
        return GenerationResult(self.name, model, images, meta=meta)


def _create(
    client: Client, model: str, payload: dict[str, Any], wait: int
) -> Awaitable[Prediction]:
    """``owner/name`` runs the model's latest version (POST /v1/models/.../predictions);
    ``owner/name:version`` or a bare version id pins one (POST /v1/predictions)."""
    predictions = client.predictions
    if _VERSION_ID.match(model):
        return predictions.async_create(version=model, input=payload, wait=wait)
    if ":" in model:
        version = model.split(":", 1)[1]
        return predictions.async_create(version=version, input=payload, wait=wait)
    # Through client.models: Predictions.async_create(model=...) drops ``wait`` (SDK 1.0).
    return client.models.predictions.async_create(model=model, input=payload, wait=wait)


def _input(request: ImageRequest) -> dict[str, Any]:
    values: dict[str, Any] = {"prompt": request.prompt}
    if request.negative_prompt:
        values["negative_prompt"] = request.negative_prompt
    if request.size is not None:
        values["width"], values["height"] = request.size
    elif request.aspect_ratio is not None:
        values["aspect_ratio"] = request.aspect_ratio
    if request.resolution is not None:
        values["resolution"] = request.resolution
    if request.n > 1:
        values["num_outputs"] = request.n
    if request.seed is not None:
        values["seed"] = request.seed
    if len(request.images) == 1:
        values["input_image"] = _data_uri(request.images[0])
    elif request.images:
        values["input_images"] = [_data_uri(image) for image in request.images]
    if request.mask is not None:
        values["mask"] = _data_uri(request.mask)
    values.update(request.options)
    return values


def _output_urls(output: Any) -> list[str]:
    """Output files, whatever shape the model returns them in (a URL, a list, a dict)."""
    if isinstance(output, str):
        return [output] if output.startswith(("http://", "https://", "data:")) else []
    if isinstance(output, list):
        return [url for item in output for url in _output_urls(item)]
    if isinstance(output, dict):
        return [url for item in output.values() for url in _output_urls(item)]
    return []
