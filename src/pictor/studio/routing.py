"""From an understood message to a job: which images, which params, checked.

Nothing here touches the database; the submission itself goes through the jobs'
normal path (:func:`pictor.jobs.service.submit_job`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from pictor.errors import InvalidInput
from pictor.jobs.service import Submission
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry
from pictor.studio.engines.jobs import NoJob, to_job
from pictor.studio.intent import Intent, MessageContext


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
            f"{spec.kind} works on an image: attach one (image_ids) or make one first",
            field="image_ids",
        )
    return list(dict.fromkeys(chosen))


def build_params(kind: str, params: dict[str, Any], spec: PipelineSpec) -> BaseModel:
    """The kind's params model from the intent's params, validated."""
    try:
        return spec.params_model.model_validate(params)
    except ValidationError as exc:
        raise _refused(kind, exc) from None


def _refused(kind: str, exc: ValidationError) -> InvalidIntentParams:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    message = f"{field}: {first['msg']}" if field else str(first["msg"])
    return InvalidIntentParams(
        f"could not make a {kind} job from this message ({message})",
        field=field and f"params.{field}",
    )


def plan_job(
    intent: Intent, context: MessageContext, catalog: Registry[PipelineSpec]
) -> PlannedJob:
    """The job an intent (other than ``answer``) asks for; InvalidInput when it cannot
    be made, with a reason a user can act on.

    The kind and params come from the engines' own :func:`to_job` (the one reading of
    an intent as a job: it adds the prompt, and turns an ``erase`` that names no place
    into a generative ``edit``), then the catalog's params model checks them.
    """
    try:
        kind, params = to_job(intent)
    except NoJob as exc:
        if isinstance(exc.__cause__, ValidationError):
            raise _refused(intent.kind, exc.__cause__) from None
        raise InvalidIntentParams(f"could not make a job from this message ({exc})") from None
    spec = catalog.get(kind)
    checked = build_params(kind, params, spec)
    return PlannedJob(kind, pick_images(intent, context, spec), checked)


def submission(planned: PlannedJob, message_id: str) -> Submission:
    """The submission of a planned job. Its Idempotency-Key names the assistant message,
    so a message whose server died between submitting and linking finds its job."""
    return Submission(
        kind=planned.kind,
        upload_ids=planned.image_ids,
        params=planned.params,
        idempotency_key=job_key(message_id),
        studio=True,
    )


def job_key(message_id: str) -> str:
    return f"studio:{message_id}"
