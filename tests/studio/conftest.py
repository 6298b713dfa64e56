"""Fixtures of the studio tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.studio.support import studio

from pictor.runtime import Runtime
from pictor.studio.intent import Intent, IntentEngine, MessageContext


class KeywordEngine:
    """A few keywords, until the real rules engine lands (see pictor/studio/engines)."""

    name = "keywords"

    async def understand(self, text: str, context: MessageContext) -> Intent:
        lowered = text.lower()
        images = context.image_ids or ((context.last_image_id,) if context.last_image_id else ())
        if "background" in lowered:
            return Intent("remove_background", image_ids=images, confidence=0.9, engine=self.name)
        if "logo for" in lowered:
            words = text.split("logo for", 1)[1].split()
            params = {"business_name": words[0], "business_type": " ".join(words[1:])}
            return Intent("logo", params=params, confidence=0.9, engine=self.name)
        if "erase" in lowered:
            return Intent("erase", image_ids=images, confidence=0.8, engine=self.name)
        if "picture of" in lowered:
            prompt = text.split("picture of", 1)[1].strip()
            return Intent("generate", prompt=prompt, confidence=0.8, engine=self.name)
        return Intent("answer", reply="Hello! What shall we make?", engine=self.name)


@pytest.fixture(autouse=True)
def intent_engine(runtime: Runtime) -> Iterator[IntentEngine]:
    target = studio(runtime)
    previous = target._engine
    engine = KeywordEngine()
    target._engine = engine
    yield engine
    target._engine = previous
