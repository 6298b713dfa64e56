"""How an understood message becomes a job, or a failed message with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import update
from tests.conftest import User, new_user
from tests.studio.conftest import ScriptedEngine, engine_in_use
from tests.studio.support import finished, new_session, send, studio, upload_png

from pictor.artifacts.models import Artifact
from pictor.db.base import utcnow
from pictor.errors import EngineUnavailable
from pictor.runtime import Runtime
from pictor.studio.intent import Intent, MessageContext


async def test_without_credits_the_message_fails_insufficient_credits_and_no_job_is_made(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    poor = await new_user(runtime, credits=0)
    session_id = await new_session(client, poor)
    upload_id = await upload_png(client, poor)
    answer = await send(client, poor, session_id, "remove the background", [upload_id])
    assert answer["status"] == "failed"
    assert answer["error"]["code"] == "insufficient_credits"
    assert answer["job_id"] is None
    assert answer["intent"] == "remove_background"
    assert (await client.get("/v1/jobs", headers=poor.headers)).json()["data"] == []
    balance = (await client.get("/v1/credits", headers=poor.headers)).json()
    assert (balance["available"], balance["reserved"]) == (0, 0)

    # A plain answer costs nothing and still works.
    hello = await send(client, poor, session_id, "hello")
    assert hello["status"] == "done"


async def test_a_job_made_from_a_message_is_charged_like_any_job(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    buyer = await new_user(runtime, credits=1)
    session_id = await new_session(client, buyer)
    upload_id = await upload_png(client, buyer)
    answer = await send(client, buyer, session_id, "remove the background", [upload_id])
    assert (await finished(client, runtime, buyer, answer))["status"] == "done"
    balance = (await client.get("/v1/credits", headers=buyer.headers)).json()
    assert (balance["available"], balance["reserved"]) == (0, 0)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"padding": -5}, "padding"), ({"colour_of_the_sky": "blue"}, "colour_of_the_sky")],
)
async def test_params_the_job_refuses_fail_the_message_with_the_reason(
    client: httpx.AsyncClient,
    user: User,
    scripted: ScriptedEngine,
    params: dict[str, object],
    field: str,
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    scripted.intents.append(Intent("remove_background", params=params, image_ids=(upload_id,)))
    answer = await send(client, user, session_id, "whatever", [upload_id])
    assert answer["status"] == "failed"
    assert answer["error"]["code"] == "invalid_params"
    assert field in answer["error"]["message"]
    assert answer["job_id"] is None


async def test_an_image_job_with_no_image_anywhere_fails_image_required(
    client: httpx.AsyncClient, user: User, scripted: ScriptedEngine
) -> None:
    session_id = await new_session(client, user)
    scripted.intents.append(Intent("remove_background"))
    answer = await send(client, user, session_id, "cut it out")
    assert answer["status"] == "failed"
    assert answer["error"]["code"] == "image_required"


async def test_an_engine_cannot_bring_in_an_image_the_message_and_session_do_not_have(
    client: httpx.AsyncClient,
    runtime: Runtime,
    user: User,
    other_user: User,
    scripted: ScriptedEngine,
) -> None:
    session_id = await new_session(client, user)
    mine = await upload_png(client, user)
    theirs = await upload_png(client, other_user)
    scripted.intents.append(Intent("remove_background", image_ids=(theirs,)))
    answer = await send(client, user, session_id, "remove the background", [mine])
    job = (await client.get(f"/v1/jobs/{answer['job_id']}", headers=user.headers)).json()
    assert job["input"] == [{"upload_id": mine}]
    await finished(client, runtime, user, answer)


async def test_the_engine_is_given_the_last_image_and_the_earlier_texts(
    client: httpx.AsyncClient, runtime: Runtime, user: User, scripted: ScriptedEngine
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    scripted.intents.append(Intent("remove_background", image_ids=(upload_id,)))
    first = await finished(
        client, runtime, user, await send(client, user, session_id, "cut it out", [upload_id])
    )
    scripted.intents.append(Intent("answer", reply="ok"))
    await send(client, user, session_id, "and now?")
    assert scripted.contexts == [
        MessageContext(image_ids=(upload_id,), last_image_id=None, history=()),
        MessageContext(image_ids=(), last_image_id=first["output_ids"][0], history=("cut it out",)),
    ]


class FailingEngine:
    name = "failing"

    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.blocked = asyncio.Event()

    async def understand(self, text: str, context: MessageContext) -> Intent:
        if self.error is None:
            await self.blocked.wait()  # never set: understanding never ends
        raise self.error or AssertionError("unreachable")


@pytest.fixture
def short_timeout(runtime: Runtime) -> Iterator[None]:
    target = studio(runtime)
    settings = target.settings
    target.settings = settings.model_copy(update={"understand_timeout_s": 0.05})
    yield
    target.settings = settings


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (RuntimeError("the engine broke"), "internal_error"),
        (EngineUnavailable("no chat model configured"), "engine_unavailable"),
        (None, "understanding_timeout"),
    ],
)
async def test_an_engine_that_fails_or_never_answers_fails_the_message(
    client: httpx.AsyncClient,
    runtime: Runtime,
    user: User,
    short_timeout: None,
    error: Exception | None,
    code: str,
) -> None:
    with engine_in_use(runtime, FailingEngine(error)):
        session_id = await new_session(client, user)
        answer = await send(client, user, session_id, "hello")
    assert answer["status"] == "failed"
    assert answer["error"]["code"] == code
    assert answer["reply"]


async def test_a_last_image_deleted_since_is_not_given_to_the_engine(
    client: httpx.AsyncClient, runtime: Runtime, user: User, scripted: ScriptedEngine
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    scripted.intents.append(Intent("answer", reply="nice photo"))
    await send(client, user, session_id, "look", [upload_id])
    async with runtime.db.session() as db:
        await db.execute(
            update(Artifact).where(Artifact.id == upload_id).values(deleted_at=utcnow())
        )
    scripted.intents.append(Intent("answer", reply="ok"))
    await send(client, user, session_id, "remove its background")
    assert scripted.contexts[-1].last_image_id is None
