"""Fixtures of the studio tests: the real rules engine, or a scripted one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from tests.studio.support import studio

from pictor.runtime import Runtime
from pictor.studio.engines.rules import RulesEngine
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


@pytest.fixture(autouse=True)
def rules_engine(runtime: Runtime) -> Iterator[None]:
    # The rules engine, until build_intent_engine (which picks it by default) lands.
    with engine_in_use(runtime, RulesEngine()):
        yield


@pytest.fixture
def scripted(runtime: Runtime, rules_engine: None) -> Iterator[ScriptedEngine]:
    engine = ScriptedEngine()
    with engine_in_use(runtime, engine):
        yield engine
