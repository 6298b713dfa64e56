"""Building the image providers from settings, and choosing one for a job."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from pictor.config import Settings
from pictor.engines.availability import Availability
from pictor.engines.generate.base import GenerationResult, ImageProvider, ImageRequest, Waiting
from pictor.engines.generate.errors import ProviderNotConfigured
from pictor.engines.generate.outputs import OutputFetcher
from pictor.engines.generate.retry import RetryPolicy
from pictor.net.fetch import FetchLimits
from pictor.net.guard import NetworkPolicy
from pictor.registry import Registry

#: When a job names no provider and no default is set, the first configured one is used.
ORDER = ("gemini", "openai", "replicate")
SETTINGS_FOR = {
    "gemini": "PICTOR_PROVIDERS_GEMINI_API_KEY",
    "openai": "PICTOR_PROVIDERS_OPENAI_API_KEY (or PICTOR_PROVIDERS_OPENAI_BASE_URL)",
    "replicate": "PICTOR_PROVIDERS_REPLICATE_API_TOKEN",
}
#: Provider outputs can be larger than user uploads (4K PNGs).
MAX_OUTPUT_BYTES = 50_000_000


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter is not None else None


class LazyProvider:
    """Imports its SDK and builds the real provider on first use: the three SDKs cost
    about a second of imports, which a process that never generates should not pay."""

    def __init__(
        self,
        name: str,
        default_model: str,
        configured: bool,
        build: Callable[[], ImageProvider],
        total_timeout_s: float = 270.0,
    ) -> None:
        self.name = name
        self.total_timeout_s = total_timeout_s
        self.default_model = default_model
        self._configured = configured
        self._build = build
        self._provider: ImageProvider | None = None

    def availability(self) -> Availability:
        if not self._configured:
            return Availability.missing(f"not configured (set {SETTINGS_FOR[self.name]})")
        return Availability.ok(f"model {self.default_model}")

    def real(self) -> ImageProvider:
        if self._provider is None:
            self._provider = self._build()
        return self._provider

    async def generate(
        self, request: ImageRequest, *, waiting: Waiting | None = None
    ) -> GenerationResult:
        return await self.real().generate(self._bounded(request), waiting=waiting)

    async def edit(
        self, request: ImageRequest, *, waiting: Waiting | None = None
    ) -> GenerationResult:
        return await self.real().edit(self._bounded(request), waiting=waiting)

    def _bounded(self, request: ImageRequest) -> ImageRequest:
        """The request with PICTOR_PROVIDERS_TOTAL_TIMEOUT_S applied to its deadline."""
        deadline = min(request.deadline, time.monotonic() + self.total_timeout_s)
        return dataclasses.replace(request, deadline=deadline)


def build_providers(settings: Settings) -> Registry[ImageProvider]:
    """Every provider, configured or not (an unconfigured one says what to set)."""
    conf = settings.providers
    retry = RetryPolicy(conf.max_attempts, conf.backoff_base_s, conf.backoff_max_s)
    fetcher = OutputFetcher(
        NetworkPolicy.from_strings(settings.fetch.allow),
        FetchLimits(
            max_bytes=max(settings.images.max_bytes, MAX_OUTPUT_BYTES),
            timeout_s=max(settings.fetch.timeout_s, 60.0),
            max_redirects=settings.fetch.max_redirects,
        ),
    )
    timeout = conf.request_timeout_s
    providers: Registry[ImageProvider] = Registry("image provider")
    gemini_key = _secret(conf.gemini_api_key)
    openai_key = _secret(conf.openai_api_key)
    replicate_token = _secret(conf.replicate_api_token)

    def make_gemini() -> ImageProvider:
        from pictor.engines.generate.gemini import GeminiProvider

        return GeminiProvider(
            gemini_key,
            default_model=conf.gemini_model,
            base_url=conf.gemini_base_url,
            request_timeout_s=timeout,
            retry=retry,
        )

    def make_openai() -> ImageProvider:
        from pictor.engines.generate.openai_compat import OpenAIImagesProvider

        return OpenAIImagesProvider(
            openai_key,
            default_model=conf.openai_model,
            fetcher=fetcher,
            base_url=conf.openai_base_url,
            request_timeout_s=timeout,
            retry=retry,
        )

    def make_replicate() -> ImageProvider:
        from pictor.engines.generate.replicate import ReplicateProvider

        return ReplicateProvider(
            replicate_token,
            default_model=conf.replicate_model,
            edit_model=conf.replicate_edit_model,
            fetcher=fetcher,
            base_url=conf.replicate_base_url,
            wait_s=conf.replicate_wait_s,
            poll_interval_s=conf.replicate_poll_interval_s,
            request_timeout_s=timeout,
            retry=retry,
        )

    for name, model, configured, build in (
        ("gemini", conf.gemini_model, bool(gemini_key), make_gemini),
        ("openai", conf.openai_model, bool(openai_key or conf.openai_base_url), make_openai),
        ("replicate", conf.replicate_model, bool(replicate_token), make_replicate),
    ):
        lazy = LazyProvider(name, model, configured, build, conf.total_timeout_s)
        providers.register(name, lazy)
    return providers


def choose_provider(
    providers: Registry[ImageProvider], name: str | None, default: str | None
) -> ImageProvider:
    """The provider named, else the default, else the first configured; never a silent
    stand-in. Raises ProviderNotConfigured naming the setting to set."""
    if name is None:
        name = default or next(
            (n for n in ORDER if n in providers and providers.get(n).availability().available),
            None,
        )
    if name is None:
        settings = ", ".join(SETTINGS_FOR[n] for n in ORDER)
        raise ProviderNotConfigured(
            f"no image provider is configured; set one of {settings}", field="params.provider"
        )
    provider = providers.get(name)
    availability = provider.availability()
    if not availability.available:
        setting = SETTINGS_FOR.get(name, "its settings")
        raise ProviderNotConfigured(
            f"the {name} provider is not configured; set {setting}", field="params.provider"
        )
    return provider
