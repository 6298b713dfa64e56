"""From an understood message to a job: which images, which params, checked.

Nothing here touches the database; the submission itself goes through the jobs'
normal path (:func:`pictor.jobs.service.submit_job`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from pictor.errors import InvalidInput
from pictor.jobs.service import Submission
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry
from pictor.studio.intent import Intent, MessageContext

log = logging.getLogger("pictor.studio")

#: Kinds whose params carry the refined prompt.
PROMPTED_KINDS = frozenset({"generate", "edit"})


class InvalidIntentParams(InvalidInput):
    """What the message asked for does not make valid params for its job."""

    code = "invalid_params"


class NoImage(InvalidInput):
    """The job needs an image and the message has none (nor does the session)."""

    code = "image_required"


@dataclass(frozen=True)
class PlannedJob:
    kind: str
    image_ids: list[str]
    params: BaseModel


def pick_images(intent: Intent, context: MessageContext, spec: PipelineSpec) -> list[str]:
    """The job's images: those the engine chose (only ones the message or the session
    has: an engine cannot bring in another image), else the message's, else the
    session's last image."""
    if spec.max_inputs == 0:
        return []
    known = set(context.image_ids)
    if context.last_image_id is not None:
        known.add(context.last_image_id)
    chosen = [i for i in intent.image_ids if i in known]
    if not chosen:
        chosen = list(context.image_ids)
    if not chosen and context.last_image_id is not None:
        chosen = [context.last_image_id]
    if not chosen:
        raise NoImage(
            f"{intent.kind} works on an image: attach one (image_ids) or make one first",
            field="image_ids",
        )
    return list(dict.fromkeys(chosen))


def build_params(intent: Intent, spec: PipelineSpec) -> BaseModel:
    """The kind's params model from the intent's params (and prompt), validated."""
    model = spec.params_model
    values: dict[str, Any] = {k: v for k, v in intent.params.items() if k in model.model_fields}
    dropped = sorted(set(intent.params) - set(values))
    if dropped:
        log.info("intent params not used by %s: %s", spec.kind, ", ".join(dropped))
    if intent.prompt:
        if spec.kind in PROMPTED_KINDS:
            values.setdefault("prompt", intent.prompt)
        elif "description" in model.model_fields:
            values.setdefault("description", intent.prompt[:1000])
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = f"{field}: {first['msg']}" if field else str(first["msg"])
        raise InvalidIntentParams(
            f"could not make a {spec.kind} job from this message ({message})",
            field=field and f"params.{field}",
        ) from None


def plan_job(
    intent: Intent, context: MessageContext, catalog: Registry[PipelineSpec]
) -> PlannedJob:
    """The job an intent (other than ``answer``) asks for; InvalidInput when it cannot
    be made, with a reason a user can act on."""
    spec = catalog.get(intent.kind)
    params = build_params(intent, spec)
    return PlannedJob(intent.kind, pick_images(intent, context, spec), params)


def submission(planned: PlannedJob, message_id: str) -> Submission:
    """The submission of a planned job. Its Idempotency-Key names the assistant message,
    so a message whose server died between submitting and linking finds its job."""
    return Submission(
        kind=planned.kind,
        upload_ids=planned.image_ids,
        params=planned.params,
        idempotency_key=job_key(message_id),
    )


def job_key(message_id: str) -> str:
    return f"studio:{message_id}"
