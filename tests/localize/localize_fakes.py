"""A fake Gemini API for localization: tests/generate's FakeGemini, answering per language.

The prompt names its target ("Target language: Japanese; native name 日本語; ..."), so
the fake can fail chosen languages, answer others after a delay, and return an image of the size and
aspect ratio asked for in the image config, coloured per language so a test can tell
which market a file came from.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from PIL import Image
from tests.generate.fakes import FakeGemini, Reply, respond

_TARGET = re.compile(r"Target language: (.+?); native name")
SIZE_PX = {"1K": 1024, "2K": 2048, "4K": 4096}


def colour_for(language_name: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(language_name.encode()).digest()
    return digest[0], digest[1], digest[2]


def solid_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def image_size_for(config: dict[str, Any], scale: float) -> tuple[int, int]:
    image = config.get("imageConfig") or {}
    long_side = int(SIZE_PX.get(image.get("imageSize", "1K"), 1024) * scale)
    w, h = (int(p) for p in str(image.get("aspectRatio", "1:1")).split(":"))
    if w >= h:
        return long_side, max(16, round(long_side * h / w))
    return max(16, round(long_side * w / h)), long_side


def safety_block() -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": []}, "finishReason": "IMAGE_SAFETY"}],
        "modelVersion": "gemini-2.5-flash-image",
    }


class LocalizeGemini(FakeGemini):
    """``fail`` answers a language (English name) with a reply every time; ``script``
    answers its next requests in order; ``delay_s`` holds every answer."""

    def __init__(self) -> None:
        super().__init__()
        self.fail: dict[str, Reply] = {}
        self.script: dict[str, list[Reply]] = {}
        self.delay_s = 0.0
        #: Share of the asked size the answer has (small answers keep tests fast).
        self.scale = 1.0
        #: One PNG returned to every request (benchmarks: no encoding in the fake).
        self.fixed_png: bytes | None = None
        self._fixed_b64 = ("", b"")

    def reset(self) -> None:
        super().reset()
        self.fail = {}
        self.script = {}
        self.delay_s = 0.0
        self.scale = 1.0
        self.fixed_png = None

    def _image(self, body: dict[str, Any], language: str) -> bytes:
        width, height = image_size_for(body.get("generationConfig") or {}, self.scale)
        return solid_png(width, height, colour_for(language))

    def _fixed(self) -> str:
        if self.fixed_png is None:
            return ""
        if self._fixed_b64[1] is not self.fixed_png:
            self._fixed_b64 = (base64.b64encode(self.fixed_png).decode(), self.fixed_png)
        return self._fixed_b64[0]

    @staticmethod
    def target_of(body: dict[str, Any]) -> str:
        text = body["contents"][0]["parts"][0]["text"]
        match = _TARGET.search(text)
        return match.group(1).strip() if match else ""

    async def _generate(self, call: str, request: Request) -> Response:
        body = await request.json()
        await self.record(request, body)
        if request.headers.get("x-goog-api-key") != self.key:
            error = {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}
            return JSONResponse({"error": error}, 400)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)  # the provider's thinking time, not a sync
        language = self.target_of(body)
        queued = self.script.get(language)
        if queued:
            return respond(queued.pop(0))
        if language in self.fail:
            return respond(self.fail[language])
        data = self._fixed() or base64.b64encode(self._image(body, language)).decode()
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {
                            "role": "model",
                            "parts": [
                                {"text": f"Localized for {language}."},
                                {"inlineData": {"mimeType": "image/png", "data": data}},
                            ],
                        },
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "modelVersion": call.split(":")[0],
            }
        )
