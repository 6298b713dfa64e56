"""Wire format of the studio: what clients send and get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

ImageId = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        "", max_length=200, description="Optional; the first message names an untitled session."
    )


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        ...,
        min_length=1,
        max_length=4000,
        examples=["remove the background"],
        description="What you want, in your words.",
    )
    image_ids: list[ImageId] = Field(
        default_factory=list,
        max_length=100,
        description="Your uploads or outputs this message is about (artifact ids).",
    )

    @field_validator("text")
    @classmethod
    def _says_something(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the text is blank")
        return value


class MessageError(BaseModel):
    code: str
    message: str


class MessageOutput(BaseModel):
    id: str
    content_type: str
    width: int | None
    height: int | None
    url: str
    url_expires_at: datetime


class MessageOut(BaseModel):
    id: str
    object: Literal["studio.message"] = "studio.message"
    session_id: str
    role: Literal["user", "assistant"]
    status: Literal["processing", "done", "failed"]
    text: str = Field(description="What the user wrote (empty for the assistant).")
    image_ids: list[str]
    reply: str = Field(description="What the assistant says (empty for the user).")
    intent: str | None = Field(description="What the message was understood as.")
    params: dict[str, Any]
    prompt: str = Field(description="The refined prompt.")
    engine: str | None = Field(description="Which intent engine decided.")
    confidence: float | None
    job_id: str | None
    reply_to: str | None = Field(description="The user message an assistant message answers.")
    output_ids: list[str]
    outputs: list[MessageOutput]
    error: MessageError | None
    seq: int = Field(description="The session's event number of this message's latest change.")
    created_at: datetime
    updated_at: datetime


class SessionOut(BaseModel):
    id: str
    object: Literal["studio.session"] = "studio.session"
    title: str
    last_image_id: str | None
    created_at: datetime
    updated_at: datetime


class SessionDetail(SessionOut):
    messages: list[MessageOut]


class SessionPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[SessionOut]
    next_cursor: str | None
    has_more: bool


class TurnOut(BaseModel):
    """A posted message and the assistant's answer to it."""

    user_message: MessageOut
    assistant_message: MessageOut
