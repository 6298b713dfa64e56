"""Errors of batches."""

from __future__ import annotations

from pictor.errors import Conflict, InvalidInput, NotFound, PictorError


class BatchNotFound(NotFound):
    code = "batch_not_found"


class BatchFinished(Conflict):
    code = "batch_finished"


class TooManyItems(InvalidInput):
    code = "too_many_items"


class InvalidBatchItem(InvalidInput):
    """One item of a batch is not a job that could be submitted; nothing was created.

    ``details`` name the item (``index``) and carry the code a job alone would have got
    (``item_code``: ``invalid_request``, ``upload_not_found``, ``wrong_input_count``...).
    """

    code = "invalid_batch_item"

    @classmethod
    def at(cls, index: int, error: PictorError, *, prefix: str = "items") -> InvalidBatchItem:
        sub = error.field
        field = f"{prefix}.{index}" + (f".{sub}" if sub else "")
        return cls(
            f"{prefix}[{index}]: {error.message}",
            field=field,
            details={"index": index, "item_code": error.code},
        )
