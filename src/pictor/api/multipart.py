"""A streaming multipart/form-data reader: the file part flows to storage chunk by chunk.

Starlette's form parser spools whole files before the handler runs; this reader lets
an upload be refused at its size limit while it is still arriving.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from pictor.errors import InvalidInput

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 50


class MalformedForm(InvalidInput):
    code = "invalid_form"


class StreamingForm:
    def __init__(
        self,
        request: Request,
        *,
        file_field: str = "file",
        wrong_type: str = "send the image as multipart/form-data with a `file` field",
    ) -> None:
        content_type, options = parse_options_header(request.headers.get("content-type", ""))
        if content_type != b"multipart/form-data" or b"boundary" not in options:
            raise MalformedForm(wrong_type)
        self.file_field = file_field
        self.fields: dict[str, str] = {}
        self.filename = ""
        self.has_file = False
        self._body = request.stream()
        self._done = False
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._part: str | None = None  # "file", a field name, or "" (ignored)
        self._field_buf = bytearray()
        self._file_buf: list[bytes] = []
        self._file_ended = False
        callbacks: Any = {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field_cb,
            "on_header_value": self._header_value_cb,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }
        self._parser = MultipartParser(options[b"boundary"], callbacks)

    # --- parser callbacks -------------------------------------------------------------
    def _part_begin(self) -> None:
        self._headers = {}
        self._part = None

    def _header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if name == self.file_field and not self.has_file:
            self.has_file = True
            self.filename = disposition.get(b"filename", b"").decode("utf-8", "replace")
            self._part = "file"
        elif name and name != self.file_field:
            if len(self.fields) >= MAX_FIELDS:
                raise MalformedForm("too many form fields")
            self._part = name
            self._field_buf = bytearray()
        else:
            self._part = ""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            self._file_buf.append(data[start:end])
        elif self._part:
            self._field_buf += data[start:end]
            if len(self._field_buf) > MAX_FIELD_BYTES:
                raise MalformedForm(f"form field {self._part!r} is too long")

    def _part_end(self) -> None:
        if self._part == "file":
            self._file_ended = True
        elif self._part:
            self.fields[self._part] = self._field_buf.decode("utf-8", "replace")
        self._part = None

    # --- pumping ---------------------------------------------------------------------
    async def _pump(self) -> bool:
        """Feed one chunk of the body to the parser; False once the body has ended."""
        if self._done:
            return False
        try:
            chunk = await self._body.__anext__()
        except StopAsyncIteration:
            self._done = True
            self._parser.finalize()
            return False
        if chunk:
            self._parser.write(chunk)
        return True

    async def start_file(self) -> bool:
        """Read until the file part starts (True) or the body ends without one (False)."""
        while not self.has_file and await self._pump():
            pass
        return self.has_file

    async def file_chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive; then the rest of the form is read."""
        while True:
            while self._file_buf:
                yield self._file_buf.pop(0)
            if self._file_ended or not await self._pump():
                break
        while self._file_buf:
            yield self._file_buf.pop(0)
        while await self._pump():
            pass

    async def read_rest(self) -> None:
        while await self._pump():
            self._file_buf.clear()


@dataclass
class FilePart:
    #: The form field (e.g. ``image[]``).
    name: str
    filename: str
    chunks: list[bytes] = field(default_factory=list)
    ended: bool = False


class MultiFileForm(StreamingForm):
    """Several file parts (OpenAI's ``image[]`` and ``mask``), each streamed in turn.

    ``next_file()`` reads on to the start of the next file part; ``file_chunks()`` then
    yields that part as it arrives. At most one body chunk of a later part is held while
    an earlier one is consumed, so each file can go to storage under its own limit.
    Text fields may come before, between or after the files.
    """

    def __init__(
        self, request: Request, *, file_fields: Collection[str], max_files: int, wrong_type: str
    ) -> None:
        super().__init__(request, file_field="", wrong_type=wrong_type)
        self.file_fields = frozenset(file_fields)
        self.max_files = max_files
        self.file_count = 0
        self._pending: list[FilePart] = []
        self._current: FilePart | None = None

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if name not in self.file_fields:
            super()._headers_finished()
            return
        self.file_count += 1
        if self.file_count > self.max_files:
            raise MalformedForm(f"at most {self.max_files} files in one form", field=name)
        filename = disposition.get(b"filename", b"").decode("utf-8", "replace")
        self._current = FilePart(name, filename)
        self._pending.append(self._current)
        self._part = "file"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file" and self._current is not None:
            self._current.chunks.append(data[start:end])
        else:
            super()._part_data(data, start, end)

    def _part_end(self) -> None:
        if self._part == "file" and self._current is not None:
            self._current.ended = True
            self._current = None
            self._part = None
        else:
            super()._part_end()

    async def next_file(self) -> FilePart | None:
        """The next file part (its name and filename), or None once the form has ended.

        A part whose bytes were not read is skipped.
        """
        if self._pending:
            head = self._pending[0]
            while not head.ended and await self._pump():
                head.chunks.clear()
            self._pending.pop(0)
        while not self._pending and await self._pump():
            pass
        return self._pending[0] if self._pending else None

    async def file_chunks(self) -> AsyncIterator[bytes]:
        """The bytes of the part ``next_file()`` returned, as they arrive."""
        if not self._pending:
            return
        part = self._pending[0]
        while True:
            while part.chunks:
                yield part.chunks.pop(0)
            if part.ended or not await self._pump():
                break
        while part.chunks:
            yield part.chunks.pop(0)
