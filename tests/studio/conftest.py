"""Fixtures of the studio tests. Messages are read by the engine the settings name (the
rules engine by default); ``scripted`` replaces it for one test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from tests.studio.support import studio

from pictor.runtime import Runtime
from pictor.studio.intent import Intent, IntentEngine, MessageContext


@dataclass
class ScriptedEngine:
    """Answers the next message with the intent a test gives (to reach cases the rules
    engine never produces: an intent whose params its job refuses, say)."""

    name: str = "scripted"
    intents: list[Intent] = field(default_factory=list)
    contexts: list[MessageContext] = field(default_factory=list)

    async def understand(self, text: str, context: MessageContext) -> Intent:
        self.contexts.append(context)
        return self.intents.pop(0)


@contextmanager
def engine_in_use(runtime: Runtime, engine: IntentEngine) -> Iterator[None]:
    target = studio(runtime)
    previous = target._engine
    target._engine = engine
    try:
        yield
    finally:
        target._engine = previous


@pytest.fixture
def scripted(runtime: Runtime) -> Iterator[ScriptedEngine]:
    engine = ScriptedEngine()
    with engine_in_use(runtime, engine):
        yield engine
