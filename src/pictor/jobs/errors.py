"""Errors of the jobs domain."""

from pictor.errors import Conflict, InvalidInput, NotFound


class JobNotFound(NotFound):
    code = "job_not_found"


class UploadNotFound(NotFound):
    code = "upload_not_found"


class JobFinished(Conflict):
    code = "job_finished"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class WrongInputCount(InvalidInput):
    code = "wrong_input_count"
