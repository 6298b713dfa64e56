"""Turn job inputs into upload ids: URLs are fetched (SSRF-guarded) and stored first."""

from __future__ import annotations

from collections.abc import AsyncIterator

from pictor.artifacts.models import Artifact
from pictor.artifacts.repository import ArtifactRepository
from pictor.artifacts.service import store_upload
from pictor.jobs.schemas import ImageInput
from pictor.net.fetch import fetch_url, parse_url
from pictor.net.guard import resolve_and_check
from pictor.runtime import Runtime


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def fetch_as_upload(runtime: Runtime, owner_id: str, url: str) -> Artifact:
    """Fetch a URL for a user and keep it as one of their uploads."""
    body = await fetch_url(url, runtime.network, runtime.fetch_limits)
    name = body.final_url.rsplit("/", 1)[-1].split("?", 1)[0]
    artifact = await store_upload(
        runtime.store, runtime.image_limits, owner_id, _one_chunk(body.data), filename=name
    )
    artifact.meta = {**artifact.meta, "source_url": body.final_url}
    async with runtime.db.session() as session:
        ArtifactRepository(session).add(artifact)
    return artifact


async def check_webhook_url(runtime: Runtime, url: str) -> None:
    """Refuse at submit a webhook URL that the SSRF guard would refuse at delivery."""
    parsed = parse_url(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    await resolve_and_check(parsed.host, port, runtime.network)


async def resolve_inputs(runtime: Runtime, owner_id: str, inputs: list[ImageInput]) -> list[str]:
    ids: list[str] = []
    for item in inputs:
        if item.upload_id is not None:
            ids.append(item.upload_id)
        else:
            artifact = await fetch_as_upload(runtime, owner_id, str(item.image_url))
            ids.append(artifact.id)
    return ids
