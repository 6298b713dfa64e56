"""What a pipeline declares to the catalog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.engine import Connection

from pictor.engines.catalog import Engines

if TYPE_CHECKING:
    from pictor.jobs.context import JobContext


@dataclass(frozen=True)
class PipelineSpec:
    kind: str
    title: str
    params_model: type[BaseModel]
    run: Callable[[JobContext, Any], Awaitable[None]]
    #: Price in credits of one job of a kind the settings' price table does not list (a
    #: plug-in's). The built-in kinds are priced by that table (``DEFAULT_PRICES`` in
    #: credits/settings.py, overridden by ``PICTOR_CREDITS_PRICES``) and give its
    #: default here, so that there is one number to change.
    cost: int
    #: Price from the params when it depends on them, for a kind the table does not list.
    cost_for: Callable[[Any], int] | None = None
    min_inputs: int = 1
    max_inputs: int = 1
    timeout_s: float = 300.0
    #: Checks params against the engines at submit time (an engine not configured
    #: is a 4xx then, not a failed job later).
    check: Callable[[Any, Engines], None] | None = None
    #: Checks params against the caller's data inside the submit transaction (params,
    #: owner id, connection), e.g. that a named template exists and is theirs.
    check_owned: Callable[[Any, str, Connection], None] | None = None
    #: Checks params against the number of input images at submit (params, count).
    check_inputs: Callable[[Any, int], None] | None = None
    #: Retry on transient errors; a bad image is never retried whatever this says.
    retryable: bool = True
