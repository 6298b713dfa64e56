"""Limits an uploaded image must respect before pictor spends memory on it."""

from __future__ import annotations

from dataclasses import dataclass

#: The largest ``max_side`` an operator may configure; beyond this one image alone
#: can take hundreds of megabytes once decoded.
HARD_MAX_SIDE = 8192


@dataclass(frozen=True)
class ImageLimits:
    """Size limits for one decoded image.

    ``max_pixels`` is the decompression-bomb guard, checked against the dimensions
    the file *declares* before any pixel is decoded; ``None`` means ``max_side**2``.
    """

    max_bytes: int = 10_000_000
    min_side: int = 50
    max_side: int = 4096
    max_pixels: int | None = None

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {self.max_bytes}")
        if self.min_side < 1:
            raise ValueError(f"min_side must be at least 1, got {self.min_side}")
        if not self.min_side <= self.max_side <= HARD_MAX_SIDE:
            raise ValueError(
                f"max_side must be between min_side ({self.min_side}) and {HARD_MAX_SIDE},"
                f" got {self.max_side}"
            )
        if self.max_pixels is not None and not 1 <= self.max_pixels <= self.max_side**2:
            raise ValueError(
                f"max_pixels must be between 1 and max_side**2 ({self.max_side**2}),"
                f" got {self.max_pixels}"
            )

    @property
    def pixel_limit(self) -> int:
        """The effective pixel-count limit."""
        return self.max_pixels if self.max_pixels is not None else self.max_side**2
