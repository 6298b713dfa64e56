"""Tables: studio_sessions (a conversation) and studio_messages (its turns).

A session counts its changes in ``event_seq``; every change of a message takes the
next number into the message's ``seq``, in the same transaction, so the session's
event stream can be replayed from stored state (messages with ``seq`` > N).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pictor.db.base import Base, JSONType, UTCDateTime, utcnow


class MessageStatus(StrEnum):
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class StudioSession(Base):
    __tablename__ = "studio_sessions"
    __table_args__ = (Index("ix_studio_sessions_owner", "owner_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    #: The most recent image of the session (attached or made): what "it" refers to.
    last_image_id: Mapped[str | None] = mapped_column(
        ForeignKey("artifacts.id", ondelete="SET NULL"), default=None
    )
    #: The number of the session's latest message change (see the module docstring).
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class StudioMessage(Base):
    __tablename__ = "studio_messages"
    __table_args__ = (
        Index("ix_studio_messages_session_seq", "session_id", "seq"),
        Index("ix_studio_messages_status", "status"),
        UniqueConstraint("owner_id", "idempotency_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("studio_sessions.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: "user" or "assistant".
    role: Mapped[str] = mapped_column(String(16))
    #: What the user wrote (empty for assistant messages, whose words are ``reply``).
    text: Mapped[str] = mapped_column(Text, default="")
    image_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16))
    #: The intent understood (a job kind or "answer"); assistant messages only.
    intent: Mapped[str | None] = mapped_column(String(32), default=None)
    #: The params the job got (or the intent's, when no job was made).
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: The refined prompt.
    prompt: Mapped[str] = mapped_column(Text, default="")
    #: Which intent engine decided.
    engine: Mapped[str | None] = mapped_column(String(100), default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), default=None, index=True
    )
    #: The job's outputs when done: [{"id", "content_type", "width", "height"}].
    outputs: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    #: The assistant's words.
    reply: Mapped[str] = mapped_column(Text, default="")
    #: The session's event number of this message's latest change.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    #: The session's event number when the message was posted: its place in the session.
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: For an assistant message: the user message it answers.
    reply_to: Mapped[str | None] = mapped_column(String(40), default=None)
    #: The Idempotency-Key a user message was posted with.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
