"""The rules of the studio: sessions, posting a message, and ending it with its job.

Posting stores the user's message and a ``processing`` assistant message first (one
transaction), then asks the intent engine what the message means and submits the job
through the jobs' normal path. Whatever goes wrong after that first transaction ends
the assistant message ``failed`` with a reason; nothing is ever left processing (the
background service's sweep ends what a dead server left behind).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from pictor.errors import PictorError
from pictor.ids import new_id
from pictor.jobs.errors import IdempotencyKeyReused
from pictor.studio import replies, settle
from pictor.studio import repository as repo
from pictor.studio.errors import ImageNotFound, MessageNotFound, NotAnImage, SessionNotFound
from pictor.studio.feed import SessionFeed
from pictor.studio.intent import Intent, IntentEngine, MessageContext
from pictor.studio.models import MessageStatus
from pictor.studio.repository import MessageRecord, SessionRecord
from pictor.studio.routing import plan_job, submission

if TYPE_CHECKING:
    from pictor.runtime import Runtime

log = logging.getLogger("pictor.studio")

TITLE_LENGTH = 60
SWEEP_BATCH = 100


@dataclass(frozen=True)
class Post:
    """A message as a user posts it."""

    text: str
    image_ids: list[str] = field(default_factory=list)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Turn:
    """A user message and the assistant message answering it."""

    user: MessageRecord
    assistant: MessageRecord
    #: False when an earlier post with the same Idempotency-Key made them.
    created: bool


def _title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def _is_image(content_type: str) -> bool:
    return content_type.startswith("image/") and content_type != "image/svg+xml"


def _described(intent: Intent) -> dict[str, Any]:
    return {
        "intent": intent.kind,
        "params": dict(intent.params),
        "prompt": intent.prompt,
        "engine": intent.engine,
        "confidence": intent.confidence,
    }


class Studio:
    def __init__(self, runtime: Runtime, engine: Callable[[], IntentEngine]) -> None:
        self.runtime = runtime
        self.settings = runtime.settings.studio
        self.feed = SessionFeed()
        self._make_engine = engine
        self._engine: IntentEngine | None = None

    @property
    def engine(self) -> IntentEngine:
        """The intent engine, built on first use (an LLM client loads lazily)."""
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    # Sessions

    async def create_session(self, owner_id: str, title: str) -> SessionRecord:
        session_id = new_id("ses")
        return await self.runtime.db.write(
            lambda conn: repo.insert_session(conn, session_id, owner_id, title)
        )

    async def sessions(self, owner_id: str, cursor: str | None, limit: int) -> list[SessionRecord]:
        return await self.runtime.db.read(
            lambda conn: repo.session_page(conn, owner_id, cursor, limit)
        )

    async def session(
        self, owner_id: str, session_id: str
    ) -> tuple[SessionRecord, list[MessageRecord]]:
        def unit(conn: Connection) -> tuple[SessionRecord, list[MessageRecord]]:
            found = repo.owned_session(conn, session_id, owner_id)
            if found is None:
                raise SessionNotFound(f"no session {session_id}")
            return found, repo.messages_of(conn, session_id)

        return await self.runtime.db.read(unit)

    async def check_session(self, owner_id: str, session_id: str) -> SessionRecord:
        found = await self.runtime.db.read(
            lambda conn: repo.owned_session(conn, session_id, owner_id)
        )
        if found is None:
            raise SessionNotFound(f"no session {session_id}")
        return found

    async def delete_session(self, owner_id: str, session_id: str) -> None:
        deleted = await self.runtime.db.write(
            lambda conn: repo.delete_session(conn, session_id, owner_id)
        )
        if not deleted:
            raise SessionNotFound(f"no session {session_id}")

    async def message(self, owner_id: str, session_id: str, message_id: str) -> MessageRecord:
        found = await self.runtime.db.read(
            lambda conn: repo.owned_message(conn, session_id, message_id, owner_id)
        )
        if found is None:
            raise MessageNotFound(f"no message {message_id} in session {session_id}")
        return found

    async def messages_after(self, session_id: str, after_seq: int) -> list[MessageRecord]:
        return await self.runtime.db.read(
            lambda conn: repo.messages_after(conn, session_id, after_seq)
        )

    # Posting

    async def post_message(self, owner_id: str, session_id: str, post: Post) -> Turn:
        """Store the message and its answer-to-be, then route it. A message posted again
        with the same Idempotency-Key gets the first turn back (``created`` False)."""
        if post.idempotency_key is not None:
            earlier = await self._replay(owner_id, session_id, post)
            if earlier is not None:
                return earlier
        try:
            context, user, assistant = await self.runtime.db.write(
                partial(self._store_turn, owner_id, session_id, post)
            )
        except IntegrityError:
            # Two posts with one Idempotency-Key raced; the other one stored its turn.
            earlier = await self._replay(owner_id, session_id, post)
            if earlier is None:
                raise
            return earlier
        self._publish([user, assistant])
        try:
            assistant = await self._route(post.text, context, assistant)
        except Exception:
            # Not a client's mistake and not known: fail the message rather than leave it.
            log.exception("routing message %s failed", assistant.id)
            assistant = await self._end(
                assistant,
                partial(settle.fail, code="internal_error", reason="something went wrong"),
            )
        return Turn(user, assistant, created=True)

    async def _replay(self, owner_id: str, session_id: str, post: Post) -> Turn | None:
        key = post.idempotency_key
        assert key is not None

        def unit(conn: Connection) -> Turn | None:
            user = repo.by_idempotency_key(conn, owner_id, key)
            if user is None:
                return None
            same = (user.session_id, user.text, user.image_ids) == (
                session_id,
                post.text,
                list(dict.fromkeys(post.image_ids)),
            )
            if not same:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different message")
            assistant = repo.answer_to(conn, user)
            assert assistant is not None  # stored in the same transaction
            return Turn(user, assistant, created=False)

        return await self.runtime.db.read(unit)

    def _store_turn(
        self, owner_id: str, session_id: str, post: Post, conn: Connection
    ) -> tuple[MessageContext, MessageRecord, MessageRecord]:
        session = repo.owned_session(conn, session_id, owner_id)
        if session is None:
            raise SessionNotFound(f"no session {session_id}")
        image_ids = list(dict.fromkeys(post.image_ids))
        images = repo.owned_images(conn, owner_id, image_ids)
        for image_id in image_ids:
            if image_id not in images:
                raise ImageNotFound(f"no image {image_id}", field="image_ids")
            if not _is_image(images[image_id].content_type):
                raise NotAnImage(
                    f"{image_id} is not an image ({images[image_id].content_type})",
                    field="image_ids",
                )
        last = session.last_image_id
        if last is not None and not repo.owned_images(conn, owner_id, [last]):
            last = None  # deleted since (the gallery's trash): "it" is gone
        context = MessageContext(
            image_ids=tuple(image_ids),
            last_image_id=last,
            history=tuple(repo.user_history(conn, session_id, self.settings.history)),
        )
        seq = repo.next_seq(
            conn,
            session_id,
            last_image_id=image_ids[-1] if image_ids else None,
            title=None if session.title else _title_from(post.text),
        )
        common = {"session_id": session_id, "owner_id": owner_id}
        user = repo.insert_message(
            conn,
            {
                **common,
                "id": new_id("msg"),
                "role": "user",
                "text": post.text,
                "image_ids": image_ids,
                "status": MessageStatus.DONE,
                "idempotency_key": post.idempotency_key,
                "seq": seq,
            },
        )
        assistant = repo.insert_message(
            conn,
            {
                **common,
                "id": new_id("msg"),
                "role": "assistant",
                "status": MessageStatus.PROCESSING,
                "reply_to": user.id,
                "seq": repo.next_seq(conn, session_id),
            },
        )
        return context, user, assistant

    async def _route(
        self, text: str, context: MessageContext, message: MessageRecord
    ) -> MessageRecord:
        try:
            intent = await asyncio.wait_for(
                self.engine.understand(text, context), self.settings.understand_timeout_s
            )
        except TimeoutError:
            reason = "understanding the message took too long; please try again"
            return await self._end(
                message, partial(settle.fail, code="understanding_timeout", reason=reason)
            )
        except PictorError as exc:
            return await self._end(message, partial(settle.fail, code=exc.code, reason=exc.message))
        described = _described(intent)
        if intent.kind == "answer":
            reply = intent.reply or replies.DEFAULT_ANSWER
            return await self._end(
                message,
                lambda conn, m: repo.change_message(
                    conn, m, status=MessageStatus.DONE, reply=reply, **described
                ),
            )
        runtime = self.runtime
        try:
            planned = plan_job(intent, context, runtime.catalog)
            submitted = await runtime.submit_job(message.owner_id, submission(planned, message.id))
        except PictorError as exc:
            # Params that do not fit the kind, an engine not configured, no image,
            # insufficient credits...: the message fails with the reason.
            return await self._end(
                message, partial(settle.fail, code=exc.code, reason=exc.message, **described)
            )
        described["params"] = planned.params.model_dump(mode="json")
        changes = await runtime.db.write(
            lambda conn: settle.link_job(conn, message, submitted.job, **described)
        )
        self._publish(changes)
        if submitted.created and runtime.queue is not None:
            await runtime.queue.enqueue(submitted.job.id)
        return changes[-1] if changes else await self._reload(message)

    async def _end(
        self,
        message: MessageRecord,
        change: Callable[[Connection, MessageRecord], MessageRecord | None],
    ) -> MessageRecord:
        changed = await self.runtime.db.write(lambda conn: change(conn, message))
        if changed is None:
            return await self._reload(message)
        self._publish([changed])
        return changed

    async def _reload(self, message: MessageRecord) -> MessageRecord:
        found = await self.runtime.db.read(lambda conn: repo.get_message(conn, message.id))
        return found or message

    def _publish(self, messages: Iterable[MessageRecord]) -> None:
        for message in messages:
            self.feed.publish(message)

    # Ending messages with their jobs

    async def job_ended(self, job_id: str) -> None:
        """A job ended: end the message waiting for it, if there is one."""
        message = await self.runtime.db.read(lambda conn: repo.processing_for_job(conn, job_id))
        if message is not None:
            changed = await self.runtime.db.write(lambda conn: settle.settle_job(conn, message))
            if changed is not None:
                self._publish([changed])

    async def sweep(self) -> int:
        """End every message whose job ended unheard, and every message whose routing
        was cut short long enough ago; the number of messages ended."""
        ended = 0
        while True:
            batch = await self.runtime.db.read(
                lambda conn: repo.processing_with_ended_job(conn, SWEEP_BATCH)
            )
            settled = 0
            for message in batch:
                changed = await self.runtime.db.write(partial(_settle_one, message))
                self._publish(changed)
                settled += len(changed)
            ended += settled
            if len(batch) < SWEEP_BATCH or not settled:
                break
        cutoff = settle.unrouted_cutoff(self.settings.unrouted_after_s)
        stale = await self.runtime.db.read(
            lambda conn: repo.processing_without_job(conn, cutoff, SWEEP_BATCH)
        )
        for message in stale:
            changes = await self.runtime.db.write(partial(_recover_one, message))
            self._publish(changes)
            ended += sum(1 for m in changes if m.status != MessageStatus.PROCESSING)
        return ended


def _settle_one(message: MessageRecord, conn: Connection) -> list[MessageRecord]:
    changed = settle.settle_job(conn, message)
    return [] if changed is None else [changed]


def _recover_one(message: MessageRecord, conn: Connection) -> list[MessageRecord]:
    return settle.recover_unrouted(conn, message)
