"""Random access to an image's bytes, whether they sit in memory or in a file.

``decode_image`` reads through an ``ImageSource`` so that a stored upload is never
held in memory whole: the header comes from the first bytes, Pillow reads the file
itself, and the checks for bytes after (or missing from) the end of the image data
seek to the few bytes they need. The memory an upload costs is then the decoded
pixels, whatever the size of the file.
"""

from __future__ import annotations

import io
import os
import pathlib
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from pictor.images.decode import ImageFormat

#: How much of the start of a file the format sniffers and header readers see at once.
HEAD_BYTES = 64 * 1024
#: The most bytes held at a time while searching a file backwards (JPEG's last EOI).
SCAN_BLOCK = 1024 * 1024


class ImageSource:
    """A seekable binary file of known size; reads never go past ``size``.

    Use ``from_bytes`` for data already in memory and ``open`` (as a context
    manager) for a file, which is then closed on every exit path.
    """

    def __init__(self, file: BinaryIO, size: int) -> None:
        self.file = file
        self.size = size
        self._head: bytes | None = None

    @classmethod
    def from_bytes(cls, data: bytes) -> ImageSource:
        # BytesIO shares an immutable bytes object's buffer until written to: no copy.
        return cls(io.BytesIO(data), len(data))

    @classmethod
    def open(cls, path: pathlib.Path) -> ImageSource:
        file = path.open("rb")
        try:
            # fstat the open file, not the path: the size checked is the size read
            size = os.fstat(file.fileno()).st_size
        except BaseException:
            file.close()
            raise
        return cls(file, size)

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.file.close()

    @property
    def head(self) -> bytes:
        """The first ``HEAD_BYTES`` bytes (fewer when the file is shorter)."""
        if self._head is None:
            self._head = self.read_at(0, HEAD_BYTES)
        return self._head

    def read_at(self, offset: int, count: int) -> bytes:
        """Up to ``count`` bytes from ``offset``; short or empty past the end."""
        offset = max(offset, 0)
        count = min(count, self.size - offset)
        if count <= 0:
            return b""
        self.file.seek(offset)
        return self.file.read(count)

    def tail(self, count: int) -> bytes:
        """The last ``count`` bytes (all of them when the file is shorter)."""
        return self.read_at(self.size - count, count)

    def rfind(self, needle: bytes) -> int:
        """The offset of the last ``needle``, or -1; holds at most ``SCAN_BLOCK`` bytes."""
        end = self.size
        while end > 0:
            start = max(end - SCAN_BLOCK, 0)
            # overlap into the block searched before, so a needle across the seam counts
            block = self.read_at(start, end - start + len(needle) - 1)
            found = block.rfind(needle)
            if found >= 0:
                return start + found
            end = start
        return -1


# --- where the image data ends ---------------------------------------------------------


def trailing_bytes(source: ImageSource, fmt: ImageFormat) -> int:
    """How many bytes follow the end of the image data (a polyglot's payload, often)."""
    if fmt == "png":
        end = png_end(source) or source.size
    elif fmt == "jpeg":
        # Heuristic: the last end-of-image marker. Bytes past it cannot be image data.
        eoi = source.rfind(b"\xff\xd9")
        end = eoi + 2 if eoi >= 0 else source.size
    elif fmt == "webp":
        end = 8 + int.from_bytes(source.head[4:8], "little")
    else:
        # Some writers leave bfSize at 0; then the end is unknown.
        end = int.from_bytes(source.head[2:6], "little") or source.size
    return max(source.size - end, 0)


def ends_early(source: ImageSource, fmt: ImageFormat) -> bool:
    """Whether the file's own structure says bytes are missing from its end."""
    if fmt == "png":
        return png_end(source) is None
    if fmt == "jpeg":
        return b"\xff\xd9" not in source.tail(4096)
    if fmt == "webp":
        return 8 + int.from_bytes(source.head[4:8], "little") > source.size
    return int.from_bytes(source.head[2:6], "little") > source.size


def png_end(source: ImageSource) -> int | None:
    """The offset just past the IEND chunk, or None when there is none.

    Walks the chunk headers (length and type, 8 bytes each) and seeks over the bodies.
    """
    pos = 8
    while pos + 8 <= source.size:
        chunk = source.read_at(pos, 8)
        length = int.from_bytes(chunk[:4], "big")
        pos += 12 + length
        if chunk[4:8] == b"IEND":
            return pos if pos <= source.size else None
    return None
