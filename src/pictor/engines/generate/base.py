"""The ImageProvider protocol and the types it speaks: requests in, images out."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pictor.engines.availability import Availability

#: Aspect ratios every provider understands in some form.
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
RESOLUTIONS = ("1K", "2K", "4K")

#: Called while waiting on a provider (between polls and retries). The job's
#: ``progress`` is passed here, so a cancel request surfaces inside the wait.
Waiting = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class InputImage:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class ImageRequest:
    """One generation or edit; ``images`` empty means generate."""

    prompt: str
    model: str | None = None
    negative_prompt: str | None = None
    aspect_ratio: str | None = None
    size: tuple[int, int] | None = None
    resolution: str | None = None
    n: int = 1
    seed: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    images: tuple[InputImage, ...] = ()
    mask: InputImage | None = None
    #: ``time.monotonic()`` value after which no new provider call starts (the provider
    #: catalog bounds it by PICTOR_PROVIDERS_TOTAL_TIMEOUT_S).
    deadline: float = float("inf")

    def remaining_s(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class GeneratedImage:
    """Bytes already copied out of the provider (never a provider URL)."""

    data: bytes
    content_type: str | None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GenerationResult:
    provider: str
    model: str
    images: list[GeneratedImage]
    #: The prompt as the provider rewrote it, when it says.
    revised_prompt: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def engine_id(self) -> str:
        return f"{self.provider}:{self.model}"


@runtime_checkable
class ImageProvider(Protocol):
    """A cloud (or local) image model reached over the network."""

    name: str
    default_model: str

    def availability(self) -> Availability:
        """Whether the provider is configured (no network call is made)."""
        ...

    async def generate(
        self, request: ImageRequest, *, waiting: Waiting | None = None
    ) -> GenerationResult:
        """Text to image. Raises ContentBlocked, ProviderError (and subclasses)."""
        ...

    async def edit(
        self, request: ImageRequest, *, waiting: Waiting | None = None
    ) -> GenerationResult:
        """Images (+ optional mask) and text to image. Same errors as ``generate``."""
        ...


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret replaced, so a provider's error can reach the user."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text[:2000]


def ratio_for_size(width: int, height: int) -> str:
    """The listed aspect ratio closest to ``width`` x ``height``."""
    target = width / height

    def distance(ratio: str) -> float:
        w, h = (int(part) for part in ratio.split(":"))
        return abs(w / h - target)

    return min(ASPECT_RATIOS, key=distance)
